"""The operator on the settlement contract: deploy for a ledger, take deposits, submit blocks.

``OnChain.deploy(w3, store, vk, n, k, committee, owners)`` deploys, for the
ledger in ``store``, the PLONK verifier of ``vk``, a test collateral token (or
binds ``token``) and the Settlement contract with ``settlement_layout(n, k)``,
the ledger's id and genesis hash (``ledger.ethereum.anchor``), the committee
(each validator's Ethereum address with its ledger stake × ``stake_unit``
tokens), the collateral cap (``cap_bps`` of that stake) and every ledger
account's current commitment with its owner address (``owners``: account →
address).  ``OnChain(w3, settlement, store)`` binds a deployment.

A ledger whose genesis registers encryption keys (docs/custody.md) proves
with the encrypted batch circuit, so its blocks carry the encrypted group of
2 + 6K public inputs after the flows: ``deploy`` then needs the exit
circuit's verification key (``exit_vk``) and deploys ``Escape``
(``ledger.ethereum.escape``) instead of Settlement, with
``settlement_layout(n, k, encrypted=True)``, ``batch_params(n, k)``, the
genesis accounts' keys, the market's genesis mark and maintenance margin,
``freeze_after`` and, with ``refusal_vk``, the refusal statement's verifier.
Escape is a Settlement, so everything below works on it unchanged, and each
settled block publishes every touched account's encrypted opening.

Per batch the operator:

1. ``next_deposits()`` — the prefix of the contract's deposit queue one block
   can consume (``ledger.ethereum.withdrawals.consumable``), as account →
   amount for ``Operator.propose``;
2. after the committee finalized the block, ``certify(block, signers)``
   gathers each validator's Ethereum signature of its anchor hash (each
   ``EthSigner`` signs only a block final in its own store) and ``submit``
   sends ``settle``; the receipt's gas and the time it took are kept in
   ``settled`` (height → ``Settled``).  A refused block raises ``ChainError``
   with the contract's reason and is not recorded: it is never hard-final.

``security()`` reports the economic security budget: collateral held, the cap
and the slashable stake, and their ratio.
"""

import time
from dataclasses import dataclass

from ledger.ethereum.anchor import AnchorChain, certificate_of, settlement_genesis
from ledger.ethereum.chain import ChainError
from ledger.ethereum.deploy import at
from ledger.ethereum.settlement import deploy_settlement, settle, settlement_layout
from ledger.ethereum.escape import batch_params, deploy_escape
from ledger.ethereum.withdrawals import consumable, read_queue

__all__ = ["OnChain", "Settled"]


@dataclass(frozen=True)
class Settled:
    height: int
    anchor: bytes
    gas: int
    seconds: float            #: certify + send + receipt


