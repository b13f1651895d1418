"""Solvency of the exit, on a simulated market: positions net to zero and funding is a transfer
between them, so the exits at the last mark (``circuits.exit.exit_amount``, the circuit's native
twin) add up to the vault minus the insurance fund and rewards, plus the bad debt the fund
covers."""

import random

from hypothesis import given, settings
from hypothesis import strategies as st

from circuits.account_state import Opening
from circuits.exit import equity, exit_amount


def simulate(seed: int, n_accounts: int, n_blocks: int):
    """A market with lazy funding settlement: (openings, F, M, vault, insurance, rewards)."""
    rng = random.Random(seed)
    deposits = [rng.randrange(0, 10**7) for _ in range(n_accounts)]
    cash, pos, fa = list(deposits), [0] * n_accounts, [0] * n_accounts
    vault, insurance, rewards, F = sum(deposits), 0, 0, 0
    for _ in range(n_blocks):
        F += rng.randrange(-50, 51)                       # the funding index moves each block
        for _ in range(rng.randrange(0, 4)):              # trades settle their accounts first
            i, j = rng.sample(range(n_accounts), 2)
            for k in (i, j):
                cash[k] -= pos[k] * (F - fa[k])
                fa[k] = F
            q, p = rng.randrange(1, 200), rng.randrange(9_000, 11_000)
            fee = q * p * 5 // 10_000
            pos[i], pos[j] = pos[i] + q, pos[j] - q       # i buys q lots from j
            cash[i] -= q * p + fee
            cash[j] += q * p - fee
            insurance += fee                              # a share of the fees to the fund,
            rewards += fee                                # the rest to validators
        assert sum(pos) == 0
    M = rng.randrange(5_000, 15_000)
    openings = [Opening(cash=c, position=p, funding=f, blinding=rng.randrange(2**64))
                for c, p, f in zip(cash, pos, fa)]
    return openings, F, M, vault, insurance, rewards


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 2**32), st.integers(2, 12), st.integers(1, 30))
def test_exits_add_up_to_the_vault_less_fund_and_rewards(seed, n_accounts, n_blocks):
    openings, F, M, vault, insurance, rewards = simulate(seed, n_accounts, n_blocks)
    equities = [equity(o, M, F) for o in openings]
    bad_debt = sum(-q for q in equities if q < 0)
    exits = [exit_amount(o, M, F) for o in openings]
    assert sum(equities) == vault - insurance - rewards       # positions and funding net out
    assert sum(exits) == vault - insurance - rewards + bad_debt
    if bad_debt <= insurance:                                 # the fund covers the deficits:
        left = vault - sum(exits)                             # the vault pays every exit and
        assert left == insurance - bad_debt + rewards         # keeps the fund's rest and rewards
        assert left >= rewards


def test_a_market_with_an_account_under_water():
    openings, F, M = [Opening(-9_000, 1, 0, 1), Opening(9_500, -1, 0, 2)], 0, 8_000
    vault, insurance = 600, 100                                # 500 deposited + 100 of fees
    exits = [exit_amount(o, M, F) for o in openings]
    assert exits == [0, 1_500]                                 # −1,000 floors at 0
    assert sum(equity(o, M, F) for o in openings) == vault - insurance
    assert vault - sum(exits) == -900                          # 1,000 bad debt > the fund: short
