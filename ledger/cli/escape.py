"""``darkmatch exit``: take an account's money out of a frozen Escape contract, alone.

    darkmatch exit --account-dir alice --rpc URL --escape ADDRESS --ptau FILE [--node URL]

The trader's machine recovers the account's opening with its own encryption
key from the Escape contract's events, or from a node's blocks with ``--node``
(``account state`` does the same), reads what the
contract holds (its commitment for the account, the last mark and funding
index, the owner address, whether it is frozen), proves the exit statement
locally (``circuits.exit``, a 2^11 circuit: seconds) and sends the claim; the
contract pays the account's registered owner its equity at the last mark,
floored at zero.  Nothing here asks the operator anything.

The exit proving key is rebuilt from the deployed exit verifier's own key (read
from the chain) and the powers of τ that key was made from: ``--ptau``, the
ceremony's public file (only the powers the 2^11 domain needs are read).  The
proof runs on the Python-int kernels (``prover.kernels.backend``): a fresh
machine compiles nothing, and the proof is checked against the deployed key
before the claim is sent.
``--key`` names an Ethereum key file (0600) to send from; without it the
node's first unlocked account sends (anvil, the in-process chain).  Anyone may
send: the payout always goes to the owner.

The two steps before an exit, also from the command line (registered under
``darkmatch chain``, run here):

    darkmatch chain request --account-dir alice --amount N --rpc URL --escape ADDRESS [--key F]
    darkmatch chain freeze  --account ID --rpc URL --escape ADDRESS [--key F]

``request`` is the owner's forced withdrawal (``Escape.requestWithdrawal``: the
sender must be the account's registered owner); ``freeze`` may be sent by
anyone once that request has waited the governed time unserved, or once no
block has settled for that long.  A refusal by the contract is one line
(``darkmatch: refused: …``, exit 1) naming it, e.g. ``TooEarly`` with the time
from which the freeze is allowed.
"""

__all__ = ["register", "register_chain", "run_exit", "run_request", "run_freeze", "exit_srs",
           "exit_powers"]


def _read_ptau(path, read):
    """(``read(path, power)``, power) for the exit circuit's domain power; a bad file is a
    one-line error naming the flag."""
    from circuits.exit import ExitCircuit
    from ledger.cli.main import UserError
    from ledger.core.errors import error_line
    from prover.setup import domain_power
    from verifier.errors import DarkmatchError
    power = domain_power(ExitCircuit())
    try:
        return read(path, power), power
    except (DarkmatchError, ValueError, OSError) as e:     # name the file and the flag
        raise UserError(f"--ptau {path}: {error_line(e)}") from None


def exit_srs(path):
    """The SRS in ``path`` (.ptau), fully checked, holding the exit circuit's 2^k powers (the
    deployer's side: ``chain deploy --exit-ptau``)."""
    from ledger.cli.main import UserError
    from prover import load_ptau
    srs, power = _read_ptau(path, lambda p, k: load_ptau(p, max_power=k))
    if srs.power < power:
        raise UserError(f"{path} holds 2^{srs.power} powers; the exit circuit needs 2^{power}")
    return srs


def exit_powers(path):
    """The powers of τ in ``path`` (.ptau) that the exit circuit's setup reads, without the
    SRS checks (``prover.srs.ptau_powers``: the deployed key is the check)."""
    from prover.srs import ptau_powers
    return _read_ptau(path, ptau_powers)[0]


def run_exit(args) -> int:
    from ledger.cli.account import escape_contract, recover_from_escape, recover_from_node
    from ledger.cli.main import UserError
    from ledger.ethereum.deploy import default_sender
    from ledger.ethereum.escape import (claim_exit, deployed_exit_key, exit_proving_key,
                                        exit_view, prove_exit)
    from ledger.ethereum.settlement import load_key_file
    srs = exit_powers(args.ptau)                              # bad files first, nothing sent
    w3, escape = escape_contract(args.rpc, args.escape)
    if args.node is not None:
        account_id, _, got = recover_from_node(args.account_dir, args.node)
    else:
        account_id, got = recover_from_escape(args.account_dir, escape)
    view = exit_view(escape, account_id)
    if not view["frozen"]:
        raise UserError("the contract is not frozen: withdraw through blocks, or request a "
                        "forced withdrawal and wait for the freeze")
    if view["exited"]:
        raise UserError(f"account {account_id} has already exited")
    if view["commitment"] != got.commitment:
        raise UserError(f"the contract stores another commitment for account {account_id} "
                        f"than block {got.height} of the node (node and chain disagree)")
    pk = exit_proving_key(srs, deployed_exit_key(escape))
    amount, proof = prove_exit(pk, account_id, got.opening, view)
    sender = load_key_file(args.key) if args.key else default_sender(w3)
    receipt = claim_exit(w3, escape, account_id, amount, proof, sender)
    print(f"account {account_id}: exit of {amount} paid to {view['owner']} "
          f"(mark {view['mark']}, funding index {view['funding']}, gas {receipt.gasUsed})")
    return 0


