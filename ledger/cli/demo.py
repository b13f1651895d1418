"""``darkmatch demo``: the main job, end to end, on a fresh machine with no arguments.

Sets up a ledger in a working folder (``--out``, default ``darkmatch-demo``):
a genesis with 4 validators and 8 traders on one perpetual market, a
development SRS and the 8×8 settlement circuit's keys; then runs
``--batches`` batches (default 5), each one: every trader commits to an order
and signs it, the operator matches and proves the batch, every validator
checks it against its own ledger and the proof and signs, and every node
stores the block once validators with more than 2/3 of the stake signed
(``ledger.operator.scenario``).  The market is a perpetual one: validators sign
prices from a simulated feed that takes a −12 % shock at block 3, so the
breaker trips (reduce-only) and releases, and a leveraged trader is
liquidated.  A progress bar follows the steps; a summary table gives, per
batch, the clearing price, mark and index, volume, orders, the funding index,
insurance fund, breaker and liquidations, prove and verify time and the
finality latency.  Every finalized block is written to
``blocks/`` for ``darkmatch verify`` (or, with its proof and public inputs,
``snarkjs plonk verify``).

On-chain settlement (``--chain``, default ``in-process``: py-evm through
eth-tester, nothing but ``pip install``; ``--rpc URL`` for a node such as
anvil; ``none`` to skip): the ledger's contracts are deployed
(``Market.attach_chain``), every trader but the leveraged trader 1 deposits
``DEPOSIT`` test tokens on the vault before the first batch (the first block
credits them; trader 1 keeps its thin collateral, so the shock still
liquidates it), every finalized block is settled on the contract, and in the
last batch trader ``WITHDRAWER`` withdraws ``WITHDRAWAL`` with a signed
request and claims it.  The table gains
the gas of ``settle`` and the hard-finality latency (stored final → settled).

``--exit`` adds the final act of self-custody (``ledger.cli.demo_exit``): the
market is a self-custody one (encrypted openings, the Escape contract; each
trader deposits its whole collateral, ``exit_deposit``: trader 1 with
``DEPOSIT``, enough to stay solvent through the shock, since a bad debt
beyond the insurance fund would leave the vault short of the last exits),
and after the batches the
operator stops, the chain's clock passes the freeze time, the contract is
frozen and every trader exits with its own proof; a second table shows what
each received and the vault is left with the insurance fund and the rewards.
"""

import os
import shutil
import statistics
import time

__all__ = ["register", "run", "DEMO_FILES", "DEMO_DIRS", "DEPOSIT", "WITHDRAWAL", "WITHDRAWER",
           "exit_deposit"]

DEPOSIT = 1_000_000          #: each trader's on-chain deposit before the first batch
WITHDRAWAL = 250_000         #: what trader ``WITHDRAWER`` withdraws in the last batch
WITHDRAWER = 2               #: a trader with room to withdraw (trader 1 is the leveraged one)


def exit_deposit(account: int) -> int:
    """What trader ``account`` deposits in the self-custody demo (``--exit``): its starting
    collateral, but the leveraged trader 1 at least ``DEPOSIT``, so that the shock leaves
    it solvent and the vault can pay every exit."""
    from ledger.operator.scenario import start_cash
    return max(start_cash(account), DEPOSIT) if account == 1 else start_cash(account)


def _check_args(args):
    from ledger.cli.main import UserError
    from ledger.core.limits import MAX_BATCH_SLOTS
    if not 1 <= args.batches <= 100:
        raise UserError("--batches must be between 1 and 100")
    if not 2 <= args.traders <= MAX_BATCH_SLOTS:
        raise UserError(f"--traders must be between 2 and {MAX_BATCH_SLOTS}")
    if not 1 <= args.validators <= 32:
        raise UserError("--validators must be between 1 and 32")
    if args.rpc and args.chain != "in-process":
        raise UserError("--rpc names the chain itself: leave --chain out")
    if args.exit and args.chain == "none":
        raise UserError("--exit needs a chain: the traders exit from the frozen contract")
    if os.path.exists(args.out) and not os.path.isdir(args.out):
        raise UserError(f"--out is not a directory: {args.out}")
    if os.path.exists(os.path.join(args.out, "genesis.json")):
        if not args.fresh:
            raise UserError(f"{args.out} already holds a demo ledger; use --fresh to replace it "
                            "or --out for another folder")
    if args.rpc:                         # before --fresh removes anything, and before minutes of setup
        from ledger.ethereum.chain import ChainUnavailable, connect
        try:
            connect(args.rpc, timeout=10)
        except ChainUnavailable as e:
            raise UserError(f"--rpc: {e}") from None


