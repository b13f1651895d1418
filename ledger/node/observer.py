"""A validator's oracle duty: observe its price source and sign, once per block; public risk.

``Observer(key, name, store, source)`` answers ``observe(market_id, height)``
with this validator's signed ``Observation`` (``ledger.core.observation``) of
its source's price (``ledger.exchange.oracle``), under these rules:

* only for an oracle market of this ledger (``NotFound`` otherwise);
* only for the next block, height = head + 1 (``Conflict`` otherwise: an
  older height is stale, a later one this node cannot judge yet);
* once per (market, height): a second request gets the same signed price,
  so that the operator cannot ask again until the feed moves its way; a
  node keeps what it signed in its store's file (``ledger.node.observed``),
  so a restarted node serves the same price again (an ``Observer`` made
  without a log remembers for the process's life only);
* a source that cannot answer is ``Rejected`` with its one-line reason.

A node reads its source from ``HOME/price_source`` (one line: ``sim:SEED:START``,
``file:PATH`` or an http(s) URL; ``load_observer``); a simulated source is
given a per-validator noise seed (the validator's name), so that validators
differ slightly, as real feeds do.

``market_figures(store)`` is the public risk view the node's ``/status``
carries per market: mark, index, breaker and reduce-only state, funding
index, insurance fund, open shortfall, validators' rewards.
"""

import os
import threading

from verifier.errors import Conflict, Rejected

from ledger.core.observation import sign_observation
from ledger.exchange.oracle import FeedError, source_from_spec
from ledger.node.observed import ObservedLog

__all__ = ["Observer", "NotObserved", "load_observer", "market_figures", "PRICE_SOURCE_FILE"]

PRICE_SOURCE_FILE = "price_source"


class NotObserved(Rejected):
    """No observation for this request (no source, no oracle market); one line."""

    http_status = 404


class Observer:
    """One validator's signed observations (module docstring)."""

    def __init__(self, key, name: str, store, source, log=None):
        self.key, self.name, self.store, self.source, self.log = key, name, store, source, log
        self._signed = {}                   # (market, height) → Observation
        self._lock = threading.Lock()

    def observe(self, market_id: int, height: int):
        view = self.store.view()
        market = view.markets.get(market_id)
        if market is None or not market.state.oracle:
            raise NotObserved(f"market {market_id} is not an oracle market of this ledger")
        if height != view.height + 1:
            raise Conflict(f"observations are signed for the next block only: height "
                           f"{view.height + 1}, not {height}")
        with self._lock:
            got = self._signed.get((market_id, height))
            if got is None and self.log is not None:
                got = self.log.get(market_id, height)
            if got is None:
                try:
                    price = self.source.price(market_id, height)
                except FeedError as e:
                    raise Rejected(f"validator {self.name}: {e}") from None
                got = sign_observation(self.key, self.name, view.chain_id, market_id, height,
                                       price)
                if self.log is not None:
                    got = self.log.keep(got)            # durable before it leaves the node
                self._signed = {k: v for k, v in self._signed.items() if k[1] >= view.height}
                self._signed[(market_id, height)] = got
        return got


def load_observer(home, key, name, store):
    """The node's ``Observer`` from ``HOME/price_source``, or None when it has none."""
    path = os.path.join(home, PRICE_SOURCE_FILE)
    try:
        with open(path, encoding="ascii") as f:
            spec = f.read(4096).strip()
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as e:
        raise FeedError(f"{path}: cannot read ({e})") from None
    return Observer(key, name, store, source_from_spec(spec, noise_seed=name),
                    log=ObservedLog(store.path))


def market_figures(store) -> dict:
    """Per market id (as a string): the public risk figures (module docstring)."""
    out = {}
    for mid, m in store.view().markets.items():
        s = m.state
        out[str(mid)] = {"mark": m.mark_price, "index": s.index, "oracle": s.oracle,
                         "breaker": s.breaker, "reduce_only": s.reduce_only,
                         "funding_index": s.funding_index, "insurance_fund": str(s.insurance),
                         "shortfall": str(s.shortfall),
                         "rewards": {n: str(a) for n, a in s.rewards}}
    return out
