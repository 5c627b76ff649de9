"""Money arithmetic: exact in Decimal, rounded half-up to the currency's minor unit, never
negative after a discount, and invalid amounts refused."""

from __future__ import annotations

import json
import re
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

import dealflow
from dealflow import Discount, LineItem, Money, Terms
from dealflow.adapters.rendering import formats
from dealflow.domain.diff import diff_terms
from dealflow.domain.money import MINOR_UNITS, SHOWN, decimals, plain, round_to_minor_unit
from dealflow.domain.parties import STORED

CURRENCIES = st.sampled_from(["IDR", "JPY", "USD", "EUR", "KWD", "CLF"])
prices = st.decimals(min_value=0, max_value=10**7, places=4, allow_nan=False)
quantities = st.integers(min_value=1, max_value=10_000)
percents = st.decimals(min_value=0, max_value=100, places=2, allow_nan=False)


def priced_in(currency: str, most: int = 10**7) -> st.SearchStrategy[Decimal]:
    """Amounts a contract in ``currency`` can quote: whole minor units, 0 to ``most``."""
    places = MINOR_UNITS[currency]
    return st.integers(0, most * 10**places).map(lambda n: Decimal(n).scaleb(-places))


@st.composite
def priced_lines(draw: st.DrawFn, max_size: int = 5) -> tuple[str, list[tuple[int, Decimal]]]:
    """A currency and lines (quantity, unit price) priced in it."""
    currency = draw(CURRENCIES)
    lines = draw(
        st.lists(st.tuples(quantities, priced_in(currency)), min_size=1, max_size=max_size)
    )
    return currency, lines


def terms(currency: str, lines: list[tuple[int, Decimal]], **extra: object) -> Terms:
    items = tuple(
        LineItem(sku=f"SKU-{n}", description="part", quantity=q, unit_price=p)
        for n, (q, p) in enumerate(lines)
    )
    return Terms.model_validate({"currency": currency, "items": items, **extra})


@given(priced_lines(), percents, percents)
def test_totals_are_exact_and_rounded_to_the_minor_unit(
    priced: tuple[str, list[tuple[int, Decimal]]], discount: Decimal, tax: Decimal
) -> None:
    currency, lines = priced
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


@given(priced_lines(max_size=3), st.data())
def test_a_discount_amount_above_the_subtotal_is_refused_and_no_total_is_negative(
    priced: tuple[str, list[tuple[int, Decimal]]], data: st.DataObject
) -> None:
    currency, lines = priced
    amount = data.draw(priced_in(currency, most=10**12), label="amount")
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


# Amounts as written and as printed ------------------------------------------------------------


def read_printed(text: str, lang: str) -> Decimal:
    """The number in an amount a contract printed: ``Rp4.500.000`` (id), ``$1,234.50`` (en)."""
    digits = re.sub(r"[^0-9.,-]", "", text)
    if lang == "id":
        digits = digits.replace(".", "").replace(",", ".")
    return Decimal(digits.replace(",", ""))


@given(
    priced_lines(),
    st.one_of(percents.map(lambda p: Discount(percent=p)), st.integers(0, 100)),
    percents,
    st.sampled_from(["en", "id"]),
)
def test_the_printed_lines_add_up_to_the_printed_totals(
    priced: tuple[str, list[tuple[int, Decimal]]],
    discount: Discount | int,
    tax: Decimal,
    lang: str,
) -> None:
    """What a contract's price schedule prints adds up, line by line and total by total: each
    unit price is printed exactly, so quantity x printed unit price = printed line total."""
    currency, lines = priced
    if isinstance(discount, int):  # an amount: that percentage of the subtotal, in minor units
        subtotal = terms(currency, lines).totals.subtotal.amount
        discount = Discount(amount=round_to_minor_unit(subtotal * discount / 100, currency))
    t = terms(currency, lines, discount=discount, tax_rate=tax)
    shown: list[str] = []

    def printed(amount: Money) -> Decimal:
        shown.append(formats.money(amount, lang))
        return read_printed(shown[-1], lang)

    line_totals = []
    for item in t.items:
        unit = printed(Money.of(item.unit_price, currency))
        assert unit == item.unit_price
        line_totals.append(printed(t.line_total(item)))
        assert item.quantity * unit == line_totals[-1]
    totals = t.totals
    subtotal, off, net = printed(totals.subtotal), printed(totals.discount), printed(totals.net)
    tax_amount, grand = printed(totals.tax), printed(totals.grand_total)
    assert sum(line_totals) == subtotal
    assert subtotal - off == net
    assert net + tax_amount == grand
    assert not any("E" in text or "e" in text for text in shown), shown


@given(
    CURRENCIES,
    st.decimals(min_value=0, max_value=10**7, allow_nan=False, allow_infinity=False),
    quantities,
)
def test_a_unit_price_finer_than_the_currency_is_refused_when_written(
    currency: str, price: Decimal, quantity: int
) -> None:
    if decimals(price) <= MINOR_UNITS[currency]:
        t = terms(currency, [(quantity, price)])
        assert t.totals.subtotal.amount == quantity * price  # nothing was rounded
        assert "E" not in str(t.items[0].unit_price)
        return
    with pytest.raises(ValidationError, match=f"the unit price of SKU-0, .* {currency}, "):
        terms(currency, [(quantity, price)])


@pytest.mark.parametrize(
    ("currency", "price", "says"),
    [
        ("IDR", "4500000.123456789", "is not a whole number, and a contract quotes IDR in whole"),
        ("IDR", "4500000.5", "write 4500001"),
        ("USD", "0.0000001", "0.0000001 USD, has more than 2 decimals"),
        ("USD", "12.345", "write 12.35"),
        ("KWD", "1.2345", "has more than 3 decimals, the most a contract quotes in KWD"),
        ("JPY", "100.5", "JPY in whole units"),
    ],
)
def test_the_message_says_how_finely_the_currency_is_quoted(
    currency: str, price: str, says: str
) -> None:
    with pytest.raises(ValidationError, match=re.escape(says)):
        terms(currency, [(10, Decimal(price))])


