"""``darkmatch operator init|batch``: the operator as a command, talking to validator nodes.

Before matching and proving a new block, ``operator batch`` asks every
``--validator``'s ``/status`` and prints one line per validator that is
down; when those that answer for this ledger hold at most 2/3 of the stake
(``ledger.operator.reach``) it prints a one-line warning on stderr and goes
on: the block is proven, stored and proposed, the validators that are up
vote now, and every later ``operator batch`` re-sends it until it is final
(safe: the rounds and the sticky proposal, docs/liveness.md).
``--require-quorum`` stops there instead (exit 1, before any proof is
started); ``--propose-anyway`` is the default, accepted for older scripts.
A home another ``operator batch`` holds is
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
  runs the block in the two-phase rounds (``ledger.operator.rounds``: the
  validators' locks, prevotes, precommits, then their attestations on the
  commit), and broadcasts it with the attestations once validators with
  > 2/3 of the stake gave them.  ``--single-phase`` sends the legacy
  single-phase proposal instead (``ledger.operator.round``; only nodes run
  with ``--single-phase`` answer it).  ``--mark`` is
  the mark price of a market without an oracle (default: the ledger's last
  one); for an oracle market the operator first collects every validator's
  signed price (``GET /observations/<market>/<height>``) and the mark is
  the quorum's.  Exit 0 when the
  block is final, 1 when it is not (each validator's refusal printed), 2 for
  bad input.
* with ``--rpc URL --deployment FILE`` (``darkmatch chain deploy --ledger``)
  the batch also credits the deposits queued on the settlement contract (the
  prefix one block can consume) and, once final, gathers each validator's
  Ethereum signature (``GET /anchor/<h>``) and settles the block on the
  contract (``ledger.operator.onchain``), sending from ``--eth-key FILE`` or
  the node's first account; exit 1 if the contract refuses it.
  ``--withdrawals DIR`` adds the traders' signed withdrawal requests
  (``withdraw-<id>.json``, ``darkmatch chain withdraw``) that still name the
  account's current state; the engine drops one that would break margin.

  **Sticky proposals.**  The block is signed with the operator key (when the
  genesis names an operator) and stored as ``proposal.json`` before it is
  sent (``ledger.operator.proposal``).  While its height is not final, every
  later ``operator batch`` re-sends that same block in the next round —
  validators locked on it prevote it again, and those that attested it
  answer with the same signature — instead of proving a new one; the
  orders in ``--orders`` wait for the batch after it.  Without a stored
  proposal, the lock query comes first: when the validators are locked on a
  block at the next height (the operator lost ``proposal.json``), that block
  is stored and re-sent (no proof).  If ``pending.json`` lost its states,
  the accounts it touches are first marked state unknown in the home: the
  block finishes the height, and later batches refuse those accounts'
  orders (one line each) until ``darkmatch operator recover`` takes their
  states back from their owners (``ledger.cli.operator_recover``).
"""

import glob
import os
__all__ = ["register", "run_init", "run_batch", "settle_on_chain"]


