"""``darkmatch chain``: a local Ethereum node and the settlement contract from the command line.

    darkmatch chain up [--port 8545]                 # anvil on 127.0.0.1 until Ctrl-C
    darkmatch chain deploy --vk vk.json --layout layout.json --genesis genesis.json \\
                           [--token ADDRESS] [--out deployment.json]
    darkmatch chain deploy --vk vk.json --ledger genesis.json --slots N [--accounts K] \\
                           --validator URL ... [--owner ID=ADDRESS ...]   # a darkmatch ledger
                           [--exit-ptau FILE] [--freeze-after SECONDS]  # its genesis has keys
    darkmatch chain status  [--deployment deployment.json]
    darkmatch chain deposit --account ID --amount N [--mint]
    darkmatch chain withdraw --account-dir DIR --amount N [--out withdrawals]
    darkmatch chain claim   --account ID
    darkmatch chain request --account-dir DIR --amount N --escape ADDRESS   # forced withdrawal
    darkmatch chain freeze  --account ID --escape ADDRESS                   # anyone, when due

Every command but ``up`` takes ``--rpc URL`` (default http://127.0.0.1:8545)
and sends from ``--key FILE`` (an Ethereum key, mode 0600, from ``darkmatch
evm key``) or else the node's first unlocked account (anvil's).  The file
formats are ``ledger.ethereum.config``'s.  A refusal by the contract prints
one line naming it (e.g. ``NothingToClaim``) and exits 1; bad input exits 2.

A ledger whose genesis registers encryption keys (docs/custody.md) gets the
Escape contract: the encrypted layout, ``batch_params``, the genesis keys, the
market's genesis mark and maintenance margin, ``--freeze-after`` (default 7
days) and the exit and refusal verifiers, whose keys are made from ``--exit-ptau`` (the SRS ``darkmatch exit
--ptau`` rebuilds the exit proving key from).  The deployment file's
``settlement`` is then the Escape address (Escape is a Settlement).
"""

import os

__all__ = ["register"]

DEFAULT_RPC = "http://127.0.0.1:8545"


def _fail(e):
    from ledger.cli.main import UserError
    raise UserError(str(e)) from None


def _connect(args):
    from ledger.ethereum.chain import ChainUnavailable, connect
    try:
        return connect(args.rpc)
    except ChainUnavailable as e:
        _fail(e)


def _sender(args, w3):
    from ledger.ethereum.deploy import default_sender
    from ledger.ethereum.settlement import KeyFileError, load_key_file
    from ledger.ethereum.chain import ChainError
    try:
        return load_key_file(args.key) if args.key else default_sender(w3)
    except (KeyFileError, ChainError) as e:
        _fail(e)


def _deployment(args, w3):
    from ledger.ethereum.config import ConfigError, load_deployment
    from ledger.ethereum.deploy import at
    try:
        d = load_deployment(args.deployment)
    except ConfigError as e:
        _fail(e)
    if w3.eth.chain_id != d["chain_id"]:
        _fail(f"deployment {args.deployment} is on chain {d['chain_id']}, the node is chain {w3.eth.chain_id}")
    return d, at(w3, "Settlement", d["settlement"]), at(w3, "TestToken", d["token"])


def _refused(e) -> int:
    import sys
    print(f"darkmatch: refused: {e}", file=sys.stderr)
    return 1


def run_up(args) -> int:
    import time
    from ledger.ethereum.chain import Anvil, ChainUnavailable
    node = Anvil(args.port, chain_id=args.chain_id)
    try:
        w3 = node.start()
    except ChainUnavailable as e:
        _fail(e)
    try:
        print(f"anvil on {node.url} (chain id {w3.eth.chain_id}); first account {w3.eth.accounts[0]}; "
              "Ctrl-C stops it", flush=True)
        while node.proc.poll() is None:
            time.sleep(0.5)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        node.stop()


