"""What happened to a deal, as frozen past-tense events.

Every event carries the header of :mod:`dealflow.domain.header` (the deal id, its version in
the deal's log, when it occurred, who did it) and the stage the deal is in after it. Storing
the stage keeps replay independent of later changes to the decision rules, and a stored stage
is validated against the lifecycle's stages when it is read. ``type`` names the event in its
JSON form, which is what the stores keep; :data:`EVENT_ADAPTER` reads any of them back.
"""

from __future__ import annotations

import typing
from collections.abc import Iterable
from typing import Annotated, Literal

from pydantic import AwareDatetime, Field, TypeAdapter

from dealflow.domain.claims import ClaimKind, ClaimNote
from dealflow.domain.commitments import CommitmentStatus
from dealflow.domain.deal import Language, Note, Offer, SignatureMethod
from dealflow.domain.header import EventHeader
from dealflow.domain.interactions import Channel, InteractionKind, Satisfaction
from dealflow.domain.lifecycle import Stage
from dealflow.domain.members import MemberAdded, MemberDeactivated, MemberUpdated
from dealflow.domain.parties import STORED, Party, Role, Side
from dealflow.domain.terms import Terms


class Event(EventHeader):
    """The fields every event of a deal has: the header, and the deal's stage after it."""

    stage: Stage
    #: True when the event was recorded under an overridden clock (``--now``, ``DEALFLOW_NOW``,
    #: a fixed clock): its time is a simulation's, not the moment it was stored.
    clock_overridden: bool = False


#: The agreement hash (:mod:`dealflow.domain.agreement`) of the contract version an event
#: concerns; None in events recorded before agreement hashes.
AgreementHash = str | None


class DealOpened(Event):
    """A deal was opened from a deal file: parties, items, the proposed terms."""

    type: Literal["DealOpened"] = "DealOpened"
    title: str
    seller: Party
    buyer: Party
    language: Language
    proposal: Terms


class DealPresented(Event):
    """The seller presented products, value and credentials."""

    type: Literal["DealPresented"] = "DealPresented"
    note: Note | None = None


class OfferMade(Event):
    """The seller made the formal offer (terms version 1 of this contract version)."""

    type: Literal["OfferMade"] = "OfferMade"
    offer: Offer


class OfferCountered(Event):
    """One side answered the other's latest offer with new terms."""

    type: Literal["OfferCountered"] = "OfferCountered"
    offer: Offer


class TermsAccepted(Event):
    """One side accepted the other side's latest offer."""

    type: Literal["TermsAccepted"] = "TermsAccepted"
    offer_version: int
    terms_hash: str


class OfferRejected(Event):
    """One side rejected the other's latest offer and ended the negotiation."""

    type: Literal["OfferRejected"] = "OfferRejected"
    offer_version: int
    reason: Note | None = None


class OfferExpired(Event):
    """The latest offer lapsed without an answer."""

    type: Literal["OfferExpired"] = "OfferExpired"
    offer_version: int
    expired_at: AwareDatetime


class DealWithdrawn(Event):
    """The seller withdrew from the deal."""

    type: Literal["DealWithdrawn"] = "DealWithdrawn"
    reason: Note | None = None


class SpecialTermsProposed(Event):
    """Buyer-specific terms were put on the table after the price was accepted."""

    type: Literal["SpecialTermsProposed"] = "SpecialTermsProposed"
    offer: Offer


class SpecialTermsRevised(Event):
    """The special terms on the table were revised."""

    type: Literal["SpecialTermsRevised"] = "SpecialTermsRevised"
    offer: Offer


class TermsAgreed(Event):
    """Both sides agreed the terms; the approvals the policy requires are listed with their
    reasons. Approvals already given for this very terms hash are reused, listed apart."""

    type: Literal["TermsAgreed"] = "TermsAgreed"
    terms_hash: str
    agreement_hash: AgreementHash = None
    approvals_required: tuple[Role, ...] = ()
    approval_reasons: dict[Role, str] = Field(default_factory=dict)
    approvals_reused: tuple[Role, ...] = ()


class ApprovalGranted(Event):
    """A manager or legal approved the agreed terms."""

    type: Literal["ApprovalGranted"] = "ApprovalGranted"
    terms_hash: str
    agreement_hash: AgreementHash = None
    reason: Note | None = None


class ApprovalDeclined(Event):
    """A manager or legal declined the agreed terms; negotiation reopens."""

    type: Literal["ApprovalDeclined"] = "ApprovalDeclined"
    terms_hash: str
    agreement_hash: AgreementHash = None
    reason: Note | None = None


