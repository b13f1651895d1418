"""Strict JSON encoding shared by the ledger's files: orders, openings, genesis, blocks.

Every ledger document is a JSON object with a ``"kind"`` tag and an integer
``"version"``; readers accept exactly the documented keys (a missing or an
unknown key is an error) and exactly the documented types.  Conventions:

* small integers (ids, prices, sizes, heights, basis points, stakes, cash) are
  JSON numbers — never ``true``/``false`` (Python's ``bool`` is an ``int``) and
  never floats such as ``1.0``;
* field elements and other values that may exceed 2^53 (nonces, blindings,
  commitment coordinates, public inputs) are **canonical decimal strings**:
  ``"0"`` or digits without a sign, spaces or leading zeros (snarkjs's
  convention, safe for JavaScript readers);
* byte strings (keys, signatures, hashes) are **lowercase hex** of an exact
  length, so every value has one spelling and hashes over documents are stable.

``parse_json`` is the one JSON reader (files, HTTP bodies and answers): UTF-8
only, no NaN/Infinity, no repeated key in an object, integers of at most
Python's digit limit, and nesting at most ``MAX_JSON_DEPTH`` levels, counted
*before* parsing — py_ecc raises Python's recursion limit to 100 000
process-wide, so a deeply nested document would overflow the C stack inside
``json.loads`` and kill the process instead of raising ``RecursionError``.

``canonical_json`` (sorted keys, no whitespace, ASCII only, no NaN) is the byte
form that hashes and signatures are computed over.  Every error is a
``CodecError`` (a ``BadInput``) with a one-line message naming the document
and the field — the CLI prints it as is (docs/design.md §Bad input).
"""

import json
import os
import re
import stat
from itertools import accumulate

from verifier.errors import BadInput

from ledger.core.limits import check_int

__all__ = [
    "CodecError", "canonical_json", "check_object", "check_fields", "get_int", "get_decimal",
    "get_hex",
    "get_str", "get_list", "load_json_file", "parse_json", "read_bounded", "MAX_FILE_BYTES",
    "MAX_JSON_DEPTH",
]

#: Largest ledger JSON file read (a block with a proof and 64 orders is ~60 KiB).
MAX_FILE_BYTES = 16 << 20
_DECIMAL = re.compile(r"0|[1-9][0-9]*")
_HEX = re.compile(r"[0-9a-f]*")
MAX_JSON_DEPTH = 64               # a block is 4 levels deep
_JSON_STRING = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"', re.S)
_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
_DEPTH_STEP = {"[": 1, "{": 1, "]": -1, "}": -1}


class CodecError(BadInput):
    """A malformed ledger document; the message is one line."""


