"""The native matching engine: one uniform-price call auction per batch
(docs/design.md §Statement).

It computes what the settlement circuit proves (docs/design.md §Statement), in
integers only.  The auction itself — demand D(p), supply S(p), volume V(p), the
clearing price, the fills at it (R1–R7) and the orders that block every
provable price — is ``ledger.exchange.auction``.

**Accounts** (A1, A2, fees): see ``ledger.exchange.margin``.

**Perpetual market** (docs/perpetual.md; keyword arguments, defaults = spot only):
``funding_index`` F (every account in the batch first pays position·(F − F_a));
``liquidate`` (account ids, each must be ``margin.liquidatable``: its orders are
rejected and a closing order — opposite side, |position| lots, limit at the band
edge, ``source=None``, indexed after the input orders in account order — joins
the auction; one that blocks every provable price is postponed); ``reduce_only``
(orders that would grow a position are rejected); ``deposits``/``withdrawals``
(id → amount; a withdrawal that breaks margin is dropped); ``insurance`` (the
fund before the batch).  The result carries penalties, deficits, the fee total
and the fund after it (with a shortfall when it cannot cover the deficits).

**Rejections**, as ``rejected = [(order index, reason)]`` sorted by index:

1. basic checks first: market ≠ params' market, size outside [1, 2^32), price
   outside [1, 2^32), unknown account (``strict=True`` raises ValueError instead);
2. then, repeated until nothing changes: the price rejections
   (``ledger.exchange.auction``); a volume cap
   (V < 2^32, the circuit's range: while V ≥ 2^32 the filled order with the highest
   index is rejected); the margin pre-check — every account with an active order
   must satisfy A2 and the circuit's ranges after the match, and all orders of
   every account that fails are rejected at once (reason "account 7 fails
   maintenance margin" or "… initial margin"); after each, the batch is matched
   again.  Each round rejects at least one order, so this ends.

Malformed input raises a one-line ValueError naming the field: non-integers or
bools, side not "buy"/"sell", negative size, account id or market, params outside
[0, 10⁴] or im_bps < mm_bps, mark price outside [1, 2^32), account states out of
range.  Orders are dicts (market/market_id optional, default 1) or objects with
the ``OrderOpening`` attributes; accounts map id → dict(cash, position[, blinding])
or ``AccountState``; params is a dict (market_id optional, default 1) or
``MarketParams``.  Same input, same output; ``to_witness`` adds fresh blindings.
"""

import secrets
from collections.abc import Mapping
from dataclasses import dataclass

from circuits.settlement_data import (AccountState, BatchWitness, MarketParams, OrderOpening,
                                      liquidation_slots)
from verifier.errors import BadInput
from verifier.fields import R_MOD

from ledger.core.limits import (ACCOUNT_BOUND, CASH_BOUND, FLOW_BOUND, FUNDING_BOUND,
                                INSURANCE_BOUND, POSITION_BOUND, PRICE_BOUND, SIZE_BOUND,
                                check_int)
from ledger.exchange import margin as mg
from ledger.exchange.auction import band_limits, clearing_price, demand, supply
from ledger.exchange.auction import fills as auction_fills
from ledger.exchange.margin import Balance

__all__ = ["match_batch", "to_witness", "MatchResult", "Order", "Balance",
           "band_limits", "PRICE_BOUND", "SIZE_BOUND", "DEFAULT_MARKET"]

DEFAULT_MARKET = 1
SIDES = ("buy", "sell")
_MISSING = object()
_REQUIRED = object()


@dataclass(frozen=True)
class Order:
    """A validated order; ``source`` is what the caller passed (dict or OrderOpening), or
    None for a liquidation's closing order."""
    index: int
    account: int
    market: int
    side: str
    price: int
    size: int
    source: object


