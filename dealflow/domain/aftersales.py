"""After-sales decisions: the commitments of a signed deal, the clock's review, fulfilments,
waivers, warranty claims and complaints. Pure functions from (deal, request, now) to events.

The schedule comes from the signed contract in force (:func:`commitments_of`); statuses come
only from events. The review moves open commitments forward by the calendar (never back),
starts service once its start date has come, and completes the deal when every commitment is
settled or the contract's term has ended. Recording the last settlement completes the deal
at once. A refused request raises and returns nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict

from dealflow.domain.claims import Claim, ClaimKind
from dealflow.domain.commitments import (
    Commitment,
    CommitmentStatus,
    clock_status,
    counting_for,
    schedule,
    service_start,
    term_end,
    with_status,
)
from dealflow.domain.deal import Deal
from dealflow.domain.events import (
    AnyEvent,
    ClaimOpened,
    ClaimResolved,
    ClaimResponded,
    CommitmentFulfilled,
    CommitmentStatusChanged,
    CommitmentWaived,
    DealCompleted,
    ServiceStarted,
)
from dealflow.domain.lifecycle import Action, Cursor, Stage, fire
from dealflow.domain.messages import counted
from dealflow.domain.parties import SYSTEM_ACTOR, Actor, Role, is_blank
from dealflow.domain.policy import AfterSalesRules
from dealflow.domain.projection import evolve
from dealflow.domain.rights import RIGHT
from dealflow.domain.terms import Department
from dealflow.errors import ActionRefusedError, InvalidTermsError, ItemNotFoundError, WrongRoleError

#: Who may record a commitment as kept, or answer and resolve a claim: the seller's people.
KEEPERS = RIGHT["fulfil"].roles
#: Who may release the owner from a commitment.
WAIVERS = RIGHT["waive"].roles
#: The review looks this many days ahead for what needs action.
WEEK = 7


def first_signed_on(deal: Deal) -> date | None:
    """The day the deal's first contract version was signed (after-sales dates count from
    it or from delivery; an amendment does not restart them)."""
    return deal.contracts[0].signed_at.date() if deal.contracts else None


def commitments_of(deal: Deal) -> tuple[Commitment, ...]:
    """Every dated commitment of the contract in force, with its status and record; none
    before signing."""
    signed = deal.signed_contract
    signed_on = first_signed_on(deal)
    if signed is None or signed_on is None:
        return ()
    counting = counting_for(signed.agreement_hash)
    return with_status(schedule(signed.terms, signed_on, counting), deal.commitment_changes)


def _settled(commitments: tuple[Commitment, ...]) -> bool:
    return all(c.final for c in commitments)


def _ended(commitments: tuple[Commitment, ...], today: date) -> date | None:
    end = term_end(commitments)
    return end if end is not None and today > end else None


def _require_in_force(deal: Deal, verb: str) -> tuple[Commitment, ...]:
    if deal.signed_contract is None:
        raise ActionRefusedError(
            f"deal {deal.id} has no signed contract yet, so there is nothing to {verb}"
        )
    if deal.stage is Stage.COMPLETED:
        raise ActionRefusedError(f"deal {deal.id} is completed; its commitments are closed")
    return commitments_of(deal)


def _require_role(verb: str, actor: Actor, allowed: tuple[Role, ...]) -> None:
    if actor.role not in allowed:
        raise WrongRoleError(verb, actor.role.value, [r.value for r in allowed])


def find_commitment(deal: Deal, item: str) -> Commitment:
    """The commitment with this id; ItemNotFoundError lists the ids there are."""
    commitments = commitments_of(deal)
    for commitment in commitments:
        if commitment.id == item:
            return commitment
    known = ", ".join(c.id for c in commitments) or "none"
    raise ItemNotFoundError(f"deal {deal.id} has no commitment {item!r}; its commitments: {known}")


def _base(deal: Deal, actor: Actor, now: datetime, stage: Stage | None = None) -> dict[str, object]:
    return {
        "deal_id": deal.id,
        "version": deal.version + 1,
        "occurred_at": now,
        "actor": actor,
        "stage": stage or deal.stage,
    }


def _completion(deal: Deal, now: datetime, reason: str) -> DealCompleted:
    stage = fire(Cursor(deal.stage), Action.COMPLETE)
    return DealCompleted(**_base(deal, SYSTEM_ACTOR, now, stage), reason=reason)


def _then_complete(deal: Deal, events: list[AnyEvent], now: datetime) -> list[AnyEvent]:
    """``events``, and the deal's completion if they settle its last commitment."""
    after = deal
    for event in events:
        after = evolve(after, event)
    if after.stage is Stage.IN_SERVICE and _settled(commitments_of(after)):
        events.append(_completion(after, now, "every commitment is fulfilled or waived"))
    return events