#: what a demo writes into --out (and all that --fresh removes: never the folder itself)
DEMO_FILES = ("genesis.json", "verification_key.json", "proof.json", "public.json")
DEMO_DIRS = ("operator", "validators", "blocks")


def _remove_demo_files(out):
    for name in DEMO_FILES:
        path = os.path.join(out, name)
        if os.path.isfile(path):
            os.unlink(path)
    for name in DEMO_DIRS:
        path = os.path.join(out, name)
        if os.path.isdir(path) and not os.path.islink(path):
            shutil.rmtree(path)


def run(args) -> int:
    from ledger.cli.main import UserError
    _check_args(args)
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from ledger.ethereum.chain import ChainError
    from ledger.operator.scenario import Market
    from verifier.errors import Rejected
    from prover.kernels.warmup import warmup

    console = Console(highlight=False)
    if not console.is_terminal:
        console.width = max(console.width, 200)     # the summary table in logs and pipes
    if args.fresh:
        _remove_demo_files(args.out)
    console.print(f"darkmatch demo: {args.traders} traders, {args.validators} validators, "
                  f"{args.batches} batches in {args.out}/")
    console.print("  compiling the prover's kernels (first run only; cached afterwards) ...")
    t_jit = warmup()
    t = time.perf_counter()
    with console.status("  setting up: genesis, keys, development SRS, circuit keys") as status:
        try:
            market = Market.create(args.out, traders=args.traders, validators=args.validators,
                                   seed=args.seed, encrypted=args.exit,
                                   progress=lambda msg: status.update(f"  setting up: {msg}"))
        except ValueError as e:
            raise UserError(str(e)) from None
    t_setup = time.perf_counter() - t
    console.print(f"  kernels {t_jit:.1f} s; setup {t_setup:.1f} s: {market.gates:,} gates "
                  f"({market.n_slots} order x {market.k_slots} account slots); the SRS is a "
                  "development one (NOT for production: use `darkmatch ceremony`)")
    chain = _attach_chain(args, market, console)
    reports = []
    columns = (TextColumn("  {task.description:<44}"), BarColumn(),
               TextColumn("{task.percentage:>3.0f}%"), TimeElapsedColumn())
    try:
        with Progress(*columns, console=console, transient=False) as bar:
            for height in range(1, args.batches + 1):
                task = bar.add_task(f"batch {height}", total=market.steps_per_batch())

                def step(name, task=task, height=height):
                    bar.update(task, advance=1, description=f"batch {height}: {name}")
                def note(msg, task=task, height=height):
                    bar.update(task, description=f"batch {height}: {msg}")
                if chain is not None and height == args.batches:
                    chain.request_withdrawal(WITHDRAWER, WITHDRAWAL)
                reports.append(market.run_batch(height, step, note))
        claimed = _claim(chain)
        final = None
        if args.exit:
            from ledger.cli.demo_exit import final_act
            console.print("  final act: the operator stops; the chain's clock passes the "
                          "freeze time; every trader exits with its own proof ...")
            final = final_act(market, chain)
    except (ChainError, Rejected) as e:     # the contract refused a block, deposit or claim
        raise UserError(str(e)) from None
    finally:
        market.close()
    table = Table(title="darkmatch demo: finalized batches", title_justify="left")
    cols = ["block", "price", "mark", "index", "volume", "orders", "funding F", "insurance",
            "breaker", "liquidated", "prove s", "verify s", "finality s", "signed"]
    cols += ["gas", "hard s"] if chain is not None else []
    for col in cols:
        table.add_column(col, justify="right", no_wrap=True)
    for r in reports:
        liq = ", ".join(map(str, r.liquidated)) or "-"
        if r.liquidated:
            liq += f" (pen. {r.penalties:,}, def. {r.deficits:,})"
        row = [str(r.height), f"{r.price:,}", f"{r.mark_price:,}", f"{r.index:,}",
               str(r.volume), str(r.included), f"{r.funding_index:,}", f"{r.insurance:,}",
               "TRIPPED" if r.breaker else "-", liq, f"{r.prove_s:.2f}", f"{r.verify_s:.3f}",
               f"{r.finality_s:.2f}", f"{r.signers}/{args.validators}"]
        row += [f"{r.gas:,}", f"{r.hard_s:.2f}"] if chain is not None else []
        table.add_row(*row)
    console.print(table)
    console.print(f"  {market.gates:,} gates per batch; a TRIPPED breaker makes the batch "
                  "reduce-only (the circuit proves no position grows)")
    console.print(f"  median prove {statistics.median(r.prove_s for r in reports):.2f} s, "
                  f"verify {statistics.median(r.verify_s for r in reports):.3f} s, "
                  f"finality {statistics.median(r.finality_s for r in reports):.2f} s")
    if chain is not None:
        sec = chain.onchain.security()
        console.print(f"  settled on-chain: height {chain.onchain.height()} "
                      f"(contract {chain.onchain.settlement.address})")
        console.print(f"  deposits {sum(r.deposits for r in reports):,}, withdrawals "
                      f"{sum(r.withdrawals for r in reports):,}, trader {WITHDRAWER} claimed {claimed:,}")
        console.print(f"  security budget: collateral {sec['collateral']:,} of cap {sec['cap']:,} "
                      f"({sec['collateral'] / sec['stake']:.2%} of the committee's stake)")
    if final is not None:
        from ledger.cli.demo_exit import exit_table, unpaid
        console.print(exit_table(final))
        if unpaid(final):
            console.print(f"  [bold red]exits refused: {unpaid(final):,} owed that the vault "
                          "cannot pay[/] (bad debt beyond the insurance fund; the contract pays "
                          "exits in the order they come: docs/custody.md §Solvency of the exit)")
        v, i, w = final["vault"], final["insurance"], final["rewards"]
        d = i + w + final["owed"] - v
        console.print(f"  exits paid {sum(r['paid'] for r in final['rows']):,}; the vault keeps "
                      f"{v:,} = insurance fund {i:,} + rewards {w:,}"
                      + (f" + unclaimed withdrawals {final['owed']:,}" if final["owed"] else "")
                      + (f" (bad debt {d:,} covered by the fund)" if d > 0 else
                         f" + {-d:,} that refused exits left" if d < 0 else ""))
    out = args.out
    console.print(f"  check the blocks: darkmatch verify --vk {out}/verification_key.json "
                  f"--genesis {out}/genesis.json --block {out}/blocks/block-*.json")
    return 0


