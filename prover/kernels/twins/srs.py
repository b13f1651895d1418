"""Pure-Python twins of ``srs_kernels.py``, on ``verifier.curve`` points (int tuples, None = ∞).

Each function states the textbook definition the kernel implements, so tests can
compare them on small random and edge inputs.
"""

from verifier.curve import g1_lincomb, g1_mul
from verifier.fields import Q_MOD, R_MOD, fr_inv, root_of_unity

__all__ = ["check_points", "fixed_base_mul", "batch_mul", "g1_ifft"]

#: same codes as srs_kernels.BAD_*
_NONE, _RANGE, _INFINITY, _CURVE = 0, 1, 2, 3
_R_INV = pow(1 << 256, -1, Q_MOD)


def check_points(raw_coords, allow_inf: bool):
    """(index, kind) of the first bad point, for (x̃, ỹ) as STORED: Montgomery-form ints.

    A stored value ≥ q is not a canonical encoding; (0, 0) is infinity; otherwise
    x = x̃·R⁻¹, y = ỹ·R⁻¹ must satisfy y² = x³ + 3.
    """
    for i, (xm, ym) in enumerate(raw_coords):
        if not (0 <= xm < Q_MOD and 0 <= ym < Q_MOD):
            return (i, _RANGE)
        if xm == 0 and ym == 0:
            if not allow_inf:
                return (i, _INFINITY)
            continue
        x, y = xm * _R_INV % Q_MOD, ym * _R_INV % Q_MOD
        if (y * y - x * x * x - 3) % Q_MOD:
            return (i, _CURVE)
    return (-1, _NONE)


def fixed_base_mul(base, scalars):
    """[kᵢ]B for one base point B."""
    return [g1_mul(base, k) for k in scalars]


def batch_mul(points, scalars):
    """[kᵢ]Pᵢ."""
    return [g1_mul(p, k) for p, k in zip(points, scalars)]


def g1_ifft(points):
    """Naive inverse DFT over G1: yᵢ = (1/M)·Σⱼ ω_M^(−ij)·Pⱼ, O(M²) scalar multiplications."""
    M = len(points)
    w_inv = fr_inv(root_of_unity(M.bit_length() - 1))
    m_inv = fr_inv(M)
    out = []
    for i in range(M):
        out.append(g1_lincomb(points, [pow(w_inv, i * j, R_MOD) * m_inv for j in range(M)]))
    return out

