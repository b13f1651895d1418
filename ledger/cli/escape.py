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
"""

__all__ = ["register", "run_exit", "exit_srs", "exit_powers"]


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
