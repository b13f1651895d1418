"""``darkmatch genesis new|show``: write or inspect a ledger's genesis file.

    darkmatch genesis new --chain-id dm-1 --out genesis.json \\
        --market 1,1000,500,10,500,50000 \\          # id, im, mm, fee, band (bps), mark price
        --validator v0,<public key hex>,100 \\       # name, key (`validator key` prints it), stake
        --account alice/,1000000 \\                   # account dir or account.json, cash[, market]
        --operator op/                               # the proposer's key: account dir, public
                                                     # key file (hex) or key.pem

A ``--market`` with five more values,
``…,mark,liquidation,insurance_share,funding_rate,funding_cap,fund`` (bps, and the
insurance fund's initial balance), is a perpetual market whose mark comes from
the validators' oracle quorum (docs/perpetual.md).

Every entry is checked by ``ledger.core.genesis`` (the same rules a node applies
when it loads the file); a bad one is one line naming it, and nothing is
written.  ``genesis show FILE`` prints the chain id, the genesis hash, the
markets, validators with their stakes and the accounts.
"""

import json
import os

__all__ = ["register", "run_new", "run_show"]


def _ints(text, what, n_min, n_max):
    from ledger.cli.main import UserError
    parts = text.split(",")
    if not n_min <= len(parts) <= n_max:
        raise UserError(f"{what} {text!r}: expected {n_min}" +
                        (f" to {n_max}" if n_max != n_min else "") + " comma-separated values")
    try:
        return [int(p) for p in parts]
    except ValueError:
        raise UserError(f"{what} {text!r}: values must be integers") from None


def _market(text):
    from circuits.settlement_data import MarketParams
    from ledger.cli.main import UserError
    from ledger.core.genesis import GenesisMarket, PerpConfig
    if text.count(",") + 1 not in (6, 11):
        raise UserError(f"--market {text!r}: expected 6 comma-separated values "
                        "(11 for a perpetual market)")
    values = _ints(text, "--market", 6, 11)
    mid, im, mm, fee, band, mark = values[:6]
    try:
        if len(values) == 6:
            return GenesisMarket(MarketParams(mid, im, mm, fee, band), mark)
        liq, share, rate, cap, fund = values[6:]
        return GenesisMarket(MarketParams(mid, im, mm, fee, band, liq, share), mark,
                             PerpConfig(True, rate, cap, fund))
    except ValueError as e:
        raise UserError(f"--market {text!r}: {e}") from None


def _validator(text):
    from ledger.cli.main import UserError
    from ledger.core.genesis import GenesisValidator
    parts = text.split(",")
    if len(parts) != 3:
        raise UserError(f"--validator {text!r}: expected NAME,PUBLIC_KEY_HEX,STAKE")
    name, key, stake = parts
    try:
        return GenesisValidator(name, int(stake), key)
    except ValueError:
        raise UserError(f"--validator {text!r}: the stake must be an integer") from None


def _account(text):
    from ledger.cli.main import UserError
    from ledger.cli.account import ACCOUNT_FILE, load_account_public, load_encryption_public
    from ledger.core.genesis import GenesisAccount
    path, _, rest = text.partition(",")
    if not rest:
        raise UserError(f"--account {text!r}: expected DIR_OR_ACCOUNT_JSON,CASH[,MARKET]")
    values = _ints(rest, "--account", 1, 2)
    directory = os.path.dirname(path) if path.endswith(ACCOUNT_FILE) else path
    account_id, public_key = load_account_public(directory or ".")
    return GenesisAccount(account_id, public_key, values[0], values[1] if len(values) > 1 else None,
                          load_encryption_public(directory or "."))


