"""The scripted market's Ethereum side: its settlement contract, traders' wallets, validators' keys.

``MarketChain(market, w3)`` gives every validator of a ``scenario.Market`` an
Ethereum key (an ``EthSigner`` over that validator's own store) and every
trader an Ethereum wallet (funded with ether by the chain's first account, the
owner address its withdrawals are paid to), then deploys the ledger's
contracts (``OnChain.deploy``: verifier, test collateral token, Settlement, or
Escape for a self-custody market, whose exit verifier it also deploys).
The committee's on-chain stake is each validator's ledger stake ×
``STAKE_UNIT`` tokens and the collateral cap ``CAP_BPS`` of it: the vault
may hold at most as much collateral as an attacking quorum would lose.

Per batch: ``flows()`` — the queued deposits a block can consume and the
traders' signed withdrawal requests that still name their account's current
commitment (``ledger.ethereum.withdrawals``); after the round, ``settle(block)``
submits the final block with the validators' certificate.  ``deposit`` and
``request_withdrawal`` / ``claim`` are the traders' side.
"""

from eth_account import Account

from ledger.ethereum.anchor import EthSigner
from ledger.ethereum.chain import send
from ledger.ethereum.withdrawals import check_withdrawal, new_withdrawal
from ledger.operator.onchain import OnChain

__all__ = ["MarketChain", "STAKE_UNIT", "CAP_BPS", "FREEZE_AFTER"]

STAKE_UNIT = 10**6           #: collateral tokens per unit of ledger stake
CAP_BPS = 10_000             #: collateral cap: 100 % of the committee's stake
FREEZE_AFTER = 24 * 3600     #: Escape's governed freeze time (a self-custody market)


class MarketChain:
    def __init__(self, market, w3):
        self.market, self.w3 = market, w3
        funder = w3.eth.accounts[0]
        self.signers = [EthSigner(Account.create(), v.store) for v in market.validators]
        names = [v.name for v in market.validators]
        self.wallets = {a: Account.create() for a in market.trader_keys}
        for wallet in self.wallets.values():
            w3.eth.send_transaction({"from": funder, "to": wallet.address, "value": 10**18})
        self.onchain = OnChain.deploy(
            w3, market.operator.store, market.vk, market.n_slots, market.k_slots,
            {n: s.address for n, s in zip(names, self.signers)},
            {a: w.address for a, w in self.wallets.items()}, stake_unit=STAKE_UNIT,
            cap_bps=CAP_BPS, sender=funder,
            exit_vk=market.custody["exit_vk"] if market.custody else None,
            freeze_after=FREEZE_AFTER,
            refusal_vk=market.custody["refusal_vk"] if market.custody else None)
        self.requests = []

    # ------------------------------------------------------------ traders
    def deposit(self, account: int, amount: int):
        """Trader ``account`` mints test tokens and deposits them on the vault."""
        return self.onchain.deposit(self.wallets[account], account, amount)

    def request_withdrawal(self, account: int, amount: int):
        """Trader ``account`` signs a withdrawal of ``amount`` from its current state."""
        store = self.market.operator.store
        req = new_withdrawal(self.market.trader_keys[account], account, amount,
                             store.account_commitment(account))
        check_withdrawal(store, req)
        self.requests.append(req)
        return req

    def claim(self, account: int):
        """The trader's wallet claims what settled blocks made claimable for ``account``."""
        return send(self.w3, self.onchain.settlement.functions.claim(account),
                    self.wallets[account], contract=self.onchain.settlement)

    def balance(self, account: int) -> int:
        return self.onchain.token.functions.balanceOf(self.wallets[account].address).call()

    # ------------------------------------------------------------ operator
    def flows(self) -> dict:
        """{"deposits": …, "withdrawals": …} for the next batch (module docstring)."""
        store = self.market.operator.store
        live = {}
        for req in self.requests:
            try:
                check_withdrawal(store, req)
            except ValueError:
                continue
            live.setdefault(req.account, req)
        self.requests = []
        return {"deposits": self.onchain.next_deposits(), "withdrawals": list(live.values())}

    def settle(self, block):
        """Submit the final ``block`` with the validators' certificate (``OnChain.submit``)."""
        return self.onchain.submit(block, self.signers)
