"""The commands about the relationship with the buyer: the interaction log, warranty claims
and complaints, and relationship health with buyer value."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated

import typer
from rich.table import Table

from dealflow.cli.app import app
from dealflow.cli.base import RoleName, actor, cells, emit_json, options, out, say, service, when
from dealflow.cli.commands.deals import report
from dealflow.cli.params import DealId, Name, ViaOpt, role_option
from dealflow.domain.aftersales import KEEPERS
from dealflow.domain.claims import ClaimKind
from dealflow.domain.interactions import Channel, InteractionKind
from dealflow.domain.messages import counted
from dealflow.read.reports import BuyerReport


@app.command(rich_help_panel="Relationship")
def log(
    ctx: typer.Context,
    deal_id: DealId,
    channel: Annotated[Channel, typer.Option("--channel", help="How the contact happened.")],
    kind: Annotated[InteractionKind, typer.Option("--kind", help="What it was about.")],
    note: Annotated[
        str, typer.Option("--note", metavar="TEXT", help="What happened, in a sentence or two.")
    ],
    csat: Annotated[
        int | None,
        typer.Option(
            "--csat", metavar="1-5", min=1, max=5, help="The buyer's satisfaction, 1 (poor) to 5."
        ),
    ] = None,
    role: Annotated[RoleName, typer.Option("--as", help="Your role.")] = RoleName.SELLER,
    name: Name = None,
    via: ViaOpt = None,
) -> None:
    """Record a contact with the buyer, at any stage: a meeting, a call, a complaint, a
    competitor's quote. The stage does not change.

    \b
    Example:
      dealflow log 3f2a9c1b7d4e --channel phone --kind feedback --csat 4 --note OK
    """
    svc = service(ctx)
    deal = svc.log_interaction(
        deal_id,
        actor(svc.get(deal_id), role, name, via),
        channel=channel,
        kind=kind,
        note=note,
        csat=csat,
    )
    report(ctx, deal, f"Logged {kind.value}")


ClaimId = Annotated[
    str,
    typer.Argument(metavar="CLAIM", help="The claim's id, e.g. complaint-1 or warranty-claim-2."),
]
#: ``--as`` for answering and resolving a claim: the seller's people.
AnswerAs = Annotated[RoleName, role_option("answer claims", KEEPERS, help="Your role.")]
ClaimNote = Annotated[str, typer.Option("--note", metavar="TEXT", help="What was said or done.")]


@app.command(rich_help_panel="Relationship")
def claim(
    ctx: typer.Context,
    deal_id: DealId,
    note: ClaimNote,
    kind: Annotated[
        ClaimKind, typer.Option("--kind", help="A warranty claim or a complaint.")
    ] = ClaimKind.WARRANTY,
    item: Annotated[
        str | None,
        typer.Option(
            "--item", metavar="ITEM", help="The commitment it is about (default: the warranty)."
        ),
    ] = None,
    role: Annotated[RoleName, typer.Option("--as", help="Who raises it.")] = RoleName.BUYER,
    name: Name = None,
    via: ViaOpt = None,
) -> None:
    """Record a warranty claim or a complaint; its response is due within the warranty's
    response hours (complaints: the policy's).

    \b
    Example:
      dealflow claim 3f2a9c1b7d4e --kind warranty --note "Sensor 4 reads zero"
    """
    svc = service(ctx)
    deal = svc.open_claim(
        deal_id, actor(svc.get(deal_id), role, name, via), kind=kind, note=note, item=item
    )
    opened = deal.claims[-1]
    report(ctx, deal, f"Opened {opened.id}, respond by {when(opened.respond_by)}")


def answering_claims(*, resolves: bool) -> Callable[..., None]:
    """The one body of ``respond`` and ``resolve``: the same arguments and the same checks, and
    the service's call and the line printed after it told apart by ``resolves``."""

    def answer(
        ctx: typer.Context,
        deal_id: DealId,
        claim_id: ClaimId,
        note: ClaimNote,
        role: AnswerAs = RoleName.SELLER,
        name: Name = None,
        via: ViaOpt = None,
    ) -> None:
        svc = service(ctx)
        who = actor(svc.get(deal_id), role, name, via)
        if resolves:
            report(ctx, svc.resolve_claim(deal_id, claim_id, who, note), f"Resolved {claim_id}")
            return
        deal = svc.respond_claim(deal_id, claim_id, who, note)
        answered = next(c for c in deal.claims if c.id == claim_id)
        late = " (late)" if answered.response_late(svc.clock.now()) else ""
        report(ctx, deal, f"Responded to {claim_id}{late}")

    return answer


RESPOND_HELP = """Record the first response to a claim (timed against the promised hours).

\b
Example:
  dealflow respond 3f2a9c1b7d4e warranty-claim-1 --note "Visit on Monday"
"""
RESOLVE_HELP = """Resolve and close a claim.

\b
Example:
  dealflow resolve 3f2a9c1b7d4e warranty-claim-1 --note "Sensor replaced"
"""
app.command("respond", help=RESPOND_HELP, rich_help_panel="Relationship")(
    answering_claims(resolves=False)
)
app.command("resolve", help=RESOLVE_HELP, rich_help_panel="Relationship")(
    answering_claims(resolves=True)
)


@app.command(rich_help_panel="Relationship")
def health(
    ctx: typer.Context,
    buyer: Annotated[
        str | None,
        typer.Argument(
            metavar="BUYER",
            help="A buyer's name (or part of it) or tax id; default: every buyer.",
        ),
    ] = None,
) -> None:
    """Relationship health (0-100, with its reasons), buyer class and lifetime value, and
    renewals due, per buyer; weakest first. A buyer silent for too long is flagged.

    \b
    Examples:
      dealflow health
      dealflow health "Sinar Abadi"
    """
    reports = service(ctx).health(buyer)
    if options(ctx).json:
        emit_json(reports)
        return
    if buyer is None:
        table = Table("buyer", "score", "class", "lifetime value", "deals", "flags", box=None)
        for r in reports:
            clv = str(r.value.lifetime_value) if r.value.lifetime_value else "-"
            table.add_row(
                *cells(
                    r.buyer,
                    str(r.health.score),
                    r.value.buyer_class.value,
                    clv,
                    str(len(r.deals)),
                    "; ".join(r.health.flags),
                )
            )
        out.print(table)
        return
    now = service(ctx).clock.now()
    for r in reports:
        _print_report(r, now)


def _ago(last: datetime, days: int, now: datetime) -> str:
    """How long ago the buyer was last heard from, in whole days."""
    if last > now:
        return "after the time of this report"
    return "less than a day ago" if days == 0 else f"{counted(days, 'day')} ago"


def _print_report(r: BuyerReport, now: datetime) -> None:
    h = r.health
    say(f"{r.buyer}: health {h.score}/100")
    for reason in h.reasons:
        say(f"  {reason.points:+d}  {reason.reason}")
    for flag in h.flags:
        say(f"  FLAG: {flag}")
    # Past their date but not yet recorded overdue: the next review moves them on.
    waiting = h.fell_due - h.kept_on_time - h.kept_late - h.overdue - h.breached
    past = f", {waiting} past their date and still open" if waiting > 0 else ""
    say(
        f"Promises: {h.kept_on_time} of {h.fell_due} kept on time, {h.kept_late} late, "
        f"{h.overdue} overdue, {h.breached} breached{past}, {h.waived} waived"
    )
    average = f"{h.satisfaction_average:.1f}" if h.satisfaction_average is not None else "-"
    say(f"Open claims: {h.open_claims}; satisfaction {average} ({len(h.satisfaction)} scores)")
    say(f"Last contact: {when(h.last_contact)}, {_ago(h.last_contact, h.days_since_contact, now)}")
    say(f"Class: {r.value.buyer_class.value}; lifetime value: {r.value.explanation}")
    for deal_id, seen in r.signals.items():
        for signal in seen:
            say(f"Signal on {deal_id}: {signal.kind.value}: {signal.saw}")
            say(f"  Response: {signal.response}")
    for reminder in r.renewals:
        say(
            f"Renewal: {reminder.deal_id} ({reminder.title}) ends on {reminder.term_ends}, "
            f"in {counted(reminder.days_left, 'day')}"
        )
