"""Settlement on an EVM chain: prebuilt contracts, their deployment and calls (web3.py).

Modules: ``words`` (our key and proof as EVM words), ``artifacts`` (the
committed ABI + bytecode), ``generate`` (stand-alone Verifier.sol for one key),
``chain`` (in-process py-evm chain, anvil launcher, RPC, sending),
``deploy`` (deploy / bind contracts), ``settlement`` (layout, block hash,
signatures, settle), ``config`` (the layout / genesis / deployment files),
``anchor`` (a ledger's blocks on the contract: ledger id, anchor hashes,
validators' Ethereum signatures), ``withdrawals`` (signed withdrawal requests,
the deposit prefix a block consumes), ``solc`` (build time only: the pinned
solcjs).  Imports verifier/, prover/, circuits/ and ``ledger.core`` only.
"""

__all__ = []
