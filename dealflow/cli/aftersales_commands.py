"""The commands after signing (service, amendments, completion) and the expiry sweep."""

from __future__ import annotations

from typing import Annotated

import typer

from dealflow.cli.base import actor, app, emit_json, options, say, service
from dealflow.cli.deal_commands import (
    As,
    DealId,
    DeliveryDate,
    DeliveryPlace,
    Discount,
    Name,
    NoteOpt,
    PaymentDays,
    PaymentMethod,
    Price,
    Quantity,
    Reason,
    ValidDays,
    Warranty,
    report,
    terms_change,
)


@app.command("start-service", rich_help_panel="After the sale")
def start_service(
    ctx: typer.Context, deal_id: DealId, role: As, name: Name = None, note: NoteOpt = None
) -> None:
    """Start delivering the after-sales commitments of the signed contract.

    Example: dealflow start-service 3f2a9c1b7d4e --as service --name "Service desk"
    """
    svc = service(ctx)
    deal = svc.start_service(deal_id, actor(svc.get(deal_id), role, name), note)
    report(ctx, deal, "Service started")


@app.command(rich_help_panel="After the sale")
def amend(
    ctx: typer.Context,
    deal_id: DealId,
    role: As,
    reason: Annotated[str, typer.Option("--reason", help="Why the contract must change.")],
    name: Name = None,
    discount: Discount = None,
    valid_days: ValidDays = None,
    payment_days: PaymentDays = None,
    payment_method: PaymentMethod = None,
    delivery_date: DeliveryDate = None,
    delivery_place: DeliveryPlace = None,
    warranty_months: Warranty = None,
    quantity: Quantity = None,
    price: Price = None,
) -> None:
    """Propose an amendment to the signed contract: a new contract version is negotiated,
    approved and signed again; the signed one stays in force until then.

    Example: dealflow amend 3f2a9c1b7d4e --as buyer --reason "two more sensors" --quantity SNS-10=12
    """
    change = terms_change(
        discount=discount,
        valid_days=valid_days,
        payment_days=payment_days,
        payment_method=payment_method,
        delivery_date=delivery_date,
        delivery_place=delivery_place,
        warranty_months=warranty_months,
        quantity=quantity,
        price=price,
    )
    svc = service(ctx)
    deal = svc.amend(deal_id, actor(svc.get(deal_id), role, name), change, reason=reason)
    report(ctx, deal, "Amendment proposed")


@app.command(rich_help_panel="After the sale")
def complete(
    ctx: typer.Context, deal_id: DealId, role: As, name: Name = None, reason: Reason = None
) -> None:
    """Close the deal: every commitment met, or the contract term ended.

    Example: dealflow complete 3f2a9c1b7d4e --as service --name "Service desk"
    """
    svc = service(ctx)
    deal = svc.complete(deal_id, actor(svc.get(deal_id), role, name), reason)
    report(ctx, deal, "Completed")


@app.command(rich_help_panel="After the sale")
def sweep(ctx: typer.Context) -> None:
    """Expire every deal whose latest offer has lapsed (run it daily, e.g. from cron).

    Example: dealflow sweep        Example: dealflow --now 2027-02-01 sweep
    """
    expired = service(ctx).expire_due()
    if options(ctx).json:
        emit_json({"expired": expired})
    elif expired:
        for deal_id in expired:
            say(f"Expired: {deal_id}")
    else:
        say("No offers have lapsed.")
