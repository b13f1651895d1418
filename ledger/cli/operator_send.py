"""How ``darkmatch operator batch`` sends a block and reports the round (``ledger.cli.operator``).

* ``round_fn`` — the two-phase rounds (``ledger.operator.rounds.run_in_rounds``,
  docs/liveness.md §Rounds), or with ``--single-phase`` the legacy round;
* ``locked_block`` — with no stored proposal, the block the validators are
  locked on at the next height: stored and re-sent (when ``pending.json``
  lost its states, the accounts it touches are marked state unknown first);
* ``resend`` — the stored proposal, re-sent until final;
* ``report_round`` — each validator's refusal, and how far a round that did
  not finish got.
"""

__all__ = ["report_round", "round_fn", "locked_block", "resend"]


def report_round(console, home, quorum, block, rnd) -> bool:
    """Print each validator's refusal; True when the block is final."""
    for url, why in getattr(rnd, "bad", {}).items():
        console.print(f"  {url} answered the lock query with an unbacked claim, {why}",
                      soft_wrap=True)
    for url, why in rnd.refusals.items():
        console.print(f"  {url} did not sign: {why}", soft_wrap=True)
    for url, why in rnd.finalize_errors.items():
        console.print(f"  {url} did not store the block: {why}", soft_wrap=True)
    if rnd.block is None:
        total = home.store.total_stake()
        if hasattr(rnd, "prevoted"):                 # the two-phase rounds
            stake = {v.name: v.stake for v in home.store.validators() if not v.slashed}
            got = (f"round {rnd.round}: prevotes hold "
                   f"{sum(stake.get(n, 0) for n in set(rnd.prevoted))} of {total} stake, "
                   f"precommits {sum(stake.get(n, 0) for n in set(rnd.precommitted))}, "
                   f"attestations {quorum.signed_stake(block.height, block.hash())} "
                   "(each needs > 2/3)")
        else:
            got = (f"{quorum.signed_stake(block.height, block.hash())} of {total} stake "
                   "signed (needs > 2/3)")
        console.print(f"NOT FINAL: block {block.height}: {got}; the next operator batch "
                      "re-sends this same block", soft_wrap=True)
        return False
    return True


def round_fn(args, home, quorum, op_key):
    """How a block is sent: the two-phase rounds (``ledger.operator.rounds.run_in_rounds``,
    docs/liveness.md §Rounds), or with ``--single-phase`` the legacy single-phase round."""
    if getattr(args, "single_phase", False):
        from ledger.operator import round as single
        return lambda b: single.run_round(args.validator, b, quorum, apply=True,
                                          timeout=args.timeout)
    from ledger.operator.rounds import run_in_rounds
    return lambda b: run_in_rounds(args.validator, b, op_key, home.store, quorum,
                                   timeout=args.timeout)


def locked_block(console, home, op_key, height, args, urls):
    """With no stored proposal: the block the validators at ``urls`` are locked on at
    ``height``, stored again as the proposal (then it is re-sent, no proof: its proof was
    verified when the validators prevoted it); None when nobody is locked (a new block may be
    proposed).  When ``pending.json`` no longer holds the states it leaves, the accounts it
    touches are first marked "state unknown" in the home (``OperatorHome.mark_unknown``):
    later batches leave them out until their owners hand their states back (``darkmatch
    operator recover``, docs/liveness.md)."""
    from ledger.operator.proposal import store_proposal
    from ledger.operator.rounds import reproposal
    _, pick = reproposal(urls, height, home.store, timeout=args.timeout)
    if pick is None:
        return None
    pol_round, block, _ = pick
    if home.pending_for(block) is not None:
        console.print(f"  validators are locked on block {height} ({block.hash()[:16]}…, "
                      f"round {pol_round}) and pending.json holds its states: proposing it "
                      "again", soft_wrap=True)
    else:
        lost = home.mark_unknown(block)
        console.print(f"  validators are locked on block {height} ({block.hash()[:16]}…, "
                      f"round {pol_round}) whose private states this home lost: proposing it "
                      f"again; account(s) {', '.join(map(str, lost))} are marked state unknown "
                      "until their owners hand their states back (darkmatch operator recover)",
                      soft_wrap=True)
    return store_proposal(home.home, block, op_key)


def resend(console, home, quorum, block, args, onchain=None) -> int:
    """Re-send the stored proposal (``ledger.operator.proposal``) until its height is final."""
    from ledger.cli.operator import settle_on_chain
    from ledger.operator.proposal import drop_proposal, load_operator_key
    console.print(f"  re-sending the stored proposal for block {block.height} "
                  f"({block.hash()[:16]}…); the orders in --orders wait for the next batch")
    rnd = round_fn(args, home, quorum, load_operator_key(home.home, home.genesis))(block)
    if not report_round(console, home, quorum, block, rnd):
        return 1
    home.reconcile()
    drop_proposal(home.home)
    console.print(f"FINAL: block {block.height} ({block.hash()[:16]}…): price {block.price}, "
                  f"mark {block.mark_price}, volume {block.volume}, "
                  f"{len(block.active_orders())} orders; signed by "
                  f"{len(rnd.block.signatures)}/{len(args.validator)} validators (re-sent)")
    return 0 if onchain is None else settle_on_chain(onchain, args, rnd.block, console)
