"""The batch-settlement circuit: one PLONK statement per batch (docs/design.md §Statement).

``settlement_circuit(N, K)`` builds the circuit for N order slots and K account
slots; ``SettlementCircuit.assignment(witness)`` turns a
``settlement_data.BatchWitness`` of those sizes into its input assignment, so

    sc = settlement_circuit(16, 16)
    pk, vk = prover.setup(sc, srs)
    proof, public = prover.prove(pk, sc.assignment(witness))   # public == witness.public_inputs()

**Public inputs**, in this order (``settlement_data.public_names``): the
globals market_id, height, P, M, V, im_bps, mm_bps, fee_bps, band_bps,
liquidation_bps, insurance_bps, reduce_only, funding_index (F + 2^47),
fee_total, penalties, deficits, shortfall, insurance_old, insurance_new; then
per order slot j: active, account, Cx, Cy [``order{j}.active`` …]; then per
account slot k: active, account, old and new state commitment
[``account{k}.active``, ``account{k}.id``, ``account{k}.old``,
``account{k}.new``]; then per account slot k: liquidate, deposit, withdraw
[``account{k}.liquidate`` …].  height is bound by its public row only.
**Private inputs**: per order side (0 buy, 1 sell), price, size, nonce, rho,
fill [``order{j}.side`` …]; per account the old cash, position, funding index
F_a and blinding, and the new blinding [``account{k}.cash``, ``.position``,
``.funding``, ``.blinding``, ``.new_blinding``]; per liquidation slot i the
closing order's fill [``liquidation{i}.fill``].  New cash and position are not
inputs: the circuit computes them.  Selection bits, fees and remainder lots are
hints.

Gates, in build order (every rule's rows carry its label, nested gadget labels
kept behind it, e.g. "O1: pedersen: opening equals C"):

* **params**: 1 ≤ P, M < 2^32 (32-bit range check and P·P⁻¹ = 1); every rate
  in [0, 10⁴] (x and 10⁴ − x in 14 bits); im ≥ mm; reduce_only boolean;
  funding_index < 2^48; δ = ⌊band·M/10⁴⌋ (``settlement_perp``).
* **slots**: active flags boolean; an inactive order slot has account = Cx =
  Cy = size = fill = 0, an inactive account slot account = old = new = 0, as
  (1 − a)·x = 0.  Active account ids strictly increase: with last₋₁ = −1,
  tₖ = aₖ·(idₖ − last − 1) ∈ [0, 2^40) and last ← last + tₖ + aₖ (so distinct).
  Order↔account: hinted mⱼₖ with mⱼₖ·(accountⱼ − idₖ) = 0, mⱼₖ·(1 − aₖ) = 0 and
  Σₖ mⱼₖ = aⱼ.  Distinct active ids leave at most one k with mⱼₖ ≠ 0, so mⱼₖ is
  forced to be aⱼ there (boolean without a booleanity row): an active order
  matches exactly one active account slot, an inactive one none.
* **O1** ``pedersen.open_gadget`` on (account, a·market_id, side, price, size,
  nonce, ρ) against (Cx, Cy + 1 − a): the slot's public account wire is the
  opening's account field and a·market_id its market.  An inactive slot opens
  the identity (0, 1) = 0·G + 0·H, i.e. the all-zero dummy order with ρ = 0.
  The gadget range-checks account (40 bits), market (16), side (1), price and
  size (32), nonce (64) and ρ (251).
* **A1 old state, funding** (per account slot, before the auction):
  ``circuits.settlement_perp`` — the old state opens with its F_a, funding
  settles; a liquidated slot has no order and no withdrawal.
* **liquidation slots** (λ = ``settlement_data.liquidation_slots(K)``, at most
  4, whatever K): each holds one flagged account slot or none, proves it below
  maintenance and contributes its closing order; after the auction, its
  penalty and deficit (``settlement_perp``).
* **R6, R1–R5, R7**: ``circuits.settlement_rules``, over the order slots and
  the closing orders.
* **A1** (new states; flows and penalties in ``settlement_perp``) per order: fee = ⌊f·P·fee/10⁴⌋ as a hint with f·P·fee − 10⁴·fee ∈
  [0, 10⁴) (two 14-bit checks) and fee < 2^64; signed fill g = f − 2·s·f.  Per
  account: Δpos = Σⱼ mⱼₖ·gⱼ, Fee = Σⱼ mⱼₖ·feeⱼ; pos′ = pos + Δpos, cash′ =
  cash − P·Δpos − Fee.  Old and new states open by Poseidon(id, cash + 2^80,
  pos + 2^40 + 2^41·F_a, blinding) = commitment, as a·(hash − commitment) = 0 (an inactive
  slot's hash is unconstrained); cash, cash′ ∈ [−2^80, 2^80), |pos| < 2^40 and
  |pos′| < 2^32 (``POSITION_CAP_BITS``: a closing order and the volume that fills
  it stay below 2^32, so a larger position could never be liquidated; genesis
  positions are 0, so every old position is below 2^32 too).  Freshness of the new blinding is the operator's duty (a circuit cannot
  see randomness).
* **A2** E = cash′ + pos′·M; (1 − L)·(10⁴·E − |pos′|·M·mm) ∈ [0, 2^96) (a
  liquidated slot, L = 1, was proven below maintenance in its liquidation
  slot and may stay below after a rationed close) and g·(10⁴·E − |pos′|·M·im)
  ∈ [0, 2^96) with g = [|pos| < |pos′|] (``bits.lt``, 40 bits).  |10⁴·E| <
  2^95, so a negative difference is a field element above r − 2^96 and fails
  the range check.  **reduce-only**: reduce_only·g = 0.  **insurance**: fee
  total, penalties, deficits and the fund's update (``settlement_perp``).

Soundness of the inactive-slot handling does not rest on the Pedersen binding:
size = fill = 0 there explicitly, and mⱼₖ = 0 (and liquidate = deposit =
withdraw = 0, so no liquidation slot holds it).  R1–R4 make P volume-maximising
and R7 makes it the feasible price nearest M (docs/perpetual.md).

Cost (rows at 16 × 16; the table in circuits/README.md is generated): per
order ≈ 3,890 (Pedersen 3,267), per account ≈ 3,100 (two Poseidon of 4 inputs:
1,832; funding, flows and the liquidation slots' selection ≈ 340), per
(order, account) pair 8, per liquidation slot ≈ 870 plus ≈ 14 per account slot
it can hold (1,098 at 16 × 16, 1,776 at 64 × 64; λ ≤ 4).
"""

