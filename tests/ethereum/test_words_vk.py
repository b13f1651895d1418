"""``vk_from_words``: the inverse of ``vk_words`` (what a deployed verifier's
``verificationKey()`` returns), refusing key words whose n, log₂ n and ω disagree."""

import warnings

import pytest

from circuits import Circuit
from ledger.ethereum.words import vk_from_words, vk_words
from prover import dev_srs, setup


def test_round_trip_and_bad_words():
    c = Circuit()
    x = c.private("x")
    c.assert_equal(c.mul(x, x), c.public("out"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, vk = setup(c, dev_srs(3))
    words = vk_words(vk)
    assert vk_from_words(words) == vk
    for i, bad in ((16, words[16] * 2), (17, words[17] + 1), (18, words[18] + 1)):
        forged = list(words)
        forged[i] = bad
        with pytest.raises(ValueError, match="n, log2 n and omega"):
            vk_from_words(forged)
    with pytest.raises(ValueError, match="26 words"):
        vk_from_words(words[:25])