class ContractSigned(Event):
    """One side signed the frozen terms."""

    type: Literal["ContractSigned"] = "ContractSigned"
    side: Side
    title: str
    method: SignatureMethod
    terms_hash: str
    #: The SHA-256 of the scan of a wet-ink signature a member recorded for the buyer (the
    #: scan is kept as the deal's artifact ``signature-scan-vN.<ext>``).
    scan_sha256: str | None = None
    agreement_hash: AgreementHash = None
    #: The consent text the signatory was shown (or, for an act recorded for the buyer,
    #: that the member recorded): what they agreed to, naming the contract and its hash.
    consent: str | None = None


class ServiceStarted(Event):
    """After-sales service began on the signed contract."""

    type: Literal["ServiceStarted"] = "ServiceStarted"
    note: Note | None = None


class ContractAmended(Event):
    """An amendment opened a new contract version with proposed terms."""

    type: Literal["ContractAmended"] = "ContractAmended"
    contract_version: int
    reason: Note
    offer: Offer


class DealCompleted(Event):
    """Every commitment was met or the contract term ended."""

    type: Literal["DealCompleted"] = "DealCompleted"
    reason: Note | None = None


class InteractionLogged(Event):
    """A contact with the buyer was recorded; the stage does not change."""

    type: Literal["InteractionLogged"] = "InteractionLogged"
    channel: Channel
    kind: InteractionKind
    note: Annotated[str, Field(min_length=1, max_length=5000)]
    csat: Satisfaction | None = None


class CommitmentStatusChanged(Event):
    """The clock's review moved a commitment on: due, overdue, breached, or (a warranty that
    has run its term) fulfilled. The note says what the calendar showed."""

    type: Literal["CommitmentStatusChanged"] = "CommitmentStatusChanged"
    item: str
    status: CommitmentStatus
    note: Note


class CommitmentFulfilled(Event):
    """Someone recorded a commitment as kept; ``late`` when it was kept after its due date."""

    type: Literal["CommitmentFulfilled"] = "CommitmentFulfilled"
    item: str
    late: bool = False
    note: Note | None = None


class CommitmentWaived(Event):
    """A manager or legal released the owner from a commitment, saying why."""

    type: Literal["CommitmentWaived"] = "CommitmentWaived"
    item: str
    reason: Annotated[str, Field(min_length=1, max_length=5000)]


class ClaimOpened(Event):
    """The buyer raised a warranty claim or a complaint."""

    type: Literal["ClaimOpened"] = "ClaimOpened"
    claim_id: str
    kind: ClaimKind
    note: ClaimNote
    item: str | None = None
    response_hours: Annotated[int, Field(gt=0, le=8760)]


class ClaimResponded(Event):
    """The seller gave its first response to a claim."""

    type: Literal["ClaimResponded"] = "ClaimResponded"
    claim_id: str
    note: ClaimNote


class ClaimResolved(Event):
    """A claim was resolved and closed."""

    type: Literal["ClaimResolved"] = "ClaimResolved"
    claim_id: str
    note: ClaimNote


#: Every event of a deal's log, by its type.
DealEvent = (
    DealOpened
    | DealPresented
    | OfferMade
    | OfferCountered
    | TermsAccepted
    | OfferRejected
    | OfferExpired
    | DealWithdrawn
    | SpecialTermsProposed
    | SpecialTermsRevised
    | TermsAgreed
    | ApprovalGranted
    | ApprovalDeclined
    | ContractSigned
    | ServiceStarted
    | ContractAmended
    | DealCompleted
    | InteractionLogged
    | CommitmentStatusChanged
    | CommitmentFulfilled
    | CommitmentWaived
    | ClaimOpened
    | ClaimResponded
    | ClaimResolved
)
AnyEvent = Annotated[DealEvent, Field(discriminator="type")]

#: Anything a store's log holds: a deal's event, or a roster event (stream ``@roster``).
StoredEvent = Annotated[
    DealEvent | MemberAdded | MemberUpdated | MemberDeactivated, Field(discriminator="type")
]

#: Reads one event from its JSON form (or a dict).
EVENT_ADAPTER: TypeAdapter[AnyEvent] = TypeAdapter(AnyEvent)
#: Reads a JSON array of events in one call.
EVENTS_ADAPTER: TypeAdapter[list[AnyEvent]] = TypeAdapter(list[AnyEvent])
#: Reads a JSON array of anything a log holds.
STORED_ADAPTER: TypeAdapter[list[StoredEvent]] = TypeAdapter(list[StoredEvent])


def read_stored(stored: Iterable[str]) -> list[AnyEvent]:
    """Events from the JSON forms a store keeps, in one pass, read as they were recorded:
    a rule added later for new input (a date range, a longer minimum) does not make an
    earlier deal unreadable (:data:`~dealflow.domain.parties.STORED`).

    A deal's stream holds only deal events; the roster's stream (read the same way) holds
    roster events, which callers of the roster know to expect.
    """
    events = STORED_ADAPTER.validate_json("[" + ",".join(stored) + "]", context=STORED)
    return typing.cast(list[AnyEvent], events)
