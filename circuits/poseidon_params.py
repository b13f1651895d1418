"""Poseidon parameters of iden3/circomlib, generated here (no constant is typed in).

Role: produce, for a state width t = 2…17 (1…16 inputs), the round constants
C (one per state element and round) and the MDS matrix M that circomlib and
circomlibjs use, and the "optimized" form of the same permutation that the
circuit evaluates.

Generation (Poseidon paper, eprint 2019/458, appendix F; the reference script
``generate_parameters_grain.sage 1 0 254 t 8 R_P r`` that circomlibjs cites):

* An 80-bit Grain LFSR is seeded with the bits of (field = 1: prime field,
  2 bits), (S-box = 0: x^α, 4 bits), (n = 254, 12 bits), (t, 12 bits),
  (R_F = 8, 10 bits), (R_P, 10 bits) and thirty 1s; the feedback is
  b₆₂ ⊕ b₅₁ ⊕ b₃₈ ⊕ b₂₃ ⊕ b₁₃ ⊕ b₀; the first 160 outputs are discarded.
* Output bits go through the self-shrinking filter: of each pair (a, b), b is
  kept when a = 1.
* Each round constant is 254 such bits read most significant first, drawn again
  while ≥ r; (R_F + R_P)·t of them.
* The MDS matrix is the Cauchy matrix M[i][j] = 1/(xᵢ + yⱼ) of the next 2t
  draws of 254 bits reduced mod r (drawn again if not all distinct or if some
  xᵢ + yⱼ = 0).  The reference script also tests the matrix against invariant
  subspace attacks and draws again if it fails; circomlib's matrices are the
  first draws (the tests compare C and M with circomlibjs's tables).
* R_F = 8 and R_P = [56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68]
  for t = 2…17, as circomlib.

Optimized form (same permutation, cheaper in a circuit; paper appendix B):

1. In a partial round only element 0 passes the S-box, so the constants added
   to elements 1…t−1 commute with it: they are carried forward through M
   (carry = M·(0, c₁…)) into the next round, and after the last partial round
   into the first closing full round.  Partial rounds then add one constant.
2. Each partial round's matrix E factors as E = S·D with D = diag(1, Ê) (Ê the
   lower-right (t−1)² block of E) and the sparse
   S = [[E₀₀, v], [w, I]], v = E₀,₁…·Ê⁻¹, w = E₁…,₀.  D acts as the identity on
   element 0, so it commutes with the partial round before it and is pushed
   back into that round's matrix (E ← D·M), last partial round first.  The
   last full round before the partial rounds ends with P = D·M.
"""

from functools import lru_cache

from verifier.fields import R_MOD

__all__ = ["R_F", "R_P", "MAX_INPUTS", "Params", "params", "grain_constants", "mat_vec"]

R_F = 8
R_P = (56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68)   # t = 2, 3, …
MAX_INPUTS = len(R_P)
_N_BITS = 254


class _Grain:
    """Grain LFSR in self-shrinking mode (bits of the parameter seed first).

    The register holds the last 80 sequence bits, the oldest in bit 0; since the
    farthest tap is 62, the next 18 bits xⱼ₊₈₀ = xⱼ₊₆₂ ⊕ xⱼ₊₅₁ ⊕ xⱼ₊₃₈ ⊕ xⱼ₊₂₃ ⊕
    xⱼ₊₁₃ ⊕ xⱼ come out of one shift-and-xor of the whole register.
    """

    def __init__(self, t: int, r_f: int, r_p: int):
        seed = ("01" + "0000" + format(_N_BITS, "012b") + format(t, "012b")
                + format(r_f, "010b") + format(r_p, "010b") + "1" * 30)
        self._reg = int(seed[::-1], 2)            # seed bit k at register bit k
        self._buf = ""                            # raw bits produced, not yet consumed
        self._out = ""                            # filtered bits, not yet consumed
        self._raw(160)                            # discarded

    def _raw(self, n: int) -> str:
        """The next n raw LFSR bits as a '0'/'1' string, oldest first."""
        chunks = [self._buf]
        have = len(self._buf)
        while have < n:
            s = self._reg
            new = (s ^ (s >> 13) ^ (s >> 23) ^ (s >> 38) ^ (s >> 51) ^ (s >> 62)) & 0x3FFFF
            self._reg = (s >> 18) | (new << 62)
            chunks.append(format(new, "018b")[::-1])
            have += 18
        bits = "".join(chunks)
        self._buf = bits[n:]
        return bits[:n]

    def bits(self, n: int) -> int:
        """The next n filtered bits (pairs (a, b) of raw bits yield b when a = 1), MSB first."""
        while len(self._out) < n:
            raw = self._raw(18 * 64)
            self._out += "".join(b for a, b in zip(raw[::2], raw[1::2]) if a == "1")
        v, self._out = int(self._out[:n], 2), self._out[n:]
        return v