@dataclass(frozen=True)
class MatchResult:
    """The batch: P, V, D(P), S(P), per-order fills and fees, rejections, states."""
    price: int
    volume: int
    demand: int                 # D(P) over the active orders
    supply: int                 # S(P) over the active orders
    mark_price: int
    params: MarketParams
    band: tuple                 # (lo, hi): the prices allowed by R6
    orders: list                # Order per input order (aligned with the input)
    fills: list                 # int per input order (0 if rejected)
    fees: list                  # int per input order (0 if rejected)
    rejected: list              # [(order index, reason)], by index
    active: list                # indices of the active orders (= slot order)
    participants: list          # account ids with an active order, ascending
    old_accounts: dict          # id → Balance, every input account
    new_accounts: dict          # id → Balance (unchanged for non-participants)
    account_sources: dict       # id → what the caller passed (for old blindings)
    funding_index: int = 0      # F of this batch (participants settle to it)
    reduce_only: bool = False
    liquidated: tuple = ()      # account ids liquidated in this batch, ascending
    postponed: tuple = ()       # (account id, reason): liquidations left for a later batch
    closing_fills: dict = None  # liquidated id → fill of its closing order
    penalties: dict = None      # liquidated id → penalty to the insurance fund
    deficits: dict = None       # liquidated id → deficit covered by the fund
    deposits: dict = None       # id → deposit credited
    withdrawals: dict = None    # id → withdrawal debited
    fee_total: int = 0
    insurance_old: int = 0
    insurance_new: int = 0
    shortfall: int = 0

    def to_witness(self, height, n_slots, k_slots, **kw):
        """``to_witness(self, …)``: the circuit's BatchWitness (see ``to_witness``)."""
        return to_witness(self, height, n_slots, k_slots, **kw)


# ------------------------------------------------------------------ validation
def _field(obj, name, default=_REQUIRED):
    value = obj.get(name, default) if isinstance(obj, Mapping) else getattr(obj, name, default)
    if value is _REQUIRED:
        raise BadInput(f"missing field {name!r}")
    return value


def _params(params) -> MarketParams:
    try:
        if isinstance(params, MarketParams):
            return params
        dflt = params.get("market", DEFAULT_MARKET) if isinstance(params, Mapping) else _REQUIRED
        vals = {k: _field(params, k) for k in ("im_bps", "mm_bps", "fee_bps", "band_bps")}
        vals.update({k: _field(params, k, 0) for k in ("liquidation_bps", "insurance_bps")})
        return MarketParams(market_id=_field(params, "market_id", dflt), **vals)
    except ValueError as e:
        raise BadInput(f"params: {e}") from None


def _accounts(accounts) -> tuple:
    if isinstance(accounts, (str, bytes)):
        raise BadInput("accounts must map account id → state")
    items = (list(accounts.items()) if isinstance(accounts, Mapping)
             else [(_field(a, "account"), a) for a in accounts])
    balances, sources = {}, {}
    for key, acc in items:
        key = check_int(key, "account id", 0, ACCOUNT_BOUND, text="in [0, 2^40)")
        if key in balances:
            raise BadInput(f"account {key} given twice")
        try:
            if isinstance(acc, AccountState) and acc.account != key:
                raise BadInput(f"state is for account {acc.account}")
            cash = check_int(_field(acc, "cash"), "cash", 1 - CASH_BOUND, CASH_BOUND,
                             text="in (-2^80, 2^80)")
            pos = check_int(_field(acc, "position"), "position", 1 - POSITION_BOUND,
                            POSITION_BOUND, text="in (-2^32, 2^32)")
            fa = check_int(_field(acc, "funding_index", 0), "funding_index", -FUNDING_BOUND,
                           FUNDING_BOUND, text="in [-2^47, 2^47)")
        except ValueError as e:
            raise BadInput(f"account {key}: {e}") from None
        balances[key], sources[key] = Balance(cash=cash, position=pos, funding_index=fa), acc
    return balances, sources


def _order(i, o) -> Order:
    try:
        market = _field(o, "market", _MISSING)
        if isinstance(o, Mapping):
            alt = o.get("market_id", _MISSING)
            if market is not _MISSING and alt is not _MISSING and alt != market:
                raise BadInput("market and market_id differ")
            market = alt if market is _MISSING else market
            market = DEFAULT_MARKET if market is _MISSING else market
        elif market is _MISSING:
            raise BadInput("missing field 'market'")
        side = _field(o, "side")
        if not isinstance(side, str) or side not in SIDES:
            raise BadInput(f"side must be 'buy' or 'sell', not {side!r}")
        return Order(index=i, account=check_int(_field(o, "account"), "account", 0),
                     market=check_int(market, "market", 0), side=side,
                     price=check_int(_field(o, "price"), "price"),
                     size=check_int(_field(o, "size"), "size", 0), source=o)
    except ValueError as e:
        raise BadInput(f"order {i}: {e}") from None


