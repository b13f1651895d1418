"""A small, straightforward native settlement for the circuit tests (independent of ledger).

``settle`` fills orders at a GIVEN clearing price P by the spec's rules
(R1–R5: in-the-money orders in full, the long side's at-P orders pro rata with
the remainder lots to the earliest slots), applies funding, fills, fees,
deposits/withdrawals and liquidations (closing order at the band edge, penalty,
deficit) to the accounts (A1) and returns a ``BatchWitness`` padded to the
circuit's slots.  It checks neither the band (R6), the fair price (R7) nor
margins (A2), and fills may be overridden, so the tests can also build
witnesses that break a rule.
"""

from collections import namedtuple

import hashlib

import pytest

from circuits import UnsatisfiedError
from circuits.settlement_data import AccountState, BatchWitness, MarketParams, OrderOpening
from verifier.fields import R_MOD

PARAMS = MarketParams(market_id=7, im_bps=1000, mm_bps=500, fee_bps=10, band_bps=500)
PERP = MarketParams(7, im_bps=1000, mm_bps=500, fee_bps=10, band_bps=500, liquidation_bps=100,
                    insurance_bps=2000)


def _rand(*tag) -> int:
    """Deterministic 'random' value for blindings (reproducible tests)."""
    return int.from_bytes(hashlib.sha256(repr(tag).encode()).digest(), "big")


def order(account, side, price, size, nonce=0, market=None) -> OrderOpening:
    from circuits.babyjub import L
    return OrderOpening(account=account, market=PARAMS.market_id if market is None else market,
                        side=side, price=price, size=size, nonce=nonce,
                        rho=_rand("rho", account, side, price, size, nonce) % L)


def account(ident, cash, position=0, tag=0, funding=0) -> AccountState:
    return AccountState(ident, cash, position, _rand("blinding", ident, tag) % R_MOD, funding)


Close = namedtuple("Close", "account side price size")


def closing(a, M, params=PARAMS):
    """The liquidation order of AccountState ``a`` at mark M (limit at the band edge)."""
    delta = params.band_bps * M // 10_000
    if a.position > 0:
        return Close(a.account, "sell", M - delta, a.position)
    return Close(a.account, "buy", M + delta, -a.position)


