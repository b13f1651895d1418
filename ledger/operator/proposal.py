"""The operator's sticky proposal: sign a block, store it durably, re-send it until its height is final.

A validator signs one block per height, for good (``ledger.chain.signlog``).
So once a proposal has left the operator, the operator must never replace it
with another block at that height: validators that signed it would refuse the
new one, and if too few of the rest are up the height could never finish.
Hence, in the operator's home (``ledger.operator.home``)::

    operator_key.pem     the operator's Ed25519 key (mode 0600), whose public key is the
                         genesis's ``operator``
    proposal.json        PRIVATE (0600): the signed block now out, until its height is final

``store_proposal`` signs the block (``ledger.core.block.proposal_bytes``) and
writes ``proposal.json`` atomically (temporary file, fsync, rename) *before*
the block is sent anywhere; ``live_proposal`` is what the next ``operator
batch`` re-sends instead of proving a new block: the stored block while its
height is head + 1, nothing once the height is final (the file is dropped).
Validators answer a re-sent block with the signature they already gave, so
each retry collects the earlier signatures and the ones of validators that
were down.

``gather_evidence`` is what the next block carries: the evidence the
operator's own store and every validator (``GET /evidence``) hold that a block
on the head can carry (``ledger.chain.rules.select_evidence``); the block's
hash covers it, and every node slashes when the block is final.  The private states it would leave stay in ``pending.json`` for as
long as ``proposal.json`` is live (``OperatorHome.reconcile``).
"""

import json
import os

from verifier.errors import BadInput

from ledger.core import keys
from ledger.core.block import block_from_json, block_to_json
from ledger.core.codec import load_json_file
from ledger.core.evidence import EVIDENCE_KINDS
from ledger.chain.rules import select_evidence
from ledger.node.client import NodeClient, each

__all__ = ["gather_evidence", "PROPOSAL_FILE", "OPERATOR_KEY_FILE", "key_file", "load_operator_key", "install_operator_key",
           "store_proposal", "load_proposal", "live_proposal", "drop_proposal"]

PROPOSAL_FILE, OPERATOR_KEY_FILE = "proposal.json", "operator_key.pem"


def key_file(path) -> str:
    """A key file, or the ``key.pem`` inside an account or validator directory."""
    path = os.fspath(path)
    return os.path.join(path, "key.pem") if os.path.isdir(path) else path


def install_operator_key(home, key_path, genesis) -> str:
    """Copy the operator key into ``home`` after checking it is the genesis's operator; its
    public key.  ``BadInput`` if the genesis names no operator or another key."""
    if genesis.operator is None:
        raise BadInput("the genesis names no operator: proposals are unsigned, --key is not "
                       "used (darkmatch genesis new --operator sets one)")
    key = keys.load_private_key(key_file(key_path))
    pub = keys.public_key_hex(key)
    if pub != genesis.operator:
        raise BadInput(f"key {os.fspath(key_path)} is not the genesis operator's key "
                       f"({genesis.operator[:16]}…)")
    keys.save_private_key(key, os.path.join(home, OPERATOR_KEY_FILE), overwrite=True)
    return pub


def load_operator_key(home, genesis):
    """The operator's private key from ``home`` (None when the genesis names no operator)."""
    if genesis.operator is None:
        return None
    path = os.path.join(home, OPERATOR_KEY_FILE)
    if not os.path.exists(path):
        raise BadInput(f"{path} is missing: the genesis names an operator; give its key "
                       "to darkmatch operator init --key")
    key = keys.load_private_key(path)
    if keys.public_key_hex(key) != genesis.operator:
        raise BadInput(f"{path} is not the genesis operator's key")
    return key


def store_proposal(home, block, key):
    """Sign ``block`` with ``key`` (None: leave it unsigned) and store it durably as the
    proposal now out; the block to send."""
    signed = block if key is None else block.with_operator_signature(
        keys.sign(key, block.proposal_bytes()))
    keys.atomic_write(os.path.join(home, PROPOSAL_FILE),
                      (json.dumps(block_to_json(signed), indent=1) + "\n").encode(), mode=0o600,
                      overwrite=True)
    return signed


def load_proposal(home):
    """The stored proposal, or None."""
    path = os.path.join(home, PROPOSAL_FILE)
    if not os.path.exists(path):
        return None
    try:
        return block_from_json(load_json_file(path, "stored proposal"), path)
    except ValueError as e:
        raise BadInput(f"stored proposal {path}: {e}") from None


def drop_proposal(home) -> None:
    try:
        os.unlink(os.path.join(home, PROPOSAL_FILE))
    except FileNotFoundError:
        pass


def live_proposal(home, store):
    """The stored proposal if its height is still open (head + 1 on the head's hash); a
    stored proposal whose height is final is dropped and None returned."""
    block = load_proposal(home)
    if block is None:
        return None
    height, head = store.head()
    if block.height <= height:
        drop_proposal(home)
        return None
    if block.height != height + 1 or block.parent_hash != head:
        raise BadInput(f"stored proposal {os.path.join(home, PROPOSAL_FILE)} is for block "
                       f"{block.height} on {block.parent_hash[:16]}…, the head is {height} "
                       f"({head[:16]}…): not this ledger's next block")
    return block


def gather_evidence(store, urls, timeout: float = 10.0) -> list:
    """The evidence the next block should carry (module docstring); an unreachable
    validator only costs its own evidence."""
    found = [b for k, _, _, b in store.pending_evidence() if k in EVIDENCE_KINDS]
    for items, err in each(list(dict.fromkeys(urls)),
                           lambda u: NodeClient(u, timeout).evidence(), timeout).values():
        if err is None:
            found += items
    return select_evidence(store.view(), found)
