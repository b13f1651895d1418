"""The matching rules R1–R6 of the batch-settlement circuit (see ``circuits.settlement``).

``price_rules(c, g, orders)`` adds the gates of R6 and R1–R5 to a
``SettlementCircuit`` ``c``; ``g`` holds the global wires (P, M, V, the rates)
and each entry of ``orders`` the wires of one order slot (side s: 0 buy, 1 sell;
limit price p, size q, fill f — all range-checked already: s boolean, p, q < 2^32
by the Pedersen opening).  Inactive slots carry q = f = 0, so they add nothing
to any sum below.  All sums are below N·2^32 < 2^B with B = 32 + bitlen(N), far
from r, so every field equation below is an integer equation.

**R6** circuit breaker: |P − M|·10⁴ ≤ band·M, i.e. band·M − 10⁴·|P − M| ∈ [0, 2^46)
(|P − M| by ``bits.sign_abs`` with 33 bits).

**Limit vs P** (per order, no rule of its own: it can only fail for a forged hint):
d = p − P, at = [d = 0] (``is_zero``), σ = the hinted sign of d (``sign_abs``,
proving |d| < 2^32), below = σ·(1 − at), above = 1 − at − below;
t = s·(above − below); wrong side (otm) = below + t (a buy below P, a sell above P);
strictly in the money (itm) = above − t.

**R1** f ∈ [0, 2^32), q − f ∈ [0, 2^32), otm·f = 0.
**R2** itm·(q − f) = 0.
**R3** Σ (1 − s)·f = V and Σ s·f = V (one product s·f per order).
**R4** With ITM_b = Σ itm(1 − s)q, SP_b = Σ at(1 − s)q (buys at exactly P) and
ITM_s, SP_s for sells: D = ITM_b + SP_b, S = ITM_s + SP_s and (D − V)(S − V) = 0.
R1 + R3 already give V ≤ D and V ≤ S (each fill ≤ its size, none on the wrong
side), so this is V = min(D, S).  Also V = 0 ⇒ P = M: [V = 0]·(P − M) = 0 (the
spec's no-trade price).
**Liquidation orders** (``circuits.settlement_perp``) join the list after
the order slots with ``at``/``itm`` already set (their limit is a band edge, never
on the wrong side of a P that passes R6) and sizes below 2^40, so B = 40 +
bitlen(N + K) bounds every sum.

**R7** fair price: with D = D(P), S = S(P), D(P+1) = ITM_b and S(P−1) = ITM_s, a
P above M needs the price P − 1 to fail (D(P) > V or S(P−1) < V) and a P below M
needs P + 1 to fail (S(P) > V or D(P+1) < V).  R1–R3 give D ≥ V ≥ ITM_s and
S ≥ V ≥ ITM_b, so "D > V or ITM_s < V" is D − ITM_s ≠ 0 (a sum of two
non-negative gaps), proven with a hinted inverse: above·(D − ITM_s)·inv = above,
below·(S − ITM_b)·inv′ = below, where above/below = [P > M]/[P < M] from R6's
sign and [P = M].  Feasible prices form an interval (D falls, S rises), so the
neighbour failing means no feasible price lies nearer M (docs/perpetual.md).

**R5** For each side separately (the short side needs no exemption: there
R = SP and every at-P order gets floor(q·SP/SP) = q), R = V − ITM_side and the
denominator Dn = SP + [SP = 0] (never 0).  For an order j with q′ = at·q and
f′ = at·f (both 0 unless j is at P), a hinted bit e and rem = q′·R − (f′ − e)·Dn:

    e ∈ {0, 1},  0 ≤ rem < Dn   (rem and Dn − 1 − rem range-checked to B bits)

i.e. f = ⌊q·R/SP⌋ + e for at-P orders, and e = 0 (f′ − e = 0, rem = 0) for the
others.  Σ e = R − Σ ⌊·⌋ holds by itself (R3 makes the at-P fills of a side sum
to R).  Remainder lots go to the earliest at-P slots of the side: a running
flag seen_side = "an at-P slot of this side had e = 0" (boolean OR,
one row) and e·seen_side(j) = 0, so the slots with e = 1 form a prefix.

Labels: every gate sits under "R1" … "R7" (or "R1/R2 limit vs P"), so the
prover's ``UnsatisfiedError`` names the rule a witness breaks.
"""


