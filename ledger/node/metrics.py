"""A validator node's ``GET /metrics``: its public figures in Prometheus text format.

``install_metrics(app, node)`` adds the route to a node's Flask app and counts
every request the app answers.  Each node has its own
``prometheus_client.CollectorRegistry`` (several nodes share one process in the
tests), so nothing goes to the library's global registry.  The figures are read
from the node's store at each scrape, the same values as ``GET /status``:

    darkmatch_head_height                          head height
    darkmatch_finalized_blocks                     finalized blocks stored (heights 1..head)
    darkmatch_syncing                              1 while catching up from peers
    darkmatch_bad_peers                            peers that served a bad block
    darkmatch_market_mark_price{market}            mark M
    darkmatch_market_index_price{market}           the quorum's index (0 before the first block)
    darkmatch_market_oracle{market}                1 for an oracle market
    darkmatch_market_funding_index{market}         cumulative funding index F (quote per lot)
    darkmatch_market_insurance_fund{market}        insurance fund (quote units)
    darkmatch_market_shortfall{market}             open shortfall (quote units)
    darkmatch_market_breaker{market}               1 while the circuit breaker is tripped
    darkmatch_market_reduce_only{market}           1 while the market is reduce-only
    darkmatch_validator_reward{market, validator}  a validator's reward balance
    darkmatch_validator_stake{validator}           declared stake
    darkmatch_validator_slashed{validator}         1 once slashed
    darkmatch_unslashed_stake                      the stake that counts for quorums
    darkmatch_http_requests_total{route, method, status}   requests answered

The route label is the matched rule (``/blocks/<height>``, not the height), or
``unmatched``, so the series stay few.  The collateral deposited on Ethereum
is not known to a node (``darkmatch chain status`` reads it from the
contract), so it is not exported here.  Money values up to 2^80 are exported
as floats, which is exact below 2^53.
"""

from flask import Response, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, generate_latest
from prometheus_client.core import GaugeMetricFamily

from ledger.node.observer import market_figures

__all__ = ["NodeCollector", "install_metrics", "node_registry"]

_PREFIX = "darkmatch_"
_MARKET = (("mark_price", "mark", "mark price M"),
           ("index_price", "index", "the oracle quorum's index price"),
           ("oracle", "oracle", "1 for an oracle market, 0 for a development market"),
           ("funding_index", "funding_index", "cumulative funding index F, quote units per lot"),
           ("insurance_fund", "insurance_fund", "insurance fund, quote units"),
           ("shortfall", "shortfall", "open shortfall (bad debt not covered), quote units"),
           ("breaker", "breaker", "1 while the circuit breaker is tripped"),
           ("reduce_only", "reduce_only", "1 while the market is reduce-only"))


def _gauge(name, doc, value=None, labels=()):
    return GaugeMetricFamily(_PREFIX + name, doc, value=value, labels=list(labels) or None)


class NodeCollector:
    """Reads ``node``'s public figures at each scrape (module docstring)."""

    def __init__(self, node):
        self.node = node

    def collect(self):
        node = self.node
        view = node.store.view()
        yield _gauge("head_height", "height of the node's head", view.height)
        yield _gauge("finalized_blocks", "finalized blocks stored", view.height)
        yield _gauge("syncing", "1 while the node catches up from its peers", int(node.syncing))
        yield _gauge("bad_peers", "peers that served a bad block", len(node.bad_peers))
        figures = market_figures(node.store)
        for metric, key, doc in _MARKET:
            g = _gauge("market_" + metric, doc, labels=("market",))
            for mid, f in sorted(figures.items()):
                g.add_metric([mid], float(int(f[key])))
            yield g
        rewards = _gauge("validator_reward", "a validator's reward balance, quote units",
                         labels=("market", "validator"))
        for mid, f in sorted(figures.items()):
            for name, amount in sorted(f["rewards"].items()):
                rewards.add_metric([mid, name], float(int(amount)))
        yield rewards
        stake = _gauge("validator_stake", "a validator's declared stake", labels=("validator",))
        slashed = _gauge("validator_slashed", "1 once the validator is slashed",
                         labels=("validator",))
        for name, v in sorted(view.validators.items()):
            stake.add_metric([name], float(v.stake))
            slashed.add_metric([name], float(int(v.slashed)))
        yield stake
        yield slashed
        yield _gauge("unslashed_stake", "the stake of the validators not slashed",
                     view.total_stake())


def node_registry(node) -> CollectorRegistry:
    """A fresh registry holding ``node``'s collector (not the library's global one)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(NodeCollector(node))
    return registry


def install_metrics(app, node) -> CollectorRegistry:
    """Add ``GET /metrics`` to ``app`` and count its requests; the node's registry."""
    registry = node_registry(node)
    requests = Counter(_PREFIX + "http_requests", "HTTP requests answered",
                       ("route", "method", "status"), registry=registry)

    @app.after_request
    def _count(response):
        rule = request.url_rule
        requests.labels(rule.rule if rule is not None else "unmatched", request.method,
                        str(response.status_code)).inc()
        return response

    @app.get("/metrics")
    def _metrics():
        return Response(generate_latest(registry), mimetype=None,
                        content_type=CONTENT_TYPE_LATEST)

    return registry
