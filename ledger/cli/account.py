"""``darkmatch account new|show|state``: a trader's account keys on disk, and its state.

An account directory holds three files:

* ``key.pem`` — the Ed25519 private key (PKCS#8 PEM, mode 0600, see ``ledger.core.keys``);
* ``encryption.key`` — the Baby Jubjub secret its openings are encrypted to (mode 0600,
  ``ledger.core.custody``);
* ``account.json`` — ``{"kind": "darkmatch-account", "version": 1,
  "account_id": int, "public_key": hex64, "encryption_key": {"x": dec, "y": dec}}``, the
  public half, to hand to whoever writes the genesis or registers the account
  (``encryption_key`` is optional when reading: older directories have none).

``account new`` refuses to replace any file unless ``--force``, and writes
nothing when it refuses.  Without ``--id`` the account id is derived from the
key: the first 40 bits of SHA-256(b"darkmatch/account-id/v1" ‖ 0x00 ‖ raw
public key) — a default that makes ids unique with high probability for small
ledgers; the genesis (which refuses duplicate ids) has the last word.
``account show`` prints the id and keys and checks that the files match.
``account state --node URL`` recovers the account's state from the node's blocks
alone (``ledger.core.custody.recover``) and prints it with its margin (``--out FILE``
also writes it as a states file, refusing to replace one, for ``operator recover``); ``--rpc URL
--escape ADDRESS`` does it from the Escape contract's events instead, checked against
the commitment the contract stores.
"""

import hashlib
import json
import os

from ledger.core.domains import ACCOUNT_ID_DOMAIN

__all__ = ["register", "run_new", "run_show", "run_state", "recover_from_node",
           "recover_from_escape", "escape_contract", "load_account",
           "load_account_public", "load_encryption_public", "load_encryption_secret",
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
                           ACCOUNT_KIND, 1, ("account_id", "public_key"), ("encryption_key",))
        account_id = get_int(obj, "account_id", f"account file {path}", 0, 1 << ACCOUNT_BITS)
        public_key_from_hex(obj["public_key"])
    except ValueError as e:
        raise UserError(str(e)) from None
    return account_id, obj["public_key"]


def load_encryption_public(directory):
    """The account's registered encryption key (x, y) from account.json, or None."""
    from ledger.cli.main import UserError
    from ledger.core.codec import load_json_file
    from ledger.core.custody import CustodyError, key_from_json
    load_account_public(directory)
    path = os.path.join(directory, ACCOUNT_FILE)
    obj = load_json_file(path, "account")
    if "encryption_key" not in obj:
        return None
    try:
        return key_from_json(obj["encryption_key"], f"account file {path}: encryption_key")
    except CustodyError as e:
        raise UserError(str(e)) from None


def load_encryption_secret(directory):
    """The secret a from encryption.key, checked against account.json's key."""
    from ledger.cli.main import UserError
    from ledger.core.custody import ENCRYPTION_KEY_FILE, CustodyError, load_encryption_key
    public = load_encryption_public(directory)
    try:
        a, A = load_encryption_key(os.path.join(directory, ENCRYPTION_KEY_FILE))
    except CustodyError as e:
        raise UserError(str(e)) from None
    if public is not None and A != public:
        raise UserError(f"{os.path.join(directory, ENCRYPTION_KEY_FILE)} does not hold the "
                        f"encryption key of {os.path.join(directory, ACCOUNT_FILE)}")
    return a


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
    from ledger.core.custody import ENCRYPTION_KEY_FILE, key_to_json, new_encryption_key
    key_path, acct_path = os.path.join(out, KEY_FILE), os.path.join(out, ACCOUNT_FILE)
    enc_path = os.path.join(out, ENCRYPTION_KEY_FILE)
    for path in (key_path, enc_path, acct_path):
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
    fresh = [p for p in (key_path, enc_path) if not os.path.lexists(p)]
    try:
        save_private_key(key, key_path, overwrite=args.force)
        _, enc_public = new_encryption_key(enc_path, overwrite=args.force)
        doc["encryption_key"] = key_to_json(enc_public)
        atomic_write(acct_path, (json.dumps(doc, indent=2) + "\n").encode(), mode=0o644,
                     overwrite=args.force)
    except BaseException as e:
        for path in fresh:
            if os.path.lexists(path):
                os.unlink(path)
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
    print(f"encryption key {doc['encryption_key']['x']},{doc['encryption_key']['y']}")
    print(f"wrote {key_path} and {enc_path} (private, mode 0600) and {acct_path}")
    return 0


def run_show(args) -> int:
    key, account_id, pub = load_account(args.account_dir)
    print(f"account {account_id}")
    print(f"public key {pub}")
    print(f"key file {os.path.join(args.account_dir, KEY_FILE)} (matches account.json)")
    enc_public = load_encryption_public(args.account_dir)
    if enc_public is not None:
        load_encryption_secret(args.account_dir)
        print(f"encryption key {enc_public[0]},{enc_public[1]} (matches encryption.key)")
    return 0


def recover_from_node(account_dir, node_url):
    """(account id, the newest block that touched it, ``custody.Recovered``): the account's
    state decrypted with its own key from blocks a node serves (no operator involved)."""
    from ledger.cli.main import UserError
    from ledger.core.block import block_from_json
    from ledger.core.custody import recover
    from ledger.node.client import NodeClient
    account_id, _ = load_account_public(account_dir)
    secret = load_encryption_secret(account_dir)
    client = NodeClient(node_url)
    height = client.status()["head"]["height"]
    for h in range(height, 0, -1):
        obj = client.block(h)
        if obj is None:
            raise UserError(f"node {node_url} has no block {h} below its head")
        block = block_from_json(obj, f"block {h} from {node_url}")
        if any(s.active and s.account == account_id for s in block.account_slots):
            return account_id, block, recover([block], account_id, secret)
    raise UserError(f"no block touched account {account_id}: its state is the genesis one")


