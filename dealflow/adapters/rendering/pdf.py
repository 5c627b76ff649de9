"""Contract PDFs: the rendered HTML laid out by WeasyPrint as PDF/A-3b.

The PDF embeds the canonical agreement JSON as ``agreement.json`` and the canonical terms JSON as
``terms.json`` (relationship ``Source``), so they can be read back and hashed against the hashes
the document prints; a signed contract
also embeds its evidence trail as ``evidence.json`` (relationship ``Supplement``). Everything that
could vary between runs is fixed from the document: the creation and modification dates (its
``issued_at``), the attachment dates, the file identifier (WeasyPrint derives it from the
content), and the embedded fonts, which are subset the same way on every machine and carry the
same time (:mod:`.fonts`). Fonts ship with the templates, so the output does not depend on the
fonts of the machine either. WeasyPrint is imported only here, and only when a contract is
rendered.

A render that had to fall back (a font that could not be subset, embedded whole; a deal text
given per language without one the contract prints) says so in one line:
:meth:`PdfRenderer.render_noted` returns the notes with the bytes, and :meth:`PdfRenderer.render`
logs each as a warning on the ``dealflow.rendering`` logger.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC
from typing import Any

from dealflow.adapters.rendering.fetcher import TemplateFiles, template_fetcher
from dealflow.adapters.rendering.fonts import contract_fonts, import_weasyprint
from dealflow.adapters.rendering.templates import TemplateSet
from dealflow.domain.contract import ContractDocument
from dealflow.domain.evidence import evidence_json
from dealflow.errors import FetchRefusedError, RenderError

#: The PDF variant of every contract: archivable, and allowed to carry attachments.
PDF_VARIANT = "pdf/a-3b"

#: Where a render's notes are logged (as warnings) by :meth:`PdfRenderer.render`.
log = logging.getLogger("dealflow.rendering")


@dataclass(frozen=True)
class RenderedPdf:
    """A contract's PDF bytes and what the person asking should know about them."""

    pdf: bytes
    #: One line each: a font that could not be subset and was embedded whole...
    notes: tuple[str, ...] = ()


class PdfRenderer:
    """Renders a :class:`ContractDocument` to PDF/A-3b bytes through the template folders."""

    def __init__(self, templates: TemplateSet | None = None) -> None:
        self.templates = templates or TemplateSet()

    def render(self, document: ContractDocument) -> bytes:
        """The contract as PDF bytes: the same document gives the same bytes, on any machine.
        Each note of the render is logged as a warning on ``dealflow.rendering``."""
        rendered = self.render_noted(document)
        for note in rendered.notes:
            log.warning("%s", note)
        return rendered.pdf

    def render_noted(self, document: ContractDocument) -> RenderedPdf:
        """The contract as PDF bytes with the render's notes (nothing is logged): the
        templates' first (deal texts lacking a language the contract prints), then the
        layout's."""
        rendered = self.pdf_noted(self.templates.html(document), document)
        notes = self.templates.notes(document)
        return RenderedPdf(rendered.pdf, (*notes, *rendered.notes)) if notes else rendered

    def pdf(self, html: str, document: ContractDocument) -> bytes:
        """Lay out ``html`` (rendered from ``document``) as PDF/A-3b with ``terms.json``."""
        return self.pdf_noted(html, document).pdf

    def pdf_noted(self, html: str, document: ContractDocument) -> RenderedPdf:
        """:meth:`pdf`, with the render's notes."""
        import_weasyprint()  # first: quiet about hb-subset, which dealflow does not use
        from weasyprint import HTML, Attachment
        from weasyprint.urls import FatalURLFetchingError

        files = TemplateFiles(self.templates.roots)
        fetcher = template_fetcher(files)
        issued = document.issued_at.astimezone(UTC)

        def attach(name: str, data: str, description: str, relationship: str) -> Any:
            return Attachment(
                string=data.encode("utf-8"), name=name, description=description,
                created=issued, modified=issued, relationship=relationship, url_fetcher=fetcher,
            )  # fmt: skip

        attachments = [
            attach(
                "agreement.json",
                document.canonical_agreement,
                f"Agreement {document.number}: deal, version, parties and terms "
                f"(SHA-256 {document.agreement_hash})",
                "Source",
            ),
            attach(
                "terms.json",
                document.canonical_terms,
                f"Terms of contract {document.number} (SHA-256 {document.terms_hash})",
                "Source",
            ),
        ]
        if document.evidence:
            attachments.append(
                attach(
                    "evidence.json",
                    evidence_json(
                        document.evidence,
                        agreement_hash=document.agreement_hash,
                        chain_head=document.chain_head,
                    ),
                    f"Events of contract {document.number}, from its opening to the last signature",
                    "Supplement",
                )
            )
        try:
            with contract_fonts(issued) as fonts:
                page = HTML(string=html, base_url=self.templates.base_url, url_fetcher=fetcher)
                pdf = page.write_pdf(
                    pdf_variant=PDF_VARIANT, attachments=attachments, custom_metadata=True
                )
            return RenderedPdf(pdf=bytes(pdf), notes=tuple(fonts.notes))
        except FatalURLFetchingError as exc:
            if files.problem is not None:
                raise RenderError(files.problem) from None
            url = files.refused[-1] if files.refused else str(exc)
            raise FetchRefusedError(url) from None
        except (OSError, ValueError) as exc:
            raise RenderError(f"could not lay out contract {document.number}: {exc}") from exc