from verifier.fields import R_MOD

from .bits import arith, lt, range_check, sign_abs, signed_to_offset
from .builder import Circuit, CircuitError
from .pedersen import open_gadget
from . import settlement_perp as perp
from .settlement_data import (
    ACCOUNT_FLOW, ACCOUNT_PUBLIC, GLOBALS, ORDER_PUBLIC,
    ACCOUNT_BITS, BPS, CASH_BITS, POSITION_BITS, POSITION_CAP_BITS, PRICE_BITS,
    BatchWitness, liquidation_slots,
)
from .settlement_rules import price_rules, rule

__all__ = ["SettlementCircuit", "settlement_circuit", "assignment", "build", "GLOBALS",
           "ORDER_PUBLIC", "ORDER_PRIVATE", "ACCOUNT_PUBLIC", "ACCOUNT_FLOW", "ACCOUNT_PRIVATE",
           "LIQUIDATION_PRIVATE", "MAX_SLOTS"]

ORDER_PRIVATE = ("side", "price", "size", "nonce", "rho", "fill")
ACCOUNT_PRIVATE = ("cash", "position", "funding", "blinding", "new_blinding")
LIQUIDATION_PRIVATE = ("fill",)
MAX_SLOTS = 1024
_BPS_BITS = 14            # 10⁴ < 2^14
_FEE_BITS = 64            # fee ≤ f·P < 2^64
_MARGIN_BITS = 96         # |10⁴·E| < 2^95


