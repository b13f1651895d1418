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

The exit proving key is rebuilt (deterministically) from the SRS the deployed
exit verifier's key was made from: ``--ptau``, the ceremony's public file.
``--key`` names an Ethereum key file (0600) to send from; without it the
node's first unlocked account sends (anvil, the in-process chain).  Anyone may
send: the payout always goes to the owner.
"""

__all__ = ["register", "run_exit", "exit_srs"]


def exit_srs(path):
    """The SRS in ``path`` (.ptau), checked to hold the exit circuit's 2^k powers."""
    from circuits.exit import ExitCircuit
    from ledger.cli.main import UserError
    from prover import load_ptau
    from prover.setup import domain_power
    from ledger.core.errors import error_line
    from verifier.errors import DarkmatchError
    power = domain_power(ExitCircuit())
    try:
        srs = load_ptau(path, max_power=power)
    except (DarkmatchError, ValueError, OSError) as e:     # name the file and the flag
        raise UserError(f"--ptau {path}: {error_line(e)}") from None
    if srs.power < power:
        raise UserError(f"{path} holds 2^{srs.power} powers; the exit circuit needs 2^{power}")
    return srs


def run_exit(args) -> int:
    from ledger.cli.account import escape_contract, recover_from_escape, recover_from_node
    from ledger.cli.main import UserError
    from ledger.ethereum.deploy import default_sender
    from ledger.ethereum.escape import claim_exit, exit_keys, exit_view, prove_exit
    from ledger.ethereum.settlement import load_key_file
    srs = exit_srs(args.ptau)                                 # bad files first, nothing sent
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
    _, pk, _ = exit_keys(srs)
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
