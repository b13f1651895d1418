"""Data of a batch settlement: market parameters, order openings, account states, the witness.

These plain frozen dataclasses are the contract between the operator's matching
engine (``ledger.exchange.matching``, which fills them in) and the batch-settlement
circuit (``circuits.settlement``, which proves them).  The units and ranges are
those of docs/design.md §Statement; every constructor checks them
and answers a bad value with a one-line ``ValueError`` naming the field:

    price, mark price      ticks, 1 ≤ · < 2^32
    size                   lots,  1 ≤ · < 2^32      (an order's size)
    fill, volume           lots,  0 ≤ · < 2^32
    cash                   quote units, signed, |cash| < 2^80
    position               lots, signed, |position| < 2^40
    im/mm/fee/band_bps     basis points, 0 ≤ · ≤ 10 000, im_bps ≥ mm_bps
    account                0 ≤ · < 2^40,  market 0 ≤ · < 2^16,  nonce 0 ≤ · < 2^64
    rho                    Pedersen blinding, 0 ≤ ρ < l (Baby Jubjub subgroup order)
    blinding               Poseidon blinding, a field element 0 ≤ · < r
    height                 0 ≤ · < 2^64

Commitments:

* order: ``OrderOpening.commitment()`` = ``pedersen.commit_with(ρ, account, market,
  side, price, size, nonce)``, the Baby Jubjub point C = m·G + ρ·H as (x, y);
* account state: ``AccountState.commitment()`` =
  Poseidon(account, cash + 2^80, position + 2^40 + 2^41·F_a, blinding) with F_a the
  account's last funding index (|F_a| < 2^47, so the third input is an integer in
  (−2^88, 2^88), taken mod r): position and F_a share one input, which keeps the
  hash at width 5 (a sixth input would cost 214 rows per hash, two per account
  slot); the packing is injective because the circuit range-checks position + 2^40
  to [0, 2^41) and F_a + 2^47 to [0, 2^48).  With F_a = 0 the formula is the one
  of the spot-only settlement, so states made before funding existed keep their
  commitments.

Perpetual-market values (docs/perpetual.md): funding index F (quote units per lot,
signed, |F| < 2^47), per account slot a liquidation flag and deposit/withdrawal
amounts (0 ≤ · < 2^64), the closing fill of a liquidated account, the batch's
total fee, penalties, deficits, insurance shortfall and the insurance fund's old
and new balances (0 ≤ · < 2^80).  Every one defaults to the value that makes the
batch the spot-only settlement (F = 0, nothing liquidated, no flows, fund 0).
A batch of K account slots liquidates at most ``liquidation_slots(K)`` =
min(K, ``LIQUIDATION_SLOTS``) accounts: the circuit's liquidation slots.

``BatchWitness`` holds one batch for N order slots and K account slots
(N = len(orders) = len(fills), K = len(old_accounts) = len(new_accounts));
``None`` marks an inactive slot (its fill is 0; old and new account slots are
inactive together and an active pair has the same account id).  Only shapes
and ranges are checked here — the matching rules (R1–R6, A1, A2) are the
circuit's and the engine's business, so a witness that breaks them can still
be built (and is then refused by the circuit).  ``public_inputs()`` lists the
public inputs in the circuit's order, ``public_names(N, K)`` their names:

    GLOBALS                          (market_id, height, P, M, V, the rates, …)
    per order slot j:   ORDER_PUBLIC    active, account, Cx, Cy
    per account slot k: ACCOUNT_PUBLIC  active, id, old commitment, new commitment
    per account slot k: ACCOUNT_FLOW    liquidate, deposit, withdraw

(inactive slots: every field 0).  ``funding_index`` is published as F + 2^47.
"""

from dataclasses import dataclass

from verifier.fields import R_MOD

from . import babyjub, pedersen, poseidon

__all__ = [
    "MarketParams", "OrderOpening", "AccountState", "BatchWitness",
    "PRICE_BITS", "SIZE_BITS", "CASH_BITS", "POSITION_BITS", "POSITION_CAP_BITS",
    "ACCOUNT_BITS", "MARKET_BITS",
    "NONCE_BITS", "HEIGHT_BITS", "BPS", "CASH_OFFSET", "POSITION_OFFSET", "SIDES",
    "GLOBALS", "ORDER_PUBLIC", "ACCOUNT_PUBLIC", "ACCOUNT_FLOW", "n_public_inputs",
    "public_names", "FUNDING_BITS", "FUNDING_OFFSET", "FLOW_BITS", "INSURANCE_BITS",
    "PACK_SHIFT", "packed_position", "fee_of", "insurance_fee", "LIQUIDATION_SLOTS",
    "liquidation_slots",
]

