"""After-sales: the clock moves commitments on, people keep or waive them, claims are
answered, the deal completes when everything is settled, and the buyer's health, value and
renewals follow. The sample deal delivers on 2027-01-15: installation is due 2027-01-29."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

import dealflow
from dealflow import Stage
from dealflow.domain.commitments import CommitmentStatus as S
from dealflow.domain.projection import replay
from dealflow.domain.terms import Department
from tests.conftest import BUYER, LEGAL, MANAGER, SELLER, SERVICE, by
from tests.paths import drive_to


def day(y: int, m: int, d: int) -> datetime:
    return datetime(y, m, d, 10, 0, tzinfo=UTC)


def heard_from(service: dealflow.DealService, deal_id: str) -> None:
    """A contact now, so that silence plays no part in the score."""
    service.log_interaction(deal_id, SELLER, channel="phone", kind="contact", note="Called")


def statuses(service: dealflow.DealService, deal_id: str) -> dict[str, S]:
    return {c.id: c.status for c in service.commitments(deal_id)}


@pytest.fixture
def signed(service: dealflow.DealService, spec: dealflow.DealSpec) -> str:
    return drive_to(service, spec, Stage.SIGNED)


def test_nothing_is_committed_before_signing(
    service: dealflow.DealService, spec: dealflow.DealSpec
) -> None:
    deal_id = drive_to(service, spec, Stage.NEGOTIATING)
    assert service.commitments(deal_id) == ()
    with pytest.raises(dealflow.ActionRefusedError, match="no signed contract"):
        by(service, SERVICE).fulfil(deal_id, "installation-1", SERVICE)
    assert service.review(day(2027, 3, 1)).changes == []


def test_service_starts_on_the_delivery_date_by_the_clock(
    service: dealflow.DealService, signed: str
) -> None:
    assert service.review(day(2027, 1, 14)).changes == []
    assert service.get(signed).stage is Stage.SIGNED
    review = service.review(day(2027, 1, 15))
    assert [(c.change, c.note) for c in review.changes] == [
        ("service started", "service starts on 2027-01-15, the delivery date")
    ]
    deal = service.get(signed)
    assert deal.stage is Stage.IN_SERVICE
    assert deal.service_started_at == day(2027, 1, 15)


def test_an_unfulfilled_installation_goes_due_overdue_breached_and_is_kept_late(
    service: dealflow.DealService, clock: dealflow.FixedClock, signed: str
) -> None:
    service.review(day(2027, 1, 15))
    assert statuses(service, signed)["installation-1"] is S.SCHEDULED
    service.review(day(2027, 1, 22))  # 7 days before
    assert statuses(service, signed)["installation-1"] is S.DUE
    service.review(day(2027, 1, 29))  # on the day it is still due
    assert statuses(service, signed)["installation-1"] is S.DUE
    service.review(day(2027, 1, 30))
    assert statuses(service, signed)["installation-1"] is S.OVERDUE
    service.review(day(2027, 2, 12))  # 14 days of grace
    assert statuses(service, signed)["installation-1"] is S.OVERDUE
    review = service.review(day(2027, 2, 13))
    assert statuses(service, signed)["installation-1"] is S.BREACHED
    breach = [c for c in review.changes if c.item == "installation-1"]
    assert breach[0].note == (
        "15 days past its due date 2027-01-29, beyond the 14-day grace period"
    )
    # A clock moved back does not move anything back.
    service.review(day(2027, 1, 20))
    assert statuses(service, signed)["installation-1"] is S.BREACHED

    clock.set(day(2027, 2, 20))
    by(service, SERVICE).fulfil(signed, "installation-1", SERVICE)
    installation = service.commitments(signed)[0]
    assert installation.status is S.FULFILLED_LATE
    assert installation.breached_once
    assert [c.status for c in installation.changes] == [
        S.DUE,
        S.OVERDUE,
        S.BREACHED,
        S.FULFILLED_LATE,
    ]
    assert installation.changes[-1].note == "kept 22 days after its due date 2027-01-29"
    assert installation.changes[-1].by == SERVICE.name


def test_the_health_score_drops_for_the_right_reasons(
    service: dealflow.DealService, clock: dealflow.FixedClock, signed: str
) -> None:
    clock.set(day(2027, 1, 20))
    service.review()
    heard_from(service, signed)
    fresh = service.health()[0].health
    assert fresh.score == 100 and fresh.reasons == ()

    clock.set(day(2027, 2, 3))
    service.review()
    heard_from(service, signed)
    overdue = service.health()[0].health
    assert overdue.overdue == 1 and overdue.fell_due == 1 and overdue.kept_on_time == 0
    assert [r.reason for r in overdue.reasons] == [
        "kept 0 of 1 promise on time (0%)",
        "1 overdue now: installation-1",
    ]
    assert overdue.score == 100 - 30 - 5

    clock.set(day(2027, 2, 20))
    service.review()
    heard_from(service, signed)
    breached = service.health()[0].health
    assert breached.breached == 1
    assert "1 breached now: installation-1" in [r.reason for r in breached.reasons]
    assert breached.score < overdue.score
    assert breached.flags[0].startswith("1 breached commitment(s): installation-1")

    by(service, SERVICE).fulfil(signed, "installation-1", SERVICE)
    by(service, SERVICE).fulfil(signed, "training-1", SERVICE)
    after = service.health()[0].health
    assert (after.fell_due, after.kept_on_time, after.kept_late) == (3, 0, 2)
    assert after.breached == 0
    assert [r.reason for r in after.reasons] == [
        "kept 0 of 3 promises on time (0%)",
        "1 overdue now: payment-1",
    ]


def test_a_silent_buyer_is_flagged_even_without_complaints(
    service: dealflow.DealService, clock: dealflow.FixedClock, signed: str
) -> None:
    last = service.get(signed).signatures[-1].at  # the buyer signed: the last contact
    clock.set(last + timedelta(days=60))
    assert not service.health()[0].health.silent
    clock.set(last + timedelta(days=61))
    report = service.health()[0].health
    assert report.open_claims == 0
    assert report.silent and report.days_since_contact == 61
    assert report.flags == ("silent for 61 days",)
    assert [r.points for r in report.reasons] == [-20]
    # Hearing from the buyer clears it.
    service.log_interaction(signed, SELLER, channel="phone", kind="contact", note="Called")
    assert not service.health()[0].health.silent


def test_satisfaction_scores_and_their_trend_count(
    service: dealflow.DealService, clock: dealflow.FixedClock, signed: str
) -> None:
    for score in (5, 5, 2):
        service.log_interaction(
            signed, SELLER, channel="email", kind="feedback", note="Survey", csat=score
        )
    report = service.health()[0].health
    assert report.satisfaction == (5, 5, 2)
    assert [r.reason for r in report.reasons] == [
        "satisfaction averages 4.0 of 5 over the last scores",
        "satisfaction is falling: 2 after an average of 5.0",
    ] or [r.reason for r in report.reasons] == [
        "satisfaction is falling: 2 after an average of 5.0"
    ]
    assert report.score == 95


def test_a_complaint_is_opened_answered_and_resolved(
    service: dealflow.DealService, clock: dealflow.FixedClock, signed: str
) -> None:
    service.log_interaction(signed, BUYER, channel="phone", kind="complaint", note="Belt noisy")
    claim = service.get(signed).claims[0]
    assert (claim.id, claim.kind.value, claim.response_hours, claim.open) == (
        "complaint-1",
        "complaint",
        48,
        True,
    )
    review = service.review()
    assert [(a.item, a.status) for a in review.this_week[Department.SALES]] == [
        ("complaint-1", "awaiting response")
    ]
    clock.advance(timedelta(hours=50))
    assert service.get(signed).claims[0].response_late(clock.now())
    by(service, SERVICE).respond_claim(signed, "complaint-1", SERVICE, "Technician booked")
    with pytest.raises(dealflow.ActionRefusedError, match="was answered"):
        by(service, SERVICE).respond_claim(signed, "complaint-1", SERVICE, "Again")
    health = service.health()[0].health
    assert health.open_claims == 1
    assert "1 answered late" in health.reasons[-1].reason
    by(service, SERVICE).resolve_claim(signed, "complaint-1", SERVICE, "Bearing replaced")
    claim = service.get(signed).claims[0]
    assert not claim.open and claim.resolution_note == "Bearing replaced"
    assert service.health()[0].health.open_claims == 0
    with pytest.raises(dealflow.ActionRefusedError, match="already resolved"):
        by(service, SERVICE).resolve_claim(signed, "complaint-1", SERVICE, "Again")


def test_a_warranty_claim_is_measured_against_the_warranty_response_hours(
    service: dealflow.DealService, clock: dealflow.FixedClock, signed: str
) -> None:
    clock.set(day(2027, 6, 1))
    service.open_claim(signed, BUYER, kind="warranty", note="Sensor 4 dead")
    claim = service.get(signed).claims[0]
    assert (claim.id, claim.item, claim.response_hours) == ("warranty-claim-1", "warranty-1", 48)
    clock.advance(timedelta(hours=47))
    by(service, SERVICE).resolve_claim(signed, "warranty-claim-1", SERVICE, "Sensor replaced")
    claim = service.get(signed).claims[0]
    assert claim.responded_at == claim.resolved_at
    assert not claim.response_late(clock.now())
    clock.set(day(2029, 1, 16))  # the warranty ended on 2029-01-15
    with pytest.raises(dealflow.ActionRefusedError, match="ended on 2029-01-15"):
        service.open_claim(signed, BUYER, kind="warranty", note="Late")
    with pytest.raises(dealflow.ItemNotFoundError, match="no claim 'warranty-claim-9'"):
        by(service, SERVICE).respond_claim(signed, "warranty-claim-9", SERVICE, "?")


def test_waivers_need_a_manager_or_legal_and_a_reason(
    service: dealflow.DealService, signed: str
) -> None:
    with pytest.raises(dealflow.WrongRoleError):
        by(service, SERVICE).waive(signed, "training-1", SERVICE, reason="not needed")
    with pytest.raises(dealflow.InvalidTermsError, match="needs a reason"):
        by(service, MANAGER).waive(signed, "training-1", MANAGER, reason="  ")
    with pytest.raises(dealflow.ItemNotFoundError, match="its commitments: installation-1"):
        by(service, MANAGER).waive(signed, "training-9", MANAGER, reason="typo")
    by(service, MANAGER).waive(signed, "training-1", MANAGER, reason="Buyer trained its own staff")
    training = service.commitments(signed)[1]
    assert training.status is S.WAIVED
    assert (training.changes[-1].by, training.changes[-1].role.value) == (MANAGER.name, "manager")
    with pytest.raises(dealflow.ActionRefusedError, match="already waived"):
        by(service, SERVICE).fulfil(signed, "training-1", SERVICE)
    with pytest.raises(dealflow.ActionRefusedError, match="cannot be waived"):
        by(service, LEGAL).waive(signed, "training-1", LEGAL, reason="again")
    with pytest.raises(dealflow.WrongRoleError):
        service.fulfil(signed, "installation-1", BUYER)


def test_settling_the_last_commitment_completes_the_deal(
    service: dealflow.DealService, clock: dealflow.FixedClock, signed: str
) -> None:
    service.review(day(2027, 1, 15))
    clock.set(day(2027, 1, 15))  # the history runs forward: act after the review
    ids = [c.id for c in service.commitments(signed)]
    for item in ids[:-1]:
        by(service, SERVICE).fulfil(signed, item, SERVICE)
    assert service.get(signed).stage is Stage.IN_SERVICE
    deal = by(service, MANAGER).waive(signed, ids[-1], MANAGER, reason="Paid by set-off")
    assert deal.stage is Stage.COMPLETED
    last = service.history(signed)[-1]
    assert type(last).__name__ == "DealCompleted"
    assert last.actor.role.value == "system"
    with pytest.raises(dealflow.ActionRefusedError, match="completed"):
        by(service, SERVICE).fulfil(signed, ids[0], SERVICE)
    assert service.review(day(2030, 1, 1)).changes == []
    assert service.get(signed) == replay(service.history(signed))


def test_the_review_completes_the_deal_when_the_term_has_ended(
    service: dealflow.DealService, clock: dealflow.FixedClock, signed: str
) -> None:
    service.review(day(2027, 1, 15))
    clock.set(day(2027, 1, 15))
    for item in ("installation-1", "training-1", "payment-1"):
        by(service, SERVICE).fulfil(signed, item, SERVICE)
    service.review(day(2029, 1, 15))
    assert service.get(signed).stage is Stage.IN_SERVICE
    review = service.review(day(2029, 1, 16))
    assert statuses(service, signed)["warranty-1"] is S.FULFILLED
    completed = [c for c in review.changes if c.change == "completed"]
    assert completed[0].note == (
        "the contract term ended on 2029-01-15; unmet: maintenance-1, maintenance-2, "
        "maintenance-3, maintenance-4"
    )
    assert service.get(signed).stage is Stage.COMPLETED


def test_the_review_lists_this_weeks_actions_per_owner(
    service: dealflow.DealService, signed: str
) -> None:
    review = service.review(day(2027, 2, 10))
    week = {owner: [(a.item, a.status) for a in items] for owner, items in review.this_week.items()}
    assert week == {
        Department.SERVICE: [("installation-1", "overdue"), ("training-1", "due")],
        Department.BUYER: [("payment-1", "due")],
    }
    assert review.at == day(2027, 2, 10)
    # A review at a given time is a simulation: its events say so.
    assert all(e.clock_overridden for e in service.history(signed)[-4:])


def test_buyer_value_and_renewal_reminders(
    service: dealflow.DealService, clock: dealflow.FixedClock, spec: dealflow.DealSpec
) -> None:
    first = drive_to(service, spec, Stage.SIGNED)
    report = service.health()[0]
    assert report.value.buyer_class.value == "repeat"
    net = service.get(first).terms.totals.net
    assert report.value.average_deal_value == net
    # 1 purchase a year x 3 years x 20% margin (the defaults).
    assert report.value.lifetime_value is not None
    assert report.value.lifetime_value.amount == net.amount * 3 * 20 / 100
    assert "x 1 purchase(s) a year x 3 year(s) x 20% margin" in report.value.explanation
    assert report.renewals == []
    clock.set(day(2028, 10, 18))  # 89 days before the term ends on 2029-01-15
    reminders = service.health("sinar abadi")[0].renewals
    assert [(r.deal_id, r.term_ends, r.days_left) for r in reminders] == [
        (first, date(2029, 1, 15), 89)
    ]
    with pytest.raises(dealflow.BuyerNotFoundError, match="no deal"):
        service.health("Nobody Ltd")


def test_a_logged_complaint_and_after_sales_events_replay_to_the_live_deal(
    service: dealflow.DealService, clock: dealflow.FixedClock, signed: str
) -> None:
    service.review(day(2027, 2, 1))
    clock.set(day(2027, 2, 1))
    service.log_interaction(signed, BUYER, channel="email", kind="complaint", note="Late")
    by(service, SERVICE).fulfil(signed, "installation-1", SERVICE, note="Installed")
    service.respond_claim(signed, "complaint-1", SELLER, "Sorry")
    assert service.get(signed) == replay(service.history(signed))


def test_health_names_the_customer_games_seen_after_signing(
    service: dealflow.DealService, clock: dealflow.FixedClock, signed: str
) -> None:
    assert service.health()[0].signals == {}
    clock.set(day(2027, 3, 1))  # payment-1 was due on 2027-02-14
    service.review()
    signals = service.health()[0].signals[signed]
    assert [s.kind for s in signals] == [dealflow.GameKind.OVERDUE_PAYMENT]
    assert "payment-1" in signals[0].evidence.items
