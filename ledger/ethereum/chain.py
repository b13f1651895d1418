"""Reaching an EVM chain: the in-process chain, an anvil node on loopback, any RPC URL.

* ``in_process()`` — py-evm through eth-tester (PyPI only), wrapped by web3's
  ``EthereumTesterProvider``: ten funded, unlocked accounts, 30 M gas blocks
  (the pairing precompile and ``settle`` fit easily), one block per transaction.
* ``Anvil`` — starts the npm ``@foundry-rs/anvil`` binary on 127.0.0.1 and a
  free port, waits until it answers, and stops it (the process it started,
  nothing else).  ``anvil_path()`` finds it in tests/node_modules or on PATH.
* ``connect(url)`` — an HTTP provider for any RPC URL.

``send(w3, fn, sender)`` sends one contract call as a transaction and returns
its receipt; a revert, on anvil or on the in-process chain (eth-tester's
``TransactionFailed``), becomes ``ChainError`` carrying the contract's reason:
the custom error's name where the ABI knows it, with its arguments when they
are all uint256 (``Insolvent(owed, collateral)``, ``TooEarly(at)``).  ``sender`` is an address the
node holds unlocked, or an eth-account ``LocalAccount`` that signs here.
``advance_clock(w3, ts)`` makes the chain's next block carry timestamp ``ts``
(eth-tester's time travel, or ``evm_setNextBlockTimestamp`` on anvil): the
demo's way to let a governed time pass.
"""

import pathlib
import shutil
import socket
import subprocess
import time

from verifier.errors import BadInput, Rejected

__all__ = ["ChainError", "ChainUnavailable", "in_process", "connect", "Anvil", "anvil_path",
           "send", "free_port", "advance_clock"]

ROOT = pathlib.Path(__file__).resolve().parents[2]


class ChainError(Rejected):
    """The chain refused a transaction (reverted), with the contract's reason."""


class ChainUnavailable(BadInput):
    """No chain at the given place (RPC unreachable, anvil missing or not starting)."""


def in_process():
    """A Web3 connected to a fresh in-process py-evm chain."""
    from eth_tester import EthereumTester, PyEVMBackend
    from web3 import Web3
    from web3.providers.eth_tester import EthereumTesterProvider
    return Web3(EthereumTesterProvider(EthereumTester(PyEVMBackend())))


def advance_clock(w3, timestamp: int) -> None:
    """The chain's next block has ``timestamp`` (a development chain: in-process or anvil)."""
    tester = getattr(w3.provider, "ethereum_tester", None)
    if tester is not None:
        tester.time_travel(int(timestamp))
        return
    answer = w3.provider.make_request("evm_setNextBlockTimestamp", [int(timestamp)])
    if isinstance(answer, dict) and answer.get("error"):
        raise ChainError(f"the chain cannot move its clock: {answer['error']}")


def connect(url: str, *, timeout: float = 30.0):
    """A Web3 on an HTTP RPC URL; ``ChainUnavailable`` if it does not answer."""
    from web3 import Web3
    w3 = Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": timeout}))
    try:
        w3.eth.chain_id
    except Exception as e:   # noqa: BLE001 — any transport failure is "unreachable"
        raise ChainUnavailable(f"no Ethereum node answers at {url} ({type(e).__name__})") from None
    return w3


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def anvil_path():
    """The native anvil binary (npm's platform package, so stopping it stops the node), or PATH's."""
    modules = ROOT / "tests" / "node_modules" / "@foundry-rs"
    for local in sorted(modules.glob("anvil-*/bin/anvil")):
        if local.is_file():
            return local
    found = shutil.which("anvil")
    return pathlib.Path(found) if found else None


class Anvil:
    """An anvil node on 127.0.0.1; use as a context manager or call ``start``/``stop``."""

    def __init__(self, port: int = None, *, chain_id: int = 31337, exe=None, block_time=None, extra=()):
        self.extra = list(extra)
        self.port = port or free_port()
        self.chain_id = chain_id
        self.exe = exe or anvil_path()
        self.block_time = block_time
        self.proc = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 30.0):
        if self.exe is None:
            raise ChainUnavailable("anvil not found (npm @foundry-rs/anvil: `npm ci` in tests/)")
        cmd = [str(self.exe), "--host", "127.0.0.1", "--port", str(self.port),
               "--chain-id", str(self.chain_id), "--silent"]
        if self.block_time:
            cmd += ["--block-time", str(self.block_time)]
        cmd += self.extra
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode(errors="replace").strip()
                raise ChainUnavailable(f"anvil exited: {err.splitlines()[-1] if err else self.proc.returncode}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return connect(self.url)
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise ChainUnavailable(f"anvil did not answer on port {self.port} within {timeout:.0f} s")

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


def _revert_bytes(e):
    """The raw revert data of an eth-tester ``TransactionFailed`` (bytes in its own or a
    cause's arguments), as 0x-hex; None if there is none."""
    seen = 0
    while e is not None and seen < 8:
        for a in getattr(e, "args", ()):
            if isinstance(a, (bytes, bytearray)) and len(a) >= 4:
                return "0x" + bytes(a).hex()
        e, seen = e.__cause__ or e.__context__, seen + 1
    return None


def _reason(w3, contract, e) -> str:
    """A revert's reason: the custom error's name and arguments when the ABI declares it."""
    data = getattr(e, "data", None)
    if isinstance(data, dict):
        data = data.get("data")
    if data is None:
        data = _revert_bytes(e)
    if isinstance(data, str) and data.startswith("0x") and len(data) >= 10 and contract is not None:
        from eth_utils import keccak
        for item in contract.abi:
            if item.get("type") == "error":
                sig = f"{item['name']}({','.join(i['type'] for i in item['inputs'])})"
                if keccak(text=sig)[:4].hex() == data[2:10]:
                    words = data[10:]
                    n = len(item["inputs"])
                    if n and len(words) == 64 * n and \
                            all(i["type"] == "uint256" for i in item["inputs"]):
                        values = ", ".join(str(int(words[64 * k:64 * k + 64], 16))
                                           for k in range(n))
                        return f"{item['name']}({values})"
                    return item["name"]
    msg = str(e.args[0] if getattr(e, "args", None) else e)
    return msg.splitlines()[0][:200]


def send(w3, fn, sender, *, gas: int = None, contract=None):
    """Send a prepared contract call ``fn`` as a transaction; the receipt, or ``ChainError``."""
    from web3.exceptions import ContractCustomError, ContractLogicError
    try:
        from eth_tester.exceptions import TransactionFailed   # the in-process chain's revert
    except ImportError:                                        # pragma: no cover — eth-tester absent
        TransactionFailed = ContractLogicError
    try:
        if hasattr(sender, "key"):
            tx = fn.build_transaction({"from": sender.address,
                                       "nonce": w3.eth.get_transaction_count(sender.address),
                                       **({"gas": gas} if gas else {})})
            signed = sender.sign_transaction(tx)
            h = w3.eth.send_raw_transaction(signed.raw_transaction)
        else:
            h = fn.transact({"from": sender, **({"gas": gas} if gas else {})})
    except (ContractLogicError, ContractCustomError, TransactionFailed) as e:
        raise ChainError(f"transaction refused: {_reason(w3, contract, e)}") from None
    receipt = w3.eth.wait_for_transaction_receipt(h, timeout=120)
    if receipt.status != 1:
        raise ChainError("transaction refused: reverted")
    return receipt
