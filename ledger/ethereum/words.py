"""Our PLONK key and proof as the EVM verifiers read them: 26 key words, 24 proof words.

Key words (``PlonkMath``'s layout): Qm Ql Qr Qo Qc S1 S2 S3 as x, y (the point
at infinity as 0, 0), n, log₂ n, ω, k1, k2, then [τ]₂ in the pairing
precompile's order (x.c1, x.c0, y.c1, y.c0 — snarkjs's JSON writes c0 first),
then nPublic.

Proof words (snarkjs's ``verifyProof`` order): A B C Z T1 T2 T3 Wζ Wζω as x, y,
then ā b̄ c̄ s̄₁ s̄₂ z̄ω.  ``proof_from_words`` is the inverse, used to read a
tampered word list back for the pure-Python verifier in tests.
"""

from verifier.marshal import PROOF_EVALS, PROOF_POINTS, Proof, VerifyingKey

__all__ = ["VK_POINTS", "vk_words", "vk_from_words", "proof_words", "proof_from_words",
           "vk_from_json"]

VK_POINTS = ("Qm", "Ql", "Qr", "Qo", "Qc", "S1", "S2", "S3")


def vk_from_json(vk):
    """A ``VerifyingKey`` from itself or from verification_key.json's dict (validated)."""
    return vk if isinstance(vk, VerifyingKey) else VerifyingKey.from_json(vk)


def _xy(p):
    return [0, 0] if p is None else [int(p[0]), int(p[1])]


def vk_words(vk) -> list:
    """The 26 key words of ``vk`` (a ``VerifyingKey`` or its JSON dict)."""
    vk = vk_from_json(vk)
    words = []
    for name in VK_POINTS:
        words += _xy(getattr(vk, name))
    (x0, x1), (y0, y1) = vk.X_2
    words += [vk.n, vk.power, vk.omega, vk.k1, vk.k2, x1, x0, y1, y0, vk.n_public]
    return [int(w) for w in words]


def vk_from_words(words) -> VerifyingKey:
    """The inverse of ``vk_words`` (a deployed verifier's ``verificationKey()``); ``ValueError``
    when n or ω disagree with log₂ n."""
    words = [int(w) for w in words]
    if len(words) != 26:
        raise ValueError(f"a verification key has 26 words, got {len(words)}")
    points = {name: None if (words[2 * i], words[2 * i + 1]) == (0, 0)
              else (words[2 * i], words[2 * i + 1]) for i, name in enumerate(VK_POINTS)}
    n, power, omega, k1, k2, x1, x0, y1, y0, n_public = words[16:]
    vk = VerifyingKey(n_public=n_public, power=power, k1=k1, k2=k2, X_2=((x0, x1), (y0, y1)),
                      **points)
    if not 0 < power <= 28 or n != vk.n or omega != vk.omega:
        raise ValueError("the key's n, log2 n and omega do not agree")
    return vk


def proof_words(proof) -> list:
    """The 24 words of ``proof`` (a ``Proof`` or proof.json's dict)."""
    if not isinstance(proof, Proof):
        proof = Proof.from_json(proof)
    words = []
    for name in PROOF_POINTS:
        words += _xy(getattr(proof, name))
    return words + [int(getattr(proof, name)) for name in PROOF_EVALS]


def proof_from_words(words) -> Proof:
    """The inverse of ``proof_words`` without validation ((0, 0) reads as infinity)."""
    words = [int(w) for w in words]
    if len(words) != 24:
        raise ValueError(f"a proof has 24 words, got {len(words)}")
    kw = {}
    for i, name in enumerate(PROOF_POINTS):
        x, y = words[2 * i], words[2 * i + 1]
        kw[name] = None if (x, y) == (0, 0) else (x, y)
    for i, name in enumerate(PROOF_EVALS):
        kw[name] = words[18 + i]
    return Proof(**kw)
