"""The contract templates: a locked-down Jinja2 environment over the template folders.

Templates are looked up in the user's folders first (``--templates DIR`` or
``$DEALFLOW_TEMPLATES``), then in the built-ins shipped with dealflow, so that a team can
override one partial or one wording file. Every template runs in Jinja's immutable sandbox
with ``autoescape=True`` set explicitly and ``StrictUndefined``: deal data is only ever
printed, escaped, never evaluated as a template; a template cannot reach Python internals; a
misspelt variable is an error, not an empty string.
"""

from __future__ import annotations

import os
import posixpath
import re
import traceback
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC
from pathlib import Path
from typing import Any

from jinja2 import (
    Environment,
    FileSystemLoader,
    StrictUndefined,
    TemplateError,
    TemplateNotFound,
    TemplateSyntaxError,
    UndefinedError,
)
from jinja2.exceptions import SecurityError
from jinja2.loaders import split_template_path
from jinja2.sandbox import ImmutableSandboxedEnvironment
from markupsafe import Markup, escape

from dealflow.adapters.rendering import formats
from dealflow.domain.contract import ContractDocument
from dealflow.domain.money import Money
from dealflow.domain.terms import MAX_TEXT_CHARS, LocalizedText, text_in
from dealflow.errors import LocalFileError, RenderError, TemplateProblemError
from dealflow.files.clauses import Clause, builtin_templates, merged_clause_library
from dealflow.files.local import read_file

#: The template every contract starts from.
CONTRACT_TEMPLATE = "contract.html.j2"
#: The longest text a contract prints in one field (what terms may hold), and in all: the
#: terms' texts, bounded when written, and room for the parties, approvals and evidence.
MAX_FIELD_CHARS = MAX_TEXT_CHARS
MAX_TOTAL_CHARS = 250_000
#: The largest template file (a Jinja template or contract.css) read: the built-in ones are
#: under 20 KiB. Every render lays out the whole stylesheet, about 10 s a MiB, and
#: ``templates check`` renders twelve times: 256 KiB keeps a check within about half a minute.
MAX_TEMPLATE_BYTES = 256 * 1024


