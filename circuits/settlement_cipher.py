"""The settlement statement with encrypted openings: each touched account's new state, encrypted
to its registered key inside the batch proof.

``settlement_circuit(N, K, encrypted=True)`` is the batch circuit of
``circuits.settlement`` plus, after all its public inputs,

    ex, ey                               the block key E = e·B8 (once per block)
    per account slot k: account{k}.ax, .ay, .c0, .c1, .c2, .c3
                                         the slot's registered key A and the ciphertext of
                                         its NEW opening (cash′, pos′, F, new blinding)

and the gates of ``circuits.encryption``: the 251 bits of the private block
scalar e drive E (``ephemeral_gadget``, E ≠ O proven) and, per slot,
S = e·A, the Poseidon key stream and cᵢ = active·(mᵢ + kᵢ)
(``encrypt_gadget``).  The opening wires mᵢ are the very wires the circuit
hashes into the slot's new commitment: the computed cash′ and pos′, the
batch's funding index F (the new F_a) and the private new blinding.  So a
published ciphertext that is not the encryption of the committed opening has
no witness, and a trader who decrypts with its key always gets the opening of
the commitment the chain stores.  The nonce τ = height·2^16 + market_id is a
linear combination of two public inputs.  An inactive slot has ax = ay = 0
(``(1 − a)·x = 0``) and uses A′ = (ax, ay + 1 − a) = O, a curve point, and its
ciphertext is forced to 0.

That the published A is the account's registered key is the validators' and
the contract's check (the key is public); the circuit checks A is on the
curve, which its doubling formula needs.

Cost: ``ENCRYPTION_ROWS_PER_BLOCK`` rows per block and
``ENCRYPTION_ROWS_PER_SLOT`` per account slot, both measured by the tests
against the plain circuit (budget 6,000 per slot).
"""

from verifier.fields import R_MOD

from .babyjub import BASE8, L, mul
from .builder import Circuit, CircuitError
from .encryption import (
    EncryptionError, check_public_key, encrypt, encrypt_gadget, ephemeral_gadget, tweak,
)
from .account_state import Opening
from .settlement import MAX_SLOTS, SettlementCircuit, build
from .settlement import settlement_circuit as plain_circuit
from .settlement_data import MARKET_BITS, BatchWitness, liquidation_slots

__all__ = ["EncryptedSettlementCircuit", "settlement_circuit", "CIPHER_GLOBALS",
           "CIPHER_SLOT", "cipher_names", "cipher_public_inputs", "block_ciphertexts",
           "ENCRYPTION_ROWS_PER_BLOCK", "ENCRYPTION_ROWS_PER_SLOT"]

CIPHER_GLOBALS = ("ex", "ey")
CIPHER_SLOT = ("ax", "ay", "c0", "c1", "c2", "c3")
#: rows the encryption adds (measured in tests/circuits/test_settlement_cipher.py)
ENCRYPTION_ROWS_PER_BLOCK = 1_884
ENCRYPTION_ROWS_PER_SLOT = 5_450


def cipher_names(n_accounts: int) -> tuple:
    """Names of the public inputs the encryption appends, in order."""
    return CIPHER_GLOBALS + tuple(f"account{k}.{n}" for k in range(n_accounts)
                                  for n in CIPHER_SLOT)


def _check_sizes(n_orders, n_accounts) -> None:
    for name, n in (("n_orders", n_orders), ("n_accounts", n_accounts)):
        if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= MAX_SLOTS:
            raise CircuitError(f"{name} must be an integer in [1, {MAX_SLOTS}], got {n!r}")


def _zero_unless(c, active, x) -> None:
    c.gate(active, x, None, qm=-1, qr=1)                               # (1 − a)·x = 0


class EncryptedSettlementCircuit(SettlementCircuit):
    """The batch circuit whose public inputs also carry each account slot's encrypted opening."""

    def __init__(self, n_orders: int, n_accounts: int):
        _check_sizes(n_orders, n_accounts)
        Circuit.__init__(self)              # not SettlementCircuit's: build() is called here
        self.n_orders, self.n_accounts = n_orders, n_accounts
        self.n_liquidations = liquidation_slots(n_accounts)
        g, _, accounts = build(self, n_orders, n_accounts, self.n_liquidations)
        ex, ey = (self.public(n) for n in CIPHER_GLOBALS)
        slots = [{n: self.public(f"account{k}.{n}") for n in CIPHER_SLOT}
                 for k in range(n_accounts)]
        e = self.private("e")
        with self.labelled("encryption"):
            bits, E = ephemeral_gadget(self, e)
            with self.labelled("E is the published one"):
                self.assert_equal(E[0], ex)
                self.assert_equal(E[1], ey)
            tau = self.lincomb([(g["height"], 1 << MARKET_BITS), (g["market_id"], 1)])
        for k, (a, s) in enumerate(zip(accounts, slots)):
            with self.labelled(f"encryption, account slot {k}"):
                act = a["active"]
                _zero_unless(self, act, s["ax"])
                _zero_unless(self, act, s["ay"])
                A = (s["ax"], self.lincomb([(s["ay"], 1), (act, -1)], const=1))
                opening = [a["cash_new"], a["pos_new"], g["F"], a["new_blinding"]]
                encrypt_gadget(self, bits, A, a["id"], tau, opening,
                               [s[f"c{i}"] for i in range(4)], active=act)

    def assignment(self, witness: BatchWitness, *, keys: dict, e: int) -> dict:
        """Inputs for ``witness`` with block scalar e; ``keys`` maps each active account id to
        its registered public key A = (x, y)."""
        out = super().assignment(witness)
        names = cipher_names(self.n_accounts)
        out.update(zip(names, cipher_public_inputs(witness, keys, e)))
        out["e"] = e
        return out


def _opening(state) -> Opening:
    return Opening(cash=state.cash, position=state.position, funding=state.funding_index,
                   blinding=state.blinding)


def block_ciphertexts(witness: BatchWitness, keys: dict, e: int) -> dict:
    """{account id: [c0, c1, c2, c3]} for every active slot's new state (native)."""
    tau = tweak(witness.height, witness.params.market_id)
    out = {}
    for new in witness.new_accounts:
        if new is None:
            continue
        if new.account not in keys:
            raise EncryptionError(f"account {new.account} has no registered encryption key")
        out[new.account] = encrypt(_opening(new), keys[new.account], e, account=new.account,
                                   tau=tau)
    return out


def cipher_public_inputs(witness: BatchWitness, keys: dict, e: int) -> list:
    """The public inputs the encryption appends (``cipher_names`` order)."""
    if not isinstance(witness, BatchWitness):
        raise CircuitError("expected a settlement_data.BatchWitness")
    if isinstance(e, bool) or not isinstance(e, int) or not 1 <= e < L:
        raise EncryptionError("the block scalar e must be an integer in [1, l)")
    E = mul(BASE8, e)
    cts = block_ciphertexts(witness, keys, e)
    out = [E[0], E[1]]
    for new in witness.new_accounts:
        if new is None:
            out += [0] * len(CIPHER_SLOT)
        else:
            A = check_public_key(keys[new.account])
            out += [A[0], A[1], *cts[new.account]]
    assert all(0 <= v < R_MOD for v in out)
    return out


def settlement_circuit(n_orders: int, n_accounts: int, encrypted: bool = True):
    """The batch circuit, with the encrypted openings unless ``encrypted`` is False."""
    if encrypted:
        return EncryptedSettlementCircuit(n_orders, n_accounts)
    return plain_circuit(n_orders, n_accounts)
