"""The ``contract`` check: the file is a dealflow contract (its number, deal, version and
hashes in the metadata, ``agreement.json`` or ``terms.json`` embedded), and a signed one, not a
draft. What it reads (:class:`Embedded`) is what the ``agreement`` check then holds to its
hashes."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from dealflow.application.contracts import unsealed_original
from dealflow.application.verification.verdict import Findings
from dealflow.errors import DamagedPdfError
from dealflow.ports import ContractFile


@dataclass(frozen=True)
class Attachment:
    """The last embedded file of a name, and how many files have that name."""

    data: bytes | None
    copies: int

    @classmethod
    def of(cls, pdf: ContractFile, name: str) -> Attachment:
        found = pdf.attachments(name)
        return cls(found[-1] if found else None, len(found))


@dataclass(frozen=True)
class Embedded:
    """What a contract file says about itself: its metadata's claims and the embedded files
    they are about."""

    deal_id: str
    number: str
    #: The contract version (0 when the metadata gives none that is a number).
    version: int
    #: The hashes the metadata claims; a contract made before agreement hashes has no
    #: agreement hash.
    terms_hash: str | None
    agreement_hash: str | None
    agreement: Attachment
    terms: Attachment

    @property
    def legacy(self) -> bool:
        """Made before agreement hashes: its signatures bind the terms only."""
        return self.agreement.data is None and self.agreement_hash is None


def check_contract(pdf: ContractFile, data: bytes, found: Findings) -> Embedded | None:
    """What the file says it is, with the ``contract`` check recorded; None when it is no
    dealflow contract (the check failed)."""
    try:
        agreement, terms = Attachment.of(pdf, "agreement.json"), Attachment.of(pdf, "terms.json")
    except DamagedPdfError as exc:  # a damaged name tree
        found.add("contract", False, f"its embedded files cannot be read: {exc}")
        return None
    number, deal_id = pdf.metadata("contractnumber"), pdf.metadata("dealid")
    claimed_terms = pdf.metadata("termssha256")
    claimed = pdf.metadata("agreementsha256")
    if not (number and deal_id and (claimed_terms or claimed)) or (
        terms.data is None and agreement.data is None
    ):
        found.add(
            "contract", False, "not a dealflow contract: no contract number or no agreement.json"
        )
        return None
    found.number = number
    original = unsealed_original(data)
    unsealed = (
        f"; unsealed PDF sha256 {hashlib.sha256(original).hexdigest()}" if original != data else ""
    )
    try:
        version = int(pdf.metadata("contractversion") or "0")
    except ValueError:
        version = 0
    embedded = Embedded(deal_id, number, version, claimed_terms, claimed, agreement, terms)
    era = (
        " (made before agreement hashes: its signatures bind the terms only)"
        if embedded.legacy
        else ""
    )
    if pdf.metadata("contractstatus") != "signed":
        found.add("contract", False, f"{number} is a DRAFT, not a signed contract")
    else:
        found.add("contract", True, f"contract {number} of deal {deal_id}{era}{unsealed}")
    return embedded
