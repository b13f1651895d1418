"""An operator that signs two blocks in round 0 of one height, each sent to half of the
validators, is caught, and the height recovers in round 1 with > 2/3 up (docs/liveness.md
§Rounds); a validator's double vote is evidence too."""

import pytest
from rounds_net import op_sign, round_network, shared_chain

from verifier.errors import Misbehaviour, Rejected

from ledger.chain.finality import Quorum
from ledger.chain.rounds import RoundTally
from ledger.chain.store import Store
from ledger.chain.votes import check_round_evidence, sign_vote
from ledger.core import keys


@pytest.fixture
def chain(tmp_path_factory):
    return shared_chain(tmp_path_factory)


def test_equivocating_operator_is_caught_and_round_one_finalizes(chain, tmp_path):
    vals, tally = round_network(chain, tmp_path)
    a, b = chain["block1"], chain["conflict1"]
    for v, block in zip(vals, (a, a, b, b)):           # round 0 split 2/2
        tally.add(v.prevote(block, 0, op_sign(chain, block, 0)))
    assert tally.polka(1, 0) is None                     # nobody can lock, nobody precommits
    assert [v.lock_info(1) for v in vals] == [None] * 4
    # a peer relays the other round-0 proposal to v0: the operator is caught
    with pytest.raises(Misbehaviour, match="two blocks in round 0"):
        vals[0].prevote(b, 0, op_sign(chain, b, 0))
    (ev,) = vals[0].evidence
    records = {r.name: r for r in tally.store.validators()}
    check_round_evidence(ev, records, chain["genesis"].operator)
    assert {ev["first"]["hash"], ev["second"]["hash"]} == {a.hash(), b.hash()}
    bad = {**ev, "second": {**ev["second"], "signature": "00" * 64}}
    with pytest.raises(Rejected, match="does not verify"):
        check_round_evidence(bad, records, chain["genesis"].operator)
    with pytest.raises(Rejected, match="does not verify"):       # not the operator's key
        check_round_evidence(ev, records, keys.public_key_hex(keys.generate()))
    # round 1: one block, > 2/3 up (v3 down): it finalizes; the other never does
    for v in vals[:3]:
        tally.add(v.prevote(a, 1, op_sign(chain, a, 1)))
    _, polka = tally.polka(1, 1)
    for v in vals[:3]:
        tally.add(v.precommit(a, 1, polka))
    assert tally.commit(1, 1)[0] == a.hash()
    assert tally.commit(1, 0) is None
    # the split round's votes cannot be turned into a precommit for the other block
    with pytest.raises(Rejected, match="needs > 2/3"):
        vals[3].precommit(b, 0, [v for v in tally.votes[("prevote", 1, 0)].values()
                                 if v.block_hash == b.hash()])


def test_a_validators_double_prevote_is_evidence(chain, tmp_path):
    vals, tally = round_network(chain, tmp_path)
    a, b = chain["block1"], chain["conflict1"]
    tally.add(vals[0].prevote(a, 0, op_sign(chain, a, 0)))
    # v0's key signing the other block in the same round (a faulty or malicious v0)
    forged = sign_vote(chain["vkeys"]["v0"], "v0", "prevote", 1, 0, b.hash())
    with pytest.raises(Misbehaviour, match="two prevotes in round 0"):
        tally.add(forged)
    (ev,) = tally.evidence
    records = {r.name: r for r in tally.store.validators()}
    check_round_evidence(ev, records)
    # an honest v0 refuses to sign it at all (a second round-0 proposal is the operator's fault)
    with pytest.raises(Misbehaviour, match="operator proposed two blocks"):
        vals[0].prevote(b, 0, op_sign(chain, b, 0))
    assert vals[0].log.voted("prevote", 1, 0) == a.hash()
    # a vote another key signed is refused, not evidence
    other = RoundTally(tally.store)
    fake = sign_vote(chain["vkeys"]["v1"], "v0", "prevote", 1, 0, b.hash())
    with pytest.raises(Rejected, match="does not verify"):
        other.add(fake)
    assert other.evidence == []


def test_the_round_one_commit_is_stored_as_an_ordinary_final_block(chain, tmp_path):
    """After the split round, the commit of round 1 earns today's attestations, and another
    store takes the block through the existing finality checks (``finalize_signed``)."""
    vals, tally = round_network(chain, tmp_path)
    a, b = chain["block1"], chain["conflict1"]
    for v, block in zip(vals, (a, a, b, b)):
        tally.add(v.prevote(block, 0, op_sign(chain, block, 0)))
    for v in vals:
        tally.add(v.prevote(a, 1, op_sign(chain, a, 1)))
    _, polka = tally.polka(1, 1)
    for v in vals[:3]:
        tally.add(v.precommit(a, 1, polka))
    _, commit = tally.commit(1, 1)
    # no attestation without a commit: the precommits of two validators are not one
    with pytest.raises(Rejected, match="needs > 2/3"):
        vals[0].attest_commit(a, 1, commit[:2])
    with pytest.raises(Rejected):                        # a commit for another round
        vals[0].attest_commit(a, 0, commit)
    atts = [v.attest_commit(a, 1, commit) for v in vals]
    other = Store.open(tmp_path / "other.db")
    other.init_genesis(chain["genesis"])
    signed = a.with_signatures([(x.validator, x.signature) for x in atts])
    assert Quorum(other, chain["vk"]).finalize_signed(signed) == a.hash()
    assert other.head() == (1, a.hash())
