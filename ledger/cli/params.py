"""``darkmatch params approve|submit``: parameter changes by quorum from the command line.

* ``params approve --home NODE_DIR --change change.json [--out FILE]`` — run by
  each validator on its own node home: signs the change for the ledger's
  current head (``ledger.chain.params.change_bytes``: genesis hash, head height,
  the change) with the node's key and writes an approval document
  ``{"kind": "darkmatch-param-approval", "version": 1, "validator", "height",
  "change", "signature"}`` (stdout by default).  The change is first applied
  to a throw-away copy of the node's ledger: one that no node would apply
  (margins out of order, a string, a list or a null where a number goes, an
  unknown market or validator key) is refused, one line, nothing signed.
* ``params submit --approval FILE … --validator URL …`` — gathers the
  approvals (one change, one height), and sends the change with its
  signatures to every node (``POST /param-change``); each node re-checks the
  signatures and the > 2/3 stake quorum before applying it.  Exit 0 when every
  node applied it (or already had), 1 when one refused (its reason printed),
  2 for bad input.

A change is ``{"kind": "market", "market_id", "im_bps", "mm_bps", "fee_bps",
"band_bps"}`` or ``{"kind": "validator", "name", "public_key", "stake"}``.
"""

import json
import os

__all__ = ["register", "run_approve", "run_submit", "APPROVAL_KIND"]

APPROVAL_KIND = "darkmatch-param-approval"
_CHANGE_FIELDS = {"market": {"kind", "market_id", "im_bps", "mm_bps", "fee_bps", "band_bps"},
                  "validator": {"kind", "name", "public_key", "stake"}}


def _load_change(path):
    from ledger.cli.main import UserError
    from ledger.core.codec import CodecError, load_json_file
    try:
        change = load_json_file(path, "parameter change")
    except CodecError as e:
        raise UserError(str(e)) from None
    fields = _CHANGE_FIELDS.get(change.get("kind")) if isinstance(change, dict) else None
    if fields is None:
        raise UserError(f"{path}: a change is an object with kind 'market' or 'validator'")
    if set(change) != fields:
        raise UserError(f"{path}: a {change['kind']} change has exactly the fields "
                        f"{', '.join(sorted(fields))}")
    return change


def _dry_run(store_path, change, height, path) -> None:
    """Apply ``change`` to a throw-away copy of the node's ledger: a change no node would
    apply (``im_bps < mm_bps``, a string or null value, an unknown market, a slashed
    validator's return…) is refused here rather than signed."""
    import sqlite3
    import tempfile

    from ledger.cli.main import UserError
    from ledger.chain.store import Store
    with tempfile.TemporaryDirectory(prefix="darkmatch-approve-") as tmp:
        copy = os.path.join(tmp, "node.db")
        src = sqlite3.connect(f"file:{store_path}?mode=ro", uri=True, timeout=10)
        try:
            dst = sqlite3.connect(copy)
            try:
                src.backup(dst)
            finally:
                dst.close()
        except sqlite3.Error as e:
            raise UserError(f"cannot read {store_path}: {e}") from None
        finally:
            src.close()
        with Store.open(copy) as store:
            try:
                store.apply_param_change(change, expected_height=height)
            except ValueError as e:
                raise UserError(f"{path}: no node would apply this change: {e}") from None