def canonical_json(obj) -> bytes:
    """The canonical bytes of a JSON value: sorted keys, no whitespace, ASCII."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=True,
                      allow_nan=False).encode("ascii")


def check_object(obj, what: str, kind: str, version: int, required, optional=()) -> dict:
    """``obj`` if it is an object of this kind and version with exactly these keys."""
    if not isinstance(obj, dict):
        raise CodecError(f"{what}: expected a JSON object, got {type(obj).__name__}")
    if obj.get("kind") != kind:
        raise CodecError(f"{what}: kind must be {kind!r}, got {obj.get('kind')!r}")
    if obj.get("version") != version or isinstance(obj.get("version"), bool):
        raise CodecError(f"{what}: unsupported version {obj.get('version')!r} (expected {version})")
    allowed = {"kind", "version", *required, *optional}
    missing = [k for k in required if k not in obj]
    if missing:
        raise CodecError(f"{what}: missing field {missing[0]!r}")
    extra = sorted(str(k) for k in obj if k not in allowed)
    if extra:
        raise CodecError(f"{what}: unknown field {extra[0]!r}")
    return obj


def check_fields(obj, what: str, required, optional=()) -> dict:
    """``obj`` if it is an object with exactly these keys (no kind/version tag)."""
    if not isinstance(obj, dict):
        raise CodecError(f"{what}: expected a JSON object, got {type(obj).__name__}")
    missing = [k for k in required if k not in obj]
    if missing:
        raise CodecError(f"{what}: missing field {missing[0]!r}")
    extra = sorted(str(k) for k in obj if k not in {*required, *optional})
    if extra:
        raise CodecError(f"{what}: unknown field {extra[0]!r}")
    return obj


def get_int(obj: dict, key: str, what: str, lo: int, hi: int) -> int:
    """A JSON integer lo ≤ v < hi (booleans and floats refused)."""
    return check_int(obj[key], f"{what}: {key}", lo, hi, error=CodecError)


def get_decimal(obj: dict, key: str, what: str, lo: int, hi: int) -> int:
    """A canonical decimal string lo ≤ v < hi."""
    v = obj[key]
    if not isinstance(v, str) or not _DECIMAL.fullmatch(v) or len(v) > 100:
        raise CodecError(f"{what}: {key} must be a canonical decimal string")
    n = int(v)
    if not lo <= n < hi:
        raise CodecError(f"{what}: {key} out of range [{lo}, {hi})")
    return n


def get_hex(obj: dict, key: str, what: str, nbytes: int) -> bytes:
    """Lowercase hex of exactly ``nbytes`` bytes."""
    v = obj[key]
    if not isinstance(v, str) or len(v) != 2 * nbytes or not _HEX.fullmatch(v):
        raise CodecError(f"{what}: {key} must be {2 * nbytes} lowercase hex digits")
    return bytes.fromhex(v)


def get_str(obj: dict, key: str, what: str, pattern: str) -> str:
    """A string matching ``pattern`` in full."""
    v = obj[key]
    if not isinstance(v, str) or not re.fullmatch(pattern, v):
        raise CodecError(f"{what}: {key} must be a string matching {pattern}")
    return v


def get_list(obj: dict, key: str, what: str, max_len: int = 1 << 20) -> list:
    """A JSON array of at most ``max_len`` entries."""
    v = obj[key]
    if not isinstance(v, list):
        raise CodecError(f"{what}: {key} must be a list, got {type(v).__name__}")
    if len(v) > max_len:
        raise CodecError(f"{what}: {key} has {len(v)} entries (at most {max_len})")
    return v


def read_bounded(path, what: str, max_bytes: int, error=None):
    """``(bytes, os.stat_result)`` of the regular file ``path``, reading at most max_bytes + 1.

    Every way reading can fail becomes one line naming ``what`` and the path,
    raised as ``error`` (a ValueError subclass; CodecError by default).  The
    caller decides what "too large" means by comparing the length with max_bytes.
    """
    error = error or CodecError
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            st = os.fstat(f.fileno())
            if not stat.S_ISREG(st.st_mode):
                raise error(f"{what} file is not a regular file: {path}")
            data = f.read(max_bytes + 1)
    except FileNotFoundError:
        raise error(f"{what} file not found: {path}") from None
    except IsADirectoryError:
        raise error(f"{what} path is a directory: {path}") from None
    except PermissionError:
        raise error(f"{what} file not readable (permission denied): {path}") from None
    except OSError as e:
        raise error(f"{what} file unreadable: {path} ({e.strerror or e})") from None
    return data, st


def _unique(pairs, what: str) -> dict:
    """The object of ``pairs``; a CodecError if a key repeats (readers would disagree on it)."""
    out = dict(pairs)
    if len(out) != len(pairs):
        seen = set()
        dup = next(k for k, _ in pairs if k in seen or seen.add(k))
        raise CodecError(f"{what}: duplicate key {dup!r} in a JSON object")
    return out


def parse_json(data: bytes, what: str = "document"):
    """The JSON value of ``data`` (module docstring); one-line ``CodecError`` naming ``what``."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        raise CodecError(f"{what} is not UTF-8 ({e.reason} at byte {e.start})") from None
    brackets = _NOT_BRACKET.sub("", _JSON_STRING.sub("", text))
    if brackets and max(accumulate(map(_DEPTH_STEP.__getitem__, brackets))) > MAX_JSON_DEPTH:
        raise CodecError(f"{what} is nested deeper than {MAX_JSON_DEPTH} levels")
    try:
        return json.loads(text, object_pairs_hook=lambda pairs: _unique(pairs, what),
                          parse_constant=lambda c: _raise(f"{what}: {c} is not allowed in JSON"))
    except json.JSONDecodeError as e:
        raise CodecError(f"{what} is not valid JSON (line {e.lineno}: {e.msg})") from None
    except CodecError:
        raise
    except ValueError as e:                      # an integer past Python's digit limit
        raise CodecError(f"{what}: a number is too long to read ({str(e).split(':')[0]})") from None
    except RecursionError:                       # pragma: no cover - bounded above
        raise CodecError(f"{what} is nested too deeply") from None


def load_json_file(path, what: str):
    """The JSON value in ``path``; a one-line CodecError for every way reading can fail."""
    path = os.fspath(path)
    data, _ = read_bounded(path, what, MAX_FILE_BYTES)
    if len(data) > MAX_FILE_BYTES:
        raise CodecError(f"{what} file too large: {path} (over {MAX_FILE_BYTES} bytes)")
    return parse_json(data, f"{what} file {path}")


def _raise(msg):
    raise CodecError(msg)
