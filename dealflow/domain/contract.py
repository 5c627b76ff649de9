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

from dealflow.domain.agreement import Agreement, agreement_of, contract_number
from dealflow.domain.commitments import (
    Occurrence,
    counting_for,
    schedule,
    service_start,
    start_basis,
)
from dealflow.domain.deal import Approval, Deal, Language, Signature, approves
from dealflow.domain.events import AnyEvent
from dealflow.domain.evidence import ChainLinks, EvidenceEntry, evidence_trail
from dealflow.domain.lifecycle import Stage
from dealflow.domain.parties import Party
from dealflow.domain.terms import Terms
from dealflow.errors import VersionNotFoundError

_FROZEN = ConfigDict(frozen=True, extra="forbid")
#: Characters of the agreement hash printed in the footer of every page.
SHORT_HASH = 12

__all__ = ["SHORT_HASH", "ContractDocument", "ContractPdf", "contract_document", "contract_number"]


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
    #: The agreement this version is: what its approvals, signatures and seal bind.
    agreement: Agreement
    signed: bool
    signatures: tuple[Signature, ...] = ()
    approvals: tuple[Approval, ...] = ()
    #: The date the document bears: when it was signed, or the deal's latest event for a draft.
    issued_at: AwareDatetime
    amends: str | None = None
    amendment_reason: str | None = None
    #: For a signed version: every dated commitment, the buyer's payment included.
    commitments: Annotated[tuple[Occurrence, ...], Field(max_length=2000)] = ()
    #: For a signed version: the start date every date of the contract counts from (the last
    #: delivery, else signing), and what it is (:func:`~dealflow.domain.commitments.start_basis`).
    service_from: date | None = None
    service_basis: str | None = None
    #: For a signed version: the events that make it, from the one that opened it (the deal's
    #: opening, or the amendment) to the last signature (the evidence page).
    evidence: tuple[EvidenceEntry, ...] = ()
    #: For a signed version: the hash of the deal's event log at its last signature.
    chain_head: str | None = None
    #: The subject of the certificate that seals the PDF; None when it is not sealed.
    seal: str | None = None

    @property
    def agreement_hash(self) -> str:
        """The SHA-256 of the canonical agreement JSON, in hex."""
        return self.agreement.agreement_hash

    @property
    def short_hash(self) -> str:
        """The first characters of the agreement hash, as printed on every page."""
        return self.agreement_hash[:SHORT_HASH]

    @property
    def canonical_terms(self) -> str:
        """The canonical terms JSON: what the PDF embeds as ``terms.json``."""
        return self.terms.canonical_json()

    @property
    def canonical_agreement(self) -> str:
        """The canonical agreement JSON: what the PDF embeds as ``agreement.json``."""
        return self.agreement.canonical_json()

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
    #: What the person asking should know about these bytes, one line each (a kept unsealed
    #: contract sealed now, a render that fell back to another font subsetter...).
    notes: tuple[str, ...] = ()
    #: The PAdES level of a seal made now ("B-B", "B-T", "B-LTA"); None when nothing was sealed
    #: by this call (a draft, kept bytes, no certificate).
    seal_level: str | None = None

    @property
    def sha256(self) -> str:
        """The SHA-256 of the PDF bytes, hex."""
        return hashlib.sha256(self.pdf).hexdigest()


def contract_document(
    deal: Deal,
    contract_version: int | None = None,
    language: Language | None = None,
    *,
    events: Sequence[AnyEvent] = (),
    chain: ChainLinks | None = None,
    seal: str | None = None,
) -> ContractDocument:
    """The document for ``contract_version`` of the deal in ``language`` (the deal's own by
    default).

    Without a version: the signed contract in force, or, while terms are still open or an
    amendment is being negotiated, a draft of the current terms. A signed version is printed
    as signed, with its dated commitments (:mod:`dealflow.domain.commitments`) and, given the
    deal's ``events``, the evidence trail of that version: its own events, from the one that
    opened it to its last signature, with their links in the deal's hash chain when ``chain``
    gives them; ``seal`` names the certificate that will seal it.
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
    if contract_version in number_of or contract_version == deal.contract_version:
        common["agreement"] = agreement_of(deal, contract_version)
    if signed is not None:
        signed_on = signed.signed_at.date()
        counting = counting_for(signed.agreement_hash)
        return ContractDocument(
            **common,
            terms=signed.terms,
            terms_hash=signed.terms_hash,
            signed=True,
            signatures=signed.signatures,
            approvals=tuple(
                a
                for a in deal.approval_history
                if approves(a, signed.agreement_hash, signed.terms_hash)
            ),
            issued_at=signed.signed_at,
            amendment_reason=signed.amendment_reason,
            commitments=schedule(signed.terms, signed_on, counting),
            service_from=service_start(signed.terms, signed_on, counting),
            service_basis=start_basis(signed.terms, signed_on, counting),
            evidence=evidence_trail(events, signed.first_event, signed.signed_event, chain),
            chain_head=chain[signed.signed_event][1]
            if chain and signed.signed_event in chain
            else None,
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
