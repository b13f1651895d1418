"""Constraint system, builder, witness solver and gadgets (imports only ``verifier``)."""

__all__: list = []