def fills_at(orders, P):
    """(V, fills) at price P by R1–R5 (orders: OrderOpening or None)."""
    fills = [0] * len(orders)
    live = [(j, o) for j, o in enumerate(orders) if o is not None]
    good = {"buy": [(j, o) for j, o in live if o.side == "buy" and o.price >= P],
            "sell": [(j, o) for j, o in live if o.side == "sell" and o.price <= P]}
    V = min(sum(o.size for _, o in good[s]) for s in good)
    for s, side_orders in good.items():
        at = [(j, o) for j, o in side_orders if o.price == P]
        for j, o in side_orders:
            if o.price != P:
                fills[j] = o.size                                   # strictly in the money
        rest = V - sum(o.size for j, o in side_orders if o.price != P)
        sp = sum(o.size for _, o in at)
        if sp:
            floors = [o.size * rest // sp for _, o in at]
            left = rest - sum(floors)
            for i, (j, _) in enumerate(at):
                fills[j] = floors[i] + (1 if i < left else 0)
    return V, fills


def new_states(orders, fills, accounts, P, params=PARAMS, tag=1, M=None, F=0, liquidate=(),
               closing_fills=(), deposits=None, withdrawals=None):
    """(accounts after funding, fills, fees, flows and liquidation penalties with fresh
    blindings, penalties, deficits); None stays None."""
    out, pens, defs = [], 0, 0
    for k, a in enumerate(accounts):
        if a is None:
            out.append(None)
            continue
        cash = a.cash - a.position * (F - a.funding_index)
        dpos = fees = 0
        for o, f in zip(orders, fills):
            if o is not None and o.account == a.account:
                dpos += f if o.side == "buy" else -f
                fees += f * P * params.fee_bps // 10_000
        cf = closing_fills[k] if k < len(closing_fills) else 0
        cf = cf if a.position < 0 else -cf
        dpos += cf
        cash += -dpos * P - fees + (deposits or {}).get(k, 0) - (withdrawals or {}).get(k, 0)
        pos = a.position + dpos
        if k in liquidate:
            e = cash + pos * M
            pen = min(params.liquidation_bps * abs(cf) * P // 10_000, max(e, 0))
            dfc = max(-e, 0) if pos == 0 else 0          # only a position closed in full
            cash += dfc - pen
            pens, defs = pens + pen, defs + dfc
        out.append(account(a.account, cash, pos, tag=(tag, a.blinding), funding=F))
    return out, pens, defs


def settle(orders, accounts, P, M, params=PARAMS, fills=None, volume=None, height=1,
           slots=(4, 4), F=0, liquidate=(), deposits=None, withdrawals=None, reduce_only=0,
           insurance_old=0, closing_fills=None, **totals) -> BatchWitness:
    """A BatchWitness at price P (fills by the rules unless given), padded to ``slots``.
    ``liquidate`` holds account slot indices; their closing orders join the auction."""
    closes = [closing(accounts[k], M, params) if k in liquidate else None
              for k in range(len(accounts))]
    V, rule_fills = fills_at(list(orders) + closes, P)
    fills = rule_fills[:len(orders)] if fills is None else fills
    if closing_fills is None:
        closing_fills = rule_fills[len(orders):]
    V = V if volume is None else volume
    new, pens, defs = new_states(orders, fills, accounts, P, params, M=M, F=F,
                                 liquidate=liquidate, closing_fills=closing_fills,
                                 deposits=deposits, withdrawals=withdrawals)
    K = len(accounts)
    w = BatchWitness(params, height, M, P, V, list(orders), list(fills), list(accounts), new,
                     funding_index=F, reduce_only=reduce_only,
                     liquidate=[int(k in liquidate) for k in range(K)],
                     deposits=[(deposits or {}).get(k, 0) for k in range(K)],
                     withdrawals=[(withdrawals or {}).get(k, 0) for k in range(K)],
                     closing_fills=list(closing_fills), insurance_old=insurance_old,
                     **{"penalties": pens, "deficits": defs, **totals})
    return w.padded(*slots)


def base_batch(**kw) -> BatchWitness:
    """The reference 4 × 4 batch: buys are the long side and are rationed at P = 100.

    D(100) = 5 + 6 + 3 = 14, S(100) = 9, V = 9; ITM buy 5 in full, R = 4 over
    S_P = 9: ⌊6·4/9⌋ = 2, ⌊3·4/9⌋ = 1, one remainder lot to slot 1 → fills 5, 3, 1, 9.
    """
    orders = [order(1, "buy", 102, 5), order(2, "buy", 100, 6), order(4, "buy", 100, 3),
              order(3, "sell", 99, 9)]
    accounts = [account(1, 10**7), account(2, 10**7), account(3, 10**7, 5), account(4, 10**7)]
    return settle(orders, accounts, P=100, M=101, **kw)


def check(sc, asg):
    """Solve and check with the compiled system the fixture keeps in ``sc.cs``."""
    return sc.check(asg, sc.cs)


def refuses(sc, asg, label):
    """The circuit refuses ``asg`` and the first failing gate carries ``label`` (a prefix)."""
    with pytest.raises(UnsatisfiedError, match=r"\(" + label):
        check(sc, asg)


def assert_valid(sc, w):
    wit = check(sc, sc.assignment(w))
    assert sc.public_values(wit) == [x % R_MOD for x in w.public_inputs()]


def liquidation(cash=-940, F=3, insurance_old=1000, **kw):
    """Account 1: long 10, cash −940; at M = 100 its equity is 60 ≥ 50 (maintenance) before
    funding and 30 after paying 10·(F − 0) = 30 with F = 3: liquidatable.  Its closing order
    sells 10 at the band edge 95; account 2 buys 10 at 100 (P = M = 100, the fair price)."""
    orders = kw.pop("orders", [order(2, "buy", 100, 10)])
    accounts = kw.pop("accounts", [account(1, cash, 10), account(2, 10**6)])
    return settle(orders, accounts, P=kw.pop("P", 100), M=100, params=PERP, F=F,
                  liquidate=kw.pop("liquidate", (0,)), insurance_old=insurance_old, **kw)
