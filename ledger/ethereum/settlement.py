"""The Settlement contract from Python: layout, block hash, committee signatures, calls.

Block hash (the contract's ``blockHash``, what the committee signs)::

    keccak256(abi.encode(BLOCK_TAG, ledger_id, height, parent,
                         keccak256(public inputs, 32-byte words), keccak256(24 proof words)))

with ``BLOCK_TAG = keccak256("darkmatch.settlement.block.v1")``; no chain id or
contract address, so one certificate settles a block on every chain the
ledger is anchored to.  A signature is eth-account's EIP-191 signature
(``"\\x19Ethereum Signed Message:\\n32" ‖ hash``) as 65 bytes r ‖ s ‖ v; a
certificate is the signatures concatenated in increasing signer address.

Validators' Ethereum keys: ``new_key_file`` / ``load_key_file`` (hex private
key, file mode 0600).
"""

import os
import pathlib
from dataclasses import astuple, dataclass

from circuits.settlement_data import ACCOUNT_FLOW, ACCOUNT_PUBLIC, GLOBALS, ORDER_PUBLIC
from eth_abi import encode
from eth_account import Account
from eth_account.messages import encode_defunct
from eth_utils import keccak

from verifier.errors import BadInput

from .chain import send
from .deploy import deploy, deploy_verifier
from .words import proof_words

__all__ = ["NONE", "BLOCK_TAG", "COMMITTEE_TAG", "CAP_TAG", "Layout", "Genesis", "settlement_layout", "block_hash",
           "committee_change_hash", "cap_change_hash", "sign", "certificate", "deploy_settlement",
           "new_key_file", "load_key_file", "settle", "KeyFileError"]

NONE = (1 << 256) - 1
BLOCK_TAG = keccak(text="darkmatch.settlement.block.v1")
COMMITTEE_TAG = keccak(text="darkmatch.settlement.committee.v1")
CAP_TAG = keccak(text="darkmatch.settlement.cap.v1")


class KeyFileError(BadInput):
    """An Ethereum key file that cannot be read or is not private."""


@dataclass(frozen=True)
class Layout:
    """Where the contract finds its fields in the block's public inputs (see Settlement.sol)."""
    n_globals: int
    height_index: int
    n_orders: int
    order_fields: int
    n_accounts: int
    account_fields: int
    off_active: int = NONE
    off_id: int = 0
    off_old: int = 1
    off_new: int = 2
    off_deposit: int = NONE
    off_withdraw: int = NONE
    flow_fields: int = 0        # 0: deposit / withdraw inside the account slot
    tail_fields: int = 0        # inputs after the account slots / flow group (ciphertexts)

    @property
    def n_public(self) -> int:
        return (self.n_globals + self.n_orders * self.order_fields
                + self.n_accounts * (self.account_fields + self.flow_fields) + self.tail_fields)

    def account_slot(self, k: int) -> int:
        """Index of account slot k's first field in the public inputs."""
        return self.n_globals + self.n_orders * self.order_fields + k * self.account_fields

    def flow_slot(self, k: int) -> int:
        """Index of the first field the deposit / withdrawal offsets of account slot k count from."""
        if self.flow_fields == 0:
            return self.account_slot(k)
        return self.account_slot(self.n_accounts) + k * self.flow_fields

    def deposit_index(self, k: int) -> int:
        return self.flow_slot(k) + self.off_deposit

    def withdraw_index(self, k: int) -> int:
        return self.flow_slot(k) + self.off_withdraw

    def to_abi(self) -> tuple:
        return astuple(self)


@dataclass(frozen=True)
class Genesis:
    ledger_id: bytes
    block_hash: bytes
    height: int
    members: tuple          # addresses
    stakes: tuple
    cap_bps: int
    accounts: tuple = ()
    commitments: tuple = ()
    owners: tuple = ()

    def to_abi(self) -> tuple:
        order = sorted(range(len(self.members)), key=lambda i: int(self.members[i], 16))
        return (self.ledger_id, self.block_hash, self.height,
                [self.members[i] for i in order], [self.stakes[i] for i in order], self.cap_bps,
                list(self.accounts), list(self.commitments), list(self.owners))