def _hint_inverse(v):
    return pow(v, -1, R_MOD) if v else 0


def _hint_match(a_order, account, a_slot, slot_id):
    return int(a_order == 1 and a_slot == 1 and account == slot_id)


def _hint_fee(nf):
    return nf // BPS if nf < 1 << 96 else 0



class SettlementCircuit(Circuit):
    """The settlement circuit for fixed slot counts; a ``Circuit`` ``prover.setup`` accepts."""

    def __init__(self, n_orders: int, n_accounts: int, n_liquidations: int = None):
        for name, n in (("n_orders", n_orders), ("n_accounts", n_accounts)):
            if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_SLOTS:
                raise CircuitError(f"{name} must be an integer in [1, {MAX_SLOTS}], got {n!r}")
        if n_liquidations is None:
            n_liquidations = liquidation_slots(n_accounts)
        if (isinstance(n_liquidations, bool) or not isinstance(n_liquidations, int)
                or not 0 <= n_liquidations <= n_accounts):
            raise CircuitError(f"n_liquidations must be an integer in [0, {n_accounts}], "
                               f"got {n_liquidations!r}")
        super().__init__()
        self.n_orders, self.n_accounts = n_orders, n_accounts
        self.n_liquidations = n_liquidations
        build(self, n_orders, n_accounts, n_liquidations)

    def assignment(self, witness: BatchWitness) -> dict:
        """Input name → integer for ``witness`` (its slot counts must be the circuit's)."""
        if not isinstance(witness, BatchWitness):
            raise CircuitError("assignment expects a settlement_data.BatchWitness")
        if (witness.n_orders, witness.n_accounts) != (self.n_orders, self.n_accounts):
            raise CircuitError(f"witness has {witness.n_orders} × {witness.n_accounts} slots, "
                               f"the circuit {self.n_orders} × {self.n_accounts} "
                               "(BatchWitness.padded fills up)")
        out = dict(zip(self.public_names, witness.public_inputs()))
        for j, (o, fill) in enumerate(zip(witness.orders, witness.fills)):
            vals = (0,) * 6 if o is None else \
                (int(not o.is_buy), o.price, o.size, o.nonce, o.rho, fill)
            out.update({f"order{j}.{n}": v for n, v in zip(ORDER_PRIVATE, vals)})
        for k, (old, new) in enumerate(zip(witness.old_accounts, witness.new_accounts)):
            vals = (0,) * 5 if old is None else (old.cash, old.position, old.funding_index,
                                                 old.blinding, new.blinding)
            out.update({f"account{k}.{n}": v for n, v in zip(ACCOUNT_PRIVATE, vals)})
        held = [k for k, flag in enumerate(witness.liquidate) if flag]
        if len(held) > self.n_liquidations:
            raise CircuitError(f"the witness liquidates {len(held)} accounts, the circuit has "
                               f"{self.n_liquidations} liquidation slots")
        for i in range(self.n_liquidations):
            fill = witness.closing_fills[held[i]] if i < len(held) else 0
            out[f"liquidation{i}.fill"] = fill
        return out


def settlement_circuit(n_orders: int, n_accounts: int,
                       n_liquidations: int = None) -> SettlementCircuit:
    """The batch-settlement circuit for ``n_orders`` order and ``n_accounts`` account slots
    (and ``settlement_data.liquidation_slots(n_accounts)`` liquidation slots unless given)."""
    return SettlementCircuit(n_orders, n_accounts, n_liquidations)


def assignment(witness: BatchWitness, circuit: SettlementCircuit = None) -> dict:
    """The input assignment of ``witness`` (for ``circuit``, or one built for its sizes)."""
    if circuit is None:
        if not isinstance(witness, BatchWitness):
            raise CircuitError("assignment expects a settlement_data.BatchWitness")
        circuit = settlement_circuit(witness.n_orders, witness.n_accounts)
    return circuit.assignment(witness)


