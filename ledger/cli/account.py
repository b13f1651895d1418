"""``darkmatch account new|show``: a trader's account key on disk.

An account directory holds two files:

* ``key.pem`` — the Ed25519 private key (PKCS#8 PEM, mode 0600, see ``ledger.core.keys``);
* ``account.json`` — ``{"kind": "darkmatch-account", "version": 1,
  "account_id": int, "public_key": hex64}``, the public half, to hand to
  whoever writes the genesis or registers the account.

``account new`` refuses to replace either file unless ``--force``, and writes
nothing when it refuses.  Without ``--id`` the account id is derived from the
key: the first 40 bits of SHA-256(b"darkmatch/account-id/v1" ‖ 0x00 ‖ raw
public key) — a default that makes ids unique with high probability for small
ledgers; the genesis (which refuses duplicate ids) has the last word.
``account show`` prints the id and key and checks that the two files match.
"""

import hashlib
import json
import os

from ledger.core.domains import ACCOUNT_ID_DOMAIN

__all__ = ["register", "run_new", "run_show", "load_account", "load_account_public",
           "derive_account_id", "KEY_FILE", "ACCOUNT_FILE", "ACCOUNT_KIND"]

KEY_FILE = "key.pem"
ACCOUNT_FILE = "account.json"
ACCOUNT_KIND = "darkmatch-account"


def derive_account_id(public_key_hex: str) -> int:
    """The default 40-bit account id of a public key (see module doc)."""
    digest = hashlib.sha256(ACCOUNT_ID_DOMAIN + bytes.fromhex(public_key_hex))
    return int.from_bytes(digest.digest()[:5], "big")


def load_account_public(directory):
    """(account_id, public key hex) from ``directory``/account.json; one-line errors."""
    from circuits.settlement_data import ACCOUNT_BITS
    from ledger.cli.main import UserError
    from ledger.core.codec import check_object, get_int, load_json_file
    from ledger.core.keys import public_key_from_hex
    path = os.path.join(directory, ACCOUNT_FILE)
    try:
        obj = check_object(load_json_file(path, "account"), f"account file {path}",
                           ACCOUNT_KIND, 1, ("account_id", "public_key"))
        account_id = get_int(obj, "account_id", f"account file {path}", 0, 1 << ACCOUNT_BITS)
        public_key_from_hex(obj["public_key"])
    except ValueError as e:
        raise UserError(str(e)) from None
    return account_id, obj["public_key"]


def load_account(directory):
    """(private key, account_id, public key hex) from an account directory, checked to match."""
    from ledger.cli.main import UserError
    from ledger.core.keys import KeyFileError, load_private_key, public_key_hex
    account_id, pub = load_account_public(directory)
    try:
        key = load_private_key(os.path.join(directory, KEY_FILE))
    except KeyFileError as e:
        raise UserError(str(e)) from None
    if public_key_hex(key) != pub:
        raise UserError(f"{os.path.join(directory, KEY_FILE)} does not hold the key of "
                        f"{os.path.join(directory, ACCOUNT_FILE)}")
    return key, account_id, pub


def run_new(args) -> int:
    from circuits.settlement_data import ACCOUNT_BITS
    from ledger.cli.main import UserError
    from ledger.core.keys import atomic_write, generate, public_key_hex, save_private_key

    out = args.out
    if os.path.exists(out) and not os.path.isdir(out):
        raise UserError(f"--out is not a directory: {out}")
    if args.id is not None and not 0 <= args.id < 1 << ACCOUNT_BITS:
        raise UserError(f"--id must be in [0, 2^{ACCOUNT_BITS})")
    key_path, acct_path = os.path.join(out, KEY_FILE), os.path.join(out, ACCOUNT_FILE)
    for path in (key_path, acct_path):
        if os.path.lexists(path) and not args.force:
            raise UserError(f"{path} already exists (use --force to replace the account)")
    key = generate()
    pub = public_key_hex(key)
    account_id = derive_account_id(pub) if args.id is None else args.id
    doc = {"kind": ACCOUNT_KIND, "version": 1, "account_id": account_id, "public_key": pub}
    made_dir = not os.path.isdir(out)
    try:
        os.makedirs(out, mode=0o700, exist_ok=True)
    except OSError as e:
        raise UserError(f"cannot create {out}: {e.strerror or e}") from None
    key_existed = os.path.lexists(key_path)
    try:
        save_private_key(key, key_path, overwrite=args.force)
        atomic_write(acct_path, (json.dumps(doc, indent=2) + "\n").encode(), mode=0o644,
                     overwrite=args.force)
    except BaseException as e:
        if not key_existed and os.path.lexists(key_path):
            os.unlink(key_path)
        if made_dir:
            try:
                os.rmdir(out)
            except OSError:
                pass
        if isinstance(e, FileExistsError):
            raise UserError(f"{e.filename or out} already exists (use --force)") from None
        if isinstance(e, OSError):
            raise UserError(f"cannot write the account: {e.strerror or e}") from None
        raise
    print(f"account {account_id}")
    print(f"public key {pub}")
    print(f"wrote {key_path} (private, mode 0600) and {acct_path}")
    return 0


def run_show(args) -> int:
    key, account_id, pub = load_account(args.account_dir)
    print(f"account {account_id}")
    print(f"public key {pub}")
    print(f"key file {os.path.join(args.account_dir, KEY_FILE)} (matches account.json)")
    return 0


def register(sub) -> None:
    p = sub.add_parser("account", help="create or show a trader's account key",
                       description="Create or show an account key (Ed25519).")
    s = p.add_subparsers(dest="account_command", metavar="ACTION", required=True,
                         parser_class=type(p))
    n = s.add_parser("new", help="make a key pair: key.pem (0600) and account.json",
                     description="Generate an Ed25519 account key into DIR/key.pem (mode 0600) "
                                 "and DIR/account.json.")
    n.add_argument("--out", default=".", metavar="DIR", help="account directory (default: .)")
    n.add_argument("--id", type=int, default=None,
                   help="account id (default: derived from the public key)")
    n.add_argument("--force", action="store_true", help="replace an existing account's files")
    n.set_defaults(func=run_new)
    sh = s.add_parser("show", help="print the account id and public key",
                      description="Print the account id and public key, checking key.pem "
                                  "against account.json.")
    sh.add_argument("--account-dir", default=".", metavar="DIR",
                    help="account directory (default: .)")
    sh.set_defaults(func=run_show)
