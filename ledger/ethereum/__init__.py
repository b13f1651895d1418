"""Settlement on an EVM chain: prebuilt contracts, their deployment and calls (web3.py).

Modules: ``words`` (our key and proof as EVM words), ``artifacts`` (the
committed ABI + bytecode), ``generate`` (stand-alone Verifier.sol for one key),
``chain`` (in-process py-evm chain, anvil launcher, RPC, sending),
``deploy`` (deploy / bind contracts), ``settlement`` (block hash, signatures,
settle / deposit / claim), ``solc`` (build time only: the pinned solcjs).
Imports verifier/, prover/, circuits/ only — no other ledger module.
"""

__all__ = []
