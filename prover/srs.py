"""The structured reference string (SRS): powers of τ in G1 and G2, from a .ptau or a dev τ.

KZG needs [τⁱ]₁ for i < n + 6 and [1]₂, [τ]₂.  ``SRS`` holds m = 2·2^power − 1
G1 powers (as a ptau does) as an ``(m, 2, 4)`` uint64 affine Montgomery array,
the two G2 points as ``verifier.curve`` tuples, and a cache of Lagrange blocks
[L_i^(p)(τ)]₁ (L_i^(p) the Lagrange basis of the 2^p-th roots of unity).

.ptau layout (snarkjs / Perpetual Powers of Tau; all integers little-endian):
  "ptau", u32 version = 1, u32 nSections, then per section u32 id, u64 size, body.
  1  header: u32 n8 = 32, q (32 B plain), u32 power, u32 ceremonyPower
  2  [τⁱ]₁, i < 2·2^power − 1        (64 B a point: x ‖ y, each x·2²⁵⁶ mod q)
  3  [τⁱ]₂, i < 2^power (or 2 in a minimal file)   (128 B: x.c0 ‖ x.c1 ‖ y.c0 ‖ y.c1)
  12 Lagrange blocks for p = 0, 1, …: block p at point offset 2^p − 1, point i
     = [L_i^(p)(τ)]₁ = (1/M)·Σⱼ ω_p^(−ij)·[τʲ]₁ with M = 2^p.
The all-zero encoding is infinity.  Sections 4–7 (α, β, contributions) belong to
Groth16's phase 2 and to snarkjs's transcript; PLONK never reads them.

``load_ptau`` trusts nothing: container and sizes, q = BN254's, every G1 point
canonical and on the curve (a kernel), [1]₁/[1]₂ the generators, [τ]₂ on the
twist and in G2, τ ≠ 1, e([τ]₁, [1]₂) = e([1]₁, [τ]₂), and — with random ρ
the file's author cannot predict — e(Σρᵢ[τⁱ]₁, [τ]₂) = e(Σρᵢ[τⁱ⁺¹]₁, [1]₂), which
holds for all ρ only if every point is the next power (one MSM each side).  The
two pairing equations run as one randomised 2-pair product.  A section 12 present in
the file is checked against the powers with the scalar identity
Σᵢρᵢ·L_i(τ) = Σⱼ cⱼτʲ, c = intt(ρ) (two MSMs, no pairing) and then cached.

``export_ptau`` writes sections 1, 2, 3 (the two G2 points snarkjs uses) and 12
for p = 0..power: the "minimal" file ``snarkjs plonk setup`` accepts.  snarkjs's
``prepare phase2`` adds a block p = power + 1 that no setup below 2²⁸ reads; we
omit it.  Without τ, the blocks come from ``srs_kernels.g1_ifft``.

``dev_srs`` draws τ from the OS CSPRNG, computes everything as fixed-base
multiples of known scalars and drops τ.  It is for development only: whoever
ran it could have kept τ and could forge proofs.
"""

import io
import os
import secrets
import struct
import warnings
from dataclasses import dataclass, field

import numpy as np

from verifier.curve import (G1_GEN, G2_GEN, CurveError, g1_add, g1_mul, g1_neg, g2_mul,
                            g2_validate, pairing_check)
from verifier.errors import BadInput
from verifier.fields import Q_MOD, R_MOD

from .kernels import convert, fr, g1, msm, ntt

__all__ = [
    "SRS", "PtauError", "DevelopmentSRSWarning", "PtauLayout", "MAX_POWER",
    "dev_srs", "load_ptau", "ptau_powers", "export_ptau", "scan_ptau", "read_section", "write_ptau",
    "g1_to_lem", "g1_from_lem", "g2_to_lem", "g2_from_lem",
]

MAX_POWER = 28
_TOP_MASK = np.uint64((1 << 61) - 1)       # keeps 3·64 + 61 = 253 bits
_R = 1 << 256
_R_INV = pow(_R, -1, Q_MOD)
_SEC = {1: "header", 2: "tauG1", 3: "tauG2", 12: "Lagrange tauG1"}


class PtauError(BadInput):
    """A .ptau file is malformed or its points are not a valid SRS (one-line message)."""


class DevelopmentSRSWarning(UserWarning):
    """The SRS comes from a τ that one machine knew: never use it in production."""


