"""Two prices signed by one validator for one market and height are evidence, kept pending
(like a double-sign a node saw; no node slashes on it alone) and the block is not signed."""

import pytest

from verifier.errors import Misbehaviour, Rejected

from ledger.core import keys
from ledger.core.observation import sign_observation
from ledger.chain.validator import Validator

from tests.ledger.test_market_rules import CHAIN, PRICES, _block, _obs, chain  # noqa: F401


def _validator(store, vkeys):
    return Validator(vkeys["v0"], store, None, proof_verdict=lambda block: (True, "ok"))


def test_two_prices_in_one_block_are_evidence(chain):  # noqa: F811
    store, ak, vk = chain
    obs = _obs(vk, PRICES, 1) + [sign_observation(vk["v1"], "v1", CHAIN, 0, 1, 10_500)]
    v = _validator(store, vk)
    with pytest.raises(Misbehaviour, match=r"'v1' observed two prices .* \(10020 and 10500\)"):
        v.attest(_block(store, ak, obs, mark=10_030))
    [(kind, who, height, body)] = store.pending_evidence()
    assert (kind, who, height) == ("double-observation", "v1", 1)
    assert (body["first"]["price"], body["second"]["price"]) == (10_020, 10_500)
    assert body["second"]["signature"] == obs[-1].signature.hex()
    assert not any(r.slashed for r in store.validators())         # pending: no slashing
    assert store.evidence() == []
    assert v.signlog.get(1) is None and store.head()[0] == 0      # nothing signed or stored


def test_another_price_in_a_later_proposal_is_evidence(chain):  # noqa: F811
    store, ak, vk = chain
    v = _validator(store, vk)
    first = _block(store, ak, _obs(vk, PRICES, 1), mark=10_030)
    v.attest(first)
    again = _obs(vk, {**PRICES, "v3": 10_041}, 1)            # v3 signed another price
    with pytest.raises(Misbehaviour, match="'v3' observed two prices"):
        v.attest(_block(store, ak, again, mark=10_030))
    assert [(k, w) for k, w, _, _ in store.pending_evidence()] == [("double-observation", "v3")]


def test_the_same_price_twice_or_a_forged_one_is_no_evidence(chain):  # noqa: F811
    store, ak, vk = chain
    v = _validator(store, vk)
    obs = _obs(vk, PRICES, 1)
    with pytest.raises(Rejected, match="'v3' observed twice"):
        v.attest(_block(store, ak, obs + obs[3:], mark=10_030))
    forged = sign_observation(keys.generate(), "v2", CHAIN, 0, 1, 10_999)
    with pytest.raises(Rejected, match="signature by 'v2' does not verify"):
        v.attest(_block(store, ak, obs[:2] + [forged] + obs[3:], mark=10_030))
    assert store.pending_evidence() == [] and not any(r.slashed for r in store.validators())
