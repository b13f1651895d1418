"""The chain's rules and their storage: the pure rules layer, the SQLite store, governance,
the sign log, the validator and finality.
"""

__all__: list = []
