"""The arguments and options several commands share, as ``Annotated`` types for Typer.

Plain declarations: importing them loads no domain model, so a command module can use them
without pulling in another command module.
"""

from __future__ import annotations

from typing import Annotated

import typer

from dealflow.cli.base import RoleName

DealId = Annotated[
    str, typer.Argument(metavar="DEAL", help="The deal's id, as `dealflow new` printed it.")
]
As = Annotated[RoleName, typer.Option("--as", help="The role you act as.", show_choices=True)]
Name = Annotated[
    str | None,
    typer.Option(
        "--name",
        help="Your name (default: the seller's or buyer's representative; "
        "required for manager, legal and service).",
    ),
]
NoteOpt = Annotated[str | None, typer.Option("--note", help="A note kept with the action.")]
Reason = Annotated[str | None, typer.Option("--reason", help="Why, in a few words.")]
Discount = Annotated[
    str | None, typer.Option("--discount", help='A percentage ("5%") or an amount ("1500000").')
]
ValidDays = Annotated[
    int | None, typer.Option("--valid-days", min=1, max=365, help="Days the offer stays open.")
]
PaymentDays = Annotated[
    int | None, typer.Option("--payment-days", min=0, max=3650, help="Days to pay the invoice.")
]
PaymentMethod = Annotated[
    str | None, typer.Option("--payment-method", help='e.g. "bank transfer", "letter of credit".')
]
DeliveryDate = Annotated[
    str | None, typer.Option("--delivery-date", help="Deliver by this date (YYYY-MM-DD).")
]
DeliveryPlace = Annotated[str | None, typer.Option("--delivery-place", help="Where to deliver.")]
Warranty = Annotated[
    int | None, typer.Option("--warranty-months", min=1, max=600, help="Warranty length.")
]
ResponseHours = Annotated[
    int | None,
    typer.Option("--response-hours", min=1, max=8760, help="Service level: warranty response."),
]
Quantity = Annotated[
    list[str] | None, typer.Option("--quantity", help="SKU=N, a new quantity; repeatable.")
]
Price = Annotated[
    list[str] | None, typer.Option("--price", help="SKU=PRICE, a new unit price; repeatable.")
]
