"""``dealflow feed``: the ordered event feed as JSON lines, for integrations."""

from __future__ import annotations

import time
from typing import Annotated

import typer

from dealflow.cli.app import app
from dealflow.cli.base import service
from dealflow.domain.money import SHOWN


@app.command(rich_help_panel="Integrate")
def feed(
    ctx: typer.Context,
    after: Annotated[
        int,
        typer.Option(
            "--after",
            metavar="POSITION",
            min=0,
            max=2**63 - 1,
            help="Start after this position (0: the beginning).",
        ),
    ] = 0,
    limit: Annotated[
        int | None,
        typer.Option(
            "--limit", metavar="N", min=1, max=2**63 - 1, help="Stop after this many events."
        ),
    ] = None,
    follow: Annotated[
        bool, typer.Option("--follow", help="Keep waiting for new events (Ctrl-C stops).")
    ] = False,
    interval: Annotated[
        float,
        typer.Option(
            "--interval", metavar="SECONDS", min=0.05, max=3600, help="Seconds between polls."
        ),
    ] = 1.0,
) -> None:
    """Print stored events in order as JSON lines: {"position", "schema_version", "event"}.

    Keep the last position you processed and pass it as --after to resume: every event is
    delivered at least once, in order, with no gaps.

    \b
    Examples:
      dealflow feed --after 120
      dealflow feed --follow
    """
    svc = service(ctx)
    position, printed = after, 0
    while True:
        batch = svc.feed(after=position, limit=min(500, limit - printed) if limit else 500)
        for entry in batch:
            typer.echo(entry.model_dump_json(context=SHOWN))  # amounts in plain digits
            position = entry.position
        printed += len(batch)
        if limit is not None and printed >= limit:
            return
        if not batch:
            if not follow:
                return
            time.sleep(interval)
