"""The ledger's vocabulary, shared by every role: codec, keys and files, orders, blocks, genesis, signing domains and limits."""

__all__: list = []
