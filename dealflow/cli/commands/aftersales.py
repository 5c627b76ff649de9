"""The commands after signing (service, amendments, commitments, the review, completion) and
the expiry sweep."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from dealflow.cli.app import app
from dealflow.cli.base import (
    RoleName,
    actor,
    cells,
    columns,
    emit_json,
    options,
    out,
    say,
    service,
    when,
)
from dealflow.cli.commands.deals import report
from dealflow.cli.params import DealId, Name, NoteOpt, Reason, ViaOpt, acting_as, role_option
from dealflow.cli.terms_options import changes_terms
from dealflow.domain.aftersales import KEEPERS, WAIVERS
from dealflow.domain.lifecycle import Action
from dealflow.domain.messages import counted
from dealflow.domain.terms import (
    TermsChange,  # read by changes_terms at import: not for typing only
)

if TYPE_CHECKING:
    from dealflow.domain.commitments import Commitment


@app.command("start-service", rich_help_panel="After the sale")
def start_service(
    ctx: typer.Context,
    deal_id: DealId,
    role: Annotated[RoleName, acting_as(Action.START_SERVICE)],
    note: NoteOpt = None,
) -> None:
    """Start delivering the after-sales commitments of the signed contract.

    \b
    Example:
      dealflow start-service 3f2a9c1b7d4e --as service
    """
    svc = service(ctx)
    deal = svc.start_service(deal_id, actor(svc.get(deal_id), role), note)
    report(ctx, deal, "Service started")


@app.command(rich_help_panel="After the sale")
@changes_terms
def amend(
    ctx: typer.Context,
    deal_id: DealId,
    role: Annotated[RoleName, acting_as(Action.AMEND)],
    reason: Annotated[
        str, typer.Option("--reason", metavar="TEXT", help="Why the contract must change.")
    ],
    name: Name = None,
    via: ViaOpt = None,
    *,
    change: TermsChange,
) -> None:
    """Propose an amendment to the signed contract: a new contract version is negotiated,
    approved and signed again; the signed one stays in force until then.

    \b
    Example:
      dealflow amend 3f2a9c1b7d4e --as buyer --reason "More" --quantity SNS-10=12
    """
    svc = service(ctx)
    deal = svc.amend(deal_id, actor(svc.get(deal_id), role, name, via), change, reason=reason)
    report(ctx, deal, "Amendment proposed")


@app.command(rich_help_panel="After the sale")
def complete(
    ctx: typer.Context,
    deal_id: DealId,
    role: Annotated[RoleName, acting_as(Action.COMPLETE)],
    reason: Reason = None,
) -> None:
    """Close the deal: every commitment met, or the contract term ended.

    \b
    Example:
      dealflow complete 3f2a9c1b7d4e --as service
    """
    svc = service(ctx)
    deal = svc.complete(deal_id, actor(svc.get(deal_id), role), reason)
    report(ctx, deal, "Completed")


@app.command(rich_help_panel="After the sale")
def sweep(ctx: typer.Context) -> None:
    """Expire every deal whose latest offer has lapsed (run it daily, e.g. from cron).

    \b
    Examples:
      dealflow sweep
      dealflow --now 2027-02-01 sweep
    """
    expired = service(ctx).expire_due()
    if options(ctx).json:
        emit_json({"expired": expired})
    elif expired:
        for deal_id in expired:
            say(f"Expired: {deal_id}")
    else:
        say("No offers have lapsed.")


Item = Annotated[
    str, typer.Argument(metavar="ITEM", help="The commitment's id, e.g. installation-1.")
]


@app.command(rich_help_panel="After the sale")
def commitments(ctx: typer.Context, deal_id: DealId) -> None:
    """List the deal's dated commitments: what, who owns it, by when, and where it stands.

    \b
    Examples:
      dealflow commitments 3f2a9c1b7d4e
      dealflow --json commitments 3f2a9c1b7d4e
    """
    svc = service(ctx)
    items = svc.commitments(deal_id)
    today = svc.clock.now().date()
    if options(ctx).json:
        emit_json(list(items))
        return
    if not items:
        say("No commitments yet: they start when the contract is signed.")
        return
    rows = []
    for c in items:
        due = f"until {c.due}" if c.runs_until else str(c.due)
        note = c.changes[-1].note if c.changes else str(c.description)
        rows.append((c.id, c.owner.value, due, c.status.value, _from(today, c), note))
    # Plain columns, whole lines: a note is never cut or wrapped into the others.
    header = ("id", "owner", "due", "status", "today", "what, or the latest note")
    for line in columns(header, rows):
        say(line)


def _from(today: date, c: Commitment) -> str:
    """Where an open commitment stands by the calendar today (its status is the last review's)."""
    if c.final:
        return "-"
    days = (c.due - today).days
    if c.runs_until:
        return f"{counted(days, 'day')} left" if days >= 0 else "ended"
    if days > 0:
        return f"in {counted(days, 'day')}"
    return "due today" if days == 0 else f"{counted(-days, 'day')} late"


@app.command(rich_help_panel="After the sale")
def fulfil(
    ctx: typer.Context,
    deal_id: DealId,
    item: Item,
    note: NoteOpt = None,
    role: Annotated[
        RoleName,
        role_option("fulfil commitments", KEEPERS, help="Your role."),
    ] = RoleName.SELLER,
) -> None:
    """Record a commitment as kept, now (late if after its due date). Settling the last open
    commitment completes the deal.

    \b
    Example:
      dealflow fulfil 3f2a9c1b7d4e installation-1 --note "Commissioned"
    """
    svc = service(ctx)
    who = actor(svc.get(deal_id), role)
    deal = svc.fulfil(deal_id, item, who, note)
    status = next(c.status.value for c in svc.commitments(deal_id) if c.id == item)
    report(ctx, deal, f"{item} {status.replace('_', ' ')}")


@app.command(rich_help_panel="After the sale")
def waive(
    ctx: typer.Context,
    deal_id: DealId,
    item: Item,
    reason: Annotated[
        str, typer.Option("--reason", metavar="TEXT", help="Why the commitment is released.")
    ],
    role: Annotated[
        RoleName,
        role_option("waive commitments", WAIVERS, help="Who approves the waiver."),
    ] = RoleName.MANAGER,
) -> None:
    """Release the owner from a commitment, with a reason; a manager or legal approves it.

    \b
    Example:
      dealflow --user maya waive 3f2a9c1b7d4e training-1 --reason "Own staff"
    """
    svc = service(ctx)
    who = actor(svc.get(deal_id), role)
    report(ctx, svc.waive(deal_id, item, who, reason=reason), f"{item} waived")


@app.command(rich_help_panel="After the sale")
def review(ctx: typer.Context) -> None:
    """Move every signed deal's commitments on by the clock (due, overdue, breached), start
    service on delivery, complete settled deals, and list what each owner must do this week.
    Run it daily, e.g. from cron.

    \b
    Examples:
      dealflow review
      dealflow --now 2027-02-13 review
    """
    done = service(ctx).review()
    if options(ctx).json:
        emit_json(done)
        return
    for change in done.changes:
        what = f"{change.item} {change.change}" if change.item else change.change
        say(f"{change.deal_id} ({change.buyer}): {what} — {change.note}")
    if not done.changes:
        say(f"Nothing changed at {when(done.at)}.")
    for deal_id in done.skipped:
        say(f"{deal_id}: changed by someone else meanwhile; the next review will see to it.")
    if done.this_week:
        table = Table(box=None)
        for name in ("owner", "deal", "item", "due", "status"):
            table.add_column(name, no_wrap=True)
        table.add_column("what")
        for owner, items in done.this_week.items():
            for i in items:
                table.add_row(
                    *cells(owner.value, i.deal_id, i.item, str(i.due), i.status, i.description)
                )
        say("Needs action this week:")
        out.print(table)
    else:
        say("Nothing needs action this week.")
    for r in done.renewals:
        left = counted(r.days_left, "day")
        say(f"Renewal: {r.deal_id} ({r.title}) ends on {r.term_ends}, in {left}.")
