"""The market's rules: the matching engine (uniform-price batch auction) and margin.
"""

__all__: list = []
