"""The ``agreement`` check (``terms`` for a contract made before agreement hashes): what was
signed, ``agreement.json`` or ``terms.json``, is canonical, hashes to the hash in the metadata,
says what the metadata says, and that hash is printed in the recitals and at the foot of every
page. What it establishes (:class:`Signed`) is what the signatures and the store must bind."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

from dealflow.application.verification.contract import Embedded
from dealflow.application.verification.verdict import Findings
from dealflow.domain.agreement import Agreement
from dealflow.domain.contract import SHORT_HASH
from dealflow.domain.terms import Terms
from dealflow.errors import DamagedPdfError
from dealflow.ports import ContractFile


@dataclass(frozen=True)
class Signed:
    """What the file says was signed: the hash its signatures must bind (the agreement hash;
    for a contract made before agreement hashes, the terms hash) and its contract version."""

    digest: str
    legacy: bool
    version: int
    #: The terms hash: what signatures made before agreement hashes bind.
    terms_hash: str

    def bound_by(self, entry: dict[str, Any]) -> bool:
        """Whether an evidence entry names what this file says was signed."""
        if self.legacy:
            return entry.get("terms_hash") == self.digest
        if entry.get("agreement_hash") is None:  # signed before agreement hashes
            return entry.get("terms_hash") == self.terms_hash
        return entry.get("agreement_hash") == self.digest


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _printed(pdf: ContractFile, digest: str, problems: list[str], what: str) -> None:
    """The hash in full in the recitals, and in short on every page."""
    pages = []
    for page_number in range(1, pdf.pages + 1):
        try:
            pages.append(_flat(pdf.page_text(page_number)))
        except DamagedPdfError as exc:  # a damaged content stream or font
            problems.append(f"the text of page {page_number} cannot be read: {exc}")
            pages.append("")
    if digest not in "".join(pages):
        printed = re.findall(r"[0-9a-f]{64}", "".join(pages))
        shown = printed[0][:SHORT_HASH] if printed else "none"
        problems.append(f"the recitals print {what} hash {shown}, not {digest[:SHORT_HASH]}")
    unmarked = [str(n) for n, text in enumerate(pages, 1) if digest[:SHORT_HASH] not in text]
    if unmarked:
        problems.append(f"page(s) {', '.join(unmarked)} do not print {digest[:SHORT_HASH]}")


def _canonical_terms(terms_json: bytes, claimed: str | None, problems: list[str]) -> Terms | None:
    terms = None
    try:
        terms = Terms.model_validate_json(terms_json)
        if terms.canonical_json().encode("utf-8") != terms_json:
            problems.append("terms.json is not in canonical form")
    except ValueError:
        problems.append("terms.json is not valid terms")
    digest = hashlib.sha256(terms_json).hexdigest()
    if claimed is not None and digest != claimed:
        problems.append(
            f"terms.json hashes to {digest[:SHORT_HASH]}, the metadata says {claimed[:SHORT_HASH]}"
        )
    return terms


def _agreement_problems(agreement_json: bytes, embedded: Embedded) -> list[str]:
    """What is wrong with ``agreement.json``: its form, and whether it says what the metadata
    (deal id, number, version, terms hash) and ``terms.json`` say."""
    problems: list[str] = []
    try:
        agreement = Agreement.model_validate_json(agreement_json)
    except ValueError:
        return ["agreement.json is not a valid agreement"]
    if agreement.canonical_json().encode("utf-8") != agreement_json:
        problems.append("agreement.json is not in canonical form")
    said = (agreement.deal_id, agreement.number, agreement.contract_version)
    if said != (embedded.deal_id, embedded.number, embedded.version):
        problems.append(
            f"agreement.json is for {agreement.number} of deal {agreement.deal_id}, the "
            f"metadata says {embedded.number} of deal {embedded.deal_id}"
        )
    terms_json, claimed_terms = embedded.terms.data, embedded.terms_hash
    if terms_json is not None:
        if terms_json != agreement.terms.canonical_json().encode("utf-8"):
            problems.append("terms.json differs from the terms in agreement.json")
        _canonical_terms(terms_json, claimed_terms, problems)
    if claimed_terms and agreement.terms_hash != claimed_terms:
        problems.append("the metadata's terms hash differs from agreement.json's")
    return problems


def check_agreement(pdf: ContractFile, embedded: Embedded, found: Findings) -> Signed | None:
    """What was signed, checked against what the document prints: ``agreement.json`` and its
    hash (the ``agreement`` check), or, in a contract made before agreement hashes,
    ``terms.json`` (the ``terms`` check). None when there is nothing to hold signatures to."""
    problems: list[str] = []
    if embedded.terms.copies > 1:
        problems.append(f"the PDF embeds {embedded.terms.copies} files named terms.json")
    if embedded.legacy:
        terms_json = embedded.terms.data
        assert terms_json is not None and embedded.terms_hash is not None
        _canonical_terms(terms_json, embedded.terms_hash, problems)
        digest = hashlib.sha256(terms_json).hexdigest()
        _printed(pdf, digest, problems, "terms")
        if problems:
            found.add("terms", False, "; ".join(problems))
        else:
            found.add("terms", True, f"terms.json hashes to {digest}, as printed on every page")
        return Signed(digest, True, embedded.version, digest)
    agreement_json, claimed = embedded.agreement.data, embedded.agreement_hash
    if agreement_json is None or claimed is None:
        found.add("agreement", False, "the agreement hash or agreement.json is missing")
        return None
    if embedded.agreement.copies > 1:
        problems.append(f"the PDF embeds {embedded.agreement.copies} files named agreement.json")
    digest = hashlib.sha256(agreement_json).hexdigest()
    if digest != claimed:
        problems.append(
            f"agreement.json hashes to {digest[:SHORT_HASH]}, the metadata says "
            f"{claimed[:SHORT_HASH]}"
        )
    problems += _agreement_problems(agreement_json, embedded)
    _printed(pdf, digest, problems, "agreement")
    if problems:
        found.add("agreement", False, "; ".join(problems))
    else:
        found.add("agreement", True, f"agreement.json hashes to {digest}, as printed on every page")
    return Signed(digest, False, embedded.version, embedded.terms_hash or "")
