"""The chain's rules and their storage: the pure rules layer, the SQLite store, governance,
the sign log, the validator and finality, and the two-phase round votes with their locks
(``votes``, ``roundlog``, ``rounds``; not yet run by the nodes).
"""

__all__: list = []
