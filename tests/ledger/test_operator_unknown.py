"""Accounts whose state the operator's home lost (``ledger.operator.home``): a block re-proposed
without its private states marks the accounts it touches unknown; they are left out of later
batches, a wrong or foreign opening is refused with nothing stored, the right one is taken
back, and a mark whose block did not finalize is dropped."""

import dataclasses
import json
import os

import pytest
from liveness_net import shared_chain

from ledger.core.genesis import genesis_to_json
from ledger.operator.home import (UNKNOWN_FILE, OperatorHome, init_operator_home,
                                  states_from_json)


@pytest.fixture
def chain(tmp_path_factory):
    return shared_chain(tmp_path_factory)


@pytest.fixture
def home(chain, tmp_path):
    (tmp_path / "genesis.json").write_text(json.dumps(genesis_to_json(chain["genesis"])))
    init_operator_home(tmp_path / "op", tmp_path / "genesis.json", 2, 2, None,
                       (None, chain["vk"]))
    h = OperatorHome(tmp_path / "op")
    yield h
    h.close()


def _files(home):
    return [open(home.path(f), "rb").read() for f in ("states.json", UNKNOWN_FILE)]


def test_lost_states_wait_for_their_owners(chain, home):
    b1 = chain["block1"]
    assert home.mark_unknown(b1) == [1, 2]
    assert home.reconcile() == 0 and home.unknown == {1: 1, 2: 1}     # height 1 still open
    assert sorted(home.known_states()) == [3, 4]
    home.store.apply_block(b1, expected_parent=home.store.head()[1])
    assert home.reconcile() == 0 and home.unknown == {1: 1, 2: 1}     # final: still unknown
    assert sorted(home.known_states()) == [3, 4]
    before = _files(home)
    wrong = dataclasses.replace(chain["states1"][1], blinding=chain["states1"][1].blinding + 1)
    cases = [({1: wrong}, "does not open the commitment"),
             ({1: chain["states1"][1], 3: home.states[3]}, "account 3: its state is not unknown"),
             ({1: home.states[1]}, "does not open the commitment")]      # the old state
    for states, why in cases:
        with pytest.raises(ValueError, match=why):
            home.recover(states)
        assert _files(home) == before                                  # nothing stored
    assert home.recover({1: chain["states1"][1]}) == [1]
    assert home.unknown == {2: 1} and sorted(home.known_states()) == [1, 3, 4]
    on_disk = states_from_json(json.loads(open(home.path("states.json")).read()), "states")
    assert on_disk[1] == chain["states1"][1]
    assert home.recover({2: chain["states1"][2]}) == [2]
    assert home.unknown == {} and not os.path.exists(home.path(UNKNOWN_FILE))


def test_a_mark_whose_block_did_not_finalize_is_dropped(chain, home):
    """Accounts marked for a block that lost its height (another block finalized there)
    still open the ledger's commitments: once the height is passed they are known again."""
    home.mark_unknown(chain["conflict1"])                              # touches 3 and 4
    home.write_pending(chain["block1"], chain["states1"])
    home.store.apply_block(chain["block1"], expected_parent=home.store.head()[1])
    assert home.reconcile() == 2                                       # 1, 2: pending adopted
    assert home.unknown == {} and sorted(home.known_states()) == [1, 2, 3, 4]


class _Lines:
    def __init__(self):
        self.lines = []

    def print(self, text, **_):
        self.lines.append(text)


def test_a_batch_leaves_unknown_accounts_out_of_deposits_withdrawals_and_orders():
    from types import SimpleNamespace

    from ledger.cli.operator_recover import check_known, leave_out_unknown
    out = _Lines()
    ws = [SimpleNamespace(account=a) for a in (1, 3)]
    deposits, withdrawals = leave_out_unknown({1: 2}, {3: 5, 1: 7, 4: 2}, ws, out)
    assert deposits == {3: 5}                      # the queue's prefix before account 1
    assert [w.account for w in withdrawals] == [3]
    assert len(out.lines) == 2 and all("account 1" in x for x in out.lines)
    assert leave_out_unknown({}, {1: 7}, ws, out) == ({1: 7}, ws)
    check_known(3, {1: 2})
    with pytest.raises(ValueError, match="account 1's state is unknown .*block 2"):
        check_known(1, {1: 2})