def _ledger_layout_genesis(args, sender):
    """(layout, settlement genesis, Escape parameters or None) of a darkmatch ledger
    (``--ledger``): the N×K circuit's layout, each validator node's Ethereum address (its
    /status), the owners given; Escape's parameters when the genesis registers keys."""
    from ledger.core.genesis import load_genesis as load_ledger
    from ledger.ethereum.anchor import settlement_genesis
    from ledger.ethereum.settlement import settlement_layout
    from ledger.node.client import statuses
    if args.slots is None:
        _fail("--ledger needs --slots N (and --accounts K if not N): the operator's circuit")
    if not args.validator:
        _fail("--ledger needs every validator node's URL (--validator URL ...)")
    try:
        ledger = load_ledger(args.ledger)
    except ValueError as e:
        _fail(e)
    committee = {}
    for url, st in statuses(args.validator).items():
        if not isinstance(st, dict):
            _fail(f"validator {url}: {st}")
        address = (st.get("ethereum") or {}).get("address")
        if not address:
            _fail(f"validator {url} has no Ethereum key (eth.key)")
        committee[st.get("validator")] = address
    owners = {}
    for item in args.owner:
        ident, _, address = item.partition("=")
        if not ident.isdigit() or not address:
            _fail(f"--owner must be ACCOUNT=ADDRESS: {item!r}")
        owners[int(ident)] = address
    default = getattr(sender, "address", sender)
    owners = {a.account_id: owners.get(a.account_id, default) for a in ledger.accounts}
    try:
        genesis = settlement_genesis(ledger, committee, owners, stake_unit=args.stake_unit,
                                     cap_bps=args.cap_bps)
    except ValueError as e:
        _fail(e)
    k = args.slots if args.accounts is None else args.accounts
    from ledger.chain.rules import encryption_keys
    enc = encryption_keys(ledger)
    if not enc:
        return settlement_layout(args.slots, k), genesis, None
    from ledger.ethereum.escape import batch_params
    missing = [a for a in genesis.accounts if a not in enc]
    if missing:
        _fail(f"account {missing[0]} registers no encryption key: every account of an "
              "encrypted ledger needs one")
    if len(ledger.markets) != 1:
        _fail("Escape records one market's mark: the ledger must have one market")
    params = batch_params(args.slots, k, freeze_after=args.freeze_after,
                          mark=ledger.markets[0].mark_price, mm=ledger.markets[0].params.mm_bps,
                          keys=tuple(enc[a] for a in genesis.accounts))
    return settlement_layout(args.slots, k, encrypted=True), genesis, params


def run_deploy(args) -> int:
    from ledger.ethereum.chain import ChainError
    from ledger.ethereum.config import ConfigError, load_genesis, load_layout, write_deployment
    from ledger.ethereum.deploy import at, deploy, deploy_verifier
    from ledger.cli.evm import _vk
    vk = _vk(args.vk)
    w3 = _connect(args)
    sender = _sender(args, w3)
    params = None
    if args.ledger:
        layout, genesis, params = _ledger_layout_genesis(args, sender)
    else:
        if not (args.layout and args.genesis):
            _fail("give --ledger genesis.json (a darkmatch ledger) or --layout and --genesis")
        try:
            layout, genesis = load_layout(args.layout), load_genesis(args.genesis)
        except ConfigError as e:
            _fail(e)
    if layout.n_public != vk.n_public:
        _fail(f"layout has {layout.n_public} public inputs, the key {vk.n_public}")
    exit_vk = None
    if params is not None:
        if args.exit_ptau is None:
            _fail("the ledger registers encryption keys: Escape needs --exit-ptau FILE (the SRS "
                  "of the exit verifier's key)")
        from ledger.cli.escape import exit_srs
        from ledger.ethereum.escape import exit_keys, refusal_keys
        srs = exit_srs(args.exit_ptau)
        _, _, exit_vk = exit_keys(srs)
        _, _, refusal_vk = refusal_keys(srs)
    try:
        token = at(w3, "TestToken", args.token) if args.token else \
            deploy(w3, "TestToken", ("darkmatch test collateral", "DMUSD"), sender)
        if exit_vk is None:
            verifier = deploy_verifier(w3, vk, sender)
            settlement = deploy(w3, "Settlement", (verifier.address, token.address,
                                                   layout.to_abi(), genesis.to_abi()), sender)
        else:
            from ledger.ethereum.escape import deploy_escape
            verifier, _, settlement, token = deploy_escape(w3, vk, exit_vk, layout, genesis,
                                                           params, token=token, sender=sender,
                                                           refusal_vk=refusal_vk)
    except ChainError as e:
        return _refused(e)
    write_deployment(args.out, chain_id=w3.eth.chain_id, verifier=verifier.address,
                     settlement=settlement.address, token=token.address, ledger_id=genesis.ledger_id,
                     layout=layout)
    print(f"{'Escape' if exit_vk is not None else 'Settlement'} {settlement.address} (verifier {verifier.address}, token {token.address}); "
          f"wrote {args.out}")
    return 0


