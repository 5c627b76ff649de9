"""The deal as it stands: stage, parties, every terms version, approvals, signatures and the
signed contract versions. A :class:`Deal` is never edited: it is the fold of its events
(:mod:`dealflow.domain.projection`), rebuilt or advanced one event at a time.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, computed_field

from dealflow.domain.claims import Claim
from dealflow.domain.commitments import StatusChange
from dealflow.domain.diff import TermsDifference, diff_terms
from dealflow.domain.interactions import Interaction
from dealflow.domain.lifecycle import Stage
from dealflow.domain.parties import Party, Role, Side, Via
from dealflow.domain.terms import AfterSales, Terms
from dealflow.errors import VersionNotFoundError

_FROZEN = ConfigDict(frozen=True, extra="forbid")
_IN_FORCE = frozenset({Stage.SIGNED, Stage.IN_SERVICE, Stage.COMPLETED})
Note = Annotated[str, Field(max_length=5000)]


class Language(StrEnum):
    """The language of the contract: English, Bahasa Indonesia, or both side by side."""

    EN = "en"
    ID = "id"
    ID_EN = "id+en"


class OfferKind(StrEnum):
    """How a terms version came about."""

    OFFER = "offer"
    COUNTER = "counter"
    SPECIAL = "special"
    AMENDMENT = "amendment"


class Offer(BaseModel):
    """One versioned terms snapshot put on the table by one side."""

    model_config = _FROZEN

    version: int
    kind: OfferKind
    side: Side
    terms: Terms
    made_at: AwareDatetime
    expires_at: AwareDatetime | None = None
    note: Note | None = None
    contract_version: int = 1


class SignatureMethod(StrEnum):
    """How a signatory signed."""

    TYPED = "typed"
    CLICK = "click"
    DRAWN = "drawn"
    WET_INK = "wet-ink"


class Approval(BaseModel):
    """An internal approval given for one terms hash."""

    model_config = _FROZEN

    role: Role
    name: str
    terms_hash: str
    at: AwareDatetime
    reason: Note | None = None
    #: The roster id of the member who approved (None before the roster existed).
    member: str | None = None
    #: The agreement hash approved (None before agreement hashes).
    agreement_hash: str | None = None


def approves(approval: Approval, agreement_hash: str | None, terms_hash: str) -> bool:
    """Whether ``approval`` holds for this agreement: given for the same agreement hash, or,
    given before agreement hashes, for the same terms."""
    if approval.agreement_hash is not None and agreement_hash is not None:
        return approval.agreement_hash == agreement_hash
    return approval.terms_hash == terms_hash


class Signature(BaseModel):
    """One side's signature on one terms hash."""

    model_config = _FROZEN

    side: Side
    name: str
    title: str
    method: SignatureMethod
    terms_hash: str
    at: AwareDatetime
    #: For a buyer's signature recorded by a member: who recorded it, and how it came.
    recorded_by: str | None = None
    channel: Via | None = None
    #: The SHA-256 of the scan of a wet-ink signature, kept as the deal's artifact.
    scan_sha256: str | None = None
    #: The agreement hash signed (None before agreement hashes), and the consent text.
    agreement_hash: str | None = None
    consent: str | None = None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def authenticated(self) -> bool:
        """False for a signature a member recorded for the buyer without a scan of the
        signed page: it is shown as "recorded, not authenticated"."""
        return self.recorded_by is None or self.scan_sha256 is not None

    @property
    def recorded(self) -> str:
        """How a recorded signature came, for people: ``, recorded by budi (letter), not
        authenticated`` or ``, recorded by budi, scan 3f2a9c1b7d4e``; empty otherwise."""
        if self.recorded_by is None:
            return ""
        via = f" ({self.channel.value})" if self.channel else ""
        proof = f"scan {self.scan_sha256[:12]}" if self.scan_sha256 else "not authenticated"
        return f", recorded by {self.recorded_by}{via}, {proof}"


