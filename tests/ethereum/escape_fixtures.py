"""A world for the Escape contract: a small statement whose public inputs follow a settlement
layout with the perpetual globals and the slots' encryption keys, real account commitments,
and the real exit and refusal circuits' keys.

Layout: 9 globals (market, height, mark M, F + 2^47, fee total, insurance bps, insurance
fund, block key E.x, E.y), 1 order slot of 2 fields, 3 account slots of 12 fields (active, id,
old, new, deposit, withdraw, key x, key y, ciphertext c0…c3).  The block statement ties each active slot's new commitment to
old + a private delta (the real batch circuit proves far more, the contract only needs proofs
bound to these inputs); the exit proofs are the real exit circuit's.
"""

import dataclasses
import random
import warnings

from eth_account import Account

from circuits import Circuit
from circuits import encryption as enc
from circuits.account_state import Opening, commitment
from circuits.settlement_data import FUNDING_OFFSET
from ledger.ethereum.deploy import deploy, deploy_verifier
from ledger.ethereum.escape import EscapeParams, exit_keys, refusal_keys
from ledger.ethereum.settlement import Genesis, Layout, block_hash, certificate
from prover import dev_srs, prove
from prover.setup import setup
from verifier.fields import R_MOD

GLOBALS = ("market", "height", "mark", "funding", "fee", "insurance_bps", "insurance", "ex", "ey")
FIELDS = ("active", "id", "old", "new", "deposit", "withdraw", "ax", "ay", "c0", "c1", "c2", "c3")
N_ACCOUNTS = 3
LAYOUT = Layout(n_globals=len(GLOBALS), height_index=1, n_orders=1, order_fields=2,
                n_accounts=N_ACCOUNTS, account_fields=len(FIELDS), off_active=0, off_id=1,
                off_old=2, off_new=3, off_deposit=4, off_withdraw=5)
KEY_BASE = LAYOUT.account_slot(0) + FIELDS.index("ax")
LEDGER_ID = bytes.fromhex("e5" * 32)
GENESIS_HASH = bytes.fromhex("7a" * 32)
FREEZE_AFTER = 1_000
ACCOUNTS = (1, 2, 3)


class _Rng(random.Random):
    def randbelow(self, n):
        return self.randrange(n)


def layout_circuit():
    c = Circuit()
    for g in GLOBALS:
        c.public(g)
    c.public("order0.active")
    c.public("order0.x")
    for k in range(N_ACCOUNTS):
        v = {f: c.public(f"account{k}.{f}") for f in FIELDS}
        delta = c.private(f"account{k}.delta")
        c.assert_zero(c.mul(v["active"], c.sub(c.sub(v["new"], v["old"]), delta)))
    return c


class EscapeWorld:
    """Block and exit keys, a committee of 4 equal stakes, accounts 1–3 with real openings and
    encryption keys, owned by the node's accounts 1–3."""

    def __init__(self, w3, exit_srs=None):
        self.w3 = w3
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            self.pk, self.vk = setup(layout_circuit(), dev_srs(8))
            self.exit_srs = exit_srs or dev_srs(11)
            self.exit_circuit, self.exit_pk, self.exit_vk = exit_keys(self.exit_srs)
            _, self.refusal_pk, self.refusal_vk = refusal_keys(self.exit_srs)
        self.committee = [Account.create() for _ in range(4)]
        self.verifier = deploy_verifier(w3, self.vk)
        self.exit_verifier = deploy_verifier(w3, self.exit_vk)
        self.refusal_verifier = deploy_verifier(w3, self.refusal_vk)
        self.owners = dict(zip(ACCOUNTS, w3.eth.accounts[1:4]))
        rng = _Rng(14)
        self.secrets = {a: enc.keypair(rng) for a in ACCOUNTS}
        self.openings = {a: Opening(cash=0, position=0, funding=0,
                                    blinding=rng.randrange(R_MOD)) for a in ACCOUNTS}

    def key(self, a):
        return self.secrets[a][1]

    def fresh(self, freeze_after=FREEZE_AFTER, register=ACCOUNTS, openings=None,
              genesis_keys=(), **changes):
        """A new token + Escape on the shared verifiers; returns (escape, token).  ``register``:
        the accounts whose owners register the world's keys after deployment;
        ``genesis_keys``: keys set at deployment instead, one per account; ``changes``:
        EscapeParams fields to override."""
        openings = openings or self.openings
        token = deploy(self.w3, "TestToken", ("test", "TT"))
        genesis = Genesis(LEDGER_ID, GENESIS_HASH, 0, tuple(a.address for a in self.committee),
                          (100, 100, 100, 100), 10**12, ACCOUNTS,
                          tuple(commitment(a, openings[a]) for a in ACCOUNTS),
                          tuple(self.owners[a] for a in ACCOUNTS))
        params = EscapeParams(mark_index=2, funding_index=3, insurance_index=6, fee_index=4,
                              insurance_bps_index=5, key_base=KEY_BASE, key_stride=len(FIELDS),
                              block_key_index=GLOBALS.index("ex"), market_index=0,
                              freeze_after=freeze_after, mark=100, funding=FUNDING_OFFSET,
                              keys=tuple(genesis_keys))
        params = dataclasses.replace(params, **changes)
        escape = deploy(self.w3, "Escape", (self.verifier.address, token.address,
                                            LAYOUT.to_abi(), genesis.to_abi(),
                                            params.to_abi(self.exit_verifier.address,
                                                          self.refusal_verifier.address)))
        for who in self.w3.eth.accounts[:4]:
            token.functions.mint(who, 10**12).transact({"from": who})
            token.functions.approve(escape.address, 2**256 - 1).transact({"from": who})
        for a in register:
            x, y = self.key(a)
            escape.functions.registerKey(a, x, y).transact({"from": self.owners[a]})
        return escape, token

    def block(self, height, slots, *, mark=100, funding=0, fee=0, insurance_bps=0,
              insurance=0, block_key=(0, 0), market=7):
        """(public, proof): ``slots`` are dicts with id, old, new and optionally deposit,
        withdraw, key (the registered one unless given), ciphertext (4 elements); F is
        signed."""
        asg = {"market": market, "height": height, "mark": mark,
               "funding": funding + FUNDING_OFFSET, "fee": fee, "insurance_bps": insurance_bps,
               "insurance": insurance, "ex": block_key[0], "ey": block_key[1],
               "order0.active": 0, "order0.x": 0}
        for k in range(N_ACCOUNTS):
            s = slots[k] if k < len(slots) else None
            vals = dict.fromkeys(FIELDS, 0)
            if s is not None:
                x, y = s.get("key", self.key(s["id"]))
                vals.update(active=1, id=s["id"], old=s["old"], new=s["new"],
                            deposit=s.get("deposit", 0), withdraw=s.get("withdraw", 0),
                            ax=x, ay=y)
                vals.update(zip(("c0", "c1", "c2", "c3"), s.get("ciphertext", (0, 0, 0, 0))))
            for f in FIELDS:
                asg[f"account{k}.{f}"] = vals[f]
            asg[f"account{k}.delta"] = (vals["new"] - vals["old"]) % R_MOD
        proof, public = prove(self.pk, asg)
        return [int(x) for x in public], proof

    def sign(self, height, parent, public, proof, signers=None):
        h = block_hash(LEDGER_ID, height, parent, public, proof)
        return certificate(self.committee[:3] if signers is None else signers, h)
