"""The chain's rules and their storage: the pure rules layer, the SQLite store, governance,
the signer's durable logs (``signlog``, ``proposals``, ``roundlog``, opened by ``durable``),
the validator and finality, and the two-phase round votes with their locks (``votes``,
``rounds``; every height runs in them, docs/liveness.md).
"""

__all__: list = []
