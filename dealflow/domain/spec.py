"""The deal file format: what a sales rep writes to open a deal (``dealflow new FILE``).

:class:`DealSpec` validates a parsed YAML or JSON document; :meth:`DealSpec.proposal` turns
it into the opening :class:`~dealflow.domain.terms.Terms`. Unknown keys are refused, so a typo
is reported rather than silently ignored. The JSON Schema of the format is
``DealSpec.model_json_schema()``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, model_validator

from dealflow.domain.deal import Language
from dealflow.domain.money import Percent, check_currency
from dealflow.domain.parties import Party
from dealflow.domain.terms import (
    AfterSales,
    Delivery,
    Discount,
    LineItem,
    Payment,
    SpecialTerms,
    Terms,
)


def _discount(value: object) -> object:
    if isinstance(value, str):
        return Discount.parse(value)
    return value


class DealSpec(BaseModel):
    """A deal file: parties, items and the terms the seller proposes to start from."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        json_schema_extra={"title": "dealflow deal file"},
    )

    title: Annotated[str, Field(min_length=1, max_length=200)]
    currency: Annotated[str, BeforeValidator(check_currency)]
    language: Language = Language.EN
    tax_rate: Percent = Decimal(0)
    offer_valid_days: Annotated[int, Field(gt=0, le=365, strict=True)] = 14
    seller: Party
    buyer: Party
    items: Annotated[list[LineItem], Field(min_length=1, max_length=1000)]
    discount: Annotated[Discount, BeforeValidator(_discount)] = Discount()
    payment: Payment = Payment()
    delivery: Delivery | None = None
    special: SpecialTerms | None = None
    after_sales: Annotated[list[AfterSales], Field(max_length=100)] = Field(default_factory=list)

    @model_validator(mode="after")
    def _terms_are_valid(self) -> Self:
        try:
            self.proposal()
        except ValidationError as exc:
            messages = [str(e["msg"]).removeprefix("Value error, ") for e in exc.errors()]
            raise ValueError("; ".join(messages)) from None
        return self

    def proposal(self) -> Terms:
        """The opening terms this file proposes."""
        return Terms(
            currency=self.currency,
            items=tuple(self.items),
            discount=self.discount,
            tax_rate=self.tax_rate,
            payment=self.payment,
            delivery=self.delivery,
            valid_days=self.offer_valid_days,
            special=self.special,
            after_sales=tuple(self.after_sales),
        )
