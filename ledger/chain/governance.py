"""The validator set, evidence, slashing and parameter changes: ``Store``'s governance tables.

A mixin of ``ledger.chain.store.Store`` (it uses the store's ``_read``/``_write``
transactions and ``_head``), kept apart so each file stays short.  The rules:

* **Slashing** (``slash``, or ``record_evidence(..., slash=True)`` in the
  evidence's own transaction) moves the validator's whole stake to
  ``slashed_stake`` and sets ``slashed``: it no longer counts towards any
  quorum (``total_stake`` sums unslashed stake) and cannot come back.
  Slashing twice is a no-op that answers False.
* **Evidence** is kept once per (validator, kind, height), kinds
  ``double-sign`` (two signatures at one height on different blocks) and
  ``invalid-proof`` (a signature on a block whose proof fails); the body is
  a JSON object (the conflicting blocks' hashes and signatures) that the
  finality layer defines and checks.
* **Evidence as chain state**: the slashing that counts is the one a block
  carries (``ledger.chain.rules``: ``Store.apply_block`` slashes and records
  the evidence in the block's own transaction — ``double-sign``,
  ``double-prevote`` and ``double-precommit`` slash their validator — and
  records a judged ``operator-equivocation`` or
  ``operator-round-equivocation`` in ``operator_faults``).  Evidence a node has seen
  but no block carried yet is *pending* (``add_pending_evidence``,
  ``pending_evidence``; kinds ``double-sign``, ``double-prevote``,
  ``double-precommit``, ``invalid-proof`` and ``double-observation``, two prices signed for one market and height,
  ``ledger.chain.observation_evidence``): kept, served to the operator, never slashing on
  its own — otherwise a node that alone saw a double sign would count stake
  differently from the rest and refuse their next block.
  ``record_evidence(..., slash=True)`` remains for tools and tests that
  slash by hand.
* **Parameter changes** (``apply_param_change``) are recorded with the head's
  height and hold for later blocks.  Deciding that a quorum (> 2/3 of the
  stake) approved one is ``ledger.chain.params``'s job, not the store's.
"""

import json
from dataclasses import replace

from circuits.settlement_data import MarketParams
from verifier.errors import Conflict

from ledger.core import keys
from ledger.core.codec import canonical_json, check_fields, get_int, get_str
from ledger.core.genesis import MAX_STAKE, NAME_PATTERN
from ledger.core.limits import HEIGHT_BOUND, INT64_BOUND, check_int
from ledger.exchange.margin import FundingParams
from ledger.chain.market_state import state_from_json, state_to_json
from ledger.chain.rules import ValidatorRecord

__all__ = ["GovernanceTables", "ValidatorRecord", "StoreError", "EVIDENCE_KINDS"]

EVIDENCE_KINDS = ("double-sign", "invalid-proof")


class StoreError(Conflict):
    """A store that cannot be used or a change it refuses; the message is one line.

    (Defined here, re-exported by ``ledger.chain.store``, so that this mixin needs no
    import of the store.)"""


_PERP_FIELDS = ("liquidation_bps", "insurance_bps", "funding_rate_bps", "funding_cap_bps")


def _change_perp(c, market_id: int, perp: dict) -> None:
    """Apply a market change's perpetual fields inside the change's transaction."""
    liq, ins, body = c.execute("SELECT liquidation_bps, insurance_bps, state FROM market_perp "
                               "WHERE market_id = ?", (market_id,)).fetchone()
    state = state_from_json(body)
    funding = FundingParams(perp.get("funding_rate_bps", state.funding.rate_bps),
                            perp.get("funding_cap_bps", state.funding.cap_bps))
    c.execute("UPDATE market_perp SET liquidation_bps = ?, insurance_bps = ?, state = ? "
              "WHERE market_id = ?", (perp.get("liquidation_bps", liq),
                                      perp.get("insurance_bps", ins),
                                      state_to_json(replace(state, funding=funding)), market_id))