def fulfil(
    deal: Deal, item: str, actor: Actor, now: datetime, note: str | None = None
) -> list[AnyEvent]:
    """Record commitment ``item`` as kept now: on time, or late after its due date."""
    _require_role("fulfil", actor, KEEPERS)
    _require_in_force(deal, "fulfil")
    commitment = find_commitment(deal, item)
    if commitment.final:
        raise ActionRefusedError(
            f"{item} is already {commitment.status.value.replace('_', ' ')}; "
            "a settled commitment does not change"
        )
    late_by = (now.date() - commitment.due).days
    # Already recorded overdue or breached, it is late even if a clock says otherwise (a
    # simulated review may have run ahead of the clock the fulfilment is recorded with).
    recorded_late = commitment.status.rank >= CommitmentStatus.OVERDUE.rank
    late = (late_by > 0 or recorded_late) and not commitment.runs_until
    text = note or ""
    if late and not note:
        text = (
            f"kept {counted(late_by, 'day')} after its due date {commitment.due}"
            if late_by > 0
            else f"kept after it was recorded {commitment.status.value}"
        )
    event = CommitmentFulfilled(**_base(deal, actor, now), item=item, late=late, note=text)
    return _then_complete(deal, [event], now)


def waive(deal: Deal, item: str, actor: Actor, now: datetime, reason: str) -> list[AnyEvent]:
    """Release the owner from commitment ``item``; a manager or legal, with a reason."""
    _require_role("waive", actor, WAIVERS)
    if is_blank(reason):
        raise InvalidTermsError("a waiver needs a reason")
    _require_in_force(deal, "waive")
    commitment = find_commitment(deal, item)
    if commitment.final:
        raise ActionRefusedError(
            f"{item} is already {commitment.status.value.replace('_', ' ')}; "
            "a settled commitment cannot be waived"
        )
    event = CommitmentWaived(**_base(deal, actor, now), item=item, reason=reason)
    return _then_complete(deal, [event], now)


def _status_note(commitment: Commitment, status: CommitmentStatus, today: date, grace: int) -> str:
    due = commitment.due
    past = (today - due).days
    match status:
        case CommitmentStatus.DUE:
            left = (due - today).days
            return f"due by {due}" + (f", {counted(left, 'day')} left" if left else ", today")
        case CommitmentStatus.OVERDUE:
            breached = counted(grace, "day")
            return f"{counted(past, 'day')} past its due date {due}; breached after {breached}"
        case CommitmentStatus.BREACHED:
            return (
                f"{counted(past, 'day')} past its due date {due}, "
                f"beyond the {grace}-day grace period"
            )
        case _:
            return f"the {commitment.kind} ran its term to {due}"


def review_deal(deal: Deal, now: datetime, rules: AfterSalesRules) -> list[AnyEvent]:
    """What the calendar does to the deal at ``now``: start service once its start date has
    come, move open commitments forward, and complete the deal when every commitment is
    settled or the term has ended. Nothing for a deal without a signed contract."""
    signed = deal.signed_contract
    signed_on = first_signed_on(deal)
    if signed is None or signed_on is None or deal.stage is Stage.COMPLETED:
        return []
    today = now.date()
    events: list[AnyEvent] = []
    current = deal

    def record(event: AnyEvent) -> None:
        nonlocal current
        events.append(event)
        current = evolve(current, event)

    start = service_start(signed.terms, signed_on, counting_for(signed.agreement_hash))
    if deal.stage is Stage.SIGNED and today >= start:
        origin = "the delivery date" if start > signed_on else "the signing date"
        record(
            ServiceStarted(
                **_base(
                    current, SYSTEM_ACTOR, now, fire(Cursor(Stage.SIGNED), Action.START_SERVICE)
                ),
                note=f"service starts on {start}, {origin}",
            )
        )
    for commitment in commitments_of(current):
        if commitment.final:
            continue
        status = clock_status(
            commitment, today, due_soon_days=rules.due_soon_days, grace_days=rules.grace_days
        )
        if status.rank > commitment.status.rank:
            record(
                CommitmentStatusChanged(
                    **_base(current, SYSTEM_ACTOR, now),
                    item=commitment.id,
                    status=status,
                    note=_status_note(commitment, status, today, rules.grace_days),
                )
            )
    if current.stage is Stage.IN_SERVICE:
        commitments = commitments_of(current)
        ended = _ended(commitments, today)
        if _settled(commitments):
            events.append(_completion(current, now, "every commitment is fulfilled or waived"))
        elif ended is not None:
            unmet = [c.id for c in commitments if not c.final]
            events.append(
                _completion(
                    current,
                    now,
                    f"the contract term ended on {ended}; unmet: {', '.join(unmet)}",
                )
            )
    return events


