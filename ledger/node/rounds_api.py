"""A validator node's side of the two-phase rounds (docs/liveness.md §Rounds), over HTTP.

``ledger.node.server`` routes these to the node's ``RoundValidator``
(``ledger.chain.rounds``, its round log in the node's SQLite file)::

    POST /round/prevote    {"block", "round", "operator_signature"?, "pol_round"?, "polka"?}
                           → the prevote {"phase", "validator", "height", "round", "hash",
                           "signature"}
    POST /round/precommit  {"block", "round", "polka"}  → the precommit (locks the node)
    POST /round/attest     {"block", "round", "commit"} → today's attestation of a block
                           that has a commit (> 2/3 precommits in that round)
    GET  /round/lock/<height>   {"height", "top_round": the highest round it voted in or null,
                           "proposal": null | {"round", "hash", "signature"}: the operator's
                           signed proposal of that round, which the validator recorded before
                           voting in it (what backs ``top_round``),
                           "lock": null | {"round", "block", "polka"}}

A block above head + 1 answers 409 at once and starts a catch-up (as
``POST /propose``); a height already final is 409.  Malformed input is 400,
a vote the rules forbid (locked, voted another block in the round, a later
round voted) is 409, a certificate or block that fails a check is 422, the
operator's second proposal in one round is 403.  Round evidence the node
catches (that second proposal; a validator's two votes of one phase in one
round among the certificates it is shown) is kept by the node, served by
``GET /evidence`` and passed to its peers (``ledger.node.service``).  Every
answer is one line on error.
"""

from verifier.errors import Conflict, Rejected

from ledger.core.block import block_from_json, block_to_json
from ledger.core.codec import CodecError, check_fields, get_hex, get_int
from ledger.core.keys import SIGNATURE_BYTES
from ledger.core.limits import ROUND_BOUND
from ledger.chain.votes import vote_from_json, vote_to_json
from ledger.node.client import attestation_to_json

__all__ = ["round_prevote", "round_precommit", "round_attest", "round_lock"]

_MAX_VOTES = 1024


def _votes(obj, key, what) -> list:
    items = obj.get(key, [])
    if not isinstance(items, list) or len(items) > _MAX_VOTES:
        raise CodecError(f"{what}: {key} must be a list of at most {_MAX_VOTES} votes")
    try:
        return [vote_from_json(v) for v in items]
    except Rejected as e:
        raise CodecError(f"{what}: {key}: {e}") from None


def _parse(obj, what, required, optional=()):
    check_fields(obj, what, ("block", "round") + required, optional)
    block = block_from_json(obj["block"], f"{what} block")
    if block.signatures:
        raise CodecError(f"{what}: the block carries no signatures")
    return block, get_int(obj, "round", what, 0, ROUND_BOUND)


def _open_height(node, block):
    """409 unless ``block`` is for head + 1 (a catch-up starts when it is ahead)."""
    head = node._reach(block.height, wait=False)
    if block.height <= head:
        raise Conflict(f"block {block.height} is not above the head ({head}): that height "
                       "is final")


def round_prevote(node, obj) -> dict:
    what = "round prevote"
    block, r = _parse(obj, what, (), ("operator_signature", "pol_round", "polka"))
    sig = get_hex(obj, "operator_signature", what, SIGNATURE_BYTES) \
        if obj.get("operator_signature") is not None else None
    pol = obj.get("pol_round")
    pol = None if pol is None else get_int(obj, "pol_round", what, 0, ROUND_BOUND)
    polka = _votes(obj, "polka", what)
    _open_height(node, block)
    with node._lock:
        vote = node.rounds.prevote(block, r, sig, pol, polka)
    node.log(f"prevoted block {block.height} ({block.hash()[:16]}…) in round {r}")
    return vote_to_json(vote)


def round_precommit(node, obj) -> dict:
    what = "round precommit"
    block, r = _parse(obj, what, ("polka",))
    polka = _votes(obj, "polka", what)
    _open_height(node, block)
    with node._lock:
        vote = node.rounds.precommit(block, r, polka)
    node.log(f"precommitted block {block.height} ({block.hash()[:16]}…) in round {r}")
    return vote_to_json(vote)


def round_attest(node, obj) -> dict:
    what = "round attest"
    block, r = _parse(obj, what, ("commit",))
    commit = _votes(obj, "commit", what)
    _open_height(node, block)
    with node._lock:
        att = node.rounds.attest_commit(block, r, commit)
    return attestation_to_json(att)


def round_lock(node, height: int) -> dict:
    info = node.rounds.lock_info(height)
    lock = None if info is None else {"round": info[0], "block": block_to_json(info[1]),
                                      "polka": [vote_to_json(v) for v in info[2]]}
    top = node.rounds.log.top_round(height)
    seen = None if top is None else node.rounds.log.proposal(height, top)
    proposal = None if seen is None else {"round": top, "hash": seen[0],
                                          "signature": seen[1].hex()}
    return {"height": height, "top_round": top, "proposal": proposal, "lock": lock}
