"""The refusal circuit: a forced withdrawal no block can serve, proven from the account's opening.

A trader may ask the Escape contract for a forced withdrawal; if no block serves
it in time, the exchange freezes.  A block can only withdraw ``amount`` from an
account whose position it leaves unchanged if the account stays above its
maintenance requirement afterwards (the batch circuit's rule A2):
10⁴·(q − amount) ≥ |pos|·M·mm, with q the equity at the mark.  This circuit
proves the opposite for the account's stored commitment at the last settled
mark, so the contract can cancel the request instead of letting it freeze the
exchange.

**Public inputs**, in this order (``REFUSAL_PUBLIC``):

    account      the account id (< 2^40)
    commitment   the account's state commitment stored by the contract
    mark         the last settled mark M (ticks, < 2^32)
    funding      the last funding index F (signed, −2^47 ≤ F < 2^47, as x mod r)
    mm_bps       the market's maintenance margin (basis points, < 2^14)
    amount       the requested withdrawal (< 2^64)
    chain_id     the EVM chain id of the deployment (< 2^64)
    contract     the Escape contract's address (< 2^160)

The contract fills every input itself (``refusalInputs``: chain_id from
``block.chainid``, contract from ``address(this)``), so a refusal made for one
deployment cannot cancel a request on another that stores the same
commitment.  chain_id and contract are bound by their public rows alone, as in
the exit statement.

**Private inputs**: the opening cash, position, F_a and blinding.

**Gates**: [refusal: ranges] the public bounds above; [refusal: opening]
``account_state.open_gadget`` equals the commitment; [refusal: equity]
q = cash + pos·(M − F + F_a), exactly as the exit circuit (|q| < 2^106);
[refusal: below maintenance] |pos| (``bits.sign_abs``) and
gap = |pos|·M·mm − 10⁴·(q − amount) − 1 ∈ [0, 2^122).  An honest gap is
below 2^86 + 2^121; a request a block could serve makes the gap negative, at
least r − 2^122 as a field element, which fails the range check.
"""

from verifier.errors import BadInput
from verifier.fields import R_MOD

from .account_state import FUNDING_BITS, FUNDING_OFFSET, Opening, commitment, open_gadget
from .bits import range_check, sign_abs, signed_to_offset
from .builder import Circuit
from .exit import deployment, equity
from .settlement_data import ACCOUNT_BITS, BPS, FLOW_BITS, POSITION_BITS, PRICE_BITS

__all__ = ["RefusalCircuit", "RefusalError", "REFUSAL_PUBLIC", "REFUSAL_PRIVATE",
           "BPS_BITS", "GAP_BITS", "refusable", "public_inputs"]

REFUSAL_PUBLIC = ("account", "commitment", "mark", "funding", "mm_bps", "amount", "chain_id",
                  "contract")
REFUSAL_PRIVATE = ("cash", "position", "funding_a", "blinding")
BPS_BITS = 14                           # a rate in basis points, ≤ 10⁴ < 2^14
GAP_BITS = 122                          # |need| < 2^86, |10⁴·(q − amount)| < 2^121


class RefusalError(BadInput):
    """A refusal input out of range, or a request a block could serve."""


def _int(name, v, lo, hi) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or not lo <= v < hi:
        raise RefusalError(f"{name} must be an integer in [{lo}, {hi})")
    return v


def refusable(opening: Opening, mark: int, funding: int, mm_bps: int, amount: int) -> bool:
    """Whether withdrawing ``amount`` with the position unchanged would leave the account below
    maintenance at mark M: 10⁴·(q − amount) < |pos|·M·mm."""
    _int("mm_bps", mm_bps, 0, BPS + 1)
    _int("amount", amount, 0, 1 << FLOW_BITS)
    q = equity(opening, mark, funding)
    return BPS * (q - amount) < abs(opening.position) * mark * mm_bps


def public_inputs(account: int, opening: Opening, mark: int, funding: int, mm_bps: int,
                  amount: int, chain_id: int, contract: int) -> list:
    """The refusal statement's public inputs (``REFUSAL_PUBLIC`` order, F as F mod r)."""
    if not refusable(opening, mark, funding, mm_bps, amount):
        raise RefusalError(f"a block can serve a withdrawal of {amount}: nothing to refuse")
    return [account, commitment(account, opening), mark, funding % R_MOD, mm_bps, amount,
            *deployment(chain_id, contract)]


class RefusalCircuit(Circuit):
    """The refusal statement (module docstring); a ``Circuit`` that ``prover.setup`` accepts."""

    def __init__(self):
        super().__init__()
        p = {n: self.public(n) for n in REFUSAL_PUBLIC}
        s = {n: self.private(n) for n in REFUSAL_PRIVATE}
        with self.labelled("refusal: ranges"):
            range_check(self, p["account"], ACCOUNT_BITS)
            range_check(self, p["mark"], PRICE_BITS)
            signed_to_offset(self, p["funding"], FUNDING_BITS)
            range_check(self, p["mm_bps"], BPS_BITS)
            range_check(self, p["amount"], FLOW_BITS)
        with self.labelled("refusal: opening"):
            h = open_gadget(self, p["account"], s["cash"], s["position"], s["funding_a"],
                            s["blinding"])
            self.assert_equal(h, p["commitment"])
        with self.labelled("refusal: equity"):
            rate = self.lincomb([(p["mark"], 1), (p["funding"], -1), (s["funding_a"], 1)])
            q = self.add(s["cash"], self.mul(s["position"], rate))
        with self.labelled("refusal: below maintenance"):
            _, size = sign_abs(self, s["position"], POSITION_BITS)
            need = self.mul(self.mul(size, p["mark"]), p["mm_bps"])
            gap = self.lincomb([(need, 1), (q, -BPS), (p["amount"], BPS)], const=-1)
            range_check(self, gap, GAP_BITS)

    def assignment(self, account: int, opening: Opening, mark: int, funding: int, mm_bps: int,
                   amount: int, chain_id: int, contract: int) -> dict:
        """All inputs of an honest refusal (``RefusalError`` if a block could serve it)."""
        out = dict(zip(REFUSAL_PUBLIC, public_inputs(account, opening, mark, funding, mm_bps,
                                                     amount, chain_id, contract)))
        out.update(cash=opening.cash, position=opening.position, funding_a=opening.funding,
                   blinding=opening.blinding)
        return out


assert FUNDING_OFFSET == 1 << (FUNDING_BITS - 1)
