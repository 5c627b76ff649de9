"""The agreement: the one canonical document that signatures, approvals and the seal bind.

An :class:`Agreement` is one contract version of a deal as both sides agree to it: the deal id,
the contract's number and version (and the version it amends, with that version's agreement
hash), the language of the contract, both parties as they are named in it (legal names,
addresses, tax ids, representatives) and the terms. Its canonical JSON is embedded in the PDF
as ``agreement.json``; its SHA-256 is the agreement hash, recorded in every approval and
signature of that version and printed on every page.

The terms hash alone identified the terms, not the deal: two deals with different buyers and
the same terms had the same hash, and an amendment back to earlier terms got the earlier
version's hash. The agreement hash differs for every deal and every version.
"""

from __future__ import annotations

import hashlib
import json
from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from dealflow.domain.deal import Deal, Language
from dealflow.domain.parties import Party
from dealflow.domain.terms import Terms

_FROZEN = ConfigDict(frozen=True, extra="forbid")

#: The format of ``agreement.json``; a later format gets a new name, never a changed meaning.
AGREEMENT_FORMAT: Literal["dealflow-agreement/1"] = "dealflow-agreement/1"


def contract_number(deal_id: str, contract_version: int) -> str:
    """The contract's number as printed: ``DF-<DEAL ID>-V<version>``."""
    return f"DF-{deal_id.upper()}-V{contract_version}"


class AgreementParty(BaseModel):
    """A party as the agreement names it: what identifies it in law, and who signs for it."""

    model_config = _FROZEN

    name: str
    address: str
    tax_id: str | None
    representative: str
    representative_title: str

    @classmethod
    def of(cls, party: Party) -> AgreementParty:
        """The agreement's view of ``party``."""
        return cls(
            name=party.name,
            address=party.address,
            tax_id=party.tax_id,
            representative=party.representative.name,
            representative_title=party.representative.title,
        )


class AmendedVersion(BaseModel):
    """The contract version an amendment replaces: its number, and its agreement hash (None
    when it was signed before agreement hashes, then its terms hash identifies it)."""

    model_config = _FROZEN

    number: str
    agreement_hash: str | None
    terms_hash: str


class Agreement(BaseModel):
    """One contract version of a deal, as signed: see the module docstring."""

    model_config = _FROZEN

    format: Literal["dealflow-agreement/1"] = AGREEMENT_FORMAT
    deal_id: str
    number: str
    contract_version: int
    amends: AmendedVersion | None
    language: Language
    seller: AgreementParty
    buyer: AgreementParty
    terms_hash: str
    terms: Terms

    def canonical_json(self) -> str:
        """One canonical JSON form: sorted keys, no spaces, the terms in their own canonical
        form (decimals as strings)."""
        # The whole dump sorted is the terms' own canonical form nested (Terms.canonical_json
        # is the same dump, sorted the same way).
        data: dict[str, Any] = self.model_dump(mode="json")
        return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    @cached_property
    def agreement_hash(self) -> str:
        """SHA-256 of :meth:`canonical_json`, in hex."""
        return hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()


def agreement_of(deal: Deal, contract_version: int | None = None) -> Agreement:
    """The agreement of ``contract_version`` of the deal (default: the version on the table
    now). A signed version's terms are those signed; the open version's are the deal's
    current terms."""
    version = deal.contract_version if contract_version is None else contract_version
    signed = {c.contract_version: c for c in deal.contracts}
    if version in signed:
        terms = signed[version].terms
    else:
        terms = deal.offers[-1].terms if deal.offers else deal.proposal
    previous = signed.get(version - 1)
    amends = None
    if previous is not None:
        amends = AmendedVersion(
            number=contract_number(deal.id, previous.contract_version),
            agreement_hash=previous.agreement_hash,
            terms_hash=previous.terms_hash,
        )
    return Agreement(
        deal_id=deal.id,
        number=contract_number(deal.id, version),
        contract_version=version,
        amends=amends,
        language=deal.language,
        seller=AgreementParty.of(deal.seller),
        buyer=AgreementParty.of(deal.buyer),
        terms_hash=terms.terms_hash,
        terms=terms,
    )


def consent_text(agreement: Agreement, side: str, name: str, title: str) -> str:
    """What a signatory agrees to, in one sentence naming the contract and its agreement
    hash: shown where a party signs, and recorded with the signature."""
    party = agreement.seller if side == "seller" else agreement.buyer
    return (
        f"I, {name}, {title}, sign contract {agreement.number} on behalf of {party.name} "
        f"and agree to be bound by it: the agreement with SHA-256 {agreement.agreement_hash}."
    )
