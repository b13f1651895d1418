"""Ed25519 account and validator keys (``cryptography``), and safe file writing.

An account's identity on the ledger is an Ed25519 public key (RFC 8032,
docs/design.md §Orders); it signs its orders, and validators sign attestations the same way.

**Files.**  A private key is stored as unencrypted PKCS#8 PEM
(``-----BEGIN PRIVATE KEY-----``), readable by OpenSSL and ``cryptography``,
protected by file permissions as ``ssh-keygen -N ''`` keys are: the file is
created with mode 0600, and ``load_private_key`` refuses a key file that the
group or others may read (as ssh does), naming the ``chmod`` that fixes it.
Writes are atomic (``atomic_write``): the bytes go to a temporary file in the
same directory (created 0600, fsynced), which is then hard-linked to the
target name — an atomic "create unless it exists" — or renamed over it when
overwriting was asked for, and the directory is fsynced.  A crash leaves the
old file or the new one, never a truncated key; nothing is overwritten unless
``overwrite=True``.

**Encodings.**  A public key travels as 64 lowercase hex digits of its raw 32
bytes; a signature is 64 raw bytes (128 lowercase hex digits in JSON).
``verify`` answers ``False`` for any malformed signature or key rather than
raising, so a validator can treat every bad signature alike.

Errors are ``KeyFileError`` (a ``ValueError``) with one-line messages.
"""

import errno
import os
import re
import stat
import tempfile

from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from verifier.errors import BadInput

from ledger.core.codec import read_bounded

__all__ = [
    "KeyFileError", "generate", "save_private_key", "load_private_key", "public_key_hex",
    "public_key_from_hex", "sign", "verify", "atomic_write", "PUBLIC_KEY_BYTES",
    "SIGNATURE_BYTES", "MAX_KEY_FILE_BYTES",
]

PUBLIC_KEY_BYTES = 32
SIGNATURE_BYTES = 64
MAX_KEY_FILE_BYTES = 64 << 10
_HEX_KEY = re.compile(r"[0-9a-f]{64}")


class KeyFileError(BadInput):
    """A key or key file that cannot be used; the message is one line."""


def generate() -> Ed25519PrivateKey:
    """A fresh Ed25519 private key (from the OS's CSPRNG, via OpenSSL)."""
    return Ed25519PrivateKey.generate()


def _fsync_dir(directory: str) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:                      # pragma: no cover - platforms without directory fds
        return
    try:
        os.fsync(fd)
    except OSError:                      # pragma: no cover
        pass
    finally:
        os.close(fd)


def atomic_write(path, data: bytes, *, mode: int = 0o600, overwrite: bool = False) -> None:
    """Write ``data`` to ``path`` atomically with permissions ``mode`` (see module doc).

    Raises ``FileExistsError`` if ``path`` exists and ``overwrite`` is false;
    then, as on any error, nothing is left behind.
    """
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".tmp", dir=directory)
    try:
        try:
            os.fchmod(fd, mode)                  # exact mode, whatever the umask
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view):]
            os.fsync(fd)
        finally:
            os.close(fd)
        if overwrite:
            os.replace(tmp, path)
        else:
            try:
                os.link(tmp, path)               # atomic: fails if path exists
            except OSError as e:
                if e.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
                    raise
                if os.path.lexists(path):        # file system without hard links
                    raise FileExistsError(errno.EEXIST, "File exists", path) from None
                os.rename(tmp, path)
        _fsync_dir(directory)
    finally:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass


def save_private_key(key: Ed25519PrivateKey, path, *, overwrite: bool = False) -> None:
    """Write ``key`` as PKCS#8 PEM to ``path`` with mode 0600, atomically.

    Refuses (``KeyFileError``) to replace an existing file unless ``overwrite``.
    """
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError("only Ed25519 private keys can be saved")
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    try:
        atomic_write(path, pem, mode=0o600, overwrite=overwrite)
    except FileExistsError:
        raise KeyFileError(f"refusing to overwrite existing key file: {os.fspath(path)}") from None
    except OSError as e:
        raise KeyFileError(f"cannot write key file {os.fspath(path)}: {e.strerror or e}") from None


def load_private_key(path, *, check_permissions: bool = True) -> Ed25519PrivateKey:
    """The Ed25519 private key in the PEM file ``path``; ``KeyFileError`` names what is wrong."""
    path = os.fspath(path)
    data, st = read_bounded(path, "key", MAX_KEY_FILE_BYTES, KeyFileError)
    if check_permissions and os.name == "posix" and st.st_mode & 0o077:
        raise KeyFileError(f"key file {path} is accessible by others (mode "
                           f"{stat.S_IMODE(st.st_mode):04o}); run: chmod 600 {path}")
    if len(data) > MAX_KEY_FILE_BYTES:
        raise KeyFileError(f"key file too large to be a key: {path}")
    if b"PUBLIC KEY-----" in data and b"PRIVATE KEY-----" not in data:
        raise KeyFileError(f"key file holds a public key, not a private key: {path}")
    if b"ENCRYPTED PRIVATE KEY-----" in data:
        raise KeyFileError(f"key file is password-protected (not supported): {path}")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise KeyFileError(f"key file is not a valid PEM private key (corrupted?): {path}") \
            from None
    if not isinstance(key, Ed25519PrivateKey):
        kind = type(key).__name__.removeprefix("_").replace("PrivateKey", "")
        raise KeyFileError(f"key file holds a {kind or 'non-Ed25519'} key, not Ed25519: {path}")
    return key


def _public(key) -> Ed25519PublicKey:
    if isinstance(key, Ed25519PrivateKey):
        return key.public_key()
    if isinstance(key, Ed25519PublicKey):
        return key
    if isinstance(key, str):
        return public_key_from_hex(key)
    raise KeyFileError(f"not an Ed25519 key: {type(key).__name__}")


def public_key_hex(key) -> str:
    """64 lowercase hex digits of the raw public key of a private or public key."""
    return _public(key).public_bytes(serialization.Encoding.Raw,
                                     serialization.PublicFormat.Raw).hex()


def public_key_from_hex(text) -> Ed25519PublicKey:
    """The public key spelled by 64 lowercase hex digits; ``KeyFileError`` otherwise."""
    if not isinstance(text, str) or not _HEX_KEY.fullmatch(text):
        raise KeyFileError("public key must be 64 lowercase hex digits")
    try:
        return Ed25519PublicKey.from_public_bytes(bytes.fromhex(text))
    except ValueError:                           # pragma: no cover - any 32 bytes load
        raise KeyFileError("public key is not a valid Ed25519 key") from None


def sign(key: Ed25519PrivateKey, message: bytes) -> bytes:
    """The 64-byte Ed25519 signature of ``message``."""
    if not isinstance(key, Ed25519PrivateKey):
        raise KeyFileError("signing needs an Ed25519 private key")
    return key.sign(bytes(message))


def verify(public_key, message: bytes, signature: bytes) -> bool:
    """True iff ``signature`` is a valid signature of ``message`` under ``public_key``
    (an Ed25519 public/private key or its hex); False for anything malformed."""
    try:
        pub = _public(public_key)
    except KeyFileError:
        return False
    if not isinstance(signature, (bytes, bytearray)) or len(signature) != SIGNATURE_BYTES:
        return False
    try:
        pub.verify(bytes(signature), bytes(message))
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True
