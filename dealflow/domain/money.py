"""Money and percentages: exact Decimal amounts with an ISO 4217 currency, never floats.

Every rounding in dealflow goes through :func:`round_to_minor_unit`, half-up (commercial
rounding, as invoices and tax offices expect), to the number of decimals the currency is
quoted in on contracts. That is the ISO 4217 exponent, except for the Indonesian rupiah,
which ISO lists with two decimals but which contracts and tax invoices quote in whole rupiah
(Unicode CLDR, and so Babel, give it 0 decimals too).

An amount someone writes into terms (a unit price, a discount amount) is refused when it is
finer than that (:func:`check_minor_unit`): 4,500,000.5 IDR, or 0.001 USD. So a line is its
quantity times the printed unit price exactly, the lines add up to the printed subtotal, and
only the discount percentage and the tax are rounded, once each. Amounts are written without
an exponent: ``1E+5`` is read as ``100000`` when written (a store reads back what it
recorded), and every amount is shown in plain digits (:func:`plain`).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Annotated, Any

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    PlainSerializer,
    SerializationInfo,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
)

from dealflow.domain.parties import written

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


#: The most decimals any currency is quoted in (ISO 4217: CLF and UYW have 4): the finest an
#: amount may be written where no currency is known yet, as in a seller policy.
MAX_DECIMALS = max(MINOR_UNITS.values())


def without_exponent(amount: Decimal) -> Decimal:
    """The same number in a form ``str()`` writes without an exponent, where Decimal has one:
    ``1E+5`` becomes ``100000`` and ``0E-8`` becomes ``0``. A number smaller than a millionth
    keeps its form (no amount a contract quotes is that small)."""
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent > 0:
        return amount.quantize(Decimal(1))
    if not amount and "E" in str(amount):
        return Decimal(0)
    return amount


def plain(amount: Decimal, *, grouped: bool = True) -> str:
    """An amount as people read it: digits, a decimal point and (``grouped``) thousands
    separators, never an exponent: ``100,000`` for ``1E+5``, ``0.0000001`` for ``1E-7``,
    ``0`` for ``0E-8`` (as :func:`without_exponent` writes it)."""
    amount = without_exponent(amount)
    return f"{amount:,f}" if grouped else f"{amount:f}"


def decimals(amount: Decimal) -> int:
    """How many decimals an amount needs, exactly: 1 for 12.50, 2 for 12.55, 0 for 12.00 and
    1E+5 (no rounding to the context's precision, as ``normalize()`` would)."""
    _, digits, exponent = amount.as_tuple()
    if not isinstance(exponent, int) or not any(digits):
        return 0
    trailing_zeros = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    return max(0, -exponent - trailing_zeros)


def check_minor_unit(amount: Decimal, currency: str, what: str) -> None:
    """Refuse an amount finer than the currency's minor unit (``MINOR_UNITS``): a contract
    prints it to that unit, so finer digits would be printed rounded and the lines of the
    price schedule would no longer add up. ``what`` names the amount in the message."""
    places = MINOR_UNITS[currency]
    if decimals(amount) <= places:
        return
    given = f"{what}, {plain(amount)} {currency},"
    instead = plain(round_to_minor_unit(amount, currency), grouped=False)
    if places == 0:
        raise ValueError(
            f"{given} is not a whole number, and a contract quotes {currency} in whole "
            f"units; write {instead}"
        )
    raise ValueError(
        f"{given} has more than {places} decimal{'s' * (places > 1)}, the most a contract "
        f"quotes in {currency}; write {instead}"
    )


def _amount(value: object, info: ValidationInfo) -> Decimal:
    result = to_decimal(value)
    return without_exponent(result) if written(info) else result


def _quoted_amount(value: object, info: ValidationInfo) -> Decimal:
    result = _amount(value, info)
    if written(info) and decimals(result) > MAX_DECIMALS:
        raise ValueError(
            f"amount {plain(result)} has more than {MAX_DECIMALS} decimals, finer than any "
            "currency is quoted"
        )
    return result


def _percent(value: object, info: ValidationInfo) -> Decimal:
    if isinstance(value, str) and value.strip().endswith("%"):
        value = value.strip()[:-1]
    result = to_decimal(value, "percentage")
    if result < 0 or result > 100:
        raise ValueError(f"percentage {plain(result)}% must be between 0% and 100%")
    return without_exponent(result) if written(info) else result


#: The serialization context of JSON shown to people and tools (``--json``, diffs): amounts
#: in plain digits, also those a store recorded with an exponent. Without it, JSON keeps
#: ``str()``'s form, which the terms hash and the stored events are computed over.
SHOWN = {"shown": True}


def _shown(info: SerializationInfo) -> bool:
    return isinstance(info.context, dict) and bool(info.context.get("shown"))


def _amount_json(amount: Decimal, info: SerializationInfo) -> str:
    return plain(amount, grouped=False) if _shown(info) else str(amount)


def _percent_json(percent: Decimal, info: SerializationInfo) -> str:
    return f"{plain(percent, grouped=False) if _shown(info) else percent}%"


#: An exact amount (str, int or Decimal in; a string in JSON).
Amount = Annotated[
    Decimal, BeforeValidator(_amount), PlainSerializer(_amount_json, when_used="json")
]
#: An amount written where no currency is known yet (a seller policy's floors and limits):
#: at most ``MAX_DECIMALS`` decimals.
QuotedAmount = Annotated[
    Decimal, BeforeValidator(_quoted_amount), PlainSerializer(_amount_json, when_used="json")
]
#: A percentage between 0 and 100, written ``"11%"``, ``"11"`` or ``11``.
Percent = Annotated[
    Decimal,
    BeforeValidator(_percent),
    PlainSerializer(_percent_json, when_used="json"),
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
        return f"{self.currency} {plain(self.amount)}"