PRICE_BITS = 32
SIZE_BITS = 32
CASH_BITS = 81          # |cash| < 2^80: offset 2^80, range 2^81
POSITION_BITS = 41      # |position| < 2^40: offset 2^40, range 2^41 (the commitment's packing)
#: every new state's |position| < 2^32 (sign_abs width): a position's closing order and the
#: batch volume that fills it must stay below 2^32 lots, so a larger one could never be closed
POSITION_CAP_BITS = 33
ACCOUNT_BITS = pedersen.WIDTHS["account"]
MARKET_BITS = pedersen.WIDTHS["market"]
NONCE_BITS = pedersen.WIDTHS["nonce"]
HEIGHT_BITS = 64
BPS = 10_000
CASH_OFFSET = 1 << (CASH_BITS - 1)
POSITION_OFFSET = 1 << (POSITION_BITS - 1)
SIDES = ("buy", "sell")
FUNDING_BITS = 48       # |F| < 2^47: offset 2^47, range 2^48
FUNDING_OFFSET = 1 << (FUNDING_BITS - 1)
FLOW_BITS = 64          # deposit, withdraw < 2^64
INSURANCE_BITS = 80     # insurance fund, shortfall < 2^80
PACK_SHIFT = POSITION_BITS     # position + 2^40 + 2^41·F_a
#: At most this many accounts are liquidated in one batch: the circuit proves the liquidation
#: rules (below maintenance, closing order, penalty) in this many liquidation slots, each
#: pointing to one account slot, not in every account slot (docs/perpetual.md).
LIQUIDATION_SLOTS = 4


def liquidation_slots(n_accounts: int) -> int:
    """The liquidation slots of a circuit with ``n_accounts`` account slots."""
    return min(n_accounts, LIQUIDATION_SLOTS)

#: The public-input layout, the one definition the circuit, ``BatchWitness.public_inputs`` and
#: the ledger's block parser share: the batch header, then 4 inputs per order slot, then 4 per
#: account slot, then 3 flow inputs per account slot (inactive slots all zero).  The spot-only
#: header (the first nine) and the slot groups keep their places.
GLOBALS = ("market_id", "height", "P", "M", "V", "im_bps", "mm_bps", "fee_bps", "band_bps",
           "liquidation_bps", "insurance_bps", "reduce_only", "funding_index", "fee_total",
           "penalties", "deficits", "shortfall", "insurance_old", "insurance_new")
ORDER_PUBLIC = ("active", "account", "cx", "cy")
ACCOUNT_PUBLIC = ("active", "id", "old", "new")
ACCOUNT_FLOW = ("liquidate", "deposit", "withdraw")


def n_public_inputs(n_orders: int, n_accounts: int) -> int:
    """Public inputs of an N × K batch."""
    return (len(GLOBALS) + len(ORDER_PUBLIC) * n_orders
            + (len(ACCOUNT_PUBLIC) + len(ACCOUNT_FLOW)) * n_accounts)


def public_names(n_orders: int, n_accounts: int) -> tuple:
    """The names of an N × K batch's public inputs, in order ("order3.cx", "account1.deposit")."""
    return (GLOBALS + tuple(f"order{j}.{n}" for j in range(n_orders) for n in ORDER_PUBLIC)
            + tuple(f"account{k}.{n}" for k in range(n_accounts) for n in ACCOUNT_PUBLIC)
            + tuple(f"account{k}.{n}" for k in range(n_accounts) for n in ACCOUNT_FLOW))


def packed_position(position: int, funding_index: int) -> int:
    """The commitment's third input: position + 2^40 + 2^41·F_a, mod r."""
    return (position + POSITION_OFFSET + (funding_index << PACK_SHIFT)) % R_MOD


def fee_of(fill: int, price: int, fee_bps: int) -> int:
    """⌊fill·price·fee_bps / 10⁴⌋: the fee of one fill (both sides pay)."""
    return fill * price * fee_bps // BPS


def insurance_fee(fee_total: int, insurance_bps: int) -> int:
    """The insurance fund's share of a batch's fees, ⌊fee_total·insurance_bps / 10⁴⌋."""
    return fee_total * insurance_bps // BPS


def _int(name, value, lo, hi):
    """``value`` if it is an int with lo ≤ value < hi, else a one-line ValueError."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer, not {type(value).__name__}")
    if not lo <= value < hi:
        raise ValueError(f"{name} = {value} out of range [{lo}, {hi})")
    return value


@dataclass(frozen=True)
class MarketParams:
    """A market's id and its rates in basis points (initial/maintenance margin, fee, price band,
    liquidation penalty, the insurance fund's share of the fees)."""

    market_id: int
    im_bps: int
    mm_bps: int
    fee_bps: int
    band_bps: int
    liquidation_bps: int = 0
    insurance_bps: int = 0

    def __post_init__(self):
        _int("market_id", self.market_id, 0, 1 << MARKET_BITS)
        for name in ("im_bps", "mm_bps", "fee_bps", "band_bps", "liquidation_bps",
                     "insurance_bps"):
            _int(name, getattr(self, name), 0, BPS + 1)
        if self.im_bps < self.mm_bps:
            raise ValueError(f"im_bps = {self.im_bps} is below mm_bps = {self.mm_bps}")


