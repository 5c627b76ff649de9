"""Decisions: pure functions from (deal, command, now) to the events that record it.

Each command (:mod:`dealflow.domain.commands`) names its actor. A decision checks, in this
order, that the action is possible in the deal's stage (the lifecycle machine), that the
actor's role may take it, that it is that side's turn and the offer has not lapsed, and only
then returns events. A refused
command raises an :class:`~dealflow.errors.ActionRefusedError` and returns nothing, so a
refusal can never leave half an action behind.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from dealflow.domain.agreement import agreement_of, consent_text
from dealflow.domain.commands import (
    Accept,
    Agree,
    Amend,
    Approve,
    Command,
    Complete,
    Counter,
    Decline,
    Expire,
    MakeOffer,
    Present,
    ProposeSpecial,
    Reject,
    ReviseSpecial,
    Sign,
    StartService,
    Withdraw,
)
from dealflow.domain.deal import Deal, Language, Offer, OfferKind, SignatureMethod, approves
from dealflow.domain.events import (
    AnyEvent,
    ApprovalDeclined,
    ApprovalGranted,
    ContractAmended,
    ContractSigned,
    DealCompleted,
    DealOpened,
    DealPresented,
    DealWithdrawn,
    InteractionLogged,
    OfferCountered,
    OfferExpired,
    OfferMade,
    OfferRejected,
    ServiceStarted,
    SpecialTermsProposed,
    SpecialTermsRevised,
    TermsAccepted,
    TermsAgreed,
)
from dealflow.domain.interactions import Channel, InteractionKind
from dealflow.domain.lifecycle import ROLES, Action, Cursor, Stage, allowed_actions, fire
from dealflow.domain.messages import plain_errors
from dealflow.domain.parties import Actor, Party, Role, Side, is_blank
from dealflow.domain.policy import ApprovalPolicy, SigningOrder
from dealflow.domain.rights import RIGHT
from dealflow.domain.terms import SpecialTerms, Terms, TermsChange
from dealflow.errors import (
    ActionRefusedError,
    BelowFloorError,
    IllegalTransitionError,
    InvalidTermsError,
    NotYourTurnError,
    OfferExpiredError,
    TermsHashMismatchError,
    WrongRoleError,
)


def open_deal(
    deal_id: str,
    *,
    title: str,
    seller: Party,
    buyer: Party,
    language: Language,
    proposal: Terms,
    actor: Actor,
    now: datetime,
) -> DealOpened:
    """The event that opens a deal in ``draft``."""
    return DealOpened(
        deal_id=deal_id,
        version=1,
        occurred_at=now,
        actor=actor,
        stage=Stage.DRAFT,
        title=title,
        seller=seller,
        buyer=buyer,
        language=language,
        proposal=proposal,
    )


def decide(deal: Deal, command: Command, now: datetime, policy: ApprovalPolicy) -> list[AnyEvent]:
    """The events that record ``command`` on ``deal`` at ``now``; raises if it is refused."""
    action = command.action
    actor = command.actor
    if action.value not in allowed_actions(deal.stage):
        raise IllegalTransitionError(deal.stage.value, action.value, allowed_actions(deal.stage))
    if actor.role not in ROLES[action]:
        raise WrongRoleError(action.value, actor.role.value, [r.value for r in ROLES[action]])
    handler = _HANDLERS[type(command)]
    try:
        return [handler(deal, command, now, policy)]
    except ValidationError as exc:  # a note too long, a name empty...: the user's input
        raise InvalidTermsError(_first_line(exc)) from None


def log_interaction(
    deal: Deal,
    actor: Actor,
    now: datetime,
    *,
    channel: Channel,
    kind: InteractionKind,
    note: str,
    csat: int | None = None,
) -> InteractionLogged:
    """Record a contact with the buyer, at any stage; the stage does not change."""
    allowed = RIGHT["log"].roles
    if actor.role not in allowed:
        raise WrongRoleError("log", actor.role.value, [r.value for r in allowed])
    if is_blank(note):
        raise InvalidTermsError("an interaction needs a note saying what happened")
    return InteractionLogged(
        deal_id=deal.id,
        version=deal.version + 1,
        occurred_at=now,
        actor=actor,
        stage=deal.stage,
        channel=channel,
        kind=kind,
        note=note,
        csat=csat,
    )


# Shared checks --------------------------------------------------------------------------


def _side(command: Command) -> Side:
    side = command.actor.role.side
    assert side is not None, "ROLES admits only seller and buyer here"
    return side


def _base(deal: Deal, command: Command, now: datetime, stage: Stage) -> dict[str, object]:
    return {
        "deal_id": deal.id,
        "version": deal.version + 1,
        "occurred_at": now,
        "actor": command.actor,
        "stage": stage,
    }


def _next_stage(deal: Deal, action: Action, **facts: bool) -> Stage:
    return fire(Cursor(deal.stage, amending=deal.amending, **facts), action)


def _require_turn(deal: Deal, command: Command, now: datetime) -> Offer:
    """The latest offer, which this side may answer now; raises otherwise."""
    side = _side(command)
    offer = deal.latest_offer
    assert offer is not None, "offered and negotiating deals have an offer"
    verb = command.action.value
    if deal.turn is not side:
        raise NotYourTurnError(verb, side.value, deal.turn.value if deal.turn else None)
    if offer.expires_at is not None and now >= offer.expires_at:
        raise OfferExpiredError(offer.version, offer.expires_at.isoformat())
    return offer


def _new_offer(
    deal: Deal,
    command: Command,
    now: datetime,
    kind: OfferKind,
    terms: Terms,
    note: str | None,
    contract_version: int | None = None,
) -> Offer:
    expires = now + timedelta(days=terms.valid_days) if kind is not OfferKind.SPECIAL else None
    return Offer(
        version=len(deal.offers) + 1,
        kind=kind,
        side=_side(command),
        terms=terms,
        made_at=now,
        expires_at=expires,
        note=note,
        contract_version=contract_version or deal.contract_version,
    )


def _check_floor(command: Command, terms: Terms, policy: ApprovalPolicy) -> None:
    """A seller's terms may not go below the floor; a buyer's may (a manager decides)."""
    if command.actor.role is Role.SELLER:
        breaches = policy.floor_breaches(terms)
        if breaches:
            raise BelowFloorError(breaches)


def _check_clauses(special: SpecialTerms, policy: ApprovalPolicy) -> None:
    unknown = policy.unknown_clauses(special)
    if unknown:
        known = ", ".join(sorted(policy.clauses or {})) or "none"
        raise InvalidTermsError(
            f"unknown clause {', '.join(unknown)}; the clause library has: {known}"
        )


def _changed(terms: Terms, change: TermsChange) -> Terms:
    try:
        return terms.changed(change)
    except ValueError as exc:
        raise InvalidTermsError(_first_line(exc)) from None


def _first_line(exc: ValueError) -> str:
    return plain_errors(exc) if isinstance(exc, ValidationError) else str(exc)


# One handler per action -----------------------------------------------------------------


def _present(deal: Deal, cmd: Present, now: datetime, _: ApprovalPolicy) -> AnyEvent:
    stage = _next_stage(deal, cmd.action)
    return DealPresented(**_base(deal, cmd, now, stage), note=cmd.note)


def _new_terms(
    deal: Deal, cmd: MakeOffer | Counter, now: datetime, policy: ApprovalPolicy
) -> AnyEvent:
    """An offer, or a counter-offer (which must be this side's turn, the offer still valid)."""
    countering = isinstance(cmd, Counter)
    if countering:
        _require_turn(deal, cmd, now)
    terms = _changed(deal.terms, cmd.change)
    _check_floor(cmd, terms, policy)
    kind = OfferKind.COUNTER if countering else OfferKind.OFFER
    offer = _new_offer(deal, cmd, now, kind, terms, cmd.note)
    stage = _next_stage(deal, cmd.action)
    recorded = OfferCountered if countering else OfferMade
    return recorded(**_base(deal, cmd, now, stage), offer=offer)


def _accept(deal: Deal, cmd: Accept, now: datetime, _: ApprovalPolicy) -> AnyEvent:
    offer = _require_turn(deal, cmd, now)
    side = _side(cmd)
    if offer.side is side or deal.declined_offer == offer.version:
        raise NotYourTurnError(
            "accept",
            side.value,
            side.other.value,
            why=f"offer v{offer.version} was declined internally; the seller must revise it"
            if deal.declined_offer == offer.version
            else f"offer v{offer.version} is the {side.value}'s own; make a counter-offer instead",
        )
    stage = _next_stage(deal, cmd.action)
    return TermsAccepted(
        **_base(deal, cmd, now, stage), offer_version=offer.version, terms_hash=deal.terms_hash
    )


def _reject(deal: Deal, cmd: Reject, now: datetime, _: ApprovalPolicy) -> AnyEvent:
    offer = _require_turn(deal, cmd, now)
    stage = _next_stage(deal, cmd.action)
    return OfferRejected(
        **_base(deal, cmd, now, stage), offer_version=offer.version, reason=cmd.reason
    )


def _expire(deal: Deal, cmd: Expire, now: datetime, _: ApprovalPolicy) -> AnyEvent:
    offer = deal.latest_offer
    if offer is None or offer.expires_at is None:
        raise ActionRefusedError("the terms on the table have no validity period to expire")
    if now < offer.expires_at:
        raise ActionRefusedError(
            f"offer v{offer.version} is valid until {offer.expires_at.isoformat()}; "
            "it cannot expire yet"
        )
    stage = _next_stage(deal, cmd.action)
    return OfferExpired(
        **_base(deal, cmd, now, stage), offer_version=offer.version, expired_at=offer.expires_at
    )


def _withdraw(deal: Deal, cmd: Withdraw, now: datetime, _: ApprovalPolicy) -> AnyEvent:
    stage = _next_stage(deal, cmd.action)
    return DealWithdrawn(**_base(deal, cmd, now, stage), reason=cmd.reason)


def _special(
    deal: Deal, cmd: ProposeSpecial | ReviseSpecial, now: datetime, policy: ApprovalPolicy
) -> AnyEvent:
    _check_clauses(cmd.special, policy)
    terms = _changed(deal.terms, TermsChange(special=cmd.special))
    _check_floor(cmd, terms, policy)
    offer = _new_offer(deal, cmd, now, OfferKind.SPECIAL, terms, cmd.note)
    stage = _next_stage(deal, cmd.action)
    recorded = SpecialTermsProposed if isinstance(cmd, ProposeSpecial) else SpecialTermsRevised
    return recorded(**_base(deal, cmd, now, stage), offer=offer)


def _agree(deal: Deal, cmd: Agree, now: datetime, policy: ApprovalPolicy) -> AnyEvent:
    side = _side(cmd)
    latest = deal.latest_offer
    if deal.stage is Stage.SPECIAL_AGREEMENT and latest is not None and latest.side is side:
        raise NotYourTurnError(
            "agree",
            side.value,
            side.other.value,
            why=f"the special terms are the {side.value}'s own proposal; "
            f"the {side.other.value} must agree to them",
        )
    reasons = policy.approvals_for(deal.terms)
    current = deal.terms_hash
    agreement = agreement_of(deal).agreement_hash
    # An approval binds the agreement it approved (before agreement hashes, the terms):
    # unchanged terms of the same contract version keep it, any change voids it.
    reused = tuple(
        role
        for role in reasons
        if any(a.role is role and approves(a, agreement, current) for a in deal.approval_history)
    )
    stage = _next_stage(deal, cmd.action, needs_approval=len(reused) < len(reasons))
    return TermsAgreed(
        **_base(deal, cmd, now, stage),
        terms_hash=current,
        agreement_hash=agreement,
        approvals_required=tuple(reasons),
        approval_reasons=reasons,
        approvals_reused=reused,
    )


def _approver_check(deal: Deal, cmd: Command) -> None:
    role = cmd.actor.role
    pending = deal.approvals_pending
    if role not in pending:
        required = [r.value for r in pending]
        if role in deal.approvals_required:
            raise ActionRefusedError(
                f"{role.value} has already approved these terms; waiting for "
                f"{', '.join(required) or 'nobody'}"
            )
        raise WrongRoleError(cmd.action.value, role.value, required)


def _approve(deal: Deal, cmd: Approve, now: datetime, _: ApprovalPolicy) -> AnyEvent:
    _approver_check(deal, cmd)
    complete = deal.approvals_pending == (cmd.actor.role,)
    stage = _next_stage(deal, cmd.action, approvals_complete=complete)
    return ApprovalGranted(
        **_base(deal, cmd, now, stage),
        terms_hash=deal.terms_hash,
        agreement_hash=agreement_of(deal).agreement_hash,
        reason=cmd.reason,
    )


def _decline(deal: Deal, cmd: Decline, now: datetime, _: ApprovalPolicy) -> AnyEvent:
    _approver_check(deal, cmd)
    stage = _next_stage(deal, cmd.action)
    return ApprovalDeclined(
        **_base(deal, cmd, now, stage),
        terms_hash=deal.terms_hash,
        agreement_hash=agreement_of(deal).agreement_hash,
        reason=cmd.reason,
    )


def _sign(deal: Deal, cmd: Sign, now: datetime, policy: ApprovalPolicy) -> AnyEvent:
    side = _side(cmd)
    pending = deal.signatures_pending
    if side not in pending:
        raise ActionRefusedError(
            f"the {side.value} has already signed contract version {deal.contract_version}"
        )
    first = {SigningOrder.SELLER_FIRST: Side.SELLER, SigningOrder.BUYER_FIRST: Side.BUYER}.get(
        policy.signing_order
    )
    if first is not None and side is not first and first in pending:
        raise NotYourTurnError(
            "sign", side.value, first.value, f"the {first.value} signs first under the policy"
        )
    current = deal.terms_hash
    if cmd.terms_hash is not None and cmd.terms_hash != current:
        raise TermsHashMismatchError(cmd.terms_hash, current)
    if is_blank(cmd.title):
        raise InvalidTermsError("a signature needs the signatory's title")
    if cmd.scan_sha256 is not None and cmd.method is not SignatureMethod.WET_INK:
        raise InvalidTermsError("a scan of the signed page goes with the wet-ink method")
    stage = _next_stage(deal, cmd.action, signatures_complete=pending == (side,))
    agreement = agreement_of(deal)
    return ContractSigned(
        **_base(deal, cmd, now, stage),
        side=side,
        title=cmd.title,
        method=cmd.method,
        terms_hash=current,
        scan_sha256=cmd.scan_sha256,
        agreement_hash=agreement.agreement_hash,
        consent=consent_text(agreement, side.value, cmd.actor.name, cmd.title),
    )


def _start_service(deal: Deal, cmd: StartService, now: datetime, _: ApprovalPolicy) -> AnyEvent:
    stage = _next_stage(deal, cmd.action)
    return ServiceStarted(**_base(deal, cmd, now, stage), note=cmd.note)


def _amend(deal: Deal, cmd: Amend, now: datetime, policy: ApprovalPolicy) -> AnyEvent:
    if is_blank(cmd.reason):
        raise InvalidTermsError("an amendment needs a reason")
    signed = deal.signed_contract
    assert signed is not None, "in_service deals have a signed contract"
    terms = _changed(signed.terms, cmd.change)
    _check_floor(cmd, terms, policy)
    number = deal.contract_version + 1
    offer = _new_offer(deal, cmd, now, OfferKind.AMENDMENT, terms, cmd.reason, number)
    stage = _next_stage(deal, cmd.action)
    return ContractAmended(
        **_base(deal, cmd, now, stage), contract_version=number, reason=cmd.reason, offer=offer
    )


def _complete(deal: Deal, cmd: Complete, now: datetime, _: ApprovalPolicy) -> AnyEvent:
    stage = _next_stage(deal, cmd.action)
    return DealCompleted(**_base(deal, cmd, now, stage), reason=cmd.reason)


_HANDLERS: dict[type[Command], Callable[[Deal, Any, datetime, ApprovalPolicy], AnyEvent]] = {
    Present: _present,
    MakeOffer: _new_terms,
    Counter: _new_terms,
    Accept: _accept,
    Reject: _reject,
    Expire: _expire,
    Withdraw: _withdraw,
    ProposeSpecial: _special,
    ReviseSpecial: _special,
    Agree: _agree,
    Approve: _approve,
    Decline: _decline,
    Sign: _sign,
    StartService: _start_service,
    Amend: _amend,
    Complete: _complete,
}
