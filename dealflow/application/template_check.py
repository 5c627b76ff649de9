"""``dealflow templates check``: render every contract template against sample deals.

The samples are the demo deal as a draft offer and as a signed contract with its special
agreement, the signed contract again with every clause of the library chosen, and again with
every text of the deal given per language; each is rendered in every language. A template that
uses a variable the deal does not have, names an unknown clause, fails to parse, or asks for a
file outside the template folders is reported with its name and line. In the sample with texts
per language, each language's column must print that language's text: a template that prints a
deal text without ``tr(value, L)`` or ``deal_text(value)`` shows the other language's, and is
reported. What a render notes (a deal text lacking a language the contract prints, a font
embedded whole) is listed apart, as a warning. The wording files of the two languages must have
the same articles and clauses, so that in a side-by-side contract each clause faces its
translation.

The templates come through the :class:`~dealflow.ports.ContractTemplates` port and the samples
are made on the service given (an empty store); :func:`dealflow.bootstrap.check_templates`
supplies both.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from dealflow.domain.contract import ContractDocument, contract_document
from dealflow.domain.deal import Deal, Language
from dealflow.domain.terms import TEXT_LANGUAGES, Terms
from dealflow.errors import RenderError, TemplateProblemError
from dealflow.ports import ContractTemplates

if TYPE_CHECKING:
    from dealflow.application.service import DealService

WORDING = ("wording/en.html.j2", "wording/id.html.j2")
#: The time the samples are made at, so that they are the same on every run.
SAMPLE_TIME = datetime(2026, 11, 2, 9, tzinfo=UTC)


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
    #: What the renders noted, one line each (a deal text lacking a language the contract
    #: prints, a font embedded whole): worth knowing, not a failure of the templates.
    notes: tuple[str, ...] = ()


def sample_deals(service: DealService) -> list[tuple[str, Deal]]:
    """The demo deal as a draft (after the first offer) and signed, made on ``service``: an
    empty store, its clock fixed at :data:`SAMPLE_TIME`."""
    from dealflow.application.demo import run_demo

    samples: list[tuple[str, Deal]] = []
    deal = None
    for what, deal in run_demo(service):
        if what.startswith("seller offered"):
            samples.append(("draft offer", deal))
    assert deal is not None
    samples.append(("signed contract", deal))
    return samples


PER_LANGUAGE = "texts per language"


def _marked(text: str, number: int, lang: str) -> str:
    """A sample text that names its language and its number among the deal's texts, so a
    column can be checked: ``Line sensor kit {ID-1}`` (short: no break is put in it)."""
    return f"{text} {{{lang.upper()}-{number}}}"


def per_language(terms: Terms) -> Terms:
    """``terms`` with every text of the deal given in both languages, each marked with its
    language and number (:func:`_marked`)."""
    data = terms.model_dump(mode="json")
    for number, (where, text) in enumerate(terms.deal_texts()):
        localized = {lang: _marked(str(text), number, lang) for lang in TEXT_LANGUAGES}
        target: Any = data
        *path, last = re.findall(r"[a-z_]+|\d+", where)
        for part in path:
            target = target[int(part)] if part.isdigit() else target[part]
        target[int(last) if last.isdigit() else last] = localized
    return Terms.model_validate(data, context={"stored": True})


def _wrong_language(html: str, terms: Terms, langs: Sequence[str]) -> list[str]:
    """Where the deal texts are that a render printed in a language it does not print."""
    places = [where for where, _ in terms.deal_texts()]
    others = [lang for lang in TEXT_LANGUAGES if lang not in langs]
    found = {int(n) for lang in others for n in re.findall(rf"\{{{lang.upper()}-(\d+)\}}", html)}
    return [places[n] for n in sorted(found) if n < len(places)]


def _documents(
    templates: ContractTemplates, service: DealService
) -> Iterator[tuple[str, ContractDocument]]:
    for name, deal in sample_deals(service):
        for language in Language:
            document = contract_document(deal, language=language)
            yield name, document
            special = document.terms.special
            if document.signed and special is not None:
                every = special.model_copy(update={"clauses": tuple(sorted(templates.clause_ids))})
                terms = document.terms.model_copy(update={"special": every})
                yield "every library clause", document.model_copy(update={"terms": terms})
                terms = per_language(document.terms)
                said = {p.kind.value: p.description for p in terms.after_sales}
                commitments = tuple(
                    o.model_copy(update={"description": said.get(o.kind, o.description)})
                    for o in document.commitments
                )
                update = {"terms": terms, "commitments": commitments}
                yield PER_LANGUAGE, document.model_copy(update=update)


def _wording_shape(templates: ContractTemplates, document: ContractDocument) -> list[str]:
    """Differences in articles and clauses between the English and Indonesian wording."""
    shapes = {}
    for name in WORDING:
        articles = templates.articles(name, document)
        if articles is None:  # the render of the same template reports it
            return []
        shapes[name] = articles
    en, id_ = (shapes[name] for name in WORDING)
    if en == id_:
        return []
    return [f"articles and clauses differ: en has {en}, id has {id_}"]


def check_templates(
    templates: ContractTemplates, service: DealService, *, layout: bool = True
) -> CheckReport:
    """Render every sample (made on ``service``, an empty store) in every language; with
    ``layout``, lay each out as a PDF too."""
    problems: list[CheckProblem] = []
    notes: list[str] = []
    renders = 0
    for sample, document in _documents(templates, service):
        language = document.language.value
        try:
            if sample == "signed contract" and language == "id+en":
                for text in _wording_shape(templates, document):
                    problems.append(CheckProblem(sample, language, WORDING[1], None, text))
            html = templates.html(document)
            notes.extend(templates.notes(document))
            if sample == PER_LANGUAGE:
                wrong = _wrong_language(html, document.terms, language.split("+"))
                if wrong:
                    what = (
                        f"prints {', '.join(wrong)} in another language than the contract's: "
                        "print deal texts with tr(value, L) or deal_text(value)"
                    )
                    problems.append(
                        CheckProblem(sample, language, templates.main_template, None, what)
                    )
            if layout:
                laid_out = templates.layout(html, document)
                notes.extend(laid_out.notes)
                problems.extend(
                    CheckProblem(sample, language, "contract.css", None, f"WeasyPrint: {text}")
                    for text in laid_out.warnings
                )
            renders += 1
        except TemplateProblemError as exc:
            problems.append(CheckProblem(sample, language, exc.template, exc.line, exc.problem))
        except RenderError as exc:
            problems.append(CheckProblem(sample, language, "contract.html.j2", None, str(exc)))
    unique = tuple(dict.fromkeys(problems))
    return CheckReport(renders=renders, problems=unique, notes=tuple(dict.fromkeys(notes)))
