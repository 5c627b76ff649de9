"""Money and percentages: exact Decimal amounts with an ISO 4217 currency, never floats.

Every rounding in dealflow goes through :func:`round_to_minor_unit`, half-up (commercial
rounding, as invoices and tax offices expect), to the number of decimals the currency is
quoted in on contracts. That is the ISO 4217 exponent, except for the Indonesian rupiah,
which ISO lists with two decimals but which contracts and tax invoices quote in whole rupiah
(Unicode CLDR's cash digits are 0 too).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    WithJsonSchema,
    field_validator,
)

# Active ISO 4217 codes whose exponent is not 2.
_ZERO = "BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX UYI VND VUV XAF XOF XPF"
_THREE = "BHD IQD JOD KWD LYD OMR TND"
_FOUR = "CLF UYW"
# Active ISO 4217 codes with exponent 2 (funds codes and metals excluded).
_TWO = """
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BMD BND BOB BRL BSD BTN BWP BYN BZD
CAD CDF CHF CNY COP CRC CUP CVE CZK DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD
GTQ GYD HKD HNL HTG HUF ILS INR IRR JMD KES KGS KHR KPW KYD KZT LAK LBP LKR LRD LSL MAD MDL
MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR NZD PAB PEN PGK PHP PKR
PLN QAR RON RSD RUB SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT
TOP TRY TTD TWD TZS UAH USD UYU UZS VES WST XCD XCG YER ZAR ZMW ZWG
"""
#: Decimals each currency is quoted in on contracts.
MINOR_UNITS: dict[str, int] = {
    **{
        code: digits
        for digits, codes in enumerate([_ZERO, "", _TWO, _THREE, _FOUR])
        for code in codes.split()
    },
    "IDR": 0,  # see the module docstring
}

#: The largest amount dealflow accepts (10^15 in any currency): far above any real deal and
#: far below where Decimal's 28 significant digits would start to round silently.
MAX_AMOUNT = Decimal(10) ** 15


def check_currency(code: object) -> str:
    """Return an upper-cased ISO 4217 code, or raise ValueError naming the bad value."""
    if not isinstance(code, str) or code.upper() not in MINOR_UNITS:
        raise ValueError(f"unknown currency {code!r}; use an ISO 4217 code such as IDR, USD, EUR")
    return code.upper()


def to_decimal(value: object, what: str = "amount") -> Decimal:
    """Read an exact decimal from a str, int or Decimal; refuse floats, NaN and infinities."""
    if isinstance(value, (bool, float)):
        raise ValueError(
            f'{what} {value!r} is a floating-point number; write it as a string, e.g. "12.50"'
        )
    if isinstance(value, int):
        result = Decimal(value)
    elif isinstance(value, Decimal):
        result = value
    elif isinstance(value, str):
        text = value.strip().replace("_", "")
        try:
            result = Decimal(text)
        except InvalidOperation:
            raise ValueError(f"{what} {value!r} is not a number") from None
    else:
        raise ValueError(f"{what} must be a number written as a string, not {type(value).__name__}")
    if not result.is_finite():
        raise ValueError(f"{what} {value!r} is not a finite number")

    if abs(result) > MAX_AMOUNT:
        raise ValueError(f"{what} {value!r} is larger than dealflow accepts (10^15)")
    return result


def round_to_minor_unit(amount: Decimal, currency: str) -> Decimal:
    """Round half-up to the decimals the currency is quoted in (``MINOR_UNITS``)."""
    exponent = Decimal(1).scaleb(-MINOR_UNITS[currency])
    return amount.quantize(exponent, rounding=ROUND_HALF_UP)


def _amount(value: object) -> Decimal:
    return to_decimal(value)


def _percent(value: object) -> Decimal:
    if isinstance(value, str) and value.strip().endswith("%"):
        value = value.strip()[:-1]
    result = to_decimal(value, "percentage")
    if result < 0 or result > 100:
        raise ValueError(f"percentage {result}% must be between 0% and 100%")
    return result


#: An exact amount (str, int or Decimal in; a string in JSON).
Amount = Annotated[Decimal, BeforeValidator(_amount), PlainSerializer(str, when_used="json")]
#: A percentage between 0 and 100, written ``"11%"``, ``"11"`` or ``11``.
Percent = Annotated[
    Decimal,
    BeforeValidator(_percent),
    PlainSerializer(lambda d: f"{d}%", when_used="json"),
    WithJsonSchema(
        {"type": "string", "pattern": r"^\d+(\.\d+)?%$", "examples": ["11%"]},
        mode="serialization",
    ),
]


class Money(BaseModel):
    """An exact amount in one ISO 4217 currency."""

    model_config = ConfigDict(frozen=True)

    amount: Amount
    currency: str

    @field_validator("currency", mode="before")
    @classmethod
    def _known_currency(cls, value: Any) -> str:
        return check_currency(value)

    @classmethod
    def of(cls, amount: object, currency: str) -> Money:
        """Build from an amount as a str, int or Decimal."""
        return cls(amount=to_decimal(amount), currency=check_currency(currency))

    def rounded(self) -> Money:
        """This amount rounded half-up to the currency's minor unit."""
        return Money(amount=round_to_minor_unit(self.amount, self.currency), currency=self.currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(amount=self.amount + other.amount, currency=self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(amount=self.amount - other.amount, currency=self.currency)

    def __str__(self) -> str:
        return f"{self.currency} {self.amount:,}"
