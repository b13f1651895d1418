"""The Escape contract from Python: deployment, encryption keys, forced withdrawals, the freeze,
and exit claims built on the trader's machine.

``Escape`` (contracts/Escape.sol) is the Settlement contract plus the escape hatch; its
exit verifier is the same ``PlonkKeyVerifier`` contract deployed with the exit circuit's
verification key.  ``exit_keys(srs)`` makes that key pair (the exit circuit is small: a
2^11 domain); a trader instead reads the deployed key (``deployed_exit_key``) and builds the
proving key for it (``exit_proving_key``: no commitments to make); ``prove_exit`` proves a
claim locally from the account's opening and the contract's own view (``exit_view``) on the
Python-int kernels (``prover.kernels.backend``: nothing to compile, so a fresh machine
proves in seconds) and checks the proof against the key, and ``claim_exit`` sends it; ``refuse_withdrawal`` sends the
refusal statement's proof (``refusal_keys``, ``circuits.refusal``) to cancel a forced withdrawal
no block could serve.  ``recover_from_chain``
decrypts the account's newest ``OpeningPublished`` event with the trader's key and checks it
against the commitment the contract stores: the chain alone gives a trader its state.
"""

from dataclasses import astuple, dataclass

from eth_abi import encode
from eth_utils import keccak

from circuits import encryption as enc
from circuits.account_state import Opening
from circuits.exit import ExitCircuit, exit_amount
from circuits.settlement_data import FUNDING_OFFSET
from prover import prove, setup
from prover.kernels.backend import python_kernels
from verifier import verify
from verifier.errors import BadInput, Rejected

from ledger.core.block import EncryptedOpening
from ledger.core.custody import CustodyError, Recovered

from .chain import send
from .deploy import at, deploy, deploy_verifier
from .settlement import NONE, Genesis, Layout
from .words import proof_words, vk_from_words

__all__ = ["EscapeParams", "FREEZE_TAG", "deploy_escape", "freeze_after_change_hash",
           "batch_params", "exit_keys", "deployed_exit_key", "exit_proving_key", "exit_view", "published_opening", "recover_from_chain",
           "prove_exit",
           "claim_exit", "refusal_keys", "refuse_withdrawal", "ExitRefused"]

FREEZE_TAG = keccak(text="darkmatch.settlement.freeze-after.v1")
ZERO_ADDRESS = "0x" + "00" * 20


class ExitRefused(BadInput):
    """An exit that cannot be made (contract not frozen, already exited, opening not stored)."""


@dataclass(frozen=True)
class EscapeParams:
    """Where Escape finds the mark, F + 2^47 and the fund's figures among the globals, where the
    slots' encryption keys sit (``key_base`` NONE: not published), the governed freeze time,
    the genesis mark and F + 2^47, and the genesis accounts' encryption keys."""
    mark_index: int
    funding_index: int
    insurance_index: int = NONE
    fee_index: int = NONE
    insurance_bps_index: int = NONE
    key_base: int = NONE
    key_stride: int = 0
    block_key_index: int = NONE
    market_index: int = 0
    freeze_after: int = 7 * 24 * 3600
    mark: int = 1
    funding: int = FUNDING_OFFSET
    mm_index: int = NONE    #: global index of the maintenance margin (NONE: ``mm`` for good)
    mm: int = 0             #: the maintenance margin at genesis, bps
    keys: tuple = ()        #: (x, y) per genesis account, in Genesis.accounts order, or ()

    def to_abi(self, exit_verifier: str, refusal_verifier: str = ZERO_ADDRESS) -> tuple:
        """The contract's struct; ``refusal_verifier`` the zero address: nothing refusable."""
        fields = astuple(self)[:-1]
        return (exit_verifier, refusal_verifier, *fields, [int(k[0]) for k in self.keys],
                [int(k[1]) for k in self.keys])


