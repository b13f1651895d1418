"""Deploy the prebuilt contracts and bind to deployed ones (web3.py, any provider).

``deploy(w3, name, args, sender)`` sends the artifact's creation code with ABI
encoded constructor arguments and returns the bound contract;
``at(w3, name, address)`` binds an existing deployment.  ``deploy_verifier``
deploys ``PlonkKeyVerifier`` for a verification key (its 26 words).
"""

from .artifacts import load
from .chain import ChainError, send
from .words import vk_words

__all__ = ["deploy", "at", "deploy_verifier", "default_sender"]


def default_sender(w3):
    """The node's first unlocked account (in-process chain, anvil)."""
    accounts = w3.eth.accounts
    if not accounts:
        raise ChainError("the node holds no unlocked account: pass a key")
    return accounts[0]


def deploy(w3, name: str, args=(), sender=None, *, artifact=None):
    art = artifact or load(name)
    factory = w3.eth.contract(abi=art["abi"], bytecode=art["bytecode"])
    sender = sender if sender is not None else default_sender(w3)
    receipt = send(w3, factory.constructor(*args), sender, contract=factory)
    bound = w3.eth.contract(address=receipt.contractAddress, abi=art["abi"])
    bound.deploy_receipt = receipt
    return bound


def at(w3, name: str, address: str):
    return w3.eth.contract(address=w3.to_checksum_address(address), abi=load(name)["abi"])


def deploy_verifier(w3, vk, sender=None):
    """A ``PlonkKeyVerifier`` for ``vk`` (``VerifyingKey`` or verification_key.json's dict)."""
    return deploy(w3, "PlonkKeyVerifier", (vk_words(vk),), sender)
