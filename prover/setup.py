"""Preprocessing (GWC19 §8.1 "preprocessed input"): circuit + SRS → proving and verifying keys.

Domain: n = 2^power with power = max(3, ⌈log₂ rows⌉), as snarkjs chooses it.
The selectors qM, qL, qR, qO, qC and the permutation σ₁, σ₂, σ₃ are
interpolated on H (iNTT) and committed with the SRS; their evaluations on the
4n coset are kept in the proving key for round 3.  Deterministic: the same
circuit and SRS always give the same keys (snarkjs's vk when the gate lists
agree).

Given a verifying key already made for the same circuit and SRS (read back from
a deployed verifier, say), ``setup(circuit, srs, vk=vk)`` builds the proving
key alone: everything above but the eight commitments, which are the key's.
"""

from dataclasses import dataclass

import numpy as np

from verifier.marshal import VerifyingKey

from .commit import commit
from .domain import Domain
from .kernels.convert import fr_from_ints
from .permutation import K1, K2, sigma_values
from .polys import SELECTORS, SIGMAS, Preprocessed, Sigmas, Wires

__all__ = ["ProvingKey", "setup", "domain_power", "SELECTORS", "SIGMAS"]


@dataclass
class ProvingKey:
    circuit: object                          #: ``circuits.Circuit`` (or a stand-in: snarkjs.prove)
    cs: object                               #: its ``circuits.ConstraintSystem``, or None
    domain: Domain
    vk: VerifyingKey
    srs_g1: np.ndarray                       #: [τʲ]₁ for j < n + 6
    coeffs: Preprocessed = None              #: coefficients (n, 4) of qM … σ₃
    coset: Preprocessed = None               #: their values on the 4n coset
    sigma_h: Sigmas = None                   #: σ₁ σ₂ σ₃ on H
    wires: Wires = None                      #: a, b, c variable index arrays, length n


def _domain_power(rows: int) -> int:
    return max(3, (max(rows, 1) - 1).bit_length())


def domain_power(circuit) -> int:
    """log2 of the evaluation domain ``setup`` uses for ``circuit`` (the SRS power it needs)."""
    return _domain_power(circuit.n_gates)


def _check_key(vk, cs, power: int, srs) -> None:
    """A given key must have this circuit's shape and this SRS's [τ]₂ (its commitments are
    taken as they are: a wrong one makes proofs that its verifier rejects)."""
    have = (vk.power, vk.n_public, vk.k1, vk.k2, vk.X_2)
    want = (power, cs.n_public, K1, K2, srs.g2[1])
    names = ("domain power", "public input count", "k1", "k2", "[tau]_2")
    wrong = [name for name, h, w in zip(names, have, want) if h != w]
    if wrong:
        raise ValueError(f"the verifying key is not this circuit's with this SRS: its "
                         f"{', '.join(wrong)} differ")


def setup(circuit, srs, *, vk=None):
    """Preprocess ``circuit`` (a ``circuits.Circuit``) with ``srs``; returns ``(pk, vk)``.

    ``vk``: this circuit's verifying key for ``srs``, made earlier: it is checked for shape
    (``ValueError``) and used instead of committing to the eight polynomials again."""
    from circuits.builder import Circuit      # here: proving from a zkey never loads circuits
    if not isinstance(circuit, Circuit):
        raise TypeError("setup expects a circuits.Circuit")
    cs = circuit.compile()
    power = _domain_power(cs.n_rows)
    dom = Domain(power)
    n = dom.n
    if srs.g1.shape[0] < n + 6:
        raise ValueError(f"SRS too small: the circuit has {cs.n_rows} rows (domain 2^{power}), "
                         f"which needs {n + 6} powers of tau; the SRS has {srs.g1.shape[0]}")
    srs_g1 = np.ascontiguousarray(srs.g1[: n + 6])
    pk = ProvingKey(circuit=circuit, cs=cs, domain=dom, vk=None, srs_g1=srs_g1)
    pad = n - cs.n_rows
    coeffs = {name: dom.to_coefficients(fr_from_ints(getattr(cs, name) + [0] * pad))
              for name in SELECTORS}
    pk.wires = Wires(*(np.array(getattr(cs, w) + [0] * pad, dtype=np.int64) for w in "abc"))
    pk.sigma_h = Sigmas(*sigma_values(pk.wires.a, pk.wires.b, pk.wires.c, dom.omegas))
    for name in SIGMAS:
        coeffs[name] = dom.to_coefficients(getattr(pk.sigma_h, name))
    pk.coeffs = Preprocessed(**coeffs)
    pk.coset = Preprocessed(**{name: dom.to_coset(p) for name, p in coeffs.items()})
    dom.precompute()
    if vk is not None:
        _check_key(vk, cs, power, srs)
        pk.vk = vk
        return pk, vk
    c = pk.coeffs
    pk.vk = VerifyingKey(
        n_public=cs.n_public, power=power, k1=K1, k2=K2,
        Qm=commit(srs_g1, c.qm), Ql=commit(srs_g1, c.ql), Qr=commit(srs_g1, c.qr),
        Qo=commit(srs_g1, c.qo), Qc=commit(srs_g1, c.qc),
        S1=commit(srs_g1, c.s1), S2=commit(srs_g1, c.s2), S3=commit(srs_g1, c.s3),
        X_2=srs.g2[1])
    return pk, pk.vk
