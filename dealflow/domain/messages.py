"""The words of dealflow's messages: pydantic's refusals in a rep's words, and counts with
their unit in the right number ("1 day", "3 days").

Every layer that turns a refused value into a message (the deal and policy files, the engine's
decisions, the command line's options) uses :func:`plain_message`, so none of them shows
pydantic's own phrasing ("Value error, ...", "Input should be ...", ``Decimal('1E+999')``).
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import ValidationError
    from pydantic_core import ErrorDetails

_FIELD_NAME = re.compile(r"[\w\-]+")
_LONGEST_MESSAGE = 300
_DECIMAL_REPR = re.compile(r"Decimal\('([^']*)'\)")
#: What a pattern means, by the name of the field it is checked on.
PATTERNS = {
    "email": "is not an email address",
    "sku": "must start with a letter or digit and hold only letters, digits and . _ - /",
}


def counted(number: float, unit: str) -> str:
    """A number with its unit, singular for exactly one: ``1 day``, ``3 days``, ``1.5 hours``.

    ``unit`` is the singular (``day``, ``hour``, ``month``); the plural adds an ``s``.
    """
    shown = f"{number:,}" if isinstance(number, int) else f"{number:g}"
    return f"{shown} {unit}" if number == 1 else f"{shown} {unit}s"


def one_line(text: str) -> str:
    """``text`` on one line, its runs of white space made one space, cut at 300 characters."""
    text = " ".join(text.split())
    return text if len(text) <= _LONGEST_MESSAGE else text[: _LONGEST_MESSAGE - 3] + "..."


def location(loc: tuple[int | str, ...] | list[int | str]) -> str:
    """A field path as people write it: ``items[0].quantity``, odd keys quoted."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif _FIELD_NAME.fullmatch(part):
            path += f".{part}" if path else part
        else:
            path += f"[{one_line(repr(part))}]"
    return path


def _number(value: object) -> str:
    return f"{value:,}" if isinstance(value, int | Decimal) else str(value)


def plain_message(error: ErrorDetails) -> str:
    """What one pydantic error says, in a rep's words: a validator's own message as written
    (without pydantic's "Value error, "), pydantic's phrases rewritten, decimals as written."""
    message = _words(error).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    for jargon, plain in (("Input should be", "must be"), ("String should", "must")):
        message = message.replace(jargon, plain)
    return _DECIMAL_REPR.sub(r"\1", message)


def _words(error: ErrorDetails) -> str:
    kind = error["type"]
    ctx = error.get("ctx") or {}
    match kind:
        case "missing":
            return "is required"
        case "value_error" | "assertion_error":
            return str(ctx.get("error") or error["msg"])
        case "int_type" | "int_parsing" | "int_from_float":
            return "must be a whole number"
        case "float_type" | "float_parsing" | "decimal_type" | "decimal_parsing":
            return "must be a number"
        case "finite_number":
            return "must be a finite number"
        case "greater_than":
            return f"must be more than {_number(ctx['gt'])}"
        case "greater_than_equal":
            return f"must be {_number(ctx['ge'])} or more"
        case "less_than":
            return f"must be less than {_number(ctx['lt'])}"
        case "less_than_equal":
            return f"must be {_number(ctx['le'])} or less"
        case "string_type":
            return "must be text"
        case "string_too_short":
            n = ctx["min_length"]
            return "must not be empty" if n == 1 else f"must be at least {n} characters long"
        case "string_too_long":
            return f"must be at most {_number(ctx['max_length'])} characters long"
        case "string_pattern_mismatch":
            field = next((p for p in reversed(error["loc"]) if isinstance(p, str)), "")
            return PATTERNS.get(field, "is not written in the expected form")
        case "list_type" | "tuple_type":
            return "must be a list"
        case "too_short":
            n = ctx["min_length"]
            return f"must list at least {n} {'entry' if n == 1 else 'entries'}"
        case "too_long":
            return f"may list at most {_number(ctx['max_length'])} entries"
        case "enum" | "literal_error":
            return f"must be {ctx['expected']}"
        case "bool_type" | "bool_parsing":
            return "must be true or false"
        case "date_from_datetime_inexact":
            return "must be a date without a time of day, e.g. 2027-01-15"
        case _ if kind.startswith(("date_", "datetime_")):
            return "must be a date written as YYYY-MM-DD, e.g. 2027-01-15"
    return str(error["msg"])


def plain_errors(exc: ValidationError, *, where: bool = True) -> str:
    """Every error of ``exc`` in a rep's words, on one line: ``field: what; field: what``
    (without the fields when ``where`` is false)."""
    parts = []
    for error in exc.errors():
        message = plain_message(error)
        path = location(tuple(error["loc"])) if where else ""
        parts.append(f"{path}: {message}" if path else message)
    return "; ".join(dict.fromkeys(parts))
