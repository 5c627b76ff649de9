"""``dealflow audit``: recompute a deal's hash chain and name the first event changed,
removed, inserted or moved after it was recorded."""

from __future__ import annotations

import typer

from dealflow.cli.app import app
from dealflow.cli.base import emit_json, options, say, service
from dealflow.cli.params import DealId


@app.command(rich_help_panel="Contracts")
def audit(ctx: typer.Context, deal_id: DealId) -> None:
    """Check that the deal's events are as they were recorded: each event carries the SHA-256
    of the one before it, and the whole chain is recomputed from what the store holds.

    Prints "chain intact: N events, head HASH" and exits 0, or "BROKEN at vN EVENT: what
    happened" (the first event changed, removed, inserted or moved) and exits 1. A log
    rewritten with every hash recomputed, or cut short, still looks intact here: the head a
    signed contract embeds catches that (dealflow verify FILE.pdf --store ...).

    \b
    Examples:
      dealflow audit 3f2a9c1b7d4e
      dealflow --json audit 3f2a9c1b7d4e
    """
    report = service(ctx).audit(deal_id)
    if options(ctx).json:
        emit_json(report)
    elif report.first_break is None:
        say(f"chain intact: {report.events} events, head {report.head}")
    else:
        say(f"BROKEN at {report.first_break}")
    if not report.ok:
        raise typer.Exit(1)