def run_init(args) -> int:
    import warnings

    from circuits.settlement_cipher import settlement_circuit
    from ledger.chain.rules import encryption_keys
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
    genesis = load_genesis(args.genesis)             # bad genesis: one line, nothing written
    if args.key is not None:
        from ledger.core import keys as keyfiles
        from ledger.operator.proposal import key_file
        if genesis.operator is None:
            raise UserError("the genesis names no operator: --key is not used")
        if keyfiles.public_key_hex(keyfiles.load_private_key(key_file(args.key))) \
                != genesis.operator:
            raise UserError(f"--key {args.key} is not the genesis operator's key")
    # accounts that registered encryption keys get their openings encrypted in every block
    circuit = settlement_circuit(args.slots, k_slots, encrypted=bool(encryption_keys(genesis)))
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
    from ledger.operator.proposal import install_operator_key
    genesis = load_genesis(args.genesis)
    if genesis.operator is not None and args.key is None:
        raise UserError("the genesis names an operator: give its key with --key")
    cfg = init_operator_home(args.home, args.genesis, args.slots, k_slots, srs, keys,
                             args.market)
    if args.key is not None:
        install_operator_key(args.home, args.key, genesis)
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
    from ledger.operator import round as single
    from ledger.operator.engine import Operator
    from ledger.operator.home import VK_FILE, OperatorHome, catch_up
    from ledger.operator.loop import run_batch as batch_loop
    from ledger.cli.operator_send import locked_block, report_round, resend, round_fn
    from ledger.cli.operator_recover import check_known, leave_out_unknown
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
        onchain = _onchain(args, home)
        deposits = onchain.next_deposits() if onchain is not None else None
        withdrawals = _withdrawals(args, home, console)
        vk_home = VerifyingKey.from_json(load_json_file(home.path(VK_FILE), "verification key"))
        quorum = Quorum(home.store, vk_home)
        answers = probe(args.validator, timeout=min(args.timeout, 10.0))
        head = catch_up(home.store, quorum, [u for u, a in answers.items() if isinstance(a, dict)],
                        log=lambda m: console.print(f"  {m}"))
        reach = count_reach(home.store, answers)
        for url, why in reach.down.items():
            console.print(f"  validator {url} is down: {why}", soft_wrap=True)
        if home.reconcile():
            console.print("  adopted the states of a block that finalized while we were away")
        deposits, withdrawals = leave_out_unknown(home.unknown, deposits, withdrawals, console)
        from ledger.operator.proposal import (drop_proposal, gather_evidence, live_proposal,
                                              load_operator_key, store_proposal)
        op_key = load_operator_key(home.home, home.genesis)
        stored = live_proposal(home.home, home.store)
        if stored is None and not args.single_phase:
            stored = locked_block(console, home, op_key, head + 1, args,
                                   [u for u, a in answers.items() if isinstance(a, dict)])
        if stored is not None:
            return resend(console, home, quorum, stored, args, onchain)
        if args.require_quorum:
            require_quorum(reach)      # no new proof is started that could not finalize
        elif not reach.quorum:
            import sys
            print(f"darkmatch operator: warning: the validators that answer hold "
                  f"{reach.reachable_stake} of {reach.total_stake} stake (a quorum needs > 2/3): "
                  f"block {head + 1} is proven and proposed anyway, and re-sent by each later "
                  "operator batch until final (--require-quorum stops here instead)",
                  file=sys.stderr, flush=True)
        evidence = gather_evidence(home.store, args.validator)
        if evidence:
            console.print(f"  the block carries {len(evidence)} evidence item(s): "
                          + ", ".join(f"{e['kind']} at {e['height']}" for e in evidence))
        params, last_mark = home.store.market(home.market_id)
        mark = last_mark if args.mark is None else args.mark
        observations = ()
        if home.store.market_state(home.market_id).oracle:      # the mark is the quorum's
            observations, failures = single.collect_observations(
                args.validator, home.market_id, head + 1, timeout=args.timeout)
            for url, why in failures.items():
                console.print(f"  {url} gave no price observation: {why}", soft_wrap=True)
        steps = ("orders", "keys", *STEPS, "propose")
        columns = (TextColumn("  {task.description:<40}"), BarColumn(),
                   TextColumn("{task.completed}/{task.total}"), TimeElapsedColumn())
        with Progress(*columns, console=console) as bar:
            task = bar.add_task("reading orders", total=len(steps))
            operator = Operator(home.store, None, vk_home, home.n_slots, home.k_slots,
                                progress=lambda m: bar.update(task, description=m),
                                encrypted=bool(home.store.view().encryption_keys))
            skipped, unknown = 0, home.unknown
            for order_path, opening_path in pairs:
                try:
                    order, opening = _load_pair(order_path, opening_path)
                    check_known(order.account, unknown)
                    operator.submit(order, opening)
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
                block = proposal.block
                if evidence:
                    block = block.with_evidence(evidence)
                home.write_pending(block, proposal.new_states)
                signed = store_proposal(home.home, block, op_key)
                # each prover step is counted done when the next one starts; this the last
                bar.update(task, advance=1,
                           description=f"proposing block {proposal.block.height}")
                return signed

            def settle(proposal):
                home.reconcile()
                drop_proposal(home.home)

            res = batch_loop(
                operator, head + 1, mark, params, home.known_states(),
                round_fn(args, home, quorum, op_key),
                observations=observations, pending=pending, settle=settle,
                deposits=deposits, withdrawals=withdrawals,
                prove_progress=lambda name, i, n: bar.update(
                    task, advance=int(i > 0), description=f"proving: {name} ({i + 1}/{n})"))
            block, rnd = res.sent, res.round
            bar.update(task, advance=1, description=f"block {block.height}")
        for order, why in res.proposal.rejected:
            console.print(f"  rejected by the engine: order of account {order.account}: {why}")
        if not report_round(console, home, quorum, block, rnd):
            return 1
        console.print(f"FINAL: block {block.height} ({block.hash()[:16]}…): price {block.price}, "
                      f"mark {block.mark_price}, volume {block.volume}, "
                      f"{len(block.active_orders())} orders; signed by "
                      f"{len(rnd.block.signatures)}/{len(args.validator)} validators; "
                      f"prove {res.prove_s:.2f} s, finality {res.finality_s:.2f} s")
        return 0 if onchain is None else settle_on_chain(onchain, args, rnd.block, console)
    finally:
        home.close()