def run_status(args) -> int:
    w3 = _connect(args)
    d, s, _ = _deployment(args, w3)
    f = s.functions
    members, stakes = f.members().call()
    collateral, cap = f.collateral().call(), f.collateralCap().call()
    print(f"height {f.height().call()}  last block 0x{f.lastBlockHash().call().hex()}")
    print(f"committee {len(members)} members, total stake {f.totalStake().call()}")
    print(f"vault collateral {collateral} of cap {cap} ({collateral / cap if cap else 0:.1%}); "
          f"owed {f.owed().call()}; pending deposits {f.pendingDeposits().call()}")
    print(f"frozen {f.frozen().call()}")
    return 0


def run_deposit(args) -> int:
    from web3.logs import DISCARD
    from ledger.ethereum.chain import ChainError, send
    w3 = _connect(args)
    _, s, token = _deployment(args, w3)
    sender = _sender(args, w3)
    who = getattr(sender, "address", sender)
    try:
        if args.mint:
            send(w3, token.functions.mint(who, args.amount), sender, contract=token)
        send(w3, token.functions.approve(s.address, args.amount), sender, contract=token)
        receipt = send(w3, s.functions.deposit(args.account, args.amount), sender, contract=s)
    except ChainError as e:
        return _refused(e)
    index = s.events.Deposited().process_receipt(receipt, errors=DISCARD)[0]["args"]["index"]
    print(f"deposit #{index}: {args.amount} to account {args.account} queued "
          f"(credited when a block consumes it)")
    return 0


def run_claim(args) -> int:
    from web3.logs import DISCARD
    from ledger.ethereum.chain import ChainError, send
    w3 = _connect(args)
    _, s, _ = _deployment(args, w3)
    sender = _sender(args, w3)
    try:
        receipt = send(w3, s.functions.claim(args.account), sender, contract=s)
    except ChainError as e:
        return _refused(e)
    ev = s.events.Claimed().process_receipt(receipt, errors=DISCARD)[0]["args"]
    print(f"claimed {ev['amount']} for account {args.account} to {ev['to']}")
    return 0


def run_withdraw(args) -> int:
    """Sign a withdrawal request from the account's state the contract last settled."""
    import json
    from ledger.cli.account import load_account
    from ledger.core.keys import atomic_write
    from ledger.ethereum.withdrawals import new_withdrawal, request_to_json
    key, account, _ = load_account(args.account_dir)
    w3 = _connect(args)
    _, s, _ = _deployment(args, w3)
    commitment = s.functions.commitmentOf(account).call()
    if commitment == 0:
        _fail(f"account {account} has no commitment on the settlement contract")
    try:
        req = new_withdrawal(key, account, args.amount, commitment)
    except ValueError as e:
        _fail(e)
    os.makedirs(args.out, exist_ok=True)
    path = os.path.join(args.out, f"withdraw-{account}.json")
    atomic_write(path, (json.dumps(request_to_json(req), indent=1) + "\n").encode(), mode=0o644,
                 overwrite=True)
    print(f"withdrawal of {args.amount} from account {account} signed: {path} "
          "(give it to the operator: operator batch --withdrawals DIR)")
    return 0


