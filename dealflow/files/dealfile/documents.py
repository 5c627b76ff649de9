"""Turning a deal or policy file's text into plain data, carefully: YAML or JSON, before validation.

YAML is read with the safe loader; a repeated key is an error rather than a silent overwrite;
keys are read as the text written (``on:`` is not the boolean true); numbers with a decimal
point are read as exact decimals; numbers YAML 1.1 would read in another base (``010`` as
octal 8, ``1:30`` as 90) are left as the text written; and a document that expands past a
fixed size through YAML aliases or merge keys (a "billion laughs" file) is refused. A syntax
error becomes one line saying where and what.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Hashable
from decimal import Decimal
from typing import Any

import yaml

#: The most values a document may expand to, counting each use of an alias again.
MAX_NODES = 200_000
#: The most digits a number may be written with (far more than any amount dealflow accepts).
MAX_DIGITS = 40

_MERGE = "tag:yaml.org,2002:merge"
_DECIMAL_INT = re.compile(r"[-+]?(0|[1-9][0-9_]*)")


class _SafeLoader(yaml.SafeLoader):
    """The safe loader, with exact decimals and refusal of repeated keys.

    A value a constructor cannot read (``!!int abc``, ``!!bool maybe``) is reported as a YAML
    error at its line and column rather than escaping as an unrelated Python error.
    """

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep)
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError):
            shown = node.value if isinstance(node, yaml.ScalarNode) else "this value"
            tag = str(node.tag).replace("tag:yaml.org,2002:", "!!")
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read {shown!r} as {tag}", node.start_mark
            ) from None


def _merged(loader: _SafeLoader, node: yaml.Node) -> list[dict[Hashable, Any]]:
    """The mappings a merge key (``<<: *base`` or ``<<: [*a, *b]``) names, first first."""
    sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
    mappings = []
    for source in sources:
        if not isinstance(source, yaml.MappingNode):
            problem = "a merge key (<<) must name a mapping or a list of them"
            raise yaml.constructor.ConstructorError(None, None, problem, node.start_mark)
        mappings.append(loader.construct_object(source, deep=True))
    return mappings


def _construct_mapping(loader: _SafeLoader, node: yaml.MappingNode) -> dict[Hashable, Any]:
    # Merge keys are resolved on the constructed (shared) mappings instead of PyYAML's
    # flatten_mapping, which copies every merged entry into every mapping that merges it:
    # nested merges of the same anchor grow exponentially before anything could count them.
    result: dict[Hashable, Any] = {}
    merged: dict[Hashable, Any] = {}
    seen_merge = False
    for key_node, value_node in node.value:
        if key_node.tag == _MERGE:
            if seen_merge:
                raise yaml.constructor.ConstructorError(
                    None, None, "the key '<<' appears twice", key_node.start_mark
                )
            seen_merge = True
            for mapping in _merged(loader, value_node):
                for name, value in mapping.items():
                    merged.setdefault(name, value)  # the first mapping named wins
            continue
        if isinstance(key_node, yaml.ScalarNode):
            # A key is a name, taken as written: YAML 1.1 would read the split field `on:` as
            # the boolean true, and `7:` or `2027-01-15:` as a number or a date.
            key = key_node.value
        else:
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
    return {**merged, **result}  # a key written in the mapping overrides a merged one


def _check_length(node: yaml.ScalarNode, text: str) -> None:
    if len(text) > MAX_DIGITS:
        raise yaml.constructor.ConstructorError(
            None, None, f"a number written with more than {MAX_DIGITS} digits", node.start_mark
        )


def _construct_int(loader: _SafeLoader, node: yaml.ScalarNode) -> int | str:
    text = str(loader.construct_scalar(node))
    _check_length(node, text)
    if _DECIMAL_INT.fullmatch(text):
        return int(text.replace("_", ""))
    return text  # 010, 0x1F, 0b11, 1:30: YAML 1.1 would silently read another number


def _construct_decimal(loader: _SafeLoader, node: yaml.ScalarNode) -> Decimal | str:
    text = str(loader.construct_scalar(node))
    _check_length(node, text)
    try:
        return Decimal(text.replace("_", ""))
    except ArithmeticError:
        return text  # .nan, .inf, 1:30.5: left as written, and refused where a number is due


def _construct_timestamp(loader: _SafeLoader, node: yaml.ScalarNode) -> dt.date | str:
    try:
        return loader.construct_yaml_timestamp(node)
    except ValueError:
        return str(node.value)  # 2027-13-45: refused, with its field path, by validation


_SafeLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
_SafeLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_SafeLoader.add_constructor("tag:yaml.org,2002:float", _construct_decimal)
_SafeLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)


class _JSONProblem(ValueError):
    """Something the json module accepts but a dealflow file must not contain."""


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _JSONProblem(f"the key {key!r} appears twice")
        result[key] = value
    return result


def _json_number(text: str) -> int | Decimal:
    if len(text) > MAX_DIGITS:
        raise _JSONProblem(f"a number written with more than {MAX_DIGITS} digits")
    return Decimal(text) if any(c in text for c in ".eE") else int(text)


def _json_constant(name: str) -> object:
    raise _JSONProblem(f"{name} is not a number JSON allows")


def _count_nodes(document: object) -> None:
    """Walk the document, counting shared (aliased) values each time they are used."""
    budget = MAX_NODES
    stack = [document]
    while stack:
        value = stack.pop()
        budget -= 1
        if budget < 0:
            raise DocumentError(
                f"the document expands to more than {MAX_NODES:,} values (too many YAML aliases?)"
            )
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list | tuple | set | frozenset):  # !!omap, !!pairs, !!set
            stack.extend(value)


class DocumentError(ValueError):
    """The text is not a document of named fields; the message says where and why."""


def read_document(
    text: str | bytes, fmt: str = "yaml", *, kind: str = "deal file"
) -> dict[str, Any]:
    """The plain data in a file's text; ``fmt`` is ``"yaml"`` or ``"json"``."""
    try:
        if isinstance(text, bytes):
            text = text.decode("utf-8")
        text = text.removeprefix("\ufeff")  # a byte-order mark, as some editors write
        if fmt == "json":
            document = json.loads(
                text,
                object_pairs_hook=_json_object,
                parse_int=_json_number,
                parse_float=_json_number,
                parse_constant=_json_constant,
            )
        else:
            document = yaml.load(text, Loader=_SafeLoader)
    except (yaml.YAMLError, ValueError, RecursionError) as exc:
        raise DocumentError(_syntax_message(exc, fmt)) from None
    if not isinstance(document, dict):
        found = "empty" if document is None else f"a {_KINDS.get(type(document), 'value')}"
        raise DocumentError(f"a {kind} must be a mapping of fields, but this one is {found}")
    _count_nodes(document)
    return document


_KINDS = {
    list: "list",
    str: "single piece of text",
    int: "single number",
    Decimal: "single number",
    bool: "single true/false value",
    dt.date: "single date",
    dt.datetime: "single date and time",
}


def _syntax_message(exc: Exception, fmt: str) -> str:
    if isinstance(exc, RecursionError):
        return "the document is nested too deeply"
    if isinstance(exc, UnicodeDecodeError):
        return "the file is not UTF-8 text"
    if isinstance(exc, json.JSONDecodeError):
        return f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
    if not isinstance(exc, yaml.YAMLError):
        return f"invalid {fmt.upper()}: {exc}"
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    tag = re.fullmatch(r"could not determine a constructor for the tag '(.*)'", problem)
    if tag:
        problem = f"the tag {tag[1].replace('tag:yaml.org,2002:', '!!')} is not allowed"
    where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
    return f"invalid YAML{where}: {problem}"
