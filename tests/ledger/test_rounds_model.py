"""An exhaustive model of the round rules (docs/liveness.md §Rounds): 4 validators of equal
stake, one of them byzantine, two blocks A and B, rounds 0 to 2 (and random walks over 4
rounds).  Every interleaving of honest prevotes and precommits that the rules allow is
enumerated; the byzantine validator is assumed to have prevoted and precommitted *both* blocks
in every round (the worst case: more votes only make more polkas and commits).

The honest validators use the real rules: ``ledger.chain.rounds.prevote_allowed`` for the lock,
``ledger.chain.roundlog.MemoryRoundLog`` for one vote per phase and round and rounds that only
go up.  Checked in every reachable state: never two blocks with precommits from > 2/3 (3 of 4)
at this height; and the liveness step of the argument: if the three honest validators are up
and the operator re-proposes the highest reported lock (``choose_reproposal``'s rule) in a
fresh round, all three prevote and precommit it, so it is final.  A model without the lock
rule finds a violation, so the check can fail."""

import random

import pytest

from ledger.chain.roundlog import Lock, MemoryRoundLog, RoundPassed, VoteConflict
from ledger.chain.rounds import prevote_allowed

A, B = "a" * 64, "b" * 64
BLOCKS = (A, B)
HONEST = 3
H = 1


def polka(state, value, round_):
    """3 of 4 prevotes for value in round: the byzantine one + 2 honest."""
    return sum(1 for v in state if ("prevote", round_, value) in v) + 1 >= 3


def commits(state, value, round_):
    return sum(1 for v in state if ("precommit", round_, value) in v) + 1 >= 3


def lock_of(votes):
    pcs = [(r, x) for (p, r, x) in votes if p == "precommit"]
    if not pcs:
        return None
    r, x = max(pcs)
    return Lock(r, x, "", "")


def replay(votes):
    """A MemoryRoundLog holding ``votes`` in round order (precommit after prevote)."""
    log = MemoryRoundLog()
    for p, r, x in sorted(votes, key=lambda t: (t[1], t[0] != "prevote")):
        log.vote(p, H, r, x, lock=("", "") if p == "precommit" else None)
    return log


def moves(state, rounds, lock_rule=True):
    """Every state one honest vote away."""
    for i, votes in enumerate(state):
        for r in rounds:
            for x in BLOCKS:
                tries = []
                # prevote, justified by no polka or by a polka at an earlier round
                for pr in [None] + [q for q in rounds if q < r and polka(state, x, q)]:
                    if not lock_rule or prevote_allowed(lock_of(votes), x, r, pr):
                        tries.append(("prevote", r, x))
                        break
                if polka(state, x, r):
                    tries.append(("precommit", r, x))
                for vote in tries:
                    log = replay(votes)
                    try:
                        log.vote(vote[0], H, r, x, lock=("", "") if vote[0] == "precommit"
                                 else None)
                    except (RoundPassed, VoteConflict):
                        continue
                    if vote in votes:
                        continue
                    new = list(state)
                    new[i] = votes | {vote}
                    yield tuple(sorted(new, key=sorted))


def final_values(state, rounds):
    return {x for x in BLOCKS for r in rounds if commits(state, x, r)}


def explore(rounds, lock_rule=True):
    start = tuple(frozenset() for _ in range(HONEST))
    seen, todo = {start}, [start]
    while todo:
        s = todo.pop()
        for n in moves(s, rounds, lock_rule):
            if n not in seen:
                seen.add(n)
                todo.append(n)
    return seen


def recovers(state, rounds):
    """The liveness step: a fresh round above ``rounds`` with the highest lock re-proposed
    (or A if none) is prevoted and precommitted by all three honest validators."""
    locks = [lock_of(v) for v in state]
    held = [lk for lk in locks if lk is not None]
    fresh = max(rounds) + 1
    if held:
        best = max(held)
        value, pol = best.block_hash, best.round
        assert polka(state, value, pol)              # a lock always has its polka
    else:
        value, pol = A, None
    for votes, lk in zip(state, locks):
        if not prevote_allowed(lk, value, fresh, pol):
            return False
        log = replay(votes)
        log.vote("prevote", H, fresh, value)
        log.vote("precommit", H, fresh, value, lock=("", ""))
    return True


def test_no_two_final_blocks_in_any_interleaving_of_two_rounds():
    states = explore((0, 1))
    assert len(states) > 500                       # the model did explore (823 states)
    both = [s for s in states if len(final_values(s, (0, 1))) == 2]
    assert both == []
    assert any(final_values(s, (0, 1)) == {A} for s in states)     # finality is reachable
    assert all(recovers(s, (0, 1)) for s in states)


def test_the_model_finds_the_violation_without_the_lock_rule():
    states = explore((0, 1), lock_rule=False)
    assert any(len(final_values(s, (0, 1))) == 2 for s in states)


def test_no_two_final_blocks_in_any_interleaving_of_three_rounds():
    rounds = (0, 1, 2)
    states = explore(rounds)
    assert len(states) > 30_000                    # 32 386 states
    assert all(len(final_values(s, rounds)) <= 1 for s in states)
    assert all(recovers(s, rounds) for s in states)


@pytest.mark.parametrize("seed", range(4))
def test_random_walks_over_four_rounds_never_finalize_two_blocks(seed):
    rng, rounds = random.Random(seed), (0, 1, 2, 3)
    for _ in range(300):
        s = tuple(frozenset() for _ in range(HONEST))
        while True:
            nxt = list(dict.fromkeys(moves(s, rounds)))
            if not nxt:
                break
            s = rng.choice(nxt)
            assert len(final_values(s, rounds)) <= 1
        assert recovers(s, rounds)
