"""G1 multi-scalar multiplication Σ [kᵢ]Pᵢ in pure Python, on plain ints.

Role: the fast path behind ``verifier.curve.g1_lincomb`` / ``g1_mul`` (the
verifier's ~20 scalar multiplications; py_ecc's object arithmetic takes ~15 ms
each, this ~1 ms).  Curve E: y² = x³ + 3 over Fq, a = 0, prime order r.

Method (Straus–Shamir interleaving, e.g. Hankerson–Menezes–Vanstone, "Guide to
Elliptic Curve Cryptography", Alg. 3.51 with wNAF digits):

* each scalar k (reduced mod r) is written in width-w NAF: digits d ∈ {0, ±1,
  ±3, …, ±(2^(w−1) − 1)}, any two non-zero digits at least w apart, so about
  254/(w + 1) additions per point; w = 5 (table P, 3P, …, 15P), and w = 2
  (table P) for scalars below 2³² where a table would not pay;
* the tables are built in Jacobian coordinates (2P, then jP + 2P by mixed
  additions) and brought to affine with one field inversion for all points
  (Montgomery's batch-inversion trick), twice: once for the 2P, once for the
  tables;
* one shared doubling chain: acc ← 2·acc per bit position, then acc ← acc ± T
  for every point whose digit there is non-zero (−(x, y) = (x, −y)).

Jacobian (X : Y : Z) ↔ (X/Z², Y/Z³); formulas from the Explicit-Formulas
Database for a = 0: doubling dbl-2009-l (with D = 4XB instead of
2((X + B)² − A − C), cheaper in Python where a square costs a product), mixed
addition madd-2004-hmv; the mixed addition handles its exceptional cases
(acc = O, acc = ±T).  GLV (φ(x, y) = (βx, y)) would save about half the
~254 doublings, ~10 % of the total here, and was left out for simplicity.

Inputs: affine int tuples (x, y) on the curve, or None for infinity; scalars
any ints.  Points off the curve give a meaningless result, never an exception.
"""

from .fields import Q_MOD, R_MOD

__all__ = ["g1_lincomb", "wnaf", "WINDOW"]

Q = Q_MOD
#: window width for full-size scalars
WINDOW = 5
_SMALL = 1 << 32


def wnaf(k: int, w: int) -> list:
    """Width-w NAF of k ≥ 0, least significant digit first."""
    out = []
    full, half = 1 << w, 1 << (w - 1)
    while k:
        if k & 1:
            d = k & (full - 1)
            if d >= half:
                d -= full
            k -= d
        else:
            d = 0
        out.append(d)
        k >>= 1
    return out


def _dbl(X, Y, Z):
    """2(X : Y : Z), dbl-2009-l (a = 0); Z = 0 or Y = 0 stays/becomes infinity (Z = 0)."""
    A = X * X % Q
    B = Y * Y % Q
    C = B * B % Q
    D = 4 * X * B % Q
    E = 3 * A
    X3 = (E * E - 2 * D) % Q
    return X3, (E * (D - X3) - 8 * C) % Q, 2 * Y * Z % Q


def _madd(X, Y, Z, x, y):
    """(X : Y : Z) + (x, y) with (x, y) affine, madd-2004-hmv; exceptional cases handled."""
    if Z == 0:
        return x, y, 1
    ZZ = Z * Z % Q
    H = (x * ZZ - X) % Q
    R = (y * ZZ % Q * Z - Y) % Q
    if H == 0:
        if R == 0:
            return _dbl(X, Y, Z)
        return 1, 1, 0                      # P + (−P) = O
    HH = H * H % Q
    HHH = HH * H % Q
    V = X * HH % Q
    X3 = (R * R - HHH - 2 * V) % Q
    return X3, (R * (V - X3) - Y * HHH) % Q, Z * H % Q


def _to_affine(jacs):
    """Batch-normalise Jacobian points with one inversion; Z = 0 gives None."""
    zs = [j[2] for j in jacs]
    prefix, acc = [], 1
    for z in zs:
        prefix.append(acc)
        if z:
            acc = acc * z % Q
    inv = pow(acc, -1, Q)
    out = [None] * len(jacs)
    for i in range(len(jacs) - 1, -1, -1):
        z = zs[i]
        if not z:
            continue
        zi = inv * prefix[i] % Q
        inv = inv * z % Q
        zi2 = zi * zi % Q
        X, Y, _ = jacs[i]
        out[i] = (X * zi2 % Q, Y * zi2 % Q * zi % Q)
    return out


def _tables(points, widths):
    """Affine odd multiples P, 3P, …, (2^(w−1) − 1)P of every point."""
    big = [i for i, w in enumerate(widths) if w > 2]
    twos = _to_affine([_dbl(points[i][0], points[i][1], 1) for i in big])
    jac, spans = [], []
    for i, t in zip(big, twos):
        x, y = points[i]
        run = [(x, y, 1)]
        for _ in range((1 << (widths[i] - 2)) - 1):
            X, Y, Z = run[-1]
            run.append(_madd(X, Y, Z, *t) if t is not None else (1, 1, 0))
        spans.append((i, len(jac), len(run)))
        jac.extend(run)
    flat = _to_affine(jac)
    tables = [[p] for p in points]
    for i, start, n in spans:
        tables[i] = flat[start:start + n]
    return tables


def g1_lincomb(points, scalars):
    """Σ [kᵢ]Pᵢ as an affine tuple, or None for infinity (lengths must match)."""
    points, scalars = list(points), list(scalars)
    if len(points) != len(scalars):
        raise ValueError(f"g1_lincomb: {len(points)} points but {len(scalars)} scalars")
    live = [(p, k % R_MOD) for p, k in zip(points, scalars) if p is not None and k % R_MOD]
    if not live:
        return None
    pts = [p for p, _ in live]
    widths = [2 if k < _SMALL else WINDOW for _, k in live]
    tables = _tables(pts, widths)
    digits = [wnaf(k, w) for (_, k), w in zip(live, widths)]
    # per bit position, the (table entry, sign) pairs to add
    nbits = max(len(d) for d in digits)
    steps = [[] for _ in range(nbits)]
    for tab, ds in zip(tables, digits):
        for pos, d in enumerate(ds):
            if d:
                e = tab[abs(d) >> 1]
                if e is not None:
                    steps[pos].append(e if d > 0 else (e[0], -e[1] % Q))
    X, Y, Z = 1, 1, 0
    for pos in range(nbits - 1, -1, -1):
        if Z:
            X, Y, Z = _dbl(X, Y, Z)
        for x, y in steps[pos]:
            X, Y, Z = _madd(X, Y, Z, x, y)
    if Z == 0:
        return None
    zi = pow(Z, -1, Q)
    zi2 = zi * zi % Q
    return (X * zi2 % Q, Y * zi2 % Q * zi % Q)
