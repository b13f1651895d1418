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

``PlonkTranscript`` is the one writer of this schedule: one method per
round, called in order (out of order raises), each absorbing that round's
messages and returning its challenges.  The prover carries one through its
steps and the verifier replays the proof's fields through another, so the two
can never disagree on what was absorbed.  (snarkjs names ζ "xi".)
"""

from dataclasses import dataclass

from Crypto.Hash import keccak

from .fields import R_MOD

__all__ = ["Transcript", "PlonkTranscript", "Challenges"]


@dataclass(frozen=True)
class Challenges:
    """β γ α ζ v u; those not squeezed yet are ``None`` (the prover opens before u)."""

    beta: int
    gamma: int
    alpha: int
    zeta: int
    v: int = None
    u: int = None


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


def _squeeze(scalars=(), points=()) -> int:
    t = Transcript()
    for s in scalars:
        t.absorb_scalar(s)
    for p in points:
        t.absorb_g1(p)
    return t.challenge()


class PlonkTranscript:
    """snarkjs's challenge schedule for one statement (``vk``, ``public``), round by round."""

    ROUNDS = ("absorb_wires", "absorb_z", "absorb_quotient", "absorb_evaluations",
              "absorb_openings")

    def __init__(self, vk, public):
        self._vk, self._public = vk, tuple(public)
        self._done = 0
        self.beta = self.gamma = self.alpha = self.zeta = self.v = self.u = None

    def _next(self, name: str) -> None:
        if self._done >= len(self.ROUNDS) or self.ROUNDS[self._done] != name:
            raise RuntimeError(f"transcript: {name} out of order (after {self._done} rounds)")
        self._done += 1

    def absorb_wires(self, A, B, C):
        """Round 1: β = H(Qm Ql Qr Qo Qc S1 S2 S3, public inputs, [a] [b] [c]); γ = H(β)."""
        self._next("absorb_wires")
        vk = self._vk
        t = Transcript()
        for p in (vk.Qm, vk.Ql, vk.Qr, vk.Qo, vk.Qc, vk.S1, vk.S2, vk.S3):
            t.absorb_g1(p)
        for x in self._public:
            t.absorb_scalar(x)
        for p in (A, B, C):
            t.absorb_g1(p)
        self.beta = t.challenge()
        self.gamma = _squeeze((self.beta,))
        return self.beta, self.gamma

    def absorb_z(self, Z) -> int:
        """Round 2: α = H(β, γ, [z])."""
        self._next("absorb_z")
        self.alpha = _squeeze((self.beta, self.gamma), (Z,))
        return self.alpha

    def absorb_quotient(self, T1, T2, T3) -> int:
        """Round 3: ζ = H(α, [T1], [T2], [T3])."""
        self._next("absorb_quotient")
        self.zeta = _squeeze((self.alpha,), (T1, T2, T3))
        return self.zeta

    def absorb_evaluations(self, ev) -> int:
        """Round 4: v = H(ζ, ā, b̄, c̄, s̄₁, s̄₂, z̄ω) from an ``Evaluations``."""
        self._next("absorb_evaluations")
        self.v = _squeeze((self.zeta, *ev.values()))
        return self.v

    def absorb_openings(self, Wxi, Wxiw) -> int:
        """Round 5: u = H([Wζ], [Wζω])."""
        self._next("absorb_openings")
        self.u = _squeeze((), (Wxi, Wxiw))
        return self.u

    def challenges(self) -> Challenges:
        """The challenges so far (at least through ζ)."""
        if self.zeta is None:
            raise RuntimeError("transcript: no challenges before the quotient round")
        return Challenges(self.beta, self.gamma, self.alpha, self.zeta, self.v, self.u)
