"""The commands that read: show, list, history, diff, next, and the lifecycle graph."""

from __future__ import annotations

import shutil
import subprocess
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer

from dealflow.cli.app import app
from dealflow.cli.base import (
    RoleName,
    actor,
    cells,
    columns,
    emit_json,
    err,
    options,
    out,
    parse_amount,
    say,
    service,
    when,
)
from dealflow.cli.params import DealId
from dealflow.domain.events import EVENTS_ADAPTER, AnyEvent
from dealflow.domain.lifecycle import TERMINAL, TRANSITIONS, Action, Stage
from dealflow.domain.messages import counted
from dealflow.domain.money import SHOWN
from dealflow.domain.parties import Role
from dealflow.read.views import DealView, deal_view


@app.command(rich_help_panel="Look")
def show(ctx: typer.Context, deal_id: DealId) -> None:
    """A deal at a glance: stage, parties, terms and totals, whose turn, what is due.

    \b
    Examples:
      dealflow show 3f2a9c1b7d4e
      dealflow --json show 3f2a9c1b7d4e
    """
    svc = service(ctx)
    deal = svc.get(deal_id)
    view = deal_view(deal, svc.clock.now(), svc.possible_actions(deal_id))
    if options(ctx).json:
        emit_json(view)
        return
    say(f"{deal.title}  ({deal.id})")
    say(f"Stage: {deal.stage.value}   version {deal.version}   contract v{deal.contract_version}")
    say(f"Seller: {deal.seller.name} — {deal.seller.representative.name}")
    say(f"Buyer:  {deal.buyer.name} — {deal.buyer.representative.name}")
    terms = deal.terms
    rows = [
        (item.sku, str(item.description), str(item.quantity), f"{item.unit_price:,f}")
        for item in terms.items
    ]
    for line in columns(("SKU", "Description", "Qty", "Unit price"), rows, right=(2, 3)):
        say(line)
    totals = terms.totals
    say(f"Subtotal {totals.subtotal}   discount {totals.discount}   tax {totals.tax}")
    say(f"Grand total {totals.grand_total}   terms hash {deal.terms_hash[:12]}")
    say(f"Payment: {counted(terms.payment.due_days, 'day')}, {terms.payment.method}")
    if terms.delivery is not None:
        say(f"Delivery: {terms.delivery.place}, by {terms.delivery.by or '-'}")
    if view.latest_offer is not None:
        o = view.latest_offer
        expiry = ""
        if o.expires_at is not None:
            expiry = f", {'expired' if o.expired else 'expires'} {when(o.expires_at)}"
        say(f"Latest terms: v{o.version} {o.kind.value} by {o.side.value}{expiry}")
    if view.offer_lapsed and view.latest_offer is not None:
        say(
            f"The offer lapsed at {when(view.latest_offer.expires_at)}: it can no longer be "
            "accepted; `dealflow sweep` records the deal as expired."
        )
    elif view.turn is not None:
        say(f"Turn: {view.turn.value}")
    for role in view.approvals_pending:
        say(f"Approval due from {role.value}: {view.approval_reasons.get(role, '')}")
    for approval in deal.approvals:
        say(f"Approved by {approval.role.value}: {approval.name} {when(approval.at)}")
    for signature in deal.signatures:
        say(
            f"Signed by {signature.side.value}: {signature.name}, {signature.title} "
            f"({signature.method.value}) {when(signature.at)}{signature.recorded}"
        )
    if view.signatures_pending:
        say("Signatures due: " + ", ".join(s.value for s in view.signatures_pending))
    for contact in deal.interactions[-3:]:
        csat = f", satisfaction {contact.csat}/5" if contact.csat else ""
        say(
            f"Contact {when(contact.at)}: {contact.kind.value} by {contact.channel.value}"
            f"{csat} — {contact.note}"
        )
    _print_commitments(view)
    _print_next(view.next_actions)


def _print_commitments(view: DealView) -> None:
    if view.commitments:
        counts = Counter(c.status.value.replace("_", " ") for c in view.commitments)
        summary = ", ".join(f"{n} {status}" for status, n in counts.items())
        say(f"Commitments: {len(view.commitments)} ({summary}); `dealflow commitments` lists them")
        upcoming = [c for c in view.commitments if not c.final and not c.runs_until]
        if upcoming:
            first = min(upcoming, key=lambda c: c.due)
            say(
                f"Next commitment: {first.id} ({first.owner.value}) by {first.due}, "
                f"{first.status.value}"
            )
    for claim in view.claims:
        if claim.open:
            answered = "answered" if claim.responded_at else f"respond by {when(claim.respond_by)}"
            say(f"Open {claim.kind.value} claim {claim.id}: {claim.note} ({answered})")


