"""What an operator asks of a validator home without starting it: ``darkmatch validator show``.

``home_facts(home)`` reads a validator home (``ledger.node.service``'s
layout) and answers one dict of facts, in the order they are printed:

=====================  ==============================================================
fact                   from
=====================  ==============================================================
``validator``          the genesis entry whose key is ``key.pem``'s public key
``public_key``         ``key.pem`` (Ed25519, 64 hex digits; the genesis entry's key)
``chain_id``           ``genesis.json``
``genesis_hash``       the store (the hash block 1's parent must be)
``stake``              the store's validator set now (parameter changes and
                       slashing included); ``slashed`` true once slashed
``total_stake``        the unslashed stake of the whole set: > 2/3 of it finalizes
``height``, ``head``   the last finalized block (0 and the genesis hash at genesis)
``last_signed``        the highest height this validator signed, from its sign log
                       (``null`` before its first signature), and that block's hash
``evidence``           how many pieces of evidence the store holds against it
``url``                ``node.url``: where the node last listened (``null`` if never)
``running_pid``        the pid of the process holding the home's lock (a node
                       running on it: ``ledger.core.lock.locked_by``), else ``null``
=====================  ==============================================================

It takes no lock and writes nothing: it may run beside the node.  A home
that is missing, incomplete or not a validator's is one ``BadInput`` line.
"""

import os
import sqlite3

from verifier.errors import BadInput

from ledger.chain.store import Store
from ledger.core.genesis import load_genesis
from ledger.core.keys import load_private_key, public_key_hex
from ledger.core.lock import locked_by
from ledger.node.service import GENESIS_FILE, KEY_FILE, STORE_FILE, URL_FILE, VK_FILE

__all__ = ["home_facts", "FACTS"]

FACTS = ("validator", "public_key", "chain_id", "genesis_hash", "stake", "slashed",
         "total_stake", "height", "head", "last_signed", "last_signed_hash", "evidence",
         "url", "running_pid")

_FILES = (GENESIS_FILE, KEY_FILE, VK_FILE, STORE_FILE)


def _last_signed(db):
    """(height, hash) of the highest signlog row, read-only; (None, None) if none."""
    try:
        conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10)
    except sqlite3.Error:
        return None, None
    try:
        row = conn.execute("SELECT height, hash FROM signlog ORDER BY height DESC "
                           "LIMIT 1").fetchone()
    except sqlite3.Error:                   # no sign log yet: the node never signed
        row = None
    finally:
        conn.close()
    return (None, None) if row is None else (int(row[0]), str(row[1]))


def home_facts(home) -> dict:
    """The facts of the validator home ``home`` (module doc); ``BadInput`` if it is not one."""
    home = os.fspath(home)
    if not os.path.isdir(home):
        raise BadInput(f"validator home not found: {home} (run: darkmatch validator init)")
    for name in _FILES:
        if not os.path.isfile(os.path.join(home, name)):
            raise BadInput(f"{home} is not a validator home (no {name})")
    genesis = load_genesis(os.path.join(home, GENESIS_FILE))
    pub = public_key_hex(load_private_key(os.path.join(home, KEY_FILE)))
    with Store.open(os.path.join(home, STORE_FILE)) as store:
        gh = store.genesis_hash()
        mine = [v for v in store.validators() if v.public_key == pub]
        if not mine:
            raise BadInput(f"{home}: key.pem is not a validator of chain {genesis.chain_id}")
        v = mine[0]
        total = store.total_stake()
        height, head = store.head()
        evidence = sum(1 for e in store.evidence() if e[1] == v.name)
    signed_h, signed_hash = _last_signed(os.path.join(home, STORE_FILE))
    try:
        with open(os.path.join(home, URL_FILE)) as f:
            url = f.read().strip() or None
    except OSError:
        url = None
    pid = locked_by(home)
    return {"validator": v.name, "public_key": pub, "chain_id": genesis.chain_id,
            "genesis_hash": gh, "stake": v.stake, "slashed": v.slashed,
            "total_stake": total, "height": height, "head": head,
            "last_signed": signed_h, "last_signed_hash": signed_hash, "evidence": evidence,
            "url": url, "running_pid": pid if pid is None or pid > 0 else "unknown"}
