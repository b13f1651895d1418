"""An attacker's bytes on the wire to a real node process (waitress in front of the Flask
app): raw paths that are not UTF-8, encoded junk heights, a lying or missing length, chunked
and oversized bodies.  Each answers a 4xx (JSON one line where the app answers) and the
node's SQLite file is unchanged."""

import json
import socket
from urllib.parse import urlsplit

import pytest

from circuits.settlement_data import MarketParams
from ledger.core import keys
from ledger.core.genesis import Genesis, GenesisAccount, GenesisMarket, GenesisValidator
from ledger.node.server import MAX_REQUEST_BYTES

from tests.ledger.network_nodes import Nodes, db_snapshot, make_home
from tests.ledger.small_vk import settlement_shaped_vk_json


@pytest.fixture(scope="module")
def node(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile-wire")
    k = keys.generate()
    g = Genesis("hostile-wire", [GenesisMarket(MarketParams(0, 1000, 500, 10, 500), 100)],
                [GenesisValidator("v0", 10, keys.public_key_hex(k))],
                [GenesisAccount(1, keys.public_key_hex(keys.generate()), 1000)])
    home = make_home(root, "v0", g, k, settlement_shaped_vk_json())
    nodes = Nodes()
    try:
        n = nodes.start(home)
        yield n, home
    finally:
        nodes.stop_all()


def _raw(url, request: bytes, timeout=20):
    u = urlsplit(url)
    with socket.create_connection((u.hostname, u.port), timeout=timeout) as s:
        s.sendall(request)
        s.shutdown(socket.SHUT_WR)
        chunks = []
        while True:
            b = s.recv(65536)
            if not b:
                break
            chunks.append(b)
    head, _, body = b"".join(chunks).partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    return status, head, body


def _req(method, path: bytes, body=b"", headers=()):
    lines = [method.encode() + b" " + path + b" HTTP/1.1", b"Host: x", b"Connection: close"]
    lines += [h for h in headers]
    if body is not None and not any(h.lower().startswith(b"content-length") for h in headers) \
            and not any(h.lower().startswith(b"transfer-encoding") for h in headers):
        lines.append(b"Content-Length: " + str(len(body)).encode())
    return b"\r\n".join(lines) + b"\r\n\r\n" + (body or b"")


def _json_error(status, body):
    assert 400 <= status < 500, (status, body)
    assert b"Traceback" not in body and body.count(b"\n") == 1, body
    obj = json.loads(body)
    assert list(obj) == ["error"] and "\n" not in obj["error"]
    return obj["error"]


GETS = [b"/anchor/%ff", b"/anchor/%D9%A3", b"/round/lock/1e3",
        b"/observations/0/0x10", b"/blocks/-1", b"/anchor/" + b"9" * 4000,
        b"/round/lock/9999999999999999999", b"/anchor/1%00", b"/%ff%fe"]


@pytest.mark.parametrize("path", GETS, ids=[p[:40].decode("latin-1") for p in GETS])
def test_raw_get_paths(node, path):
    n, home = node
    before = db_snapshot(home)
    status, _, body = _raw(n.url, _req("GET", path, body=None))
    _json_error(status, body)
    assert db_snapshot(home) == before


@pytest.mark.parametrize("path", [b"/anchor/\xff", b"/anchor/1?x=\xff"])
def test_raw_bytes_not_valid_in_a_uri_are_refused_by_waitress(node, path):
    """waitress refuses a request line it cannot decode before the app sees it: its own
    plain-text 400 (documented in ledger.node.server), never a traceback."""
    n, home = node
    before = db_snapshot(home)
    status, _, body = _raw(n.url, _req("GET", path, body=None))
    assert status == 400 and b"Bad URI" in body and b"Traceback" not in body
    assert db_snapshot(home) == before


BODY_CASES = {
    "not utf-8, json type": (b"\xff\xfe", [b"Content-Type: application/json"]),
    "form type": (b"a=1&b=2", [b"Content-Type: application/x-www-form-urlencoded"]),
    "multipart type": (b"--x\r\n\r\n--x--", [b"Content-Type: multipart/form-data; boundary=x"]),
    "charset latin-1": ('{"kind": "\xe9"}'.encode("latin-1"),
                        [b"Content-Type: application/json; charset=latin-1"]),
    "chunked junk": (b"3\r\n{\"a\r\n0\r\n\r\n", [b"Transfer-Encoding: chunked"]),
    "chunked duplicate key": (b"d\r\n{\"a\":1,\"a\":2}\r\n0\r\n\r\n",
                              [b"Transfer-Encoding: chunked"]),
    "gzip claimed": (b"{}", [b"Content-Encoding: gzip"]),
    "over the app limit": (b" " * (MAX_REQUEST_BYTES + 1), []),
}


@pytest.mark.parametrize("route", [b"/propose", b"/evidence", b"/round/prevote"])
@pytest.mark.parametrize("name", sorted(BODY_CASES))
def test_raw_post_bodies(node, route, name):
    n, home = node
    before = db_snapshot(home)
    body, headers = BODY_CASES[name]
    status, _, out = _raw(n.url, _req("POST", route, body, headers))
    _json_error(status, out)
    assert db_snapshot(home) == before


def test_body_past_twice_the_limit_is_refused_before_reading(node):
    n, home = node
    before = db_snapshot(home)
    status, _, _ = _raw(n.url, _req("POST", b"/propose", None,
                                    [b"Content-Length: %d" % (4 * MAX_REQUEST_BYTES)]))
    assert status == 413
    assert db_snapshot(home) == before
