"""The genesis file: the ledger's markets, validators and initial accounts.

JSON (strict, see ``ledger.core.codec``)::

    {"kind": "darkmatch-genesis", "version": 1,
     "chain_id": "darkmatch-dev",                  # [A-Za-z0-9._-]{1,64}
     "markets":    [{"market_id": 0, "im_bps": 1000, "mm_bps": 500, "fee_bps": 10,
                     "band_bps": 500, "mark_price": 100000,
                     "liquidation_bps": 100, "insurance_bps": 5000,      # optional, 0
                     "perp": {"oracle": true, "funding_rate_bps": 100,     # optional
                              "funding_cap_bps": 10, "insurance": 0}}, ...],
     "validators": [{"name": "v0", "stake": 100, "public_key": hex64}, ...],
     "accounts":   [{"account_id": 1, "public_key": hex64, "cash": 1000000,
                     "market_id": 0}, ...],
     "operator":   hex64}                          # optional: the proposer's Ed25519 key

**Operator.**  ``operator`` is the public key of the one party that may propose
blocks (docs/liveness.md): validators refuse a proposal it did not sign, and two
different signed proposals at one height are evidence against it.  A genesis
without it (development chains written before the field existed) accepts
unsigned proposals; the field is written only when set, so such a genesis keeps
its hash.

Rules (each broken one is a one-line ``GenesisError`` naming the entry):
at least one market and one validator; market parameters as
``circuits.settlement_data.MarketParams`` (basis points 0…10 000,
im_bps ≥ mm_bps, market id < 2^16) and an initial mark price 1 ≤ · < 2^32;
validator names [A-Za-z0-9._-]{1,64}, stakes 1 ≤ · < 2^62 (the total must stay
below 2^63, SQLite's integer), names and keys unique; account ids < 2^40 and
unique, cash 0 ≤ · < 2^80 (collateral; positions start at 0), and an optional
``"encryption_key": {"x": dec, "y": dec}``: the Baby Jubjub key the account's
openings are encrypted to in every block (docs/custody.md), a point of the
prime-order subgroup.  Two accounts
may share a key (one trader, several accounts) — the signed order bytes name
the account, so a signature never moves between them.

**Perpetual market** (optional ``perp``, docs/perpetual.md §Ledger rules):
``oracle`` — the mark comes from the validators' observation quorum, not
from the operator; the governed funding rule (``funding_rate_bps``,
``funding_cap_bps``, basis points 0…10 000) and the insurance fund's
initial balance (0 ≤ · < 2^80).  A market without it is a development
market (the operator's mark, bounded by the band; no funding).  The
optional ``liquidation_bps`` and ``insurance_bps`` (the liquidation
penalty, the fund's share of the fees) are omitted from the JSON when 0, so
that geneses written before them keep their hashes.

**One market per account.**  An account's state holds one position
(``AccountState``), so each account trades exactly one market, its
``market_id`` (optional in the file when the genesis has one market; then it
is that market).  The store refuses a block whose account slots name an
account of another market — otherwise a position opened in one market could
be netted against a trade in another and escape its margin.  A trader who
wants several markets holds several accounts (they may share a key).

**Initial account states.**  The ledger stores only account-state commitments
(docs/design.md §Privacy: balances and positions are never public after genesis).  Genesis
cash is public anyway, so the initial state of account a is
``AccountState(a, cash, 0, blinding=0)`` — anyone can recompute its
commitment and the initial state root; the first batch that touches the
account replaces it with a commitment under a fresh random blinding.

**Genesis hash** = SHA-256(b"darkmatch/genesis/v1" ‖ 0x00 ‖ canonical JSON of
the document) as 64 hex digits (``genesis_hash``).  Block 1's parent hash is
the genesis hash, so it names the ledger.  Lists are hashed in file order;
markets, validators and accounts are kept in that order.
"""

import hashlib
from dataclasses import dataclass, replace

from circuits.settlement_data import (
    ACCOUNT_BITS,
    CASH_OFFSET,
    MARKET_BITS,
    PRICE_BITS,
    AccountState,
    MarketParams,
)
from verifier.errors import BadInput
from verifier.fields import R_MOD

from ledger.core import keys
from ledger.core.domains import GENESIS_DOMAIN
from ledger.core.limits import INSURANCE_BOUND, INT64_BOUND, STAKE_BOUND
from ledger.core.codec import (
    CodecError,
    canonical_json,
    check_fields,
    check_object,
    get_decimal,
    get_int,
    get_list,
    get_str,
    load_json_file,
)

__all__ = [
    "Genesis", "GenesisMarket", "GenesisValidator", "GenesisAccount", "GenesisError",
    "genesis_hash", "genesis_from_json", "genesis_to_json", "load_genesis", "GENESIS_KIND",
    "GENESIS_DOMAIN", "MAX_STAKE", "NAME_PATTERN", "PerpConfig",
]

GENESIS_KIND = "darkmatch-genesis"
MAX_STAKE = STAKE_BOUND
NAME_PATTERN = r"[A-Za-z0-9._-]{1,64}"
_MAX_ENTRIES = 1 << 20


