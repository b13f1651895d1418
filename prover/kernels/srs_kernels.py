"""G1 kernels for the structured reference string: point checks, fixed-base and
batch scalar multiplication, and the inverse FFT over G1 (Lagrange points).

Role: everything ``prover/srs.py`` and ``prover/ceremony.py`` do to many G1
points at once.  Layouts are those of ``g1.py``: affine ``(n, 2, 4)`` uint64
Montgomery Fq with all-zero = infinity, Jacobian ``(n, 3, 4)`` with Z = 0 =
infinity; scalars are ``(n, 4)`` uint64 *plain* (not Montgomery) limbs.

Kernels
  check_points      first invalid point of an affine array: a coordinate ≥ q
                    (non-canonical encoding), infinity (when not allowed), or
                    y² ≠ x³ + 3 (all in Montgomery form: ỹ·ỹ·R⁻¹ = x̃³R⁻² + 3R).
  fixed_base_table  T[w, d] = d·2^(8w)·B for w < 32, d < 256 (affine, one batch
                    normalisation) — the comb of a fixed base B.
  fixed_base_mul    [kᵢ]B = Σ_w T[w, byte_w(kᵢ)]: at most 32 mixed additions a point,
                    no doublings; points spread over the threads.
  batch_mul         [kᵢ]Pᵢ for different points, with the GLV endomorphism
                    φ(x, y) = (βx, y) = [λ](x, y) (β³ = 1 in Fq, λ² + λ + 1 = 0 in Fr):
                    k = k₁ + k₂λ with |kᵢ| < 2¹²⁷ (``glv_split``, Babai rounding in
                    a reduced lattice basis), then ±[|k₁|]P ± [|k₂|]φ(P) on one
                    chain of 4-bit windows: a 15-entry Jacobian table of P,
                    ≤ 124 doublings, ≤ 64 additions (half the doublings of a
                    plain 254-bit ladder).
  g1_ifft           [yᵢ] = (1/M)·Σⱼ ω_M^(−ij)·[xⱼ] for M = 2^p: radix-2 decimation in
                    time, the inverse DFT of the scalar ``ntt.intt`` but with point
                    additions for field additions and ``batch_mul``-style scalar
                    (GLV) multiplications by the twiddles ω_{2m}^(−j).  Each stage is one
                    parallel loop over its M/2 butterflies (a butterfly costs a whole
                    scalar multiplication, so the parallel grain is coarse); the
                    trivial twiddle 1 is skipped.  Applied to [τʲ]₁ it gives
                    [L_i(τ)]₁, the Lagrange basis at τ (snarkjs's ptau section 12).
The readable twins are in ``twins/srs.py``.  Loops over points are nogil kernels
over index ranges, run on all cores by ``threads.parallel_for``.

Measured (2 threads, CPU seconds on a busy 2-core machine): batch_mul 64 µs a
point (98 µs before GLV), fixed_base_mul ~15 µs; all Lagrange blocks p ≤ 12 by
the G1 iFFT 4.5 s, p ≤ 16 79 s.  snarkjs's ``prepare phase2`` took 33 min at
power 17 on this machine.
"""

import numpy as np
from numba import njit

from verifier.fields import Q_MOD, R_MOD, fr_inv, root_of_unity

from . import fq, g1
from .g1 import _F1, INF_J, _load_a, _load_j, _m, _s, _store, _z
from .threads import num_threads, parallel_for

__all__ = [
    "BAD_NONE", "BAD_RANGE", "BAD_INFINITY", "BAD_CURVE",
    "check_points", "fixed_base_table", "fixed_base_mul", "batch_mul", "g1_ifft_jac",
    "glv_split", "ifft_twiddles", "ifft_twiddle_ints", "g1_ifft", "fixed_base_affine",
    "batch_mul_affine", "GLV_BETA", "GLV_LAMBDA",
]

#: check_points result kinds
BAD_NONE, BAD_RANGE, BAD_INFINITY, BAD_CURVE = 0, 1, 2, 3

