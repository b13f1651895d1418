"""Evidence gossip: a node passes the evidence it catches to its peers, and takes theirs.

Evidence slashes only when a block carries it (``ledger.chain.rules``), and the
operator gathers what every validator holds before each block
(``ledger.operator.proposal.gather_evidence``).  Gossip makes that gathering
independent of which node saw the misbehaviour: when a node catches a double
sign, a double vote in a round or an operator equivocation it sends everything it holds to each peer at
once, in the background (``spread``: one request per peer, each with the
node's peer timeout, failures only logged).

``POST /evidence`` takes ``{"kind": "darkmatch-evidence", "version": 1,
"evidence": [...]}`` (``accept``): each item must be a well-formed
``ledger.core.evidence`` object of any kind (else 400) whose signatures
verify under this ledger's keys (else 422, nothing kept: one forged item
refuses the whole document); evidence already judged by the chain is
``known``; the rest is kept: a validator's as pending evidence in the store,
the operator's in the node's proposal log (one per height).  A node does not
pass on what it was sent (the node that caught it sends to all its peers).
"""

import threading

from verifier.errors import Rejected

from ledger.core.codec import check_object, get_list
from ledger.core.evidence import MAX_EVIDENCE, VALIDATOR_KINDS, evidence_from_json
from ledger.chain.rules import check_evidence
from ledger.node.client import NodeClient, each

__all__ = ["EVIDENCE_DOC_KIND", "evidence_doc", "parse_evidence_doc", "accept", "spread"]

EVIDENCE_DOC_KIND = "darkmatch-evidence"
_MAX_ITEMS = 16 * MAX_EVIDENCE


def evidence_doc(items) -> dict:
    return {"kind": EVIDENCE_DOC_KIND, "version": 1, "evidence": list(items)}


def parse_evidence_doc(obj, what: str = "evidence") -> list:
    """The evidence objects of an evidence document; one-line ``CodecError`` if malformed."""
    check_object(obj, what, EVIDENCE_DOC_KIND, 1, ("evidence",))
    return [evidence_from_json(e, f"{what}: evidence[{i}]")
            for i, e in enumerate(get_list(obj, "evidence", what, _MAX_ITEMS))]


def _judged(view, ev) -> bool:
    if ev["kind"] in VALIDATOR_KINDS:
        rec = view.validators.get(ev["validator"])
        return rec is not None and rec.slashed
    return ev["height"] in view.operator_faults


def accept(store, proposals, obj) -> dict:
    """Keep the evidence of document ``obj`` (module docstring); what was added and known."""
    items = parse_evidence_doc(obj)                      # 400 if malformed
    view = store.view()
    fresh = []
    for i, ev in enumerate(items):
        if _judged(view, ev):
            continue
        check_evidence(view, ev, f"evidence[{i}]", error=Rejected)     # 422 if false
        fresh.append(ev)
    added = 0
    for ev in fresh:
        if ev["kind"] in VALIDATOR_KINDS:
            added += store.add_pending_evidence(ev["kind"], ev["validator"], ev["height"], ev)
        else:
            added += proposals.keep(ev)
    return {"status": "ok", "added": added, "known": len(items) - added}


def spread(node) -> threading.Thread:
    """Send everything ``node`` holds to each of its peers, in a background thread."""
    items = node.evidence()["evidence"]
    peers = [p for p in node.peers if p != node.url]
    if not items or not peers:
        return None

    def send():
        doc = evidence_doc(items)
        answers = each(peers, lambda u: NodeClient(u, node.peer_timeout).request(
            "POST", "/evidence", doc), node.peer_timeout)
        for url, (_, err) in answers.items():
            if err is not None:
                node.log(f"evidence not passed to {url}: {err}")

    t = threading.Thread(target=send, name="darkmatch-gossip", daemon=True)
    t.start()
    return t
