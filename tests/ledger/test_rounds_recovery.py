"""A height whose proposal was lost with the operator's disk recovers in a later round, safely
(docs/liveness.md §Rounds): with validators locked on the lost block, the block they hand back
is re-proposed and finalized (a new block is refused by them); with no lock, a new block
finalizes and the old one never can."""

import pytest
from rounds_net import op_sign, round_network, shared_chain

from verifier.errors import Conflict

from ledger.chain.rounds import Locked, choose_reproposal
from ledger.chain.votes import sign_vote


@pytest.fixture
def chain(tmp_path_factory):
    return shared_chain(tmp_path_factory)


def run(vals, tally, block, r, chain, pol_round=None, polka=()):
    """One round over ``vals``: prevote, then precommit on a polka; the validators that
    refused each phase (name → exception type)."""
    refused = {}
    for v in vals:
        try:
            tally.add(v.prevote(block, r, op_sign(chain, block, r), pol_round, polka))
        except Conflict as e:
            refused[v.name] = type(e)
    got = tally.polka(block.height, r)
    if got is not None:
        for v in vals:
            try:
                tally.add(v.precommit(block, r, got[1]))
            except Conflict as e:
                refused[v.name] = type(e)
    return refused


def test_lost_proposal_after_two_precommits_re_proposes_the_locked_block(chain, tmp_path):
    vals, tally = round_network(chain, tmp_path)
    b1, other = chain["block1"], chain["conflict1"]
    for v in vals:                                     # round 0: a polka for block 1 …
        tally.add(v.prevote(b1, 0, op_sign(chain, b1, 0)))
    bh, polka = tally.polka(1, 0)
    assert bh == b1.hash()
    for v in vals[:2]:                                 # … 2 of 4 precommit, then the disk dies
        tally.add(v.precommit(b1, 0, polka))
    assert tally.commit(1, 0) is None
    # a new operator home knows nothing: its new block is refused by the two locked ones
    fresh = type(tally)(tally.store)
    refused = run(vals, fresh, other, 1, chain)
    assert refused == {"v0": Locked, "v1": Locked}
    assert fresh.polka(1, 1) is None and fresh.commit(1, 1) is None
    # so it asks for locks and re-proposes the highest one, with its polka
    records = {r.name: r for r in fresh.store.validators()}
    pol_round, block, pol = choose_reproposal([v.lock_info(1) for v in vals], records)
    assert (pol_round, block.hash()) == (0, b1.hash())
    refused = run(vals, fresh, block, 2, chain, pol_round, pol)
    assert refused == {}
    assert fresh.commit(1, 2)[0] == b1.hash()
    assert all(fresh.commit(1, r) is None or fresh.commit(1, r)[0] == b1.hash()
               for r in range(3))


def test_lost_proposal_after_two_prevotes_finalizes_a_new_block(chain, tmp_path):
    vals, tally = round_network(chain, tmp_path)
    b1, other = chain["block1"], chain["conflict1"]
    for v in vals[:2]:                                 # 2 of 4 prevote block 1, disk dies
        tally.add(v.prevote(b1, 0, op_sign(chain, b1, 0)))
    assert tally.polka(1, 0) is None
    assert [v.lock_info(1) for v in vals] == [None] * 4
    refused = run(vals, tally, other, 1, chain)
    assert refused == {}
    assert tally.commit(1, 1)[0] == other.hash()
    # block 1 can never be final now: its voters already voted round 1 (rounds only go up)
    for v in vals[:2]:
        with pytest.raises(Conflict):
            v.prevote(b1, 0, op_sign(chain, b1, 0))


def test_a_lie_about_a_lock_is_not_re_proposed(chain, tmp_path):
    vals, tally = round_network(chain, tmp_path)
    b1, other = chain["block1"], chain["conflict1"]
    for v in vals:
        tally.add(v.prevote(b1, 0, op_sign(chain, b1, 0)))
    _, polka = tally.polka(1, 0)
    vals[0].precommit(b1, 0, polka)
    records = {r.name: r for r in tally.store.validators()}
    # a byzantine v3 claims a lock on the other block at round 5 with a made-up polka
    fake = [sign_vote(chain["vkeys"]["v3"], "v3", "prevote", 1, 5, other.hash())]
    got = choose_reproposal([vals[0].lock_info(1), (5, other, fake)], records)
    assert got[0] == 0 and got[1].hash() == b1.hash()
    # and a polka shown with a re-proposal must be real: the locked v0 refuses the fake one
    with pytest.raises(ValueError):
        vals[0].prevote(other, 6, op_sign(chain, other, 6), 5, fake)


class _Answers:
    """A stand-in for ``NodeClient`` whose lock answers come from ``table`` (url → answer)."""

    table = {}

    def __init__(self, url, timeout):
        self.url = url

    def round_lock(self, height):
        return self.table[self.url]


@pytest.mark.parametrize("operator", [True, False], ids=["operator", "no operator"])
def test_unbacked_rounds_do_not_count(chain, tmp_path, monkeypatch, operator):
    """Rounds reported without the operator's signed proposal are ignored (each validator
    listed); on a ledger with no operator a round counts once more than a third of the
    validators report it, so one validator alone cannot name a round near the limit."""
    import dataclasses

    from ledger.chain.store import Store
    from ledger.core.limits import ROUND_BOUND
    from ledger.operator import rounds as op_rounds
    genesis = chain["genesis"] if operator else dataclasses.replace(chain["genesis"],
                                                                   operator=None)
    store = Store.open(tmp_path / "op.db")
    store.init_genesis(genesis)
    _Answers.table = {f"http://v{i}": {"height": 1, "top_round": r, "proposal": None,
                                       "lock": None}
                      for i, r in enumerate((3, 1, 1, ROUND_BOUND - 2))}
    monkeypatch.setattr(op_rounds, "NodeClient", _Answers)
    bad = {}
    nxt, pick = op_rounds.reproposal(list(_Answers.table), 1, store, timeout=5, bad=bad)
    assert pick is None
    if operator:
        assert nxt == 0 and len(bad) == 4
    else:
        assert nxt == 4 and bad == {}                  # the second-highest report: 3
