"""Pure-Python twin of ``ntt.py``: the DFT over Fr on Python ints, two readable ways.

For n = 2^k and ω = ``root_of_unity(k)``:

    ntt(a)[i] = Σ_j a_j ω^(ij)        intt(e)[j] = n⁻¹ Σ_i e_i ω^(−ij)
    coset_ntt(a, g)[i] = Σ_j a_j (g·ω^i)^j        coset_intt = its inverse

``dft`` is the O(n²) definition itself; ``fft`` is the textbook recursive
radix-2 split p(x) = p_even(x²) + x·p_odd(x²), so that for i < n/2
    P[i] = E[i] + ω^i·O[i],   P[i + n/2] = E[i] − ω^i·O[i].
Values are ints in [0, r); inputs may be any ints (reduced mod r).
"""

from verifier.fields import R_MOD, root_of_unity

__all__ = ["dft", "fft", "ntt", "intt", "coset_ntt", "coset_intt", "bitrev"]


def dft(a, w: int) -> list:
    """Σ_j a_j w^(ij) for i < len(a), straight from the definition."""
    n = len(a)
    return [sum(a[j] * pow(w, i * j, R_MOD) for j in range(n)) % R_MOD for i in range(n)]


def fft(a, w: int) -> list:
    """Same result as ``dft`` for len(a) a power of two and w of order len(a)."""
    n = len(a)
    if n == 1:
        return [a[0] % R_MOD]
    even = fft(a[0::2], w * w % R_MOD)
    odd = fft(a[1::2], w * w % R_MOD)
    out = [0] * n
    wi = 1
    for i in range(n // 2):
        t = wi * odd[i]
        out[i] = (even[i] + t) % R_MOD
        out[i + n // 2] = (even[i] - t) % R_MOD
        wi = wi * w % R_MOD
    return out


def _log2(n: int) -> int:
    if n <= 0 or n & (n - 1):
        raise ValueError(f"size must be a power of two, got {n}")
    return n.bit_length() - 1


def ntt(a) -> list:
    """Coefficients → evaluations at ω^0 … ω^(n−1)."""
    return fft(list(a), root_of_unity(_log2(len(a))))


def intt(e) -> list:
    """Evaluations at ω^i → coefficients (with the 1/n factor)."""
    n = len(e)
    w_inv = pow(root_of_unity(_log2(n)), -1, R_MOD)
    n_inv = pow(n, -1, R_MOD)
    return [x * n_inv % R_MOD for x in fft(list(e), w_inv)]


def coset_ntt(a, g: int) -> list:
    """Evaluations at g·ω^i: scale coefficient j by g^j, then ``ntt``."""
    return ntt([x * pow(g, j, R_MOD) % R_MOD for j, x in enumerate(a)])


def coset_intt(e, g: int, scale: int = 1) -> list:
    """Inverse of ``coset_ntt``: ``intt``, then scale coefficient j by g^(−j) (and all by
    ``scale``)."""
    g_inv = pow(g, -1, R_MOD)
    return [x * scale * pow(g_inv, j, R_MOD) % R_MOD for j, x in enumerate(intt(e))]


def bitrev(i: int, bits: int) -> int:
    """The low ``bits`` bits of i in reverse order."""
    return int(format(i, f"0{bits}b")[::-1], 2) if bits else 0
