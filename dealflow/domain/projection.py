"""The deal as the fold of its events: :func:`replay` folds a log, :func:`evolve` one event.

The fold works on a :class:`DealState`, the deal's fields that events change in a mutable,
typed form (lists where the deal has tuples), and freezes it into a :class:`Deal` once at the
end, without validation: the events were validated when they were decided and again when they
were read back, so re-validating every intermediate deal would only make a long history load
slowly.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from dealflow.domain.claims import Claim
from dealflow.domain.commitments import CommitmentStatus, StatusChange
from dealflow.domain.deal import Approval, Deal, Offer, Signature, SignedContract, approves
from dealflow.domain.events import (
    ApprovalDeclined,
    ApprovalGranted,
    ClaimOpened,
    ClaimResolved,
    ClaimResponded,
    CommitmentFulfilled,
    CommitmentStatusChanged,
    CommitmentWaived,
    ContractAmended,
    ContractSigned,
    DealOpened,
    Event,
    InteractionLogged,
    OfferCountered,
    OfferMade,
    ServiceStarted,
    SpecialTermsProposed,
    SpecialTermsRevised,
    TermsAccepted,
    TermsAgreed,
)
from dealflow.domain.interactions import Interaction
from dealflow.domain.lifecycle import Stage
from dealflow.domain.parties import Role, Side
from dealflow.errors import ReplayError

#: What a log that is not a valid history says about the store it came from.
_DAMAGED = "the store is damaged or was not written by dealflow"


@dataclass(slots=True, kw_only=True)
class DealState:
    """A deal while its events are folded: the deal it started from, for what no event after
    the opening changes (its id, title, parties, language, proposal, owner, opening time),
    and every field events change, mutable, with lists where the deal has tuples."""

    deal: Deal
    stage: Stage
    version: int
    updated_at: datetime
    offers: list[Offer]
    turn: Side | None
    declined_offer: int | None
    approvals_required: tuple[Role, ...]
    approval_reasons: dict[Role, str]
    approvals: list[Approval]
    approval_history: list[Approval]
    signatures: list[Signature]
    contracts: list[SignedContract]
    interactions: list[Interaction]
    commitment_changes: list[StatusChange]
    claims: list[Claim]
    service_started_at: datetime | None
    contract_version: int
    amendment_reason: str | None
    contract_opened: int
    seller_offer_by: str | None

    @classmethod
    def opened(cls, event: Event) -> DealState:
        """The state a deal's first event opens; raises unless it is a ``DealOpened`` v1."""
        if not isinstance(event, DealOpened) or event.version != 1:
            raise ReplayError(
                f"the log of deal {event.deal_id} does not start with DealOpened; {_DAMAGED}"
            )
        return cls.of(
            Deal.model_construct(
                id=event.deal_id,
                title=event.title,
                stage=event.stage,
                seller=event.seller,
                buyer=event.buyer,
                language=event.language,
                proposal=event.proposal,
                opened_at=event.occurred_at,
                updated_at=event.occurred_at,
                version=1,
                owner=event.actor.member,
            )
        )

    @classmethod
    def of(cls, deal: Deal) -> DealState:
        """A folded deal, to fold more events into."""
        return cls(
            deal=deal,
            stage=deal.stage,
            version=deal.version,
            updated_at=deal.updated_at,
            offers=list(deal.offers),
            turn=deal.turn,
            declined_offer=deal.declined_offer,
            approvals_required=deal.approvals_required,
            approval_reasons=deal.approval_reasons,
            approvals=list(deal.approvals),
            approval_history=list(deal.approval_history),
            signatures=list(deal.signatures),
            contracts=list(deal.contracts),
            interactions=list(deal.interactions),
            commitment_changes=list(deal.commitment_changes),
            claims=list(deal.claims),
            service_started_at=deal.service_started_at,
            contract_version=deal.contract_version,
            amendment_reason=deal.amendment_reason,
            contract_opened=deal.contract_opened,
            seller_offer_by=deal.seller_offer_by,
        )

    def frozen(self) -> Deal:
        """The deal this state describes."""
        # A copy of the deal started from with the changed fields: without validation, like
        # model_construct, and a third of its cost, which every recorded action pays once.
        return self.deal.model_copy(
            update={
                "stage": self.stage,
                "version": self.version,
                "updated_at": self.updated_at,
                "offers": tuple(self.offers),
                "turn": self.turn,
                "declined_offer": self.declined_offer,
                "approvals_required": self.approvals_required,
                "approval_reasons": self.approval_reasons,
                "approvals": tuple(self.approvals),
                "approval_history": tuple(self.approval_history),
                "signatures": tuple(self.signatures),
                "contracts": tuple(self.contracts),
                "interactions": tuple(self.interactions),
                "commitment_changes": tuple(self.commitment_changes),
                "claims": tuple(self.claims),
                "service_started_at": self.service_started_at,
                "contract_version": self.contract_version,
                "amendment_reason": self.amendment_reason,
                "contract_opened": self.contract_opened,
                "seller_offer_by": self.seller_offer_by,
            }
        )

    @property
    def signed_version(self) -> int:
        """The contract version last signed (0: none yet)."""
        return self.contracts[-1].contract_version if self.contracts else 0


