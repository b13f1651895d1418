"""The chain's rules and their storage: the pure rules layer, the SQLite store, governance, sign log, validator, finality."""

__all__: list = []
