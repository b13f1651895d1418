"""The exit circuit: a trader's equity at the last settled mark, proven from its own opening.

When the settlement contract is frozen, a trader withdraws what its account is
worth without the operator: it proves, on its own machine, knowledge of the
opening of its account's stored commitment and that the amount it claims is

    amount = max(0, cash − pos·(F − F_a) + pos·M)

— its equity at the last settled mark M, with the funding it owes since its
last batch settled (longs pay pos·(F − F_a) when the index rose), floored at
zero: an account under water gets nothing and owes nothing (its deficit is the
insurance fund's, as in a liquidation).

**Public inputs**, in this order (``EXIT_PUBLIC``):

    account      the account id (< 2^40)
    commitment   the account's state commitment stored by the contract
    mark         the last settled mark price M (ticks, < 2^32)
    funding      the market's cumulative funding index F (signed, −2^47 ≤ F < 2^47, as x mod r)
    amount       the exit amount (quote units)
    recipient    the Ethereum address paid, as a field element (< 2^160)
    chain_id     the EVM chain id of the deployment (< 2^64)
    contract     the Escape contract's address, as a field element (< 2^160)

The contract fills account, commitment, mark and funding from its own storage,
recipient from the account's owner, chain_id from ``block.chainid`` and
contract from ``address(this)``, so a proof is only good for the stored state,
at the frozen mark, paid to the address it names, on the one deployment it was
made for: nobody who sees the proof in the mempool can redirect it, and a proof
for a stale commitment, another account, another chain or another Escape
contract (a second vault of the same ledger, a fork) does not verify.
recipient is range-checked; chain_id and contract enter no arithmetic and are
bound by their public rows alone (a row's public value is part of the
statement, like the settlement circuit's height).  That each account exits
once is the contract's bookkeeping.

**Private inputs** (``EXIT_PRIVATE``): the opening cash, position, funding
(F_a) and blinding, as in ``account_state``.

**Gates** (labels in brackets):

* [exit: ranges] account < 2^40, M < 2^32, F + 2^47 ∈ [0, 2^48), recipient < 2^160;
* [exit: opening] ``account_state.open_gadget`` (|cash| < 2^80, |pos| < 2^40,
  F_a + 2^47 ∈ [0, 2^48) on the way) equals the commitment — the packed
  commitment the settlement circuit stores;
* [exit: equity] q = cash + pos·(M − F + F_a) in three rows; |q| < 2^80 +
  2^40·(2^32 + 2^48) < 2^106, so q is the integer equity, not a wrap-around;
* [exit: amount] ``bits.sign_abs(q, 107)``: s boolean with q − 2·s·q ∈
  [0, 2^106), which forces s = [q < 0] for q ≠ 0; then amount = q − s·q in
  one row.  For q = 0 either s gives 0.  So amount is exactly max(0, q): the
  prover can neither over- nor under-claim.

1,764 rows (a 2^11 domain; ``benchmarks/exit.py`` prints the figure and
the prove time).
"""

from verifier.errors import BadInput
from verifier.fields import R_MOD

from .account_state import FUNDING_BITS, FUNDING_OFFSET, Opening, commitment, open_gadget
from .bits import range_check, sign_abs, signed_to_offset
from .builder import Circuit
from .settlement_data import ACCOUNT_BITS, CASH_OFFSET, POSITION_OFFSET, PRICE_BITS

__all__ = ["ExitCircuit", "ExitError", "EXIT_PUBLIC", "EXIT_PRIVATE", "RECIPIENT_BITS",
           "CHAIN_ID_BITS", "EQUITY_BITS", "equity", "exit_amount", "public_inputs",
           "deployment"]

EXIT_PUBLIC = ("account", "commitment", "mark", "funding", "amount", "recipient", "chain_id",
               "contract")