def _basic_reason(o: Order, params: MarketParams, balances) -> str:
    if o.market != params.market_id:
        return f"market {o.market} is not this batch's market {params.market_id}"
    if not 1 <= o.size < SIZE_BOUND:
        return f"size {o.size} out of range: must be in [1, 2^32)"
    if not 1 <= o.price < PRICE_BOUND:
        return f"price {o.price} out of range: must be in [1, 2^32)"
    if o.account not in balances:
        return f"unknown account {o.account}"
    return ""


@dataclass
class _Perp:
    """The batch's perpetual-market inputs (see ``match_batch``)."""
    funding: int
    reduce_only: bool
    liquidate: list             # account ids still to liquidate in this batch
    deposits: dict
    withdrawals: dict
    postponed: dict


def _closing_orders(perp, balances, mark, prm, first_index) -> list:
    """The liquidation orders, indexed after the input orders in ascending account order."""
    out = []
    for rank, acct in enumerate(sorted(perp.liquidate)):
        side, size, limit = mg.closing_order(balances[acct].position, mark, prm.band_bps)
        if size:
            out.append(Order(index=first_index + rank, account=acct, market=prm.market_id,
                             side=side, price=limit, size=size, source=None))
    return out


def _settle(active, fills, balances, price, mark, prm, perp):
    """(new balances, {account: failure}, penalties, deficits) for the batch's accounts."""
    new, failed, pens, defs = dict(balances), {}, {}, {}
    closing = {o.account: o for o in active if o.source is None}
    touched = ({o.account for o in active} | set(perp.liquidate) | set(perp.deposits)
               | set(perp.withdrawals))
    for acct in sorted(touched):
        b = mg.settle_funding(balances[acct], perp.funding)
        signed = [fills[o.index] if o.side == "buy" else -fills[o.index]
                  for o in active if o.account == acct and o.source is not None]
        b = mg.settle(b, signed, price, prm.fee_bps)
        c = closing.get(acct)
        cf = 0 if c is None else (fills[c.index] if c.side == "buy" else -fills[c.index])
        flow = perp.deposits.get(acct, 0) - perp.withdrawals.get(acct, 0)
        b = mg.Balance(b.cash - cf * price + flow, b.position + cf, perp.funding)
        if acct in perp.liquidate:
            pens[acct], defs[acct] = mg.liquidation_outcome(b, mark, abs(cf), price,
                                                           prm.liquidation_bps)
            b = mg.Balance(b.cash - pens[acct] + defs[acct], b.position, perp.funding)
        new[acct] = b
        bad = mg.check_state(b)
        kind = None if acct in perp.liquidate else mg.margin_failure(
            balances[acct].position, b, mark, prm.im_bps, prm.mm_bps)
        if perp.reduce_only and abs(b.position) > abs(balances[acct].position):
            kind = kind or "reduce-only"
        if bad or kind:
            failed[acct] = (f"account {acct}: {bad}" if bad else
                            f"account {acct}: reduce-only market, its position would grow"
                            if kind == "reduce-only" else f"account {acct} fails {kind} margin")
    return new, failed, pens, defs


def _perp_inputs(balances, mark, prm, funding_index, liquidate, reduce_only, deposits,
                 withdrawals) -> _Perp:
    F = check_int(funding_index, "funding_index", -FUNDING_BOUND, FUNDING_BOUND,
                  text="in [-2^47, 2^47)")
    flows = []
    for what, given in (("deposit", deposits), ("withdrawal", withdrawals)):
        flow = {}
        for acct, amount in dict(given or {}).items():
            if acct not in balances:
                raise BadInput(f"{what} for unknown account {acct!r}")
            flow[acct] = check_int(amount, f"{what} of account {acct}", 0, FLOW_BOUND,
                                   text="in [0, 2^64)")
        flows.append({a: v for a, v in flow.items() if v})
    liq = []
    for acct in liquidate:
        if acct not in balances:
            raise BadInput(f"cannot liquidate unknown account {acct!r}")
        if acct in liq:
            raise BadInput(f"account {acct} listed twice for liquidation")
        if not mg.liquidatable(balances[acct], F, mark, prm.mm_bps):
            raise BadInput(f"account {acct} is not below maintenance margin after funding: "
                             "it cannot be liquidated")
        if flows[1].get(acct):
            raise BadInput(f"account {acct} is liquidated and cannot withdraw")
        liq.append(acct)
    return _Perp(F, bool(reduce_only), sorted(liq), flows[0], flows[1], {})


