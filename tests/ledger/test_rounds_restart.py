"""A validator's round votes and lock survive ``kill -9`` and restarts (ledger.chain.roundlog):
after a restart it still refuses a second vote in a round, a vote in an earlier round, and any
other block without a later polka, and it still hands back the block it is locked on."""

import os
import signal
import subprocess
import sys

import pytest
from rounds_net import op_sign, round_network, shared_chain

from verifier.errors import Misbehaviour

from ledger.chain.roundlog import RoundLog, RoundPassed, VoteConflict
from ledger.chain.rounds import Locked, prevote_allowed

A, B = "a" * 64, "b" * 64

CHILD = """
import sys
from ledger.chain.roundlog import RoundLog
log = RoundLog(sys.argv[1])
log.vote("prevote", 7, 3, "a" * 64)
log.vote("precommit", 7, 3, "a" * 64, lock=('{"block": 1}', '[]'))
print("voted", flush=True)
sys.stdin.read()                      # wait to be killed
"""


def test_kill_9_right_after_a_precommit_keeps_the_vote_and_the_lock(tmp_path):
    db = tmp_path / "node.db"
    env = {**os.environ, "PYTHONPATH": os.getcwd()}
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(db)], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, env=env)
    try:
        assert child.stdout.readline().strip() == b"voted"
    finally:
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    log = RoundLog(db)
    try:
        lock = log.lock(7)
        assert (lock.round, lock.block_hash, lock.block) == (3, A, '{"block": 1}')
        assert log.voted("prevote", 7, 3) == A and log.voted("precommit", 7, 3) == A
        with pytest.raises(VoteConflict):
            log.vote("prevote", 7, 3, B)
        with pytest.raises(VoteConflict):
            log.vote("precommit", 7, 3, B, lock=("{}", "[]"))
        with pytest.raises(RoundPassed):
            log.vote("prevote", 7, 2, B)
        assert not prevote_allowed(lock, B, 4, None)       # locked: B needs a later polka
        assert not prevote_allowed(lock, B, 4, 3)          # … later than the lock's round
        assert prevote_allowed(lock, B, 5, 4) and prevote_allowed(lock, A, 4, None)
        log.vote("prevote", 7, 3, A)                       # the same vote again is a no-op
    finally:
        log.close()


@pytest.fixture
def chain(tmp_path_factory):
    return shared_chain(tmp_path_factory)


def test_a_restarted_validator_keeps_its_lock_on_a_real_block(chain, tmp_path):
    db = [tmp_path / f"round{i}.db" for i in range(4)]
    vals, tally = round_network(chain, tmp_path, [RoundLog(p) for p in db])
    b1, other = chain["block1"], chain["conflict1"]
    for v in vals:
        tally.add(v.prevote(b1, 0, op_sign(chain, b1, 0)))
    _, polka = tally.polka(1, 0)
    tally.add(vals[0].precommit(b1, 0, polka))
    for v in vals:
        v.log.close()
    # the validators restart on the same files (new processes' worth of objects)
    (tmp_path / "re").mkdir()
    vals, _ = round_network(chain, tmp_path / "re", [RoundLog(p) for p in db])
    try:
        with pytest.raises(Locked, match="locked on block 1"):
            vals[0].prevote(other, 1, op_sign(chain, other, 1))
        # round 0's proposal is remembered: another one is the operator's equivocation …
        with pytest.raises(Misbehaviour, match="two blocks in round 0"):
            vals[1].prevote(other, 0, op_sign(chain, other, 0))
        assert len(vals[1].evidence) == 1
        # … and a second prevote in round 0 is refused whoever signs the proposal
        vals[1].operator_key = None
        with pytest.raises(VoteConflict):
            vals[1].prevote(other, 0)
        r, block, pol = vals[0].lock_info(1)
        assert (r, block.hash(), [x.validator for x in pol]) == \
            (0, b1.hash(), [x.validator for x in polka])
        assert vals[1].lock_info(1) is None
        vals[0].prevote(b1, 2, op_sign(chain, b1, 2))    # its own block: yes
    finally:
        for v in vals:
            v.log.close()