def _withdrawals(args, home, console):
    """The signed requests in ``--withdrawals`` that still hold (each one skipped is said in
    one line)."""
    if not args.withdrawals:
        return None
    from ledger.cli.main import UserError
    from ledger.core.codec import load_json_file
    from ledger.ethereum.withdrawals import check_withdrawal, request_from_json
    if not os.path.isdir(args.withdrawals):
        raise UserError(f"--withdrawals is not a directory: {args.withdrawals}")
    out = {}
    for path in sorted(glob.glob(os.path.join(args.withdrawals, "withdraw-*.json"))):
        try:
            req = request_from_json(load_json_file(path, "withdrawal request"), path)
            check_withdrawal(home.store, req)
        except ValueError as e:
            console.print(f"  skipped {os.path.basename(path)}: {e}", soft_wrap=True)
            continue
        out.setdefault(req.account, req)
    return list(out.values())


def _onchain(args, home):
    """The settlement contract of ``--rpc``/``--deployment`` (None without ``--rpc``)."""
    if not args.rpc:
        return None
    from ledger.cli.main import UserError
    from ledger.ethereum.chain import ChainUnavailable, connect
    from ledger.ethereum.config import load_deployment
    from ledger.ethereum.deploy import at, default_sender
    from ledger.ethereum.settlement import load_key_file
    from ledger.operator.onchain import OnChain
    try:
        d = load_deployment(args.deployment)
        w3 = connect(args.rpc)
        sender = load_key_file(args.eth_key) if args.eth_key else default_sender(w3)
    except (ChainUnavailable, ValueError) as e:
        raise UserError(str(e)) from None
    if w3.eth.chain_id != d["chain_id"]:
        raise UserError(f"{args.deployment} is on chain {d['chain_id']}, {args.rpc} is chain "
                        f"{w3.eth.chain_id}")
    return OnChain(w3, at(w3, "Settlement", d["settlement"]), home.store, sender=sender,
                   k_slots=home.k_slots)


def settle_on_chain(onchain, args, block, console) -> int:
    """Gather the validators' Ethereum signatures and settle ``block``; the exit status."""
    from ledger.ethereum.chain import ChainError
    sigs, errors = onchain.remote_signatures(args.validator, block, timeout=args.timeout)
    for url, why in errors.items():
        console.print(f"  {url} gave no Ethereum signature: {why}")
    try:
        done = onchain.submit(block, signatures=sigs)
    except (ChainError, ValueError) as e:
        console.print(f"NOT SETTLED on-chain: block {block.height}: {e}")
        return 1
    console.print(f"SETTLED on-chain: block {block.height} (anchor 0x{done.anchor.hex()[:16]}…), "
                  f"gas {done.gas:,}, {done.seconds:.2f} s; contract height {onchain.height()}")


def register(sub) -> None:
    from ledger.core.arguments import node_url, rpc_url, timeout_seconds
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
    i.add_argument("--key", metavar="FILE_OR_DIR",
                   help="the operator's key (key.pem or an account directory); needed when "
                        "the genesis names an operator")
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
    b.add_argument("--require-quorum", action="store_true",
                   help="stop before proving (exit 1) when the validators that answer hold "
                        "no quorum (default: warn on stderr, prove and propose; the next "
                        "batch re-sends the block)")
    b.add_argument("--propose-anyway", action="store_true",
                   help="the default (kept so that older scripts still run)")
    b.add_argument("--single-phase", action="store_true",
                   help="legacy: send the block as one single-phase proposal (POST /propose, "
                        "only nodes run with --single-phase answer) instead of the two-phase "
                        "rounds; a height run that way stops for good if proposal.json is "
                        "lost (docs/liveness.md)")
    b.add_argument("--rpc", metavar="URL", type=rpc_url,
                   help="settle the final block on this Ethereum node (needs --deployment)")
    b.add_argument("--deployment", default="deployment.json", metavar="FILE",
                   help="the settlement contract (darkmatch chain deploy; default deployment.json)")
    b.add_argument("--withdrawals", metavar="DIR",
                   help="folder of signed withdrawal requests (darkmatch chain withdraw)")
    b.add_argument("--eth-key", metavar="FILE",
                   help="Ethereum key (0600) to send settle from (default: the node's first account)")
    b.set_defaults(func=run_batch)
    from ledger.cli.monitor import add_monitor_parser
    from ledger.cli.operator_recover import register_recover
    add_monitor_parser(s)
    register_recover(s)
