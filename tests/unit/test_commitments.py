"""The dated commitments of signed terms: exact dates for the sample deal, counted from
delivery (or signing without a delivery date), month ends clamped."""

from __future__ import annotations

from datetime import date, timedelta

from hypothesis import given
from hypothesis import strategies as st

import dealflow
from dealflow.domain.commitments import add_months, schedule, service_start
from dealflow.domain.terms import Delivery, Payment


def test_the_sample_deal_signed_on_a_fixed_date_has_an_exact_schedule(
    spec: dealflow.DealSpec,
) -> None:
    terms = spec.proposal().model_copy(update={"payment": Payment(due_days=45)})
    got = [(o.id, o.owner.value, o.due, o.runs_until, o.response_hours) for o in schedule(
        terms, date(2026, 11, 2)
    )]  # fmt: skip
    # The sample delivers by 2027-01-15: every date counts from there.
    assert got == [
        ("installation-1", "service", date(2027, 1, 29), False, None),
        ("training-1", "service", date(2027, 2, 14), False, None),
        ("maintenance-1", "service", date(2027, 4, 15), False, None),
        ("maintenance-2", "service", date(2027, 7, 15), False, None),
        ("maintenance-3", "service", date(2027, 10, 15), False, None),
        ("maintenance-4", "service", date(2028, 1, 15), False, None),
        ("warranty-1", "service", date(2029, 1, 15), True, 48),
        ("payment-1", "buyer", date(2027, 3, 1), False, None),
    ]
    payment = schedule(terms, date(2026, 11, 2))[-1]
    assert payment.amount == terms.totals.grand_total


def test_without_a_delivery_date_dates_count_from_signing(spec: dealflow.DealSpec) -> None:
    terms = spec.proposal().model_copy(update={"delivery": Delivery(place="Plant 2")})
    signed_on = date(2027, 1, 31)
    assert service_start(terms, signed_on) == signed_on
    dates = {o.id: o.due for o in schedule(terms, signed_on)}
    assert dates["installation-1"] == date(2027, 2, 14)
    assert dates["maintenance-1"] == date(2027, 4, 30)  # 31 January + 3 months, clamped
    assert dates["payment-1"] == date(2027, 3, 2)  # 30 days


def test_a_delivery_date_before_signing_counts_from_signing(spec: dealflow.DealSpec) -> None:
    assert service_start(spec.proposal(), date(2027, 2, 1)) == date(2027, 2, 1)


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)), st.integers(0, 600))
def test_adding_months_lands_in_the_right_month_and_never_past_its_end(
    day: date, months: int
) -> None:
    moved = add_months(day, months)
    assert (moved.year * 12 + moved.month) - (day.year * 12 + day.month) == months
    assert moved.day <= day.day
    if moved.day < day.day:  # clamped: then it is the last day of its month
        assert (moved + timedelta(days=1)).day == 1
