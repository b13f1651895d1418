"""A small purpose-built statement whose public inputs follow a settlement layout, and a world.

Layout: 2 globals (market, height), 1 order slot of 2 fields, 2 account slots
of 6 fields (active, id, old, new, deposit, withdraw).  The circuit ties each
active slot's new commitment to old + a private delta (the real batch circuit
proves far more; the contract only needs proofs bound to these inputs).
"""

import secrets

from eth_account import Account

from circuits import Circuit
from ledger.ethereum.deploy import deploy, deploy_verifier
from ledger.ethereum.settlement import Genesis, Layout, block_hash, certificate
from prover import prove
from prover.setup import setup
from verifier.fields import R_MOD

LAYOUT = Layout(n_globals=2, height_index=1, n_orders=1, order_fields=2, n_accounts=2, account_fields=6,
                off_active=0, off_id=1, off_old=2, off_new=3, off_deposit=4, off_withdraw=5)
FIELDS = ("active", "id", "old", "new", "deposit", "withdraw")
LEDGER_ID = bytes.fromhex("d4" * 32)
GENESIS_HASH = bytes.fromhex("9e" * 32)


def layout_circuit():
    c = Circuit()
    c.public("market")
    c.public("height")
    for j in range(LAYOUT.n_orders):
        c.public(f"order{j}.active")
        c.public(f"order{j}.x")
    for k in range(LAYOUT.n_accounts):
        v = {f: c.public(f"account{k}.{f}") for f in FIELDS}
        delta = c.private(f"account{k}.delta")
        c.assert_zero(c.mul(v["active"], c.sub(c.sub(v["new"], v["old"]), delta)))
    return c


class World:
    """Prover keys, a committee of 4 equal stakes, two genesis accounts, a deployed verifier."""

    def __init__(self, w3, srs):
        self.w3 = w3
        self.pk, self.vk = setup(layout_circuit(), srs)
        self.committee = [Account.create() for _ in range(4)]
        self.outsider = Account.create()
        self.verifier = deploy_verifier(w3, self.vk)
        self.owners = w3.eth.accounts[1:3]
        self.genesis_commitments = {1: 1000 + secrets.randbelow(10**9), 2: 2000 + secrets.randbelow(10**9)}

    def fresh(self, cap_bps=10**6, stakes=(100, 100, 100, 100)):
        """A new token + Settlement on the shared verifier; returns (settlement, token)."""
        token = deploy(self.w3, "TestToken", ("test", "TT"))
        genesis = Genesis(LEDGER_ID, GENESIS_HASH, 0, tuple(a.address for a in self.committee), stakes, cap_bps,
                          (1, 2), tuple(self.genesis_commitments[i] for i in (1, 2)), tuple(self.owners))
        settlement = deploy(self.w3, "Settlement", (self.verifier.address, token.address, LAYOUT.to_abi(),
                                                    genesis.to_abi()))
        for who in self.w3.eth.accounts[:4]:
            token.functions.mint(who, 10**12).transact({"from": who})
            token.functions.approve(settlement.address, 2**256 - 1).transact({"from": who})
        return settlement, token

    def block(self, height, slots):
        """(public, proof) for ``slots``: dicts with id, old, new, deposit, withdraw (inactive if None)."""
        assignment = {"market": 7, "height": height, "order0.active": 1, "order0.x": 42}
        for k in range(LAYOUT.n_accounts):
            s = slots[k] if k < len(slots) else None
            vals = {"active": 0, "id": 0, "old": 0, "new": 0, "deposit": 0, "withdraw": 0}
            if s is not None:
                vals = {"active": 1, "deposit": 0, "withdraw": 0, **s}
            for f in FIELDS:
                assignment[f"account{k}.{f}"] = vals[f]
            assignment[f"account{k}.delta"] = (vals["new"] - vals["old"]) % R_MOD
        proof, public = prove(self.pk, assignment)
        return [int(x) for x in public], proof

    def sign(self, settlement, height, parent, public, proof, signers=None):
        h = block_hash(LEDGER_ID, height, parent, public, proof)
        return certificate(self.committee[:3] if signers is None else signers, h)