class OnChain:
    """One ledger's settlement contract, from the operator's side."""

    def __init__(self, w3, settlement, store, *, sender=None, token=None, k_slots=None):
        self.w3, self.settlement, self.store = w3, settlement, store
        self.sender = sender if sender is not None else w3.eth.accounts[0]
        self.token = token
        self.chain = AnchorChain(store)
        self.k_slots = k_slots
        self.settled = {}

    @classmethod
    def deploy(cls, w3, store, vk, n_slots, k_slots, committee: dict, owners: dict, *,
               stake_unit: int = 1, cap_bps: int = 10_000, token=None, sender=None,
               exit_vk=None, freeze_after: int = 7 * 24 * 3600, refusal_vk=None):
        """Deploy for ``store``'s ledger (module docstring); ``committee``: validator name →
        Ethereum address; ``exit_vk``: the exit circuit's key, needed (and only allowed)
        when the genesis registers encryption keys; ``refusal_vk``: the refusal circuit's
        (without it, no forced withdrawal can be refused)."""
        from ledger.chain.rules import encryption_keys
        sender = sender if sender is not None else w3.eth.accounts[0]
        if store.head()[0] != 0:
            raise ChainError("deploy the settlement contract at the ledger's genesis (height 0)")
        ledger_genesis = store.genesis()
        genesis = settlement_genesis(ledger_genesis, committee, owners, stake_unit=stake_unit,
                                     cap_bps=cap_bps)
        token_c = None if token is None else at(w3, "TestToken", token)
        enc_keys = encryption_keys(ledger_genesis)
        if not enc_keys:
            if exit_vk is not None:
                raise ChainError("the genesis registers no encryption keys: no exits to verify")
            _, settlement, token_c = deploy_settlement(w3, vk, settlement_layout(n_slots, k_slots),
                                                       genesis, token=token_c, sender=sender)
            return cls(w3, settlement, store, sender=sender, token=token_c, k_slots=k_slots)
        if exit_vk is None:
            raise ChainError("the genesis registers encryption keys: Escape needs the exit "
                             "circuit's verification key")
        missing = [a for a in genesis.accounts if a not in enc_keys]
        if missing:
            raise ChainError(f"account {missing[0]} registers no encryption key: every genesis "
                             "account of an encrypted ledger needs one")
        if len(ledger_genesis.markets) != 1:
            raise ChainError("Escape records one market's mark: the genesis must have one market")
        market = ledger_genesis.markets[0]
        params = batch_params(n_slots, k_slots, freeze_after=freeze_after,
                              mark=market.mark_price, mm=market.params.mm_bps,
                              keys=tuple(enc_keys[a] for a in genesis.accounts))
        _, _, settlement, token_c = deploy_escape(
            w3, vk, exit_vk, settlement_layout(n_slots, k_slots, encrypted=True), genesis,
            params, token=token_c, sender=sender, refusal_vk=refusal_vk)
        return cls(w3, settlement, store, sender=sender, token=token_c, k_slots=k_slots)

    # ------------------------------------------------------------ reading
    def height(self) -> int:
        """The contract's settled height (hard finality)."""
        return self.settlement.functions.height().call()

    def next_deposits(self) -> dict:
        queue = read_queue(self.settlement, self.k_slots or 64)
        return dict(consumable(queue, self.k_slots or len(queue)))

    def security(self) -> dict:
        f = self.settlement.functions
        collateral, cap, stake = (f.collateral().call(), f.collateralCap().call(),
                                  f.totalStake().call())
        return {"collateral": collateral, "cap": cap, "stake": stake,
                "collateral_per_stake": collateral / stake if stake else None}

    # ------------------------------------------------------------ settling
    def certify(self, block, signers=(), signatures=()) -> bytes:
        """The certificate of ``block``: each in-process signer's Ethereum signature (a signer
        whose store does not hold the block final is left out) and ``signatures`` gathered
        elsewhere (``remote_signatures``), in signer address order."""
        sigs = list(signatures)
        for s in signers:
            try:
                sigs.append(s.sign(block))
            except ValueError:            # Rejected: not final on that validator
                continue
        return certificate_of(sigs, self.chain.at(block.height))

    def remote_signatures(self, urls, block, *, timeout: float = 30.0) -> tuple:
        """(signatures, {url: why not}) from validator nodes' ``GET /anchor/<h>``; an answer
        for another anchor hash than this store's is refused."""
        from ledger.node.client import NodeClient, each
        want = self.chain.at(block.height).hex()
        sigs, errors = [], {}
        for url, (ans, err) in each(list(urls), lambda u: NodeClient(u, timeout).anchor(
                block.height), timeout).items():
            if err is None and (not isinstance(ans, dict) or ans.get("anchor") != want):
                err = "signed another anchor hash"
            if err is None:
                try:
                    sigs.append(bytes.fromhex(ans["signature"]))
                except (KeyError, TypeError, ValueError):
                    err = "malformed signature"
            if err is not None:
                errors[url] = err
        return sigs, errors

    def submit(self, block, signers=(), signatures=()) -> Settled:
        """Settle ``block`` (final in the operator's store) with the certificate of
        ``signers`` (``EthSigner``) and ``signatures`` (``certify``)."""
        t = time.perf_counter()
        stored = self.store.get_block(block.height)
        if stored is None or stored.hash() != block.hash():
            raise ChainError(f"block {block.height} is not final on the operator's node")
        parent = self.chain.at(block.height - 1)
        cert = self.certify(block, signers, signatures)
        receipt = settle(self.w3, self.settlement, block.height, parent, list(block.public_inputs),
                         block.proof, cert, self.sender)
        done = Settled(block.height, self.chain.at(block.height), receipt.gasUsed,
                       time.perf_counter() - t)
        self.settled[block.height] = done
        return done

    def deposit(self, who, account: int, amount: int):
        """Mint test tokens to ``who``, approve and deposit (the demo's traders)."""
        from ledger.ethereum.chain import send
        send(self.w3, self.token.functions.mint(_addr(who), amount), who)
        send(self.w3, self.token.functions.approve(self.settlement.address, amount), who)
        return send(self.w3, self.settlement.functions.deposit(account, amount), who,
                    contract=self.settlement)


def _addr(who) -> str:
    return who.address if hasattr(who, "address") else who