class GenesisError(BadInput):
    """An invalid genesis; the message is one line."""


@dataclass(frozen=True)
class PerpConfig:
    """A perpetual market's oracle switch, governed funding rule and initial insurance fund."""
    oracle: bool = True
    funding_rate_bps: int = 0
    funding_cap_bps: int = 0
    insurance: int = 0


@dataclass(frozen=True)
class GenesisMarket:
    params: MarketParams
    mark_price: int
    perp: PerpConfig = None

    def __post_init__(self):
        if not isinstance(self.params, MarketParams):
            raise GenesisError("genesis: a market's params must be a MarketParams")
        if self.perp is not None and not isinstance(self.perp, PerpConfig):
            raise GenesisError("genesis: a market's perp must be a PerpConfig")


@dataclass(frozen=True)
class GenesisValidator:
    name: str
    stake: int
    public_key: str


@dataclass(frozen=True)
class GenesisAccount:
    account_id: int
    public_key: str
    cash: int
    market_id: int = None   #: the one market this account trades (None: the genesis's only market)
    #: the Baby Jubjub key (x, y) its openings are encrypted to (``circuits.encryption``), or None
    encryption_key: tuple = None

    def initial_state(self) -> AccountState:
        """The account's public initial state: its cash, position 0, blinding 0."""
        return AccountState(self.account_id, self.cash, 0, 0)


@dataclass(frozen=True)
class Genesis:
    """A validated genesis; construct it directly or with ``genesis_from_json``."""

    chain_id: str
    markets: tuple
    validators: tuple
    accounts: tuple = ()
    operator: str = None     #: the proposer's public key (hex), or None: unsigned proposals

    def __post_init__(self):
        for name, cls in (("markets", GenesisMarket), ("validators", GenesisValidator),
                          ("accounts", GenesisAccount)):
            entries = tuple(getattr(self, name))
            if not all(isinstance(e, cls) for e in entries):
                raise GenesisError(f"genesis: {name} must hold {cls.__name__} entries")
            object.__setattr__(self, name, entries)
        if len(self.markets) == 1:
            only = self.markets[0].params.market_id
            object.__setattr__(self, "accounts", tuple(
                replace(a, market_id=only) if a.market_id is None else a for a in self.accounts))
        # Round-trip through the strict reader: one set of rules for both paths.
        _validate(genesis_to_json(self))

    def market(self, market_id: int) -> GenesisMarket:
        for m in self.markets:
            if m.params.market_id == market_id:
                return m
        raise GenesisError(f"no market {market_id} in genesis")


def _market_json(m: GenesisMarket) -> dict:
    p = m.params
    out = {"market_id": p.market_id, "im_bps": p.im_bps, "mm_bps": p.mm_bps,
           "fee_bps": p.fee_bps, "band_bps": p.band_bps, "mark_price": m.mark_price}
    for k in _OPTIONAL_BPS:
        if getattr(p, k):
            out[k] = getattr(p, k)
    if m.perp is not None:
        out["perp"] = {"oracle": m.perp.oracle, "funding_rate_bps": m.perp.funding_rate_bps,
                       "funding_cap_bps": m.perp.funding_cap_bps,
                       "insurance": m.perp.insurance}
    return out


_OPTIONAL_BPS = ("liquidation_bps", "insurance_bps")


def _perp(obj, what) -> PerpConfig:
    w = f"{what}: perp"
    check_fields(obj, w, ("oracle", "funding_rate_bps", "funding_cap_bps", "insurance"))
    if not isinstance(obj["oracle"], bool):
        raise GenesisError(f"{w}: oracle must be true or false")
    return PerpConfig(obj["oracle"], get_int(obj, "funding_rate_bps", w, 0, 10_001),
                      get_int(obj, "funding_cap_bps", w, 0, 10_001),
                      get_int(obj, "insurance", w, 0, INSURANCE_BOUND))


def genesis_to_json(g: Genesis) -> dict:
    out = {
        "kind": GENESIS_KIND, "version": 1, "chain_id": g.chain_id,
        "markets": [_market_json(m) for m in g.markets],
        "validators": [{"name": v.name, "stake": v.stake, "public_key": v.public_key}
                       for v in g.validators],
        "accounts": [_account_json(a) for a in g.accounts],
    }
    if g.operator is not None:
        out["operator"] = g.operator
    return out


def _account_json(a: GenesisAccount) -> dict:
    d = {"account_id": a.account_id, "public_key": a.public_key, "cash": a.cash,
         "market_id": a.market_id}
    if a.encryption_key is not None:         # absent when unset: older genesis hashes stay
        d["encryption_key"] = {"x": str(a.encryption_key[0]), "y": str(a.encryption_key[1])}
    return d


def _encryption_key(obj, what):
    """The account's registered encryption key (x, y), or None; checked as the circuit needs."""
    from circuits.encryption import check_public_key
    if "encryption_key" not in obj:
        return None
    k = check_fields(obj["encryption_key"], f"{what}: encryption_key", ("x", "y"))
    xy = tuple(get_decimal(k, c, f"{what}: encryption_key", 0, R_MOD) for c in ("x", "y"))
    try:
        return check_public_key(xy)
    except BadInput as e:
        raise GenesisError(f"{what}: {e}") from None