@dataclass
class SRS:
    """Powers of τ: ``g1`` (2·2^power − 1, 2, 4) affine Montgomery, ``g2`` = ([1]₂, [τ]₂)."""
    power: int
    g1: np.ndarray
    g2: tuple
    development: bool = False
    lagrange: dict = field(default_factory=dict, repr=False)   #: p → (2^p, 2, 4)

    def lagrange_g1(self, p: int) -> np.ndarray:
        """[L_i^(p)(τ)]₁ for i < 2^p (cached; computed by the G1 inverse FFT when missing)."""
        from .kernels import srs_kernels as sk     # not loaded by proving
        if not 0 <= p <= self.power:
            raise ValueError(f"Lagrange block 2^{p} outside this SRS (power {self.power})")
        if p not in self.lagrange:
            self.lagrange[p] = sk.g1_ifft(self.g1[: 1 << p])
        return self.lagrange[p]


# ----------------------------------------------------------------- encodings

def g1_to_lem(p) -> bytes:
    """G1 int tuple (None = ∞) → 64 bytes little-endian Montgomery."""
    if p is None:
        return bytes(64)
    return b"".join((c * _R % Q_MOD).to_bytes(32, "little") for c in p)


def _lem_ints(b: bytes) -> list:
    vals = [int.from_bytes(b[i:i + 32], "little") for i in range(0, len(b), 32)]
    if any(v >= Q_MOD for v in vals):
        raise CurveError("coordinate is not reduced mod q")
    return [v * _R_INV % Q_MOD for v in vals]


def g1_from_lem(b: bytes):
    """64 bytes → G1 int tuple (None for all-zero); checks only that coordinates are < q."""
    if not any(b):
        return None
    x, y = _lem_ints(b)
    return (x, y)


def g2_to_lem(p) -> bytes:
    if p is None:
        return bytes(128)
    (x0, x1), (y0, y1) = p
    return b"".join((c * _R % Q_MOD).to_bytes(32, "little") for c in (x0, x1, y0, y1))


def g2_from_lem(b: bytes):
    """128 bytes → G2 tuple (None for all-zero); checks only coordinates < q (then ``g2_validate``)."""
    if not any(b):
        return None
    x0, x1, y0, y1 = _lem_ints(b)
    return ((x0, x1), (y0, y1))


# ----------------------------------------------------------------- container

@dataclass(frozen=True)
class PtauLayout:
    """Where each section of a .ptau lies: ``sections[id] = (offset, size)``; header fields."""
    path: str
    sections: dict
    power: int
    ceremony_power: int


def scan_ptau(path) -> PtauLayout:
    """Read the container and header of a .ptau without loading its bodies."""
    path = os.fspath(path)
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        head = f.read(12)
        if len(head) < 12:
            raise PtauError(f"truncated: {size} bytes is shorter than the 12-byte ptau preamble")
        if head[:4] != b"ptau":
            raise PtauError(f"wrong magic {head[:4]!r}: not a .ptau file (expected b'ptau')")
        version, nsec = struct.unpack("<II", head[4:])
        if version != 1:
            raise PtauError(f"unsupported ptau version {version} (expected 1)")
        sections, pos = {}, 12
        for _ in range(nsec):
            f.seek(pos)
            sh = f.read(12)
            if len(sh) < 12:
                raise PtauError(f"truncated: section table ends at byte {pos} of {size}")
            sid, ssize = struct.unpack("<IQ", sh)
            if pos + 12 + ssize > size:
                raise PtauError(f"truncated: section {sid} declares {ssize} bytes, "
                                f"only {size - pos - 12} remain")
            if sid in sections:
                raise PtauError(f"duplicate section {sid}")
            sections[sid] = (pos + 12, ssize)
            pos += 12 + ssize
        if pos != size:
            raise PtauError(f"{size - pos} trailing bytes after the {nsec} declared sections")
        for sid in (1, 2, 3):
            if sid not in sections:
                raise PtauError(f"missing section {sid} ({_SEC[sid]})")
        off, hsize = sections[1]
        if hsize != 44:
            raise PtauError(f"header section has {hsize} bytes (expected 44)")
        f.seek(off)
        h = f.read(44)
    n8 = struct.unpack("<I", h[:4])[0]
    if n8 != 32:
        raise PtauError(f"wrong curve: field elements of {n8} bytes (BN254 has 32)")
    if int.from_bytes(h[4:36], "little") != Q_MOD:
        raise PtauError("wrong curve: the header's prime q is not BN254's")
    power, cpower = struct.unpack("<II", h[36:44])
    if not 1 <= power <= MAX_POWER or not power <= cpower <= MAX_POWER:
        raise PtauError(f"header power {power} / ceremony power {cpower} outside 1..{MAX_POWER}")
    return PtauLayout(path, sections, power, cpower)


