"""Reading deal and policy files: YAML or JSON, on disk or in a string, into a validated model.

Every problem is collected and reported at once in a :class:`~dealflow.errors.DealFileError`
(field path + what is wrong), and nothing is written anywhere. Only a regular file is read (a
symbolic link to one is followed; a folder, a FIFO or a device is refused without waiting on
it), up to a fixed size, whatever size it claims: :mod:`dealflow.files.local`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from dealflow.domain.spec import DealSpec
from dealflow.errors import (
    ClauseFileError,
    DealFileError,
    FileProblemsError,
    LocalFileError,
    PolicyFileError,
    Problem,
)
from dealflow.files.dealfile.documents import DocumentError, read_document
from dealflow.files.dealfile.problems import one_line, problems
from dealflow.files.local import read_file

M = TypeVar("M", bound=BaseModel)

MAX_FILE_BYTES = 8 * 1024 * 1024
_TOO_BIG = f"the file is larger than {MAX_FILE_BYTES:,} bytes"


def parse_deal_spec(text: str | bytes, *, source: str = "deal file", fmt: str = "yaml") -> DealSpec:
    """Parse and validate a deal file's text; ``fmt`` is ``"yaml"`` or ``"json"``.

    YAML is a superset of JSON, so ``"yaml"`` reads both; ``"json"`` is stricter.
    Raises DealFileError listing every problem.
    """
    return parse_file(text, DealSpec, DealFileError, source=source, fmt=fmt)


def load_deal_file(path: str | Path) -> DealSpec:
    """Read a deal file from disk (``.json`` as JSON, anything else as YAML): a regular file (a
    symbolic link to one is followed) of at most 8 MiB; a folder, a FIFO or a device is a
    DealFileError, never waited on."""
    return load_file(path, DealSpec, DealFileError)


def parse_file(
    text: str | bytes,
    model: type[M],
    error: type[FileProblemsError],
    *,
    source: str,
    fmt: str = "yaml",
) -> M:
    """Validate a file's text into ``model``; ``error`` lists every problem found."""
    if len(text) > MAX_FILE_BYTES:
        raise error(source, [Problem("", _TOO_BIG)])
    kind = _KIND.get(error, "file")
    try:
        document = read_document(text, fmt, kind=kind)
    except DocumentError as exc:
        raise error(source, [Problem("", one_line(str(exc)))]) from None
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        raise error(source, problems(exc, model)) from None


def load_file(
    path: str | Path,
    model: type[M],
    error: type[FileProblemsError],
    *,
    limit: int = MAX_FILE_BYTES,
) -> M:
    """Read a YAML or JSON file from disk (``.json`` as JSON) and validate it into ``model``;
    a file larger than ``limit`` bytes (at most :data:`MAX_FILE_BYTES`) is refused."""
    file = Path(path)
    kind = _KIND.get(error, "file")
    try:
        # A regular file only (a FIFO or a device is refused without blocking), and no more
        # than the limit, whatever size it claims.
        data = read_file(file, min(limit, MAX_FILE_BYTES), what=kind)
    except LocalFileError as exc:
        raise error(str(path), [Problem("", exc.problem)]) from None
    except FileNotFoundError:
        raise error(str(path), [Problem("", "no such file")]) from None
    except OSError as exc:
        raise error(str(path), [Problem("", exc.strerror or str(exc))]) from None
    fmt = "json" if file.suffix.lower() == ".json" else "yaml"
    return parse_file(data, model, error, source=str(path), fmt=fmt)


_KIND: dict[type[FileProblemsError], str] = {
    DealFileError: "deal file",
    PolicyFileError: "policy file",
    ClauseFileError: "clause file",
}


def deal_file_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of the deal file format."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **DealSpec.model_json_schema(),
    }