@pytest.mark.parametrize(
    ("currency", "price"),
    [
        ("IDR", "4500000.00"),
        ("USD", "12.50"),
        ("USD", "12.5000"),
        ("KWD", "1.234"),
        ("CLF", "1.2345"),
    ],
)
def test_trailing_zeros_are_not_decimals(currency: str, price: str) -> None:
    assert terms(currency, [(3, Decimal(price))]).totals.subtotal.amount == 3 * Decimal(price)


def test_a_discount_amount_finer_than_the_currency_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"the discount, 1,500,000\.5 IDR, is not a whole"):
        terms("IDR", [(1, Decimal(2_000_000))], discount=Discount.parse("1500000.5"))
    with pytest.raises(ValidationError, match=r"the discount, 0\.001 USD, has more than 2"):
        terms("USD", [(1, Decimal(20))], discount=Discount.parse("0.001"))


def test_a_counter_offer_price_finer_than_the_currency_is_refused(spec: dealflow.DealSpec) -> None:
    change = dealflow.TermsChange(unit_prices={"SNS-10": "4500000.123456789"})
    with pytest.raises(ValidationError, match=r"unit price of SNS-10, 4,500,000\.123456789 IDR"):
        spec.proposal().changed(change)


def test_an_amount_written_with_an_exponent_is_kept_in_plain_digits() -> None:
    t = terms("USD", [(2, "1E+5")], discount=Discount.parse("1E+3"))  # type: ignore[list-item]
    assert str(t.items[0].unit_price) == "100000"
    assert str(t.discount) == "1,000"
    assert '"unit_price":"100000"' in t.canonical_json()
    assert str(Money.of("1E+5", "IDR")) == "IDR 100,000"
    assert Discount.parse("1E+1%").model_dump(mode="json")["percent"] == "10%"


STORED_TERMS = {
    "currency": "IDR",
    "items": [
        {"sku": "A", "description": "part", "quantity": 10, "unit_price": "1E+5"},
        {"sku": "B", "description": "part", "quantity": 10, "unit_price": "4500000.123456789"},
    ],
    "discount": {"amount": "0E-8"},
}


def test_a_store_reads_back_the_amounts_it_recorded_with_the_same_hash() -> None:
    stored = Terms.model_validate(STORED_TERMS, context=STORED)
    assert [str(item.unit_price) for item in stored.items] == ["1E+5", "4500000.123456789"]
    # The terms hash of a recorded snapshot is over the form it was recorded in.
    assert '"unit_price":"1E+5"' in stored.canonical_json()
    again = Terms.model_validate_json(stored.model_dump_json(), context=STORED)
    assert again.terms_hash == stored.terms_hash
    # Shown to people and tools, every amount is plain digits.
    shown = json.dumps(stored.model_dump(mode="json", context=SHOWN))
    assert "E+" not in shown and "E-" not in shown
    assert "100000" in shown
    assert str(stored.discount) == "0"


def test_a_recorded_finer_price_is_printed_in_full_and_fixed_before_a_change() -> None:
    stored = Terms.model_validate(STORED_TERMS, context=STORED)
    line = stored.items[1]
    unit = formats.money(Money.of(line.unit_price, "IDR"), "id")
    assert unit == "Rp4.500.000,123456789"  # every digit, not Rp4.500.000
    exact = read_printed(unit, "id") * line.quantity
    assert round_to_minor_unit(exact, "IDR") == stored.line_total(line).amount == 45_000_001
    with pytest.raises(ValidationError, match="write 4500000"):
        stored.changed(dealflow.TermsChange(payment_days=45))
    fixed = stored.changed(dealflow.TermsChange(unit_prices={"B": Decimal(4_500_000)}))
    assert [str(item.unit_price) for item in fixed.items] == ["100000", "4500000"]


def test_a_diff_shows_a_recorded_exponent_in_plain_digits() -> None:
    stored = Terms.model_validate(STORED_TERMS, context=STORED)
    fixed = stored.changed(dealflow.TermsChange(unit_prices={"B": Decimal(4_500_000)}))
    changes = {d.issue: (d.old, d.new) for d in diff_terms(stored, fixed)}
    assert changes == {"items.B.unit_price": ("4500000.123456789", "4500000")}


@pytest.mark.parametrize("field", ["min_unit_price", "unit_cost"])
def test_a_policy_amount_finer_than_any_currency_is_refused(field: str) -> None:
    with pytest.raises(dealflow.PolicyFileError, match="more than 4 decimals"):
        dealflow.parse_policy(f'floor: {{{field}: {{SNS-10: "0.00001"}}, min_margin: "10%"}}\n')
    with pytest.raises(dealflow.PolicyFileError, match="more than 4 decimals"):
        dealflow.parse_policy('approvals: {manager_above_total: "1.123456"}\n')
    policy = dealflow.parse_policy('floor: {min_unit_price: {SNS-10: "4.5E+6"}}\n')
    assert str(policy.floor.min_unit_price["SNS-10"]) == "4500000"


@pytest.mark.parametrize(
    ("amount", "text"),
    [("1E+5", "100,000"), ("1E-7", "0.0000001"), ("0E-8", "0"), ("12.50", "12.50")],
)
def test_amounts_are_shown_without_an_exponent(amount: str, text: str) -> None:
    assert plain(Decimal(amount)) == text
    assert str(Money.model_construct(amount=Decimal(amount), currency="USD")) == f"USD {text}"