def run_approve(args) -> int:
    from ledger.cli.main import UserError
    from ledger.core.keys import KeyFileError, atomic_write, load_private_key, public_key_hex
    from ledger.node.service import KEY_FILE, STORE_FILE
    from ledger.chain.params import sign_change
    from ledger.chain.store import Store, StoreError
    change = _load_change(args.change)
    store_path = os.path.join(args.home, STORE_FILE)
    if not os.path.isfile(store_path):
        raise UserError(f"{args.home} is not a validator home (no {STORE_FILE})")
    try:
        key = load_private_key(os.path.join(args.home, KEY_FILE))
        with Store.open(store_path) as store:
            height, gh = store.head()[0], store.genesis_hash()
            names = [v.name for v in store.validators() if v.public_key == public_key_hex(key)]
    except (KeyFileError, StoreError) as e:
        raise UserError(str(e)) from None
    if not names:
        raise UserError(f"the key in {args.home} is not a validator of this ledger")
    _dry_run(store_path, change, height, args.change)
    doc = {"kind": APPROVAL_KIND, "version": 1, "validator": names[0], "height": height,
           "change": change, "signature": sign_change(key, gh, height, change).hex()}
    text = json.dumps(doc, indent=1) + "\n"
    if args.out:
        try:
            atomic_write(args.out, text.encode(), mode=0o644)
        except FileExistsError:
            raise UserError(f"{args.out} already exists") from None
        print(f"validator {names[0]} approved the change at height {height}: {args.out}")
    else:
        print(text, end="")
    return 0


def _load_approvals(paths):
    from ledger.cli.main import UserError
    from ledger.core.codec import CodecError, check_object, get_hex, get_int, get_str, load_json_file
    from ledger.core.genesis import NAME_PATTERN
    from ledger.core.keys import SIGNATURE_BYTES
    out = []
    for path in paths:
        try:
            doc = check_object(load_json_file(path, "approval"), f"approval {path}",
                               APPROVAL_KIND, 1, ("validator", "height", "change", "signature"))
            out.append((get_str(doc, "validator", path, NAME_PATTERN),
                        get_int(doc, "height", path, 0, 1 << 63), doc["change"],
                        get_hex(doc, "signature", path, SIGNATURE_BYTES)))
        except CodecError as e:
            raise UserError(str(e)) from None
    if len({json.dumps(c, sort_keys=True) for _, _, c, _ in out}) != 1:
        raise UserError("the approvals are for different changes")
    if len({h for _, h, _, _ in out}) != 1:
        raise UserError("the approvals are for different heights")
    return out


def run_submit(args) -> int:
    from ledger.cli.main import UserError
    from ledger.node.client import NetworkError, NodeClient
    from ledger.chain.params import approval_to_json
    if not args.validator:
        raise UserError("give the nodes with --validator URL (one per node)")
    approvals = _load_approvals(args.approval)
    _, height, change, _ = approvals[0]
    doc = approval_to_json(change, height, [(n, sig) for n, _, _, sig in approvals])
    failed = 0
    for url in args.validator:
        try:
            ans = NodeClient(url, args.timeout).param_change(doc)
            print(f"{url}: {ans.get('status')}")
        except NetworkError as e:
            failed += 1
            print(f"{url}: refused: {e}")
    return 1 if failed else 0


def register(sub) -> None:
    from ledger.core.arguments import node_url, timeout_seconds
    p = sub.add_parser("params", help="approve or submit a parameter change (quorum of stake)",
                       description="Parameter changes by quorum: approve (a validator) or "
                                   "submit (anyone, with enough approvals).")
    s = p.add_subparsers(dest="params_command", metavar="ACTION", required=True,
                         parser_class=type(p))
    a = s.add_parser("approve", help="sign a change with a validator node's key",
                     description="Sign a parameter change for the ledger's current head.")
    a.add_argument("--home", required=True, metavar="DIR", help="the validator's node home")
    a.add_argument("--change", required=True, metavar="FILE", help="the change (JSON)")
    a.add_argument("--out", metavar="FILE", help="write the approval here (default: stdout)")
    a.set_defaults(func=run_approve)
    b = s.add_parser("submit", help="send a change with its approvals to every node",
                     description="Send a parameter change with its validators' approvals.")
    b.add_argument("--approval", nargs="+", required=True, metavar="FILE")
    b.add_argument("--validator", action="append", default=[], metavar="URL", type=node_url)
    b.add_argument("--timeout", type=timeout_seconds, default=30.0)
    b.set_defaults(func=run_submit)
