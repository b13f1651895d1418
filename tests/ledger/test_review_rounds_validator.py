"""Adversarial review of a validator's side of the rounds (ledger.chain.rounds over the real
proven chain): proposals not signed by the operator for this round, blocks the validator
cannot verify, precommits without its own prevote, lock proofs from the wrong round, and a
crash between recording a vote and answering it (the restarted validator answers the same
vote, never another).  Each refusal leaves nothing stored that changes a later answer."""

import json

import pytest
from rounds_net import op_sign, round_network, shared_chain

from verifier.errors import Conflict, Misbehaviour, Rejected

from ledger.chain.roundlog import RoundLog, VoteConflict
from ledger.chain.rounds import Locked
from ledger.chain.votes import PREVOTE, sign_vote
from ledger.core import keys
from ledger.core.block import block_from_json, block_to_json, proposal_bytes


@pytest.fixture
def chain(tmp_path_factory):
    return shared_chain(tmp_path_factory)


def polka(chain, block, round_, names=("v0", "v1", "v2")):
    return [sign_vote(chain["vkeys"][n], n, PREVOTE, block.height, round_, block.hash())
            for n in names]


def _untouched(v, height=1):
    assert v.log.top_round(height) is None and v.log.lock(height) is None


def test_a_round_proposal_not_signed_by_the_operator_for_this_round_is_refused(chain,
                                                                               tmp_path):
    vals, _ = round_network(chain, tmp_path)
    v, a, b = vals[0], chain["block1"], chain["conflict1"]
    bad = {"another key": op_sign(chain, a, 0, key=chain["vkeys"]["v1"]),
           "another round": op_sign(chain, a, 1),
           "another block": op_sign(chain, b, 0),
           "the single-phase proposal signature": keys.sign(chain["op_key"],
                                                            proposal_bytes(1, a.hash())),
           "none": None, "not bytes": op_sign(chain, a, 0).hex()}
    for label, sig in bad.items():
        with pytest.raises(Rejected, match="not signed by the operator"):
            v.prevote(a, 0, sig)
        _untouched(v)
    # nothing was recorded as the operator's round-0 proposal: b in round 0 is no equivocation
    v.prevote(b, 0, op_sign(chain, b, 0))
    assert v.evidence == []


def _tampered(chain):
    """block1 with one proof evaluation changed (a block whose proof does not verify)."""
    obj = block_to_json(chain["block1"])
    proof = dict(obj["proof"])
    key = next(k for k in sorted(proof) if k.startswith("eval_"))
    proof[key] = str((int(proof[key]) + 1))
    return block_from_json({**obj, "proof": proof})


def test_a_block_the_validator_cannot_verify_gets_no_vote_and_leaves_nothing(chain,
                                                                            tmp_path):
    vals, _ = round_network(chain, tmp_path)
    v = vals[1]
    bad = _tampered(chain)
    assert bad.hash() != chain["block1"].hash()
    with pytest.raises(Rejected, match="will not vote"):
        v.prevote(bad, 0, op_sign(chain, bad, 0))
    _untouched(v)
    block2 = chain["block2"]                                 # its parent is not final here
    with pytest.raises(Rejected, match="will not vote"):
        v.prevote(block2, 0, op_sign(chain, block2, 0))
    _untouched(v, 2)
    # a polka for the unverifiable block (byzantine prevotes) does not buy a precommit
    with pytest.raises(Rejected, match="will not vote"):
        v.precommit(bad, 0, polka(chain, bad, 0))
    _untouched(v)
    # the refused proposal was not recorded: the good block in round 0 is no equivocation
    v.prevote(chain["block1"], 0, op_sign(chain, chain["block1"], 0))
    assert v.evidence == []


def test_no_precommit_without_the_validators_own_prevote(chain, tmp_path):
    vals, _ = round_network(chain, tmp_path)
    a, b = chain["block1"], chain["conflict1"]
    with pytest.raises(VoteConflict, match="own prevote"):          # never prevoted
        vals[3].precommit(a, 0, polka(chain, a, 0))
    _untouched(vals[3])
    vals[2].prevote(b, 0, op_sign(chain, b, 0))                     # prevoted the other block
    with pytest.raises(VoteConflict, match="own prevote"):
        vals[2].precommit(a, 0, polka(chain, a, 0, ("v0", "v1", "v3")))
    assert vals[2].log.lock(1) is None
    vals[1].prevote(a, 0, op_sign(chain, a, 0))                     # prevoted in round 0 only
    with pytest.raises(VoteConflict, match="own prevote"):
        vals[1].precommit(a, 1, polka(chain, a, 1))
    assert vals[1].log.lock(1) is None


