"""One module per ``darkmatch`` sub-command; each exposes ``register(subparsers)``."""

__all__: list = []
