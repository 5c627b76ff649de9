"""The commands about the relationship with the buyer: the interaction log (more to come:
review, health)."""

from __future__ import annotations

from typing import Annotated

import typer

from dealflow.cli.base import RoleName, actor, app, service
from dealflow.cli.deal_commands import DealId, Name, report
from dealflow.domain.interactions import Channel, InteractionKind


@app.command(rich_help_panel="Relationship")
def log(
    ctx: typer.Context,
    deal_id: DealId,
    channel: Annotated[Channel, typer.Option("--channel", help="How the contact happened.")],
    kind: Annotated[InteractionKind, typer.Option("--kind", help="What it was about.")],
    note: Annotated[str, typer.Option("--note", help="What happened, in a sentence or two.")],
    csat: Annotated[
        int | None,
        typer.Option("--csat", min=1, max=5, help="The buyer's satisfaction, 1 (poor) to 5."),
    ] = None,
    role: Annotated[
        RoleName, typer.Option("--as", help="Your role (default: seller).")
    ] = RoleName.SELLER,
    name: Name = None,
) -> None:
    """Record a contact with the buyer, at any stage: a meeting, a call, a complaint, a
    competitor's quote. The stage does not change.

    Example: dealflow log 3f2a9c1b7d4e --channel phone --kind feedback --csat 4 --note "Happy"
    """
    svc = service(ctx)
    deal = svc.log_interaction(
        deal_id,
        actor(svc.get(deal_id), role, name),
        channel=channel,
        kind=kind,
        note=note,
        csat=csat,
    )
    report(ctx, deal, f"Logged {kind.value}")
