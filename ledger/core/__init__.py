"""The ledger's vocabulary, shared by every role: codec, keys and files, orders, blocks,
genesis, signing domains, limits and the one-line error message.
"""

__all__: list = []