def match_batch(orders, accounts, mark_price, params, *, strict=False, funding_index=0,
                liquidate=(), reduce_only=False, deposits=None, withdrawals=None,
                insurance=0) -> MatchResult:
    """Match one batch of one market; see the module docstring for the rules."""
    prm = _params(params)
    mark = check_int(mark_price, "mark_price", 1, PRICE_BOUND, text="in [1, 2^32)")
    balances, sources = _accounts(accounts)
    insurance = check_int(insurance, "insurance", 0, INSURANCE_BOUND, text="in [0, 2^80)")
    if isinstance(orders, (str, bytes, Mapping)):
        raise BadInput("orders must be a list of orders")
    norm = [_order(i, o) for i, o in enumerate(orders)]
    perp = _perp_inputs(balances, mark, prm, funding_index, liquidate, reduce_only, deposits,
                        withdrawals)
    lo, hi = band_limits(mark, prm.band_bps)
    rejected = {}
    for o in norm:
        why = _basic_reason(o, prm, balances)
        if not why and o.account in perp.liquidate:
            why = f"account {o.account} is being liquidated"
        if why and strict:
            raise BadInput(f"order {o.index}: {why}")
        if why:
            rejected[o.index] = why
    while True:
        closing = _closing_orders(perp, balances, mark, prm, len(norm))
        active = [o for o in norm if o.index not in rejected] + closing
        price, blocked = clearing_price(active, mark, lo, hi)
        for o, why in blocked:
            if o.source is None:             # a liquidation cannot clear now: a later batch
                perp.liquidate.remove(o.account)
                perp.postponed[o.account] = why
            else:
                rejected[o.index] = why
        if blocked:
            continue
        fills = auction_fills(active, price)
        volume = min(demand(active, price), supply(active, price))
        if volume >= SIZE_BOUND:     # V < 2^32: the latest filled order waits for a later batch
            last = max(o.index for o in active if fills[o.index])
            if last >= len(norm):
                acct = next(o.account for o in closing if o.index == last)
                perp.liquidate.remove(acct)
                perp.postponed[acct] = "volume cap"
            else:
                rejected[last] = f"volume cap: the batch volume {volume} reaches 2^32 lots"
            continue
        new, failed, pens, defs = _settle(active, fills, balances, price, mark, prm, perp)
        hit = [o for o in active if o.account in failed and o.source is not None]
        rejected.update((o.index, failed[o.account]) for o in hit)
        if hit:
            continue
        if failed:                           # an account with flows only fails its margin
            acct = min(failed)
            if perp.withdrawals.pop(acct, 0):
                continue
            raise BadInput(f"{failed[acct]}: liquidate it (its deposit alone cannot settle)")
        break
    real = [o for o in active if o.source is not None]
    all_fills = [fills.get(o.index, 0) for o in norm]
    all_fees = [mg.fee(f, price, prm.fee_bps) for f in all_fills]
    fee_total = sum(all_fees)
    ins_new, shortfall = mg.insurance_update(insurance, sum(pens.values()), sum(defs.values()),
                                             fee_total, prm.insurance_bps)
    participants = sorted({o.account for o in active} | set(perp.liquidate)
                          | set(perp.deposits) | set(perp.withdrawals))
    return MatchResult(
        price=price, volume=volume, demand=demand(active, price),
        supply=supply(active, price), mark_price=mark, params=prm, band=(lo, hi),
        orders=norm, fills=all_fills, fees=all_fees, rejected=sorted(rejected.items()),
        active=[o.index for o in real], participants=participants, old_accounts=balances,
        new_accounts=new, account_sources=sources, funding_index=perp.funding,
        reduce_only=perp.reduce_only, liquidated=tuple(perp.liquidate),
        postponed=tuple(sorted(perp.postponed.items())),
        closing_fills={o.account: fills[o.index] for o in closing},
        penalties=pens, deficits=defs, deposits=dict(perp.deposits),
        withdrawals=dict(perp.withdrawals), fee_total=fee_total, insurance_old=insurance,
        insurance_new=ins_new, shortfall=shortfall)