_Z = np.uint64(0)
_ONE = np.uint64(1)
_NIB = np.uint64(15)
_BYTE = np.uint64(255)
_U4 = np.uint64(4)
_U8 = np.uint64(8)
#: 3·R mod q: the curve constant b = 3 in Montgomery form
_B0 = np.uint64(0x7a17caa950ad28d7)
_B1 = np.uint64(0x1f6ac17ae15521b9)
_B2 = np.uint64(0x334bea4e696bd284)
_B3 = np.uint64(0x2a1f6744ce179d8e)
_CHUNK = 2048
_TWO = np.uint64(2)
#: β: a primitive cube root of unity in Fq (Montgomery form) with (βx, y) = [λ](x, y)
_BETA0 = np.uint64(0x3350c88e13e80b9c)
_BETA1 = np.uint64(0x7dce557cdb5e56b9)
_BETA2 = np.uint64(0x6001b4b8b615564a)
_BETA3 = np.uint64(0x2682e617020217e0)
#: λ (λ² + λ + 1 = 0 mod r) and the reduced basis (a₁, b₁), (a₂, b₂) of {(x, y): x + yλ ≡ 0}
GLV_BETA = 21888242871839275220042445260109153167277707414472061641714758635765020556616
GLV_LAMBDA = 21888242871839275217838484774961031246154997185409878258781734729429964517155
_GA1, _GB1 = 147946756881789319000765030803803410728, -9931322734385697763
_GA2, _GB2 = 9931322734385697763, 147946756881789319010696353538189108491
_M64 = (1 << 64) - 1


# ----------------------------------------------------------------- validation

@njit(cache=True, no_cpython_wrapper=True, no_cfunc_wrapper=True)
def _below_q(a0, a1, a2, a3):
    """a < q, comparing limbs from the top."""
    if a3 != fq.Q3:
        return a3 < fq.Q3
    if a2 != fq.Q2:
        return a2 < fq.Q2
    if a1 != fq.Q1:
        return a1 < fq.Q1
    return a0 < fq.Q0


@njit(cache=True, no_cpython_wrapper=True, no_cfunc_wrapper=True)
def _point_kind(P, i, allow_inf):
    x, y = _load_a(P, i)
    if not (_below_q(x[0], x[1], x[2], x[3]) and _below_q(y[0], y[1], y[2], y[3])):
        return BAD_RANGE
    if _z(x) and _z(y):
        return BAD_NONE if allow_inf else BAD_INFINITY
    x3 = _m(_s(x), x)
    rhs = fq.add(x3[0], x3[1], x3[2], x3[3], _B0, _B1, _B2, _B3)
    lhs = _s(y)
    if lhs[0] == rhs[0] and lhs[1] == rhs[1] and lhs[2] == rhs[2] and lhs[3] == rhs[3]:
        return BAD_NONE
    return BAD_CURVE


@njit(cache=True, nogil=True)
def _check_chunks(P, allow_inf, first, kinds, lo, hi):
    """For chunks lo ≤ c < hi: the first invalid point of the chunk and its kind."""
    n = P.shape[0]
    for c in range(lo, hi):
        for i in range(c * _CHUNK, min(n, (c + 1) * _CHUNK)):
            k = _point_kind(P, i, allow_inf)
            if k != BAD_NONE:
                first[c] = i
                kinds[c] = k
                break