def read_section(layout: PtauLayout, sid: int, start: int = 0, length: int = None) -> bytes:
    """Bytes [start, start + length) of section ``sid`` (all of it by default)."""
    off, size = layout.sections[sid]
    length = size - start if length is None else length
    with open(layout.path, "rb") as f:
        f.seek(off + start)
        return f.read(length)


def write_ptau(path, power: int, sections) -> None:
    """Write a .ptau: the BN254 header (ceremonyPower = power), then ``(id, bytes)`` sections.

    Written to a temporary file and renamed, so a crash never leaves half a file.
    """
    header = struct.pack("<I", 32) + Q_MOD.to_bytes(32, "little") + struct.pack("<II", power, power)
    body = [(1, header)] + [(sid, data) for sid, data in sections]
    tmp = f"{os.fspath(path)}.tmp{os.getpid()}"
    with open(tmp, "wb") as f:
        f.write(b"ptau" + struct.pack("<II", 1, len(body)))
        for sid, data in body:
            data = data.tobytes() if isinstance(data, np.ndarray) else data
            f.write(struct.pack("<IQ", sid, len(data)))
            f.write(data)
    os.replace(tmp, path)


# ----------------------------------------------------------------- load

def _read_points(layout, sid, count) -> np.ndarray:
    off, _ = layout.sections[sid]
    with open(layout.path, "rb") as f:
        f.seek(off)
        arr = np.fromfile(f, dtype="<u8", count=count * 8)
    return arr.astype(np.uint64, copy=False).reshape(count, 2, 4)


def _check_g1(P, what, allow_inf=False):
    from .kernels import srs_kernels as sk     # not loaded by proving
    idx, kind = sk.check_points(P, allow_inf)
    if idx >= 0:
        why = {sk.BAD_RANGE: "has a coordinate that is not reduced mod q",
               sk.BAD_INFINITY: "is the point at infinity",
               sk.BAD_CURVE: "is not on the curve y^2 = x^3 + 3"}[int(kind)]
        raise PtauError(f"{what} point {idx} {why}")


def _rand_scalars(n: int) -> np.ndarray:
    """n uniform scalars in [0, 2²⁵³) (< r) from the OS CSPRNG, as (n, 4) plain limbs.

    A random-linear-combination check with coefficients from a set of size 2²⁵³
    accepts a false statement with probability ≤ 2⁻²⁵³ (Schwartz–Zippel).
    """
    a = np.frombuffer(os.urandom(32 * n), dtype="<u8").astype(np.uint64).reshape(n, 4)
    a[:, 3] &= _TOP_MASK
    return a


def _check_lagrange(srs: SRS, L: np.ndarray, top: int) -> None:
    """One combined check that the concatenated blocks p ≤ top are [L_i^(p)(τ)]₁."""
    rho = _rand_scalars(L.shape[0])
    coeff = np.zeros((1 << top, 4), dtype=np.uint64)       # Montgomery Σ_p intt(ρ_p), padded
    for p in range(top + 1):
        blk = fr.to_mont_vec(rho[(1 << p) - 1: (1 << (p + 1)) - 1])
        coeff[: 1 << p] = fr.add_vec(coeff[: 1 << p], ntt.intt(blk))
    lhs = msm.msm(L, rho)
    rhs = msm.msm(srs.g1[: 1 << top], fr.from_mont_vec(coeff))
    if not np.array_equal(lhs, rhs):
        raise PtauError("section 12 (Lagrange points) is inconsistent with the powers of tau")


