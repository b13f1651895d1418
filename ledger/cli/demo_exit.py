"""``darkmatch demo --exit``: the final act, every trader takes its money out alone.

After the demo's batches (``ledger.cli.demo``) on a self-custody market
(``Market.create(encrypted=True)``: encrypted openings, Escape on the chain):

1. the operator stops: no block settles any more;
2. the chain's clock passes Escape's governed freeze time
   (``ledger.ethereum.chain.advance_clock``) and anyone freezes the contract;
3. every trader, with its own encryption key only, decrypts its newest
   opening from the contract's ``OpeningPublished`` events
   (``ledger.ethereum.escape.recover_from_chain``, checked against the stored
   commitment), proves its exit on its own (``prove_exit``) and claims it from
   its wallet (``claim_exit``): the contract pays its equity at the last
   settled mark, floored at zero;
4. the vault is left with the insurance fund and the validators' rewards
   (less any bad debt the fund covered): ``docs/custody.md``, solvency.
   When the bad debt exceeded the fund, the vault holds less than the
   accounts' equity: the contract refuses the exits it cannot pay
   (``Insolvent``), and the table shows each such trader as refused, with the
   amount it was owed, instead of stopping the demo.

``final_act(market, chain)`` does 1–3 and returns the rows and the vault's
figures; ``exit_table`` renders them.
"""

import time

__all__ = ["final_act", "exit_table", "unpaid"]


def final_act(market, chain) -> dict:
    """Freeze the stalled contract and exit every trader (module docstring)."""
    from ledger.ethereum.chain import ChainError, advance_clock, send
    from ledger.ethereum.escape import claim_exit, exit_view, prove_exit, recover_from_chain
    escape, w3 = chain.onchain.settlement, chain.w3
    f = escape.functions
    frozen_at = f.lastSettledAt().call() + f.freezeAfter().call()
    advance_clock(w3, frozen_at)
    send(w3, f.freeze(1), w3.eth.accounts[0], gas=200_000, contract=escape)
    rows = []
    for account, wallet in chain.wallets.items():
        t = time.perf_counter()
        got = recover_from_chain(escape, account, market.custody["secrets"][account])
        amount, proof = prove_exit(market.custody["exit_pk"], account, got.opening,
                                   exit_view(escape, account))
        before = chain.balance(account)
        try:
            receipt = claim_exit(w3, escape, account, amount, proof, wallet)
            gas, refused = receipt.gasUsed, None
        except ChainError as e:          # e.g. Insolvent: the vault holds less than is owed
            gas, refused = None, str(e).removeprefix("transaction refused: ")
        rows.append({"account": account, "height": got.height, "cash": got.opening.cash,
                     "position": got.opening.position, "paid": chain.balance(account) - before,
                     "amount": amount, "gas": gas, "refused": refused,
                     "seconds": time.perf_counter() - t})
    return {"rows": rows, "frozen_at": frozen_at, "mark": f.lastMark().call(),
            "vault": f.collateral().call(), "insurance": f.insurance().call(),
            "rewards": f.rewards().call(), "owed": f.owed().call()}


def exit_table(result):
    """A rich Table of ``final_act``'s rows."""
    from rich.table import Table
    table = Table(title=f"darkmatch demo --exit: operator stopped, contract frozen, every trader "
                        f"exits at the last mark {result['mark']:,}", title_justify="left")
    for col in ("trader", "state of block", "cash", "position", "exit paid", "gas", "recover+prove+claim s"):
        table.add_column(col, justify="right", no_wrap=True)
    for r in result["rows"]:
        paid = f"{r['paid']:,}" if r.get("refused") is None else \
            f"0 (owed {r['amount']:,}: refused, {r['refused']})"
        gas = "-" if r["gas"] is None else f"{r['gas']:,}"
        table.add_row(str(r["account"]), str(r["height"]), f"{r['cash']:,}", f"{r['position']:,}",
                      paid, gas, f"{r['seconds']:.2f}")
    return table


def unpaid(result) -> int:
    """What the refused exits were owed: the vault's shortfall against the accounts' equity."""
    return sum(r["amount"] for r in result["rows"] if r.get("refused") is not None)