def register(sub) -> None:
    from ledger.core.arguments import non_negative_int, rpc_url
    p = sub.add_parser("chain", help="a local Ethereum node and the settlement contract",
                       description="Start anvil; deploy, inspect and use the settlement contract.")
    s = p.add_subparsers(dest="chain_command", metavar="SUBCOMMAND", parser_class=type(p))

    up = s.add_parser("up", help="run anvil on 127.0.0.1 until Ctrl-C")
    up.add_argument("--port", type=int, default=8545)
    up.add_argument("--chain-id", type=int, default=31337)
    up.set_defaults(func=run_up)

    def common(q, deployment=True):
        q.add_argument("--rpc", default=DEFAULT_RPC, type=rpc_url, help="Ethereum JSON-RPC URL")
        q.add_argument("--key", help="Ethereum key file (0600) to send from; default: the node's first account")
        if deployment:
            q.add_argument("--deployment", default="deployment.json", help="written by `chain deploy`")

    d = s.add_parser("deploy", help="deploy verifier, settlement (and a test token)")
    common(d, deployment=False)
    d.add_argument("--vk", default="verification_key.json")
    d.add_argument("--ledger", metavar="FILE", help="a darkmatch ledger's genesis.json: the "
                   "layout and contract genesis follow from it, --slots/--accounts and the "
                   "validator nodes (--validator URL, their eth.key addresses)")
    d.add_argument("--slots", type=int, help="with --ledger: the operator's order slots N")
    d.add_argument("--accounts", type=int, help="with --ledger: account slots K (default N)")
    d.add_argument("--validator", action="append", default=[], metavar="URL",
                   help="with --ledger: a validator node (repeat for each)")
    d.add_argument("--owner", action="append", default=[], metavar="ACCOUNT=ADDRESS",
                   help="with --ledger: an account's withdrawal address (default: the sender)")
    d.add_argument("--stake-unit", type=non_negative_int, default=1,
                   help="with --ledger: collateral tokens per unit of ledger stake (default 1)")
    d.add_argument("--cap-bps", type=non_negative_int, default=10_000,
                   help="with --ledger: collateral cap in basis points of the stake (default 10000)")
    d.add_argument("--exit-ptau", metavar="FILE", help="with --ledger whose genesis registers "
                   "encryption keys: the SRS the exit verifier's key is made from")
    d.add_argument("--freeze-after", type=non_negative_int, default=7 * 24 * 3600,
                   metavar="SECONDS",
                   help="with an encrypted --ledger: Escape's freeze time (default 7 days)")
    d.add_argument("--layout", help="public-input layout JSON (without --ledger)")
    d.add_argument("--genesis", help="settlement genesis JSON (without --ledger)")
    d.add_argument("--token", help="existing ERC-20 collateral token (default: deploy a TestToken)")
    d.add_argument("--out", default="deployment.json")
    d.set_defaults(func=run_deploy)

    st = s.add_parser("status", help="height, committee, vault and cap")
    common(st)
    st.set_defaults(func=run_status)

    dp = s.add_parser("deposit", help="queue a deposit for an account")
    common(dp)
    dp.add_argument("--account", type=non_negative_int, required=True)
    dp.add_argument("--amount", type=non_negative_int, required=True)
    dp.add_argument("--mint", action="store_true", help="mint the amount first (test token only)")
    dp.set_defaults(func=run_deposit)

    wd = s.add_parser("withdraw", help="sign a withdrawal request for the operator")
    common(wd)
    wd.add_argument("--account-dir", required=True, help="the trader's account folder (key.pem)")
    wd.add_argument("--amount", type=non_negative_int, required=True)
    wd.add_argument("--out", default="withdrawals", help="folder for withdraw-<id>.json")
    wd.set_defaults(func=run_withdraw)

    cl = s.add_parser("claim", help="claim an account's settled withdrawals (as its owner)")
    common(cl)
    cl.add_argument("--account", type=non_negative_int, required=True)
    cl.set_defaults(func=run_claim)

    from ledger.cli.escape import register_chain
    register_chain(s, DEFAULT_RPC)
