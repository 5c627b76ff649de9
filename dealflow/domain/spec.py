"""The deal file format: what a sales rep writes to open a deal (``dealflow new FILE``).

:class:`DealSpec` validates a parsed YAML or JSON document; :meth:`DealSpec.proposal` turns
it into the opening :class:`~dealflow.domain.terms.Terms`. Unknown keys are refused, so a typo
is reported rather than silently ignored. The JSON Schema of the format is
``DealSpec.model_json_schema()``.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from dealflow.domain.deal import Language
from dealflow.domain.messages import plain_errors
from dealflow.domain.money import MAX_AMOUNT, Percent, check_currency
from dealflow.domain.parties import Name, Party
from dealflow.domain.terms import (
    AfterSales,
    Delivery,
    Discount,
    LineItem,
    Payment,
    SpecialTerms,
    Terms,
)

_DISCOUNT_HINT = 'write a discount as a percentage such as "5%" or an amount such as "1500000"'


def _discount(value: object) -> object:
    """Read ``"5%"`` or ``"1500000"``; a bare number is refused, as it could mean either."""
    if isinstance(value, str):
        try:
            return Discount.parse(value)
        except ValidationError as exc:
            raise ValueError(plain_errors(exc, where=False)) from None
    if isinstance(value, dict | Discount):
        return value
    raise ValueError(_DISCOUNT_HINT)


# The JSON Schema of what a deal file may *write* for the fields read by a before-validator
# (pydantic would describe the value after parsing, and refuse ``"11%"`` or ``"5%"``).
_NUMBER_TEXT = r"^\s*[+-]?(\d[\d_]*)?(\.\d*)?([eE][+-]?\d+)?\s*$"
_PERCENT_TEXT = r"^\s*\+?(\d[\d_]*)?(\.\d*)?\s*%?\s*$"
_PERCENT_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "number", "minimum": 0, "maximum": 100},
        {"type": "string", "pattern": _PERCENT_TEXT},
    ],
    "description": 'A percentage between 0 and 100, e.g. "11%".',
}
_AMOUNT_SCHEMA: dict[str, Any] = {
    "anyOf": [{"type": "number", "minimum": 0}, {"type": "string", "pattern": _NUMBER_TEXT}],
}
_DISCOUNT_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {"type": "string", "pattern": _PERCENT_TEXT},  # "5%" or "1500000"
        {
            "type": "object",
            "properties": {"percent": _PERCENT_SCHEMA, "amount": _AMOUNT_SCHEMA},
            "additionalProperties": False,
            "maxProperties": 1,
        },
    ],
    "description": 'A percentage such as "5%" or an amount such as "1500000".',
    "default": "0%",
}
_CURRENCY_SCHEMA: dict[str, Any] = {
    "type": "string",
    "pattern": "^[A-Za-z]{3}$",
    "description": "An ISO 4217 currency code, e.g. IDR, USD, EUR.",
}


class DealSpec(BaseModel):
    """A deal file: parties, items and the terms the seller proposes to start from."""

    model_config = ConfigDict(
        frozen=True,
        extra="forbid",
        json_schema_extra={"title": "dealflow deal file"},
    )

    title: Name
    currency: Annotated[str, BeforeValidator(check_currency), WithJsonSchema(_CURRENCY_SCHEMA)]
    language: Language = Language.EN
    tax_rate: Annotated[Percent, WithJsonSchema(_PERCENT_SCHEMA)] = Decimal(0)
    offer_valid_days: Annotated[int, Field(gt=0, le=365, strict=True)] = 14
    seller: Party
    buyer: Party
    items: Annotated[list[LineItem], Field(min_length=1, max_length=1000)]
    discount: Annotated[Discount, BeforeValidator(_discount), WithJsonSchema(_DISCOUNT_SCHEMA)] = (
        Field(default_factory=Discount)
    )
    payment: Payment = Payment()
    delivery: Delivery | None = None
    special: SpecialTerms | None = None
    after_sales: Annotated[list[AfterSales], Field(max_length=100)] = Field(default_factory=list)

    # The checks that span fields are made here too, where they can name the field at fault;
    # Terms makes them again (below), as it must for every snapshot.

    @field_validator("items")
    @classmethod
    def _items_are_consistent(cls, items: list[LineItem]) -> list[LineItem]:
        skus = [item.sku for item in items]
        repeated = sorted({sku for sku in skus if skus.count(sku) > 1})
        if repeated:
            raise ValueError(f"each SKU may appear once; repeated: {', '.join(repeated)}")
        if sum(item.quantity * item.unit_price for item in items) > MAX_AMOUNT:
            raise ValueError("the subtotal is larger than dealflow accepts (10^15)")
        return items

    @field_validator("special")
    @classmethod
    def _splits_name_items(
        cls, special: SpecialTerms | None, info: ValidationInfo
    ) -> SpecialTerms | None:
        items = info.data.get("items")
        if special is not None and items is not None:
            unknown = sorted({s.sku for s in special.splits} - {item.sku for item in items})
            if unknown:
                raise ValueError(f"delivery split names unknown SKU {', '.join(unknown)}")
        return special

    @model_validator(mode="after")
    def _terms_are_valid(self) -> Self:
        try:
            self.proposal()
        except ValidationError as exc:
            raise ValueError(plain_errors(exc, where=False)) from None
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
