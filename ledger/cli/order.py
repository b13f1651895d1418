"""``darkmatch order new|show``: commit to an order locally, sign it, inspect order files.

``order new`` reads the account directory (``key.pem`` + ``account.json``, see
``ledger.cli.account``), makes the Pedersen commitment and signature with
``ledger.core.orders.new_order`` and writes two files into ``--out``:

* ``order-<id>.json`` — the public, signed order (mode 0644): send it to the
  operator and the validators;
* ``order-<id>.opening.json`` — the private opening (mode 0600): send it to
  the operator only, over a private channel;

where ``<id>`` is the first 16 hex digits of the order's nullifier.  Every
input is checked before anything is written (a bad price, size or side, a
missing or wrong key file: one line on stderr, exit 2, no file).
``--expiry`` defaults to never (2^64 − 1); below 1 (expired before the
first block) it is refused.  With ``--genesis`` the order is
also checked against the ledger's genesis before anything is written: the
market must exist, the account must be registered with this key, and the
account must trade that market (one market per account, ``ledger.core.genesis``).

``order show FILE`` prints an order or an opening file; with
``--account-dir`` it checks the order's signature against that account's
public key, with ``--opening`` that the opening opens the order.  Exit status:
0 when every requested check passes, 1 when one fails, 2 for bad input.
"""

import json
import os

__all__ = ["register", "run_new", "run_show"]


def _describe(side, size, price, market) -> str:
    return f"{side} {size} @ {price} in market {market}"


def _check_against_genesis(path, account_id, public_key, market) -> None:
    from ledger.cli.main import UserError
    from ledger.core.genesis import GenesisError, load_genesis
    try:
        genesis = load_genesis(path)
    except GenesisError as e:
        raise UserError(str(e)) from None
    markets = sorted(m.params.market_id for m in genesis.markets)
    if market not in markets:
        raise UserError(f"unknown market {market} (the genesis has markets "
                        f"{', '.join(map(str, markets))})")
    accounts = {a.account_id: a for a in genesis.accounts}
    if account_id not in accounts:
        raise UserError(f"account {account_id} is not in the genesis {path}")
    if accounts[account_id].public_key != public_key:
        raise UserError(f"account {account_id} is registered with another key in the genesis")
    if accounts[account_id].market_id != market:
        raise UserError(f"account {account_id} trades market {accounts[account_id].market_id}, "
                        f"not {market}")


def run_new(args) -> int:
    from ledger.cli.main import UserError
    from ledger.cli.account import load_account
    from ledger.core.keys import atomic_write
    from ledger.core.orders import NO_EXPIRY, new_order, opening_to_json, order_to_json

    out = args.out
    if os.path.exists(out) and not os.path.isdir(out):
        raise UserError(f"--out is not a directory: {out}")
    expiry = NO_EXPIRY if args.expiry is None else args.expiry
    if expiry == 0:                  # a negative one is refused by the order's own range check
        raise UserError(f"--expiry {expiry}: the order would be expired before block 1 "
                        "(the last height that may include it; at least 1)")
    key, account_id, public_key = load_account(args.account_dir)
    if args.genesis:
        _check_against_genesis(args.genesis, account_id, public_key, args.market)
    try:
        order, opening = new_order(key, account_id, args.market, args.side, args.price,
                                   args.size, expiry)
    except ValueError as e:
        raise UserError(f"bad order: {e}") from None
    oid = order.nullifier()[:16]
    order_path = os.path.join(out, f"order-{oid}.json")
    opening_path = os.path.join(out, f"order-{oid}.opening.json")
    made_dir = not os.path.isdir(out)
    written = []
    try:
        os.makedirs(out, exist_ok=True)
        atomic_write(order_path, (json.dumps(order_to_json(order), indent=2) + "\n").encode(),
                     mode=0o644)
        written.append(order_path)
        atomic_write(opening_path, (json.dumps(opening_to_json(opening), indent=2) + "\n")
                     .encode(), mode=0o600)
        written.append(opening_path)
    except OSError as e:
        for path in written:
            os.unlink(path)
        if made_dir:
            try:
                os.rmdir(out)
            except OSError:
                pass
        raise UserError(f"cannot write the order files into {out}: {e.strerror or e}") from None
    print(f"order {oid}: {_describe(args.side, args.size, args.price, args.market)}, "
          f"account {account_id}, "
          + ("never expires" if expiry == NO_EXPIRY else f"expires after height {expiry}"))
    print(f"public order: {order_path}")
    print(f"private opening (send only to the operator): {opening_path}")
    return 0


