"""Money arithmetic: exact in Decimal, rounded half-up to the currency's minor unit, never
negative after a discount, and invalid amounts refused."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

import dealflow
from dealflow import Discount, LineItem, Money, Terms
from dealflow.domain.money import MINOR_UNITS, round_to_minor_unit

CURRENCIES = st.sampled_from(["IDR", "JPY", "USD", "EUR", "KWD", "CLF"])
prices = st.decimals(min_value=0, max_value=10**7, places=4, allow_nan=False)
quantities = st.integers(min_value=1, max_value=10_000)
percents = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False)


def terms(currency: str, lines: list[tuple[int, Decimal]], **extra: object) -> Terms:
    items = tuple(
        LineItem(sku=f"SKU-{n}", description="part", quantity=q, unit_price=p)
        for n, (q, p) in enumerate(lines)
    )
    return Terms.model_validate({"currency": currency, "items": items, **extra})


@given(
    CURRENCIES, st.lists(st.tuples(quantities, prices), min_size=1, max_size=5), percents, percents
)
def test_totals_are_exact_and_rounded_to_the_minor_unit(
    currency: str, lines: list[tuple[int, Decimal]], discount: Decimal, tax: Decimal
) -> None:
    t = terms(currency, lines, discount=Discount(percent=discount), tax_rate=tax)
    totals = t.totals
    quantum = Decimal(1).scaleb(-MINOR_UNITS[currency])
    expected_subtotal = sum(
        ((q * p).quantize(quantum, rounding=ROUND_HALF_UP) for q, p in lines), Decimal(0)
    )
    assert totals.subtotal.amount == expected_subtotal
    expected_off = (expected_subtotal * discount / 100).quantize(quantum, rounding=ROUND_HALF_UP)
    assert totals.discount.amount == expected_off
    assert totals.net.amount == expected_subtotal - expected_off
    assert totals.tax.amount == (totals.net.amount * tax / 100).quantize(
        quantum, rounding=ROUND_HALF_UP
    )
    assert totals.grand_total.amount == totals.net.amount + totals.tax.amount
    for money in (totals.subtotal, totals.discount, totals.net, totals.tax, totals.grand_total):
        assert money.currency == currency
        assert money.amount == money.amount.quantize(quantum)
        assert money.amount >= 0


@given(
    CURRENCIES,
    st.lists(st.tuples(quantities, prices), min_size=1, max_size=3),
    st.decimals(min_value=0, max_value=10**12, places=2, allow_nan=False),
)
def test_a_discount_amount_above_the_subtotal_is_refused_and_no_total_is_negative(
    currency: str, lines: list[tuple[int, Decimal]], amount: Decimal
) -> None:
    subtotal = terms(currency, lines).totals.subtotal.amount
    if round_to_minor_unit(amount, currency) > subtotal:
        with pytest.raises(ValidationError, match="is more than the subtotal"):
            terms(currency, lines, discount=Discount(amount=amount))
        return
    totals = terms(currency, lines, discount=Discount(amount=amount)).totals
    assert 0 <= totals.discount.amount <= totals.subtotal.amount
    assert totals.net.amount >= 0
    assert totals.grand_total.amount >= 0


@pytest.mark.parametrize(
    ("currency", "amount", "expected"),
    [
        ("IDR", "1500.5", "1501"),  # rupiah: whole units on contracts
        ("IDR", "1500.49", "1500"),
        ("JPY", "99.5", "100"),
        ("USD", "2.345", "2.35"),  # half-up, not banker's rounding
        ("USD", "2.335", "2.34"),
        ("KWD", "1.2345", "1.235"),
        ("EUR", "-2.345", "-2.35"),
    ],
)
def test_rounding_is_half_up_to_the_minor_unit(currency: str, amount: str, expected: str) -> None:
    assert round_to_minor_unit(Decimal(amount), currency) == Decimal(expected)
    assert Money.of(amount, currency).rounded().amount == Decimal(expected)


def test_the_sample_deal_totals_in_rupiah(spec: dealflow.DealSpec) -> None:
    offered = spec.proposal().changed(dealflow.TermsChange(discount=Discount.parse("10%")))
    totals = offered.totals
    assert totals.subtotal == Money.of("345000000", "IDR")
    assert totals.discount == Money.of("34500000", "IDR")
    assert totals.tax == Money.of("34155000", "IDR")  # 11% PPN after the discount
    assert totals.grand_total == Money.of("344655000", "IDR")


@pytest.mark.parametrize(
    "amount", [1.5, float("nan"), "NaN", "Infinity", "-inf", "abc", "", "1e30", True, None, [1]]
)
def test_invalid_amounts_are_refused(amount: object) -> None:
    with pytest.raises(ValidationError):
        Money(amount=amount, currency="USD")  # type: ignore[arg-type]


@pytest.mark.parametrize("currency", ["XYZ", "usdollar", "", "US", 840, None])
def test_unknown_currencies_are_refused(currency: object) -> None:
    with pytest.raises(ValidationError, match="unknown currency"):
        Money(amount=Decimal(1), currency=currency)  # type: ignore[arg-type]


def test_currency_codes_are_normalised_to_upper_case() -> None:
    assert Money.of("1", "idr").currency == "IDR"


@pytest.mark.parametrize("percent", ["101%", "-1%", "100.01%", "ten%", "-5"])
def test_discounts_outside_zero_to_hundred_percent_are_refused(percent: str) -> None:
    with pytest.raises(ValidationError):
        Discount.parse(percent)


def test_a_discount_is_a_percentage_or_an_amount_never_both() -> None:
    with pytest.raises(ValidationError, match="not both"):
        Discount(percent=Decimal(5), amount=Decimal(10))


def test_money_of_different_currencies_does_not_mix() -> None:
    with pytest.raises(ValueError, match="cannot combine"):
        _ = Money.of("1", "USD") + Money.of("1", "EUR")
    assert Money.of("1.10", "USD") + Money.of("2.20", "USD") == Money.of("3.30", "USD")


@given(CURRENCIES, prices, prices)
def test_money_addition_is_exact(currency: str, a: Decimal, b: Decimal) -> None:
    total = Money.of(a, currency) + Money.of(b, currency)
    assert total.amount == a + b
    assert (total - Money.of(b, currency)).amount == a


def test_money_serialises_amounts_as_strings() -> None:
    assert Money.of("12.50", "USD").model_dump(mode="json") == {
        "amount": "12.50",
        "currency": "USD",
    }
