"""The contract use cases of :class:`~dealflow.DealService`: a deal's contract as a
PDF, rendered once per signed version, sealed when a certificate is configured, and kept.

A mixin, so that the service stays one object with one API. The contract document comes from
the deal alone (:mod:`dealflow.domain.contract`); the renderer and the sealer are the service's
adapters.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from dealflow.domain.deal import Deal, Language
from dealflow.errors import ArtifactConflictError, RenderError, SealError
from dealflow.ports import EventStore, Renderer, Sealer

if TYPE_CHECKING:  # the contract models load when a contract is asked for, not with the service
    from dealflow.domain.contract import ContractDocument, ContractPdf

#: What a PDF's seal writes: a signature dictionary's byte ranges. A PDF WeasyPrint renders
#: has none.
_SEAL_MARK = b"/ByteRange"


def is_sealed(pdf: bytes) -> bool:
    """True when the PDF carries a signature (dealflow's seal or any other)."""
    return _SEAL_MARK in pdf


def unsealed_original(pdf: bytes) -> bytes:
    """The PDF a seal was added to: its first revision, up to the end of line after its first
    ``%%EOF`` (a seal and later timestamps are incremental updates after it); an unsealed PDF
    whole."""
    end = pdf.find(b"%%EOF") if is_sealed(pdf) else -1
    if end < 0:
        return pdf
    end += len(b"%%EOF")
    while pdf[end : end + 1] in (b"\r", b"\n"):
        end += 1
    return pdf[:end]


def sealed_copy_name(name: str) -> str:
    """The name a kept unsealed contract's sealed copy is kept under."""
    return name.removesuffix(".pdf") + ".sealed.pdf"


class _Service(Protocol):
    """What these use cases need of the service they are mixed into."""

    @property
    def store(self) -> EventStore: ...
    @property
    def renderer(self) -> Renderer: ...
    @property
    def sealer(self) -> Sealer | None: ...
    def get(self, deal_id: str) -> Deal: ...
    def _render(self, document: ContractDocument) -> tuple[bytes, tuple[str, ...]]: ...
    def _chain_links(self, deal_id: str) -> dict[int, tuple[str, str]]: ...
    def _kept_contract(self, deal_id: str, document: ContractDocument) -> ContractPdf | None: ...


class ContractUseCases:
    """Contracts: see the module docstring."""

    def contract(
        self: _Service,
        deal_id: str,
        *,
        version: int | None = None,
        language: Language | str | None = None,
    ) -> ContractPdf:
        """The deal's contract as a PDF: a signed contract version, or a draft of the terms.

        Without ``version``, the signed contract in force, or a draft while terms are open or
        an amendment is negotiated. The language is the deal's unless given. A signed version
        is rendered once with its evidence page, sealed when the service has a sealer, and kept
        in the store with its SHA-256; asking again returns the kept bytes (``stored=True``),
        whatever the templates or the certificate have become since — except that a version
        kept unsealed is sealed then, if the service now has a sealer (see ``notes``).
        """
        from dealflow.domain.contract import ContractPdf, contract_document

        deal = self.get(deal_id)
        try:
            chosen = Language(language) if language is not None else None
        except ValueError:
            raise RenderError(
                f"unknown contract language {language!r}; use en, id or id+en"
            ) from None
        document = contract_document(deal, version, chosen)
        if not document.signed:
            pdf, notes = self._render(document)
            return ContractPdf(document=document, pdf=pdf, notes=notes)
        kept = self._kept_contract(deal_id, document)
        if kept is not None:
            return kept
        sealer = self.sealer
        document = contract_document(
            deal,
            document.contract_version,
            chosen,
            events=self.store.load(deal_id),
            chain=self._chain_links(deal_id),
            seal=sealer.subject if sealer else None,
        )
        pdf, notes = self._render(document)
        level = None
        if sealer is not None:
            pdf = sealer.seal(pdf)  # before keeping: nothing is kept half-sealed
            level = getattr(sealer, "level", None)
            fell_back = getattr(sealer, "note", None)
            if fell_back:
                notes = (*notes, str(fell_back))
        try:
            self.store.put_artifact(deal_id, document.file_name, pdf)
        except ArtifactConflictError:
            # Another writer kept this version first, from other templates: theirs holds.
            again = self._kept_contract(deal_id, document)
            assert again is not None
            return again
        return ContractPdf(document=document, pdf=pdf, stored=False, notes=notes, seal_level=level)

    def _render(self: _Service, document: ContractDocument) -> tuple[bytes, tuple[str, ...]]:
        """The PDF, and what the renderer noted (a font embedded whole...) when it says."""
        noted = getattr(self.renderer, "render_noted", None)
        if noted is None:  # a renderer that only renders
            return self.renderer.render(document), ()
        rendered = noted(document)
        return bytes(rendered.pdf), tuple(rendered.notes)

    def _chain_links(self: _Service, deal_id: str) -> dict[int, tuple[str, str]]:
        """The deal's events' links in its hash chain, by version."""
        return {
            link.version: (link.previous, link.hash)
            for link in self.store.chain(deal_id)
            if link.hash  # a row written outside dealflow has no link to show
        }

    def _kept_contract(
        self: _Service, deal_id: str, document: ContractDocument
    ) -> ContractPdf | None:
        """The kept PDF of a signed version, if any. One kept unsealed (rendered while no
        certificate was configured) is sealed now when the service has a sealer: the seal is
        an incremental update, so the kept original stays a prefix of the sealed file, and
        both are kept (the sealed one as ``<name>.sealed.pdf``)."""
        from dealflow.domain.contract import ContractPdf

        name = document.file_name
        sealed_name = sealed_copy_name(name)
        kept = self.store.get_artifact(deal_id, sealed_name) or self.store.get_artifact(
            deal_id, name
        )
        if kept is None:
            return None
        if is_sealed(kept):
            return ContractPdf(document=document, pdf=kept, stored=True)
        kept_on = f"kept unsealed since {document.issued_at:%Y-%m-%d}"
        sealer = self.sealer
        if sealer is None:
            note = f"{name} was {kept_on}: configure a seal certificate (--cert) to seal it"
            return ContractPdf(document=document, pdf=kept, stored=True, notes=(note,))
        try:
            sealed = sealer.seal(kept)
        except SealError as exc:
            raise SealError(f"cannot seal {name}, {kept_on}: {exc}") from exc
        try:
            self.store.put_artifact(deal_id, sealed_name, sealed)
        except ArtifactConflictError:
            # Another writer sealed it first: theirs holds.
            theirs = self.store.get_artifact(deal_id, sealed_name)
            assert theirs is not None
            sealed = theirs
        note = (
            f"{name} was {kept_on}; sealed now by {sealer.subject} (the original stays kept; "
            "its evidence page still says unsealed)"
        )
        return ContractPdf(document=document, pdf=sealed, stored=True, notes=(note,))