def test_a_lock_is_released_only_by_a_polka_from_a_later_earlier_round(chain, tmp_path):
    vals, _ = round_network(chain, tmp_path)
    a, b = chain["block1"], chain["conflict1"]
    v = vals[0]
    v.prevote(a, 1, op_sign(chain, a, 1))
    v.precommit(a, 1, polka(chain, a, 1))                           # locked on a at round 1
    for pol_round, votes_round, rnd, err in [
            (None, None, 3, Locked),                                # no polka shown
            (0, 0, 3, Locked),                                      # polka before the lock
            (1, 1, 3, Locked),                                      # polka at the lock round
            (3, 3, 3, Locked),                                      # polka of this very round
            (2, 0, 3, Rejected),                                    # round-0 votes as round 2
    ]:
        votes = [] if votes_round is None else polka(chain, b, votes_round, ("v1", "v2", "v3"))
        with pytest.raises(err):
            v.prevote(b, rnd, op_sign(chain, b, rnd), pol_round, votes)
        assert v.log.lock(1).block_hash == a.hash() and v.log.voted(PREVOTE, 1, rnd) is None
    # a polka from a round between the lock and this one unlocks it
    vote = v.prevote(b, 3, op_sign(chain, b, 3), 2, polka(chain, b, 2, ("v1", "v2", "v3")))
    assert vote.block_hash == b.hash()


def test_a_crash_between_recording_a_vote_and_answering_answers_the_same_vote(chain,
                                                                             tmp_path):
    """The prevote is on disk but its answer never left (the process died): the restarted
    validator signs exactly the same vote again, and never another block in that round."""
    a, b = chain["block1"], chain["conflict1"]
    path = tmp_path / "v0-rounds.db"
    for d in ("first", "second"):
        (tmp_path / d).mkdir()
    vals, _ = round_network(chain, tmp_path / "first", logs=[RoundLog(path), *(RoundLog(
        tmp_path / f"o{i}.db") for i in range(1, 4))])
    first = vals[0].prevote(a, 0, op_sign(chain, a, 0))
    vals[0].log.close()                                             # the crash
    again, _ = round_network(chain, tmp_path / "second", logs=[RoundLog(path), *(RoundLog(
        tmp_path / f"p{i}.db") for i in range(1, 4))])
    v = again[0]
    assert v.prevote(a, 0, op_sign(chain, a, 0)) == first            # the same vote, bytes too
    with pytest.raises((Misbehaviour, Conflict)):                    # never b in round 0
        v.prevote(b, 0, op_sign(chain, b, 0))
    assert v.log.voted(PREVOTE, 1, 0) == a.hash()
    # the precommit after the restart, shown the polka, is for a (and locks a)
    pc = v.precommit(a, 0, polka(chain, a, 0))
    assert pc.block_hash == a.hash() and v.log.lock(1).block_hash == a.hash()
    assert json.loads(v.log.lock(1).block)["height"] == 1


def test_votes_of_one_chain_are_no_votes_on_another_with_the_same_validator_keys(chain,
                                                                                  tmp_path):
    """The vote message names no chain id: replay protection comes from the block hash,
    whose parent chain starts at the genesis hash, which covers the chain id.  A chain with
    the same validators and operator but another chain id refuses the first chain's polka."""
    from dataclasses import replace as dc_replace

    from ledger.chain.store import Store
    from ledger.chain.validator import Validator
    from ledger.chain.rounds import RoundValidator
    from ledger.core.genesis import genesis_hash

    g = chain["genesis"]
    other = dc_replace(g, chain_id="live-chain-2")
    assert genesis_hash(other) != genesis_hash(g)
    assert chain["block1"].parent_hash == genesis_hash(g)
    store = Store.open(tmp_path / "other.db")
    store.init_genesis(other)
    v = RoundValidator(Validator(chain["vkeys"]["v0"], store, chain["vk"]),
                       operator_key=other.operator)
    a = chain["block1"]
    with pytest.raises(Rejected, match="will not vote"):       # block 1 of the first chain
        v.prevote(a, 0, op_sign(chain, a, 0))
    with pytest.raises(Rejected, match="will not vote"):
        v.precommit(a, 0, polka(chain, a, 0))
    assert v.log.top_round(1) is None and v.log.lock(1) is None
