"""Price sources a validator observes the market through: pluggable, one interface.

A source answers ``price(market_id, height)`` with an integer price in ticks
(1 ≤ · < 2^32) or raises ``FeedError`` (one line).  The validator signs what
its source answered (``ledger.core.observation``); the chain never trusts one
source, only the stake-weighted median of a quorum's observations
(``ledger.chain.oracle_quorum``).

* ``SimulatedFeed(seed, start, …)``: a seeded random walk per market with
  occasional jumps, a pure function of (seed, market, height), so every run
  of the demo and the tests sees the same prices.  Each step moves the price
  by a uniform draw in ±``step_bps``; with probability ``jump_per_mille``/1000
  a step is a jump of ±``jump_bps`` instead.  ``noise_bps`` adds a
  per-validator deviation (seeded by ``noise_seed``), so that validators do
  not all report the same number and the median has work to do.
  ``shock(height, bps)`` forces a jump at a height (the demo's price shock).
* ``JsonFileSource(path)``: a JSON object ``{"<market id>": price, …}`` read
  on every call (another process may rewrite it).
* ``HttpSource(url)``: GET ``url`` (``{market}`` and ``{height}`` are
  substituted) answering ``{"price": int}``; at most ``MAX_FEED_BYTES`` read,
  ``FEED_TIMEOUT_S`` seconds.

``source_from_spec("sim:SEED:START" | "file:PATH" | "http(s)://…")`` builds
one from a command-line string.
"""

import json
import random
import urllib.request

from verifier.errors import BadInput

from ledger.core.limits import FEED_TIMEOUT_S, MAX_FEED_BYTES, PRICE_BOUND, check_int

__all__ = ["FeedError", "SimulatedFeed", "JsonFileSource", "HttpSource", "source_from_spec",
           "check_price"]

_BPS = 10_000


class FeedError(BadInput):
    """A price source that cannot answer; one line."""


def check_price(value, where: str) -> int:
    """``value`` if it is a price in ticks (1 ≤ · < 2^32), else ``FeedError``."""
    return check_int(value, f"{where}: price", 1, PRICE_BOUND, error=FeedError)


class SimulatedFeed:
    """A seeded random walk with jumps (module docstring); prices depend only on the
    arguments, never on the order of the calls."""

    def __init__(self, seed: int, start: int, *, step_bps: int = 30, jump_bps: int = 800,
                 jump_per_mille: int = 20, noise_bps: int = 0, noise_seed=None):
        check_price(start, "simulated feed start")
        self.seed, self.start = seed, start
        self.step_bps, self.jump_bps, self.jump_per_mille = step_bps, jump_bps, jump_per_mille
        self.noise_bps, self.noise_seed = noise_bps, noise_seed
        self._shocks = {}                       # height → bps
        self._walk = {}                         # market → [price at height 0, 1, …]

    def shock(self, height: int, bps: int) -> None:
        """Force a jump of ``bps`` (signed) at ``height`` (before any price is read)."""
        self._shocks[height] = bps
        self._walk.clear()

    def _path(self, market_id: int, height: int) -> list:
        path = self._walk.setdefault(market_id, [self.start])
        while len(path) <= height:
            h = len(path)
            rng = random.Random(f"{self.seed}/{market_id}/{h}")
            if h in self._shocks:
                move = self._shocks[h]
            elif rng.randrange(1000) < self.jump_per_mille:
                move = rng.choice((-1, 1)) * self.jump_bps
            else:
                move = rng.randint(-self.step_bps, self.step_bps)
            prev = path[-1]
            delta = prev * abs(move) // _BPS * (1 if move >= 0 else -1)   # toward zero
            path.append(min(PRICE_BOUND - 1, max(1, prev + delta)))
        return path

    def price(self, market_id: int, height: int) -> int:
        p = self._path(market_id, height)[height]
        if self.noise_bps and self.noise_seed is not None:
            rng = random.Random(f"{self.noise_seed}/{market_id}/{height}")
            p += p * rng.randint(-self.noise_bps, self.noise_bps) // _BPS
        return min(PRICE_BOUND - 1, max(1, p))


class JsonFileSource:
    """Prices from a JSON file ``{"<market id>": price}``, read on every call."""

    def __init__(self, path):
        self.path = path

    def price(self, market_id: int, height: int) -> int:
        where = f"price file {self.path}"
        try:
            with open(self.path, "rb") as f:
                raw = f.read(MAX_FEED_BYTES + 1)
        except OSError as e:
            raise FeedError(f"{where}: cannot read ({e.strerror})") from None
        return _pick(raw, market_id, where)


class HttpSource:
    """Prices from an HTTP endpoint answering ``{"price": int}``."""

    def __init__(self, url: str, timeout: float = FEED_TIMEOUT_S):
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise FeedError(f"price URL must start with http:// or https://: {url!r}")
        self.url, self.timeout = url, timeout

    def price(self, market_id: int, height: int) -> int:
        url = self.url.replace("{market}", str(market_id)).replace("{height}", str(height))
        try:
            with urllib.request.urlopen(url, timeout=self.timeout) as resp:
                raw = resp.read(MAX_FEED_BYTES + 1)
        except Exception as e:              # URLError, HTTPError, timeouts, protocol errors
            raise FeedError(f"price URL {url}: {type(e).__name__}: "
                            f"{' '.join(str(e).split())}") from None
        return _pick(raw, "price", f"price URL {url}")


def _pick(raw: bytes, key, where: str) -> int:
    if len(raw) > MAX_FEED_BYTES:
        raise FeedError(f"{where}: answer larger than {MAX_FEED_BYTES} bytes")
    try:
        obj = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise FeedError(f"{where}: not JSON") from None
    if not isinstance(obj, dict) or str(key) not in obj:
        raise FeedError(f"{where}: no price for {key}")
    return check_price(obj[str(key)], where)


def source_from_spec(spec: str, *, noise_seed=None):
    """A source from ``sim:SEED:START``, ``file:PATH`` or an http(s) URL."""
    if not isinstance(spec, str):
        raise FeedError("price source must be a string")
    if spec.startswith(("http://", "https://")):
        return HttpSource(spec)
    if spec.startswith("file:") and len(spec) > 5:
        return JsonFileSource(spec[5:])
    if spec.startswith("sim:"):
        parts = spec.split(":")
        try:
            seed, start = int(parts[1]), int(parts[2])
        except (IndexError, ValueError):
            raise FeedError(f"simulated feed must be sim:SEED:START, not {spec!r}") from None
        return SimulatedFeed(seed, start, noise_bps=5 if noise_seed else 0,
                             noise_seed=noise_seed)
    raise FeedError(f"unknown price source {spec!r} (sim:SEED:START, file:PATH or a URL)")
