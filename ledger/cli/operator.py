"""``darkmatch operator init|batch``: the operator as a command, talking to validator nodes.

Before matching and proving, ``operator batch`` asks every ``--validator``'s
``/status`` and stops (exit 1, one line naming each validator that is down)
unless those that answer for this ledger hold > 2/3 of the stake
(``ledger.operator.reach``); a home another ``operator batch`` holds is
refused (``ledger.core.lock``); a ``--timeout`` that is not a finite number
of seconds in (0, 3600] or a URL that is not ``http(s)://host:port`` is bad
input.

* ``operator init --home DIR --genesis G --slots N [--accounts K] [--market M]
  [--ptau FILE]`` — lays out the operator's home (``ledger.operator.home``):
  the SRS (a ceremony's ``.ptau``, checked by ``load_ptau``; without one, a
  development SRS with a loud warning), the N×K settlement circuit's
  ``verification_key.json`` to give to validators, the operator's ledger and
  the accounts' private states.
* ``operator batch --home DIR --orders DIR --validator URL [...] [--mark P]`` —
  one batch: catches the operator's ledger up with the validators, takes every
  order file in ``--orders`` with its opening (``order-<id>.json`` +
  ``order-<id>.opening.json``, as ``darkmatch order new`` writes them; a bad,
  spent or foreign order is skipped with one line saying why), matches and
  proves the batch with a progress bar, records the states it would leave,
  proposes the block to every validator, and broadcasts it with the
  signatures once validators with > 2/3 of the stake signed.  ``--mark`` is
  the oracle's mark price (default: the ledger's last one).  Exit 0 when the
  block is final, 1 when it is not (each validator's refusal printed), 2 for
  bad input.
"""

import glob
import os
__all__ = ["register", "run_init", "run_batch"]


def run_init(args) -> int:
    import warnings

    from circuits.settlement import settlement_circuit
    from ledger.cli.main import UserError
    from ledger.core.limits import MARKET_BOUND, MAX_BATCH_SLOTS
    from ledger.operator.home import init_operator_home
    from prover import dev_srs, load_ptau, setup
    from prover.setup import domain_power
    from prover.srs import DevelopmentSRSWarning
    k_slots = args.slots if args.accounts is None else args.accounts
    for name, v in (("--slots", args.slots), ("--accounts", k_slots)):
        if not 1 <= v <= MAX_BATCH_SLOTS:
            raise UserError(f"{name} must be between 1 and {MAX_BATCH_SLOTS}")
    if os.path.exists(os.path.join(args.home, "operator.json")):
        raise UserError(f"{args.home} already holds an operator (operator.json)")
    if args.market is not None and not 0 <= args.market < MARKET_BOUND:
        raise UserError(f"--market must be in [0, {MARKET_BOUND})")
    from ledger.core.genesis import load_genesis
    load_genesis(args.genesis)                       # bad genesis: one line, nothing written
    circuit = settlement_circuit(args.slots, k_slots)
    power = domain_power(circuit)
    if args.ptau:
        srs = load_ptau(args.ptau, max_power=power)
        if srs.power < power:
            raise UserError(f"{args.ptau} holds 2^{srs.power} powers; the {args.slots}x{k_slots} "
                            f"circuit needs 2^{power}")
    else:
        print(f"WARNING: development SRS 2^{power}: whoever runs this could forge proofs; "
              "use a ceremony's .ptau (--ptau) for anything real")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DevelopmentSRSWarning)
            srs = dev_srs(power)
    keys = setup(circuit, srs)
    cfg = init_operator_home(args.home, args.genesis, args.slots, k_slots, srs, keys,
                             args.market)
    print(f"operator for market {cfg['market_id']}: {args.slots} order x {k_slots} account slots, "
          f"{circuit.n_gates:,} gates")
    print(f"give validators {os.path.join(args.home, 'verification_key.json')} "
          "(darkmatch validator init --vk)")
    return 0


def _order_files(folder):
    from ledger.cli.main import UserError
    if not os.path.isdir(folder):
        raise UserError(f"--orders is not a directory: {folder}")
    pairs = []
    for path in sorted(glob.glob(os.path.join(folder, "order-*.json"))):
        if path.endswith(".opening.json"):
            continue
        pairs.append((path, path[: -len(".json")] + ".opening.json"))
    return pairs


def _load_pair(order_path, opening_path):
    from ledger.cli.main import UserError
    from ledger.core.codec import load_json_file
    from ledger.core.orders import opening_from_json, order_from_json
    order = order_from_json(load_json_file(order_path, "order"), order_path)
    if not os.path.exists(opening_path):
        raise UserError("no opening file next to it")
    return order, opening_from_json(load_json_file(opening_path, "order opening"), opening_path)


