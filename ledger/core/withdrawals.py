"""A trader's signed withdrawal request: its fields, signature message and JSON form.

A request names the account, the amount (1 ≤ amount < 2^64, the circuit's
flow bound) and the account's *current state commitment*, signed with the
account's Ed25519 key over ``WITHDRAW_DOMAIN ‖ account (8 bytes) ‖ amount
(8 bytes) ‖ commitment (32 bytes)``, all big-endian.  Naming the commitment
makes a request single-use: the block that debits it replaces the account's
commitment.  A block carries the requests it debits (``ledger.core.block``),
and validators check each signature against the account's registered key
(``ledger.chain.rules.check_block``).

JSON: ``{"kind": "darkmatch-withdrawal", "version": 1, "account": int,
"amount": dec, "commitment": dec, "signature": hex128}``.
"""

from dataclasses import dataclass

from verifier.errors import BadInput

from ledger.core import keys
from ledger.core.codec import check_object, get_decimal, get_hex, get_int
from ledger.core.domains import WITHDRAW_DOMAIN
from ledger.core.limits import ACCOUNT_BOUND, FLOW_BOUND, check_int

__all__ = ["WithdrawalRequest", "new_withdrawal", "request_to_json", "request_from_json",
           "REQUEST_KIND"]

REQUEST_KIND = "darkmatch-withdrawal"


@dataclass(frozen=True)
class WithdrawalRequest:
    account: int
    amount: int
    commitment: int
    signature: bytes

    def __post_init__(self):
        check_int(self.account, "withdrawal account", 0, ACCOUNT_BOUND)
        check_int(self.amount, "withdrawal amount", 1, FLOW_BOUND, text="in [1, 2^64)")
        check_int(self.commitment, "withdrawal commitment", 0, 1 << 256)
        if not isinstance(self.signature, bytes) or len(self.signature) != keys.SIGNATURE_BYTES:
            raise BadInput(f"withdrawal signature must be {keys.SIGNATURE_BYTES} bytes")

    def message(self) -> bytes:
        return _message(self.account, self.amount, self.commitment)

    def verify(self, public_key) -> bool:
        """True iff the signature verifies under the account's ``public_key``."""
        return keys.verify(public_key, self.message(), self.signature)


def _message(account: int, amount: int, commitment: int) -> bytes:
    return (WITHDRAW_DOMAIN + account.to_bytes(8, "big") + amount.to_bytes(8, "big")
            + commitment.to_bytes(32, "big"))


def new_withdrawal(key, account: int, amount: int, commitment: int) -> WithdrawalRequest:
    """A request signed with the account's Ed25519 ``key``."""
    check_int(account, "withdrawal account", 0, ACCOUNT_BOUND)
    check_int(amount, "withdrawal amount", 1, FLOW_BOUND, text="in [1, 2^64)")
    check_int(commitment, "withdrawal commitment", 0, 1 << 256)
    return WithdrawalRequest(account, amount, commitment,
                             keys.sign(key, _message(account, amount, commitment)))


def request_to_json(r: WithdrawalRequest) -> dict:
    return {"kind": REQUEST_KIND, "version": 1, "account": r.account, "amount": str(r.amount),
            "commitment": str(r.commitment), "signature": r.signature.hex()}


def request_from_json(obj, what: str = "withdrawal request") -> WithdrawalRequest:
    """A request from its JSON object; one-line ``BadInput``."""
    check_object(obj, what, REQUEST_KIND, 1, ("account", "amount", "commitment", "signature"))
    return WithdrawalRequest(get_int(obj, "account", what, 0, ACCOUNT_BOUND),
                             get_decimal(obj, "amount", what, 1, FLOW_BOUND),
                             get_decimal(obj, "commitment", what, 0, 1 << 256),
                             get_hex(obj, "signature", what, keys.SIGNATURE_BYTES))
