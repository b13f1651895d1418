"""Fiat–Shamir transcript of snarkjs ``plonk`` (Keccak-256), and its one schedule.

snarkjs hashes with the original Keccak-256 (Ethereum's, not SHA3-256).  A
challenge is ``int.from_bytes(keccak(buffer), "big") mod r`` where the buffer
starts empty for every challenge and holds, in order:

    β  : Qm Ql Qr Qo Qc S1 S2 S3 (vk) · public inputs · [a]₁ [b]₁ [c]₁
    γ  : β
    α  : β γ [z]₁
    ζ  : α [T1]₁ [T2]₁ [T3]₁
    v  : ζ ā b̄ c̄ s̄₁ s̄₂ z̄ω
    u  : [Wζ]₁ [Wζω]₁

G1 points are absorbed as 64 bytes x‖y (big-endian, affine, the point at
infinity as 64 zero bytes); scalars as 32 bytes big-endian.

The schedule functions below are the single writer of this transcript: the
prover calls them round by round and the verifier calls the same functions,
so the two can never disagree on what was absorbed.  (snarkjs names ζ "xi".)
"""

from Crypto.Hash import keccak

from .fields import R_MOD

__all__ = [
    "Transcript", "beta_challenge", "gamma_challenge", "alpha_challenge",
    "zeta_challenge", "v_challenge", "u_challenge",
]


class Transcript:
    """A Keccak-256 buffer: absorb points and scalars, then squeeze one challenge."""

    def __init__(self):
        self._buf = bytearray()

    def absorb_scalar(self, x: int) -> None:
        self._buf += (int(x) % R_MOD).to_bytes(32, "big")

    def absorb_g1(self, p) -> None:
        """p: affine (x, y) ints, or None for the point at infinity."""
        if p is None:
            self._buf += bytes(64)
        else:
            self._buf += int(p[0]).to_bytes(32, "big") + int(p[1]).to_bytes(32, "big")

    def challenge(self) -> int:
        h = keccak.new(digest_bits=256)
        h.update(bytes(self._buf))
        return int.from_bytes(h.digest(), "big") % R_MOD


def _squeeze(points=(), scalars_before=(), scalars_after=()) -> int:
    t = Transcript()
    for s in scalars_before:
        t.absorb_scalar(s)
    for p in points:
        t.absorb_g1(p)
    for s in scalars_after:
        t.absorb_scalar(s)
    return t.challenge()


def beta_challenge(vk, public, A, B, C) -> int:
    """β: the verification key's commitments, the public inputs, then [a], [b], [c]."""
    t = Transcript()
    for p in (vk.Qm, vk.Ql, vk.Qr, vk.Qo, vk.Qc, vk.S1, vk.S2, vk.S3):
        t.absorb_g1(p)
    for x in public:
        t.absorb_scalar(x)
    for p in (A, B, C):
        t.absorb_g1(p)
    return t.challenge()


def gamma_challenge(beta: int) -> int:
    """γ = H(β)."""
    return _squeeze(scalars_before=(beta,))


def alpha_challenge(beta: int, gamma: int, Z) -> int:
    """α = H(β, γ, [z]₁)."""
    return _squeeze(points=(Z,), scalars_before=(beta, gamma))


def zeta_challenge(alpha: int, T1, T2, T3) -> int:
    """ζ = H(α, [T1]₁, [T2]₁, [T3]₁)."""
    return _squeeze(points=(T1, T2, T3), scalars_before=(alpha,))


def v_challenge(zeta: int, evals) -> int:
    """v = H(ζ, ā, b̄, c̄, s̄₁, s̄₂, z̄ω); ``evals`` in that order."""
    return _squeeze(scalars_before=(zeta, *evals))


def u_challenge(Wxi, Wxiw) -> int:
    """u = H([Wζ]₁, [Wζω]₁)."""
    return _squeeze(points=(Wxi, Wxiw))
