"""The contract templates as ``dealflow templates check`` drives them (the
:class:`~dealflow.ports.ContractTemplates` port): the template set's HTML and notes, the
WeasyPrint layout with whatever WeasyPrint warned of on the way, and the articles a wording
template defines. WeasyPrint is imported when the first layout is asked for."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from dealflow.adapters.rendering.pdf import PdfRenderer
from dealflow.adapters.rendering.templates import CONTRACT_TEMPLATE, TemplateSet
from dealflow.domain.contract import ContractDocument
from dealflow.ports import LaidOut


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


class TemplatesUnderCheck:
    """The templates of the user folders over the built-ins, with their PDF renderer."""

    main_template = CONTRACT_TEMPLATE

    def __init__(self, user_dirs: Sequence[Path] = ()) -> None:
        self._templates = TemplateSet(user_dirs)
        self._renderer = PdfRenderer(self._templates)

    @property
    def clause_ids(self) -> tuple[str, ...]:
        return tuple(self._templates.clauses)

    def html(self, document: ContractDocument) -> str:
        return self._templates.html(document)

    def notes(self, document: ContractDocument) -> tuple[str, ...]:
        return self._templates.notes(document)

    def layout(self, html: str, document: ContractDocument) -> LaidOut:
        with _weasyprint_warnings() as warnings:
            rendered = self._renderer.pdf_noted(html, document)
        return LaidOut(rendered.notes, tuple(warnings))

    def articles(self, template: str, document: ContractDocument) -> list[int] | None:
        try:
            module = self._templates.env.get_template(template).make_module(
                {"c": document, "mode": "id+en", "langs": ["id", "en"]}
            )
        except Exception:  # the render of the same template reports it
            return None
        return [len(article["clauses"]) for article in getattr(module, "articles", [])]
