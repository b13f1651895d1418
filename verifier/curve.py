"""BN254 groups G1, G2 and the pairing check, on plain Python ints.

Role: the verifier's elliptic-curve layer and the ONLY module of the project
that imports ``py_ecc``.  The hot paths (``g1_lincomb``/``g1_mul``: Straus/wNAF
in ``lincomb``; ``pairing_check``: the int-tuple multi-Miller loop in
``pairing``) run on plain ints; py_ecc's ``optimized_bn128`` serves the rest
(G2 arithmetic, subgroup checks) and is the reference the tests compare
against.  Everything above it sees plain int tuples:

* G1 = E(Fq): y² = x³ + 3, order r, cofactor 1.  A point is ``(x, y)`` with
  ints in [0, q); the point at infinity is ``None``.
* G2 = the r-torsion of the sextic D-twist E'(Fq2): y² = x³ + 3/(9 + u), with
  Fq2 = Fq[u]/(u² + 1).  An Fq2 element is ``(c0, c1)`` meaning c0 + c1·u; a
  point is ``((x0, x1), (y0, y1))``; infinity is ``None``.  E'(Fq2) has order
  r·(2q − r), so a point on the twist need not be in G2: ``g2_validate`` checks
  [r]Q = O.
* ``pairing_check`` runs one shared Miller loop f_{6u+2,Q}(P) of the optimal ate
  pairing over all pairs and ONE final exponentiation of the product (see
  ``pairing``): Π e(Pᵢ, Qᵢ) = 1 ⇔ that value is 1.

Untrusted input goes through ``g1_validate`` / ``g2_validate``, which raise
``CurveError`` (a ``ValueError``) with a one-line reason.  The all-zero encoding
(x = y = 0, not on either curve since b ≠ 0) means infinity only when the caller
passes ``allow_infinity=True`` (snarkjs and the .ptau format write infinity so).

py_ecc is imported on first use, not with this module: the prover reads keys and
hashes points through this module but never needs G2 arithmetic, and py_ecc's
import plus the checks below cost ~0.1 s of every ``darkmatch plonk prove``.
When it is loaded the constants are checked against it: q and r equal
``verifier.fields``, b = 3, b₂ = 3/(9 + u) and G2_GEN equal py_ecc's, both
generators lie on their curves and G2_GEN has order r.
"""

from .errors import BadInput
from .fields import Q_MOD, R_MOD
from .lincomb import g1_lincomb as _msm

__all__ = [
    "CurveError", "G1", "G2", "G1_GEN", "G2_GEN", "B1", "B2",
    "g1_is_on_curve", "g1_add", "g1_neg", "g1_mul", "g1_sum", "g1_lincomb", "g1_validate",
    "g2_is_on_curve", "g2_in_subgroup", "g2_add", "g2_neg", "g2_mul", "g2_validate",
    "pairing_check",
]

#: type aliases (documentation only): G1 = (x, y) | None, G2 = ((x0, x1), (y0, y1)) | None
G1 = tuple
G2 = tuple

#: curve coefficient of G1: y² = x³ + B1
B1 = 3
#: twist coefficient b₂ = 3/(9 + u) as (c0, c1) (checked against py_ecc when it loads)
B2 = (19485874751759354771024239261021720505790618469301721065564631296452457478373,
      266929791119991161246907387137283842545076965332900288569378510910307636690)

G1_GEN = (1, 2)
#: py_ecc's (and EIP-197's) G2 generator, ((x0, x1), (y0, y1)) (checked when py_ecc loads)
G2_GEN = ((10857046999023057135944570762232829481370756359578518086990519993285655852781,
           11559732032986387107991004021392285783925812861821192530917403151452391805634),
          (8495653923123431417604973247489272438418190587263600148770280649306958101930,
           4082367875863433681332203403145435568316851327593401208105741076214120093531))


class _PyEcc:
    """Stands for py_ecc's ``optimized_bn128`` until first used: then imports it, checks this
    module's constants against it (``_check``) and puts the real module in its place."""

    def __getattr__(self, name):
        global bn
        from py_ecc import optimized_bn128
        bn = optimized_bn128
        _check()
        return getattr(optimized_bn128, name)


bn = _PyEcc()


class CurveError(BadInput):
    """An encoded point is not a valid group element (one-line message)."""


# ----------------------------------------------------------------- conversions

def _to1(p):
    if p is None:
        return bn.Z1
    return (bn.FQ(p[0]), bn.FQ(p[1]), bn.FQ.one())


def _from1(P):
    if bn.is_inf(P):
        return None
    x, y = bn.normalize(P)
    return (int(x.n), int(y.n))


def _to2(p):
    if p is None:
        return bn.Z2
    (x0, x1), (y0, y1) = p
    return (bn.FQ2([x0, x1]), bn.FQ2([y0, y1]), bn.FQ2.one())


def _from2(P):
    if bn.is_inf(P):
        return None
    x, y = bn.normalize(P)
    return (tuple(int(c) for c in x.coeffs), tuple(int(c) for c in y.coeffs))


# ----------------------------------------------------------------- G1

def g1_is_on_curve(p) -> bool:
    """True for infinity and for reduced (x, y) with y² = x³ + 3."""
    if p is None:
        return True
    x, y = p
    if not (0 <= x < Q_MOD and 0 <= y < Q_MOD):
        return False
    return (y * y - x * x * x - B1) % Q_MOD == 0


