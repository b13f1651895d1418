"""Every domain tag the ledger hashes or signs under, in one place.

A tag is prefixed to the bytes it separates, so that a signature or a hash
made for one purpose is never valid for another (an order signature is not an
attestation, a block hash is not a genesis hash).  Each tag names its version:
the layout after it changes only with a new tag.

=======================  ==========================================  ============================
tag                      bytes                                       used by
=======================  ==========================================  ============================
``ORDER_DOMAIN``         b"darkmatch/order/v1" ‖ 0x00                a trader's order signature
``NULLIFIER_TAG``        int of b"darkmatch/nullifier/v1"            Poseidon(tag, Cx, Cy)
``BLOCK_DOMAIN``         b"darkmatch/block/v1" ‖ 0x00                the block hash
``ATTEST_DOMAIN``        b"darkmatch/attest/v1" ‖ 0x00               a validator's attestation
``PROPOSAL_DOMAIN``      b"darkmatch/proposal/v1" ‖ 0x00             the operator's proposal signature
``GENESIS_DOMAIN``       b"darkmatch/genesis/v1" ‖ 0x00              the genesis hash
``STATE_ROOT_DOMAIN``    b"darkmatch/state-root/v1" ‖ 0x00           the state root
``PARAM_DOMAIN``         b"darkmatch/param-change/v1" ‖ 0x00         a parameter-change approval
``ACCOUNT_ID_DOMAIN``    b"darkmatch/account-id/v1" ‖ 0x00           a key's default account id
``OBSERVATION_DOMAIN``   b"darkmatch/observation/v1" ‖ 0x00          a validator's price observation
``WITHDRAW_DOMAIN``      b"darkmatch/withdraw/v1" ‖ 0x00             a trader's withdrawal request
``PREVOTE_DOMAIN``       b"darkmatch/prevote/v1" ‖ 0x00              a validator's prevote (rounds)
``PRECOMMIT_DOMAIN``     b"darkmatch/precommit/v1" ‖ 0x00            a validator's precommit (rounds)
``ROUND_PROPOSAL_DOMAIN`` b"darkmatch/round-proposal/v1" ‖ 0x00      the operator's proposal in a round
=======================  ==========================================  ============================
"""

__all__ = ["ORDER_DOMAIN", "NULLIFIER_TAG", "BLOCK_DOMAIN", "ATTEST_DOMAIN", "PROPOSAL_DOMAIN",
           "GENESIS_DOMAIN", "STATE_ROOT_DOMAIN", "PARAM_DOMAIN", "ACCOUNT_ID_DOMAIN",
           "OBSERVATION_DOMAIN", "WITHDRAW_DOMAIN", "PREVOTE_DOMAIN", "PRECOMMIT_DOMAIN",
           "ROUND_PROPOSAL_DOMAIN"]

ORDER_DOMAIN = b"darkmatch/order/v1\x00"
NULLIFIER_TAG = int.from_bytes(b"darkmatch/nullifier/v1", "big")
BLOCK_DOMAIN = b"darkmatch/block/v1\x00"
ATTEST_DOMAIN = b"darkmatch/attest/v1\x00"
PROPOSAL_DOMAIN = b"darkmatch/proposal/v1\x00"
GENESIS_DOMAIN = b"darkmatch/genesis/v1\x00"
STATE_ROOT_DOMAIN = b"darkmatch/state-root/v1\x00"
PARAM_DOMAIN = b"darkmatch/param-change/v1\x00"
ACCOUNT_ID_DOMAIN = b"darkmatch/account-id/v1\x00"
OBSERVATION_DOMAIN = b"darkmatch/observation/v1\x00"
WITHDRAW_DOMAIN = b"darkmatch/withdraw/v1\x00"
PREVOTE_DOMAIN = b"darkmatch/prevote/v1\x00"
PRECOMMIT_DOMAIN = b"darkmatch/precommit/v1\x00"
ROUND_PROPOSAL_DOMAIN = b"darkmatch/round-proposal/v1\x00"