EXIT_PRIVATE = ("cash", "position", "funding_a", "blinding")
RECIPIENT_BITS = 160
CHAIN_ID_BITS = 64                     # EVM chain ids in use are far below 2^64
EQUITY_BITS = 107                      # |equity| < 2^106, checked at import


class ExitError(BadInput):
    """An exit input out of range."""


def _check() -> None:
    worst = CASH_OFFSET + POSITION_OFFSET * ((1 << PRICE_BITS) + 2 * FUNDING_OFFSET)
    assert worst < 1 << (EQUITY_BITS - 1)


_check()


def _int(name, v, lo, hi) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v < hi:
        raise ExitError(f"{name} must be an integer in [{lo}, {hi})")
    return v


def equity(opening: Opening, mark: int, funding: int) -> int:
    """cash − pos·(F − F_a) + pos·M: the account's equity at mark M with funding settled."""
    if not isinstance(opening, Opening):
        raise ExitError("opening must be an account_state.Opening")
    _int("mark", mark, 0, 1 << PRICE_BITS)
    _int("funding index", funding, -FUNDING_OFFSET, FUNDING_OFFSET)
    return opening.cash - opening.position * (funding - opening.funding) + opening.position * mark


def exit_amount(opening: Opening, mark: int, funding: int) -> int:
    """max(0, equity): what the account withdraws from a frozen contract."""
    return max(0, equity(opening, mark, funding))


def deployment(chain_id: int, contract: int) -> list:
    """[chain_id, contract]: the deployment a statement is bound to, checked (``ExitError``)."""
    return [_int("chain id", chain_id, 0, 1 << CHAIN_ID_BITS),
            _int("contract address", contract, 0, 1 << RECIPIENT_BITS)]


def public_inputs(account: int, opening: Opening, mark: int, funding: int,
                  recipient: int, chain_id: int, contract: int) -> list:
    """The exit statement's public inputs (``EXIT_PUBLIC`` order, signed F as F mod r)."""
    _int("recipient", recipient, 0, 1 << RECIPIENT_BITS)
    amount = exit_amount(opening, mark, funding)
    return [account, commitment(account, opening), mark, funding % R_MOD, amount, recipient,
            *deployment(chain_id, contract)]


class ExitCircuit(Circuit):
    """The exit statement (module docstring); a ``Circuit`` that ``prover.setup`` accepts."""

    def __init__(self):
        super().__init__()
        p = {n: self.public(n) for n in EXIT_PUBLIC}
        s = {n: self.private(n) for n in EXIT_PRIVATE}
        with self.labelled("exit: ranges"):
            range_check(self, p["account"], ACCOUNT_BITS)
            range_check(self, p["mark"], PRICE_BITS)
            signed_to_offset(self, p["funding"], FUNDING_BITS)
            range_check(self, p["recipient"], RECIPIENT_BITS)
        with self.labelled("exit: opening"):
            h = open_gadget(self, p["account"], s["cash"], s["position"], s["funding_a"],
                            s["blinding"])
            self.assert_equal(h, p["commitment"])
        with self.labelled("exit: equity"):
            rate = self.lincomb([(p["mark"], 1), (p["funding"], -1), (s["funding_a"], 1)])
            q = self.add(s["cash"], self.mul(s["position"], rate))
        with self.labelled("exit: amount"):
            sign, _ = sign_abs(self, q, EQUITY_BITS)
            self.gate(sign, q, p["amount"], qm=-1, qr=1, qo=-1)     # amount = q − s·q

    def assignment(self, account: int, opening: Opening, mark: int, funding: int,
                   recipient: int, chain_id: int, contract: int) -> dict:
        """All inputs of an honest exit (public ones from ``public_inputs``)."""
        out = dict(zip(EXIT_PUBLIC, public_inputs(account, opening, mark, funding, recipient,
                                                  chain_id, contract)))
        out.update(cash=opening.cash, position=opening.position, funding_a=opening.funding,
                   blinding=opening.blinding)
        return out