def g1_add(p, q):
    return _from1(bn.add(_to1(p), _to1(q)))


def g1_neg(p):
    if p is None:
        return None
    return (p[0], (-p[1]) % Q_MOD)


def g1_mul(p, k: int):
    """[k]P for any int k (reduced mod r)."""
    return _msm([p], [k])


def g1_sum(points):
    acc = bn.Z1
    for p in points:
        if p is not None:
            acc = bn.add(acc, _to1(p))
    return _from1(acc)


def g1_lincomb(points, scalars):
    """Σ [kᵢ]Pᵢ (lengths must match)."""
    return _msm(points, scalars)   # verifier.lincomb: Straus–Shamir with wNAF, plain ints


def _check_coord(name, v):
    if not isinstance(v, int) or isinstance(v, bool):
        raise CurveError(f"{name}: coordinate must be an integer, got {type(v).__name__}")
    if not 0 <= v < Q_MOD:
        raise CurveError(f"{name}: coordinate {v} is not in [0, q)")


def g1_validate(x, y, allow_infinity: bool = False, name: str = "G1 point"):
    """Checked G1 point from untrusted coordinates; (0, 0) is infinity iff allowed."""
    _check_coord(name, x)
    _check_coord(name, y)
    if x == 0 and y == 0:
        if allow_infinity:
            return None
        raise CurveError(f"{name}: point at infinity is not allowed here")
    p = (x, y)
    if not g1_is_on_curve(p):
        raise CurveError(f"{name}: ({x}, {y}) is not on the curve y^2 = x^3 + 3")
    return p   # cofactor 1: on the curve means in G1


# ----------------------------------------------------------------- G2

def g2_is_on_curve(p) -> bool:
    """True for infinity and for reduced points on the twist y² = x³ + b₂."""
    if p is None:
        return True
    coords = (*p[0], *p[1])
    if not all(0 <= c < Q_MOD for c in coords):
        return False
    return bn.is_on_curve(_to2(p), bn.b2)


def g2_in_subgroup(p) -> bool:
    """[r]Q = O (assumes Q on the twist)."""
    if p is None:
        return True
    return bn.is_inf(bn.multiply(_to2(p), R_MOD))


def g2_add(p, q):
    return _from2(bn.add(_to2(p), _to2(q)))


def g2_neg(p):
    if p is None:
        return None
    (x, (y0, y1)) = p
    return (x, ((-y0) % Q_MOD, (-y1) % Q_MOD))


def g2_mul(p, k: int):
    """[k]Q for any int k (reduced mod r; Q is taken to be in G2)."""
    k %= R_MOD
    if p is None or k == 0:
        return None
    return _from2(bn.multiply(_to2(p), k))


def g2_validate(x, y, allow_infinity: bool = False, name: str = "G2 point"):
    """Checked G2 point from untrusted x = (x0, x1), y = (y0, y1)."""
    try:
        (x0, x1), (y0, y1) = x, y
    except (TypeError, ValueError):
        raise CurveError(f"{name}: coordinates must be pairs (c0, c1)") from None
    for v in (x0, x1, y0, y1):
        _check_coord(name, v)
    if x0 == x1 == y0 == y1 == 0:
        if allow_infinity:
            return None
        raise CurveError(f"{name}: point at infinity is not allowed here")
    p = ((x0, x1), (y0, y1))
    if not g2_is_on_curve(p):
        raise CurveError(f"{name}: not on the twist curve y^2 = x^3 + 3/(9+u)")
    if not g2_in_subgroup(p):
        raise CurveError(f"{name}: on the twist but not in the order-r subgroup")
    return p


# ----------------------------------------------------------------- pairing

def pairing_check(pairs) -> bool:
    """True iff Π e(Pᵢ, Qᵢ) = 1 over pairs of (G1, G2); pairs with infinity add 1."""
    pairs = list(pairs)
    for p, q in pairs:
        if not g1_is_on_curve(p):
            raise CurveError("pairing_check: G1 point is not on the curve")
        if not g2_is_on_curve(q):
            raise CurveError("pairing_check: G2 point is not on the twist curve")
    # verifier.pairing: multi-Miller loop + one final exponentiation on plain ints (imported
    # here: a prover never pairs, and the module's import-time checks cost ~20 ms)
    from .pairing import pairing_product_is_one
    return pairing_product_is_one(pairs)


# ----------------------------------------------------------------- checks on loading py_ecc

def _check() -> None:
    assert B2 == tuple(int(c) for c in bn.b2.coeffs), "b2 differs from py_ecc's"
    assert G2_GEN == (tuple(int(c) for c in bn.G2[0].coeffs),
                      tuple(int(c) for c in bn.G2[1].coeffs)), "G2 generator differs from py_ecc's"
    assert bn.field_modulus == Q_MOD, "py_ecc field modulus differs from q"
    assert bn.curve_order == R_MOD, "py_ecc curve order differs from r"
    assert bn.b == bn.FQ(B1), "G1 coefficient b is not 3"
    assert bn.FQ2(list(B2)) * bn.FQ2([9, 1]) == bn.FQ2([3, 0]), "b2 is not 3/(9+u)"
    assert g1_is_on_curve(G1_GEN), "G1 generator off the curve"
    assert g2_is_on_curve(G2_GEN), "G2 generator off the twist"
    assert g2_in_subgroup(G2_GEN), "G2 generator not of order r"