def settlement_layout(n_orders: int, n_accounts: int, encrypted: bool = False) -> Layout:
    """The ``Layout`` of the N × K batch-settlement circuit's public inputs
    (``circuits.settlement_data.public_names``): globals, order slots, account slots, then
    the flow group (liquidate, deposit, withdraw per account slot); ``encrypted``: then the
    encrypted group of 2 + 6K inputs (``circuits.settlement_cipher.cipher_names``)."""
    from circuits.settlement_cipher import cipher_names
    return Layout(n_globals=len(GLOBALS), height_index=GLOBALS.index("height"), n_orders=n_orders,
                  order_fields=len(ORDER_PUBLIC), n_accounts=n_accounts,
                  account_fields=len(ACCOUNT_PUBLIC), off_active=ACCOUNT_PUBLIC.index("active"),
                  off_id=ACCOUNT_PUBLIC.index("id"), off_old=ACCOUNT_PUBLIC.index("old"),
                  off_new=ACCOUNT_PUBLIC.index("new"), off_deposit=ACCOUNT_FLOW.index("deposit"),
                  off_withdraw=ACCOUNT_FLOW.index("withdraw"), flow_fields=len(ACCOUNT_FLOW),
                  tail_fields=len(cipher_names(n_accounts)) if encrypted else 0)


def _words_hash(words) -> bytes:
    return keccak(b"".join(int(w).to_bytes(32, "big") for w in words))


def block_hash(ledger_id: bytes, height: int, parent: bytes, public, proof) -> bytes:
    """The 32-byte hash the committee signs for a block (equals the contract's ``blockHash``)."""
    words = proof if isinstance(proof, (list, tuple)) else proof_words(proof)
    return keccak(encode(["bytes32", "bytes32", "uint256", "bytes32", "bytes32", "bytes32"],
                         [BLOCK_TAG, ledger_id, height, parent, _words_hash(public), _words_hash(words)]))


def committee_change_hash(ledger_id: bytes, gov_nonce: int, members, stakes) -> bytes:
    return keccak(encode(["bytes32", "bytes32", "uint256", "address[]", "uint256[]"],
                         [COMMITTEE_TAG, ledger_id, gov_nonce, list(members), list(stakes)]))


def cap_change_hash(ledger_id: bytes, gov_nonce: int, cap_bps: int) -> bytes:
    return keccak(encode(["bytes32", "bytes32", "uint256", "uint256"], [CAP_TAG, ledger_id, gov_nonce, cap_bps]))


def sign(account, digest: bytes) -> bytes:
    """One validator's 65-byte EIP-191 signature of ``digest``."""
    sig = account.sign_message(encode_defunct(primitive=bytes(digest)))
    return sig.r.to_bytes(32, "big") + sig.s.to_bytes(32, "big") + bytes([sig.v])


def certificate(accounts, digest: bytes) -> bytes:
    """Signatures of ``accounts`` concatenated in increasing address order."""
    return b"".join(sign(a, digest) for a in sorted(accounts, key=lambda a: int(a.address, 16)))


def deploy_settlement(w3, vk, layout: Layout, genesis: Genesis, *, token=None, sender=None):
    """(verifier, settlement, token): deploys the verifier for ``vk``, a TestToken unless given."""
    verifier = deploy_verifier(w3, vk, sender)
    if token is None:
        token = deploy(w3, "TestToken", ("darkmatch test collateral", "DMUSD"), sender)
    settlement = deploy(w3, "Settlement", (verifier.address, token.address, layout.to_abi(),
                                           genesis.to_abi()), sender)
    return verifier, settlement, token


def settle(w3, settlement, height: int, parent: bytes, public, proof, signatures: bytes, sender, *, gas=None):
    """Submit one block; the receipt, or ``ChainError`` naming the contract's refusal."""
    words = proof if isinstance(proof, (list, tuple)) else proof_words(proof)
    fn = settlement.functions.settle(height, parent, [int(x) for x in public], [int(w) for w in words],
                                     signatures)
    return send(w3, fn, sender, gas=gas, contract=settlement)


def new_key_file(path) -> "Account":
    """Create a fresh Ethereum key at ``path`` (hex, mode 0600); refuses to overwrite."""
    path = pathlib.Path(path)
    acct = Account.create()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(acct.key.hex().removeprefix("0x") + "\n")
    return acct


def load_key_file(path):
    """The eth-account ``LocalAccount`` in ``path``; refuses group/world-readable files."""
    path = pathlib.Path(path)
    try:
        mode = path.stat().st_mode & 0o777
        text = path.read_text().strip()
    except OSError as e:
        raise KeyFileError(f"Ethereum key {path}: {e.strerror}") from None
    if mode & 0o077:
        raise KeyFileError(f"Ethereum key {path}: permissions {oct(mode)} too open (want 0600)")
    try:
        return Account.from_key(bytes.fromhex(text.removeprefix("0x")))
    except ValueError:
        raise KeyFileError(f"Ethereum key {path}: not a hex private key") from None
