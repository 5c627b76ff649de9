"""The clause library: standard contract clauses in ``contract_templates/clauses/``, one YAML
file per clause (id, whether it is standard, title and text in English and Indonesian).

A special agreement names library clauses by id; free-text clauses are written per deal.
The built-in templates ship inside the wheel (``dealflow/contract_templates``); in a checkout
they are the repository's ``contract_templates/``.
"""

from __future__ import annotations

from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from dealflow.errors import ClauseFileError, Problem
from dealflow.files.dealfile.reader import load_file

_PACKAGE = Path(__file__).resolve().parent.parent
#: The largest clause file read: a clause's two titles and texts are at most 20,000
#: characters, and a regular file only (a FIFO named ``x.yaml`` is refused, never waited on).
MAX_CLAUSE_FILE_BYTES = 1024 * 1024


class ClauseText(BaseModel):
    """The same words in English and Bahasa Indonesia."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    en: Annotated[str, Field(min_length=1, max_length=5000)]
    id: Annotated[str, Field(min_length=1, max_length=5000)]


class Clause(BaseModel):
    """One clause of the library."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9\-]*$", max_length=64)]
    standard: bool = True
    title: ClauseText
    text: ClauseText


def builtin_templates() -> Path:
    """The built-in template folder: inside the installed package (found with
    :mod:`importlib.resources`), or the checkout's for an editable install."""
    packaged = Path(str(files("dealflow").joinpath("contract_templates")))
    return packaged if packaged.is_dir() else _PACKAGE.parent / "contract_templates"


@cache
def clause_library(root: Path | None = None) -> dict[str, Clause]:
    """Every clause in ``root/clauses`` (the built-in templates by default), by id."""
    folder = (root or builtin_templates()) / "clauses"
    library: dict[str, Clause] = {}
    for file in sorted(folder.glob("*.yaml")):
        clause = load_file(file, Clause, ClauseFileError, limit=MAX_CLAUSE_FILE_BYTES)
        if clause.id != file.stem:
            problem = Problem("id", f"must be the file's name, {file.stem!r}")
            raise ClauseFileError(str(file), [problem])
        library[clause.id] = clause
    return library


def merged_clause_library(user_dirs: tuple[Path, ...] = ()) -> dict[str, Clause]:
    """The built-in clauses, overridden and extended by those in each user template folder
    that has a ``clauses/`` folder (the first folder wins)."""
    library = dict(clause_library())
    for folder in reversed(user_dirs):
        if (folder / "clauses").is_dir():
            library.update(clause_library(folder))
    return library


def clause_standards(user_dirs: tuple[Path, ...] = ()) -> dict[str, bool]:
    """Each clause id of the library, and whether the clause is standard."""
    return {cid: clause.standard for cid, clause in merged_clause_library(user_dirs).items()}
