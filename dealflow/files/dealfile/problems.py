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

from dealflow.domain.messages import location, one_line, plain_message
from dealflow.domain.terms import BY_LANGUAGE, PLAIN_TEXT
from dealflow.errors import Problem

_TEXT_FORMS = frozenset({PLAIN_TEXT, BY_LANGUAGE})

#: ``one_line`` is the messages' own, kept here for the reader.
__all__ = ["one_line", "problems"]


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


def _message(root: type[BaseModel], error: ErrorDetails) -> str:
    """What is wrong, in a rep's words rather than pydantic's: what only a file can get wrong
    (an unknown field, a section, a quoted number) here, the rest as every message says it."""
    kind = error["type"]
    loc = tuple(part for part in error["loc"] if part not in _TEXT_FORMS)
    match kind:
        case "extra_forbidden":
            return _unknown_field(root, loc)
        case "int_type" | "int_parsing" | "int_from_float" if isinstance(error.get("input"), str):
            return "must be a whole number, written without quotes or leading zeros"
        case "model_type" | "model_attributes_type" | "dict_type":
            model = _model_at(root, loc)
            if model is None:
                return "must be a section of named values"
            return f"must be a section with the fields {', '.join(model.model_fields)}"
        case "invalid_key":
            return "field names must be text"
        case "string_type" if PLAIN_TEXT in error["loc"]:
            return "must be text, or a text per language such as {id: ..., en: ...}"
    return plain_message(error)


def _problem(root: type[BaseModel], error: ErrorDetails) -> Problem:
    # A deal text is a plain string or texts by language: the form pydantic tried is in its
    # path, but not in the file.
    loc = tuple(part for part in error["loc"] if part not in _TEXT_FORMS)
    message = _message(root, error)
    given = error.get("input")
    if error["type"] == "invalid_key":
        loc = loc[:-1]  # the bad "field name" is the key itself, not a path to a field
    elif loc and loc[-1] == "[key]":
        loc = loc[:-2]
        message = f"the key {_shown(given) or 'given'} {message}"
        given = None
    shown = _shown(given)
    if isinstance(given, str) and len(repr(given)) > 60:
        message = message.replace(repr(given), shown or "")
    if shown is not None and error["type"] not in {"missing", "extra_forbidden"}:
        # Our own messages mostly name the value already; pydantic's never do.
        named = rf"(?<![\w.]){re.escape(str(given))}(?![\w.%])"
        if shown not in message and not re.search(named, message):
            message += f" (got {shown})"
    return Problem(location(loc), one_line(message))


def problems(exc: ValidationError, root: type[BaseModel]) -> list[Problem]:
    """Each error of validating a document into ``root``, as a field path and plain words."""
    return [_problem(root, error) for error in exc.errors()]