@dataclass(frozen=True)
class OrderOpening:
    """What a trader sends the operator: the order's fields and the Pedersen blinding ρ."""

    account: int
    market: int
    side: str
    price: int
    size: int
    nonce: int
    rho: int

    def __post_init__(self):
        _int("account", self.account, 0, 1 << ACCOUNT_BITS)
        _int("market", self.market, 0, 1 << MARKET_BITS)
        if self.side not in SIDES:
            raise ValueError(f"side must be 'buy' or 'sell', not {self.side!r}")
        _int("price", self.price, 1, 1 << PRICE_BITS)
        _int("size", self.size, 1, 1 << SIZE_BITS)
        _int("nonce", self.nonce, 0, 1 << NONCE_BITS)
        _int("rho", self.rho, 0, babyjub.L)

    @property
    def is_buy(self) -> bool:
        return self.side == "buy"

    def commitment(self):
        """The Pedersen commitment C = m·G + ρ·H as a pair (x, y)."""
        return pedersen.commit_with(self.rho, account=self.account, market=self.market,
                                    side=self.side, price=self.price, size=self.size,
                                    nonce=self.nonce)


@dataclass(frozen=True)
class AccountState:
    """An account's cash, position and last funding index F_a, hidden behind a Poseidon
    commitment with ``blinding``."""

    account: int
    cash: int
    position: int
    blinding: int
    funding_index: int = 0

    def __post_init__(self):
        _int("account", self.account, 0, 1 << ACCOUNT_BITS)
        _int("cash", self.cash, -CASH_OFFSET + 1, CASH_OFFSET)
        _int("position", self.position, -POSITION_OFFSET + 1, POSITION_OFFSET)
        _int("blinding", self.blinding, 0, R_MOD)
        _int("funding_index", self.funding_index, -FUNDING_OFFSET, FUNDING_OFFSET)

    def commitment(self) -> int:
        """Poseidon(account, cash + 2^80, position + 2^40 + 2^41·F_a, blinding)."""
        return poseidon.hash([self.account, self.cash + CASH_OFFSET,
                              packed_position(self.position, self.funding_index),
                              self.blinding])


_PER_SLOT = ("liquidate", "deposits", "withdrawals", "closing_fills")
_TOTALS = ("fee_total", "penalties", "deficits", "shortfall", "insurance_old", "insurance_new")


