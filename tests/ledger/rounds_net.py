"""Test helpers for the round tests: four in-process ``RoundValidator``s over the liveness
tests' proven chain (``liveness_net.proven_chain``), each with its own store, and the
operator's round signature."""

from liveness_net import shared_chain

from verifier import check as verify_check

from ledger.chain.roundlog import MemoryRoundLog
from ledger.chain.rounds import RoundTally, RoundValidator
from ledger.chain.store import Store
from ledger.chain.validator import Validator
from ledger.chain.votes import round_proposal_bytes
from ledger.core import keys

__all__ = ["shared_chain", "round_network", "op_sign"]


def op_sign(chain, block, round_, key=None):
    """The operator's (or ``key``'s) signature on ``block`` as round ``round_``'s proposal."""
    return keys.sign(chain["op_key"] if key is None else key,
                     round_proposal_bytes(block.height, round_, block.hash()))


def round_network(chain, root, logs=None):
    """(four RoundValidators v0..v3, a RoundTally on a fresh operator store).  The proof of a
    block is verified once for all four (a shared verdict cache, as a node's Quorum does)."""
    verdicts = {}

    def verdict(block):
        h = block.hash()
        if h not in verdicts:
            v = verify_check(chain["vk"], list(block.public_inputs), block.proof)
            verdicts[h] = (v.ok, v.reason)
        return verdicts[h]

    vals = []
    for i in range(4):
        store = Store.open(root / f"v{i}.db")
        store.init_genesis(chain["genesis"])
        v = Validator(chain["vkeys"][f"v{i}"], store, chain["vk"], proof_verdict=verdict)
        log = MemoryRoundLog() if logs is None else logs[i]
        vals.append(RoundValidator(v, log, operator_key=chain["genesis"].operator))
    op = Store.open(root / "op.db")
    op.init_genesis(chain["genesis"])
    return vals, RoundTally(op)