def run_batch(args) -> int:
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from ledger.chain.finality import Quorum
    from ledger.cli.main import UserError
    from ledger.core.codec import load_json_file
    from ledger.operator import round as rounds
    from ledger.operator.engine import Operator
    from ledger.operator.home import VK_FILE, OperatorHome, catch_up
    from ledger.operator.loop import run_batch as batch_loop
    from ledger.operator.reach import count_reach, probe, require_quorum
    from prover import load_ptau, setup
    from prover import STEPS
    from prover.setup import domain_power
    from verifier import VerifyingKey

    console = Console(highlight=False, stderr=False)
    pairs = _order_files(args.orders)
    if not args.validator:
        raise UserError("give the validators with --validator URL (one per node)")
    home = OperatorHome(args.home)
    try:
        vk_home = VerifyingKey.from_json(load_json_file(home.path(VK_FILE), "verification key"))
        quorum = Quorum(home.store, vk_home)
        answers = probe(args.validator, timeout=min(args.timeout, 10.0))
        head = catch_up(home.store, quorum, [u for u, a in answers.items() if isinstance(a, dict)],
                        log=lambda m: console.print(f"  {m}"))
        reach = count_reach(home.store, answers)
        for url, why in reach.down.items():
            console.print(f"  validator {url} is down: {why}", soft_wrap=True)
        require_quorum(reach)          # no proof is started that could not finalize
        if home.reconcile():
            console.print("  adopted the states of a block that finalized while we were away")
        params, last_mark = home.store.market(home.market_id)
        mark = last_mark if args.mark is None else args.mark
        steps = ("orders", "keys", *STEPS, "propose")
        columns = (TextColumn("  {task.description:<40}"), BarColumn(),
                   TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn())
        with Progress(*columns, console=console) as bar:
            task = bar.add_task("reading orders", total=len(steps))
            operator = Operator(home.store, None, vk_home, home.n_slots, home.k_slots,
                                progress=lambda m: bar.update(task, description=m))
            skipped = 0
            for order_path, opening_path in pairs:
                try:
                    operator.submit(*_load_pair(order_path, opening_path))
                except ValueError as e:
                    skipped += 1
                    console.print(f"  skipped {os.path.basename(order_path)}: {e}",
                                  soft_wrap=True)
            if not operator.pending():
                raise UserError(f"no order to batch in {args.orders} ({skipped} skipped)")
            bar.update(task, advance=1, description="circuit keys from the SRS")
            circuit = operator.circuit
            power = domain_power(circuit)
            operator.pk, vk = setup(circuit, load_ptau(home.path("srs.ptau"), max_power=power))
            if vk.to_json() != vk_home.to_json():
                raise UserError("the circuit's key from srs.ptau differs from "
                                "verification_key.json (a changed home?)")
            bar.update(task, advance=1)

            def pending(proposal):
                home.write_pending(proposal.block, proposal.new_states)
                # each prover step is counted done when the next one starts; this the last
                bar.update(task, advance=1,
                           description=f"proposing block {proposal.block.height}")

            res = batch_loop(
                operator, head + 1, mark, params, home.states,
                lambda b: rounds.run_round(args.validator, b, quorum, apply=True,
                                           timeout=args.timeout),
                pending=pending, settle=lambda proposal: home.reconcile(),
                prove_progress=lambda name, i, n: bar.update(
                    task, advance=int(i > 0), description=f"proving: {name} ({i + 1}/{n})"))
            block, rnd = res.proposal.block, res.round
            bar.update(task, advance=1, description=f"block {block.height}")
        for order, why in res.proposal.rejected:
            console.print(f"  rejected by the engine: order of account {order.account}: {why}")
        for url, why in rnd.refusals.items():
            console.print(f"  {url} did not sign: {why}")
        for url, why in rnd.finalize_errors.items():
            console.print(f"  {url} did not store the block: {why}")
        if rnd.block is None:
            console.print(f"NOT FINAL: block {block.height}: {quorum.signed_stake(block.height, block.hash())} "
                          f"of {home.store.total_stake()} stake signed (needs > 2/3)")
            return 1
        console.print(f"FINAL: block {block.height} ({block.hash()[:16]}…): price {block.price}, "
                      f"mark {block.mark_price}, volume {block.volume}, "
                      f"{len(block.active_orders())} orders; signed by "
                      f"{len(rnd.block.signatures)}/{len(args.validator)} validators; "
                      f"prove {res.prove_s:.2f} s, finality {res.finality_s:.2f} s")
        return 0
    finally:
        home.close()


def register(sub) -> None:
    from ledger.core.arguments import node_url, timeout_seconds
    p = sub.add_parser("operator", help="set up an operator or run one batch",
                       description="The operator: match, prove and propose batches to validators.")
    s = p.add_subparsers(dest="operator_command", metavar="ACTION", required=True,
                         parser_class=type(p))
    i = s.add_parser("init", help="lay out an operator home (SRS, circuit keys, ledger, states)",
                     description="Lay out an operator home for one market.")
    i.add_argument("--home", required=True, metavar="DIR")
    i.add_argument("--genesis", required=True, metavar="FILE")
    i.add_argument("--slots", type=int, required=True, help="order slots per batch (N)")
    i.add_argument("--accounts", type=int, help="account slots per batch (K; default N)")
    i.add_argument("--market", type=int, help="market id (default: the genesis's only market)")
    i.add_argument("--ptau", metavar="FILE",
                   help="a ceremony's .ptau (default: a development SRS, NOT for production)")
    i.set_defaults(func=run_init)
    b = s.add_parser("batch", help="match, prove and propose one batch; finalize it",
                     description="Batch the order files in --orders and finalize the block.")
    b.add_argument("--home", required=True, metavar="DIR")
    b.add_argument("--orders", required=True, metavar="DIR",
                   help="folder of order-<id>.json + order-<id>.opening.json files")
    b.add_argument("--validator", action="append", default=[], metavar="URL", type=node_url,
                   help="a validator node's URL (repeat for each)")
    b.add_argument("--mark", type=int, help="mark price (default: the ledger's last mark)")
    b.add_argument("--timeout", type=timeout_seconds, default=120.0,
                   help="seconds to wait for each validator (default 120)")
    b.set_defaults(func=run_batch)
