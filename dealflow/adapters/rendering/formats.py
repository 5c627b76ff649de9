"""Money, dates, percentages and amounts in words, as a contract in each language prints them.

Babel formats numbers and dates for the language (``id``: Indonesian conventions, ``en``:
English); the rupiah is written ``Rp`` in both. Amounts are written out in words the way
Indonesian contracts do (*terbilang*) with num2words, in Indonesian or English.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from babel.dates import format_date
from babel.numbers import format_currency, format_decimal, get_currency_name
from num2words import num2words

from dealflow.domain.money import MINOR_UNITS, Money, decimals, round_to_minor_unit

Tongue = Literal["en", "id"]
_LOCALES: dict[str, str] = {"en": "en", "id": "id_ID"}
#: Symbols printed instead of Babel's where the field expects them.
_SYMBOLS = {"IDR": "Rp"}
_AND = {"en": "and", "id": "dan"}


def _locale(lang: str) -> str:
    if lang not in _LOCALES:
        raise ValueError(f"unknown contract language {lang!r}; use en or id")
    return _LOCALES[lang]


def money(value: Money, lang: str) -> str:
    """``Rp346.335.000`` (id), ``Rp346,335,000`` (en), ``$1,234.50``: the currency's
    contract decimals, the language's separators, never an exponent.

    New terms hold no amount finer than the currency's minor unit; a unit price a store
    recorded before that rule is printed with all its decimals rather than rounded, so that
    quantity times the printed unit price is still the line total."""
    digits = max(MINOR_UNITS[value.currency], decimals(value.amount))
    fraction = "." + "0" * digits if digits else ""
    amount = value.amount  # nothing to round: it has no more decimals than are printed
    symbol = _SYMBOLS.get(value.currency)
    if symbol is not None:
        pattern = f"'{symbol}'#,##0{fraction}"
        return format_decimal(amount, format=pattern, locale=_locale(lang))
    return format_currency(
        amount, value.currency, format=f"¤#,##0{fraction}", locale=_locale(lang),
        currency_digits=False,
    )  # fmt: skip


def number(value: int | Decimal, lang: str) -> str:
    """A plain number with the language's separators: ``1.000`` (id), ``1,000`` (en)."""
    return format_decimal(value, locale=_locale(lang))


def percent(value: Decimal, lang: str) -> str:
    """``11%`` or ``12,5%`` (id) / ``12.5%`` (en): as many decimals as the value has."""
    return format_decimal(value.normalize(), locale=_locale(lang)) + "%"


def day(value: date | datetime, lang: str) -> str:
    """``15 Januari 2027`` (id), ``January 15, 2027`` (en)."""
    return format_date(value, format="long", locale=_locale(lang))


def words(value: Money, lang: str) -> str:
    """The amount written out, as Indonesian contracts do (*terbilang*): ``tiga ratus empat
    puluh enam juta tiga ratus tiga puluh lima ribu Rupiah Indonesia``; cents as ``and 50/100``.
    """
    amount = round_to_minor_unit(value.amount, value.currency)
    whole = int(amount)
    cents = amount - whole
    text = num2words(whole, lang=lang if lang == "id" else "en")
    digits = MINOR_UNITS[value.currency]
    if cents:
        scaled = int(cents * 10**digits)
        text += f" {_AND[lang]} {scaled:0{digits}d}/{10**digits}"
    name = get_currency_name(value.currency, count=2 if whole != 1 else 1, locale=_locale(lang))
    return f"{text} {name}"
