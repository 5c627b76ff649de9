"""The commands that act on a deal: one per lifecycle action, each a thin call to the service.

After an action, a rep sees one line (the stage now and who moves next); with ``--json`` the
deal as ``dealflow show --json`` gives it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from dealflow.cli.app import app
from dealflow.cli.base import (
    RoleName,
    actor,
    emit_json,
    options,
    parse_date,
    parse_quantities,
    say,
    service,
    when,
)
from dealflow.cli.params import (
    DealId,
    DeliveryPlace,
    Name,
    NoteOpt,
    Reason,
    ViaOpt,
    acting_as,
)
from dealflow.cli.terms_options import changes_terms, refused
from dealflow.domain.deal import Deal, SignatureMethod
from dealflow.domain.lifecycle import Action, Stage
from dealflow.domain.messages import plain_errors
from dealflow.domain.terms import DeliverySplit, SpecialTerms, TermsChange
from dealflow.read.views import deal_view, whose_turn

#: The option that gives each field of special terms, to name it when a value is refused.
SPECIAL_OPTIONS = {
    "purpose": "--purpose",
    "delivery_place": "--delivery-place",
    "delivery_by": "--delivery-by",
    "splits": "--split",
    "clauses": "--clause",
    "custom_clauses": "--custom-clause",
}


def report(ctx: typer.Context, deal: Deal, done: str) -> None:
    """After an action: one line for a rep, or the deal as JSON."""
    if options(ctx).json:
        svc = service(ctx)
        emit_json(deal_view(deal, svc.clock.now(), svc.possible_actions(deal.id)))
        return
    line = f"{done}. Deal {deal.id} is {deal.stage.value} (v{deal.version})."
    latest = deal.latest_offer
    turn = whose_turn(deal)
    if turn is not None:
        line += f" {turn.value.capitalize()} to answer"
        if latest is not None and latest.expires_at is not None:
            line += f" by {when(latest.expires_at)}"
        line += "."
    for role in deal.approvals_pending:
        line += f" Needs {role.value} approval: {deal.approval_reasons.get(role, 'policy')}."
    say(line)


@app.command(rich_help_panel="Negotiate")
def new(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(metavar="FILE", help="A deal file, YAML or JSON.")],
) -> None:
    """Open a deal from a deal file; prints only its id.

    \b
    Example:
      dealflow new conveyor-deal.yaml
    """
    from dealflow.files.dealfile import (
        load_deal_file,  # the deal file's models: only `new` reads one
    )

    spec = load_deal_file(file)
    deal = service(ctx).open_deal(spec)
    if options(ctx).json:
        report(ctx, deal, "Opened")
    else:
        say(deal.id)


@app.command(rich_help_panel="Negotiate")
def present(
    ctx: typer.Context,
    deal_id: DealId,
    role: Annotated[RoleName, acting_as(Action.PRESENT)],
    note: NoteOpt = None,
) -> None:
    """Record that the seller presented products, value and credentials.

    \b
    Example:
      dealflow present 3f2a9c1b7d4e --as seller --note "Demo at Plant 2"
    """
    svc = service(ctx)
    deal = svc.present(deal_id, actor(svc.get(deal_id), role), note)
    report(ctx, deal, "Presented")


@app.command(rich_help_panel="Negotiate")
@changes_terms
def offer(
    ctx: typer.Context,
    deal_id: DealId,
    role: Annotated[RoleName, acting_as(Action.OFFER)],
    change: TermsChange,
    note: NoteOpt = None,
) -> None:
    """Make the seller's formal offer: the deal file's terms with any changes given.

    \b
    Example:
      dealflow offer 3f2a9c1b7d4e --as seller --discount 5% --valid-days 14
    """
    svc = service(ctx)
    deal = svc.offer(deal_id, actor(svc.get(deal_id), role), change, note)
    report(ctx, deal, "Offer made")


@app.command(rich_help_panel="Negotiate")
@changes_terms
def counter(
    ctx: typer.Context,
    deal_id: DealId,
    role: Annotated[RoleName, acting_as(Action.COUNTER)],
    name: Name = None,
    via: ViaOpt = None,
    *,
    change: TermsChange,
    note: NoteOpt = None,
) -> None:
    """Answer the other side's latest offer with changed terms.

    \b
    Example:
      dealflow counter 3f2a9c1b7d4e --as buyer --discount 8% --payment-days 45
    """
    svc = service(ctx)
    deal = svc.counter(deal_id, actor(svc.get(deal_id), role, name, via), change, note)
    report(ctx, deal, "Countered")


@app.command(rich_help_panel="Negotiate")
def accept(
    ctx: typer.Context,
    deal_id: DealId,
    role: Annotated[RoleName, acting_as(Action.ACCEPT)],
    name: Name = None,
    via: ViaOpt = None,
) -> None:
    """Accept the other side's latest offer.

    \b
    Example:
      dealflow accept 3f2a9c1b7d4e --as buyer
    """
    svc = service(ctx)
    deal = svc.accept(deal_id, actor(svc.get(deal_id), role, name, via))
    report(ctx, deal, "Accepted")


@app.command(rich_help_panel="Negotiate")
def reject(
    ctx: typer.Context,
    deal_id: DealId,
    role: Annotated[RoleName, acting_as(Action.REJECT)],
    name: Name = None,
    via: ViaOpt = None,
    reason: Reason = None,
) -> None:
    """Reject the other side's latest offer: the deal is lost (an amendment only ends itself).

    \b
    Example:
      dealflow reject 3f2a9c1b7d4e --as buyer --reason "over budget"
    """
    svc = service(ctx)
    deal = svc.reject(deal_id, actor(svc.get(deal_id), role, name, via), reason)
    report(ctx, deal, "Rejected")


@app.command(rich_help_panel="Negotiate")
def withdraw(
    ctx: typer.Context,
    deal_id: DealId,
    role: Annotated[RoleName, acting_as(Action.WITHDRAW)],
    reason: Reason = None,
) -> None:
    """The seller withdraws from the deal.

    \b
    Example:
      dealflow withdraw 3f2a9c1b7d4e --as seller --reason "out of stock"
    """
    svc = service(ctx)
    deal = svc.withdraw(deal_id, actor(svc.get(deal_id), role), reason)
    report(ctx, deal, "Withdrawn")


@app.command(rich_help_panel="Negotiate")
def special(
    ctx: typer.Context,
    deal_id: DealId,
    role: Annotated[RoleName, acting_as(Action.PROPOSE_SPECIAL, "propose special terms")],
    name: Name = None,
    via: ViaOpt = None,
    purpose: Annotated[
        str | None, typer.Option("--purpose", metavar="TEXT", help="What the buyer buys it for.")
    ] = None,
    delivery_place: DeliveryPlace = None,
    delivery_by: Annotated[
        str | None,
        typer.Option("--delivery-by", metavar="YYYY-MM-DD", help="Deliver by this date."),
    ] = None,
    split: Annotated[
        list[str] | None,
        typer.Option(
            "--split", metavar="SKU=N@DATE", help="A partial delivery, by a date; repeatable."
        ),
    ] = None,
    clause: Annotated[
        list[str] | None,
        typer.Option(
            "--clause", metavar="ID", help="A clause from the library, by id; repeatable."
        ),
    ] = None,
    custom_clause: Annotated[
        list[str] | None,
        typer.Option("--custom-clause", metavar="TEXT", help="Free-text clause (legal approves)."),
    ] = None,
    note: NoteOpt = None,
) -> None:
    """Propose (or revise) the special agreement: buyer-specific terms after acceptance.

    \b
    Example:
      dealflow special 3f2a9c1b7d4e --as buyer --split CNV-200=1@2027-01-15
    """
    splits = []
    for value in split or []:
        head, at, on = value.partition("@")
        quantities = parse_quantities([head], "--split") if at else {}
        if not at or not quantities:
            raise typer.BadParameter(f"{value!r}: write SKU=N@YYYY-MM-DD", param_hint="--split")
        [(sku, quantity)] = quantities.items()
        try:
            splits.append(DeliverySplit(sku=sku, quantity=quantity, on=parse_date(on, "--split")))
        except ValidationError as exc:
            reason = plain_errors(exc, where=False)
            raise typer.BadParameter(f"{value!r}: {reason}", param_hint="--split") from None
    try:
        terms = SpecialTerms(
            purpose=purpose,
            delivery_place=delivery_place,
            delivery_by=parse_date(delivery_by, "--delivery-by") if delivery_by else None,
            splits=tuple(splits),
            clauses=tuple(clause or ()),
            custom_clauses=tuple(custom_clause or ()),
        )
    except ValidationError as exc:
        raise refused(exc, SPECIAL_OPTIONS) from None
    svc = service(ctx)
    current = svc.get(deal_id)
    who = actor(current, role, name, via)
    if current.stage is Stage.SPECIAL_AGREEMENT:
        deal = svc.revise_special(deal_id, who, terms, note)
    else:
        deal = svc.propose_special(deal_id, who, terms, note)
    report(ctx, deal, "Special agreement proposed")


@app.command(rich_help_panel="Agree and sign")
def agree(
    ctx: typer.Context,
    deal_id: DealId,
    role: Annotated[RoleName, acting_as(Action.AGREE)],
    name: Name = None,
    via: ViaOpt = None,
) -> None:
    """Agree the accepted terms (and special agreement); the policy decides the approvals.

    \b
    Example:
      dealflow agree 3f2a9c1b7d4e --as seller
    """
    svc = service(ctx)
    deal = svc.agree(deal_id, actor(svc.get(deal_id), role, name, via))
    report(ctx, deal, "Agreed")


@app.command(rich_help_panel="Agree and sign")
def approve(
    ctx: typer.Context,
    deal_id: DealId,
    role: Annotated[RoleName, acting_as(Action.APPROVE)],
    reason: Reason = None,
) -> None:
    """Approve the agreed terms as manager or legal.

    \b
    Example:
      dealflow --user maya approve 3f2a9c1b7d4e --as manager
    """
    svc = service(ctx)
    deal = svc.approve(deal_id, actor(svc.get(deal_id), role), reason)
    report(ctx, deal, "Approved")


@app.command(rich_help_panel="Agree and sign")
def decline(
    ctx: typer.Context,
    deal_id: DealId,
    role: Annotated[RoleName, acting_as(Action.DECLINE)],
    reason: Reason = None,
) -> None:
    """Decline the agreed terms: they go back to the seller to revise.

    \b
    Example:
      dealflow --user maya decline 3f2a9c1b7d4e --as manager --reason "Too low"
    """
    svc = service(ctx)
    deal = svc.decline(deal_id, actor(svc.get(deal_id), role), reason)
    report(ctx, deal, "Declined")


@app.command(rich_help_panel="Agree and sign")
def sign(
    ctx: typer.Context,
    deal_id: DealId,
    role: Annotated[RoleName, acting_as(Action.SIGN)],
    name: Name = None,
    title: Annotated[
        str | None,
        typer.Option(
            "--title",
            metavar="TITLE",
            help="With --as buyer: the signatory's title (default: the deal file's). The "
            "seller signs with your own title from the roster.",
        ),
    ] = None,
    method: Annotated[
        SignatureMethod, typer.Option("--method", help="How the signatory signs.")
    ] = SignatureMethod.TYPED,
    scan: Annotated[
        Path | None,
        typer.Option(
            "--scan",
            metavar="FILE",
            help="With --as buyer --method wet-ink: the signed page, a PDF, PNG or JPEG of at "
            "most 20 MB, kept with its SHA-256. Without it a buyer's signature you record "
            "shows as recorded, not authenticated.",
        ),
    ] = None,
    via: ViaOpt = None,
) -> None:
    """Sign the agreed terms for your side, or record the buyer's signature; when both have
    signed the deal is signed.

    \b
    Example:
      dealflow sign 3f2a9c1b7d4e --as seller
      dealflow sign 3f2a9c1b7d4e --as buyer --method wet-ink --scan page.pdf
    """
    from dealflow.domain.scans import MAX_SCAN_BYTES
    from dealflow.files.local import read_file

    if role is not RoleName.BUYER and title is not None:
        raise typer.BadParameter(
            "you sign with your own title from the roster", param_hint="--title"
        )
    if scan is not None and role is not RoleName.BUYER:
        raise typer.BadParameter(
            "a scan is for a buyer's signature you record", param_hint="--scan"
        )
    if scan is not None and method is not SignatureMethod.WET_INK:
        raise typer.BadParameter("a scan goes with --method wet-ink", param_hint="--scan")
    data = read_file(scan, MAX_SCAN_BYTES, what="scan") if scan is not None else None
    svc = service(ctx)
    current = svc.get(deal_id)
    who = actor(current, role, name, via)
    if role is RoleName.BUYER:
        title = title or current.buyer.representative.title
    deal = svc.sign(deal_id, who, title=title, method=method, scan=data)
    report(ctx, deal, "Signed")
    signature = deal.signatures[-1] if deal.signatures else None
    if not options(ctx).json and signature is not None and signature.consent:
        say(f"Consent recorded: {signature.consent}")
