"""The JSON files of an on-chain deployment: layout, settlement genesis, deployment record.

``layout.json``      the ``Layout`` fields (``n_globals``, ``height_index``, ``n_orders``,
                     ``order_fields``, ``n_accounts``, ``account_fields``, ``off_*``; an
                     absent ``off_active`` / ``off_deposit`` / ``off_withdraw`` means none);
``genesis.json``     ``ledger_id`` and ``block_hash`` (32-byte hex), ``height``, ``members``
                     (addresses), ``stakes``, ``cap_bps``, ``accounts``, ``commitments``
                     (decimal strings or ints), ``owners`` (addresses);
``deployment.json``  what ``darkmatch chain deploy`` writes: ``chain_id``, the three contract
                     addresses, ``ledger_id``, ``layout``.

Every reader raises ``ConfigError`` (a ``BadInput``) with one line naming the field.
"""

import json
import pathlib
from dataclasses import asdict, fields

from eth_utils import is_address, to_checksum_address

from verifier.errors import BadInput

from .settlement import NONE, Genesis, Layout

__all__ = ["ConfigError", "load_layout", "load_genesis", "load_deployment", "write_deployment",
           "layout_to_json"]


class ConfigError(BadInput):
    """A malformed layout, genesis or deployment file."""


def _read(path, what):
    try:
        d = json.loads(pathlib.Path(path).read_text())
    except OSError as e:
        raise ConfigError(f"{what} {path}: {e.strerror}") from None
    except ValueError as e:
        raise ConfigError(f"{what} {path}: not JSON ({e})") from None
    if not isinstance(d, dict):
        raise ConfigError(f"{what} {path}: expected a JSON object")
    return d


def _uint(v, what):
    if isinstance(v, bool) or not isinstance(v, (int, str)):
        raise ConfigError(f"{what}: expected an integer")
    try:
        x = int(v, 0) if isinstance(v, str) else v
    except ValueError:
        raise ConfigError(f"{what}: not an integer: {str(v)[:40]!r}") from None
    if not 0 <= x < 1 << 256:
        raise ConfigError(f"{what}: out of range")
    return x


def _bytes32(v, what):
    s = v[2:] if isinstance(v, str) and v.startswith("0x") else v
    try:
        b = bytes.fromhex(s)
    except (TypeError, ValueError):
        b = b""
    if len(b) != 32:
        raise ConfigError(f"{what}: expected 32 bytes of hex")
    return b


def _address(v, what):
    if not isinstance(v, str) or not is_address(v):
        raise ConfigError(f"{what}: not an Ethereum address")
    return to_checksum_address(v)


_REQUIRED = ("n_globals", "height_index", "n_orders", "order_fields", "n_accounts", "account_fields")


def layout_from_json(d, what="layout") -> Layout:
    if not isinstance(d, dict):
        raise ConfigError(f"{what}: expected a JSON object")
    for k in _REQUIRED:
        if k not in d:
            raise ConfigError(f"{what}: missing field {k!r}")
    unknown = set(d) - {f.name for f in fields(Layout)}
    if unknown:
        raise ConfigError(f"{what}: unknown field {sorted(unknown)[0]!r}")
    return Layout(**{k: _uint(v, f"{what}.{k}") for k, v in d.items()})


def layout_to_json(layout: Layout) -> dict:
    return {k: v for k, v in asdict(layout).items() if v != NONE}


def load_layout(path) -> Layout:
    return layout_from_json(_read(path, "layout"), f"layout {path}")


def load_genesis(path) -> Genesis:
    d = _read(path, "settlement genesis")
    w = f"settlement genesis {path}"

    def need(k):
        if k not in d:
            raise ConfigError(f"{w}: missing field {k!r}")
        return d[k]

    def lst(k, conv):
        v = d.get(k, [])
        if not isinstance(v, list):
            raise ConfigError(f"{w}: {k} must be a list")
        return tuple(conv(x, f"{w}.{k}[{i}]") for i, x in enumerate(v))

    g = Genesis(ledger_id=_bytes32(need("ledger_id"), f"{w}.ledger_id"),
                block_hash=_bytes32(need("block_hash"), f"{w}.block_hash"),
                height=_uint(d.get("height", 0), f"{w}.height"),
                members=lst("members", _address), stakes=lst("stakes", _uint),
                cap_bps=_uint(need("cap_bps"), f"{w}.cap_bps"),
                accounts=lst("accounts", _uint), commitments=lst("commitments", _uint),
                owners=lst("owners", _address))
    if not g.members or len(g.members) != len(g.stakes):
        raise ConfigError(f"{w}: members and stakes must be non-empty lists of the same length")
    if not len(g.accounts) == len(g.commitments) == len(g.owners):
        raise ConfigError(f"{w}: accounts, commitments and owners must have the same length")
    return g


def write_deployment(path, *, chain_id, verifier, settlement, token, ledger_id: bytes, layout: Layout):
    d = {"chain_id": chain_id, "verifier": verifier, "settlement": settlement, "token": token,
         "ledger_id": "0x" + ledger_id.hex(), "layout": layout_to_json(layout)}
    pathlib.Path(path).write_text(json.dumps(d, indent=1) + "\n")
    return d


def load_deployment(path) -> dict:
    d = _read(path, "deployment")
    w = f"deployment {path}"
    out = {"chain_id": _uint(d.get("chain_id"), f"{w}.chain_id")}
    for k in ("verifier", "settlement", "token"):
        out[k] = _address(d.get(k), f"{w}.{k}")
    out["ledger_id"] = _bytes32(d.get("ledger_id"), f"{w}.ledger_id")
    out["layout"] = layout_from_json(d.get("layout") or {}, f"{w}.layout")
    return out