class GovernanceTables:
    """Validators, evidence, slashing and parameter changes (mixed into ``Store``)."""

    # ------------------------------------------------------------ validators
    def validators(self) -> list:
        """All validators (slashed ones included), by name."""
        with self._read() as c:
            rows = c.execute("SELECT * FROM validators ORDER BY name").fetchall()
        return [ValidatorRecord(n, k, s, bool(x), xs) for n, k, s, x, xs in rows]

    def validator(self, name: str) -> ValidatorRecord:
        for v in self.validators():
            if v.name == name:
                return v
        raise StoreError(f"unknown validator {name!r}")

    def total_stake(self) -> int:
        """The stake of the validators that are not slashed."""
        with self._read() as c:
            return c.execute("SELECT COALESCE(SUM(stake), 0) FROM validators "
                             "WHERE slashed = 0").fetchone()[0]

    def _slash(self, c, name) -> bool:
        row = c.execute("SELECT slashed FROM validators WHERE name = ?", (name,)).fetchone()
        if row is None:
            raise StoreError(f"unknown validator {name!r}")
        if row[0]:
            return False
        c.execute("UPDATE validators SET slashed = 1, slashed_stake = stake, stake = 0 "
                  "WHERE name = ?", (name,))
        return True

    def slash(self, validator: str) -> bool:
        """Slash a validator's whole stake and remove it; False if it already was."""
        with self._write() as c:
            return self._slash(c, validator)

    def record_evidence(self, validator: str, kind: str, height: int, body: dict, *,
                        slash: bool = False) -> int:
        """Store evidence (one per validator, kind and height) and, if ``slash``, slash the
        validator in the same transaction; returns the evidence id."""
        if kind not in EVIDENCE_KINDS:
            raise StoreError(f"evidence kind must be one of {', '.join(EVIDENCE_KINDS)}")
        check_int(height, "evidence height", 0, HEIGHT_BOUND, error=StoreError)
        if not isinstance(body, dict):
            raise StoreError("evidence body must be a JSON object")
        text = canonical_json(body).decode()
        with self._write() as c:
            known = c.execute("SELECT 1 FROM validators WHERE name = ?", (validator,)).fetchone()
            if known is None:
                raise StoreError(f"unknown validator {validator!r}")
            row = c.execute("SELECT id FROM evidence WHERE validator = ? AND kind = ? AND "
                            "height = ?", (validator, kind, height)).fetchone()
            eid = row[0] if row else c.execute(
                "INSERT INTO evidence (validator, kind, height, body) VALUES (?, ?, ?, ?)",
                (validator, kind, height, text)).lastrowid
            if slash:
                self._slash(c, validator)
        return eid

    def evidence(self) -> list:
        """All evidence as (id, validator, kind, height, body dict), oldest first."""
        with self._read() as c:
            rows = c.execute("SELECT * FROM evidence ORDER BY id").fetchall()
        return [(i, v, k, h, json.loads(b)) for i, v, k, h, b in rows]

    def add_pending_evidence(self, kind: str, validator: str, height: int, body: dict) -> bool:
        """Keep evidence this node saw until a block carries it; False if already kept."""
        check_int(height, "evidence height", 0, HEIGHT_BOUND, error=StoreError)
        key = f"{kind}|{validator}|{height}"
        with self._write() as c:
            return c.execute("INSERT OR IGNORE INTO pending_evidence VALUES (?, ?, ?, ?, ?)",
                             (key, kind, validator, height,
                              canonical_json(body).decode())).rowcount == 1

    def pending_evidence(self) -> list:
        """The pending evidence as (kind, validator, height, body dict), by height."""
        with self._read() as c:
            rows = c.execute("SELECT kind, validator, height, body FROM pending_evidence "
                             "ORDER BY height, key").fetchall()
        return [(k, v, h, json.loads(b)) for k, v, h, b in rows]

    def operator_faults(self) -> list:
        """The judged operator equivocations as (height, block height, body dict)."""
        with self._read() as c:
            rows = c.execute("SELECT height, block, body FROM operator_faults "
                             "ORDER BY height").fetchall()
        return [(h, b, json.loads(body)) for h, b, body in rows]

    def _apply_evidence(self, c, block) -> None:
        """Save what the evidence ``block`` carries does (inside ``apply_block``'s transaction;
        ``ledger.chain.rules`` checked it)."""
        for ev in block.evidence:
            body = canonical_json(ev).decode()
            if "validator" in ev:          # a validator kind (ledger.core.evidence)
                self._slash(c, ev["validator"])
                c.execute("INSERT OR IGNORE INTO evidence (validator, kind, height, body) "
                          "VALUES (?, ?, ?, ?)", (ev["validator"], ev["kind"], ev["height"], body))
            else:
                c.execute("INSERT INTO operator_faults VALUES (?, ?, ?)",
                          (ev["height"], block.height, body))
            c.execute("DELETE FROM pending_evidence WHERE key = ?",
                      (f"{ev['kind']}|{ev.get('validator', '')}|{ev['height']}",))

    # ------------------------------------------------------------ parameter changes
    def apply_param_change(self, change: dict, *, expected_height: int = None,
                           approval=()) -> int:
        """Record and apply one parameter change; returns its id.

        ``{"kind": "market", "market_id", "im_bps", "mm_bps", "fee_bps", "band_bps"}``
        replaces a market's rates; its optional ``liquidation_bps``, ``insurance_bps`` (the
        fee share of the insurance fund; the rest goes to the validators),
        ``funding_rate_bps`` and ``funding_cap_bps`` replace the perpetual market's
        (``ledger.chain.market_state``), the ones left out stay; ``{"kind": "validator", "name", "public_key",
        "stake"}`` adds a validator or sets its stake (0 removes it; a slashed
        validator cannot return, and a name keeps its key).  It holds for the
        blocks after the current head (recorded with the head's height).  The
        quorum behind it (docs/design.md §Governance) is ``ledger.chain.params``'s to check; it passes
        ``expected_height``, the head the quorum approved, checked inside the
        transaction so that a block stored meanwhile makes the change fail, and
        ``approval``, the quorum's (validator, signature bytes) pairs, kept with
        the change so that other nodes can re-check it (``param_approvals``).
        """
        try:
            kind = change.get("kind") if isinstance(change, dict) else None
            if kind == "market":
                check_fields(change, "market change", ("kind", "market_id", "im_bps", "mm_bps",
                                                       "fee_bps", "band_bps"), _PERP_FIELDS)
                p = MarketParams(*(get_int(change, k, "market change", 0, INT64_BOUND) for k in
                                   ("market_id", "im_bps", "mm_bps", "fee_bps", "band_bps")))
                perp = {k: get_int(change, k, "market change", 0, 10_001)
                        for k in _PERP_FIELDS if k in change}
            elif kind == "validator":
                w = "validator change"
                check_fields(change, w, ("kind", "name", "public_key", "stake"))
                name = get_str(change, "name", w, NAME_PATTERN)
                stake = get_int(change, "stake", w, 0, MAX_STAKE)
                pk = change["public_key"]
                keys.public_key_from_hex(pk)
            else:
                raise StoreError("parameter change kind must be 'market' or 'validator'")
        except ValueError as e:
            raise StoreError(str(e).splitlines()[0]) from None
        with self._write() as c:
            height = self._head(c)[0]
            if expected_height is not None and height != expected_height:
                raise StoreError(f"the head moved to {height}; the change was approved at "
                                 f"{expected_height}")
            if kind == "market":
                cur = c.execute("UPDATE markets SET im_bps = ?, mm_bps = ?, fee_bps = ?, "
                                "band_bps = ? WHERE market_id = ?",
                                (p.im_bps, p.mm_bps, p.fee_bps, p.band_bps, p.market_id))
                if cur.rowcount != 1:
                    raise StoreError(f"unknown market {p.market_id}")
                if perp:
                    _change_perp(c, p.market_id, perp)
            else:
                row = c.execute("SELECT public_key, slashed FROM validators WHERE name = ?",
                                (name,)).fetchone()
                if row is None:
                    other = c.execute("SELECT name FROM validators WHERE public_key = ?",
                                      (pk,)).fetchone()
                    if other is not None:
                        raise StoreError(f"public key already belongs to validator {other[0]!r}")
                    c.execute("INSERT INTO validators (name, public_key, stake) VALUES (?, ?, ?)",
                              (name, pk, stake))
                elif row[1]:
                    raise StoreError(f"validator {name!r} was slashed and cannot return")
                elif row[0] != pk:
                    raise StoreError(f"validator {name!r} has another public key")
                else:
                    c.execute("UPDATE validators SET stake = ? WHERE name = ?", (stake, name))
                total = c.execute("SELECT SUM(stake) FROM validators").fetchone()[0]
                if total >= INT64_BOUND:
                    raise StoreError("total validator stake must stay below 2^63")
            approval_json = canonical_json([[n, sig.hex()] for n, sig in approval]).decode()
            return c.execute("INSERT INTO param_changes (height, body, approval) "
                             "VALUES (?, ?, ?)",
                             (height, canonical_json(change).decode(), approval_json)).lastrowid

    def param_changes(self) -> list:
        """All parameter changes as (id, height, change dict), oldest first."""
        with self._read() as c:
            rows = c.execute("SELECT id, height, body FROM param_changes ORDER BY id").fetchall()
        return [(i, h, json.loads(b)) for i, h, b in rows]

    def param_approvals(self, height: int) -> list:
        """The changes recorded at ``height`` with their approvals: [(change, [(name, sig)])]."""
        with self._read() as c:
            rows = c.execute("SELECT body, approval FROM param_changes WHERE height = ? "
                             "ORDER BY id", (height,)).fetchall()
        return [(json.loads(b), [(n, bytes.fromhex(s)) for n, s in json.loads(a)])
                for b, a in rows]
