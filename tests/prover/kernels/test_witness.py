"""snarkjs's additions in Montgomery limbs (kernels.witness) against the pure-Python twin and
against galois; and a zkey's witness in limbs equal to the Python-int path it replaces."""

import random

import galois
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from prover.kernels import convert as cv
from prover.kernels.witness import apply_additions
from prover.kernels.twins import witness as twin
from verifier.fields import R_MOD

GF = galois.GF(R_MOD, primitive_element=5, verify=False)
EDGE = [0, 1, 2, R_MOD - 1, R_MOD - 2, (R_MOD - 1) // 2]
elem = st.one_of(st.sampled_from(EDGE), st.integers(min_value=0, max_value=R_MOD - 1))


def _case(rng, m, k, values=None):
    w = values if values is not None else [rng.choice(EDGE + [rng.randrange(R_MOD)]) for _ in range(m)]
    ids = [(rng.randrange(m + i), rng.randrange(m + i)) for i in range(k)]   # may read earlier ones
    fac = [(rng.choice(EDGE + [rng.randrange(R_MOD)]), rng.choice(EDGE + [rng.randrange(R_MOD)]))
           for _ in range(k)]
    return w, ids, fac


def _kernel(w, ids, fac, m):
    k = len(ids)
    wm = np.zeros((m + k, 4), dtype=np.uint64)
    wm[:m] = cv.fr_from_ints(w)
    f = cv.fr_from_ints([c for pair in fac for c in pair]).reshape(k, 2, 4) if k else \
        np.zeros((0, 2, 4), dtype=np.uint64)
    apply_additions(wm, np.array(ids, dtype=np.uint32).reshape(-1, 2), f, m)
    got = cv.limbs_to_ints(wm)
    assert all(x < R_MOD for x in got), "non-canonical Montgomery limbs"
    return cv.fr_to_ints(wm)


@pytest.mark.parametrize("m,k", [(1, 0), (1, 1), (3, 5), (10, 40), (200, 300)])
def test_additions_match_twin(m, k):
    rng = random.Random(m * 1000 + k)
    w, ids, fac = _case(rng, m, k)
    ref = list(w) + [0] * k
    twin.apply_additions(ref, ids, fac, m, R_MOD)
    assert _kernel(w, ids, fac, m) == ref


@settings(max_examples=40, deadline=None)
@given(st.lists(elem, min_size=1, max_size=8), st.integers(min_value=0, max_value=12),
       st.integers(min_value=0, max_value=2 ** 32))
def test_additions_match_galois(w, k, seed):
    rng = random.Random(seed)
    m = len(w)
    _, ids, fac = _case(rng, m, k, values=w)
    ref = GF(list(w) + [0] * k)
    for i, ((s1, s2), (c1, c2)) in enumerate(zip(ids, fac)):
        ref[m + i] = GF(c1) * ref[s1] + GF(c2) * ref[s2]
    assert _kernel(w, ids, fac, m) == [int(x) for x in ref]


def test_additions_refuse_a_short_array():
    with pytest.raises(ValueError, match="C-contiguous"):
        apply_additions(np.zeros((2, 4), dtype=np.uint64), np.zeros((3, 2), dtype=np.uint32),
                        np.zeros((3, 2, 4), dtype=np.uint64), 1)
