"""The contract document: what a rendered contract says, taken from the deal alone.

A :class:`ContractDocument` is one contract version of a deal in one language: its number, the
parties, the terms and their hash, the signatures, the amendment it makes, and the date it
bears. Every field comes from the deal's own events (never from "now"), so the same deal
version always yields the same document, and so the same PDF. Renderers turn it into bytes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import date
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from dealflow.domain.commitments import Occurrence, schedule, service_start
from dealflow.domain.deal import Approval, Deal, Language, Signature
from dealflow.domain.events import AnyEvent, ContractSigned
from dealflow.domain.evidence import EvidenceEntry, evidence_trail
from dealflow.domain.lifecycle import Stage
from dealflow.domain.parties import Party
from dealflow.domain.terms import Terms
from dealflow.errors import VersionNotFoundError

_FROZEN = ConfigDict(frozen=True, extra="forbid")
#: Characters of the terms hash printed in the footer of every page.
SHORT_HASH = 12


def contract_number(deal_id: str, contract_version: int) -> str:
    """The contract's number as printed: ``DF-<DEAL ID>-V<version>``."""
    return f"DF-{deal_id.upper()}-V{contract_version}"


class ContractDocument(BaseModel):
    """One contract version of a deal, as it is printed."""

    model_config = _FROZEN

    deal_id: str
    number: str
    title: str
    language: Language
    contract_version: int
    seller: Party
    buyer: Party
    terms: Terms
    terms_hash: str
    signed: bool
    signatures: tuple[Signature, ...] = ()
    approvals: tuple[Approval, ...] = ()
    #: The date the document bears: when it was signed, or the deal's latest event for a draft.
    issued_at: AwareDatetime
    amends: str | None = None
    amendment_reason: str | None = None
    #: For a signed version: every dated commitment, the buyer's payment included.
    commitments: Annotated[tuple[Occurrence, ...], Field(max_length=2000)] = ()
    #: For a signed version: the date after-sales dates count from (delivery, else signing).
    service_from: date | None = None
    #: For a signed version: every event up to the last signature (the evidence page).
    evidence: tuple[EvidenceEntry, ...] = ()
    #: The subject of the certificate that seals the PDF; None when it is not sealed.
    seal: str | None = None

    @property
    def short_hash(self) -> str:
        """The first characters of the terms hash, as printed on every page."""
        return self.terms_hash[:SHORT_HASH]

    @property
    def canonical_terms(self) -> str:
        """The canonical terms JSON: what the PDF embeds as ``terms.json``."""
        return self.terms.canonical_json()

    @property
    def file_name(self) -> str:
        """A file name for the PDF: number, ``-draft`` until signed, and language."""
        draft = "" if self.signed else "-draft"
        return f"{self.number}{draft}-{self.language.value.replace('+', '-')}.pdf"


class ContractPdf(BaseModel):
    """A rendered contract: the document, the PDF bytes and their SHA-256."""

    model_config = ConfigDict(frozen=True)

    document: ContractDocument
    pdf: bytes
    #: True when the bytes were kept in the store from an earlier render.
    stored: bool = False

    @property
    def sha256(self) -> str:
        """The SHA-256 of the PDF bytes, hex."""
        return hashlib.sha256(self.pdf).hexdigest()


def _signing_version(events: Sequence[AnyEvent], terms_hash: str) -> int:
    """The version of the event that completed the signatures on ``terms_hash``."""
    return max(
        (e.version for e in events if isinstance(e, ContractSigned) and e.terms_hash == terms_hash),
        default=0,
    )


def contract_document(
    deal: Deal,
    contract_version: int | None = None,
    language: Language | None = None,
    *,
    events: Sequence[AnyEvent] = (),
    seal: str | None = None,
) -> ContractDocument:
    """The document for ``contract_version`` of the deal in ``language`` (the deal's own by
    default).

    Without a version: the signed contract in force, or, while terms are still open or an
    amendment is being negotiated, a draft of the current terms. A signed version is printed
    as signed, with its dated commitments (:mod:`dealflow.domain.commitments`) and, given the
    deal's ``events``, the
    evidence trail up to its last signature; ``seal`` names the certificate that will seal it.
    A draft has no dates yet.
    """
    language = language or deal.language
    number_of = {c.contract_version: c for c in deal.contracts}
    if contract_version is None:
        in_force = deal.stage in {Stage.SIGNED, Stage.IN_SERVICE, Stage.COMPLETED}
        if deal.contracts and (in_force and not deal.amending):
            contract_version = deal.contracts[-1].contract_version
        else:
            contract_version = deal.contract_version
    signed = number_of.get(contract_version)
    common = {
        "deal_id": deal.id,
        "number": contract_number(deal.id, contract_version),
        "title": deal.title,
        "language": language,
        "contract_version": contract_version,
        "seller": deal.seller,
        "buyer": deal.buyer,
        "amends": contract_number(deal.id, contract_version - 1) if contract_version > 1 else None,
    }
    if signed is not None:
        signed_on = signed.signed_at.date()
        return ContractDocument(
            **common,
            terms=signed.terms,
            terms_hash=signed.terms_hash,
            signed=True,
            signatures=signed.signatures,
            approvals=tuple(a for a in deal.approval_history if a.terms_hash == signed.terms_hash),
            issued_at=signed.signed_at,
            amendment_reason=signed.amendment_reason,
            commitments=schedule(signed.terms, signed_on),
            service_from=service_start(signed.terms, signed_on),
            evidence=evidence_trail(events, _signing_version(events, signed.terms_hash)),
            seal=seal,
        )
    if contract_version != deal.contract_version:
        known = ", ".join(str(v) for v in sorted({*number_of, deal.contract_version}))
        raise VersionNotFoundError(
            f"deal {deal.id} has no contract version {contract_version}; its versions are {known}"
        )
    terms = deal.terms
    return ContractDocument(
        **common,
        terms=terms,
        terms_hash=terms.terms_hash,
        signed=False,
        signatures=tuple(s for s in deal.signatures if s.terms_hash == terms.terms_hash),
        approvals=tuple(a for a in deal.approvals if a.terms_hash == terms.terms_hash),
        issued_at=deal.updated_at,
        amendment_reason=deal.amendment_reason if contract_version > 1 else None,
    )
