"""Pure-Python twin of ``msm.py``: Pippenger with signed digits and batch-affine buckets.

Mirrors the kernel step by step on Python ints (see ``msm.py`` for the maths):
signed digits dᵥ = bits[cv, cv+c) + bit(cv−1) − 2^c·bit(cv+c−1), buckets
1..2^(c−1) holding ±P, every bucket list halved per round by affine additions
whose denominators share one inversion (Montgomery's trick), the bucket sum
Σ j·B_j = L·Σ hi·A_hi + Σ lo·C_lo (j = hi·L + lo, A and C plain sums reduced
the same way, then two short running sums), Horner over windows.  ``msm_naive`` is the obvious Σ [kᵢ]Pᵢ.
"""

from verifier.fields import Q_MOD as Q

from . import g1

__all__ = ["window_bits", "signed_digits", "bucket_sum", "msm", "msm_naive"]


def window_bits(n: int) -> int:
    """Same choice as the kernel: minimise ⌈255/c⌉·(n + 2·2^(c−1))."""
    if n <= 1:
        return 2
    return min(range(2, 21), key=lambda c: -(-255 // c) * (n + 2 * (1 << (c - 1))))


def signed_digits(k: int, c: int, nw: int) -> list:
    """Digits dᵥ ∈ [−2^(c−1), 2^(c−1)] with k = Σ dᵥ·2^(cv), for k < 2^(c·nw − 1)."""
    bit = lambda pos: (k >> pos) & 1 if pos >= 0 else 0   # noqa: E731
    mask = (1 << c) - 1
    out = []
    for v in range(nw):
        raw = (k >> (c * v)) & mask
        d = raw + bit(c * v - 1)
        if raw >= 1 << (c - 1):
            d -= 1 << c
        out.append(d)
    return out


def _pair_den(p, q):
    """x_q − x_p, 2y_p for p = q, 0 for an infinity operand or p = −q."""
    if p is None or q is None:
        return 0
    if p[0] != q[0]:
        return (q[0] - p[0]) % Q
    return 2 * p[1] % Q if p[1] == q[1] else 0


def _pair_add(p, q, dinv):
    if p is None:
        return q
    if q is None:
        return p
    if dinv == 0:
        return None
    num = 3 * p[0] * p[0] if p[0] == q[0] else q[1] - p[1]
    lam = num * dinv % Q
    x3 = (lam * lam - p[0] - q[0]) % Q
    return (x3, (lam * (p[0] - x3) - p[1]) % Q)


def _halve_all(buckets):
    """One round: every list of length ≥ 2 becomes its neighbour sums (one inversion)."""
    pairs = [(b, i) for b, lst in enumerate(buckets) for i in range(len(lst) // 2)]
    dens = [_pair_den(buckets[b][2 * i], buckets[b][2 * i + 1]) for b, i in pairs]
    prefix, acc = [], 1
    for d in dens:
        prefix.append(acc)
        if d:
            acc = acc * d % Q
    inv = pow(acc, -1, Q)
    dinvs = [0] * len(dens)
    for t in range(len(dens) - 1, -1, -1):
        if dens[t]:
            dinvs[t] = inv * prefix[t] % Q
            inv = inv * dens[t] % Q
    new = [[] for _ in buckets]
    for (b, i), dinv in zip(pairs, dinvs):
        new[b].append(_pair_add(buckets[b][2 * i], buckets[b][2 * i + 1], dinv))
    for b, lst in enumerate(buckets):
        if len(lst) % 2:
            new[b].append(lst[-1])
    return new


def _tree_sum(lists):
    """Reduce every list to its sum (None for empty) by halving rounds."""
    while any(len(lst) >= 2 for lst in lists):
        lists = _halve_all(lists)
    return [lst[0] if lst else None for lst in lists]


def _running_sum(points):
    """Σ i·points[i] (index 0 has weight 0): S += Pᵢ, T += S from the top."""
    S, T = g1.INF_J, g1.INF_J
    for p in reversed(points[1:]):
        S = g1.jadd_mixed(S, p)
        T = g1.jadd(T, S)
    return T


def bucket_sum(B, c):
    """Σ j·B[j] for j = 1..2^(c−1) (B[0] unused) via j = hi·L + lo, L = 2^⌊(c−1)/2⌋."""
    h = (c - 1) // 2
    L, nb = 1 << h, 1 << (c - 1)
    A = _tree_sum([[B[j] for j in range(hi * L, min(hi * L + L, nb + 1)) if j and B[j]]
                   for hi in range(nb // L + 1)])
    C = _tree_sum([[B[j] for j in range(lo, nb + 1, L) if j and B[j]] for lo in range(L)])
    T = _running_sum(A)
    for _ in range(h):
        T = g1.jdouble(T)
    return g1.jadd(T, _running_sum(C))


def msm(points, scalars, c: int = 0):
    """Σ kᵢ·Pᵢ (affine (x, y) | None) for scalars 0 ≤ k < 2²⁵⁴."""
    n = len(points)
    if n == 0:
        return None
    c = c or window_bits(n)
    nw = -(-255 // c)
    digits = [signed_digits(k, c, nw) for k in scalars]
    sums = []
    for v in range(nw):
        buckets = [[] for _ in range((1 << (c - 1)) + 1)]   # index = |digit|; 0 unused
        for p, ds in zip(points, digits):
            d = ds[v]
            if p is not None and d != 0:
                buckets[abs(d)].append(p if d > 0 else g1.affine_neg(p))
        sums.append(bucket_sum(_tree_sum(buckets), c))
    acc = sums[-1]
    for T in reversed(sums[:-1]):
        for _ in range(c):
            acc = g1.jdouble(acc)
        acc = g1.jadd(acc, T)
    return g1.to_affine(acc)


def msm_naive(points, scalars):
    acc = g1.INF_J
    for p, k in zip(points, scalars):
        if p is not None:
            acc = g1.jadd(acc, g1.scalar_mul(p, k))
    return g1.to_affine(acc)