def _check_powers(P, t1, t2) -> None:
    """[τ]₁ ~ [τ]₂ and Pᵢ₊₁ = τ·Pᵢ, as ONE two-pair pairing product (diagnosed on failure).

    With A = Σρᵢ·Pᵢ, B = Σρᵢ·Pᵢ₊₁ (i < m − 1) the two equations are
    e(t1, g₂)·e(−g₁, t2) = 1 and e(A, t2)·e(−B, g₂) = 1; for random γ their
    product with the second raised to γ is e(t1 − γB, g₂)·e(γA − g₁, t2), which
    is 1 with probability ≤ 1/r unless both are (G_T has prime order r).
    """
    rho = _rand_scalars(P.shape[0] - 1)
    A = g1.array_to_points(msm.msm(P[:-1], rho).reshape(1, 2, 4))[0]
    B = g1.array_to_points(msm.msm(P[1:], rho).reshape(1, 2, 4))[0]
    gamma = secrets.randbelow(R_MOD - 1) + 1
    lhs = g1_add(t1, g1_neg(g1_mul(B, gamma)))
    rhs = g1_add(g1_mul(A, gamma), g1_neg(G1_GEN))
    if pairing_check([(lhs, G2_GEN), (rhs, t2)]):
        return
    if not pairing_check([(t1, G2_GEN), (g1_neg(G1_GEN), t2)]):
        raise PtauError("[tau]_1 and [tau]_2 do not match (pairing check failed)")
    raise PtauError("tauG1 points are not successive powers of tau "
                    "(random-combination pairing check failed)")


def _scan_sized(path) -> PtauLayout:
    """``scan_ptau`` plus the sizes of sections 2 and 3 for the header's power."""
    lay = scan_ptau(path)
    N = 1 << lay.power
    if lay.sections[2][1] != (2 * N - 1) * 64:
        raise PtauError(f"section 2 (tauG1) has {lay.sections[2][1]} bytes; power {lay.power} "
                        f"needs {(2 * N - 1) * 64} ({2 * N - 1} points)")
    if lay.sections[3][1] not in (N * 128, 2 * 128):
        raise PtauError(f"section 3 (tauG2) has {lay.sections[3][1]} bytes; power {lay.power} "
                        f"needs {N * 128} ({N} points, or 2 in a minimal file)")
    return lay


def ptau_powers(path, power: int) -> SRS:
    """The 2^power + 6 powers [τⁱ]₁ a 2^power-domain setup reads, and ([1]₂, [τ]₂), from a .ptau.

    Only the container, the sizes and the encodings are checked: none of ``load_ptau``'s
    curve, pairing and Lagrange checks (they cost MSMs and pairings).  For a prover whose
    key is checked elsewhere: the exit's proving key is built with the deployed verifier's
    key, which names [τ]₂, and its proof is verified against that key before it is sent,
    so powers that are not that SRS's give a proof that is refused, never a wrong claim.
    The ``SRS`` returned holds only those powers (for ``setup``, not for ``export_ptau``).
    """
    lay = _scan_sized(path)
    if lay.power < power:
        raise PtauError(f"the file holds 2^{lay.power} powers; 2^{power} are needed")
    raw2 = read_section(lay, 3, 0, 256)
    try:
        g2 = (g2_from_lem(raw2[:128]), g2_from_lem(raw2[128:]))
    except CurveError as e:
        raise PtauError(f"tauG2: {e}") from None
    return SRS(power=power, g1=_read_points(lay, 2, (1 << power) + 6), g2=g2)


def load_ptau(path, *, max_power: int = None, lagrange: bool = True,
              _allow_trivial: bool = False) -> SRS:
    """Load and fully validate a .ptau; ``max_power`` keeps only the first 2·2^max_power − 1 powers.

    ``lagrange``: also load (and check) section 12's blocks when the file has them.
    Raises ``PtauError`` (a ``ValueError``) naming the first problem found.
    """
    lay = _scan_sized(path)
    power = lay.power if max_power is None else max(1, min(lay.power, int(max_power)))
    m = 2 * (1 << power) - 1
    P = _read_points(lay, 2, m)
    _check_g1(P, "tauG1")
    if g1.array_to_points(P[:1])[0] != G1_GEN:
        raise PtauError("tauG1 point 0 is not the G1 generator [1]_1")
    raw2 = read_section(lay, 3, 0, 256)
    try:
        if g2_from_lem(raw2[:128]) != G2_GEN:
            raise PtauError("tauG2 point 0 is not the G2 generator [1]_2")
        t2 = g2_from_lem(raw2[128:])
        if t2 is None:
            raise PtauError("tauG2 point 1 is the point at infinity")
        t2 = g2_validate(t2[0], t2[1], name="tauG2 point 1")
    except CurveError as e:
        msg = str(e)
        raise PtauError(msg if msg.startswith("tauG2") else f"tauG2: {msg}") from None
    t1 = g1.array_to_points(P[1:2])[0]
    if not _allow_trivial and t1 == G1_GEN:
        raise PtauError("trivial SRS: tau = 1 (a ceremony file before any contribution)")
    _check_powers(P, t1, t2)
    srs = SRS(power=power, g1=P, g2=(G2_GEN, t2))
    if lagrange and 12 in lay.sections:
        need = ((1 << (power + 1)) - 1) * 64
        if lay.sections[12][1] < need:
            raise PtauError(f"section 12 (Lagrange) has {lay.sections[12][1]} bytes; "
                            f"blocks up to 2^{power} need {need}")
        L = np.frombuffer(read_section(lay, 12, 0, need), dtype="<u8")
        L = L.astype(np.uint64).reshape(-1, 2, 4)
        _check_g1(L, "section 12 (Lagrange)", allow_inf=True)
        _check_lagrange(srs, L, power)
        srs.lagrange = {p: L[(1 << p) - 1: (1 << (p + 1)) - 1] for p in range(power + 1)}
    return srs