def _apply(state: DealState, event: Event) -> None:
    if event.deal_id != state.deal.id or event.version != state.version + 1:
        raise ReplayError(
            f"event v{event.version} of deal {event.deal_id} does not follow "
            f"v{state.version} of deal {state.deal.id}; {_DAMAGED}"
        )
    state.stage = event.stage
    state.version = event.version
    state.updated_at = event.occurred_at
    offers = state.offers
    match event:
        case OfferMade(offer=offer) | OfferCountered(offer=offer):
            _on_table(state, offer, event.actor.member)
            state.declined_offer = None
        case SpecialTermsProposed(offer=offer) | SpecialTermsRevised(offer=offer):
            _on_table(state, offer, event.actor.member)
        case TermsAccepted():
            state.turn = None
        case TermsAgreed() | ApprovalGranted() | ApprovalDeclined():
            _apply_approvals(state, event)
        case ServiceStarted():
            if state.service_started_at is None:
                state.service_started_at = event.occurred_at
        case (
            CommitmentStatusChanged()
            | CommitmentFulfilled()
            | CommitmentWaived()
            | ClaimOpened()
            | ClaimResponded()
            | ClaimResolved()
        ):
            _apply_after_sales(state, event)
        case InteractionLogged(channel=channel, kind=kind, note=note, csat=csat):
            state.interactions.append(
                Interaction.model_construct(
                    at=event.occurred_at,
                    by=event.actor.name,
                    role=event.actor.role,
                    channel=channel,
                    kind=kind,
                    note=note,
                    csat=csat,
                )
            )
        case ContractSigned(side=side, title=title, method=method, terms_hash=terms_hash):
            agreement_hash = event.agreement_hash
            state.signatures.append(
                Signature.model_construct(
                    side=side,
                    name=event.actor.name,
                    title=title,
                    method=method,
                    terms_hash=terms_hash,
                    at=event.occurred_at,
                    recorded_by=event.actor.recorded_by,
                    channel=event.actor.channel,
                    scan_sha256=event.scan_sha256,
                    agreement_hash=agreement_hash,
                    consent=event.consent,
                )
            )
            if event.stage is Stage.SIGNED:
                state.contracts.append(
                    SignedContract.model_construct(
                        contract_version=state.contract_version,
                        terms=offers[-1].terms if offers else state.deal.proposal,
                        terms_hash=terms_hash,
                        signatures=tuple(state.signatures),
                        signed_at=event.occurred_at,
                        amendment_reason=state.amendment_reason,
                        agreement_hash=agreement_hash,
                        first_event=state.contract_opened,
                        signed_event=event.version,
                    )
                )
        case ContractAmended(contract_version=number, reason=reason, offer=offer):
            state.contract_version = number
            state.amendment_reason = reason
            state.contract_opened = event.version
            _on_table(state, offer, event.actor.member)
            state.approvals_required = ()
            state.approval_reasons = {}
            state.approvals = []
            state.signatures = []
        case _:
            pass
    if event.stage is Stage.IN_SERVICE and state.contract_version > state.signed_version:
        # An amendment was rejected, lapsed or withdrawn: the signed contract stays in force.
        signed = state.contracts[-1]
        state.contract_version = signed.contract_version
        state.amendment_reason = signed.amendment_reason
        state.contract_opened = signed.first_event
        state.signatures = list(signed.signatures)
        state.approvals_required = ()
        state.approval_reasons = {}
        state.approvals = []
        state.turn = None


