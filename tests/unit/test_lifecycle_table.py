"""Every (stage, action) pair, table-driven: allowed actions move to the right stage, refused
ones raise IllegalTransitionError naming what is allowed, wrong roles and wrong turns are
refused, and a refusal appends nothing.

The expected table is written out here from DESIGN.md, independently of the lifecycle module.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

import dealflow
from dealflow import Action, Role, Stage
from dealflow.domain import commands as c
from tests.conftest import BUYER, LEGAL, MANAGER, SELLER, SERVICE, by
from tests.paths import drive_to

S, A = Stage, Action
NEGOTIATION = {
    A.COUNTER: S.NEGOTIATING,
    A.ACCEPT: S.TERMS_ACCEPTED,
    A.REJECT: S.LOST,
    A.EXPIRE: S.EXPIRED,
    A.WITHDRAW: S.WITHDRAWN,
}
EXPECTED: dict[Stage, dict[Action, Stage]] = {
    S.DRAFT: {A.PRESENT: S.PRESENTED, A.WITHDRAW: S.WITHDRAWN},
    S.PRESENTED: {A.OFFER: S.OFFERED, A.WITHDRAW: S.WITHDRAWN},
    S.OFFERED: NEGOTIATION,
    S.NEGOTIATING: NEGOTIATION,
    # The paths in tests/paths.py: no approval needed from terms_accepted (5% discount);
    # the special agreement carries a free-text clause, so legal must approve.
    S.TERMS_ACCEPTED: {A.PROPOSE_SPECIAL: S.SPECIAL_AGREEMENT, A.AGREE: S.AWAITING_SIGNATURES},
    S.SPECIAL_AGREEMENT: {
        A.REVISE_SPECIAL: S.SPECIAL_AGREEMENT,
        A.AGREE: S.PENDING_APPROVAL,
        A.WITHDRAW: S.WITHDRAWN,
    },
    S.PENDING_APPROVAL: {
        A.APPROVE: S.AWAITING_SIGNATURES,
        A.DECLINE: S.NEGOTIATING,
        A.WITHDRAW: S.WITHDRAWN,
    },
    S.AWAITING_SIGNATURES: {A.SIGN: S.AWAITING_SIGNATURES, A.WITHDRAW: S.WITHDRAWN},
    S.SIGNED: {A.START_SERVICE: S.IN_SERVICE},
    S.IN_SERVICE: {A.AMEND: S.NEGOTIATING, A.COMPLETE: S.COMPLETED},
    S.COMPLETED: {},
    S.LOST: {},
    S.WITHDRAWN: {},
    S.EXPIRED: {},
}
ROLES = {
    A.PRESENT: {Role.SELLER},
    A.OFFER: {Role.SELLER},
    A.COUNTER: {Role.SELLER, Role.BUYER},
    A.ACCEPT: {Role.SELLER, Role.BUYER},
    A.REJECT: {Role.SELLER, Role.BUYER},
    A.EXPIRE: {Role.SYSTEM},
    A.WITHDRAW: {Role.SELLER},
    A.PROPOSE_SPECIAL: {Role.SELLER, Role.BUYER},
    A.REVISE_SPECIAL: {Role.SELLER, Role.BUYER},
    A.AGREE: {Role.SELLER, Role.BUYER},
    A.APPROVE: {Role.MANAGER, Role.LEGAL},
    A.DECLINE: {Role.MANAGER, Role.LEGAL},
    A.SIGN: {Role.SELLER, Role.BUYER},
    A.START_SERVICE: {Role.SELLER, Role.SERVICE},
    A.AMEND: {Role.SELLER, Role.BUYER},
    A.COMPLETE: {Role.SELLER, Role.SERVICE},
}
REVISED = dealflow.SpecialTerms(purpose="Plant 2, line 3", custom_clauses=("Penalty 0.2%",))
ACTORS = {
    Role.SELLER: SELLER,
    Role.BUYER: BUYER,
    Role.MANAGER: MANAGER,
    Role.LEGAL: LEGAL,
    Role.SERVICE: SERVICE,
    Role.SYSTEM: dealflow.Actor(name="dealflow", role=Role.SYSTEM),
}


def command_for(action: Action, deal: dealflow.Deal, actor: dealflow.Actor) -> c.Command:
    """A well-formed command for the action, as the given actor."""
    change = dealflow.TermsChange(quantities={"SNS-10": 12})
    factories = {
        A.PRESENT: lambda: c.Present(actor),
        A.OFFER: lambda: c.MakeOffer(actor),
        A.COUNTER: lambda: c.Counter(actor, change),
        A.ACCEPT: lambda: c.Accept(actor),
        A.REJECT: lambda: c.Reject(actor, "no"),
        A.EXPIRE: lambda: c.Expire(actor),
        A.WITHDRAW: lambda: c.Withdraw(actor, "stop"),
        A.PROPOSE_SPECIAL: lambda: c.ProposeSpecial(actor, REVISED),
        A.REVISE_SPECIAL: lambda: c.ReviseSpecial(actor, REVISED),
        A.AGREE: lambda: c.Agree(actor),
        A.APPROVE: lambda: c.Approve(actor),
        A.DECLINE: lambda: c.Decline(actor, "too risky"),
        A.SIGN: lambda: c.Sign(actor, "Director"),
        A.START_SERVICE: lambda: c.StartService(actor),
        A.AMEND: lambda: c.Amend(actor, "two more sensors", change),
        A.COMPLETE: lambda: c.Complete(actor),
    }
    return factories[action]()


def right_actor(action: Action, deal: dealflow.Deal) -> dealflow.Actor:
    """The actor who may take the action in this deal now (role and turn)."""
    if action in (A.COUNTER, A.ACCEPT, A.REJECT):
        return BUYER if deal.turn in (None, dealflow.Side.BUYER) else SELLER
    if action is A.AGREE:
        latest = deal.latest_offer
        return BUYER if latest and latest.kind == "special" and latest.side == "seller" else SELLER
    if action in (A.APPROVE, A.DECLINE):
        return LEGAL
    if action in (A.START_SERVICE, A.COMPLETE):
        return SERVICE
    if action is A.EXPIRE:
        return ACTORS[Role.SYSTEM]
    if action is A.PROPOSE_SPECIAL:
        return BUYER
    return SELLER


CASES = [(stage, action) for stage in Stage for action in Action]


def test_the_expected_table_covers_every_stage() -> None:
    assert set(EXPECTED) == set(Stage)


@pytest.mark.parametrize(("stage", "action"), CASES, ids=str)
def test_each_stage_action_pair(
    service: dealflow.DealService,
    clock: dealflow.FixedClock,
    spec: dealflow.DealSpec,
    stage: Stage,
    action: Action,
) -> None:
    deal_id = drive_to(service, spec, stage)
    before = service.get(deal_id)
    if action is A.EXPIRE:
        clock.advance(timedelta(days=60))  # so that expiry itself is possible
    actor = right_actor(action, before)
    command = command_for(action, before, actor)
    expected = EXPECTED[stage].get(action)
    service = by(service, actor)
    if expected is None:
        with pytest.raises(dealflow.IllegalTransitionError) as caught:
            service.execute(deal_id, command)
        assert caught.value.stage == stage.value
        assert caught.value.action == action.value
        assert set(caught.value.allowed) == {a.value for a in EXPECTED[stage]}
        assert stage.value in str(caught.value)
        assert len(service.history(deal_id)) == before.version
    else:
        after = service.execute(deal_id, command)
        assert after.stage is expected
        assert after.version == before.version + 1
        assert len(service.history(deal_id)) == before.version + 1


ALLOWED = [(stage, action) for stage in Stage for action in EXPECTED[stage]]


@pytest.mark.parametrize(("stage", "action"), ALLOWED, ids=str)
def test_wrong_roles_are_refused_and_append_nothing(
    service: dealflow.DealService, spec: dealflow.DealSpec, stage: Stage, action: Action
) -> None:
    deal_id = drive_to(service, spec, stage)
    before = service.get(deal_id)
    for role in set(ACTORS) - ROLES[action]:
        command = command_for(action, before, ACTORS[role])
        with pytest.raises(dealflow.WrongRoleError) as caught:
            by(service, ACTORS[role]).execute(deal_id, command)
        assert caught.value.role == role.value
        assert set(caught.value.allowed_roles) == {r.value for r in ROLES[action]}
    assert service.get(deal_id) == before
    assert len(service.history(deal_id)) == before.version


@pytest.mark.parametrize("stage", [S.OFFERED, S.NEGOTIATING])
@pytest.mark.parametrize("action", [A.COUNTER, A.ACCEPT, A.REJECT])
def test_the_side_that_made_the_latest_offer_cannot_answer_it(
    service: dealflow.DealService, spec: dealflow.DealSpec, stage: Stage, action: Action
) -> None:
    deal_id = drive_to(service, spec, stage)
    before = service.get(deal_id)
    assert before.latest_offer is not None
    author = SELLER if before.latest_offer.side is dealflow.Side.SELLER else BUYER
    with pytest.raises(dealflow.NotYourTurnError) as caught:
        service.execute(deal_id, command_for(action, before, author))
    assert caught.value.expected == before.latest_offer.side.other.value
    assert len(service.history(deal_id)) == before.version


def test_agree_to_special_terms_must_come_from_the_other_side(
    service: dealflow.DealService, spec: dealflow.DealSpec
) -> None:
    deal_id = drive_to(service, spec, S.SPECIAL_AGREEMENT)
    with pytest.raises(dealflow.NotYourTurnError):
        service.agree(deal_id, BUYER)  # the buyer proposed them
    assert service.agree(deal_id, SELLER).stage is S.PENDING_APPROVAL


def test_approvals_only_from_the_roles_the_policy_requires(
    service: dealflow.DealService, spec: dealflow.DealSpec
) -> None:
    deal_id = drive_to(service, spec, S.PENDING_APPROVAL)
    deal = service.get(deal_id)
    assert deal.approvals_required == (Role.LEGAL,)
    with pytest.raises(dealflow.WrongRoleError, match="only legal"):
        by(service, ACTORS[Role.MANAGER]).approve(deal_id, ACTORS[Role.MANAGER])
    assert by(service, LEGAL).approve(deal_id, LEGAL).stage is S.AWAITING_SIGNATURES


def test_a_discount_above_the_ceiling_needs_a_manager_then_both_approvals(
    service: dealflow.DealService, spec: dealflow.DealSpec
) -> None:
    deal_id = drive_to(service, spec, S.PRESENTED)
    service.offer(deal_id, SELLER, dealflow.TermsChange(discount=dealflow.Discount.parse("12%")))
    service.accept(deal_id, BUYER)
    service.propose_special(deal_id, BUYER, REVISED)
    deal = service.agree(deal_id, SELLER)
    assert deal.stage is S.PENDING_APPROVAL
    assert deal.approvals_required == (Role.MANAGER, Role.LEGAL)
    assert by(service, LEGAL).approve(deal_id, LEGAL).stage is S.PENDING_APPROVAL
    with pytest.raises(dealflow.ActionRefusedError, match="already approved"):
        by(service, LEGAL).approve(deal_id, LEGAL)
    deal = by(service, ACTORS[Role.MANAGER]).approve(deal_id, ACTORS[Role.MANAGER])
    assert deal.stage is S.AWAITING_SIGNATURES
    assert {a.terms_hash for a in deal.approvals} == {deal.terms_hash}


def test_a_declined_offer_cannot_be_accepted_again_and_the_seller_revises(
    service: dealflow.DealService, spec: dealflow.DealSpec
) -> None:
    deal_id = drive_to(service, spec, S.PENDING_APPROVAL)
    deal = by(service, LEGAL).decline(deal_id, LEGAL, "clause too risky")
    assert deal.stage is S.NEGOTIATING
    assert deal.turn is dealflow.Side.SELLER
    with pytest.raises(dealflow.NotYourTurnError):
        service.accept(deal_id, BUYER)
    deal = service.counter(deal_id, SELLER, dealflow.TermsChange(special=dealflow.SpecialTerms()))
    assert deal.turn is dealflow.Side.BUYER
    assert service.accept(deal_id, BUYER).stage is S.TERMS_ACCEPTED


def test_signing_twice_and_signing_other_terms_are_refused(
    service: dealflow.DealService, spec: dealflow.DealSpec
) -> None:
    deal_id = drive_to(service, spec, S.AWAITING_SIGNATURES)
    with pytest.raises(dealflow.TermsHashMismatchError):
        service.sign(deal_id, SELLER, title="Director", terms_hash="0" * 64)
    current = service.get(deal_id).terms_hash
    service.sign(deal_id, SELLER, title="Director", terms_hash=current)
    with pytest.raises(dealflow.ActionRefusedError, match="already signed"):
        service.sign(deal_id, SELLER, title="Director")
    deal = service.sign(deal_id, BUYER, title="Procurement Manager", method="wet-ink")
    assert deal.stage is S.SIGNED
    assert deal.signed_contract is not None
    assert deal.signed_contract.terms_hash == current
    assert {s.side for s in deal.signed_contract.signatures} == set(dealflow.Side)


def test_an_amendment_opens_a_new_contract_version_and_keeps_the_signed_one(
    service: dealflow.DealService, spec: dealflow.DealSpec
) -> None:
    deal_id = drive_to(service, spec, S.IN_SERVICE)
    signed = service.get(deal_id).signed_contract
    change = dealflow.TermsChange(quantities={"SNS-10": 12})
    deal = service.amend(deal_id, BUYER, change, reason="two more sensors")
    assert deal.stage is S.NEGOTIATING
    assert deal.contract_version == 2
    assert deal.terms.items[1].quantity == 12
    assert deal.contracts == (signed,)
    service.accept(deal_id, SELLER)
    service.agree(deal_id, SELLER)
    service.sign(deal_id, SELLER, title="Director")
    deal = service.sign(deal_id, BUYER, title="Manager")
    assert [c.contract_version for c in deal.contracts] == [1, 2]
    assert deal.contracts[0] == signed
    assert deal.contracts[1].amendment_reason == "two more sensors"


@pytest.mark.parametrize("ending", ["reject", "withdraw", "expire"])
def test_an_abandoned_amendment_leaves_the_signed_contract_in_force(
    service: dealflow.DealService,
    clock: dealflow.FixedClock,
    spec: dealflow.DealSpec,
    ending: str,
) -> None:
    deal_id = drive_to(service, spec, S.IN_SERVICE)
    before = service.get(deal_id)
    change = dealflow.TermsChange(quantities={"SNS-10": 12})
    assert service.amend(deal_id, BUYER, change, reason="two more sensors").amending
    if ending == "reject":
        service.reject(deal_id, SELLER, "no stock")
    elif ending == "withdraw":
        service.withdraw(deal_id, SELLER, "no stock")
    else:
        clock.advance(timedelta(days=spec.offer_valid_days))
        assert service.expire_due() == [deal_id]
    deal = service.get(deal_id)
    assert deal.stage is S.IN_SERVICE
    assert not deal.amending
    assert deal.contracts == before.contracts
    assert deal.terms == before.terms
    assert deal.terms_hash == before.terms_hash
    assert deal.contract_version == 1
    # The amendment can be tried again later.
    assert service.amend(deal_id, BUYER, change, reason="again").contract_version == 2


def test_offers_expire_and_acting_on_an_expired_offer_is_refused(
    service: dealflow.DealService, clock: dealflow.FixedClock, spec: dealflow.DealSpec
) -> None:
    deal_id = drive_to(service, spec, S.OFFERED)
    offer = service.get(deal_id).latest_offer
    assert offer is not None and offer.expires_at is not None
    assert offer.expires_at - offer.made_at == timedelta(days=spec.offer_valid_days)
    assert service.expire_due() == []
    clock.advance(timedelta(days=spec.offer_valid_days))
    with pytest.raises(dealflow.OfferExpiredError, match="expired at"):
        service.accept(deal_id, BUYER)
    assert service.get(deal_id).stage is S.OFFERED
    assert service.expire_due() == [deal_id]
    assert service.get(deal_id).stage is S.EXPIRED


def test_unknown_deal_is_reported(service: dealflow.DealService) -> None:
    with pytest.raises(dealflow.DealNotFoundError, match="nope"):
        service.present("nope", SELLER)
