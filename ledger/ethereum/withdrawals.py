"""Withdrawals and deposits from the operator's side of the settlement contract.

**Withdrawal requests** are ``ledger.core.withdrawals.WithdrawalRequest``
(re-exported here): account, amount and the account's current commitment,
signed with the account's key.  ``check_withdrawal(store, request)`` is the
operator's intake check: the signature under the key the ledger registered and
the commitment against the ledger's (a stale request is refused).  The block
carries the requests it debits, the circuit proves margin (A2) after the
debit, and the contract makes the amount claimable by the account's
registered Ethereum address.

**Deposits**: ``consumable(queue, k_slots)`` is the longest prefix of the
contract's queue (entries ``(account, amount)`` from ``depositHead``) that one
block can consume: the contract walks the block's active account slots in
order — strictly increasing account ids — and each slot with a deposit takes
the next entry, so the prefix stops at the first account id not above the
previous one or when K accounts are used.  ``read_queue(settlement)`` reads the
pending entries.
"""

from verifier.errors import BadInput, Rejected

from ledger.core.withdrawals import (REQUEST_KIND, WithdrawalRequest, new_withdrawal,
                                     request_from_json, request_to_json)

__all__ = ["WithdrawalRequest", "new_withdrawal", "check_withdrawal", "consumable",
           "read_queue", "request_to_json", "request_from_json", "REQUEST_KIND"]


def check_withdrawal(store, request: WithdrawalRequest) -> None:
    """``Rejected`` (one line) unless ``request`` is signed by its account and names the
    account's current commitment in ``store``."""
    if not isinstance(request, WithdrawalRequest):
        raise BadInput("not a withdrawal request")
    try:
        key = store.account_public_key(request.account)
    except ValueError:
        raise Rejected(f"withdrawal for unknown account {request.account}") from None
    if not request.verify(key):
        raise Rejected(f"withdrawal of account {request.account}: bad signature")
    if store.account_commitment(request.account) != request.commitment:
        raise Rejected(f"withdrawal of account {request.account}: stale (the account's state "
                       "changed since it was signed)")


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
