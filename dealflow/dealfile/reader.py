"""Reading deal files: YAML or JSON on disk or in a string, into a validated DealSpec.

Every problem is collected and reported at once in a :class:`~dealflow.errors.DealFileError`
(field path + what is wrong), and nothing is written anywhere. A file is read up to a fixed
size, whatever size it claims.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import ValidationError

from dealflow.dealfile.documents import DocumentError, read_document
from dealflow.dealfile.problems import one_line, problems
from dealflow.domain.spec import DealSpec
from dealflow.errors import DealFileError, Problem

MAX_FILE_BYTES = 8 * 1024 * 1024
_TOO_BIG = f"the file is larger than {MAX_FILE_BYTES:,} bytes"


def parse_deal_spec(text: str | bytes, *, source: str = "deal file", fmt: str = "yaml") -> DealSpec:
    """Parse and validate a deal file's text; ``fmt`` is ``"yaml"`` or ``"json"``.

    YAML is a superset of JSON, so ``"yaml"`` reads both; ``"json"`` is stricter.
    Raises DealFileError listing every problem.
    """
    if len(text) > MAX_FILE_BYTES:
        raise DealFileError(source, [Problem("", _TOO_BIG)])
    try:
        document = read_document(text, fmt)
    except DocumentError as exc:
        raise DealFileError(source, [Problem("", one_line(str(exc)))]) from None
    try:
        return DealSpec.model_validate(document)
    except ValidationError as exc:
        raise DealFileError(source, problems(exc)) from None


def load_deal_file(path: str | Path) -> DealSpec:
    """Read a deal file from disk (``.json`` as JSON, anything else as YAML)."""
    file = Path(path)
    try:
        if file.is_dir():
            raise IsADirectoryError
        # Read no more than the limit allows, whatever the file claims its size is
        # (a device or a pipe has no size, and a file may grow while it is read).
        with file.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise DealFileError(str(path), [Problem("", "no such file")]) from None
    except IsADirectoryError:
        raise DealFileError(str(path), [Problem("", "is a folder, not a deal file")]) from None
    except OSError as exc:
        raise DealFileError(str(path), [Problem("", exc.strerror or str(exc))]) from None
    if len(data) > MAX_FILE_BYTES:
        raise DealFileError(str(path), [Problem("", _TOO_BIG)])
    fmt = "json" if file.suffix.lower() == ".json" else "yaml"
    return parse_deal_spec(data, source=str(path), fmt=fmt)


def deal_file_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the deal file format."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **DealSpec.model_json_schema(),
    }