from verifier.fields import R_MOD

from .bits import arith, is_zero, range_check, select, sign_abs
from .builder import Var
from .settlement_data import BPS, PRICE_BITS, SIZE_BITS

__all__ = ["price_rules", "sum_bits", "rule"]

_BAND_BITS = 46          # band·M ≤ 10⁴·2^32 < 2^46


def rule(c, name: str):
    """Label the gates made inside with the rule's name; nested gadget labels follow it
    ("O1: pedersen: opening equals C")."""
    return c.labelled(name)


def sum_bits(n_orders: int, size_bits: int = SIZE_BITS) -> int:
    """Bits of a sum of n_orders sizes below 2^size_bits: N·2^s ≤ 2^(s + bitlen(N))."""
    return size_bits + n_orders.bit_length()


def _hint_inverse(v):
    return pow(v, -1, R_MOD) if v else 0


def _nonzero_if(c, flag, x) -> None:
    """flag = 1 ⇒ x ≠ 0: flag·x·inv = flag with a hinted inverse."""
    t = c.mul(flag, c.as_var(x))
    inv = c.hint(lambda v: _hint_inverse(v), [x])
    c.gate(t, inv, flag, qm=1, qo=-1)


def _hint_extra(f_at, q_r, dn):
    """The extra lot e = f′ − ⌊q′·R/Dn⌋ when it is 0 or 1 (else 0: the gates will refuse)."""
    if not dn:
        return 0
    e = (f_at - q_r // dn) % R_MOD
    return e if e in (0, 1) else 0


def _sum(c, terms):
    return c.lincomb(terms) if terms else 0


def _or(c, x, y):
    """x ∨ y for booleans: x + y − x·y (x may be the constant 0)."""
    if not isinstance(x, Var):
        return y if not x else 1
    return arith(c, x, y, qm=-1, ql=1, qr=1)


def price_rules(c, g, orders, closing=()) -> None:
    """Add R6, R1–R5 and R7 over the order slots and the liquidation orders ``closing``;
    stores ``sf`` (s·f) in each order dict for the account rules."""
    P, M, V = g["P"], g["M"], g["V"]
    B = sum_bits(len(orders) + len(closing), 40 if closing else SIZE_BITS)

    with rule(c, "R6"):
        p_minus_m = c.sub(P, M)
        p_below_m, dist = sign_abs(c, p_minus_m, PRICE_BITS + 1)
        band_m = c.mul(g["band_bps"], M)
        range_check(c, c.lincomb([(band_m, 1), (dist, -BPS)]), _BAND_BITS)

    with rule(c, "R1/R2 limit vs P"):
        for o in orders:
            d = c.sub(o["price"], P)
            neg, _ = sign_abs(c, d, PRICE_BITS + 1)
            o["at"] = is_zero(c, d)
            below = arith(c, neg, o["at"], qm=-1, ql=1)                 # σ·(1 − at)
            t = c.mul(o["side"], c.lincomb([(o["at"], -1), (below, -2)], const=1))
            o["otm"] = c.add(below, t)
            o["itm"] = c.lincomb([(o["at"], -1), (below, -1), (t, -1)], const=1)
    orders = list(orders) + list(closing)

    with rule(c, "R1"):
        for o in orders:
            range_check(c, o["fill"], SIZE_BITS)
            o["open"] = c.sub(o["size"], o["fill"])                      # q − f
            range_check(c, o["open"], o.get("open_bits", SIZE_BITS))
            if isinstance(o["otm"], Var):
                c.gate(o["otm"], o["fill"], None, qm=1)                 # otm·f = 0

    with rule(c, "R2"):
        for o in orders:
            c.gate(o["itm"], o["open"], None, qm=1)                     # itm·(q − f) = 0

    with rule(c, "R3"):
        for o in orders:
            o["sf"] = c.mul(o["side"], o["fill"])
        c.assert_equal(_sum(c, [(o["fill"], 1) for o in orders] + [(o["sf"], -1) for o in orders]),
                       V)
        c.assert_equal(_sum(c, [(o["sf"], 1) for o in orders]), V)

    with rule(c, "R4"):
        for o in orders:
            o["q_at"] = c.mul(o["at"], o["size"])
            o["q_itm"] = c.mul(o["itm"], o["size"])
            o["sq_at"] = c.mul(o["side"], o["q_at"])
            o["sq_itm"] = c.mul(o["side"], o["q_itm"])
        # buys: q·flag − s·q·flag; sells: s·q·flag
        itm = {"buy": _sum(c, [t for o in orders for t in ((o["q_itm"], 1), (o["sq_itm"], -1))]),
               "sell": _sum(c, [(o["sq_itm"], 1) for o in orders])}
        sp = {"buy": _sum(c, [t for o in orders for t in ((o["q_at"], 1), (o["sq_at"], -1))]),
              "sell": _sum(c, [(o["sq_at"], 1) for o in orders])}
        d_minus_v = c.lincomb([(itm["buy"], 1), (sp["buy"], 1), (V, -1)])
        s_minus_v = c.lincomb([(itm["sell"], 1), (sp["sell"], 1), (V, -1)])
        c.gate(c.as_var(d_minus_v), c.as_var(s_minus_v), None, qm=1)    # (D − V)(S − V) = 0
        c.gate(is_zero(c, V), p_minus_m, None, qm=1)                    # V = 0 ⇒ P = M

    with rule(c, "R7"):
        at_m = is_zero(c, p_minus_m)
        below_m = arith(c, p_below_m, at_m, qm=-1, ql=1)                # σ·(1 − [P = M])
        above_m = c.lincomb([(at_m, -1), (below_m, -1)], const=1)
        _nonzero_if(c, above_m, c.lincomb([(itm["buy"], 1), (sp["buy"], 1), (itm["sell"], -1)]))
        _nonzero_if(c, below_m, c.lincomb([(itm["sell"], 1), (sp["sell"], 1), (itm["buy"], -1)]))

    with rule(c, "R5"):
        rest = {s: c.lincomb([(V, 1), (itm[s], -1)]) for s in ("buy", "sell")}
        dn = {s: c.add(sp[s], is_zero(c, sp[s])) for s in ("buy", "sell")}
        d_rest, d_dn = c.sub(rest["sell"], rest["buy"]), c.sub(dn["sell"], dn["buy"])
        seen = {"buy": 0, "sell": 0}
        for o in orders:
            s = o["side"]
            r_j = c.add(rest["buy"], c.mul(s, d_rest))
            dn_j = c.add(dn["buy"], c.mul(s, d_dn))
            f_at = c.mul(o["at"], o["fill"])
            q_r = c.mul(o["q_at"], r_j)
            e = c.hint(lambda *v: _hint_extra(*v), [f_at, q_r, dn_j])
            c.assert_bool(e)
            rem = c.sub(q_r, c.mul(c.sub(f_at, e), dn_j))
            range_check(c, rem, B)
            range_check(c, c.lincomb([(dn_j, 1), (rem, -1)], const=-1), B)
            # remainder lots: a prefix of this side's at-P slots
            seen_j = select(c, s, seen["sell"], seen["buy"])
            if isinstance(seen_j, Var):
                c.gate(e, seen_j, None, qm=1)                           # e·seen = 0
            zero = c.sub(o["at"], e)                                    # at P and e = 0
            z_buy = arith(c, zero, s, qm=-1, ql=1)                      # zero·(1 − s)
            seen["buy"] = _or(c, seen["buy"], z_buy)
            seen["sell"] = _or(c, seen["sell"], c.sub(zero, z_buy))
