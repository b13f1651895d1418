"""Prove from snarkjs's files: a PLONK ``.zkey`` and a circom ``.wtns`` → (proof, public).

``proving_key(zk)`` builds a ``prover.setup.ProvingKey`` from the zkey without
redoing setup: selector and σ coefficients are views of the mapped file, the
values on H are every 4th of the zkey's 4n values (ω₄ⁿ⁴ʲ = ωʲ), the wire
columns are the A/B/C maps padded with variable 0, and the SRS is the zkey's
section 14.  Only the 4n *coset* values the quotient round reads are computed
(one NTT per selector/σ: the zkey stores values on the plain 4n roots of unity),
once per zkey: ``keycache`` keeps them, with L₀'s, in a cache file.

``ZkeyCircuit`` stands in for ``circuits.Circuit`` in ``prover.steps.prove``: its
``witness_limbs`` turns the .wtns into the full witness in Montgomery limbs — witness 0 set to zero as
snarkjs does (no gate reads it), then the additions of section 3,
w[m + i] = c₁·w[s₁] + c₂·w[s₂] in order — and refuses a witness that breaks a
gate: qM·a·b + qL·a + qR·b + qO·c + qC (− public input on the public rows) must
vanish on every row of H (padding rows too), checked on all rows at once with
the Fr kernels; the error names the first failing row and its variables.
"""

import numpy as np

from verifier.fields import R_MOD

from ..domain import Domain
from ..kernels import fr
from ..kernels.convert import fr_from_ints, limbs_to_ints
from ..kernels.witness import apply_additions
from ..polys import Preprocessed, Selectors, Sigmas, Wires
from ..steps import prove
from ..setup import ProvingKey
from .binfile import FormatError
from .keycache import coset_values
from .zkey import SELECTOR_SECTIONS, SIGMA_SECTION, ZKey

__all__ = ["ZkeyCircuit", "proving_key", "prove_zkey", "full_witness"]

_SIGMAS = ("s1", "s2", "s3")


def full_witness(zk: ZKey, wtns: np.ndarray) -> list:
    """.wtns values (plain limbs) → every variable of the key as ints (additions appended)."""
    if wtns.shape[0] != zk.n_witness:
        raise FormatError(f"the witness has {wtns.shape[0]} values but the key's circuit has "
                          f"{zk.n_witness}: a witness of another circuit")
    w = limbs_to_ints(wtns)
    w[0] = 0
    ids, factors = zk.additions()
    if zk.n_additions:
        c = limbs_to_ints(fr.from_mont_vec(np.ascontiguousarray(factors.reshape(-1, 4))))
        s = ids.tolist()
        for i in range(zk.n_additions):
            s1, s2 = s[i]
            w.append((c[2 * i] * w[s1] + c[2 * i + 1] * w[s2]) % R_MOD)
    return w