class SignedContract(BaseModel):
    """A contract version as both sides signed it; kept unchanged forever."""

    model_config = _FROZEN

    contract_version: int
    terms: Terms
    terms_hash: str
    signatures: tuple[Signature, ...]
    signed_at: AwareDatetime
    amendment_reason: str | None = None
    #: The agreement hash both sides signed (None when signed before agreement hashes).
    agreement_hash: str | None = None
    #: The deal's events that make this version: from the one that opened it (the deal's
    #: opening, or the amendment) to the last signature.
    first_event: int = 1
    signed_event: int = 0


class Deal(BaseModel):
    """A deal: who, what stage, and every version of the terms."""

    model_config = _FROZEN

    id: str
    title: str
    stage: Stage
    seller: Party
    buyer: Party
    language: Language
    proposal: Terms
    offers: tuple[Offer, ...] = ()
    turn: Side | None = None
    declined_offer: int | None = None
    approvals_required: tuple[Role, ...] = ()
    approval_reasons: dict[Role, str] = Field(default_factory=dict)
    approvals: tuple[Approval, ...] = ()
    approval_history: tuple[Approval, ...] = ()
    signatures: tuple[Signature, ...] = ()
    contracts: tuple[SignedContract, ...] = ()
    interactions: tuple[Interaction, ...] = ()
    commitment_changes: tuple[StatusChange, ...] = ()
    claims: tuple[Claim, ...] = ()
    service_started_at: AwareDatetime | None = None
    contract_version: int = 1
    amendment_reason: str | None = None
    #: The event that opened the contract version on the table: 1, or its amendment's.
    contract_opened: int = 1
    opened_at: AwareDatetime
    updated_at: AwareDatetime
    version: int
    #: The roster id of the member who opened the deal (None before the roster existed).
    owner: str | None = None
    #: The roster id of the member who made the latest seller offer, if known.
    seller_offer_by: str | None = None

    @property
    def latest_offer(self) -> Offer | None:
        """The most recent terms version on the table, if any."""
        return self.offers[-1] if self.offers else None

    @property
    def terms(self) -> Terms:
        """The terms that hold now: once signed, those of the contract in force; before, the
        latest version on the table, or the opening proposal."""
        if self.stage in _IN_FORCE and self.contracts:
            return self.contracts[-1].terms
        return self.offers[-1].terms if self.offers else self.proposal

    @property
    def amending(self) -> bool:
        """True while an amendment to a signed contract is being negotiated."""
        return bool(self.contracts) and self.contract_version > self.contracts[-1].contract_version

    @property
    def terms_hash(self) -> str:
        """The SHA-256 of the canonical JSON of :attr:`terms`."""
        return self.terms.terms_hash

    def terms_at(self, version: int) -> Terms:
        """The terms of offer ``version``; 0 is the opening proposal from the deal file."""
        if version == 0:
            return self.proposal
        for offer in self.offers:
            if offer.version == version:
                return offer.terms
        known = ", ".join(["0", *(str(o.version) for o in self.offers)])
        raise VersionNotFoundError(
            f"deal {self.id} has no terms version {version}; its versions are {known}"
        )

    def diff(self, old: int, new: int) -> list[TermsDifference]:
        """What changed from terms version ``old`` to ``new``, issue by issue."""
        return diff_terms(self.terms_at(old), self.terms_at(new))

    @property
    def signed_contract(self) -> SignedContract | None:
        """The latest signed contract version, if any."""
        return self.contracts[-1] if self.contracts else None

    @property
    def promises(self) -> tuple[AfterSales, ...]:
        """The after-sales promises of the latest signed contract (their dated occurrences
        and statuses: :func:`dealflow.domain.aftersales.commitments_of`)."""
        signed = self.signed_contract
        return signed.terms.after_sales if signed else ()

    @property
    def approvals_pending(self) -> tuple[Role, ...]:
        """Required approvals not yet granted."""
        granted = {a.role for a in self.approvals}
        return tuple(r for r in self.approvals_required if r not in granted)

    @property
    def signatures_pending(self) -> tuple[Side, ...]:
        """Sides that have not signed the current contract version."""
        signed = {s.side for s in self.signatures}
        return tuple(s for s in (Side.SELLER, Side.BUYER) if s not in signed)
