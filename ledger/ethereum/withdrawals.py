"""A trader's signed withdrawal request and the deposits a block may consume.

**Withdrawal request**: account, amount (1 ≤ amount < 2^64, the circuit's flow
bound) and the account's *current state commitment*, signed with the
account's Ed25519 key over ``WITHDRAW_DOMAIN ‖ account (8 bytes) ‖ amount
(8 bytes) ‖ commitment (32 bytes)``, all big-endian.  Binding the commitment
makes a request single-use: the block that debits it replaces the account's
commitment, so the same request never matches again.  ``check_withdrawal(store,
request)`` checks the signature under the key the ledger registered and the
commitment against the ledger's; the circuit then proves margin (A2) still
holds after the debit, and the contract makes the amount claimable by the
account's registered Ethereum address.

``request_to_json`` / ``request_from_json``: its file form ``{"kind":
"darkmatch-withdrawal", "version": 1, "account", "amount", "commitment"
(decimal strings), "signature" (hex)}``, what ``darkmatch chain withdraw``
writes and ``darkmatch operator batch --withdrawals DIR`` reads.

**Deposits**: ``consumable(queue, k_slots)`` is the longest prefix of the
contract's queue (entries ``(account, amount)`` from ``depositHead``) that one
block can consume: the contract walks the block's active account slots in
order — strictly increasing account ids — and each slot with a deposit takes
the next entry, so the prefix stops at the first account id not above the
previous one or when K accounts are used.
"""

from dataclasses import dataclass

from verifier.errors import BadInput, Rejected

from ledger.core import keys
from ledger.core.domains import WITHDRAW_DOMAIN
from ledger.core.limits import ACCOUNT_BOUND, FLOW_BOUND, check_int

__all__ = ["WithdrawalRequest", "new_withdrawal", "check_withdrawal", "consumable",
           "read_queue", "request_to_json", "request_from_json", "REQUEST_KIND"]

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


def _message(account: int, amount: int, commitment: int) -> bytes:
    return (WITHDRAW_DOMAIN + account.to_bytes(8, "big") + amount.to_bytes(8, "big")
            + commitment.to_bytes(32, "big"))


def new_withdrawal(key, account: int, amount: int, commitment: int) -> WithdrawalRequest:
    """A request signed with the account's Ed25519 ``key``."""
    check_int(amount, "withdrawal amount", 1, FLOW_BOUND, text="in [1, 2^64)")
    return WithdrawalRequest(account, amount, commitment,
                             keys.sign(key, _message(account, amount, commitment)))


def check_withdrawal(store, request: WithdrawalRequest) -> None:
    """``Rejected`` (one line) unless ``request`` is signed by its account and names the
    account's current commitment in ``store``."""
    if not isinstance(request, WithdrawalRequest):
        raise BadInput("not a withdrawal request")
    try:
        key = store.account_public_key(request.account)
    except ValueError:
        raise Rejected(f"withdrawal for unknown account {request.account}") from None
    if not keys.verify(key, request.message(), request.signature):
        raise Rejected(f"withdrawal of account {request.account}: bad signature")
    if store.account_commitment(request.account) != request.commitment:
        raise Rejected(f"withdrawal of account {request.account}: stale (the account's state "
                       "changed since it was signed)")


def request_to_json(r: WithdrawalRequest) -> dict:
    return {"kind": REQUEST_KIND, "version": 1, "account": r.account, "amount": str(r.amount),
            "commitment": str(r.commitment), "signature": r.signature.hex()}


def request_from_json(obj, what: str = "withdrawal request") -> WithdrawalRequest:
    """A request from its JSON object (``request_to_json``); one-line ``BadInput``."""
    from ledger.core.codec import check_object, get_decimal, get_hex, get_int
    check_object(obj, what, REQUEST_KIND, 1, ("account", "amount", "commitment", "signature"))
    return WithdrawalRequest(get_int(obj, "account", what, 0, ACCOUNT_BOUND),
                             get_decimal(obj, "amount", what, 1, FLOW_BOUND),
                             get_decimal(obj, "commitment", what, 0, 1 << 256),
                             get_hex(obj, "signature", what, keys.SIGNATURE_BYTES))


def consumable(queue, k_slots: int) -> list:
    """The longest prefix of ``queue`` ([(account, amount)]) one block can consume."""
    out = []
    for account, amount in queue:
        if len(out) == k_slots or (out and account <= out[-1][0]):
            break
        out.append((account, amount))
    return out


def read_queue(settlement, limit: int = 64) -> list:
    """The contract's pending deposits [(account, amount)] from ``depositHead`` (at most
    ``limit``)."""
    f = settlement.functions
    head, tail = f.depositHead().call(), f.depositTail().call()
    return [tuple(f.depositAt(i).call()) for i in range(head, min(tail, head + limit))]