# ------------------------------------------------------------------ construction
def _zero_unless(c, active, x) -> None:
    """(1 − a)·x = 0: x − a·x = 0 in one row."""
    c.gate(active, x, None, qm=-1, qr=1)


def build(c: Circuit, n_orders: int, n_accounts: int, n_liquidations: int = None):
    """Add the settlement circuit's inputs and gates to ``c`` (``SettlementCircuit`` does this);
    returns (globals, order slots, account slots) as dicts of wires, for extensions
    (``settlement_cipher`` encrypts each account slot's new opening)."""
    g = {name: c.public(name) for name in GLOBALS}
    orders = [{n: c.public(f"order{j}.{n}") for n in ORDER_PUBLIC} for j in range(n_orders)]
    accounts = [{n: c.public(f"account{k}.{n}") for n in ACCOUNT_PUBLIC}
                for k in range(n_accounts)]
    for k, a in enumerate(accounts):
        a.update({n: c.public(f"account{k}.{n}") for n in ACCOUNT_FLOW})
    for j, o in enumerate(orders):
        o.update({n: c.private(f"order{j}.{n}") for n in ORDER_PRIVATE})
    for k, a in enumerate(accounts):
        a.update({n: c.private(f"account{k}.{n}") for n in ACCOUNT_PRIVATE})
    if n_liquidations is None:
        n_liquidations = liquidation_slots(n_accounts)
    liquidations = [{n: c.private(f"liquidation{i}.{n}") for n in LIQUIDATION_PRIVATE}
                    for i in range(n_liquidations)]
    _params(c, g)
    perp.perp_params(c, g)
    _slots(c, orders, accounts)
    with rule(c, "O1"):
        for o in orders:
            market = c.mul(o["active"], g["market_id"])
            cy = c.lincomb([(o["cy"], 1), (o["active"], -1)], const=1)
            open_gadget(c, (o["cx"], cy), o["account"], market, o["side"], o["price"],
                        o["size"], o["nonce"], o["rho"])
    match = _match(c, orders, accounts)
    for k, a in enumerate(accounts):
        perp.old_state_and_funding(c, g, a, k)
        perp.liquidated_alone(c, a, k, c.lincomb([(row[k], 1) for row in match]))
    slots = perp.liquidation_rules(c, g, accounts, liquidations)
    price_rules(c, g, orders, [s["close"] for s in slots])
    perp.liquidation_outcomes(c, g, slots)
    _accounts(c, g, orders, accounts, match, slots)
    perp.insurance(c, g, orders, slots)
    return g, orders, accounts


def _params(c, g) -> None:
    with rule(c, "params"):
        for name in ("P", "M"):
            range_check(c, g[name], PRICE_BITS)
            inv = c.hint(lambda v: _hint_inverse(v), [g[name]])
            c.gate(g[name], inv, None, qm=1, qc=-1)                     # x·x⁻¹ = 1
        for name in ("im_bps", "mm_bps", "fee_bps", "band_bps", "liquidation_bps",
                     "insurance_bps"):
            range_check(c, g[name], _BPS_BITS)
            range_check(c, c.lincomb([(g[name], -1)], const=BPS), _BPS_BITS)
        range_check(c, c.sub(g["im_bps"], g["mm_bps"]), _BPS_BITS)


def _slots(c, orders, accounts) -> None:
    with rule(c, "slots"):
        for o in orders:
            c.assert_bool(o["active"])
            for name in ("account", "cx", "cy", "size", "fill"):
                _zero_unless(c, o["active"], o[name])
        last = -1
        for a in accounts:
            c.assert_bool(a["active"])
            c.assert_bool(a["liquidate"])
            for name in ("id", "old", "new", "liquidate", "deposit", "withdraw"):
                _zero_unless(c, a["active"], a[name])
            t = c.mul(a["active"], c.lincomb([(a["id"], 1), (last, -1)], const=-1))
            range_check(c, t, ACCOUNT_BITS)                            # id > last when active
            last = c.lincomb([(last, 1), (t, 1), (a["active"], 1)])