def check_points(P, allow_inf):
    """(index, kind) of the first invalid affine point in P (n, 2, 4), or (−1, 0)."""
    P = np.ascontiguousarray(P, dtype=np.uint64)
    nch = -(-P.shape[0] // _CHUNK)
    first = np.full(nch, -1, dtype=np.int64)
    kinds = np.zeros(nch, dtype=np.int64)
    parallel_for(_check_chunks, nch, P, bool(allow_inf), first, kinds, chunks=nch)
    bad = np.flatnonzero(first >= 0)
    if bad.size:
        return np.array([first[bad[0]], kinds[bad[0]]], dtype=np.int64)
    return np.array([-1, 0], dtype=np.int64)


# ----------------------------------------------------------------- fixed base

@njit(cache=True, nogil=True)
def _multiples(B, out):
    """out[d] = d·B (Jacobian) for d < len(out), B affine (2, 4): running mixed additions."""
    acc = INF_J
    b = _load_a(B.reshape(1, 2, 4), np.int64(0))
    for d in range(out.shape[0]):
        _store(out, d, acc)
        acc = g1.jadd_mixed(acc, b)


def fixed_base_table(B):
    """T (32·256, 2, 4) affine: T[256w + d] = d·2^(8w)·B for an affine base B (2, 4).

    Row by row: d·B_w for d ≤ 256 by running mixed additions, normalised together;
    the last one, 256·B_w, is the next row's base B_(w+1)."""
    B = np.ascontiguousarray(B, dtype=np.uint64).reshape(2, 4)
    T = np.empty((32 * 256, 2, 4), dtype=np.uint64)
    J = np.empty((257, 3, 4), dtype=np.uint64)
    for w in range(32):
        _multiples(B, J)
        A = g1.jac_to_affine(J)
        T[256 * w: 256 * (w + 1)] = A[:256]
        B = np.ascontiguousarray(A[256])
    return T


@njit(cache=True, nogil=True)
def _fixed_base_range(T, K, out, lo, hi):
    for i in range(lo, hi):
        acc = INF_J
        for limb in range(4):
            k = K[i, limb]
            for b in range(8):
                d = np.int64((k >> (_U8 * np.uint64(b))) & _BYTE)
                if d != 0:
                    acc = g1.jadd_mixed(acc, _load_a(T, 256 * (8 * limb + b) + d))
        _store(out, i, acc)


def fixed_base_mul(T, K):
    """(n, 3, 4) Jacobian [kᵢ]B from the table of ``fixed_base_table`` and plain scalars K (n, 4)."""
    K = np.ascontiguousarray(K, dtype=np.uint64)
    out = np.empty((K.shape[0], 3, 4), dtype=np.uint64)
    parallel_for(_fixed_base_range, K.shape[0], T, K, out, chunks=-(-K.shape[0] // _CHUNK))
    return out


# ----------------------------------------------------------------- variable base (GLV)

@njit(cache=True, no_cpython_wrapper=True, no_cfunc_wrapper=True)
def _neg_j(P):
    X, Y, Z = P
    return (X, fq.neg(Y[0], Y[1], Y[2], Y[3]), Z)


@njit(cache=True, no_cpython_wrapper=True, no_cfunc_wrapper=True)
def _phi(P):
    """The endomorphism φ(x, y) = (βx, y) = [λ]P, in Jacobian coordinates (βX, Y, Z)."""
    X, Y, Z = P
    return (fq.mul(X[0], X[1], X[2], X[3], _BETA0, _BETA1, _BETA2, _BETA3), Y, Z)


@njit(cache=True, no_cpython_wrapper=True, no_cfunc_wrapper=True)
def _jmul(P, k, tab):
    """[k]P for a Jacobian P and a GLV-split scalar k = (|k₁| lo, hi, |k₂| lo, hi, signs).

    [k]P = ±[|k₁|]P ± [|k₂|]φ(P): one shared chain of 4-bit windows over 128 bits
    (≤ 124 doublings, ≤ 64 additions) and a 15-entry table of P; φ and the signs
    are applied to table entries on the fly (one Fq multiplication / negation).
    tab is (16, 3, 4) scratch.
    """
    _store(tab, 1, P)
    _store(tab, 2, g1.jdouble(P))
    for d in range(3, 16):
        _store(tab, d, g1.jadd(_load_j(tab, d - 1), P))
    neg1 = (k[4] & _ONE) != _Z
    neg2 = (k[4] & _TWO) != _Z
    acc = INF_J
    started = False
    for limb in (1, 0):
        for w in range(15, -1, -1):
            sh = _U4 * np.uint64(w)
            d1 = np.int64((k[limb] >> sh) & _NIB)
            d2 = np.int64((k[2 + limb] >> sh) & _NIB)
            if started:
                acc = g1.jdouble(g1.jdouble(g1.jdouble(g1.jdouble(acc))))
            if d1 != 0:
                t = _load_j(tab, d1)
                acc = g1.jadd(acc, _neg_j(t) if neg1 else t)
                started = True
            if d2 != 0:
                t = _phi(_load_j(tab, d2))
                acc = g1.jadd(acc, _neg_j(t) if neg2 else t)
                started = True
    return acc


@njit(cache=True, nogil=True)
def _batch_mul_range(P, K, out, lo, hi):
    tab = np.empty((16, 3, 4), dtype=np.uint64)
    for i in range(lo, hi):
        x, y = _load_a(P, i)
        if _z(x) and _z(y):
            _store(out, i, INF_J)
        else:
            _store(out, i, _jmul((x, y, _F1), K[i], tab))


def batch_mul(P, K):
    """(n, 3, 4) Jacobian [kᵢ]Pᵢ for affine P (n, 2, 4) and GLV-split scalars K (n, 5)."""
    P = np.ascontiguousarray(P, dtype=np.uint64)
    out = np.empty((P.shape[0], 3, 4), dtype=np.uint64)
    parallel_for(_batch_mul_range, P.shape[0], P, K, out, chunks=4 * num_threads())
    return out


# ----------------------------------------------------------------- G1 inverse FFT

@njit(cache=True, nogil=True)
def _ifft_load(P):
    """Bit-reversed load of affine P (M, 2, 4) into a Jacobian (M, 3, 4) array."""
    M = P.shape[0]
    logm = 0
    while (1 << logm) < M:
        logm += 1
    X = np.empty((M, 3, 4), dtype=np.uint64)
    for i in range(M):
        r = 0
        for b in range(logm):
            r |= ((i >> b) & 1) << (logm - 1 - b)
        x, y = _load_a(P, i)
        if _z(x) and _z(y):
            _store(X, r, INF_J)
        else:
            _store(X, r, (x, y, _F1))
    return X


@njit(cache=True, nogil=True)
def _ifft_butterflies(X, tw, m, lo, hi):
    """Butterflies lo ≤ b < hi of the stage with half-span m (twiddle tw[m + j], skipped for j = 0)."""
    tab = np.empty((16, 3, 4), dtype=np.uint64)
    for b in range(lo, hi):
        j = b % m
        i = (b // m) * 2 * m + j
        u = _load_j(X, i)
        v = _load_j(X, i + m)
        if j != 0:
            v = _jmul(v, tw[m + j], tab)
        _store(X, i, g1.jadd(u, v))
        _store(X, i + m, g1.jadd(u, _neg_j(v)))


@njit(cache=True, nogil=True)
def _scale_points(X, k, lo, hi):
    """X[i] ← [k]X[i] for lo ≤ i < hi (k a GLV-split scalar, shape (5,))."""
    tab = np.empty((16, 3, 4), dtype=np.uint64)
    for i in range(lo, hi):
        _store(X, i, _jmul(_load_j(X, i), k, tab))


def g1_ifft_jac(P, tw, inv_m):
    """(M, 3, 4) Jacobian (1/M)·Σⱼ ω^(−ij)[Pⱼ] for affine P (M, 2, 4), M = 2^p.

    tw (M, 5) GLV-split scalars: tw[m + j] = ω_{2m}^(−j) (see ``ifft_twiddles``);
    inv_m (5,) the GLV split of M⁻¹ mod r.
    """
    X = _ifft_load(np.ascontiguousarray(P, dtype=np.uint64))
    M = X.shape[0]
    chunks = 4 * num_threads()
    m = 1
    while m < M:
        parallel_for(_ifft_butterflies, M // 2, X, tw, m, chunks=chunks)
        m *= 2
    if M > 1:
        parallel_for(_scale_points, M, X, inv_m, chunks=chunks)
    return X


# ----------------------------------------------------------------- Python wrappers

def glv_split(scalars) -> np.ndarray:
    """Ints → (n, 5) uint64 [|k₁| lo, hi, |k₂| lo, hi, signs] with k ≡ k₁ + k₂·λ (mod r).

    Babai rounding in the reduced lattice basis: c₁ = ⌊b₂k/r⌉, c₂ = ⌊−b₁k/r⌉,
    k₁ = k − c₁a₁ − c₂a₂, k₂ = −c₁b₁ − c₂b₂; |kᵢ| < 2¹²⁷ (checked).
    """
    rows = []
    for k in scalars:
        k = int(k) % R_MOD
        c1 = (_GB2 * k + R_MOD // 2) // R_MOD
        c2 = (-_GB1 * k + R_MOD // 2) // R_MOD
        k1, k2 = k - c1 * _GA1 - c2 * _GA2, -c1 * _GB1 - c2 * _GB2
        if max(abs(k1), abs(k2)) >> 128:
            raise AssertionError("GLV split out of range")
        rows.append((abs(k1) & _M64, abs(k1) >> 64, abs(k2) & _M64, abs(k2) >> 64,
                     (k1 < 0) | ((k2 < 0) << 1)))
    return np.array(rows, dtype=np.uint64).reshape(-1, 5)


def ifft_twiddles(p: int) -> np.ndarray:
    """(2^p, 5) GLV-split scalars: entry m + j = ω_{2m}^(−j) for m = 1, 2, …, 2^(p−1), j < m."""
    return glv_split(ifft_twiddle_ints(p))


def ifft_twiddle_ints(p: int) -> list:
    """The twiddles of ``ifft_twiddles`` as ints (entry 0 unused, set to 1)."""
    M = 1 << p
    vals = [1] * M
    m = 1
    while m < M:
        w = fr_inv(root_of_unity(m.bit_length()))       # ω_{2m}^(−1); 2m = 2^(log2 m + 1)
        acc = 1
        for j in range(m):
            vals[m + j] = acc
            acc = acc * w % R_MOD
        m *= 2
    return vals


def g1_ifft(points: np.ndarray) -> np.ndarray:
    """Affine (M, 2, 4) → affine (M, 2, 4) inverse DFT over G1 (M a power of two)."""
    points = np.ascontiguousarray(points, dtype=np.uint64)
    M = points.shape[0]
    if M == 0 or M & (M - 1):
        raise ValueError(f"g1_ifft: length {M} is not a power of two")
    p = M.bit_length() - 1
    inv_m = glv_split([fr_inv(M)])[0]
    return g1.jac_to_affine(g1_ifft_jac(points, ifft_twiddles(p), inv_m))


def fixed_base_affine(table: np.ndarray, scalars: np.ndarray) -> np.ndarray:
    """Affine (n, 2, 4) [kᵢ]B (batch-normalised) for plain scalars (n, 4)."""
    return g1.jac_to_affine(fixed_base_mul(table, np.ascontiguousarray(scalars, dtype=np.uint64)))


def batch_mul_affine(points: np.ndarray, scalars) -> np.ndarray:
    """Affine (n, 2, 4) [kᵢ]Pᵢ (batch-normalised) for int scalars (any size; used mod r)."""
    return g1.jac_to_affine(batch_mul(np.ascontiguousarray(points, dtype=np.uint64),
                                      glv_split(scalars)))


def _check() -> None:
    """Import-time checks of the literal constants above."""
    limbs = lambda *v: sum(int(x) << (64 * i) for i, x in enumerate(v))   # noqa: E731
    assert limbs(_B0, _B1, _B2, _B3) == 3 * (1 << 256) % Q_MOD, "b = 3 (Montgomery) is wrong"
    assert limbs(_BETA0, _BETA1, _BETA2, _BETA3) == GLV_BETA * (1 << 256) % Q_MOD
    assert pow(GLV_BETA, 3, Q_MOD) == 1 != GLV_BETA
    assert (GLV_LAMBDA * GLV_LAMBDA + GLV_LAMBDA + 1) % R_MOD == 0
    assert (_GA1 + _GB1 * GLV_LAMBDA) % R_MOD == 0 and (_GA2 + _GB2 * GLV_LAMBDA) % R_MOD == 0
    assert _GA1 * _GB2 - _GA2 * _GB1 == R_MOD, "GLV basis must span the lattice (det = r)"


_check()