def _attach_chain(args, market, console):
    """Deploy the contracts and queue every trader's deposit (module docstring); None if
    ``--chain none``."""
    from ledger.cli.main import UserError
    from ledger.ethereum.chain import ChainUnavailable, connect, in_process
    if args.chain == "none":
        return None
    try:
        w3 = connect(args.rpc) if args.rpc else in_process()
        chain = market.attach_chain(w3)
        queued = 0
        for account in market.trader_keys:      # self-custody: the whole collateral is on-chain
            if args.exit:
                chain.deposit(account, exit_deposit(account))
            elif account != 1:                  # trader 1 stays thin: the shock liquidates it
                chain.deposit(account, DEPOSIT)
            else:
                continue
            queued += 1
    except (ChainUnavailable, ValueError) as e:
        market.close()
        raise UserError(str(e)) from None
    where = args.rpc or "the in-process chain (py-evm)"
    what = "Escape (self-custody)" if args.exit else "settlement"
    console.print(f"  contracts on {where}: {what} {chain.onchain.settlement.address}; "
                  f"{queued} deposits queued")
    return chain


def _claim(chain) -> int:
    """Trader ``WITHDRAWER`` claims what the settled blocks made claimable (0 without a
    chain)."""
    if chain is None:
        return 0
    amount = chain.onchain.settlement.functions.claimable(WITHDRAWER).call()
    if amount:
        before = chain.balance(WITHDRAWER)
        chain.claim(WITHDRAWER)
        return chain.balance(WITHDRAWER) - before
    return 0


def register(sub) -> None:
    from ledger.core.arguments import rpc_url
    p = sub.add_parser("demo", help="run the end-to-end demo: orders to finalized blocks",
                       description=__doc__.splitlines()[0].replace("``", ""))
    p.add_argument("--out", default="darkmatch-demo", help="working folder (default darkmatch-demo)")
    p.add_argument("--batches", type=int, default=5, help="batches to run (default 5: the shock comes at block 3)")
    p.add_argument("--traders", type=int, default=8, help="traders, one order each per batch "
                   "(default 8; the circuit has as many order and account slots)")
    p.add_argument("--validators", type=int, default=4, help="validators (default 4)")
    p.add_argument("--seed", type=int, default=1, help="seed of the order books (default 1)")
    p.add_argument("--fresh", action="store_true", help="replace a demo ledger already in --out")
    p.add_argument("--chain", choices=("in-process", "none"), default="in-process",
                   help="settle on an in-process Ethereum chain (default) or not at all")
    p.add_argument("--rpc", metavar="URL", type=rpc_url, help="settle on the Ethereum node at URL (e.g. anvil)")
    p.add_argument("--exit", action="store_true",
                   help="self-custody market; final act: the operator stops, the contract "
                        "freezes and every trader exits with its own proof")
    p.set_defaults(func=run)
