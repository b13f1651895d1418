"""ledger.chain.store under kill -9: a crash at any point leaves the last committed block intact.

A child process applies a prebuilt chain; the parent SIGKILLs it (at random
heights and phases, and deterministically inside apply_block's transaction),
then checks the file: SQLite's integrity check, the head and state root equal
to the chain's, exactly the nullifiers of the blocks up to the head — and
that the node resumes from there.
"""

import os
import pickle
import random
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from ledger_chain import MemoryLedger, build_block, make_genesis, make_orders, snapshot

from ledger.chain.rules import state_root
from ledger.chain.store import Store

# ------------------------------------------------------------ crash safety
_CHILD = r"""
import pickle, sys, time
from ledger.chain.store import Store
db, chain_file, ready, trigger = sys.argv[1:5]
with open(chain_file, "rb") as f:
    blocks = pickle.load(f)        # prebuilt, valid blocks (parsing is not what is tested)
s = Store.open(db)
if trigger:
    class Proxy:                    # stalls on one statement inside apply_block's transaction
        def __init__(self, c): self._c, self._armed = c, False
        def __getattr__(self, name): return getattr(self._c, name)
        def _stall(self, sql):
            self._armed |= sql.startswith("BEGIN IMMEDIATE")
            if self._armed and sql.lstrip().startswith(trigger):
                open(ready, "w").close()
                time.sleep(600)
        def execute(self, sql, *a): self._stall(sql); return self._c.execute(sql, *a)
        def executemany(self, sql, *a): self._stall(sql); return self._c.executemany(sql, *a)
    s._conn = Proxy(s._conn)
else:
    open(ready, "w").close()
while True:
    h, head = s.head()
    if h == len(blocks):
        break
    s.apply_block(blocks[h], expected_parent=head)
"""
N_CHAIN = 240


@pytest.fixture(scope="module")
def prebuilt_chain(tmp_path_factory):
    """A genesis and N_CHAIN valid blocks (an order in every eighth), built in memory."""
    d = tmp_path_factory.mktemp("chain")
    g, ak, _ = make_genesis(n_accounts=6, n_validators=1)
    model = MemoryLedger(g)
    rng = random.Random(7)
    blocks = []
    for i in range(N_CHAIN):
        accounts = set(rng.sample(range(1, 7), 3))
        orders = []
        if i % 8 == 0:
            a = rng.randint(1, 6)
            orders = make_orders(ak, [(a, "buy" if i % 16 else "sell", 100, 1)])
            accounts.add(a)
        blk = build_block(model, orders, accounts=sorted(accounts), n_orders=2)
        model.apply(blk)
        blocks.append(blk)
    chain = d / "chain.pkl"
    chain.write_bytes(pickle.dumps(blocks))
    return g, blocks, chain


def _check_integrity(path, genesis, blocks):
    """The store at ``path`` holds exactly blocks[:h] for its head h, nothing partial."""
    c = sqlite3.connect(path)
    assert c.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert c.execute("PRAGMA foreign_key_check").fetchall() == []
    c.close()
    with Store.open(path) as s:
        h, head = s.head()
        assert [r[0] for r in s._conn.execute("SELECT height FROM blocks ORDER BY height")] == \
            list(range(1, h + 1))
        if h:
            assert head == blocks[h - 1].hash() and s.state_root() == blocks[h - 1].state_root
            assert s.get_block(h) == blocks[h - 1]
        else:
            assert head == s.genesis_hash() and s.state_root() == state_root(
                (a.account_id, a.initial_state().commitment()) for a in genesis.accounts)
        stored = dict(s._conn.execute("SELECT nullifier, height FROM nullifiers").fetchall())
        expected = {nf: i + 1 for i, b in enumerate(blocks[:h]) for nf in b.nullifiers()}
        assert stored == expected          # all of the head's blocks, none of a partial one
        return h


def _fresh_store(tmp_path, genesis):
    path = tmp_path / "node.db"
    with Store.open(path) as s:
        s.init_genesis(genesis)
    return path


def _spawn(path, chain, ready, trigger=""):
    if ready.exists():
        ready.unlink()
    return subprocess.Popen([sys.executable, "-c", _CHILD, str(path), str(chain), str(ready),
                             trigger], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _wait(p, done, what, limit=60):
    deadline = time.monotonic() + limit
    while not done():
        assert p.poll() is None, p.stderr.read().decode()
        assert time.monotonic() < deadline, f"child never {what}"
        time.sleep(0.002)


def _kill(p):
    os.kill(p.pid, signal.SIGKILL)
    assert p.wait(timeout=10) == -signal.SIGKILL
    p.stderr.close()


def test_kill9_at_random_times_keeps_last_block(tmp_path, prebuilt_chain):
    """5 kills, each once the child has passed a random height, after a random 0-20 ms
    (a block takes ~10 ms, so the kill falls anywhere in apply_block's cycle).  The
    chain is long enough that every kill lands before its end (the parent notices the
    target height late by up to ~20 blocks on a busy 2-core machine)."""
    g, blocks, chain = prebuilt_chain
    path, ready = _fresh_store(tmp_path, g), tmp_path / "ready"
    rng = random.Random(2024)
    heights = [0]
    reader = sqlite3.connect(path)
    for _ in range(5):
        target = heights[-1] + rng.randint(1, 12)
        p = _spawn(path, chain, ready)
        _wait(p, ready.exists, "got ready")
        _wait(p, lambda: (reader.execute("SELECT MAX(height) FROM blocks").fetchone()[0] or 0)
              >= target, f"reached height {target}", limit=2)
        time.sleep(rng.uniform(0, 0.02))
        _kill(p)
        h = _check_integrity(path, g, blocks)
        assert target <= h < len(blocks)               # killed mid-chain, nothing lost
        heights.append(h)
    reader.close()
    p = _spawn(path, chain, ready)                     # the node restarts from its head
    assert p.wait(timeout=120) == 0, p.stderr.read().decode()
    p.stderr.close()
    assert _check_integrity(path, g, blocks) == len(blocks)


@pytest.mark.parametrize("trigger", ["INSERT INTO nullifiers", "UPDATE accounts", "COMMIT"])
def test_kill9_inside_apply_block_stores_nothing_of_it(tmp_path, prebuilt_chain, trigger):
    g, blocks, chain = prebuilt_chain
    path, ready = _fresh_store(tmp_path, g), tmp_path / "ready"
    with Store.open(path) as s:                        # block 1 committed, block 2 is killed
        s.apply_block(blocks[0], expected_parent=s.genesis_hash())
        before = snapshot(s)
    assert blocks[0].nullifiers() and not blocks[1].nullifiers()
    p = _spawn(path, chain, ready, trigger)
    _wait(p, ready.exists, f"reached {trigger}")
    _kill(p)
    assert _check_integrity(path, g, blocks) == 1
    with Store.open(path) as s:
        assert snapshot(s) == before
        s.apply_block(blocks[1], expected_parent=blocks[0].hash())     # and it resumes
        assert s.head() == (2, blocks[1].hash())