def _print_next(possible: dict[Role, list[Action]]) -> None:
    if not possible:
        say("Next: nothing; the deal is closed.")
        return
    for role, actions in possible.items():
        say(f"Next for {role.value}: {', '.join(a.value for a in actions)}")


@app.command("list", rich_help_panel="Look")
def list_deals(
    ctx: typer.Context,
    stage: Annotated[
        Stage | None,
        typer.Option(
            "--stage",
            metavar="STAGE",
            help=f"Only deals in this stage: {', '.join(stage.value for stage in Stage)}.",
        ),
    ] = None,
    buyer: Annotated[
        str | None,
        typer.Option(
            "--buyer", metavar="TEXT", help="Only deals whose buyer's name contains this."
        ),
    ] = None,
    owner: Annotated[
        str | None,
        typer.Option("--owner", metavar="NAME", help="Only deals of this seller rep (full name)."),
    ] = None,
    min_total: Annotated[
        str | None,
        typer.Option("--min-total", metavar="AMOUNT", help="Grand total at least this."),
    ] = None,
    max_total: Annotated[
        str | None,
        typer.Option("--max-total", metavar="AMOUNT", help="Grand total at most this."),
    ] = None,
    expiring_days: Annotated[
        int | None,
        typer.Option(
            "--expiring", metavar="DAYS", min=0, max=3650, help="Open offers lapsing within N days."
        ),
    ] = None,
) -> None:
    """Deals in the store, oldest first, from the store's index; filters combine.

    \b
    Examples:
      dealflow list --stage negotiating
      dealflow list --expiring 3
    """
    svc = service(ctx)
    summaries = svc.list_deals(
        stage=stage,
        buyer=buyer,
        owner=owner,
        min_total=None if min_total is None else parse_amount(min_total, "--min-total"),
        max_total=None if max_total is None else parse_amount(max_total, "--max-total"),
        expires_before=None
        if expiring_days is None
        else svc.clock.now() + timedelta(days=expiring_days),
    )
    if options(ctx).json:
        emit_json(summaries)
        return
    if not summaries:
        say("No deals.")
        return
    # Plain columns, never cut to the terminal's width: `dealflow list | awk '{print $1}'`.
    header = ("ID", "Title", "Stage", "Buyer", "Grand total", "Turn", "Updated")
    rows = [
        (
            s.id,
            s.title,
            s.stage.value,
            s.buyer,
            str(s.grand_total),
            s.turn.value if s.turn else "-",
            when(s.updated_at),
        )
        for s in summaries
    ]
    for line in columns(header, rows, right=(4,)):
        say(line)


@app.command(rich_help_panel="Look")
def history(ctx: typer.Context, deal_id: DealId) -> None:
    """The deal's timeline: every event, oldest first, with who and when.

    Events recorded under an overridden clock (--now) are marked "(simulated time)".

    \b
    Examples:
      dealflow history 3f2a9c1b7d4e
      dealflow --json history 3f2a9c1b7d4e
    """
    events = service(ctx).history(deal_id)
    if options(ctx).json:
        typer.echo(EVENTS_ADAPTER.dump_json(events, indent=2, context=SHOWN).decode())
        return
    for event in events:
        mark = "  (simulated time)" if event.clock_overridden else ""
        who = event.actor.who
        say(
            f"v{event.version:<3} {when(event.occurred_at)}  {event.type:<23} {who:<36} "
            f"-> {event.stage.value}{_detail(event)}{mark}"
        )


def _detail(event: AnyEvent) -> str:
    offer = getattr(event, "offer", None)
    if offer is not None:
        return f"  terms v{offer.version}, {offer.terms.totals.grand_total}"
    # After-sales events name what they are about: a commitment or a claim.
    about = getattr(event, "item", None) or getattr(event, "claim_id", None)
    status = getattr(event, "status", None)
    prefix = f"  {about}" if about else ""
    if status is not None:
        prefix += f" {status.value}"
    if getattr(event, "late", False):
        prefix += " late"
    for name in ("reason", "note"):
        text = getattr(event, name, None)
        if text:
            return f"{prefix}: {text}" if prefix else f"  {text}"
    return prefix


@app.command(rich_help_panel="Look")
def diff(
    ctx: typer.Context,
    deal_id: DealId,
    v1: Annotated[
        int,
        typer.Argument(metavar="V1", help="The older terms version (0: the deal file's).", min=0),
    ],
    v2: Annotated[int, typer.Argument(metavar="V2", help="The newer terms version.", min=0)],
) -> None:
    """What changed between two terms versions, issue by issue.

    \b
    Example:
      dealflow diff 3f2a9c1b7d4e 1 2
    """
    differences = service(ctx).get(deal_id).diff(v1, v2)
    if options(ctx).json:
        emit_json(differences)
        return
    if not differences:
        say(f"Terms v{v1} and v{v2} are the same.")
        return
    from rich.table import Table

    table = Table(box=None, pad_edge=False)
    for column in ("Issue", f"v{v1}", f"v{v2}"):
        table.add_column(column)
    for change in differences:
        table.add_row(*cells(change.issue, change.old or "-", change.new or "-"))
    out.print(table)


