"""Customer games: each signal is seen when the buyer plays it, with its evidence and a
response, and is not seen in a deal that only looks alike."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest

import dealflow
from dealflow import Discount, Stage, TermsChange
from dealflow.domain.commitments import CommitmentStatus
from dealflow.domain.games import GameKind, GameSignal, customer_games
from dealflow.files.policy import parse_policy
from tests.conftest import BUYER, SELLER, SERVICE, START, by, staffed
from tests.paths import drive_to

POLICY = parse_policy(
    (Path(dealflow.__file__).parent / "samples" / "policy.yaml").read_text("utf-8")
)


@pytest.fixture
def svc(clock: dealflow.FixedClock) -> dealflow.DealService:
    return staffed(dealflow.DealService(dealflow.MemoryEventStore(), clock, POLICY))


def pct(text: str, payment: int | None = None) -> TermsChange:
    return TermsChange(discount=Discount.parse(text), payment_days=payment)


def later(svc: dealflow.DealService, days: int) -> None:
    clock = svc.clock
    assert isinstance(clock, dealflow.FixedClock)
    clock.advance(timedelta(days=days))


def haggle(svc: dealflow.DealService, spec: dealflow.DealSpec, *discounts: str) -> str:
    """The seller offers the first discount; then buyer and seller counter in turn, a day
    apart."""
    deal_id = drive_to(svc, spec, Stage.PRESENTED)
    svc.offer(deal_id, SELLER, pct(discounts[0]))
    for n, discount in enumerate(discounts[1:]):
        later(svc, 1)
        svc.counter(deal_id, BUYER if n % 2 == 0 else SELLER, pct(discount))
    return deal_id


def signal(svc: dealflow.DealService, deal_id: str, kind: GameKind) -> GameSignal | None:
    found = [s for s in svc.advise(deal_id).signals if s.kind is kind]
    return found[0] if found else None


def test_a_seller_conceding_much_faster_than_the_buyer_is_named(
    svc: dealflow.DealService, spec: dealflow.DealSpec
) -> None:
    deal_id = haggle(svc, spec, "0%", "20%", "10%", "19.5%")
    seen = signal(svc, deal_id, GameKind.ASYMMETRIC_CONCESSIONS)
    assert seen is not None
    assert seen.evidence.versions == (1, 3, 2, 4)
    assert seen.evidence.amounts == ("seller conceded 0.250", "buyer conceded 0.013")
    assert "We gave up 0.25" in seen.saw
    assert "Slow down" in seen.response


def test_concessions_at_the_same_pace_are_not_named(
    svc: dealflow.DealService, spec: dealflow.DealSpec
) -> None:
    deal_id = haggle(svc, spec, "0%", "20%", "5%", "15%")
    assert signal(svc, deal_id, GameKind.ASYMMETRIC_CONCESSIONS) is None


def test_repeated_small_discount_requests_are_named(
    svc: dealflow.DealService, spec: dealflow.DealSpec
) -> None:
    deal_id = haggle(svc, spec, "5%", "6%", "5.5%", "6.5%")
    seen = signal(svc, deal_id, GameKind.SMALL_DISCOUNT_REQUESTS)
    assert seen is not None
    assert seen.evidence.versions == (2, 4)
    assert seen.evidence.amounts == ("+1%", "+1%")
    assert seen.evidence.dates == (START.date() + timedelta(days=1), START.date() + timedelta(3))
    assert "v2 6% against 5%" in seen.saw
    assert "splitting the difference" in seen.response


def test_one_small_request_among_big_ones_is_not_named(
    svc: dealflow.DealService, spec: dealflow.DealSpec
) -> None:
    deal_id = haggle(svc, spec, "5%", "15%", "10%", "12%")
    assert signal(svc, deal_id, GameKind.SMALL_DISCOUNT_REQUESTS) is None


def test_a_competitor_quote_in_the_log_or_a_benchmark_in_a_note_is_named(
    svc: dealflow.DealService, spec: dealflow.DealSpec
) -> None:
    deal_id = haggle(svc, spec, "5%")
    svc.log_interaction(
        deal_id,
        SELLER,
        channel="phone",
        kind="competitor-quote",
        note="PT Lain quoted 12% below us, IDR 300.000.000 all in",
    )
    later(svc, 1)
    svc.counter(deal_id, BUYER, pct("12%"), note="Your price is above our benchmark")
    seen = signal(svc, deal_id, GameKind.COMPETITOR_PRESSURE)
    assert seen is not None
    assert seen.evidence.versions == (2,)
    assert seen.evidence.dates == (START.date(), START.date() + timedelta(days=1))
    assert seen.evidence.amounts == ("12%", "IDR 300.000.000")
    assert "a competitor's quote logged on 2026-11-02" in seen.saw
    assert "the buyer's note on v2" in seen.saw
    assert "in writing" in seen.response


def test_ordinary_contacts_and_notes_are_not_competitor_pressure(
    svc: dealflow.DealService, spec: dealflow.DealSpec
) -> None:
    deal_id = haggle(svc, spec, "5%")
    svc.log_interaction(
        deal_id, SELLER, channel="meeting", kind="feedback", note="Liked the demo line", csat=5
    )
    svc.counter(deal_id, BUYER, pct("8%"), note="Budget is tight this quarter")
    assert signal(svc, deal_id, GameKind.COMPETITOR_PRESSURE) is None


def in_service(svc: dealflow.DealService, spec: dealflow.DealSpec) -> str:
    deal_id = drive_to(svc, spec, Stage.IN_SERVICE)
    later(svc, 10)
    return deal_id


def test_a_buyer_renegotiating_a_signed_contract_before_its_term_ends_is_named(
    svc: dealflow.DealService, spec: dealflow.DealSpec
) -> None:
    deal_id = in_service(svc, spec)
    svc.amend(deal_id, BUYER, pct("12%", payment=60), reason="Budget cut")
    seen = signal(svc, deal_id, GameKind.EARLY_RENEGOTIATION)
    assert seen is not None
    assert seen.evidence.versions == (2,)
    assert seen.evidence.amounts == (
        "discount.percent 5% -> 12%",
        "payment.due_days 30 -> 60",
    )
    deal = svc.get(deal_id)
    assert seen.evidence.dates[0] == deal.contracts[0].signed_at.date()
    assert "before its term ends on" in seen.saw
    assert "signed contract holds" in seen.response


def test_a_seller_amendment_is_not_a_renegotiation_game(
    svc: dealflow.DealService, spec: dealflow.DealSpec
) -> None:
    deal_id = in_service(svc, spec)
    svc.amend(deal_id, SELLER, TermsChange(warranty_months=36), reason="Goodwill extension")
    assert signal(svc, deal_id, GameKind.EARLY_RENEGOTIATION) is None


def test_a_payment_overdue_after_signing_is_named(
    svc: dealflow.DealService, spec: dealflow.DealSpec
) -> None:
    deal_id = drive_to(svc, spec, Stage.IN_SERVICE)
    deal = svc.get(deal_id)
    payment = next(c for c in svc.commitments(deal_id) if c.kind == "payment")
    now = START + timedelta(days=(payment.due - START.date()).days + 3)
    games = customer_games(deal, now)
    seen = next(s for s in games if s.kind is GameKind.OVERDUE_PAYMENT)
    assert seen.evidence.items == (payment.id,)
    assert seen.evidence.dates == (payment.due,)
    assert seen.evidence.amounts == (str(payment.amount),)
    assert f"{payment.id} of {payment.amount} due {payment.due} (3 days ago" in seen.saw
    assert "before conceding anything" in seen.response
    # Recorded overdue by the clock's review, it is still named, by its status.
    later(svc, (now - START).days)
    svc.review()
    reviewed = svc.commitments(deal_id)
    assert next(c for c in reviewed if c.id == payment.id).status is CommitmentStatus.OVERDUE
    assert any(s.kind is GameKind.OVERDUE_PAYMENT for s in customer_games(svc.get(deal_id), now))


def test_a_payment_not_yet_due_or_already_paid_is_not_named(
    svc: dealflow.DealService, spec: dealflow.DealSpec
) -> None:
    deal_id = drive_to(svc, spec, Stage.IN_SERVICE)
    payment = next(c for c in svc.commitments(deal_id) if c.kind == "payment")
    before = START + timedelta(days=(payment.due - START.date()).days - 1)
    assert customer_games(svc.get(deal_id), before) == ()
    by(svc, SERVICE).fulfil(deal_id, payment.id, SERVICE, note="Paid in full")
    after = before + timedelta(days=30)
    kinds = {s.kind for s in customer_games(svc.get(deal_id), after)}
    assert GameKind.OVERDUE_PAYMENT not in kinds


def test_signals_serialise_with_their_evidence(
    svc: dealflow.DealService, spec: dealflow.DealSpec
) -> None:
    deal_id = haggle(svc, spec, "5%", "6%", "5.5%", "6.5%")
    data = svc.advise(deal_id).model_dump(mode="json")
    (seen,) = [s for s in data["signals"] if s["kind"] == "small-discount-requests"]
    assert seen["evidence"]["amounts"] == ["+1%", "+1%"]
    assert Decimal(seen["evidence"]["amounts"][0].strip("+%")) == 1