def _texts(value: object, path: str) -> Iterator[tuple[str, str]]:
    """Every string in a dumped document, with where it is."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _texts(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _texts(item, f"{path}[{index}]")


#: Runs of this many characters without a breaking space get a line-break opportunity
#: (``<wbr>``) after them: Pango lays out a long unbroken run in quadratic time. A no-break
#: space does not break a run, so only the ASCII space, tab and newline end one.
BREAK_EVERY = 30
_LONG_RUN = re.compile(rf"[^ \t\n\r]{{{BREAK_EVERY + 1},}}")
#: Characters that print as nothing, as a box, or reorder the text around them (bidi
#: overrides: "valid for \u202e09\u202c days" would read "90 days"): shown as \uXXXX instead.
_HIDDEN = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _shown(text: str) -> str:
    return _HIDDEN.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def printed(value: object) -> Markup:
    """``value`` as a contract prints it: escaped; control and bidi-override characters shown
    as ``\\uXXXX``; ``<wbr>`` inside long unbroken runs (a URL, a serial number), so the
    line can break while the text reads and extracts the same."""
    text = _shown(str(value))
    pieces: list[str] = []
    start = 0
    for run in _LONG_RUN.finditer(text):
        pieces.append(str(escape(text[start : run.start()])))
        word = run.group()
        chunks = [word[i : i + BREAK_EVERY] for i in range(0, len(word), BREAK_EVERY)]
        pieces.append("<wbr>".join(str(escape(chunk)) for chunk in chunks))
        start = run.end()
    pieces.append(str(escape(text[start:])))
    return Markup("".join(pieces))


class ContainedLoader(FileSystemLoader):
    """A FileSystemLoader that refuses a template whose real path (symlinks followed) lies
    outside its folder: a link in a team folder cannot make a template of ``/etc/passwd``.

    A template is read as every user's file is (:func:`~dealflow.files.local.read_file`): a
    regular file of at most :data:`MAX_TEMPLATE_BYTES`; anything else found under its name (a
    FIFO, a device) is refused, never waited on, and so is a larger file, both in one line.
    """

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        pieces = split_template_path(template)
        for root in self.searchpath:
            filename = posixpath.join(root, *pieces)
            if Path(filename).exists():
                break
        else:
            raise TemplateNotFound(template)
        real = Path(filename).resolve()
        if not any(real.is_relative_to(Path(root).resolve()) for root in self.searchpath):
            raise TemplateNotFound(template)
        try:
            data = read_file(filename, MAX_TEMPLATE_BYTES, what="template file")
        except LocalFileError as exc:
            raise TemplateProblemError(filename, exc.problem) from None
        except OSError as exc:
            raise TemplateProblemError(filename, f"cannot read: {exc.strerror or exc}") from None
        try:
            source = data.decode(self.encoding)
        except UnicodeDecodeError as exc:
            raise TemplateProblemError(
                filename, f"not {self.encoding} text: {exc.reason}"
            ) from None
        return source, os.path.normpath(filename), lambda: False


def check_printable(document: ContractDocument) -> None:
    """Refuse, in one line, a contract whose texts are too long to print (see the limits)."""
    total = 0
    for where, text in _texts(document.model_dump(), ""):
        total += len(text)
        if len(text) > MAX_FIELD_CHARS:
            raise RenderError(
                f"{where} is {len(text):,} characters; a contract prints at most "
                f"{MAX_FIELD_CHARS:,} in one text: keep long specifications in a document "
                "of their own and name it in the deal"
            )
    if total > MAX_TOTAL_CHARS:
        raise RenderError(
            f"the contract's texts are {total:,} characters in all; a contract prints at most "
            f"{MAX_TOTAL_CHARS:,}"
        )


_LANGUAGE_NAMES = {"id": "Indonesian", "en": "English"}


def texts_in(value: str | LocalizedText, languages: Sequence[str]) -> list[tuple[str, str]]:
    """What a contract prints for a deal text in its ``languages``: ``(language, text)``, one
    per language, or one for all where they read the same (a plain string)."""
    shown = [(lang, text_in(value, lang)) for lang in languages]
    if len({text for _, text in shown}) == 1:
        return shown[:1]
    return shown


def language_notes(document: ContractDocument) -> tuple[str, ...]:
    """One line when texts of the deal given per language lack one the contract prints (it
    prints the other language's text there); none otherwise."""
    languages = document.language.value.split("+")
    missing = document.terms.missing_languages(languages)
    if not missing:
        return ()
    absent = {lang for _, lang in missing}
    lacking = " and ".join(_LANGUAGE_NAMES[lang] for lang in languages if lang in absent)
    places = list(dict.fromkeys(where for where, _ in missing))
    shown = ", ".join(places[:3]) + (f" and {len(places) - 3} more" if len(places) > 3 else "")
    return (
        f"contract {document.number} ({document.language.value}): {shown} "
        f"{'lacks' if len(places) == 1 else 'lack'} {lacking}; the other language's text is "
        "printed there: give each text per language in the deal ({id: ..., en: ...})",
    )


class UnknownClauseError(LookupError):
    """A template or a special agreement named a clause the library does not have."""


def _template_line(exc: BaseException) -> tuple[str | None, int | None]:
    """The template file and line an error was raised from (Jinja rewrites its frames)."""
    for frame in reversed(traceback.extract_tb(exc.__traceback__)):
        if frame.filename.endswith((".j2", ".html", ".css")):
            return Path(frame.filename).name, frame.lineno
    return None, None


class TemplateSet:
    """The template folders, in lookup order, and the sandboxed environment over them."""

    def __init__(self, user_dirs: Sequence[Path] = ()) -> None:
        for folder in user_dirs:
            if not Path(folder).is_dir():
                what = "is not a folder" if Path(folder).exists() else "does not exist"
                raise RenderError(f"template folder {str(folder)!r} {what}")
        self.user_dirs = tuple(Path(folder).resolve() for folder in user_dirs)
        self.roots = (*self.user_dirs, builtin_templates().resolve())
        self.clauses: dict[str, Clause] = merged_clause_library(self.user_dirs)
        self.env = ImmutableSandboxedEnvironment(
            loader=ContainedLoader([str(root) for root in self.roots]),
            autoescape=True,
            undefined=StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            auto_reload=False,
        )
        self.env.globals.update(
            money=formats.money,
            money_of=Money.of,
            number=formats.number,
            percent=formats.percent,
            day=formats.day,
            words=formats.words,
            clause=self.clause,
            tr=text_in,
            texts_in=texts_in,
        )
        self.env.filters["printed"] = printed

    @property
    def base_url(self) -> str:
        """The URL relative links in templates resolve against: the first folder."""
        return self.roots[0].as_uri() + "/"

    def clause(self, clause_id: str) -> Clause:
        """A clause of the library, for templates; unknown ids stop the render."""
        try:
            return self.clauses[clause_id]
        except KeyError:
            raise UnknownClauseError(clause_id) from None

    def template_names(self) -> list[str]:
        """Every template file in the folders, by name, each once."""
        return sorted(name for name in self.env.list_templates() if name.endswith((".j2", ".css")))

    def notes(self, document: ContractDocument) -> tuple[str, ...]:
        """What the person asking for ``document`` should know about its texts, one line
        each: texts given per language that lack one the contract prints."""
        return language_notes(document)

    def html(self, document: ContractDocument, template: str = CONTRACT_TEMPLATE) -> str:
        """The contract as HTML. Raises TemplateProblemError naming the template and line."""
        check_printable(document)
        mode = document.language.value
        context: dict[str, Any] = {
            "c": document,
            "mode": mode,
            "langs": mode.split("+"),
            "issued_w3c": document.issued_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
        try:
            return self.env.get_template(template).render(context)
        except TemplateNotFound as exc:
            raise TemplateProblemError(str(exc.name or template), "template not found") from exc
        except TemplateSyntaxError as exc:
            name = Path(exc.filename).name if exc.filename else exc.name or template
            raise TemplateProblemError(name, exc.message or "syntax error", exc.lineno) from exc
        except UndefinedError as exc:
            where, line = _template_line(exc)
            raise TemplateProblemError(
                where or template, f"missing variable: {exc.message}", line
            ) from exc
        except SecurityError as exc:
            where, line = _template_line(exc)
            raise TemplateProblemError(
                where or template, f"refused by the sandbox: {exc}", line
            ) from exc
        except UnknownClauseError as exc:
            where, line = _template_line(exc)
            known = ", ".join(sorted(self.clauses)) or "none"
            raise TemplateProblemError(
                where or template,
                f"unknown clause id {exc.args[0]!r}; the library has {known}",
                line,
            ) from exc
        except (TemplateError, TypeError, ValueError, AttributeError, KeyError) as exc:
            where, line = _template_line(exc)
            problem = f"{type(exc).__name__}: {exc}"
            raise TemplateProblemError(where or template, problem, line) from exc
