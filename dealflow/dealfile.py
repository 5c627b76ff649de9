"""Reading deal files: YAML or JSON on disk or in a string, into a validated DealSpec.

Every problem is collected and reported at once in a :class:`~dealflow.errors.DealFileError`
(field path + what is wrong), and nothing is written anywhere. The reader is careful with
hostile files: YAML is read with the safe loader, a repeated key is an error rather than a
silent overwrite, numbers with a decimal point are read as exact decimals, and a document that
expands past a fixed size through YAML aliases (a "billion laughs" file) is refused.
"""

from __future__ import annotations

import json
from collections.abc import Hashable
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from dealflow.domain.spec import DealSpec
from dealflow.errors import DealFileError, Problem

MAX_FILE_BYTES = 8 * 1024 * 1024
#: The most values a document may expand to, counting each use of an alias again.
MAX_NODES = 200_000


class _SafeLoader(yaml.SafeLoader):
    """The safe loader, with exact decimals and refusal of repeated keys."""


def _construct_mapping(loader: _SafeLoader, node: yaml.MappingNode) -> dict[Hashable, Any]:
    loader.flatten_mapping(node)
    result: dict[Hashable, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        if not isinstance(key, Hashable):
            raise yaml.constructor.ConstructorError(
                None, None, "a key must be a plain value", key_node.start_mark
            )
        if key in result:
            raise yaml.constructor.ConstructorError(
                None, None, f"the key {key!r} appears twice", key_node.start_mark
            )
        result[key] = loader.construct_object(value_node, deep=True)
    return result


def _construct_decimal(loader: _SafeLoader, node: yaml.ScalarNode) -> Decimal | float:
    text = str(loader.construct_scalar(node)).replace("_", "")
    try:
        return Decimal(text)
    except ArithmeticError:
        return float(loader.construct_yaml_float(node))


_SafeLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_SafeLoader.add_constructor("tag:yaml.org,2002:float", _construct_decimal)


def _count_nodes(document: object) -> None:
    """Walk the document, counting shared (aliased) values each time they are used."""
    budget = MAX_NODES
    stack = [document]
    while stack:
        value = stack.pop()
        budget -= 1
        if budget < 0:
            raise DealFileError(
                "deal file",
                [
                    Problem(
                        "",
                        f"the document expands to more than {MAX_NODES:,} values "
                        "(too many YAML aliases?)",
                    )
                ],
            )
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)


def _location(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part in {"function-after[_discount(), Discount]"} or "[" in str(part):
            continue
        else:
            path += f".{part}" if path else str(part)
    return path


def _problems(exc: ValidationError) -> list[Problem]:
    problems = []
    for error in exc.errors():
        message = str(error["msg"]).removeprefix("Value error, ")
        given = error.get("input")
        if error["type"] == "missing":
            message = "is required"
        elif error["type"] == "extra_forbidden":
            message = "is not a field of a deal file (a typo?)"
        elif isinstance(given, str | int | Decimal) and not isinstance(given, bool):
            shown = repr(given) if len(repr(given)) <= 60 else repr(given)[:57] + "..."
            message += f" (got {shown})"
        problems.append(Problem(_location(error["loc"]), message))
    return problems


def parse_deal_spec(text: str | bytes, *, source: str = "deal file", fmt: str = "yaml") -> DealSpec:
    """Parse and validate a deal file's text; ``fmt`` is ``"yaml"`` or ``"json"``.

    YAML is a superset of JSON, so ``"yaml"`` reads both; ``"json"`` is stricter.
    Raises DealFileError listing every problem.
    """
    if len(text) > MAX_FILE_BYTES:
        raise DealFileError(
            source, [Problem("", f"the file is larger than {MAX_FILE_BYTES:,} bytes")]
        )
    try:
        if fmt == "json":
            document = json.loads(text, parse_float=Decimal)
        else:
            document = yaml.load(text, Loader=_SafeLoader)
    except (yaml.YAMLError, json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise DealFileError(source, [Problem("", _syntax_message(exc))]) from None
    if not isinstance(document, dict):
        kind = "empty" if document is None else f"a {type(document).__name__}"
        raise DealFileError(
            source,
            [Problem("", f"a deal file must be a mapping of fields, but this one is {kind}")],
        )
    try:
        _count_nodes(document)
    except DealFileError as exc:
        raise DealFileError(source, exc.problems) from None
    try:
        return DealSpec.model_validate(document)
    except ValidationError as exc:
        raise DealFileError(source, _problems(exc)) from None


def _syntax_message(exc: Exception) -> str:
    if isinstance(exc, RecursionError):
        return "the document is nested too deeply"
    if isinstance(exc, UnicodeDecodeError):
        return "the file is not UTF-8 text"
    if isinstance(exc, json.JSONDecodeError):
        return f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    return f"invalid YAML{where}: {problem}"


def load_deal_file(path: str | Path) -> DealSpec:
    """Read a deal file from disk (``.json`` as JSON, anything else as YAML)."""
    file = Path(path)
    try:
        if file.stat().st_size > MAX_FILE_BYTES:
            raise DealFileError(
                str(path), [Problem("", f"the file is larger than {MAX_FILE_BYTES:,} bytes")]
            )
        data = file.read_bytes()
    except FileNotFoundError:
        raise DealFileError(str(path), [Problem("", "no such file")]) from None
    except IsADirectoryError:
        raise DealFileError(str(path), [Problem("", "is a folder, not a deal file")]) from None
    except OSError as exc:
        raise DealFileError(str(path), [Problem("", exc.strerror or str(exc))]) from None
    fmt = "json" if file.suffix.lower() == ".json" else "yaml"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise DealFileError(str(path), [Problem("", "the file is not UTF-8 text")]) from None
    return parse_deal_spec(text, source=str(path), fmt=fmt)


def deal_file_schema() -> dict[str, Any]:
    """The JSON Schema of the deal file format."""
    return DealSpec.model_json_schema()