def grain_constants(t: int):
    """(C, M) for width t: C flat, round-major ((R_F + R_P)·t values); M as rows."""
    r_p = R_P[t - 2]
    g = _Grain(t, R_F, r_p)
    consts = []
    for _ in range((R_F + r_p) * t):
        v = g.bits(_N_BITS)
        while v >= R_MOD:
            v = g.bits(_N_BITS)
        consts.append(v)
    while True:
        xy = [g.bits(_N_BITS) % R_MOD for _ in range(2 * t)]
        if len(set(xy)) < 2 * t or any((x + y) % R_MOD == 0 for x in xy[:t] for y in xy[t:]):
            continue
        return consts, [[pow(x + y, -1, R_MOD) for y in xy[t:]] for x in xy[:t]]


# ------------------------------------------------------------------ small matrix algebra
def mat_vec(m, v):
    return [sum(a * b for a, b in zip(row, v)) % R_MOD for row in m]


def _mat_mul(a, b):
    cols = list(zip(*b))
    return [[sum(x * y for x, y in zip(row, col)) % R_MOD for col in cols] for row in a]


def _mat_inv(m):
    """Gauss–Jordan inverse mod r."""
    n = len(m)
    a = [list(row) + [int(i == j) for j in range(n)] for i, row in enumerate(m)]
    for col in range(n):
        piv = next(i for i in range(col, n) if a[i][col])
        a[col], a[piv] = a[piv], a[col]
        inv = pow(a[col][col], -1, R_MOD)
        a[col] = [x * inv % R_MOD for x in a[col]]
        for i in range(n):
            if i != col and a[i][col]:
                f = a[i][col]
                a[i] = [(x - f * y) % R_MOD for x, y in zip(a[i], a[col])]
    return [row[n:] for row in a]


class Params:
    """Constants of one width: plain (c, m) and optimized (full_c, partial_c, p, sparse)."""

    def __init__(self, t: int):
        self.t, self.r_p = t, R_P[t - 2]
        flat, self.m = grain_constants(t)
        self.c = [flat[i * t:(i + 1) * t] for i in range(R_F + self.r_p)]
        half = R_F // 2
        # 1. constants of partial rounds: keep element 0, carry the rest forward
        self.full_c = [list(row) for row in self.c[:half] + self.c[half + self.r_p:]]
        self.partial_c = []
        carry = [0] * t
        for row in self.c[half:half + self.r_p]:
            row = [(a + b) % R_MOD for a, b in zip(row, carry)]
            self.partial_c.append(row[0])
            carry = mat_vec(self.m, [0] + row[1:])
        self.full_c[half] = [(a + b) % R_MOD for a, b in zip(self.full_c[half], carry)]
        # 2. sparse factorization of the partial rounds' matrices, last round first
        sparse = []
        e = self.m
        for _ in range(self.r_p):
            e_hat = [row[1:] for row in e[1:]]
            inv = _mat_inv(e_hat)
            v = [sum(e[0][1 + k] * inv[k][j] for k in range(t - 1)) % R_MOD for j in range(t - 1)]
            sparse.append((e[0][0], v, [row[0] for row in e[1:]]))
            d = [[1] + [0] * (t - 1)] + [[0] + row for row in e_hat]
            e = _mat_mul(d, self.m)
        self.sparse = sparse[::-1]        # per partial round: (e00, v, w)
        self.p = e                        # matrix of the last full round before them


@lru_cache(maxsize=None)
def params(t: int) -> Params:
    """The parameters for state width t (2 ≤ t ≤ 17), generated once and cached."""
    if not 2 <= t <= MAX_INPUTS + 1:
        raise ValueError(f"Poseidon width t must be in [2, {MAX_INPUTS + 1}], got {t}")
    return Params(t)
