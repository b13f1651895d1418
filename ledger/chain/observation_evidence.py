"""Evidence of a validator that signed two prices for one market and one height.

A validator signs one price observation per (chain, market, height)
(``ledger.core.observation``; its node remembers it durably, see
``ledger.node.observer``).  Two observations by one validator for the same
market and height with *different* prices, both signed under its registered
key, can only come from a validator that tried to give the operator a
choice of prices: that is evidence, which a node keeps as *pending*, like
the double-signs it sees (``Store.add_pending_evidence``; a node never
slashes on evidence only it has seen, so that every node counts the same
stake).  No block carries a double observation yet, so nothing slashes for
it yet.

``ObservationWitness(store)`` keeps, per (market, height, validator), the
first observation whose signature verified, from every block this node is
asked to sign (``Validator.attest`` calls ``see(block.observations)`` before
its checks).  ``see`` looks at each observation in turn; one that conflicts
with an earlier one — in the same block or in an earlier proposal at that
height — is kept as pending ``double-observation`` evidence (both prices
and signatures), and ``see`` raises ``Misbehaviour`` naming it, so this
validator does not sign a block that carries it.  An observation whose signature does not verify
is no evidence (anyone could forge it) and is left to the rules, which
refuse the block.  The same price twice is not evidence either (the rules
refuse it as a duplicate).  Heights at or below the store's head are
dropped at each ``see`` (a block carries observations for head + 1 only).
"""

import threading

from verifier.errors import Misbehaviour

__all__ = ["ObservationWitness", "double_observation_evidence"]

KIND = "double-observation"


def double_observation_evidence(first, second) -> dict:
    """The evidence body for two observations by one validator for one market and height."""
    def one(o):
        return {"price": o.price, "signature": o.signature.hex()}
    return {"chain_id": first.chain_id, "market_id": first.market_id, "height": first.height,
            "first": one(first), "second": one(second)}


class ObservationWitness:
    """The observations a node has seen per (market, height, validator) (module docstring)."""

    def __init__(self, store):
        self.store = store
        self._seen = {}                     # (market, height, validator) → Observation
        self._lock = threading.Lock()

    def see(self, observations) -> None:
        """Record ``observations``; ``Misbehaviour`` (after storing evidence) on a conflict."""
        view = self.store.view()
        records, chain_id = dict(view.validators), view.chain_id
        with self._lock:
            self._seen = {k: v for k, v in self._seen.items() if k[1] > view.height}
            for o in observations:
                rec = records.get(getattr(o, "validator", None))
                if rec is None or o.chain_id != chain_id or not o.verifies(rec.public_key):
                    continue
                key = (o.market_id, o.height, o.validator)
                prior = self._seen.setdefault(key, o)
                if prior.price == o.price:
                    continue
                self.store.add_pending_evidence(KIND, o.validator, o.height,
                                                double_observation_evidence(prior, o))
                raise Misbehaviour(f"validator {o.validator!r} observed two prices for market "
                                   f"{o.market_id} at height {o.height} ({prior.price} and "
                                   f"{o.price}): evidence kept")
