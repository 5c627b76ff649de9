"""The deal as the fold of its events: :func:`replay` folds a log, :func:`evolve` one event.

The fold works on a plain mutable state (the deal's fields, with lists where the deal has
tuples) and freezes it into a :class:`Deal` once at the end, with ``model_construct``: the
events were validated when they were decided and again when they were read back, so
re-validating every intermediate deal would only make a long history load slowly.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from dealflow.domain.claims import Claim
from dealflow.domain.commitments import CommitmentStatus, StatusChange
from dealflow.domain.deal import Approval, Deal, Offer, Signature, SignedContract, approves
from dealflow.domain.events import (
    AnyEvent,
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
from dealflow.domain.parties import Side
from dealflow.errors import ReplayError

#: The fields of a deal that grow with its history: lists while folding, tuples in a Deal.
_GROWING = (
    "offers",
    "approvals",
    "approval_history",
    "signatures",
    "contracts",
    "interactions",
    "commitment_changes",
    "claims",
)


#: What a log that is not a valid history says about the store it came from.
_DAMAGED = "the store is damaged or was not written by dealflow"


def _opening(event: AnyEvent | Event) -> dict[str, Any]:
    if not isinstance(event, DealOpened) or event.version != 1:
        raise ReplayError(
            f"the log of deal {event.deal_id} does not start with DealOpened; {_DAMAGED}"
        )
    state = {
        name: field.get_default(call_default_factory=True)
        for name, field in Deal.model_fields.items()
    }
    state.update(
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
    for name in _GROWING:
        state[name] = []
    return state


def _thaw(deal: Deal) -> dict[str, Any]:
    state = dict(deal.__dict__)
    for name in _GROWING:
        state[name] = list(state[name])
    return state


def _freeze(state: dict[str, Any]) -> Deal:
    frozen = dict(state)
    for name in _GROWING:
        frozen[name] = tuple(frozen[name])
    return Deal.model_construct(**frozen)


def _apply(state: dict[str, Any], event: AnyEvent | Event) -> None:
    if event.deal_id != state["id"] or event.version != state["version"] + 1:
        raise ReplayError(
            f"event v{event.version} of deal {event.deal_id} does not follow "
            f"v{state['version']} of deal {state['id']}; {_DAMAGED}"
        )
    state["stage"] = event.stage
    state["version"] = event.version
    state["updated_at"] = event.occurred_at
    offers = state["offers"]
    match event:
        case OfferMade(offer=offer) | OfferCountered(offer=offer):
            _on_table(state, offer, event.actor.member)
            state["declined_offer"] = None
        case SpecialTermsProposed(offer=offer) | SpecialTermsRevised(offer=offer):
            _on_table(state, offer, event.actor.member)
        case TermsAccepted():
            state["turn"] = None
        case TermsAgreed() | ApprovalGranted() | ApprovalDeclined():
            _apply_approvals(state, event)
        case ServiceStarted():
            if state["service_started_at"] is None:
                state["service_started_at"] = event.occurred_at
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
            state["interactions"].append(
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
            state["signatures"].append(
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
                state["contracts"].append(
                    SignedContract.model_construct(
                        contract_version=state["contract_version"],
                        terms=offers[-1].terms if offers else state["proposal"],
                        terms_hash=terms_hash,
                        signatures=tuple(state["signatures"]),
                        signed_at=event.occurred_at,
                        amendment_reason=state["amendment_reason"],
                        agreement_hash=agreement_hash,
                        first_event=state["contract_opened"],
                        signed_event=event.version,
                    )
                )
        case ContractAmended(contract_version=number, reason=reason, offer=offer):
            state["contract_version"] = number
            state["amendment_reason"] = reason
            state["contract_opened"] = event.version
            _on_table(state, offer, event.actor.member)
            state["approvals_required"] = ()
            state["approval_reasons"] = {}
            state["approvals"] = []
            state["signatures"] = []
        case _:
            pass
    if event.stage is Stage.IN_SERVICE and state["contract_version"] > _signed_version(state):
        # An amendment was rejected, lapsed or withdrawn: the signed contract stays in force.
        signed = state["contracts"][-1]
        state["contract_version"] = signed.contract_version
        state["amendment_reason"] = signed.amendment_reason
        state["contract_opened"] = signed.first_event
        state["signatures"] = list(signed.signatures)
        state["approvals_required"] = ()
        state["approval_reasons"] = {}
        state["approvals"] = []
        state["turn"] = None


def _on_table(state: dict[str, Any], offer: Offer, member: str | None) -> None:
    """A new terms version is on the table; the other side's turn."""
    state["offers"].append(offer)
    state["turn"] = offer.side.other
    if offer.side is Side.SELLER:
        state["seller_offer_by"] = member


def _apply_after_sales(state: dict[str, Any], event: AnyEvent | Event) -> None:
    def change(item: str, status: CommitmentStatus, note: str) -> None:
        state["commitment_changes"].append(
            StatusChange.model_construct(
                item=item,
                status=status,
                at=event.occurred_at,
                by=event.actor.name,
                role=event.actor.role,
                note=note,
            )
        )

    claims: list[Claim] = state["claims"]
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
                    update: dict[str, Any] = (
                        {"responded_at": event.occurred_at, "response_note": note}
                        if isinstance(event, ClaimResponded)
                        else {"resolved_at": event.occurred_at, "resolution_note": note}
                    )
                    if claim.responded_at is None:
                        # A resolution without an earlier response answers the claim too.
                        update.setdefault("responded_at", event.occurred_at)
                    claims[index] = claim.model_copy(update=update)


def _apply_approvals(state: dict[str, Any], event: AnyEvent | Event) -> None:
    offers = state["offers"]
    match event:
        case TermsAgreed(
            approvals_required=required,
            approval_reasons=reasons,
            approvals_reused=reused,
            terms_hash=terms_hash,
        ):
            state["approvals_required"] = required
            state["approval_reasons"] = dict(reasons)
            state["approvals"] = [
                a
                for a in state["approval_history"]
                if a.role in reused and approves(a, event.agreement_hash, terms_hash)
            ]
            state["signatures"] = []
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
            state["approvals"].append(approval)
            state["approval_history"].append(approval)
        case ApprovalDeclined():
            state["approvals_required"] = ()
            state["approval_reasons"] = {}
            state["approvals"] = []
            state["declined_offer"] = offers[-1].version if offers else None
            state["turn"] = Side.SELLER  # the seller must revise what was declined


def _signed_version(state: dict[str, Any]) -> int:
    contracts = state["contracts"]
    return int(contracts[-1].contract_version) if contracts else 0


def evolve(deal: Deal | None, event: AnyEvent | Event) -> Deal:
    """The deal after one more event."""
    return replay([event], deal)


def replay(events: Iterable[AnyEvent | Event], deal: Deal | None = None) -> Deal:
    """Fold events into a deal, starting from nothing or from a deal already loaded."""
    state = _thaw(deal) if deal is not None else None
    for event in events:
        if state is None:
            state = _opening(event)
        else:
            _apply(state, event)
    if state is None:
        raise ReplayError("no events to replay")
    return _freeze(state)