def batch_params(n_orders: int, n_accounts: int, **kw) -> EscapeParams:
    """EscapeParams for the batch circuit's own public inputs (``settlement_circuit(N, K,
    encrypted=True)``): the globals by name and the encrypted group after the flows (``kw``:
    the other fields)."""
    from circuits.settlement_cipher import cipher_names
    from circuits.settlement_data import GLOBALS, public_names
    names = public_names(n_orders, n_accounts) + cipher_names(n_accounts)
    return EscapeParams(mark_index=GLOBALS.index("M"), funding_index=GLOBALS.index("funding_index"),
                        insurance_index=GLOBALS.index("insurance_new"),
                        fee_index=GLOBALS.index("fee_total"),
                        insurance_bps_index=GLOBALS.index("insurance_bps"),
                        key_base=names.index("account0.ax"),
                        key_stride=names.index("account1.ax") - names.index("account0.ax")
                        if n_accounts > 1 else 6,
                        block_key_index=names.index("ex"), market_index=GLOBALS.index("market_id"),
                        mm_index=GLOBALS.index("mm_bps"), **kw)


def deploy_escape(w3, vk, exit_vk, layout: Layout, genesis: Genesis, params: EscapeParams, *,
                  token=None, sender=None, refusal_vk=None):
    """(verifier, exit verifier, escape, token): the PLONK verifiers (the refusal statement's
    too when ``refusal_vk`` is given), a TestToken unless given."""
    verifier = deploy_verifier(w3, vk, sender)
    exit_verifier = deploy_verifier(w3, exit_vk, sender)
    refusal = ZERO_ADDRESS if refusal_vk is None else deploy_verifier(w3, refusal_vk, sender).address
    if token is None:
        token = deploy(w3, "TestToken", ("darkmatch test collateral", "DMUSD"), sender)
    escape = deploy(w3, "Escape", (verifier.address, token.address, layout.to_abi(),
                                   genesis.to_abi(), params.to_abi(exit_verifier.address, refusal)),
                    sender)
    return verifier, exit_verifier, escape, token


def freeze_after_change_hash(ledger_id: bytes, gov_nonce: int, seconds: int) -> bytes:
    """The digest the committee signs to change the freeze time (the contract's own)."""
    return keccak(encode(["bytes32", "bytes32", "uint256", "uint256"],
                         [FREEZE_TAG, ledger_id, gov_nonce, seconds]))


def exit_keys(srs):
    """(circuit, proving key, verification key) of the exit statement for ``srs``."""
    circuit = ExitCircuit()
    pk, vk = setup(circuit, srs)
    return circuit, pk, vk


def deployed_exit_key(escape):
    """The verification key of the exit verifier ``escape`` calls, read from the chain."""
    verifier = at(escape.w3, "PlonkKeyVerifier", escape.functions.exitVerifier().call())
    return vk_from_words(verifier.functions.verificationKey().call())


def exit_proving_key(srs, vk):
    """The exit circuit's proving key for ``srs`` and its verifying key ``vk`` (the deployed
    one): setup without the commitments, on the Python-int kernels.  ``ExitRefused`` when
    ``vk`` is not the exit circuit's shape or names another [τ]₂ than ``srs``."""
    try:
        with python_kernels():
            pk, _ = setup(ExitCircuit(), srs, vk=vk)
    except ValueError as e:
        raise ExitRefused(f"the exit verifier's key does not fit: {e}") from None
    return pk


def _signed_funding(published: int) -> int:
    return published - FUNDING_OFFSET


def exit_view(escape, account: int) -> dict:
    """What the contract holds for an exit of ``account``: its stored commitment, owner, the
    last mark and funding index F (signed), whether it is frozen or the account exited, and
    the deployment the statements name (the chain id, the contract's address as an int)."""
    f = escape.functions
    return {"commitment": f.commitmentOf(account).call(), "owner": f.ownerOf(account).call(),
            "chain_id": escape.w3.eth.chain_id, "contract": int(escape.address, 16),
            "mark": f.lastMark().call(), "funding": _signed_funding(f.lastFunding().call()),
            "frozen": f.frozen().call(), "exited": f.exited(account).call()}


