"""Pure-Python twin of ``poly.py``: polynomials over Fr as lists of ints (index = degree).

- ``evaluate``: Σ c_i z^i term by term (no Horner, to differ from the kernel).
- ``div_by_linear``: long division by (X − z), highest degree first; returns
  (quotient, remainder) with p = q·(X − z) + remainder.
- ``mul``: schoolbook product; ``add``/``sub`` zero-extend the shorter list.
- ``eval_vanishing(n, z)`` = z^n − 1.
- ``divide_by_vanishing_on_coset(e, n, g)``: e_i / ((g·ω_N^i)^n − 1), N = len(e).
"""

from verifier.fields import R_MOD, root_of_unity

__all__ = [
    "evaluate", "div_by_linear", "mul", "add", "sub", "scale",
    "eval_vanishing", "divide_by_vanishing_on_coset",
]


def evaluate(c, z: int) -> int:
    return sum(ci * pow(z, i, R_MOD) for i, ci in enumerate(c)) % R_MOD


def div_by_linear(c, z: int):
    """(q, ρ) with c(X) = q(X)·(X − z) + ρ, by long division."""
    rest = [x % R_MOD for x in c]
    n = len(rest)
    q = [0] * max(n - 1, 0)
    for d in range(n - 1, 0, -1):        # cancel the X^d term with lead·X^(d−1)·(X − z)
        lead = rest[d]
        q[d - 1] = lead
        rest[d] = 0
        rest[d - 1] = (rest[d - 1] + lead * z) % R_MOD
    return q, (rest[0] if n else 0)


def mul(a, b) -> list:
    if not a or not b:
        return []
    out = [0] * (len(a) + len(b) - 1)
    for i, x in enumerate(a):
        for j, y in enumerate(b):
            out[i + j] = (out[i + j] + x * y) % R_MOD
    return out


def _pad(a, n):
    return list(a) + [0] * (n - len(a))


def add(a, b) -> list:
    n = max(len(a), len(b))
    return [(x + y) % R_MOD for x, y in zip(_pad(a, n), _pad(b, n))]


def sub(a, b) -> list:
    n = max(len(a), len(b))
    return [(x - y) % R_MOD for x, y in zip(_pad(a, n), _pad(b, n))]


def scale(a, s: int) -> list:
    return [x * s % R_MOD for x in a]


def eval_vanishing(n: int, z: int) -> int:
    return (pow(z, n, R_MOD) - 1) % R_MOD


def divide_by_vanishing_on_coset(e, n: int, g: int) -> list:
    big = len(e)
    w = root_of_unity(big.bit_length() - 1)
    out = []
    for i, x in enumerate(e):
        d = eval_vanishing(n, g * pow(w, i, R_MOD) % R_MOD)
        if d == 0:
            raise ValueError("the coset meets the domain: Z_H vanishes there")
        out.append(x * pow(d, -1, R_MOD) % R_MOD)
    return out
