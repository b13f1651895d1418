"""``darkmatch operator monitor --home DIR [--watch SECONDS]``: the operator's risk view.

A table of every account of the operator's market, lowest margin ratio first:
position, equity after the funding it owes at the mark, notional, margin
ratio (bps) — those below maintenance highlighted, as the operator's next
batch will liquidate them (``ledger.operator.liquidations``) — and the
market's public figures: mark vs index, breaker and reduce-only state,
funding index, insurance fund, open shortfall, validators' rewards.  With
``--watch`` the view refreshes every SECONDS until interrupted.
"""

import time

__all__ = ["run_monitor", "add_monitor_parser", "risk_table"]


def risk_table(home):
    """A rich renderable of the home's accounts and market figures."""
    from rich.console import Group
    from rich.table import Table

    from ledger.operator.liquidations import risk_report
    params, mark = home.store.market(home.market_id)
    s = home.store.market_state(home.market_id)
    head = home.store.head()[0]
    header = (f"market {home.market_id} at block {head}: mark {mark:,}, index {s.index:,}, "
              f"breaker {'TRIPPED' if s.breaker else 'off'}, "
              f"reduce-only {'yes' if s.reduce_only else 'no'}, funding index "
              f"{s.funding_index:,}, insurance fund {s.insurance:,}, shortfall {s.shortfall:,}, "
              f"rewards {sum(a for _, a in s.rewards):,}")
    table = Table(title=header, title_justify="left")
    for col in ("account", "position", "equity", "notional", "margin bps", "status"):
        table.add_column(col, justify="right")
    for r in risk_report(home.states, s.funding_index, mark, params):
        style = "bold red" if r.below_maintenance else None
        table.add_row(str(r.account), f"{r.position:,}", f"{r.equity:,}", f"{r.notional:,}",
                      "-" if r.ratio_bps is None else f"{r.ratio_bps:,}",
                      f"below maintenance ({params.mm_bps} bps)" if r.below_maintenance
                      else "ok", style=style)
    return Group(table)


def run_monitor(args) -> int:
    from rich.console import Console
    from rich.live import Live

    from ledger.cli.main import UserError
    from ledger.operator.home import OperatorHome
    if args.watch is not None and not 0.2 <= args.watch <= 3600:
        raise UserError("--watch must be between 0.2 and 3600 seconds")
    console = Console(highlight=False)
    home = OperatorHome(args.home)
    try:
        if args.watch is None:
            console.print(risk_table(home))
            return 0
        with Live(risk_table(home), console=console, auto_refresh=False) as live:
            try:
                while True:
                    time.sleep(args.watch)
                    home.close()
                    home = OperatorHome(args.home)         # the batches' latest states
                    live.update(risk_table(home), refresh=True)
            except KeyboardInterrupt:
                return 0
    finally:
        home.close()


def add_monitor_parser(s) -> None:
    m = s.add_parser("monitor", help="margin ratios, liquidations due, the market's risk figures",
                     description="The operator's risk view of every account and the market.")
    m.add_argument("--home", required=True, metavar="DIR")
    m.add_argument("--watch", type=float, metavar="SECONDS",
                   help="refresh every SECONDS until interrupted (default: print once)")
    m.set_defaults(func=run_monitor)
