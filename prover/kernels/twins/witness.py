"""Pure-Python twin of ``witness.py``: snarkjs's additions on plain ints.

w[m + i] = c₁ᵢ·w[s₁ᵢ] + c₂ᵢ·w[s₂ᵢ] mod r, in order, on a list of plain
(non-Montgomery) values and plain factors.
"""

__all__ = ["apply_additions"]


def apply_additions(w: list, ids, factors, m: int, r: int) -> None:
    """In place on the list ``w`` (length ≥ m + len(ids)); factors as plain int pairs."""
    for i, ((s1, s2), (c1, c2)) in enumerate(zip(ids, factors)):
        w[m + i] = (c1 * w[s1] + c2 * w[s2]) % r
