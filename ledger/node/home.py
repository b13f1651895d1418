"""A validator node's home folder: its layout, and ``init_home`` that lays it out from checked files.

Layout::

    LOCK                     flock'd by the running node: a second one on this home is refused
    genesis.json             the ledger's genesis (ledger.core.genesis)
    key.pem                  the validator's Ed25519 key (ledger.core.keys, mode 0600)
    verification_key.json    the settlement circuit's key (snarkjs JSON, verifier.VerifyingKey)
    node.db                  the node's SQLite store (ledger.chain.store.Store, created at
                             genesis), its sign log (ledger.chain.signlog), its round log
                             (ledger.chain.roundlog) and proposal log (ledger.chain.proposals)
    node.url                 written by the server once it listens (its actual URL)
    eth.key                  the validator's Ethereum key (hex, mode 0600): signs final blocks
                             for the settlement contract (``ledger.node.ethereum``)

``init_home`` refuses a folder that already holds any of the node's files
and writes nothing when a file is bad (one-line ``BadInput``);
``load_verifying_key`` reads a snarkjs verification key, fully checked.
"""

import json
import os

from verifier import FormatError, VerifyingKey
from verifier.errors import BadInput

from ledger.core.codec import CodecError, load_json_file
from ledger.core.genesis import genesis_to_json, load_genesis
from ledger.core.keys import atomic_write, load_private_key, public_key_hex, save_private_key
from ledger.chain.store import Store
from ledger.ethereum.settlement import new_key_file
from ledger.node.ethereum import ETH_KEY_FILE

__all__ = ["init_home", "load_verifying_key", "GENESIS_FILE", "KEY_FILE", "VK_FILE",
           "STORE_FILE", "URL_FILE"]

GENESIS_FILE, KEY_FILE, VK_FILE = "genesis.json", "key.pem", "verification_key.json"
STORE_FILE, URL_FILE = "node.db", "node.url"


def load_verifying_key(path) -> VerifyingKey:
    """The verification key in ``path`` (snarkjs JSON), fully checked; one-line ``BadInput``."""
    try:
        return VerifyingKey.from_json(load_json_file(path, "verification key"))
    except FormatError as e:
        raise CodecError(f"verification key {os.fspath(path)}: {e}") from None


def init_home(home, genesis_path, key_path, vk_path) -> dict:
    """Check the three files and lay out a validator home folder (module doc); a summary.

    Refuses a folder that already holds any of the node's files; writes nothing
    when a file is bad.
    """
    home = os.fspath(home)
    genesis = load_genesis(genesis_path)
    key = load_private_key(key_path)
    vk = load_verifying_key(vk_path)
    pub = public_key_hex(key)
    names = [v.name for v in genesis.validators if v.public_key == pub]
    if not names:
        raise BadInput(f"key {os.fspath(key_path)} is not a validator key of genesis "
                         f"{os.fspath(genesis_path)}")
    if os.path.exists(home) and not os.path.isdir(home):
        raise BadInput(f"validator home is not a directory: {home}")
    for f in (GENESIS_FILE, KEY_FILE, VK_FILE, STORE_FILE, ETH_KEY_FILE):
        if os.path.lexists(os.path.join(home, f)):
            raise BadInput(f"{os.path.join(home, f)} already exists (home already initialised)")
    os.makedirs(home, mode=0o700, exist_ok=True)
    atomic_write(os.path.join(home, GENESIS_FILE),
                 (json.dumps(genesis_to_json(genesis), indent=1) + "\n").encode(), mode=0o644)
    save_private_key(key, os.path.join(home, KEY_FILE))
    atomic_write(os.path.join(home, VK_FILE), (json.dumps(vk.to_json(), indent=1) + "\n").encode(),
                 mode=0o644)
    eth = new_key_file(os.path.join(home, ETH_KEY_FILE))
    with Store.open(os.path.join(home, STORE_FILE)) as store:
        gh = store.init_genesis(genesis)
    return {"validator": names[0], "chain_id": genesis.chain_id, "genesis_hash": gh,
            "home": home, "eth_address": eth.address}
