"""Orders, accounts, matching, storage, validators and the ``darkmatch`` CLI (top layer)."""

__all__: list = []