# ------------------------------------------------------------------ the circuit's witness
def _opening(o: Order, given) -> OrderOpening:
    src = o.source if given is None else given
    if isinstance(src, OrderOpening):
        op = src
    else:
        try:
            op = OrderOpening(account=o.account, market=o.market, side=o.side, price=o.price,
                              size=o.size, nonce=_field(src, "nonce"), rho=_field(src, "rho"))
        except ValueError as e:
            raise BadInput(f"order {o.index}: no opening ({e}); pass openings=") from None
    if (op.account, op.market, op.side, op.price, op.size) != (
            o.account, o.market, o.side, o.price, o.size):
        raise BadInput(f"order {o.index}: its opening is for a different order")
    return op


def _blinding(mapping, acct, fallback, what):
    if mapping is not None and acct in mapping:
        value = mapping[acct]
    elif callable(fallback):
        value = fallback()
    else:
        value = _field(fallback, "blinding", None)
        if value is None:
            raise BadInput(f"account {acct}: no {what} blinding; pass old_blindings=")
    return check_int(value, f"account {acct}: {what} blinding", 0, R_MOD, text="in [0, r)")


def to_witness(res: MatchResult, height, n_slots, k_slots, *, openings=None,
               old_blindings=None, new_blindings=None) -> BatchWitness:
    """The circuit's ``BatchWitness`` for a matched batch, N = n_slots, K = k_slots.

    Active orders fill order slots 0, 1, … in index order (the slot order R5's
    remainder lots follow), participants fill account slots in ascending account
    id; the rest are inactive (None, fill 0).  Openings: ``openings[i]`` (a list
    aligned with the orders, or a mapping index → OrderOpening/dict with nonce
    and rho) else the order itself when it is an OrderOpening or carries
    ``nonce`` and ``rho``.  Old blindings: ``old_blindings[id]`` else the given
    AccountState's (or dict's) ``blinding``.  New blindings: ``new_blindings[id]``
    else fresh from ``secrets`` (uniform in [0, r)).
    """
    height = check_int(height, "height", 0, 1 << 64, text="in [0, 2^64)")
    n_slots, k_slots = check_int(n_slots, "n_slots", 1), check_int(k_slots, "k_slots", 1)
    if len(res.active) > n_slots or len(res.participants) > k_slots:
        raise BadInput(f"{len(res.active)} orders / {len(res.participants)} accounts do not "
                         f"fit {n_slots} × {k_slots} slots")
    if len(res.liquidated) > liquidation_slots(k_slots):
        raise BadInput(f"{len(res.liquidated)} liquidations do not fit the "
                       f"{liquidation_slots(k_slots)} liquidation slots of {k_slots} account slots")
    if openings is not None and not isinstance(openings, Mapping):
        openings = dict(enumerate(openings))
    orders = [_opening(res.orders[i], (openings or {}).get(i)) for i in res.active]
    fills = [res.fills[i] for i in res.active]
    old, new = [], []
    for a in res.participants:
        ob = _blinding(old_blindings, a, res.account_sources[a], "old")
        nb = _blinding(new_blindings, a, lambda: secrets.randbelow(R_MOD), "new")
        ob_, nb_ = res.old_accounts[a], res.new_accounts[a]
        old.append(AccountState(account=a, cash=ob_.cash, position=ob_.position, blinding=ob,
                                funding_index=ob_.funding_index))
        new.append(AccountState(account=a, cash=nb_.cash, position=nb_.position, blinding=nb,
                                funding_index=res.funding_index))
    pad_n, pad_k = n_slots - len(orders), k_slots - len(old)
    per_slot = [[int(a in res.liquidated) for a in res.participants],
                [(res.deposits or {}).get(a, 0) for a in res.participants],
                [(res.withdrawals or {}).get(a, 0) for a in res.participants],
                [(res.closing_fills or {}).get(a, 0) for a in res.participants]]
    return BatchWitness(params=res.params, height=height, mark_price=res.mark_price,
                        price=res.price, volume=res.volume, orders=orders + [None] * pad_n,
                        fills=fills + [0] * pad_n, old_accounts=old + [None] * pad_k,
                        new_accounts=new + [None] * pad_k, funding_index=res.funding_index,
                        reduce_only=int(res.reduce_only),
                        liquidate=per_slot[0] + [0] * pad_k, deposits=per_slot[1] + [0] * pad_k,
                        withdrawals=per_slot[2] + [0] * pad_k,
                        closing_fills=per_slot[3] + [0] * pad_k, fee_total=res.fee_total,
                        penalties=sum((res.penalties or {}).values()),
                        deficits=sum((res.deficits or {}).values()), shortfall=res.shortfall,
                        insurance_old=res.insurance_old, insurance_new=res.insurance_new)
