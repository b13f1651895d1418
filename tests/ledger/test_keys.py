"""ledger.core.keys: Ed25519 keys, key files (0600, atomic, no overwrite), clear errors."""

import os
import stat

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from ledger.core import keys
from ledger.core.keys import KeyFileError


def _mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


def _one_line(e):
    msg = str(e.value)
    assert msg and "\n" not in msg
    return msg


def test_roundtrip_sign_verify(tmp_path):
    k = keys.generate()
    path = tmp_path / "key.pem"
    keys.save_private_key(k, path)
    k2 = keys.load_private_key(path)
    pub = keys.public_key_hex(k)
    assert pub == keys.public_key_hex(k2) == keys.public_key_hex(k.public_key())
    assert len(pub) == 64 and pub == pub.lower()
    sig = keys.sign(k2, b"message")
    assert len(sig) == keys.SIGNATURE_BYTES
    assert keys.verify(pub, b"message", sig)
    assert keys.verify(k.public_key(), b"message", sig)
    assert keys.verify(keys.public_key_from_hex(pub), b"message", sig)
    assert path.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")


def test_verify_rejects_everything_wrong():
    k, other = keys.generate(), keys.generate()
    sig = keys.sign(k, b"m")
    assert not keys.verify(keys.public_key_hex(k), b"M", sig)
    assert not keys.verify(keys.public_key_hex(other), b"m", sig)
    bad = bytearray(sig)
    bad[0] ^= 1
    assert not keys.verify(keys.public_key_hex(k), b"m", bytes(bad))
    for junk in (sig[:-1], sig + b"\0", b"", "not bytes", None):
        assert keys.verify(keys.public_key_hex(k), b"m", junk) is False
    for junk_key in ("zz" * 32, "AB" * 32, "ab" * 31, 5, None):
        assert keys.verify(junk_key, b"m", sig) is False


def test_two_keys_differ():
    assert keys.public_key_hex(keys.generate()) != keys.public_key_hex(keys.generate())


@pytest.mark.parametrize("umask", [0o000, 0o022, 0o077])
def test_saved_key_is_0600_whatever_the_umask(tmp_path, umask):
    old = os.umask(umask)
    try:
        keys.save_private_key(keys.generate(), tmp_path / "key.pem")
    finally:
        os.umask(old)
    assert _mode(tmp_path / "key.pem") == 0o600


def test_refuses_to_overwrite(tmp_path):
    path = tmp_path / "key.pem"
    k1 = keys.generate()
    keys.save_private_key(k1, path)
    before = path.read_bytes()
    with pytest.raises(KeyFileError) as e:
        keys.save_private_key(keys.generate(), path)
    assert "refusing to overwrite" in _one_line(e)
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["key.pem"]          # no temporary left behind
    k2 = keys.generate()
    keys.save_private_key(k2, path, overwrite=True)
    assert keys.public_key_hex(keys.load_private_key(path)) == keys.public_key_hex(k2)
    assert _mode(path) == 0o600
    assert sorted(os.listdir(tmp_path)) == ["key.pem"]


def test_atomic_write_modes_and_no_overwrite(tmp_path):
    p = tmp_path / "f.json"
    keys.atomic_write(p, b"one", mode=0o644)
    assert p.read_bytes() == b"one" and _mode(p) == 0o644
    with pytest.raises(FileExistsError):
        keys.atomic_write(p, b"two")
    assert p.read_bytes() == b"one"
    keys.atomic_write(p, b"two", mode=0o600, overwrite=True)
    assert p.read_bytes() == b"two" and _mode(p) == 0o600
    assert os.listdir(tmp_path) == ["f.json"]


def test_save_into_missing_directory_is_one_line(tmp_path):
    with pytest.raises(KeyFileError) as e:
        keys.save_private_key(keys.generate(), tmp_path / "nope" / "key.pem")
    assert "cannot write key file" in _one_line(e)


def _pem(key, fmt=serialization.PrivateFormat.PKCS8, enc=None):
    return key.private_bytes(serialization.Encoding.PEM, fmt,
                             enc or serialization.NoEncryption())


@pytest.mark.parametrize("content, expected", [
    (None, "not found"),
    (b"", "not a valid PEM private key"),
    (b"hello world\n", "not a valid PEM private key"),
    (b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n",
     "not a valid PEM private key"),
    ("truncated", "not a valid PEM private key"),
    ("public", "public key, not a private key"),
    ("rsa", "not Ed25519"),
    ("ec", "not Ed25519"),
    ("encrypted", "password-protected"),
    ("dir", "is a directory"),
    (b"x" * (keys.MAX_KEY_FILE_BYTES + 10), "too large"),
])
def test_load_errors_are_one_line(tmp_path, content, expected):
    path = tmp_path / "key.pem"
    ed = Ed25519PrivateKey.generate()
    if content == "truncated":
        content = _pem(ed)[:60]
    elif content == "public":
        content = ed.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
    elif content == "rsa":
        content = _pem(rsa.generate_private_key(public_exponent=65537, key_size=1024))
    elif content == "ec":
        content = _pem(ec.generate_private_key(ec.SECP256R1()))
    elif content == "encrypted":
        content = _pem(ed, enc=serialization.BestAvailableEncryption(b"pw"))
    if content == "dir":
        path.mkdir()
    elif content is not None:
        path.write_bytes(content)
        path.chmod(0o600)
    with pytest.raises(KeyFileError) as e:
        keys.load_private_key(path)
    assert expected in _one_line(e)


def test_load_refuses_a_key_readable_by_others(tmp_path):
    path = tmp_path / "key.pem"
    keys.save_private_key(keys.generate(), path)
    path.chmod(0o644)
    with pytest.raises(KeyFileError) as e:
        keys.load_private_key(path)
    assert "chmod 600" in _one_line(e)
    assert keys.load_private_key(path, check_permissions=False)
    path.chmod(0o600)
    assert keys.load_private_key(path)


@pytest.mark.parametrize("text", ["", "ab" * 31, "ab" * 33, "AB" * 32, "g" * 64, 12, None])
def test_public_key_from_hex_strict(text):
    with pytest.raises(KeyFileError) as e:
        keys.public_key_from_hex(text)
    assert "64 lowercase hex" in _one_line(e)


def test_sign_needs_a_private_key():
    with pytest.raises(KeyFileError):
        keys.sign(keys.generate().public_key(), b"m")
    with pytest.raises(KeyFileError):
        keys.save_private_key("not a key", "/tmp/never-written.pem")
    assert not os.path.exists("/tmp/never-written.pem")