def _read(path, what):
    from ledger.cli.main import UserError
    from ledger.core.codec import load_json_file
    try:
        return load_json_file(path, what)
    except ValueError as e:
        raise UserError(str(e)) from None


def run_show(args) -> int:
    from ledger.cli.main import UserError
    from ledger.cli.account import load_account_public
    from ledger.core.orders import (
        NO_EXPIRY,
        OPENING_KIND,
        opening_from_json,
        opening_matches,
        order_from_json,
        verify_order_signature,
    )
    obj = _read(args.file, "order")
    if isinstance(obj, dict) and obj.get("kind") == OPENING_KIND:
        if args.opening or args.account_dir:
            raise UserError(f"{args.file} is an opening; --opening and --account-dir need "
                            "the public order file")
        try:
            op = opening_from_json(obj, f"opening {args.file}")
        except ValueError as e:
            raise UserError(str(e)) from None
        x, y = op.commitment()
        print(f"opening (private): {_describe(op.side, op.size, op.price, op.market)}, "
              f"account {op.account}, nonce {op.nonce}")
        print(f"commitment x {x}")
        print(f"commitment y {y}")
        return 0
    try:
        order = order_from_json(obj, f"order {args.file}")
        opening = None if args.opening is None else opening_from_json(
            _read(args.opening, "opening"), f"opening {args.opening}")
    except ValueError as e:
        raise UserError(str(e)) from None
    pub = None
    if args.account_dir is not None:
        account_id, pub = load_account_public(args.account_dir)
        if account_id != order.account:
            raise UserError(f"{args.account_dir} is account {account_id}, the order is "
                            f"account {order.account}'s")
    x, y = order.commitment
    expiry = order.expiry_height
    print(f"order {order.nullifier()[:16]}: account {order.account}, market {order.market}, "
          + ("never expires" if expiry == NO_EXPIRY else f"expires after height {expiry}"))
    print(f"nullifier {order.nullifier()}")
    print(f"commitment x {x}")
    print(f"commitment y {y}")
    ok = True
    if pub is not None:
        good = verify_order_signature(order, pub)
        ok &= good
        print("signature: " + ("valid" if good else "INVALID") + f" for account {order.account}")
    else:
        print("signature: not checked (give --account-dir)")
    if opening is not None:
        good = opening_matches(order, opening)
        ok &= good
        what = _describe(opening.side, opening.size, opening.price, opening.market)
        print("opening: " + (f"matches ({what})" if good else "does NOT open this order"))
    return 0 if ok else 1


def register(sub) -> None:
    p = sub.add_parser("order", help="commit to and sign an order, or inspect order files",
                       description="Commit to an order locally (Pedersen), sign it, and keep "
                                   "the opening private.")
    s = p.add_subparsers(dest="order_command", metavar="ACTION", required=True,
                         parser_class=type(p))
    n = s.add_parser("new", help="commit, sign and write the public order and private opening",
                     description="Commit to an order, sign the public part with the account "
                                 "key, write the order and its opening (0600).")
    n.add_argument("--market", type=int, required=True, help="market id")
    n.add_argument("--side", choices=("buy", "sell"), required=True)
    n.add_argument("--price", type=int, required=True, help="limit price in ticks (1 … 2^32-1)")
    n.add_argument("--size", type=int, required=True, help="size in lots (1 … 2^32-1)")
    n.add_argument("--expiry", type=int, default=None, metavar="H",
                   help="last block height that may include the order (default: never)")
    n.add_argument("--account-dir", default=".", metavar="DIR",
                   help="account directory with key.pem and account.json (default: .)")
    n.add_argument("--out", default=".", metavar="DIR", help="where to write (default: .)")
    n.add_argument("--genesis", metavar="FILE",
                   help="check the market and the account against this genesis first")
    n.set_defaults(func=run_new)
    sh = s.add_parser("show", help="print an order or opening file and check it",
                      description="Print an order or opening file; optionally check the "
                                  "signature and the opening.")
    sh.add_argument("file", metavar="FILE", help="order-….json or order-….opening.json")
    sh.add_argument("--opening", metavar="FILE", help="check that this opening opens the order")
    sh.add_argument("--account-dir", metavar="DIR",
                    help="check the signature against DIR/account.json's public key")
    sh.set_defaults(func=run_show)