class ActionItem(BaseModel):
    """Something an owner must do soon: an open commitment due within the week (or past
    due), or a claim awaiting its first response."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    deal_id: str
    buyer: str
    item: str
    kind: str
    description: str
    owner: Department
    due: date
    status: str


def needs_action(deal: Deal, today: date) -> list[ActionItem]:
    """The deal's open commitments due by a week from ``today`` (warranties, which run
    rather than fall due, are left out) and its claims awaiting a first response; nothing
    once the deal is completed."""
    if deal.stage is Stage.COMPLETED:
        return []
    found = [
        ActionItem(
            deal_id=deal.id,
            buyer=deal.buyer.name,
            item=c.id,
            kind=c.kind,
            description=str(c.description),
            owner=c.owner,
            due=c.due,
            status=c.status.value,
        )
        for c in commitments_of(deal)
        if not c.final and not c.runs_until and (c.due - today).days <= WEEK
    ]
    for claim in deal.claims:
        if claim.open and claim.responded_at is None:
            found.append(
                ActionItem(
                    deal_id=deal.id,
                    buyer=deal.buyer.name,
                    item=claim.id,
                    kind=f"{claim.kind.value} claim",
                    description=claim.note,
                    owner=Department.SERVICE
                    if claim.kind is ClaimKind.WARRANTY
                    else Department.SALES,
                    due=claim.respond_by.date(),
                    status="awaiting response",
                )
            )
    return found


# Claims ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ClaimRequest:
    """What the buyer raised: a warranty claim or a complaint, against a commitment or not."""

    kind: ClaimKind
    note: str
    item: str | None = None


def open_claim(
    deal: Deal, actor: Actor, now: datetime, request: ClaimRequest, complaint_hours: int
) -> ClaimOpened:
    """Record a warranty claim (against the deal's warranty, while it runs) or a complaint
    (at any stage), with the response time promised for it."""
    allowed = RIGHT["claim"].roles
    if actor.role not in allowed:
        raise WrongRoleError("claim", actor.role.value, [r.value for r in allowed])
    if is_blank(request.note):
        raise InvalidTermsError(f"a {request.kind.value} needs a note saying what happened")
    item, hours = request.item, complaint_hours
    if request.kind is ClaimKind.WARRANTY:
        warranty = _warranty(deal, item)
        if now.date() > warranty.due:
            raise ActionRefusedError(
                f"{warranty.id} ended on {warranty.due}; it covers no new claim"
            )
        item, hours = warranty.id, warranty.response_hours or complaint_hours
    elif item is not None:
        find_commitment(deal, item)
    number = sum(c.kind is request.kind for c in deal.claims) + 1
    # "warranty-claim-1", never "warranty-1": that is the warranty commitment's id.
    prefix = "warranty-claim" if request.kind is ClaimKind.WARRANTY else "complaint"
    return ClaimOpened(
        **_base(deal, actor, now),
        claim_id=f"{prefix}-{number}",
        kind=request.kind,
        note=request.note,
        item=item,
        response_hours=hours,
    )


def _warranty(deal: Deal, item: str | None) -> Commitment:
    if deal.signed_contract is None:
        raise ActionRefusedError(f"deal {deal.id} has no signed contract, so no warranty yet")
    if item is not None:
        found = find_commitment(deal, item)
        if not found.runs_until:
            raise InvalidTermsError(f"{item} is not a warranty; a warranty claim needs one")
        return found
    warranties = [c for c in commitments_of(deal) if c.runs_until]
    if not warranties:
        raise ActionRefusedError(f"deal {deal.id} has no warranty to claim against")
    return warranties[0]


def find_claim(deal: Deal, claim_id: str) -> Claim:
    """The claim with this id; ItemNotFoundError lists the claims there are."""
    for claim in deal.claims:
        if claim.id == claim_id:
            return claim
    known = ", ".join(c.id for c in deal.claims) or "none"
    raise ItemNotFoundError(f"deal {deal.id} has no claim {claim_id!r}; its claims: {known}")


def respond_claim(
    deal: Deal, claim_id: str, actor: Actor, now: datetime, note: str
) -> ClaimResponded:
    """Record the seller's first response to a claim."""
    _require_role("respond", actor, RIGHT["respond"].roles)
    claim = find_claim(deal, claim_id)
    if not claim.open:
        raise ActionRefusedError(f"{claim_id} is resolved; it needs no response")
    if claim.responded_at is not None:
        raise ActionRefusedError(
            f"{claim_id} was answered on {claim.responded_at:%Y-%m-%d %H:%M} UTC; "
            "resolve it when it is done"
        )
    if is_blank(note):
        raise InvalidTermsError("a response needs a note saying what was done")
    return ClaimResponded(**_base(deal, actor, now), claim_id=claim_id, note=note)


def resolve_claim(
    deal: Deal, claim_id: str, actor: Actor, now: datetime, note: str
) -> ClaimResolved:
    """Close a claim (a resolution without an earlier response counts as the response)."""
    _require_role("resolve", actor, RIGHT["resolve"].roles)
    claim = find_claim(deal, claim_id)
    if not claim.open:
        raise ActionRefusedError(f"{claim_id} is already resolved")
    if is_blank(note):
        raise InvalidTermsError("a resolution needs a note saying how it was resolved")
    return ClaimResolved(**_base(deal, actor, now), claim_id=claim_id, note=note)
