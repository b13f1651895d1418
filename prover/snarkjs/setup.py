"""``plonk setup``: circuit.r1cs + pot.ptau → circuit.zkey, byte for byte ``snarkjs plonk setup``'s.

Steps (the file layout is in ``prover.snarkjs.zkey``):

1. ``plonkify`` turns the R1CS into gates and additions; the domain is
   n = 2^max(3, ⌈log₂ rows⌉) and must fit the .ptau (power ≥ log₂ n, section 12
   present, i.e. prepared for phase 2).
2. Each selector's n values (Montgomery) → coefficients by one inverse NTT and
   → values on the 4n-th roots of unity by one NTT of the zero-padded
   coefficients; its commitment is the MSM of the values against the .ptau's
   Lagrange block [Lᵢ(τ)]₁ (section 12 at point 2^p − 1), as snarkjs computes it.
3. σ₁, σ₂, σ₃ by ``prover.permutation.sigma_values`` (the same cycle rule as
   snarkjs: row by row, a, b, c; padding rows use variable 0), then as in 2.
4. Lᵢ for i < max(nPublic, 1) from one NTT: Lᵢ(X) = L₀(ω⁻ⁱX), so its
   coefficients are L₀'s times ω⁻ⁱʲ and its 4n values are L₀'s rolled by 4i.
5. The first n + 6 [τʲ]₁ and [τ]₂ are copied from the .ptau.

Sections are computed one at a time while the file is written (3 … 14, then
the headers 1, 2), so memory stays near a few n-sized arrays.
"""

import numpy as np

from verifier.fields import Q_MOD, R_MOD, root_of_unity

from ..domain import Domain
from ..kernels import fr, msm, ntt
from ..kernels.convert import fr_from_ints, fr_scalar
from ..permutation import K1, K2, sigma_values
from ..srs import PtauError, scan_ptau
from .binfile import FIELD_BYTES, BinFile, write_bin
from .plonkify import plonkify
from .r1cs import read_r1cs
from .zkey import LAGRANGE_SECTION, PLONK_PROTOCOL, PTAU_SECTION, SELECTOR_SECTIONS, \
    SIGMA_SECTION, montgomery_bytes

__all__ = ["plonk_setup", "domain_power"]

_SELECTORS = ("qm", "ql", "qr", "qo", "qc")


def domain_power(rows: int) -> int:
    """snarkjs's choice: ⌊log₂(rows − 1)⌋ + 1, at least 3."""
    return max(3, (max(rows, 1) - 1).bit_length())


def _values(column, n: int) -> np.ndarray:
    """ints (reduced mod r) → Montgomery (n, 4), padded with zeros; few distinct values are
    converted once each."""
    table, idx = {}, np.empty(n, dtype=np.int64)
    for i, x in enumerate(column):
        idx[i] = table.setdefault(x, len(table))
    idx[len(column):] = table.setdefault(0, len(table))
    return fr_from_ints(list(table))[idx]


def _p4(values: np.ndarray):
    """(coefficients, values on the 4n-th roots of unity) of the polynomial with these n values."""
    coeffs = ntt.intt(values)
    padded = np.zeros((4 * values.shape[0], 4), dtype=np.uint64)
    padded[: coeffs.shape[0]] = coeffs
    return coeffs, ntt.ntt(padded)


class _Ptau:
    def __init__(self, path, power: int):
        layout = scan_ptau(path)            # header, prime and container checks (PtauError)
        n = 1 << power
        if power > layout.power:
            raise PtauError(f"{path}: circuit too big for this powers of tau: the circuit needs "
                            f"2^{power} rows, the file has power {layout.power}")
        if 12 not in layout.sections:
            raise PtauError(f"{path}: not prepared for phase 2 (no Lagrange section 12); run "
                            "`snarkjs powersoftau prepare phase2` on it")
        bf = BinFile(path, b"ptau", 1, "ptau")
        self.lagrange = bf.array(12, "Lagrange tauG1", np.uint64, (n, 2, 4), (n - 1) * 64)
        self.tau_g1 = bf.array(2, "tauG1", np.uint8, ((n + 6) * 64,))
        self.tau_g2 = bf.array(3, "tauG2", np.uint8, (256,))[128:]


def plonk_setup(r1cs_path, ptau_path, zkey_path) -> dict:
    """Write ``zkey_path``; returns a summary (rows, additions, power, …); raises ``BadInput``."""
    r1cs = read_r1cs(r1cs_path)
    g = plonkify(r1cs)
    power = domain_power(len(g))
    n = 1 << power
    ptau = _Ptau(ptau_path, power)
    commits = {}

    def commit(name, values):
        commits[name] = msm.msm(ptau.lagrange, fr.from_mont_vec(values)).tobytes()

    def p4_section(name, columns):
        def chunks():
            for key, values in columns():
                commit(key, values)
                coeffs, ext = _p4(values)
                yield coeffs
                yield ext
        return chunks

    def selector(name):
        return p4_section(name, lambda: [(name, _values(getattr(g, name), n))])

    def sigmas():
        pad = [0] * (n - len(g))
        wires = [np.array(col + pad, dtype=np.int64) for col in (g.a, g.b, g.c)]
        return zip(("s1", "s2", "s3"), sigma_values(*wires, Domain(power).omegas))

    def additions():
        buf = bytearray()
        for s1, s2, c1, c2 in g.additions:
            buf += s1.to_bytes(4, "little") + s2.to_bytes(4, "little")
            buf += montgomery_bytes(c1) + montgomery_bytes(c2)
        yield bytes(buf)

    def wire_map(col):
        return lambda: [np.array(col, dtype="<u4")]

    def lagrange():
        e0 = np.zeros((n, 4), dtype=np.uint64)
        e0[0] = fr_scalar(1)
        l0, l0_ext = _p4(e0)
        w_inv = pow(root_of_unity(power), -1, R_MOD)
        for i in range(max(g.n_public, 1)):
            yield l0 if i == 0 else fr.mul_vec(l0, fr.powers(fr_scalar(pow(w_inv, i, R_MOD)), n))
            yield np.roll(l0_ext, 4 * i, axis=0)

    def header():
        out = bytearray(FIELD_BYTES.to_bytes(4, "little") + Q_MOD.to_bytes(32, "little"))
        out += FIELD_BYTES.to_bytes(4, "little") + R_MOD.to_bytes(32, "little")
        for v in (g.n_vars, g.n_public, n, len(g.additions), len(g)):
            out += v.to_bytes(4, "little")
        out += montgomery_bytes(K1) + montgomery_bytes(K2)
        for name in _SELECTORS + ("s1", "s2", "s3"):
            out += commits[name]
        out += bytes(ptau.tau_g2)
        yield bytes(out)

    sections = [(3, additions)]
    sections += [(sid, wire_map(col)) for sid, col in zip((4, 5, 6), (g.a, g.b, g.c))]
    sections += [(SELECTOR_SECTIONS[name], selector(name)) for name in _SELECTORS]
    sections += [(SIGMA_SECTION, p4_section("sigma", sigmas)), (LAGRANGE_SECTION, lagrange),
                 (PTAU_SECTION, lambda: [bytes(ptau.tau_g1)]),
                 (1, lambda: [PLONK_PROTOCOL.to_bytes(4, "little")]), (2, header)]
    write_bin(zkey_path, b"zkey", 1, sections)
    return {"rows": len(g), "additions": len(g.additions), "power": power,
            "variables": g.n_vars, "public": g.n_public}