def _on_table(state: DealState, offer: Offer, member: str | None) -> None:
    """A new terms version is on the table; the other side's turn."""
    state.offers.append(offer)
    state.turn = offer.side.other
    if offer.side is Side.SELLER:
        state.seller_offer_by = member


def _apply_after_sales(state: DealState, event: Event) -> None:
    def change(item: str, status: CommitmentStatus, note: str) -> None:
        state.commitment_changes.append(
            StatusChange.model_construct(
                item=item,
                status=status,
                at=event.occurred_at,
                by=event.actor.name,
                role=event.actor.role,
                note=note,
            )
        )

    claims: list[Claim] = state.claims
    match event:
        case CommitmentStatusChanged(item=item, status=status, note=note):
            change(item, status, note)
        case CommitmentFulfilled(item=item, late=late, note=note):
            status = CommitmentStatus.FULFILLED_LATE if late else CommitmentStatus.FULFILLED
            change(item, status, note or "")
        case CommitmentWaived(item=item, reason=reason):
            change(item, CommitmentStatus.WAIVED, reason)
        case ClaimOpened(claim_id=claim_id, kind=kind, note=note, item=item):
            claims.append(
                Claim.model_construct(
                    id=claim_id,
                    kind=kind,
                    note=note,
                    opened_at=event.occurred_at,
                    opened_by=event.actor.name,
                    item=item,
                    response_hours=event.response_hours,
                    responded_at=None,
                    response_note=None,
                    resolved_at=None,
                    resolution_note=None,
                )
            )
        case (
            ClaimResponded(claim_id=claim_id, note=note)
            | ClaimResolved(claim_id=claim_id, note=note)
        ):
            for index, claim in enumerate(claims):
                if claim.id == claim_id:
                    claims[index] = _answered(claim, event, note)


def _answered(claim: Claim, event: Event, note: str) -> Claim:
    """The claim after its response or its resolution."""
    at = event.occurred_at
    if isinstance(event, ClaimResponded):
        return claim.model_copy(update={"responded_at": at, "response_note": note})
    # A resolution without an earlier response answers the claim too.
    responded = at if claim.responded_at is None else claim.responded_at
    return claim.model_copy(
        update={"resolved_at": at, "resolution_note": note, "responded_at": responded}
    )


def _apply_approvals(state: DealState, event: Event) -> None:
    offers = state.offers
    match event:
        case TermsAgreed(
            approvals_required=required,
            approval_reasons=reasons,
            approvals_reused=reused,
            terms_hash=terms_hash,
        ):
            state.approvals_required = required
            state.approval_reasons = dict(reasons)
            state.approvals = [
                a
                for a in state.approval_history
                if a.role in reused and approves(a, event.agreement_hash, terms_hash)
            ]
            state.signatures = []
        case ApprovalGranted(terms_hash=terms_hash, reason=reason):
            approval = Approval.model_construct(
                role=event.actor.role,
                name=event.actor.name,
                terms_hash=terms_hash,
                at=event.occurred_at,
                reason=reason,
                member=event.actor.member,
                agreement_hash=event.agreement_hash,
            )
            state.approvals.append(approval)
            state.approval_history.append(approval)
        case ApprovalDeclined():
            state.approvals_required = ()
            state.approval_reasons = {}
            state.approvals = []
            state.declined_offer = offers[-1].version if offers else None
            state.turn = Side.SELLER  # the seller must revise what was declined


def evolve(deal: Deal | None, event: Event) -> Deal:
    """The deal after one more event."""
    return replay([event], deal)


def replay(events: Iterable[Event], deal: Deal | None = None) -> Deal:
    """Fold events into a deal, starting from nothing or from a deal already loaded."""
    state = DealState.of(deal) if deal is not None else None
    for event in events:
        if state is None:
            state = DealState.opened(event)
        else:
            _apply(state, event)
    if state is None:
        raise ReplayError("no events to replay")
    return state.frozen()