def _operator(path):
    """The operator's public key (hex) from an account directory, a file holding the hex
    public key, or a private key file (PEM)."""
    from ledger.cli.account import ACCOUNT_FILE, load_account_public
    from ledger.cli.main import UserError
    from ledger.core import keys
    if path is None:
        return None
    if os.path.isdir(path) or path.endswith(ACCOUNT_FILE):
        return load_account_public(path if os.path.isdir(path) else os.path.dirname(path))[1]
    try:
        with open(path, "rb") as f:
            data = f.read(1 << 16)
    except OSError as e:
        raise UserError(f"--operator {path}: {e.strerror or e}") from None
    text = data.decode("ascii", "replace").strip()
    if text.startswith("-----BEGIN"):
        try:
            return keys.public_key_hex(keys.load_private_key(path))
        except ValueError as e:
            raise UserError(f"--operator {path}: {e}") from None
    try:
        keys.public_key_from_hex(text)
    except ValueError:
        raise UserError(f"--operator {path}: expected an account directory, a public key "
                        "file (64 hex digits) or a private key file") from None
    return text


def run_new(args) -> int:
    from ledger.cli.main import UserError
    from ledger.core.genesis import Genesis, GenesisError, genesis_hash, genesis_to_json
    from ledger.core.keys import atomic_write
    try:
        g = Genesis(args.chain_id, [_market(m) for m in args.market],
                    [_validator(v) for v in args.validator], [_account(a) for a in args.account],
                    _operator(args.operator))
    except GenesisError as e:
        raise UserError(str(e)) from None
    if os.path.lexists(args.out) and not args.force:
        raise UserError(f"{args.out} already exists (use --force to replace it)")
    try:
        atomic_write(args.out, (json.dumps(genesis_to_json(g), indent=1) + "\n").encode(),
                     mode=0o644, overwrite=args.force)
    except OSError as e:
        raise UserError(f"cannot write {args.out}: {e.strerror or e}") from None
    print(f"genesis {genesis_hash(g)} of chain {g.chain_id}: {len(g.markets)} market(s), "
          f"{len(g.validators)} validator(s), {len(g.accounts)} account(s) -> {args.out}")
    return 0


def run_show(args) -> int:
    from ledger.cli.main import UserError
    from ledger.core.genesis import GenesisError, genesis_hash, load_genesis
    try:
        g = load_genesis(args.file)
    except GenesisError as e:
        raise UserError(str(e)) from None
    print(f"chain {g.chain_id}, genesis {genesis_hash(g)}")
    for m in g.markets:
        p = m.params
        print(f"market {p.market_id}: im {p.im_bps} mm {p.mm_bps} fee {p.fee_bps} band "
              f"{p.band_bps} bps, mark {m.mark_price}")
    total = sum(v.stake for v in g.validators)
    for v in g.validators:
        print(f"validator {v.name}: stake {v.stake} of {total}, key {v.public_key}")
    if g.operator is not None:
        print(f"operator: key {g.operator}")
    for a in g.accounts:
        print(f"account {a.account_id}: market {a.market_id}, cash {a.cash}, key {a.public_key}")
    return 0


def register(sub) -> None:
    p = sub.add_parser("genesis", help="write or inspect a genesis file",
                       description="Write or inspect a ledger's genesis file.")
    s = p.add_subparsers(dest="genesis_command", metavar="ACTION", required=True,
                         parser_class=type(p))
    n = s.add_parser("new", help="write a checked genesis file",
                     description="Write a genesis from markets, validators and accounts.")
    n.add_argument("--chain-id", required=True)
    n.add_argument("--market", action="append", default=[], required=True,
                   metavar="ID,IM,MM,FEE,BAND,MARK", help="a market (bps; mark price in ticks)")
    n.add_argument("--validator", action="append", default=[], required=True,
                   metavar="NAME,KEY,STAKE", help="a validator: name, public key hex, stake")
    n.add_argument("--account", action="append", default=[], metavar="DIR,CASH[,MARKET]",
                   help="an account: its directory (or account.json), cash, market")
    n.add_argument("--operator", metavar="DIR_OR_FILE",
                   help="the operator's key, who alone may propose blocks: an account "
                        "directory, a public key file (hex) or a key.pem")
    n.add_argument("--out", default="genesis.json", help="where to write (default genesis.json)")
    n.add_argument("--force", action="store_true", help="replace an existing file")
    n.set_defaults(func=run_new)
    sh = s.add_parser("show", help="print a genesis file", description="Print a genesis file.")
    sh.add_argument("file", metavar="FILE")
    sh.set_defaults(func=run_show)
