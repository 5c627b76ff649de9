"""The options that change an offer's terms, said once for ``offer``, ``counter`` and ``amend``.

A command declares one parameter, ``change: TermsChange``, and :func:`changes_terms` gives it
the options (``--discount``, ``--valid-days``, ... ``--price``) in that parameter's place: the
three commands take the same options, in the same order, checked and turned into a
:class:`~dealflow.domain.terms.TermsChange` the same way (:func:`terms_change`).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping
from typing import Annotated, Any

import typer
from pydantic import ValidationError

from dealflow.cli.base import parse_date, parse_prices, parse_quantities
from dealflow.cli.params import DeliveryPlace
from dealflow.domain.messages import location, plain_errors, plain_message
from dealflow.domain.terms import Discount, TermsChange

DiscountOpt = Annotated[
    str | None,
    typer.Option(
        "--discount", metavar="N%|AMOUNT", help='A percentage ("5%") or an amount ("1500000").'
    ),
]
ValidDays = Annotated[
    int | None,
    typer.Option("--valid-days", metavar="DAYS", min=1, max=365, help="Days the offer stays open."),
]
PaymentDays = Annotated[
    int | None,
    typer.Option(
        "--payment-days", metavar="DAYS", min=0, max=3650, help="Days to pay the invoice."
    ),
]
PaymentMethod = Annotated[
    str | None,
    typer.Option(
        "--payment-method", metavar="TEXT", help='e.g. "bank transfer", "letter of credit".'
    ),
]
DeliveryDate = Annotated[
    str | None,
    typer.Option("--delivery-date", metavar="YYYY-MM-DD", help="Deliver by this date."),
]
Warranty = Annotated[
    int | None,
    typer.Option("--warranty-months", metavar="MONTHS", min=1, max=600, help="Warranty length."),
]
ResponseHours = Annotated[
    int | None,
    typer.Option(
        "--response-hours",
        metavar="HOURS",
        min=1,
        max=8760,
        help="Service level: warranty response.",
    ),
]
Quantity = Annotated[
    list[str] | None,
    typer.Option("--quantity", metavar="SKU=N", help="A line's new quantity; repeatable."),
]
Price = Annotated[
    list[str] | None,
    typer.Option("--price", metavar="SKU=PRICE", help="A line's new unit price; repeatable."),
]

#: The term-change options as the commands take them, in the order help lists them: the
#: command's parameter name and its declaration.
PARAMETERS: dict[str, Any] = {
    "discount": DiscountOpt,
    "valid_days": ValidDays,
    "payment_days": PaymentDays,
    "payment_method": PaymentMethod,
    "delivery_date": DeliveryDate,
    "delivery_place": DeliveryPlace,
    "warranty_months": Warranty,
    "response_hours": ResponseHours,
    "quantity": Quantity,
    "price": Price,
}

#: The option that gives each field of a :class:`TermsChange`, to name it when a value is refused.
TERMS_OPTIONS = {
    "discount": "--discount",
    "valid_days": "--valid-days",
    "payment_days": "--payment-days",
    "payment_method": "--payment-method",
    "delivery_date": "--delivery-date",
    "delivery_place": "--delivery-place",
    "warranty_months": "--warranty-months",
    "response_hours": "--response-hours",
    "quantities": "--quantity",
    "unit_prices": "--price",
}


def terms_change(
    *,
    discount: str | None = None,
    valid_days: int | None = None,
    payment_days: int | None = None,
    payment_method: str | None = None,
    delivery_date: str | None = None,
    delivery_place: str | None = None,
    warranty_months: int | None = None,
    response_hours: int | None = None,
    quantity: list[str] | None = None,
    price: list[str] | None = None,
) -> TermsChange:
    """The change the term-change options ask for; a value the terms refuse is a usage error
    naming its option."""
    parsed_discount = None
    if discount is not None:
        try:
            parsed_discount = Discount.parse(discount)
        except ValidationError as exc:
            reason = plain_errors(exc, where=False)
            raise typer.BadParameter(f"{discount!r}: {reason}", param_hint="--discount") from None
    try:
        return TermsChange(
            discount=parsed_discount,
            valid_days=valid_days,
            payment_days=payment_days,
            payment_method=payment_method,
            delivery_date=parse_date(delivery_date, "--delivery-date") if delivery_date else None,
            delivery_place=delivery_place,
            warranty_months=warranty_months,
            response_hours=response_hours,
            quantities=parse_quantities(quantity),
            unit_prices=parse_prices(price),
        )
    except ValidationError as exc:
        raise refused(exc, TERMS_OPTIONS) from None


def refused(exc: ValidationError, options: Mapping[str, str]) -> typer.BadParameter:
    """A model's refusal of a value given on the command line, as a usage error naming the
    option it came from (``options``: field -> option)."""
    first = exc.errors()[0]
    loc = tuple(first["loc"])
    hint = options.get(str(loc[0])) if loc else None
    where = location(loc[1:] if hint else loc)
    message = plain_message(first)
    return typer.BadParameter(f"{where}: {message}" if where else message, param_hint=hint)


def changes_terms(command: Callable[..., None]) -> Callable[..., None]:
    """``command`` taking the term-change options where it declares ``change: TermsChange``.

    Typer reads a command's options from its signature, so the signature it sees has the
    options of :data:`PARAMETERS` in ``change``'s place; the values given are turned into the
    :class:`TermsChange` that ``command`` receives. Every parameter is keyword-only (Typer
    passes them all by name), which lets ``change`` sit after options with defaults.
    """
    signature = inspect.signature(command, eval_str=True)
    parameters: list[inspect.Parameter] = []
    for parameter in signature.parameters.values():
        if parameter.name == "change":
            parameters.extend(
                inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=a)
                for name, a in PARAMETERS.items()
            )
        else:
            parameters.append(parameter.replace(kind=inspect.Parameter.KEYWORD_ONLY))
    assert len(parameters) == len(signature.parameters) - 1 + len(PARAMETERS), command

    @functools.wraps(command)
    def with_terms(**given: Any) -> None:
        change = terms_change(**{name: given.pop(name) for name in PARAMETERS})
        command(**given, change=change)

    shown = signature.replace(parameters=parameters)
    with_terms.__signature__ = shown  # type: ignore[attr-defined]  # read by inspect.signature
    with_terms.__annotations__ = {p.name: p.annotation for p in parameters}
    return with_terms
