"""Constraint system, builder, witness solver and gadgets (imports only ``verifier``)."""

from . import babyjub, bits, pedersen, poseidon, settlement, settlement_data, settlement_rules
from .builder import Circuit, CircuitError, ConstraintSystem, UnsatisfiedError, Var

__all__ = [
    "Circuit", "CircuitError", "ConstraintSystem", "UnsatisfiedError", "Var",
    "babyjub", "bits", "pedersen", "poseidon", "settlement", "settlement_data", "settlement_rules",
]
