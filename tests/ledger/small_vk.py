"""Test helper: the verification key of a tiny circuit shaped like a 1 × 1 settlement batch.

``validator init`` refuses a key whose public inputs fit no settlement circuit;
tests that never prove a block still need a node home, so they use this key:
``n_public_inputs(1, 1)`` public inputs over a circuit of a few gates (setup in
well under a second once the prover's kernels are cached).
"""

import functools
import warnings

from circuits import Circuit
from circuits.settlement_data import n_public_inputs

__all__ = ["settlement_shaped_vk_json"]


@functools.lru_cache(maxsize=1)
def _vk_json_text():
    import json

    from prover import dev_srs, setup
    c = Circuit()
    pubs = [c.public(f"p{i}") for i in range(n_public_inputs(1, 1))]
    x = c.private("x")
    c.assert_equal(c.mul(x, x), pubs[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        _, vk = setup(c, dev_srs(6))
    return json.dumps(vk.to_json())


def settlement_shaped_vk_json() -> dict:
    import json
    return json.loads(_vk_json_text())
