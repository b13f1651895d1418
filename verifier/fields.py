"""BN254 field constants: the base of every layer.

``R_MOD`` is the scalar field Fr (the order of G1/G2, the field of every wire
value); ``Q_MOD`` is the base field Fq (point coordinates).  Both come from the
BN curve parameter u:

    q = 36u⁴ + 36u³ + 24u² + 6u + 1,   r = 36u⁴ + 36u³ + 18u² + 6u + 1.

The module checks at import that the literal constants equal those formulas,
that Fr has 2-adicity 28 with generator 5, and that the 2²⁸-th root of unity
used by every NTT has exact order 2²⁸.  Arithmetic helpers here are plain
Python ints (the verifier needs no JIT).
"""

__all__ = [
    "R_MOD", "Q_MOD", "BN_U", "FR_TWO_ADICITY", "FR_GENERATOR", "FR_ROOT_2_28",
    "fr_inv", "fq_inv", "root_of_unity",
]

#: BN254 curve parameter u (the "x" of the BN family).
BN_U = 4965661367192848881
#: Scalar field modulus r (order of the G1/G2 subgroups).
R_MOD = 21888242871839275222246405745257275088548364400416034343698204186575808495617
#: Base field modulus q.
Q_MOD = 21888242871839275222246405745257275088696311157297823662689037894645226208583
#: r − 1 = 2²⁸ · odd.
FR_TWO_ADICITY = 28
#: Smallest multiplicative generator of Fr* (5, as in ffjavascript / snarkjs).
FR_GENERATOR = 5
#: Primitive 2²⁸-th root of unity: 5^((r−1)/2²⁸).
FR_ROOT_2_28 = pow(FR_GENERATOR, (R_MOD - 1) >> FR_TWO_ADICITY, R_MOD)


def fr_inv(x: int) -> int:
    """Inverse in Fr; raises ``ZeroDivisionError`` on 0."""
    if x % R_MOD == 0:
        raise ZeroDivisionError("inverse of zero in Fr")
    return pow(x, -1, R_MOD)


def fq_inv(x: int) -> int:
    """Inverse in Fq; raises ``ZeroDivisionError`` on 0."""
    if x % Q_MOD == 0:
        raise ZeroDivisionError("inverse of zero in Fq")
    return pow(x, -1, Q_MOD)


def root_of_unity(power: int) -> int:
    """Primitive 2^power-th root of unity in Fr (the one snarkjs's domains use)."""
    if not 0 <= power <= FR_TWO_ADICITY:
        raise ValueError(f"Fr has no 2^{power}-th root of unity (max 2^{FR_TWO_ADICITY})")
    return pow(FR_ROOT_2_28, 1 << (FR_TWO_ADICITY - power), R_MOD)


def _check() -> None:
    u = BN_U
    assert Q_MOD == 36 * u**4 + 36 * u**3 + 24 * u**2 + 6 * u + 1, "q does not match u"
    assert R_MOD == 36 * u**4 + 36 * u**3 + 18 * u**2 + 6 * u + 1, "r does not match u"
    assert (R_MOD - 1) % (1 << FR_TWO_ADICITY) == 0
    assert ((R_MOD - 1) >> FR_TWO_ADICITY) % 2 == 1, "2-adicity of r − 1 is not 28"
    # 5 is a non-residue, so its odd part generates the full 2-Sylow subgroup.
    assert pow(FR_GENERATOR, (R_MOD - 1) // 2, R_MOD) == R_MOD - 1
    assert pow(FR_ROOT_2_28, 1 << (FR_TWO_ADICITY - 1), R_MOD) == R_MOD - 1
    assert Q_MOD >> 254 == 0 and R_MOD >> 254 == 0, "top limb must be < 2^62 (no-carry CIOS)"


_check()