def _send(w3, escape, fn, key):
    """Send ``fn`` to the Escape contract from ``--key`` (or the node's first account): the
    receipt, or ``None`` after printing the contract's refusal (one line)."""
    import sys
    from ledger.ethereum.chain import ChainError, send
    from ledger.ethereum.deploy import default_sender
    from ledger.ethereum.settlement import load_key_file
    sender = load_key_file(key) if key else default_sender(w3)
    try:
        return send(w3, fn, sender, contract=escape)
    except ChainError as e:
        print(f"darkmatch: refused: {e}", file=sys.stderr)
        return None


def run_request(args) -> int:
    """The owner's forced withdrawal: ``Escape.requestWithdrawal(account, amount)``."""
    from ledger.cli.account import escape_contract, load_account_public
    from ledger.cli.main import UserError
    account_id, _ = load_account_public(args.account_dir)
    if args.amount <= 0:
        raise UserError(f"--amount must be positive: {args.amount}")
    w3, escape = escape_contract(args.rpc, args.escape)
    receipt = _send(w3, escape, escape.functions.requestWithdrawal(account_id, args.amount),
                    args.key)
    if receipt is None:
        return 1
    at = escape.functions.requestedAt(account_id).call()
    after = escape.functions.freezeAfter().call()
    print(f"account {account_id}: forced withdrawal of {args.amount} requested at {at}; "
          f"unless a block serves it, anyone may freeze the contract from {at + after}")
    return 0


def run_freeze(args) -> int:
    """Freeze the Escape contract (``Escape.freeze(account)``): anyone may send it."""
    from ledger.cli.account import escape_contract
    w3, escape = escape_contract(args.rpc, args.escape)
    receipt = _send(w3, escape, escape.functions.freeze(args.account), args.key)
    if receipt is None:
        return 1
    print(f"the contract {escape.address} is frozen (at {escape.functions.frozenAt().call()}): "
          "each account now exits with `darkmatch exit`")
    return 0


def register_chain(sub, rpc_default: str) -> None:
    """``chain request`` and ``chain freeze`` on ``darkmatch chain``'s subparsers ``sub``."""
    from ledger.core.arguments import non_negative_int, rpc_url

    def common(q):
        q.add_argument("--rpc", default=rpc_default, type=rpc_url, help="Ethereum JSON-RPC URL")
        q.add_argument("--escape", required=True, metavar="ADDRESS", help="the Escape contract")
        q.add_argument("--key", help="Ethereum key file (0600) to send from; default: the "
                                     "node's first account")

    r = sub.add_parser("request", help="force a withdrawal on an Escape contract (as its owner)")
    common(r)
    r.add_argument("--account-dir", default=".", metavar="DIR",
                   help="the trader's account folder (account.json; default: .)")
    r.add_argument("--amount", type=non_negative_int, required=True, help="quote units")
    r.set_defaults(func=run_request)
    f = sub.add_parser("freeze", help="freeze an Escape contract (a request waited too long, "
                                      "or no block settled)")
    common(f)
    f.add_argument("--account", type=non_negative_int, required=True,
                   help="the account whose request waited (any account when blocks stopped)")
    f.set_defaults(func=run_freeze)


def register(sub) -> None:
    from ledger.core.arguments import node_url, rpc_url
    p = sub.add_parser("exit", help="withdraw an account's equity from a frozen contract",
                       description="Prove, on this machine, the account's equity at the last "
                                   "settled mark from its own key folder and claim it from a "
                                   "frozen Escape contract.")
    p.add_argument("--account-dir", default=".", metavar="DIR",
                   help="account directory with encryption.key (default: .)")
    p.add_argument("--node", metavar="URL", type=node_url,
                   help="a node's HTTP URL (blocks with the encrypted openings); default: the "
                        "Escape contract's own events")
    p.add_argument("--rpc", required=True, metavar="URL", type=rpc_url, help="Ethereum JSON-RPC URL")
    p.add_argument("--escape", required=True, metavar="ADDRESS", help="the Escape contract")
    p.add_argument("--ptau", required=True,
                   help="the SRS (.ptau) the exit verifier's key was made from")
    p.add_argument("--key", help="Ethereum key file (0600) to send from")
    p.set_defaults(func=run_exit)
