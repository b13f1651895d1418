"""Price sources (ledger.exchange.oracle) and signed observations (ledger.core.observation)."""

import http.server
import json
import threading

import pytest

from ledger.core import keys
from ledger.core.observation import (Observation, ObservationError, observation_bytes,
                                     observation_from_json, observation_to_json,
                                     sign_observation)
from ledger.exchange.oracle import (FeedError, HttpSource, JsonFileSource, SimulatedFeed,
                                    source_from_spec)


def test_simulated_feed_is_a_pure_function_of_seed_market_height():
    a, b = SimulatedFeed(7, 50_000), SimulatedFeed(7, 50_000)
    forward = [a.price(1, h) for h in range(200)]
    backward = [b.price(1, h) for h in reversed(range(200))][::-1]
    assert forward == backward and forward[0] == 50_000
    assert SimulatedFeed(8, 50_000).price(1, 150) != forward[150]
    steps = [abs(y - x) * 10_000 / x for x, y in zip(forward, forward[1:])]
    assert max(steps) <= 800 + 1                      # a step or a jump, never more


def test_simulated_feed_jumps_and_shocks():
    f = SimulatedFeed(3, 10_000, jump_per_mille=1000, jump_bps=500)
    assert all(abs(f.price(0, h + 1) - f.price(0, h)) == f.price(0, h) * 500 // 10_000
               for h in range(20))
    g = SimulatedFeed(3, 10_000, step_bps=0, jump_per_mille=0)
    g.shock(5, -2000)
    assert [g.price(0, h) for h in range(4, 7)] == [10_000, 8_000, 8_000]


def test_simulated_feed_noise_differs_per_validator():
    a = SimulatedFeed(1, 50_000, noise_bps=10, noise_seed="v0")
    b = SimulatedFeed(1, 50_000, noise_bps=10, noise_seed="v1")
    diffs = [a.price(1, h) - b.price(1, h) for h in range(1, 30)]
    assert any(diffs) and all(abs(d) <= 2 * 50_000 * 10 // 10_000 + 200 for d in diffs)


def test_json_file_source(tmp_path):
    p = tmp_path / "prices.json"
    p.write_text(json.dumps({"1": 123, "2": 0}))
    s = JsonFileSource(str(p))
    assert s.price(1, 5) == 123
    with pytest.raises(FeedError, match="price"):
        s.price(2, 5)                                  # 0 is not a price
    with pytest.raises(FeedError, match="no price for 3"):
        s.price(3, 5)
    p.write_text("{not json")
    with pytest.raises(FeedError, match="not JSON"):
        s.price(1, 5)
    with pytest.raises(FeedError, match="cannot read"):
        JsonFileSource(str(tmp_path / "missing")).price(1, 1)


@pytest.fixture
def price_server():
    answers = {}

    class H(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            body = answers.get(self.path, b"{}")
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass

    srv = http.server.HTTPServer(("127.0.0.1", 0), H)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    yield f"http://127.0.0.1:{srv.server_port}", answers
    srv.shutdown()
    srv.server_close()


def test_http_source(price_server):
    url, answers = price_server
    answers["/p/1/9"] = json.dumps({"price": 4321}).encode()
    answers["/p/2/9"] = json.dumps({"price": "4321"}).encode()
    s = HttpSource(url + "/p/{market}/{height}")
    assert s.price(1, 9) == 4321
    with pytest.raises(FeedError, match="must be an integer"):
        s.price(2, 9)
    with pytest.raises(FeedError, match="no price"):
        s.price(3, 9)
    with pytest.raises(FeedError, match="http"):
        HttpSource("ftp://x")


def test_source_from_spec(tmp_path):
    assert isinstance(source_from_spec("sim:1:100"), SimulatedFeed)
    assert isinstance(source_from_spec(f"file:{tmp_path}/x"), JsonFileSource)
    assert isinstance(source_from_spec("http://127.0.0.1:1/"), HttpSource)
    for bad in ("sim:1", "nope", "file:"):
        with pytest.raises(FeedError):
            source_from_spec(bad)


def test_observation_signs_chain_market_height_price():
    key = keys.generate()
    o = sign_observation(key, "v0", "chain-a", 1, 7, 50_000)
    assert o.verifies(keys.public_key_hex(key))
    assert not o.verifies(keys.public_key_hex(keys.generate()))
    assert observation_bytes("chain-a", 1, 7, 50_000) == (
        b"darkmatch/observation/v1\x00" + bytes([7]) + b"chain-a" + (1).to_bytes(2, "big")
        + (7).to_bytes(8, "big") + (50_000).to_bytes(4, "big"))
    for field, value in (("chain_id", "chain-b"), ("market_id", 2), ("height", 8),
                         ("price", 50_001)):
        moved = Observation(**{**o.__dict__, field: value})
        assert not moved.verifies(keys.public_key_hex(key)), field
    assert observation_from_json(observation_to_json(o)) == o


@pytest.mark.parametrize("field,value,msg", [
    ("price", 0, "price"), ("price", 1 << 32, "price"), ("height", 0, "height"),
    ("market_id", 1 << 16, "market_id"), ("validator", "a b", "validator"),
    ("signature", "00" * 63, "signature"), ("extra", 1, "unknown field"),
])
def test_observation_json_refuses_bad_fields(field, value, msg):
    o = sign_observation(keys.generate(), "v0", "c", 1, 7, 50_000)
    obj = observation_to_json(o)
    obj[field] = value
    with pytest.raises(ObservationError, match=msg):
        observation_from_json(obj)