@app.command("next", rich_help_panel="Look")
def next_step(ctx: typer.Context, deal_id: DealId) -> None:
    """The actions each role may take now; on a terminal, offers to run one.

    \b
    Example:
      dealflow next 3f2a9c1b7d4e
    """
    svc = service(ctx)
    possible = svc.possible_actions(deal_id)
    if options(ctx).json:
        emit_json({role.value: [a.value for a in actions] for role, actions in possible.items()})
        return
    _print_next(possible)
    simple = {Action.PRESENT, Action.ACCEPT, Action.AGREE}
    choices = [(role, a) for role, actions in possible.items() for a in actions if a in simple]
    if not choices or not out.is_terminal or not err.is_terminal:
        return
    for number, (role, action) in enumerate(choices, start=1):
        say(f"  {number}. {action.value} as {role.value}")
    picked = typer.prompt("Run one now? Number, or Enter to skip", default="", show_default=False)
    if not picked.strip():
        return
    if not picked.strip().isdigit() or not 1 <= int(picked) <= len(choices):
        raise typer.BadParameter(f"choose a number from 1 to {len(choices)}")
    role, action = choices[int(picked) - 1]
    deal = svc.get(deal_id)
    who = actor(deal, RoleName(role.value), None)
    done = getattr(svc, action.value)(deal_id, who)
    say(f"Done: {action.value}. Deal {done.id} is {done.stage.value}.")


def mermaid() -> str:
    """The lifecycle as a Mermaid state diagram."""
    lines = ["stateDiagram-v2", f"    [*] --> {Stage.DRAFT.value}"]
    for action, sources, target, condition, unless in TRANSITIONS:
        label = action.value
        if condition:
            label += f" [{condition}]"
        if unless:
            label += f" [not {unless}]"
        for source in sources:
            lines.append(f"    {source.value} --> {target.value}: {label}")
    lines.extend(f"    {stage.value} --> [*]" for stage in Stage if stage in TERMINAL)
    return "\n".join(lines) + "\n"


def _terminal() -> list[str]:
    return [stage.value for stage in Stage if stage in TERMINAL]


def _dot() -> str:
    lines = ["digraph lifecycle {", "  rankdir=LR;", "  node [shape=box, style=rounded];"]
    for action, sources, target, condition, unless in TRANSITIONS:
        label = action.value + (f"\\n[{condition}]" if condition else "")
        label += f"\\n[not {unless}]" if unless else ""
        for source in sources:
            lines.append(f'  "{source.value}" -> "{target.value}" [label="{label}"];')
    lines.append("}")
    return "\n".join(lines) + "\n"


@app.command(rich_help_panel="Look")
def graph(
    ctx: typer.Context,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o", "--output", metavar="FILE", help="Write to FILE.md (mermaid) or FILE.svg."
        ),
    ] = None,
) -> None:
    """The lifecycle as a diagram: Mermaid text, or SVG when Graphviz's `dot` is installed.

    \b
    Examples:
      dealflow graph
      dealflow graph -o lifecycle.svg
    """
    from dealflow.files.local import write_file

    if output is None:
        if options(ctx).json:
            stages = [stage.value for stage in Stage]
            emit_json({"mermaid": mermaid(), "stages": stages, "terminal": _terminal()})
        else:
            typer.echo(mermaid(), nl=False)
        return
    if output.suffix.lower() == ".svg":
        dot = shutil.which("dot")
        if dot is None:
            raise typer.BadParameter(
                "SVG needs Graphviz's `dot` (apt install graphviz); or write FILE.md for Mermaid",
                param_hint="-o",
            )
        svg = subprocess.run(
            [dot, "-Tsvg"], input=_dot(), capture_output=True, text=True, check=True
        )
        write_file(output, svg.stdout.encode("utf-8"))
    elif output.suffix.lower() in (".md", ".mmd", ".mermaid"):
        text = mermaid() if output.suffix.lower() != ".md" else f"```mermaid\n{mermaid()}```\n"
        write_file(output, text.encode("utf-8"))
    else:
        raise typer.BadParameter("write FILE.md (Mermaid) or FILE.svg", param_hint="-o")
    if options(ctx).json:
        emit_json({"written": str(output)})
    else:
        say(f"Wrote {output}")
