"""``dealflow templates check``: render every contract template against sample deals.

The samples are the demo deal as a draft offer and as a signed contract with its special
agreement, and the signed contract again with every clause of the library chosen; each is
rendered in every language. A template that uses a variable the deal does not have, names an
unknown clause, fails to parse, or asks for a file outside the template folders is reported
with its name and line. The wording files of the two languages must have the same articles and
clauses, so that in a side-by-side contract each clause faces its translation.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from dealflow.domain.contract import ContractDocument, contract_document
from dealflow.domain.deal import Deal, Language
from dealflow.errors import RenderError, TemplateProblemError

if TYPE_CHECKING:
    from dealflow.adapters.rendering.templates import TemplateSet

WORDING = ("wording/en.html.j2", "wording/id.html.j2")


@dataclass(frozen=True)
class CheckProblem:
    """One problem found: where, in which sample and language, and what."""

    sample: str
    language: str
    template: str
    line: int | None
    problem: str

    def __str__(self) -> str:
        where = f"{self.template}:{self.line}" if self.line else self.template
        return f"{where}: {self.problem} ({self.sample}, {self.language})"


@dataclass(frozen=True)
class CheckReport:
    """What the check rendered and what it found."""

    renders: int
    problems: tuple[CheckProblem, ...]


def sample_deals() -> list[tuple[str, Deal]]:
    """The demo deal as a draft (after the first offer) and signed, on a fixed clock."""
    from dealflow.adapters.clock import FixedClock
    from dealflow.adapters.memory import MemoryEventStore
    from dealflow.demo import run_demo
    from dealflow.services import DealService

    service = DealService(MemoryEventStore(), FixedClock(datetime(2026, 11, 2, 9, tzinfo=UTC)))
    samples: list[tuple[str, Deal]] = []
    deal = None
    for what, deal in run_demo(service):
        if what.startswith("seller offered"):
            samples.append(("draft offer", deal))
    assert deal is not None
    samples.append(("signed contract", deal))
    return samples


def _documents(templates: TemplateSet) -> Iterator[tuple[str, ContractDocument]]:
    for name, deal in sample_deals():
        for language in Language:
            document = contract_document(deal, language=language)
            yield name, document
            special = document.terms.special
            if document.signed and special is not None:
                every = special.model_copy(update={"clauses": tuple(sorted(templates.clauses))})
                terms = document.terms.model_copy(update={"special": every})
                yield "every library clause", document.model_copy(update={"terms": terms})


@contextmanager
def _weasyprint_warnings() -> Iterator[list[str]]:
    """Collect what WeasyPrint logs at WARNING or above (bad CSS, missing resources)."""
    seen: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record.getMessage())

    logger = logging.getLogger("weasyprint")
    handler = Collect(logging.WARNING)
    logger.addHandler(handler)
    try:
        yield seen
    finally:
        logger.removeHandler(handler)


def _wording_shape(templates: TemplateSet, document: ContractDocument) -> list[str]:
    """Differences in articles and clauses between the English and Indonesian wording."""
    shapes = {}
    for name in WORDING:
        try:
            module = templates.env.get_template(name).make_module(
                {"c": document, "mode": "id+en", "langs": ["id", "en"]}
            )
        except Exception:  # the render of the same template reports it
            return []
        articles = getattr(module, "articles", [])
        shapes[name] = [len(article["clauses"]) for article in articles]
    en, id_ = (shapes[name] for name in WORDING)
    if en == id_:
        return []
    return [f"articles and clauses differ: en has {en}, id has {id_}"]


def check_templates(user_dirs: Sequence[Path] = (), *, layout: bool = True) -> CheckReport:
    """Render every sample in every language; with ``layout``, lay each out as a PDF too."""
    from dealflow.adapters.rendering.pdf import PdfRenderer
    from dealflow.adapters.rendering.templates import TemplateSet

    templates = TemplateSet(user_dirs)
    renderer = PdfRenderer(templates)
    problems: list[CheckProblem] = []
    renders = 0
    for sample, document in _documents(templates):
        language = document.language.value
        try:
            if sample == "signed contract" and language == "id+en":
                for text in _wording_shape(templates, document):
                    problems.append(CheckProblem(sample, language, WORDING[1], None, text))
            html = templates.html(document)
            if layout:
                with _weasyprint_warnings() as warnings:
                    renderer.pdf(html, document)
                problems.extend(
                    CheckProblem(sample, language, "contract.css", None, f"WeasyPrint: {text}")
                    for text in warnings
                )
            renders += 1
        except TemplateProblemError as exc:
            problems.append(CheckProblem(sample, language, exc.template, exc.line, exc.problem))
        except RenderError as exc:
            problems.append(CheckProblem(sample, language, "contract.html.j2", None, str(exc)))
    unique = tuple(dict.fromkeys(problems))
    return CheckReport(renders=renders, problems=unique)
