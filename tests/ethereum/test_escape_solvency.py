"""A whole market exits a frozen Escape on anvil: three accounts deposit, trade with fees and
lazily settled funding, the operator stops, and each account exits with its own proof.  The vault
pays every account its equity at the last mark and ends holding exactly the insurance fund and
the validators' rewards — less the bad debt the fund covers when an account is under water."""

import pytest

from circuits.account_state import Opening, commitment
from circuits.exit import equity, exit_amount
from evm_fixtures import anvil  # noqa: F401 (fixture)
from escape_fixtures import ACCOUNTS, FREEZE_AFTER, EscapeWorld
from ledger.ethereum.chain import send
from ledger.ethereum.escape import claim_exit, exit_view, prove_exit
from ledger.ethereum.settlement import settle

DEPOSITS = {1: 100_000, 2: 100_000, 3: 5_000}
FEE_BPS, INSURANCE_BPS, P = 100, 5_000, 1_000
#: (buyer, seller, lots) at P, and the funding index in force when they trade
TRADES = [(3, 2, 10, 0), (1, 2, 5, 7)]
F_LAST = 12


def market():
    """Final (openings, fee total, insurance fund, rewards) of the native market."""
    cash, pos, fa = dict(DEPOSITS), dict.fromkeys(ACCOUNTS, 0), dict.fromkeys(ACCOUNTS, 0)
    fees = 0
    for buyer, seller, q, F in TRADES:
        for a in (buyer, seller):                       # lazy funding, then the trade
            cash[a] -= pos[a] * (F - fa[a])
            fa[a] = F
        fee = q * P * FEE_BPS // 10_000
        cash[buyer] -= q * P + fee
        cash[seller] += q * P - fee
        pos[buyer] += q
        pos[seller] -= q
        fees += 2 * fee
    assert sum(pos.values()) == 0
    insurance = fees * INSURANCE_BPS // 10_000
    openings = {a: Opening(cash[a], pos[a], fa[a], blinding=7_000 + a) for a in ACCOUNTS}
    return openings, fees, insurance, fees - insurance


@pytest.fixture(scope="module")
def world(anvil):
    return EscapeWorld(anvil)


def _block(world, escape, slots, **kw):
    height = escape.functions.height().call() + 1
    parent = escape.functions.lastBlockHash().call()
    public, proof = world.block(height, slots, **kw)
    return settle(world.w3, escape, height, parent, public, proof,
                  world.sign(height, parent, public, proof), world.w3.eth.accounts[0])


@pytest.mark.parametrize("mark", [1_000, 510])
def test_every_account_exits_and_the_vault_keeps_fund_and_rewards(world, mark):
    w3 = world.w3
    escape, token = world.fresh()
    f = escape.functions
    for a in ACCOUNTS:
        send(w3, f.deposit(a, DEPOSITS[a]), w3.eth.accounts[0], contract=escape)
    funded = {a: Opening(DEPOSITS[a], 0, 0, blinding=5_000 + a) for a in ACCOUNTS}
    _block(world, escape, [{"id": a, "old": commitment(a, world.openings[a]),
                            "new": commitment(a, funded[a]), "deposit": DEPOSITS[a]}
                           for a in ACCOUNTS])
    final, fees, insurance, rewards = market()
    _block(world, escape, [{"id": a, "old": commitment(a, funded[a]),
                            "new": commitment(a, final[a])} for a in ACCOUNTS],
           mark=mark, funding=F_LAST, fee=fees, insurance_bps=INSURANCE_BPS,
           insurance=insurance)
    vault = sum(DEPOSITS.values())
    assert f.collateral().call() == vault
    assert (f.insurance().call(), f.rewards().call()) == (insurance, rewards)
    equities = {a: equity(final[a], mark, F_LAST) for a in ACCOUNTS}
    assert sum(equities.values()) == vault - insurance - rewards    # positions, funding net out
    bad_debt = sum(-q for q in equities.values() if q < 0)
    assert bad_debt <= insurance
    assert (bad_debt > 0) == (mark == 510)                          # account 3 under water

    at = f.lastSettledAt().call() + FREEZE_AFTER                    # the operator stops
    w3.provider.make_request("evm_setNextBlockTimestamp", [at])
    send(w3, f.freeze(1), w3.eth.accounts[5], gas=200_000)
    for a in ACCOUNTS:                                              # each trader, own proof
        before = token.functions.balanceOf(world.owners[a]).call()
        amount, proof = prove_exit(world.exit_pk, a, final[a], exit_view(escape, a))
        assert amount == exit_amount(final[a], mark, F_LAST) == max(0, equities[a])
        claim_exit(w3, escape, a, amount, proof, w3.eth.accounts[5])
        assert token.functions.balanceOf(world.owners[a]).call() == before + amount
    left = token.functions.balanceOf(escape.address).call()
    assert left == f.collateral().call() == insurance - bad_debt + rewards