def published_opening(escape, account: int):
    """The newest ``OpeningPublished`` event of ``account`` as a ``block.EncryptedOpening``
    (its key the one registered on-chain), or None."""
    logs = escape.events.OpeningPublished().get_logs(from_block=0,
                                                     argument_filters={"account": account})
    if not logs:
        return None
    a = max(logs, key=lambda e: (e.blockNumber, e.logIndex)).args
    key = (escape.functions.keyX(account).call(), escape.functions.keyY(account).call())
    return EncryptedOpening(a.height, (a.ex, a.ey), key, tuple(a.ciphertext), a.tweak,
                            a.commitment)


def recover_from_chain(escape, account: int, secret: int) -> Recovered:
    """The account's opening decrypted from the chain's events with ``secret``, checked to
    open the commitment the contract stores for it now; ``CustodyError`` when the chain
    published none, ``Rejected`` when it does not open the stored commitment."""
    item = published_opening(escape, account)
    if item is None:
        raise CustodyError(f"the contract published no encrypted opening of account {account}")
    stored = escape.functions.commitmentOf(account).call()
    try:
        opening = enc.recover(list(item.ciphertext), item.block_key, secret, account=account,
                              tau=item.tweak, stored=stored)
    except Rejected as e:
        raise Rejected(f"block {item.height} on chain: {e}") from None
    return Recovered(account, item.height, opening, stored)


def prove_exit(pk, account: int, opening: Opening, view: dict):
    """(amount, proof) for ``account`` with ``opening`` against the contract's ``view``; the
    opening must open the stored commitment (else ``ExitRefused``, before any proving).

    Proven on the Python-int kernels (the trader's machine compiles nothing) and verified
    against ``pk.vk`` before it is returned: ``ExitRefused`` when the key's commitments are
    not the exit circuit's with this SRS (a claim with it would be refused on-chain)."""
    from circuits.account_state import commitment
    if commitment(account, opening) != view["commitment"]:
        raise ExitRefused(f"the opening does not open account {account}'s stored commitment")
    recipient = int(view["owner"], 16)
    circuit = ExitCircuit()
    amount = exit_amount(opening, view["mark"], view["funding"])
    with python_kernels():
        proof, public = prove(pk, circuit.assignment(account, opening, view["mark"],
                                                     view["funding"], recipient,
                                                     view["chain_id"], view["contract"]))
    assert public[4] == amount
    if not verify(pk.vk, public, proof):
        raise ExitRefused("the exit proof does not verify against the exit verifier's key: "
                          "that key was made from another SRS or another exit circuit")
    return amount, proof


def claim_exit(w3, escape, account: int, amount: int, proof, sender, *, gas=None):
    """Send the exit claim; the receipt, or ``ChainError`` naming the contract's refusal."""
    words = proof if isinstance(proof, (list, tuple)) else proof_words(proof)
    fn = escape.functions.exit(account, amount, [int(w) for w in words])
    return send(w3, fn, sender, gas=gas, contract=escape)


def refusal_keys(srs):
    """(circuit, proving key, verification key) of the refusal statement for ``srs`` (2^11,
    the exit circuit's size: one SRS file serves both)."""
    from circuits.refusal import RefusalCircuit
    circuit = RefusalCircuit()
    pk, vk = setup(circuit, srs)
    return circuit, pk, vk


def refuse_withdrawal(w3, escape, pk, account: int, opening: Opening, sender, *, gas=None):
    """Cancel ``account``'s pending forced withdrawal with a refusal proof (the operator knows
    the opening): the receipt; ``RefusalError`` before anything is sent when a block could
    serve the request, ``ChainError`` when the contract refuses."""
    from circuits.account_state import commitment
    from circuits.refusal import RefusalCircuit
    f = escape.functions
    view = exit_view(escape, account)
    if commitment(account, opening) != view["commitment"]:
        raise ExitRefused(f"the opening does not open account {account}'s stored commitment")
    asg = RefusalCircuit().assignment(account, opening, view["mark"], view["funding"],
                                      f.lastMm().call(), f.requestedAmount(account).call(),
                                      view["chain_id"], view["contract"])
    proof, _ = prove(pk, asg)
    fn = f.refuseWithdrawal(account, [int(w) for w in proof_words(proof)])
    return send(w3, fn, sender, gas=gas, contract=escape)
