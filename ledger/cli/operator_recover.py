"""``darkmatch operator recover``: take back account states the operator's home lost.

When the validators are locked on a block whose private states the operator
lost, ``operator batch`` re-proposes that block and marks the accounts it
touches "state unknown" (``ledger.operator.home``); later batches leave them
out.  Each trader decrypts its own opening from the block's encrypted tail
(``darkmatch account state --account-dir DIR --node URL --out FILE`` writes
it as a states file) and hands the file to the operator::

    darkmatch operator recover --home DIR --state FILE [--state FILE ...]

Every state must be an unknown account's and open the commitment the
operator's ledger holds now; otherwise the command stops with one line
(exit 2) and stores nothing.  The accounts recovered take part in the next
batch again.

``check_known`` and ``leave_out_unknown`` are how ``operator batch`` keeps
unknown accounts out of a block: their orders are refused, their withdrawal
requests wait, and the contract's deposit queue is taken only up to the
first deposit to one (a block consumes a prefix of the queue), each said in
one line.
"""

__all__ = ["register_recover", "run_recover", "leave_out_unknown", "check_known"]


def check_known(account: int, unknown: dict) -> None:
    """A one-line ``UserError`` when ``account``'s state is unknown (its order is refused)."""
    if account in unknown:
        from ledger.cli.main import UserError
        raise UserError(f"account {account}'s state is unknown (lost with block "
                        f"{unknown[account]}'s private states) until its owner hands it back "
                        "(darkmatch operator recover)")


def leave_out_unknown(unknown: dict, deposits, withdrawals, console) -> tuple:
    """(deposits, withdrawals) without the accounts in ``unknown`` (module docstring)."""
    if not unknown:
        return deposits, withdrawals
    if deposits:
        kept = {}
        for a, amount in deposits.items():
            if a in unknown:
                console.print(f"  the deposit queue waits at account {a}: its state is unknown "
                              "(darkmatch operator recover)", soft_wrap=True)
                break
            kept[a] = amount
        deposits = kept
    if withdrawals:
        for w in withdrawals:
            if w.account in unknown:
                console.print(f"  the withdrawal of account {w.account} waits: its state is "
                              "unknown (darkmatch operator recover)", soft_wrap=True)
        withdrawals = [w for w in withdrawals if w.account not in unknown]
    return deposits, withdrawals


def run_recover(args) -> int:
    from ledger.cli.main import UserError
    from ledger.core.codec import load_json_file
    from ledger.operator.home import OperatorHome, states_from_json
    states = {}
    for path in args.state:
        try:
            got = states_from_json(load_json_file(path, "account state"), path)
        except ValueError as e:
            raise UserError(str(e)) from None
        for a, st in got.items():
            if a in states:
                raise UserError(f"account {a} is given twice")
            states[a] = st
    if not states:
        raise UserError("the state files hold no account")
    home = OperatorHome(args.home)
    try:
        done = home.recover(states)
        left = home.unknown
    finally:
        home.close()
    print(f"recovered account(s) {', '.join(map(str, done))}: they take part in the next batch"
          + (f"; still unknown: {', '.join(map(str, sorted(left)))}" if left else ""))
    return 0


def register_recover(s) -> None:
    """Add ``recover`` to the ``operator`` subcommands ``s``."""
    r = s.add_parser("recover", help="take back account states this home lost (from their "
                                     "owners)",
                     description="Take back the states of accounts marked state unknown, as "
                                 "their owners decrypted them (darkmatch account state --out).")
    r.add_argument("--home", required=True, metavar="DIR")
    r.add_argument("--state", required=True, action="append", metavar="FILE",
                   help="a states file (darkmatch account state --out); repeat for each")
    r.set_defaults(func=run_recover)