class ZkeyCircuit:
    """The circuit of a zkey, as much of it as ``prover.steps.prove`` asks of ``pk.circuit``."""

    def __init__(self, zk: ZKey, q_h: Selectors, wires: tuple):
        self.zk, self.q_h, self.wires = zk, q_h, wires
        self.n_public = zk.n_public

    def witness_limbs(self, wtns: np.ndarray):
        """(every variable as Montgomery limbs (n_vars, 4), the public values as ints) from the
        .wtns, without Python ints: witness 0 zeroed, then the additions
        (``kernels.witness``); raises ``UnsatisfiedError`` naming the first failing gate."""
        zk = self.zk
        m = zk.n_witness
        if wtns.shape[0] != m:
            full_witness(zk, wtns)                        # raises the one-line mismatch error
        wm = np.empty((zk.n_vars, 4), dtype=np.uint64)
        wm[:m] = fr.to_mont_vec(np.ascontiguousarray(wtns))
        wm[0] = 0
        ids, factors = zk.additions()
        apply_additions(wm, ids, factors, m)
        self.first_failure(wm)
        public = limbs_to_ints(fr.from_mont_vec(np.ascontiguousarray(wm[1: 1 + zk.n_public])))
        return wm, public

    def check(self, wtns: np.ndarray, cs=None) -> list:
        """The full witness as ints, the additions done on Python ints (the reference for
        ``witness_limbs``); raises ``UnsatisfiedError`` naming the first failing gate."""
        w = full_witness(self.zk, wtns)
        self.first_failure(fr_from_ints(w))
        return w

    def public_values(self, w: list) -> list:
        return w[1: 1 + self.zk.n_public]

    def first_failure(self, wm: np.ndarray) -> None:
        """Raise ``UnsatisfiedError`` for the first row whose gate fails (wm: Montgomery limbs)."""
        a, b, c = (wm[v] for v in self.wires)             # every row of H, padding included
        q = self.q_h
        s = fr.add_vec(fr.mul_vec(fr.mul_vec(a, b), q.qm), fr.mul_vec(a, q.ql))
        s = fr.add_vec(s, fr.mul_vec(b, q.qr))
        s = fr.add_vec(fr.add_vec(s, fr.mul_vec(c, q.qo)), q.qc)
        npub = self.zk.n_public
        if npub:
            s[:npub] = fr.sub_vec(np.ascontiguousarray(s[:npub]), wm[1: 1 + npub])
        bad = np.flatnonzero(s.any(axis=1))
        if bad.size:
            row = int(bad[0])
            va, vb, vc = (int(v[row]) for v in self.wires)
            kind = "public input" if row < npub else "gate"
            from circuits.builder import UnsatisfiedError    # only on failure: proving skips circuits
            raise UnsatisfiedError(row, f"{kind} row: qM·a·b + qL·a + qR·b + qO·c + qC ≠ 0 "
                                   "with "
                                   f"a = {self._name(va)}, b = {self._name(vb)}, "
                                   f"c = {self._name(vc)}")

    def _name(self, v: int) -> str:
        m = self.zk.n_witness
        return f"signal {v}" if v < m else f"addition {v - m}"


def proving_key(zk: ZKey) -> ProvingKey:
    """A ``ProvingKey`` for ``prover.steps.prove`` from a zkey (module docstring)."""
    dom = Domain(zk.power)
    n = zk.n
    pk = ProvingKey(circuit=None, cs=None, domain=dom, vk=zk.vk, srs_g1=zk.ptau_g1())
    coeffs, q_h, sigma_h = {}, {}, {}
    for name, sid in SELECTOR_SECTIONS.items():
        coeffs[name], ext = zk.poly(sid)
        q_h[name] = np.ascontiguousarray(ext[::4])
    for j, name in enumerate(_SIGMAS):
        coeffs[name], ext = zk.poly(SIGMA_SECTION, j)
        sigma_h[name] = np.ascontiguousarray(ext[::4])
    pk.coeffs = Preprocessed(**coeffs)
    pk.sigma_h = Sigmas(**sigma_h)
    pk.coset, l0_coset = coset_values(dom, pk.coeffs)      # cached per zkey (keycache)
    dom.__dict__["l0_coset"] = l0_coset                    # Domain's cached_property, pre-filled
    wires = []
    for j in range(3):
        col = np.zeros(n, dtype=np.int64)
        col[: zk.n_constraints] = zk.wire_map(j)
        wires.append(col)
    pk.wires = Wires(*wires)
    pk.circuit = ZkeyCircuit(zk, Selectors(**q_h), tuple(wires))
    dom.precompute()
    return pk


def prove_zkey(zk: ZKey, wtns: np.ndarray, *, progress=None):
    """Prove with a snarkjs zkey and a .wtns; returns ``(proof, public)`` (``verifier`` types)."""
    if wtns.shape[0] != zk.n_witness:
        full_witness(zk, wtns)           # raises the one-line mismatch error
    return prove(proving_key(zk), wtns, progress=progress)
