"""A validator node's Ethereum side: its key's signatures of final blocks, the contract it watches.

**Key** (``eth.key`` in the home, hex, mode 0600; ``darkmatch validator init``
makes one): ``anchor(height)`` answers ``GET /anchor/<h>`` with the block's
anchor hash (``ledger.ethereum.anchor``) and this validator's signature of it —
only for a block stored final here (else ``NotFound``), so the operator can
gather the committee's certificate for ``settle``.

**Watching** (``--rpc URL --deployment FILE``): ``status()`` reads the
settlement contract's height and last block hash and reports, in the node's
``/status``, ``soft`` (the node's head: committee-final) and ``hard`` (the
contract's height) — but a height is reported hard-final only when the
contract's hash equals this node's own anchor hash at that height; a contract
that accepted something else (or that this node cannot read) is reported as
such with ``hard`` null.  It also reports the security budget: collateral held,
its cap and the committee's stake on the contract, and their ratio.
"""

import os

from verifier.errors import Rejected

from ledger.ethereum.anchor import AnchorChain, EthSigner

__all__ = ["ETH_KEY_FILE", "NodeEthereum"]

ETH_KEY_FILE = "eth.key"


class NodeEthereum:
    """The Ethereum side of one node (module docstring)."""

    def __init__(self, home, store, *, rpc=None, deployment=None):
        from ledger.ethereum.settlement import load_key_file
        path = os.path.join(home, ETH_KEY_FILE)
        self.signer = EthSigner(load_key_file(path), store) if os.path.exists(path) else None
        self.store, self.chain = store, AnchorChain(store)
        self.settlement, self.rpc = None, rpc
        if rpc is not None:
            from ledger.ethereum.chain import connect
            from ledger.ethereum.config import load_deployment
            from ledger.ethereum.deploy import at
            if deployment is None:
                raise Rejected("--rpc needs --deployment FILE (darkmatch chain deploy writes it)")
            d = load_deployment(deployment)
            self.settlement = at(connect(rpc), "Settlement", d["settlement"])

    @property
    def address(self):
        return None if self.signer is None else self.signer.address

    def anchor(self, height: int) -> dict:
        from ledger.node.service import NotFound
        if self.signer is None:
            raise NotFound(f"this validator has no Ethereum key ({ETH_KEY_FILE})")
        block = self.store.get_block(height)
        if block is None:
            raise NotFound(f"no finalized block at height {height}")
        return {"height": height, "anchor": self.chain.at(height).hex(),
                "address": self.signer.address, "signature": self.signer.sign(block).hex()}

    def status(self) -> dict:
        out = {"address": self.address, "soft": self.store.head()[0]}
        if self.settlement is None:
            return out
        f = self.settlement.functions
        try:
            height, last = f.height().call(), f.lastBlockHash().call()
            collateral, cap, stake = (f.collateral().call(), f.collateralCap().call(),
                                      f.totalStake().call())
        except Exception as e:        # noqa: BLE001 — an unreachable node, any transport error
            out.update(hard=None, contract_error=f"{type(e).__name__}")
            return out
        own = None
        if height <= out["soft"]:
            own = self.chain.at(height)
        if own == last:
            out["hard"] = height
        else:
            out["hard"] = None
            out["contract_error"] = (f"the contract's block {height} is not this ledger's"
                                     if own is not None else
                                     f"the contract is at {height}, ahead of this node")
        out.update(contract=self.settlement.address, collateral=collateral, cap=cap,
                   stake=stake, collateral_per_stake=collateral / stake if stake else None)
        return out