def _match(c, orders, accounts) -> list:
    """m[j][k] = [order j belongs to account slot k] (see the module docstring)."""
    match = []
    with rule(c, "slots"):
        for o in orders:
            row = []
            for a in accounts:
                m = c.hint(lambda *v: _hint_match(*v),
                           [o["active"], o["account"], a["active"], a["id"]])
                c.gate(m, c.sub(o["account"], a["id"]), None, qm=1)    # m·(account − id) = 0
                c.gate(m, a["active"], None, qm=-1, ql=1)               # m·(1 − a) = 0
                row.append(m)
            c.assert_equal(c.lincomb([(m, 1) for m in row]), o["active"])
            match.append(row)
    return match


def _accounts(c, g, orders, accounts, match, slots) -> None:
    P, M = g["P"], g["M"]
    with rule(c, "A1"):
        with rule(c, "fees"):
            for o in orders:
                nf = c.mul(c.mul(o["fill"], P), g["fee_bps"])          # f·P·fee
                o["fee"] = c.hint(lambda v: _hint_fee(v), [nf])
                range_check(c, o["fee"], _FEE_BITS)
                frac = c.lincomb([(nf, 1), (o["fee"], -BPS)])
                range_check(c, frac, _BPS_BITS)
                range_check(c, c.lincomb([(frac, -1)], const=BPS - 1), _BPS_BITS)
                o["signed"] = c.lincomb([(o["fill"], 1), (o["sf"], -2)])   # buy +f, sell −f
    for k, a in enumerate(accounts):
        with rule(c, "A1"), rule(c, f"account slot {k}"):
            mine = [(row[k], o) for row, o in zip(match, orders)]
            dpos = c.lincomb([(c.mul(m, o["signed"]), 1) for m, o in mine])
            fees = c.lincomb([(c.mul(m, o["fee"]), 1) for m, o in mine])
        perp.flows(c, g, a, k, dpos, fees, perp.liquidation_share(c, slots, k))
        with rule(c, "A1"), rule(c, f"account slot {k}"):
            cash_new_off = signed_to_offset(c, a["cash_new"], CASH_BITS)
            _, a["abs_new"] = sign_abs(c, a["pos_new"], POSITION_CAP_BITS)   # |pos′| < 2^32
            perp.opens(c, a["active"], perp.state_hash(c, a["id"], cash_new_off, a["pos_new"],
                                                       g["F"], a["new_blinding"]), a["new"])
    with rule(c, "A2"):
        for k, a in enumerate(accounts):
            equity = c.lincomb([(a["cash_new"], BPS), (c.mul(a["pos_new"], M), BPS)])  # 10⁴·E
            notional = c.mul(a["abs_new"], M)                             # |pos′|·M
            with rule(c, f"maintenance margin, account slot {k}"):
                need = c.mul(notional, g["mm_bps"])
                gap = c.lincomb([(equity, 1), (need, -1)])
                # a liquidated slot is exempt: (1 − L)·gap, proven in its liquidation slot
                range_check(c, arith(c, a["liquidate"], gap, qm=-1, qr=1), _MARGIN_BITS)
            with rule(c, f"initial margin, account slot {k}"):
                grew = lt(c, a["abs_old"], a["abs_new"], POSITION_BITS - 1)
                need = c.mul(notional, g["im_bps"])
                excess = c.mul(grew, c.lincomb([(equity, 1), (need, -1)]))
                range_check(c, excess, _MARGIN_BITS)
            with rule(c, f"reduce-only, account slot {k}"):
                c.gate(g["reduce_only"], grew, None, qm=1)              # no |pos| grows
