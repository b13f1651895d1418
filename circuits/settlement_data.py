"""Data of a batch settlement: market parameters, order openings, account states, the witness.

These plain frozen dataclasses are the contract between the operator's matching
engine (``ledger.matching``, which fills them in) and the batch-settlement
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
  Poseidon(account, cash + 2^80, position + 2^40, blinding) — the signed values
  enter after their offsets, so every input is a non-negative integer below r.

``BatchWitness`` holds one batch for N order slots and K account slots
(N = len(orders) = len(fills), K = len(old_accounts) = len(new_accounts));
``None`` marks an inactive slot (its fill is 0; old and new account slots are
inactive together and an active pair has the same account id).  Only shapes
and ranges are checked here — the matching rules (R1–R6, A1, A2) are the
circuit's and the engine's business, so a witness that breaks them can still
be built (and is then refused by the circuit).  ``public_inputs()`` lists the
public inputs in the circuit's order:

    market_id, height, P, M, V, im_bps, mm_bps, fee_bps, band_bps,
    per order slot j:   active_j, account_j, Cx_j, Cy_j
    per account slot k: active_k, account_k, old_commitment_k, new_commitment_k

(inactive slots: active = 0 and the other three fields 0).
"""

from dataclasses import dataclass

from verifier.fields import R_MOD

from . import babyjub, pedersen, poseidon

__all__ = [
    "MarketParams", "OrderOpening", "AccountState", "BatchWitness",
    "PRICE_BITS", "SIZE_BITS", "CASH_BITS", "POSITION_BITS", "ACCOUNT_BITS", "MARKET_BITS",
    "NONCE_BITS", "HEIGHT_BITS", "BPS", "CASH_OFFSET", "POSITION_OFFSET", "SIDES",
    "GLOBALS", "ORDER_PUBLIC", "ACCOUNT_PUBLIC", "n_public_inputs",
]

PRICE_BITS = 32
SIZE_BITS = 32
CASH_BITS = 81          # |cash| < 2^80: offset 2^80, range 2^81
POSITION_BITS = 41      # |position| < 2^40: offset 2^40, range 2^41
ACCOUNT_BITS = pedersen.WIDTHS["account"]
MARKET_BITS = pedersen.WIDTHS["market"]
NONCE_BITS = pedersen.WIDTHS["nonce"]
HEIGHT_BITS = 64
BPS = 10_000
CASH_OFFSET = 1 << (CASH_BITS - 1)
POSITION_OFFSET = 1 << (POSITION_BITS - 1)
SIDES = ("buy", "sell")

#: The public-input layout, the one definition the circuit, ``BatchWitness.public_inputs`` and
#: the ledger's block parser share: the batch header, then 4 inputs per order slot, then 4 per
#: account slot (inactive slots all zero).
GLOBALS = ("market_id", "height", "P", "M", "V", "im_bps", "mm_bps", "fee_bps", "band_bps")
ORDER_PUBLIC = ("active", "account", "cx", "cy")
ACCOUNT_PUBLIC = ("active", "id", "old", "new")


def n_public_inputs(n_orders: int, n_accounts: int) -> int:
    """Public inputs of an N × K batch."""
    return len(GLOBALS) + len(ORDER_PUBLIC) * n_orders + len(ACCOUNT_PUBLIC) * n_accounts


def _int(name, value, lo, hi):
    """``value`` if it is an int with lo ≤ value < hi, else a one-line ValueError."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(f"{name} must be an integer, not {type(value).__name__}")
    if not lo <= value < hi:
        raise ValueError(f"{name} = {value} out of range [{lo}, {hi})")
    return value


@dataclass(frozen=True)
class MarketParams:
    """A market's id and its rates in basis points (initial/maintenance margin, fee, price band)."""

    market_id: int
    im_bps: int
    mm_bps: int
    fee_bps: int
    band_bps: int

    def __post_init__(self):
        _int("market_id", self.market_id, 0, 1 << MARKET_BITS)
        for name in ("im_bps", "mm_bps", "fee_bps", "band_bps"):
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
    """An account's cash and position, hidden behind a Poseidon commitment with ``blinding``."""

    account: int
    cash: int
    position: int
    blinding: int

    def __post_init__(self):
        _int("account", self.account, 0, 1 << ACCOUNT_BITS)
        _int("cash", self.cash, -CASH_OFFSET + 1, CASH_OFFSET)
        _int("position", self.position, -POSITION_OFFSET + 1, POSITION_OFFSET)
        _int("blinding", self.blinding, 0, R_MOD)

    def commitment(self) -> int:
        """Poseidon(account, cash + 2^80, position + 2^40, blinding)."""
        return poseidon.hash([self.account, self.cash + CASH_OFFSET,
                              self.position + POSITION_OFFSET, self.blinding])


@dataclass(frozen=True)
class BatchWitness:
    """One batch: prices, volume, N order slots with fills, K account slots before/after."""

    params: MarketParams
    height: int
    mark_price: int
    price: int
    volume: int
    orders: list
    fills: list
    old_accounts: list
    new_accounts: list

    def __post_init__(self):
        if not isinstance(self.params, MarketParams):
            raise ValueError("params must be a MarketParams")
        _int("height", self.height, 0, 1 << HEIGHT_BITS)
        _int("mark_price", self.mark_price, 1, 1 << PRICE_BITS)
        _int("price", self.price, 1, 1 << PRICE_BITS)
        _int("volume", self.volume, 0, 1 << SIZE_BITS)
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
                            list(self.new_accounts) + [None] * pa)

    def public_inputs(self) -> list:
        """The circuit's public inputs, in its order (see the module docstring)."""
        p = self.params
        out = [p.market_id, self.height, self.price, self.mark_price, self.volume,
               p.im_bps, p.mm_bps, p.fee_bps, p.band_bps]
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
        return out