# ----------------------------------------------------------------- dev SRS and export

def dev_srs(power: int, *, rng=secrets) -> SRS:
    """A DEVELOPMENT SRS from a random τ — NOT FOR PRODUCTION.

    τ comes from ``rng.randbelow`` (the OS CSPRNG by default), is used to compute
    [τⁱ]₁, [τ]₂ and the Lagrange blocks [L_i^(p)(τ)]₁ for p ≤ power (fixed-base
    multiples of known scalars, so no G1 FFT) and is then dropped; it is never
    stored or written.  Anyone who ran this could still have kept τ and forge
    proofs, hence the warning and ``development=True``.  Use a ceremony's .ptau
    (``load_ptau``) for anything real.
    """
    from .kernels import srs_kernels as sk     # not loaded by proving
    if not 1 <= power <= MAX_POWER:
        raise ValueError(f"dev_srs: power {power} outside 1..{MAX_POWER}")
    warnings.warn(f"dev_srs({power}): DEVELOPMENT SRS from a locally sampled tau — "
                  "not for production (use a ceremony .ptau)", DevelopmentSRSWarning, stacklevel=2)
    N = 1 << power
    tau = 0
    while pow(tau, N, R_MOD) in (0, 1):                 # τ ∉ {0} ∪ H: every L_i(τ) is defined
        tau = rng.randbelow(R_MOD)
    pows = fr.powers(convert.fr_scalar(tau), 2 * N - 1)     # Montgomery τⁱ
    lag = [ntt.intt(np.ascontiguousarray(pows[: 1 << p])) for p in range(power + 1)]
    scalars = fr.from_mont_vec(np.concatenate([pows] + lag))
    table = sk.fixed_base_table(g1.points_to_array([G1_GEN])[0])
    pts = sk.fixed_base_affine(table, scalars)
    t2 = g2_mul(G2_GEN, tau)
    del tau, pows, lag, scalars
    m = 2 * N - 1
    L = pts[m:]
    lagrange = {p: L[(1 << p) - 1: (1 << (p + 1)) - 1] for p in range(power + 1)}
    return SRS(power=power, g1=pts[:m].copy(), g2=(G2_GEN, t2), development=True,
               lagrange=lagrange)


def export_ptau(srs: SRS, path, *, extra_sections=()) -> None:
    """Write ``srs`` as a .ptau that ``snarkjs plonk setup`` accepts (sections 1, 2, 3, 12).

    Lagrange blocks missing from the cache are computed (G1 inverse FFT).
    ``extra_sections``: further ``(id, bytes)`` sections written verbatim (the
    ceremony transcript uses this).
    """
    blocks = [srs.lagrange_g1(p) for p in range(srs.power + 1)]
    sec12 = io.BytesIO()
    for b in blocks:
        sec12.write(np.ascontiguousarray(b, dtype="<u8").tobytes())
    g2 = g2_to_lem(srs.g2[0]) + g2_to_lem(srs.g2[1])
    write_ptau(path, srs.power, [(2, np.ascontiguousarray(srs.g1, dtype="<u8")), (3, g2),
                                 (12, sec12.getvalue()), *extra_sections])