def escape_contract(rpc, address):
    """The Escape contract at ``address`` on the chain at ``rpc`` (one-line errors)."""
    from ledger.cli.main import UserError
    from ledger.ethereum.chain import connect
    from ledger.ethereum.deploy import at
    w3 = connect(rpc)
    if not w3.is_address(address or ""):
        raise UserError(f"--escape is not an Ethereum address: {address}")
    escape = at(w3, "Escape", address)
    try:
        escape.functions.freezeAfter().call()
    except Exception as e:   # noqa: BLE001 — no contract there, or another contract
        raise UserError(f"no Escape contract answers at {address} ({type(e).__name__})") from None
    return w3, escape


def recover_from_escape(account_dir, escape):
    """(account id, ``custody.Recovered``) from the contract's events, the trader's key only."""
    from ledger.ethereum.escape import recover_from_chain
    account_id, _ = load_account_public(account_dir)
    return account_id, recover_from_chain(escape, account_id, load_encryption_secret(account_dir))


def _write_state(path, account_id, got) -> None:
    """The recovered opening as an operator states file (``operator recover --state``)."""
    import json

    from circuits.settlement_data import AccountState
    from ledger.cli.main import UserError
    from ledger.core.keys import atomic_write
    from ledger.operator.home import states_to_json
    op = got.opening
    state = AccountState(account_id, op.cash, op.position, op.blinding, op.funding)
    try:
        atomic_write(path, (json.dumps(states_to_json({account_id: state}, height=got.height),
                                       indent=1) + "\n").encode(), mode=0o600)
    except OSError as e:
        raise UserError(f"cannot write {path}: {e.strerror or e}") from None


def run_state(args) -> int:
    """Recover the account's state from a node's blocks, or from the chain, and print it."""
    from ledger.cli.main import UserError
    from ledger.core.custody import margin
    if (args.node is None) == (args.rpc is None):
        raise UserError("give exactly one source: --node URL, or --rpc URL with --escape")
    if args.rpc is not None and args.escape is None:
        raise UserError("--rpc needs --escape ADDRESS: the Escape contract whose events hold "
                        "the openings")
    if args.node is not None:
        account_id, block, got = recover_from_node(args.account_dir, args.node)
        mark, funding = block.mark_price, block.header["funding_index"] - (1 << 47)
        mm, im, source = block.params.mm_bps, block.params.im_bps, "the block"
    else:
        from ledger.ethereum.escape import exit_view
        _, escape = escape_contract(args.rpc, args.escape)
        account_id, got = recover_from_escape(args.account_dir, escape)
        view = exit_view(escape, account_id)
        mark, funding, mm, im, source = view["mark"], view["funding"], 0, 0, "the chain"
    op = got.opening
    if getattr(args, "out", None):
        _write_state(args.out, account_id, got)
    m = margin(op, mark, funding, mm, im)
    print(f"account {account_id} at block {got.height} (recovered from {source}, opens its "
          f"commitment {got.commitment:#x})")
    print(f"cash {op.cash}  position {op.position}  funding index {op.funding}")
    print(f"mark {mark}  funding index F {funding}  equity {m['equity']}  "
          f"notional {m['notional']}")
    if args.node is not None:
        print(f"maintenance {m['maintenance']}  initial {m['initial']}  "
              f"exit amount {m['exit_amount']}")
    else:
        print(f"exit amount {m['exit_amount']} (at the contract's last mark)")
    return 0


def register(sub) -> None:
    from ledger.core.arguments import node_url, rpc_url
    p = sub.add_parser("account", help="create or show a trader's account keys, or its state",
                       description="Create or show an account's keys (Ed25519 and the "
                                   "encryption key), or recover its state from a node.")
    s = p.add_subparsers(dest="account_command", metavar="ACTION", required=True,
                         parser_class=type(p))
    n = s.add_parser("new", help="make the keys: key.pem, encryption.key (0600), account.json",
                     description="Generate an Ed25519 account key into DIR/key.pem and a Baby "
                                 "Jubjub encryption key into DIR/encryption.key (mode 0600), "
                                 "and DIR/account.json with both public keys.")
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
    st = s.add_parser("state", help="recover and print the account's state from a node",
                      description="Recover the account's state (cash, position, funding "
                                  "index) and margin from a node's blocks or from the Escape "
                                  "contract's events, decrypting with DIR/encryption.key; "
                                  "checked against the stored commitment, no operator needed.")
    st.add_argument("--account-dir", default=".", metavar="DIR",
                    help="account directory (default: .)")
    st.add_argument("--node", metavar="URL", type=node_url, help="a node's HTTP URL")
    st.add_argument("--rpc", metavar="URL", type=rpc_url,
                    help="an Ethereum RPC URL: read the Escape contract's events instead")
    st.add_argument("--escape", metavar="ADDRESS", help="the Escape contract (with --rpc)")
    st.add_argument("--out", metavar="FILE",
                    help="also write the opening (0600) as a states file, to hand to an "
                         "operator that lost it (darkmatch operator recover --state FILE)")
    st.set_defaults(func=run_state)
