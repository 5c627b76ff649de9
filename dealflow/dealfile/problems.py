"""Reporting a file's problems in a sales rep's words: field path + what is wrong.

pydantic's errors are rewritten into short sentences without its jargon, an unknown field
suggests the field that was probably meant, and every message fits on one line.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import typing
from decimal import Decimal

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from dealflow.errors import Problem

_FIELD_NAME = re.compile(r"[\w\-]+")
#: What a pattern means, by the name of the field it is checked on.
_PATTERNS = {
    "email": "is not an email address",
    "sku": "must start with a letter or digit and hold only letters, digits and . _ - /",
}
_LONGEST_MESSAGE = 300


def one_line(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= _LONGEST_MESSAGE else text[: _LONGEST_MESSAGE - 3] + "..."


def _location(loc: tuple[int | str, ...]) -> str:
    """``items[0].quantity``: list positions in brackets, odd keys quoted."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif _FIELD_NAME.fullmatch(part):
            path += f".{part}" if path else part
        else:
            path += f"[{one_line(repr(part))}]"
    return path


def _shown(value: object) -> str | None:
    """The value as a rep would recognise it, or None for values not worth repeating."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | Decimal):
        text = str(value)
    elif isinstance(value, dt.date):
        text = value.isoformat()
    elif isinstance(value, str):
        text = repr(value)
    else:
        return None
    return text if len(text) <= 60 else text[:57] + "..."


def _model_at(root: type[BaseModel], loc: tuple[int | str, ...]) -> type[BaseModel] | None:
    """The model whose fields are expected at ``loc`` (a path of field names and indexes)."""
    model = root
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        found = _model_in(field.annotation) if field else None
        if found is None:
            return None
        model = found
    return model


def _model_in(annotation: object) -> type[BaseModel] | None:
    """The model in an annotation such as ``list[LineItem]`` or ``Delivery | None``."""
    if typing.get_origin(annotation) is None and isinstance(annotation, type):
        return annotation if issubclass(annotation, BaseModel) else None
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _unknown_field(root: type[BaseModel], loc: tuple[int | str, ...]) -> str:
    model = _model_at(root, loc[:-1])
    if model is None:
        return "is not a known field (a typo?)"
    fields = list(model.model_fields)
    close = difflib.get_close_matches(str(loc[-1]), fields, n=1)
    if close:
        return f"is not a known field; did you mean {close[0]}?"
    return f"is not a known field; expected {', '.join(fields)}"


def _number(value: object) -> str:
    return f"{value:,}" if isinstance(value, int | Decimal) else str(value)


def _message(root: type[BaseModel], error: ErrorDetails) -> str:
    """What is wrong, in a rep's words rather than pydantic's."""
    kind = error["type"]
    ctx = error.get("ctx") or {}
    loc = error["loc"]
    field = next((p for p in reversed(loc) if isinstance(p, str)), "")
    given = error.get("input")
    match kind:
        case "missing":
            return "is required"
        case "extra_forbidden":
            return _unknown_field(root, loc)
        case "value_error":
            return str(ctx.get("error") or error["msg"]).removeprefix("Value error, ")
        case "int_type" | "int_parsing" | "int_from_float":
            if isinstance(given, str):
                return "must be a whole number, written without quotes or leading zeros"
            return "must be a whole number"
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
            return _PATTERNS.get(str(field), "is not written in the expected form")
        case "model_type" | "model_attributes_type" | "dict_type":
            model = _model_at(root, loc)
            if model is None:
                return "must be a section of named values"
            return f"must be a section with the fields {', '.join(model.model_fields)}"
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
        case "invalid_key":
            return "field names must be text"
    message = str(error["msg"])
    for jargon, plain in (("Input should be", "must be"), ("String should", "must")):
        message = message.replace(jargon, plain)
    return message


_DECIMAL_REPR = re.compile(r"Decimal\('([^']*)'\)")


def _problem(root: type[BaseModel], error: ErrorDetails) -> Problem:
    loc = tuple(error["loc"])
    message = _message(root, error)
    given = error.get("input")
    if error["type"] == "invalid_key":
        loc = loc[:-1]  # the bad "field name" is the key itself, not a path to a field
    elif loc and loc[-1] == "[key]":
        loc = loc[:-2]
        message = f"the key {_shown(given) or 'given'} {message}"
        given = None
    message = _DECIMAL_REPR.sub(r"\1", message)
    shown = _shown(given)
    if isinstance(given, str) and len(repr(given)) > 60:
        message = message.replace(repr(given), shown or "")
    if shown is not None and error["type"] not in {"missing", "extra_forbidden"}:
        # Our own messages mostly name the value already; pydantic's never do.
        named = rf"(?<![\w.]){re.escape(str(given))}(?![\w.%])"
        if shown not in message and not re.search(named, message):
            message += f" (got {shown})"
    return Problem(_location(loc), one_line(message))


def problems(exc: ValidationError, root: type[BaseModel]) -> list[Problem]:
    """Each error of validating a document into ``root``, as a field path and plain words."""
    return [_problem(root, error) for error in exc.errors()]