@dataclass(frozen=True)
class BatchWitness:
    """One batch: prices, volume, N order slots with fills, K account slots before/after, and
    the perpetual-market values (module docstring); ``None`` = the spot-only default."""

    params: MarketParams
    height: int
    mark_price: int
    price: int
    volume: int
    orders: list
    fills: list
    old_accounts: list
    new_accounts: list
    funding_index: int = 0
    reduce_only: int = 0
    liquidate: list = None          # per account slot: 1 = liquidated in this batch
    deposits: list = None           # per account slot, quote units
    withdrawals: list = None        # per account slot, quote units
    closing_fills: list = None      # per account slot: the liquidation order's fill
    fee_total: int = None           # default Σ fee_of(fill, P, fee_bps)
    penalties: int = 0
    deficits: int = 0
    shortfall: int = 0
    insurance_old: int = 0
    insurance_new: int = None       # default old + penalties − deficits + fee share + shortfall

    def __post_init__(self):
        if not isinstance(self.params, MarketParams):
            raise ValueError("params must be a MarketParams")
        _int("height", self.height, 0, 1 << HEIGHT_BITS)
        _int("mark_price", self.mark_price, 1, 1 << PRICE_BITS)
        _int("price", self.price, 1, 1 << PRICE_BITS)
        _int("volume", self.volume, 0, 1 << SIZE_BITS)
        _int("funding_index", self.funding_index, -FUNDING_OFFSET, FUNDING_OFFSET)
        _int("reduce_only", int(self.reduce_only) if isinstance(self.reduce_only, bool)
             else self.reduce_only, 0, 2)
        for name in ("orders", "fills", "old_accounts", "new_accounts"):
            if not isinstance(getattr(self, name), (list, tuple)):
                raise ValueError(f"{name} must be a list")
        if len(self.fills) != len(self.orders):
            raise ValueError(f"fills has {len(self.fills)} entries for {len(self.orders)} "
                             "order slots")
        if len(self.new_accounts) != len(self.old_accounts):
            raise ValueError(f"new_accounts has {len(self.new_accounts)} entries for "
                             f"{len(self.old_accounts)} account slots")
        for j, (order, fill) in enumerate(zip(self.orders, self.fills)):
            if order is not None and not isinstance(order, OrderOpening):
                raise ValueError(f"orders[{j}] must be an OrderOpening or None")
            _int(f"fills[{j}]", fill, 0, 1 << SIZE_BITS)
            if order is None and fill:
                raise ValueError(f"fills[{j}] = {fill} for an inactive order slot")
        for k, (old, new) in enumerate(zip(self.old_accounts, self.new_accounts)):
            if (old is None) != (new is None):
                raise ValueError(f"account slot {k}: old and new must both be set or both None")
            if old is None:
                continue
            if not isinstance(old, AccountState) or not isinstance(new, AccountState):
                raise ValueError(f"account slot {k} must hold AccountState values")
            if old.account != new.account:
                raise ValueError(f"account slot {k}: new state is for account {new.account}, "
                                 f"old for {old.account}")
        self._per_slot()
        self._totals()

    def _per_slot(self):
        bounds = {"liquidate": 2, "deposits": 1 << FLOW_BITS, "withdrawals": 1 << FLOW_BITS,
                  "closing_fills": 1 << SIZE_BITS}
        for name in _PER_SLOT:
            value = getattr(self, name)
            if value is None:
                value = [0] * self.n_accounts
            if not isinstance(value, (list, tuple)) or len(value) != self.n_accounts:
                raise ValueError(f"{name} must be a list with one entry per account slot")
            value = [int(v) if isinstance(v, bool) else v for v in value]
            for k, v in enumerate(value):
                _int(f"{name}[{k}]", v, 0, bounds[name])
                if v and self.old_accounts[k] is None:
                    raise ValueError(f"{name}[{k}] = {v} for an inactive account slot")
            object.__setattr__(self, name, list(value))
        most = liquidation_slots(self.n_accounts)
        if sum(self.liquidate) > most:
            raise ValueError(f"liquidate flags {sum(self.liquidate)} accounts: a batch of "
                             f"{self.n_accounts} account slots liquidates at most {most}")

    def _totals(self):
        if self.fee_total is None:
            fee = sum(fee_of(f, self.price, self.params.fee_bps) for f in self.fills)
            object.__setattr__(self, "fee_total", fee)
        for name in ("fee_total", "penalties", "deficits", "shortfall", "insurance_old"):
            _int(name, getattr(self, name), 0, 1 << INSURANCE_BITS)
        if self.insurance_new is None:
            new = (self.insurance_old + self.penalties - self.deficits + self.shortfall
                   + insurance_fee(self.fee_total, self.params.insurance_bps))
            object.__setattr__(self, "insurance_new", new)
        _int("insurance_new", self.insurance_new, 0, 1 << INSURANCE_BITS)

    @property
    def n_orders(self) -> int:
        return len(self.orders)

    @property
    def n_accounts(self) -> int:
        return len(self.old_accounts)

    def padded(self, n_orders: int, n_accounts: int) -> "BatchWitness":
        """The same batch with inactive slots appended up to the circuit's sizes."""
        if n_orders < self.n_orders or n_accounts < self.n_accounts:
            raise ValueError(f"batch of {self.n_orders} orders / {self.n_accounts} accounts "
                             f"does not fit {n_orders} × {n_accounts} slots")
        po, pa = n_orders - self.n_orders, n_accounts - self.n_accounts
        return BatchWitness(self.params, self.height, self.mark_price, self.price, self.volume,
                            list(self.orders) + [None] * po, list(self.fills) + [0] * po,
                            list(self.old_accounts) + [None] * pa,
                            list(self.new_accounts) + [None] * pa, self.funding_index,
                            self.reduce_only,
                            *(list(getattr(self, n)) + [0] * pa for n in _PER_SLOT),
                            **{n: getattr(self, n) for n in _TOTALS})

    def public_inputs(self) -> list:
        """The circuit's public inputs, in its order (see the module docstring)."""
        p = self.params
        out = [p.market_id, self.height, self.price, self.mark_price, self.volume,
               p.im_bps, p.mm_bps, p.fee_bps, p.band_bps, p.liquidation_bps, p.insurance_bps,
               int(self.reduce_only), self.funding_index + FUNDING_OFFSET]
        out += [getattr(self, n) for n in _TOTALS]
        assert len(out) == len(GLOBALS)
        for order in self.orders:
            if order is None:
                out += [0] * len(ORDER_PUBLIC)
            else:
                x, y = order.commitment()
                out += [1, order.account, x, y]
        for old, new in zip(self.old_accounts, self.new_accounts):
            if old is None:
                out += [0] * len(ACCOUNT_PUBLIC)
            else:
                out += [1, old.account, old.commitment(), new.commitment()]
        for k in range(self.n_accounts):
            out += [self.liquidate[k], self.deposits[k], self.withdrawals[k]]
        return out