def _unique(seen: set, value, what: str) -> None:
    if value in seen:
        raise GenesisError(f"genesis: duplicate {what}")
    seen.add(value)


def _validate(obj):
    """(chain_id, markets, validators, accounts) parsed from a genesis JSON object."""
    what = "genesis"
    try:
        check_object(obj, what, GENESIS_KIND, 1, ("chain_id", "markets", "validators", "accounts"),
                     ("operator",))
        operator = None if "operator" not in obj else _key(obj, "genesis: operator",
                                                           field="operator")
        chain_id = get_str(obj, "chain_id", what, NAME_PATTERN)
        markets, validators, accounts = [], [], []
        seen = set()
        for i, m in enumerate(get_list(obj, "markets", what, 1 << MARKET_BITS)):
            w = f"genesis: markets[{i}]"
            check_fields(m, w, ("market_id", "im_bps", "mm_bps", "fee_bps", "band_bps",
                                "mark_price"), (*_OPTIONAL_BPS, "perp"))
            vals = {k: get_int(m, k, w, 0, INT64_BOUND) for k in
                    ("market_id", "im_bps", "mm_bps", "fee_bps", "band_bps")
                    + tuple(k for k in _OPTIONAL_BPS if k in m)}
            try:
                params = MarketParams(**vals)
            except ValueError as e:
                raise GenesisError(f"{w}: {e}") from None
            _unique(seen, params.market_id, f"market_id {params.market_id}")
            markets.append(GenesisMarket(params, get_int(m, "mark_price", w, 1, 1 << PRICE_BITS),
                                         _perp(m["perp"], w) if "perp" in m else None))
        if not markets:
            raise GenesisError("genesis: at least one market is needed")
        seen_names, seen_keys, total = set(), set(), 0
        for i, v in enumerate(get_list(obj, "validators", what, _MAX_ENTRIES)):
            w = f"genesis: validators[{i}]"
            check_fields(v, w, ("name", "stake", "public_key"))
            name = get_str(v, "name", w, NAME_PATTERN)
            stake = get_int(v, "stake", w, 1, MAX_STAKE)
            pk = _key(v, w)
            _unique(seen_names, name, f"validator name {name!r}")
            _unique(seen_keys, pk, f"validator public key {pk[:16]}…")
            total += stake
            validators.append(GenesisValidator(name, stake, pk))
        seen = set()
        for i, a in enumerate(get_list(obj, "accounts", what, _MAX_ENTRIES)):
            w = f"genesis: accounts[{i}]"
            check_fields(a, w, ("account_id", "public_key", "cash"),
                         ("market_id", "encryption_key"))
            aid = get_int(a, "account_id", w, 0, 1 << ACCOUNT_BITS)
            _unique(seen, aid, f"account_id {aid}")
            accounts.append(GenesisAccount(aid, _key(a, w), get_int(a, "cash", w, 0, CASH_OFFSET),
                                           _account_market(a, w, markets),
                                           _encryption_key(a, w)))
    except CodecError as e:
        raise GenesisError(str(e)) from None
    if not validators:
        raise GenesisError("genesis: at least one validator is needed")
    if total >= INT64_BOUND:
        raise GenesisError("genesis: total validator stake must be below 2^63")
    if operator is not None and operator in seen_keys:
        raise GenesisError("genesis: the operator key is also a validator key (use its own key)")
    return chain_id, tuple(markets), tuple(validators), tuple(accounts), operator


def _account_market(obj, what, markets) -> int:
    """The account's market: its ``market_id`` (which must exist), or the only market."""
    ids = [m.params.market_id for m in markets]
    if obj.get("market_id") is None:
        if len(ids) != 1:
            raise GenesisError(f"{what}: market_id is needed when the genesis has several markets")
        return ids[0]
    mid = get_int(obj, "market_id", what, 0, 1 << MARKET_BITS)
    if mid not in ids:
        raise GenesisError(f"{what}: unknown market {mid}")
    return mid


def _key(obj, what, field="public_key") -> str:
    try:
        keys.public_key_from_hex(obj[field])
    except keys.KeyFileError as e:
        raise GenesisError(f"{what}: {e}") from None
    return obj[field]


def genesis_from_json(obj) -> Genesis:
    """A ``Genesis`` from its JSON object; ``GenesisError`` (one line) when invalid."""
    return Genesis(*_validate(obj))


def load_genesis(path) -> Genesis:
    """Read and validate a genesis file."""
    try:
        obj = load_json_file(path, "genesis")
    except CodecError as e:
        raise GenesisError(str(e)) from None
    return genesis_from_json(obj)


def genesis_hash(genesis) -> str:
    """SHA-256 over the domain tag and the canonical JSON (a ``Genesis`` or its JSON object)."""
    g = genesis if isinstance(genesis, Genesis) else genesis_from_json(genesis)
    return hashlib.sha256(GENESIS_DOMAIN + canonical_json(genesis_to_json(g))).hexdigest()
