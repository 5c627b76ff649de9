"""The deal file loader: the sample loads, from YAML and from JSON alike; a bad file is refused
with one readable line that lists every problem by field path; hostile files (alias bombs,
Python tags, huge or deeply nested documents, odd bytes) are refused fast and safely; nothing
is written anywhere; and the format's JSON Schema describes the files the loader accepts.
"""

from __future__ import annotations

import copy
import json
import re
import time
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import dealflow
from dealflow import DealFileError, DealSpec, deal_file_schema, load_deal_file, parse_deal_spec
from dealflow.files.dealfile import MAX_FILE_BYTES, MAX_NODES
from tests.conftest import SAMPLE_FILE, staffed

#: For the properties that parse the whole sample on every example (~10 ms each): the ``ci``
#: profile's 10,000 examples would take minutes per test for little more coverage.
WHOLE_FILE = settings(max_examples=min(1_000, settings().max_examples))

SAMPLE_TEXT = SAMPLE_FILE.read_text("utf-8")
SAMPLE_LINES = SAMPLE_TEXT.count("\n")
#: What pydantic would say and a sales rep would not understand.
JARGON = re.compile(
    r"Input should|String should|Value error|function-(after|before|wrap|plain)|\[key\]|"
    r"Decimal\(|pydantic|type=|model_type|dictionary or instance"
)

#: A field path: names joined by dots, list positions and odd keys in brackets.
_STEP = r"""(\[(\d+|'([^'\\]|\\.)*'|"([^"\\]|\\.)*")\])"""
PATH = re.compile(rf"(([\w-]+|{_STEP})([.][\w-]+|{_STEP})*)?")


def sample_document() -> dict[str, Any]:
    """The sample as plain data (dates as dates), to edit and write out again."""
    document: dict[str, Any] = yaml.safe_load(SAMPLE_TEXT)
    return document


def as_yaml(document: object) -> str:
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True)


def as_json(document: object) -> str:
    return json.dumps(document, default=str, ensure_ascii=False, indent=2)


def edited(old: str, new: str) -> str:
    """The sample's text with one exact piece of it replaced."""
    assert SAMPLE_TEXT.count(old) == 1, f"{old!r} is not once in the sample"
    return SAMPLE_TEXT.replace(old, new)


def in_dollars(text: str) -> str:
    """A deal file's text (YAML or JSON) in US dollars instead of rupiah."""
    changed = re.sub(r'(currency"?: "?)IDR', r"\1USD", text, count=1)
    assert changed != text
    return changed


def added(line: str) -> str:
    """The sample's text with one more top-level line."""
    return SAMPLE_TEXT + line + "\n"


def without(*path: str | int) -> str:
    """The sample, as YAML, without the value at ``path``."""
    document = sample_document()
    parent: Any = document
    for part in path[:-1]:
        parent = parent[part]
    del parent[path[-1]]
    return as_yaml(document)


def refusal(text: str | bytes, fmt: str = "yaml") -> DealFileError:
    """The error the loader raises for this text, checked to be readable."""
    with pytest.raises(DealFileError) as caught:
        parse_deal_spec(text, fmt=fmt)
    assert_readable(caught.value)
    return caught.value


def assert_readable(exc: DealFileError) -> None:
    """One line, no pydantic jargon, every problem listed, and a count that adds up."""
    text = str(exc)
    assert len(text.splitlines()) == 1, text
    assert "\r" not in text
    assert not JARGON.search(text), text
    assert exc.problems, "an error must list at least one problem"
    count = len(exc.problems)
    assert text.startswith(f"{exc.source}: {count} problem{'s' if count > 1 else ''}: ")
    for problem in exc.problems:
        assert str(problem) in text
        assert problem.message, "a problem must say what is wrong"
        assert PATH.fullmatch(problem.path), problem.path


# The sample ---------------------------------------------------------------------------------


def test_the_sample_deal_file_loads_from_disk() -> None:
    spec = load_deal_file(SAMPLE_FILE)

    assert spec.title == "Conveyor line upgrade for Plant 2"
    assert spec.currency == "IDR"
    assert spec.language == dealflow.Language("id+en")
    assert spec.seller.name == "PT Maju Jaya Teknik"
    assert spec.buyer.representative.email == "siti@sinarabadi.example"
    assert spec.buyer.segment == {"industry": "beverage", "region": "urban", "size": "enterprise"}
    assert [(i.sku, i.quantity, i.unit_price) for i in spec.items] == [
        ("CNV-200", 2, Decimal("150000000")),
        ("SNS-10", 10, Decimal("4500000")),
    ]
    assert spec.delivery is not None
    assert spec.delivery.by == date(2027, 1, 15)
    assert [p.kind for p in spec.after_sales] == [
        "installation",
        "training",
        "maintenance",
        "warranty",
    ]


def test_the_sample_totals_are_345_million_rupiah_plus_11_percent_tax() -> None:
    spec = load_deal_file(SAMPLE_FILE)
    totals = spec.proposal().totals

    assert spec.tax_rate == Decimal(11)
    assert totals.subtotal == dealflow.Money.of("345000000", "IDR")
    assert totals.discount.amount == 0
    assert totals.net.amount == Decimal("345000000")
    assert totals.tax.amount == Decimal("37950000")
    assert totals.grand_total == dealflow.Money.of("382950000", "IDR")


def test_the_sample_converted_to_json_loads_equal_to_the_yaml(tmp_path: Path) -> None:
    json_file = tmp_path / "conveyor-deal.json"
    json_file.write_text(as_json(sample_document()), encoding="utf-8")

    from_yaml = load_deal_file(SAMPLE_FILE)
    from_json = load_deal_file(json_file)

    assert from_json == from_yaml
    assert from_json.proposal().terms_hash == from_yaml.proposal().terms_hash
    # YAML is a superset of JSON: the YAML reader takes the JSON text too.
    assert parse_deal_spec(json_file.read_text("utf-8")) == from_yaml


def test_a_path_may_be_given_as_text() -> None:
    assert load_deal_file(str(SAMPLE_FILE)) == load_deal_file(SAMPLE_FILE)


def test_a_byte_order_mark_is_ignored() -> None:
    bom = "\ufeff".encode()
    assert parse_deal_spec(bom + SAMPLE_TEXT.encode()) == load_deal_file(SAMPLE_FILE)
    json_text = as_json(sample_document())
    assert parse_deal_spec(bom + json_text.encode(), fmt="json") == load_deal_file(SAMPLE_FILE)


def test_keys_are_read_as_written_so_on_and_numbers_name_fields() -> None:
    # YAML 1.1 would read the key `on` as the boolean true, and `7` as a number.
    text = added("special: {splits: [{sku: SNS-10, quantity: 4, on: 2026-12-01}]}").replace(
        "segment: {industry: beverage,", "segment: {7: beverage, on: 'yes',"
    )

    spec = parse_deal_spec(text)

    assert spec.special is not None
    assert spec.special.splits[0].on == date(2026, 12, 1)
    assert spec.buyer.segment["7"] == "beverage"
    assert spec.buyer.segment["on"] == "yes"


def test_anchors_and_merge_keys_may_share_values_and_local_keys_override_them() -> None:
    text = (
        edited(
            "  address: Jl. Industri Raya No. 5, Cikarang, Bekasi 17530\n",
            "  address: &cikarang Jl. Industri Raya No. 5, Cikarang, Bekasi 17530\n",
        )
        + "payment: {<<: {due_days: 60, method: giro}, method: letter of credit}\n"
    ).replace("payment: {due_days: 30, method: bank transfer}\n", "")
    text = text.replace(
        "  address: Jl. Gatot Subroto Kav. 12, Jakarta 12930", "  address: *cikarang"
    )

    spec = parse_deal_spec(text)

    assert spec.buyer.address == spec.seller.address
    assert spec.payment == dealflow.Payment(due_days=60, method="letter of credit")


# Exact numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("4500000.50", Decimal("4500000.50")),
        ("0.1", Decimal("0.1")),
        ("4_500_000.25", Decimal("4500000.25")),
        ('"4500000.50"', Decimal("4500000.50")),
        ("4500000", Decimal(4500000)),
        ("1.0e+3", Decimal("1000")),  # an exponent is written out
    ],
)
def test_a_price_written_as_a_yaml_number_is_read_exactly(written: str, read: Decimal) -> None:
    # In dollars: a rupiah price has no decimals (finer ones are refused, see test_money).
    spec = parse_deal_spec(in_dollars(edited('unit_price: "4500000"', f"unit_price: {written}")))

    price = spec.items[1].unit_price
    assert price == read
    assert str(price) == str(read)  # the same digits, not a float's nearest neighbour


@WHOLE_FILE
@given(st.decimals(min_value=0, max_value=10**12, places=2, allow_nan=False))
def test_any_two_decimal_price_is_read_exactly_from_yaml_and_json(price: Decimal) -> None:
    written = format(price, "f")
    from_yaml = parse_deal_spec(
        in_dollars(edited('unit_price: "4500000"', f"unit_price: {written}"))
    )
    json_text = in_dollars(as_json(sample_document()).replace('"4500000"', written))
    from_json = parse_deal_spec(json_text, fmt="json")

    assert from_yaml.items[1].unit_price == price
    assert str(from_yaml.items[1].unit_price) == written
    assert from_json.items[1].unit_price == price
    assert str(from_json.items[1].unit_price) == written


def test_a_quantity_with_a_leading_zero_is_refused_not_read_as_octal() -> None:
    # YAML 1.1 reads 010 as 8: a rep who wrote ten units must not silently get eight.
    exc = refusal(edited("quantity: 10\n", "quantity: 010\n"))

    assert [p.path for p in exc.problems] == ["items[1].quantity"]
    assert "leading zeros" in exc.problems[0].message


# Rejections, one field at a time -------------------------------------------------------------

ONE_PROBLEM = [
    # quantities
    pytest.param(
        edited("quantity: 2\n", "quantity: 0\n"), "items[0].quantity", "more than 0", id="zero"
    ),
    pytest.param(
        edited("quantity: 10\n", "quantity: -10\n"),
        "items[1].quantity",
        "more than 0 (got -10)",
        id="negative-quantity",
    ),
    pytest.param(
        edited("quantity: 2\n", "quantity: 2.5\n"),
        "items[0].quantity",
        "whole number (got 2.5)",
        id="fractional-quantity",
    ),
    pytest.param(
        edited("quantity: 2\n", 'quantity: "2"\n'),
        "items[0].quantity",
        "without quotes",
        id="quoted-quantity",
    ),
    pytest.param(
        edited("quantity: 2\n", "quantity: yes\n"),
        "items[0].quantity",
        "whole number (got true)",
        id="boolean-quantity",
    ),
    pytest.param(
        edited("quantity: 2\n", "quantity: 2000000000\n"),
        "items[0].quantity",
        "1,000,000,000 or less",
        id="absurd-quantity",
    ),
    # currency
    pytest.param(
        edited("currency: IDR", "currency: XYZ"), "currency", "unknown currency 'XYZ'", id="xyz"
    ),
    pytest.param(
        edited("currency: IDR", "currency: Rupiah"),
        "currency",
        "ISO 4217",
        id="currency-name",
    ),
    pytest.param(
        edited("currency: IDR", "currency: 360"), "currency", "unknown currency 360", id="numeric"
    ),
    pytest.param(without("currency"), "currency", "is required", id="missing-currency"),
    # discount
    pytest.param(
        added('discount: "150%"'), "discount", "between 0% and 100%", id="discount-over-100"
    ),
    pytest.param(
        added("discount: {percent: 101}"),
        "discount.percent",
        "between 0% and 100%",
        id="discount-percent-over-100",
    ),
    pytest.param(
        added('discount: "-5%"'), "discount", "between 0% and 100%", id="negative-discount"
    ),
    pytest.param(
        added('discount: "-100"'), "discount", "cannot be negative", id="negative-discount-amount"
    ),
    pytest.param(
        added("discount: 5"), "discount", 'a percentage such as "5%"', id="bare-number-discount"
    ),
    pytest.param(
        added("discount: {percent: 5, amount: 100}"), "discount", "not both", id="both-discounts"
    ),
    pytest.param(added("discount: lots"), "discount", "'lots' is not a number", id="discount-word"),
    # parties
    pytest.param(without("seller"), "seller", "is required", id="missing-seller"),
    pytest.param(without("buyer"), "buyer", "is required", id="missing-buyer"),
    pytest.param(
        without("seller", "representative"),
        "seller.representative",
        "is required",
        id="missing-representative",
    ),
    pytest.param(
        edited("  name: PT Sinar Abadi Minuman\n", '  name: ""\n'),
        "buyer.name",
        "must not be empty",
        id="empty-buyer-name",
    ),
    pytest.param(
        as_yaml({**sample_document(), "seller": "PT Maju Jaya Teknik"}),
        "seller",
        "must be a section with the fields name, address",
        id="seller-as-a-name",
    ),
    pytest.param(
        edited("email: budi@majujaya.example", "email: budi at majujaya"),
        "seller.representative.email",
        "not an email address",
        id="bad-email",
    ),
    # dates
    pytest.param(
        edited("by: 2027-01-15", "by: 2027-13-45"),
        "delivery.by",
        "YYYY-MM-DD, e.g. 2027-01-15 (got '2027-13-45')",
        id="impossible-date",
    ),
    pytest.param(
        edited("by: 2027-01-15", "by: 2027-02-30"), "delivery.by", "YYYY-MM-DD", id="february-30"
    ),
    pytest.param(
        edited("by: 2027-01-15", "by: 15/01/2027"), "delivery.by", "YYYY-MM-DD", id="dd/mm/yyyy"
    ),
    pytest.param(
        edited("by: 2027-01-15", "by: next tuesday"),
        "delivery.by",
        "YYYY-MM-DD",
        id="date-in-words",
    ),
    pytest.param(
        edited("by: 2027-01-15", "by: 2027-01-15 10:30:00"),
        "delivery.by",
        "without a time of day",
        id="date-with-time",
    ),
    # amounts
    pytest.param(
        edited('unit_price: "4500000"', 'unit_price: "-4500000"'),
        "items[1].unit_price",
        "cannot be negative",
        id="negative-price",
    ),
    pytest.param(
        edited('unit_price: "4500000"', "unit_price: four million"),
        "items[1].unit_price",
        "is not a number",
        id="price-in-words",
    ),
    pytest.param(
        edited('tax_rate: "11%"', 'tax_rate: "111%"'),
        "tax_rate",
        "between 0% and 100%",
        id="tax-over-100",
    ),
    # the rest of the format
    pytest.param(edited("language: id+en", "language: fr"), "language", "'en'", id="language"),
    pytest.param(
        edited("offer_valid_days: 14", "offer_valid_days: 0"),
        "offer_valid_days",
        "more than 0",
        id="offer-valid-0-days",
    ),
    pytest.param(
        edited("- sku: SNS-10", "- sku: CNV-200"),
        "items",
        "each SKU may appear once; repeated: CNV-200",
        id="repeated-sku",
    ),
    pytest.param(
        edited("- sku: SNS-10", "- sku: SNS 10!"),
        "items[1].sku",
        "letters, digits",
        id="sku-with-spaces",
    ),
    pytest.param(
        as_yaml({**sample_document(), "items": []}), "items", "at least 1 entry", id="no-items"
    ),
    pytest.param(
        edited("{kind: installation", "{kind: massage"),
        "after_sales[0].kind",
        "'installation'",
        id="unknown-after-sales-kind",
    ),
    pytest.param(
        edited("description: Parts and labour warranty, for_months: 24,", "description: W,"),
        "after_sales[3]",
        "a warranty needs for_months",
        id="warranty-without-months",
    ),
    pytest.param(
        added("special: {splits: [{sku: XYZ-1, quantity: 1, on: 2027-01-01}]}"),
        "special",
        "unknown SKU XYZ-1",
        id="split-of-unknown-sku",
    ),
    pytest.param(
        edited("due_days: 30", "due_day: 30"),
        "payment.due_day",
        "did you mean due_days?",
        id="nested-typo",
    ),
    pytest.param(added("1: one"), "1", "is not a known field", id="numeric-field"),
    pytest.param(added("yes: please"), "yes", "is not a known field", id="yes-field"),
    pytest.param(
        added("deal notes: call back"), "['deal notes']", "is not a known field", id="spaced-field"
    ),
    pytest.param(
        edited("  segment: {industry: beverage,", "  segment: {industry: [beverage, food],"),
        "buyer.segment.industry",
        "must be text",
        id="segment-not-text",
    ),
]


@pytest.mark.parametrize(("text", "path", "fragment"), ONE_PROBLEM)
def test_rejects_a_bad_field_in_one_line_naming_its_path(
    text: str, path: str, fragment: str
) -> None:
    exc = refusal(text)

    assert [p.path for p in exc.problems] == [path], str(exc)
    assert fragment in exc.problems[0].message
    assert str(exc).startswith(f"deal file: 1 problem: {path + ': ' if path else ''}")


def test_rejects_zero_quantity_naming_the_item() -> None:
    exc = refusal(edited("quantity: 2\n", "quantity: 0\n"))

    assert str(exc) == "deal file: 1 problem: items[0].quantity: must be more than 0"


def test_rejects_a_typo_in_a_field_name_and_suggests_the_field() -> None:
    exc = refusal(edited("title: Conveyor", "tittle: Conveyor"))

    assert [str(p) for p in exc.problems] == [
        "title: is required",
        "tittle: is not a known field; did you mean title?",
    ]


def test_lists_every_problem_of_a_file_in_one_message() -> None:
    document = sample_document()
    document["items"][0]["quantity"] = 0
    document["items"][1]["quantity"] = -3
    document["currency"] = "XYZ"

    exc = refusal(as_yaml(document))

    assert len(exc.problems) == 3
    assert {p.path for p in exc.problems} == {"currency", "items[0].quantity", "items[1].quantity"}
    assert str(exc).startswith("deal file: 3 problems: ")
    assert "unknown currency 'XYZ'" in str(exc)


def test_lists_every_kind_of_problem_together() -> None:
    document = sample_document()
    del document["seller"]
    document["discount"] = "250%"
    document["delivery"]["by"] = "31.12.2027"
    document["tittle"] = "typo"

    exc = refusal(as_yaml(document))

    assert {p.path for p in exc.problems} == {"seller", "discount", "delivery.by", "tittle"}


def test_the_message_names_the_file_it_came_from(tmp_path: Path) -> None:
    bad = tmp_path / "deal.yaml"
    bad.write_text(edited("currency: IDR", "currency: XYZ"), encoding="utf-8")

    with pytest.raises(DealFileError) as caught:
        load_deal_file(bad)

    assert caught.value.source == str(bad)
    assert str(caught.value).startswith(f"{bad}: 1 problem: currency: unknown currency 'XYZ'")


# Numbers that are not amounts ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "fragment"),
    [
        (".nan", "'.nan' is not a number"),
        (".NaN", "is not a number"),
        (".inf", "'.inf' is not a number"),
        ("-.inf", "'-.inf' is not a number"),
        ('"NaN"', "not a finite number"),
        ('"Infinity"', "not a finite number"),
        ('"1e30"', "larger than dealflow accepts"),
        ("1.0e+30", "larger than dealflow accepts"),
        ("1000000000000000000000000000000", "larger than dealflow accepts"),
        ("1_000_000_000_000_001", "larger than dealflow accepts"),
    ],
)
def test_refuses_an_amount_that_is_not_a_sensible_number(written: str, fragment: str) -> None:
    exc = refusal(edited('unit_price: "4500000"', f"unit_price: {written}"))

    assert [p.path for p in exc.problems] == ["items[1].unit_price"]
    assert fragment in exc.problems[0].message


@pytest.mark.parametrize(
    ("constant", "fragment"),
    [
        ("NaN", "NaN is not a number JSON allows"),
        ("Infinity", "Infinity is not a number JSON allows"),
        ("1e30", "larger than dealflow accepts"),
    ],
)
def test_refuses_a_json_amount_that_is_not_a_sensible_number(constant: str, fragment: str) -> None:
    text = as_json(sample_document()).replace('"4500000"', constant)

    exc = refusal(text, fmt="json")

    assert fragment in str(exc)


def test_refuses_a_subtotal_above_what_dealflow_accepts_naming_the_items() -> None:
    text = edited('unit_price: "150000000"', 'unit_price: "999999999999999"').replace(
        "quantity: 2\n", "quantity: 1000000\n"
    )

    exc = refusal(text)

    assert [str(p) for p in exc.problems] == [
        "items: the subtotal is larger than dealflow accepts (10^15)"
    ]


def test_refuses_a_number_written_with_thousands_of_digits_quickly() -> None:
    started = time.perf_counter()
    yaml_exc = refusal(edited("quantity: 2\n", f"quantity: {'9' * 5000}\n"))
    json_exc = refusal(
        as_json(sample_document()).replace('"quantity": 2', f'"quantity": {"9" * 5000}'),
        fmt="json",
    )

    assert time.perf_counter() - started < 1
    assert "more than 40 digits" in str(yaml_exc)
    assert "more than 40 digits" in str(json_exc)


def test_shortens_a_huge_value_quoted_in_a_message() -> None:
    exc = refusal(edited('unit_price: "4500000"', f'unit_price: "{"9" * 100_000}"'))

    assert [p.path for p in exc.problems] == ["items[1].unit_price"]
    assert len(str(exc)) < 400


# Files that are not deal files at all -------------------------------------------------------

NOT_A_DEAL_FILE = [
    pytest.param("", "yaml", "a deal file must be a mapping of fields, but this one is empty"),
    pytest.param("# nothing but a comment\n\n", "yaml", "this one is empty", id="comment-only"),
    pytest.param("- CNV-200\n- SNS-10\n", "yaml", "but this one is a list", id="list"),
    pytest.param("[1, 2, 3]", "json", "but this one is a list", id="json-list"),
    pytest.param("Conveyor line upgrade\n", "yaml", "a single piece of text", id="text"),
    pytest.param("42\n", "yaml", "but this one is a single number", id="number"),
    pytest.param("2027-01-15\n", "yaml", "but this one is a single date", id="date"),
    pytest.param('"just a string"', "json", "a single piece of text", id="json-string"),
    pytest.param("null", "json", "this one is empty", id="json-null"),
    pytest.param(
        "title: [unclosed\ncurrency: IDR\n",
        "yaml",
        "invalid YAML at line 2, column 9: expected ',' or ']'",
        id="yaml-syntax",
    ),
    pytest.param(
        "title: Conveyor\n  currency: IDR\n",
        "yaml",
        "invalid YAML at line 2, column 11: mapping values are not allowed here",
        id="yaml-indentation",
    ),
    pytest.param(
        "title:\tConveyor\n\tcurrency: IDR\n",
        "yaml",
        "invalid YAML at line 1, column 7: found character '\\t' that cannot start any token",
        id="yaml-tab",
    ),
    pytest.param(
        '{"title": "Conveyor",}',
        "json",
        "invalid JSON at line 1, column 22: Expecting property name enclosed in double quotes",
        id="json-trailing-comma",
    ),
    pytest.param(
        "{'title': 'Conveyor'}",
        "json",
        "invalid JSON at line 1, column 2",
        id="json-single-quotes",
    ),
    pytest.param(
        b"title: Conveyor \xff\xfe caf\xe9\n", "yaml", "the file is not UTF-8 text", id="latin-1"
    ),
    pytest.param(b'{"title": "caf\xe9"}', "json", "the file is not UTF-8 text", id="json-latin-1"),
    pytest.param(
        added("currency: USD"),
        "yaml",
        f"invalid YAML at line {SAMPLE_LINES + 1}, column 1: the key 'currency' appears twice",
        id="duplicate-key",
    ),
    pytest.param(
        edited("  - sku: SNS-10\n", "  - sku: SNS-10\n    sku: SNS-11\n"),
        "yaml",
        "the key 'sku' appears twice",
        id="duplicate-nested-key",
    ),
    pytest.param(
        '{"title": "a", "title": "b"}', "json", "the key 'title' appears twice", id="json-dup"
    ),
    pytest.param(
        "? [a, b]\n: value\n",
        "yaml",
        "line 1, column 3: a key must be a plain value",
        id="list-key",
    ),
    pytest.param("a: &a [*a]\n", "yaml", "recursive", id="self-referencing-alias"),
    pytest.param(
        "title: " + "[" * 2_000 + "]" * 2_000, "yaml", "nested too deeply", id="deep-yaml"
    ),
    pytest.param(
        '{"title": ' + "[" * 100_000 + "]" * 100_000 + "}", "json", "nested too deeply", id="deep"
    ),
    pytest.param("title: !!bool maybe\n", "yaml", "cannot read 'maybe' as !!bool", id="bad-bool"),
    pytest.param("payment: {<<: 5}\n", "yaml", "a merge key (<<) must name a mapping", id="merge"),
    pytest.param(
        "#" * (MAX_FILE_BYTES + 1), "yaml", "the file is larger than 8,388,608 bytes", id="big"
    ),
]


@pytest.mark.parametrize(("text", "fmt", "fragment"), NOT_A_DEAL_FILE)
def test_rejects_a_file_that_is_not_a_deal_file(text: str | bytes, fmt: str, fragment: str) -> None:
    exc = refusal(text, fmt=fmt)

    assert [p.path for p in exc.problems] == [""]
    assert fragment in exc.problems[0].message


@pytest.mark.parametrize(
    "tag",
    [
        "!!python/object/apply:os.system",
        "!!python/object/new:subprocess.Popen",
        "!!python/name:os.system",
        "!!python/module:os",
    ],
)
def test_refuses_python_tags_and_runs_nothing(tmp_path: Path, tag: str) -> None:
    marker = tmp_path / "pwned"
    text = added(f"notes: {tag} [['touch {marker}']]")

    exc = refusal(text)

    assert f"line {SAMPLE_LINES + 1}, column 8: the tag {tag} is not allowed" in str(exc)
    assert not marker.exists()


def billion_laughs(levels: int = 9) -> str:
    """The classic: nine levels of nine aliases to the level below, 9^9 'lol's."""
    lines = ['lol0: &lol0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for n in range(1, levels + 1):
        aliases = ", ".join([f"*lol{n - 1}"] * 9)
        lines.append(f"lol{n}: &lol{n} [{aliases}]")
    return "\n".join(lines) + "\n"


def merge_bomb(levels: int = 9) -> str:
    """The same with merge keys, which PyYAML would flatten into 9^9 entries before building."""
    keys = ", ".join(f"k{i}: lol" for i in range(9))
    lines = [f"m0: &m0 {{{keys}}}"]
    for n in range(1, levels + 1):
        aliases = ", ".join([f"*m{n - 1}"] * 9)
        lines.append(f"m{n}: &m{n} {{<<: [{aliases}]}}")
    return "\n".join(lines) + f"\n<<: *m{levels}\n"


@pytest.mark.parametrize(
    "text",
    [
        pytest.param(billion_laughs(), id="billion-laughs"),
        pytest.param(SAMPLE_TEXT + billion_laughs(), id="billion-laughs-in-a-deal-file"),
        pytest.param(
            edited("  segment: {industry: beverage", "  segment: {industry: *lol9").replace(
                "title: Conveyor", billion_laughs() + "title: Conveyor", 1
            ),
            id="billion-laughs-in-a-field",
        ),
    ],
)
def test_refuses_a_yaml_alias_bomb_fast(text: str) -> None:
    started = time.perf_counter()
    exc = refusal(text)
    elapsed = time.perf_counter() - started

    assert elapsed < 0.5, f"took {elapsed:.2f}s"
    assert f"the document expands to more than {MAX_NODES:,} values" in str(exc)


def test_refuses_a_yaml_merge_key_bomb_fast() -> None:
    started = time.perf_counter()
    with pytest.raises(DealFileError) as caught:
        parse_deal_spec(merge_bomb())
    elapsed = time.perf_counter() - started

    assert elapsed < 0.5, f"took {elapsed:.2f}s"
    assert_readable(caught.value)


def test_a_document_just_under_the_size_limit_is_not_a_bomb() -> None:
    # Nine levels of four: 4^9 is past the budget; five levels (4^5 = 1,024) are fine and
    # are then refused for what they are (an unknown field), not for their size.
    text = (
        SAMPLE_TEXT
        + "extras: &x0 [1, 2, 3, 4]\n"
        + "".join(
            f"x{n}: &x{n} [*x{n - 1}, *x{n - 1}, *x{n - 1}, *x{n - 1}]\n" for n in range(1, 6)
        )
    )

    exc = refusal(text)

    assert {p.path for p in exc.problems} == {"extras", "x1", "x2", "x3", "x4", "x5"}


# Files on disk ------------------------------------------------------------------------------


def test_refuses_a_missing_file(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-deal.yaml"

    with pytest.raises(DealFileError) as caught:
        load_deal_file(missing)

    assert_readable(caught.value)
    assert str(caught.value) == f"{missing}: 1 problem: no such file"


def test_refuses_a_folder(tmp_path: Path) -> None:
    with pytest.raises(DealFileError) as caught:
        load_deal_file(tmp_path)

    assert_readable(caught.value)
    assert str(caught.value) == f"{tmp_path}: 1 problem: is a folder, not a deal file"


def test_refuses_a_file_larger_than_the_limit_without_reading_it_all(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    with big.open("wb") as handle:
        handle.truncate(MAX_FILE_BYTES * 4)  # sparse: large on paper, cheap on disk

    with pytest.raises(DealFileError) as caught:
        load_deal_file(big)

    assert_readable(caught.value)
    assert "larger than 8,388,608 bytes" in str(caught.value)


@pytest.mark.parametrize(("size", "loads"), [(MAX_FILE_BYTES, True), (MAX_FILE_BYTES + 1, False)])
def test_the_size_limit_is_exact(tmp_path: Path, size: int, loads: bool) -> None:
    # JSON padded with spaces: the limit is on bytes read, whatever the format.
    padded = tmp_path / "padded.json"
    data = as_json(sample_document()).encode()
    padded.write_bytes(data + b" " * (size - len(data)))

    if loads:
        assert load_deal_file(padded) == load_deal_file(SAMPLE_FILE)
    else:
        with pytest.raises(DealFileError, match="larger than 8,388,608 bytes"):
            load_deal_file(padded)


def test_refuses_an_endless_device_instead_of_reading_forever() -> None:
    with pytest.raises(DealFileError) as caught:
        load_deal_file("/dev/zero")

    assert str(caught.value) == "/dev/zero: 1 problem: is a character device, not a deal file"


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("deal.json", b'{"title": "Conveyor",\n "currency": }', "invalid JSON at line 2, column"),
        ("deal.JSON", b"title: Conveyor\n", "invalid JSON at line 1, column 1"),
        ("deal.yaml", b"title: caf\xe9\n", "the file is not UTF-8 text"),
        ("deal.yml", b"\x00\x01\x02", "invalid YAML"),
        ("deal.txt", b"- a list\n", "but this one is a list"),
    ],
)
def test_reads_json_by_its_suffix_and_everything_else_as_yaml(
    tmp_path: Path, name: str, content: bytes, fragment: str
) -> None:
    file = tmp_path / name
    file.write_bytes(content)

    with pytest.raises(DealFileError) as caught:
        load_deal_file(file)

    assert_readable(caught.value)
    assert caught.value.source == str(file)
    assert fragment in str(caught.value)


# Nothing is written --------------------------------------------------------------------------


def test_a_rejected_file_opens_no_deal_in_the_store(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(edited("quantity: 2\n", "quantity: 0\n"), encoding="utf-8")
    service = staffed(dealflow.connect("sqlite:///" + str(tmp_path / "deals.db")))
    try:
        with pytest.raises(DealFileError):
            service.open_deal(load_deal_file(bad))
        assert service.store.deal_ids() == []

        # The store works: the good file does open a deal.
        service.open_deal(load_deal_file(SAMPLE_FILE))
        assert len(service.store.deal_ids()) == 1
    finally:
        service.close()


def test_loading_leaves_the_folder_and_the_file_as_they_were(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(edited("currency: IDR", "currency: XYZ"), encoding="utf-8")
    good = tmp_path / "good.yaml"
    good.write_bytes(SAMPLE_FILE.read_bytes())
    before = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in tmp_path.iterdir()}

    with pytest.raises(DealFileError):
        load_deal_file(bad)
    load_deal_file(good)

    after = {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in tmp_path.iterdir()}
    assert after == before


# Hostile input in general --------------------------------------------------------------------


def assert_loads_or_refuses_readably(text: str | bytes, fmt: str) -> None:
    try:
        spec = parse_deal_spec(text, fmt=fmt)
    except DealFileError as exc:
        assert_readable(exc)
    else:
        assert isinstance(spec, DealSpec)


@given(st.text(max_size=300))
def test_any_text_either_loads_or_is_refused_readably(text: str) -> None:
    assert_loads_or_refuses_readably(text, "yaml")
    assert_loads_or_refuses_readably(text, "json")


@given(st.binary(max_size=300))
def test_any_bytes_either_load_or_are_refused_readably(data: bytes) -> None:
    assert_loads_or_refuses_readably(data, "yaml")
    assert_loads_or_refuses_readably(data, "json")


YAML_SNIPPETS = st.sampled_from(
    [
        "a: 1",
        "- x",
        "? k",
        "&a x",
        "*a",
        "!!int x",
        "!!float x",
        "!!timestamp x",
        "!!binary x",
        "!!set {a}",
        "!!omap [a: 1]",
        "<<: *a",
        "{",
        "[",
        '"',
        "'",
        "|",
        ">",
        "---",
        "...",
        "%YAML 1.1",
        "#",
        "2027-99-99",
        "0o17",
        "0x",
        "1:2:3",
        ".nan",
        "=",
        "\t",
        "  ",
        "\n",
    ]
)


@given(st.lists(YAML_SNIPPETS, max_size=30).map(" ".join))
def test_any_mix_of_yaml_syntax_either_loads_or_is_refused_readably(text: str) -> None:
    assert_loads_or_refuses_readably(text, "yaml")


def paths_of(value: object, prefix: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    """Every path to a value in the document, the document's own fields first."""
    found: list[tuple[str | int, ...]] = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths_of(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths_of(item, (*prefix, index))
    return found


def dotted(path: tuple[str | int, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".")


JUNK = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.text(max_size=20)
    | st.dates().map(str)
    | st.sampled_from(["0", "-1", "1e30", "NaN", "150%", "IDR", "", " "]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=5,
)


@WHOLE_FILE
@given(st.sampled_from(paths_of(sample_document())), JUNK, st.sampled_from(["yaml", "json"]))
def test_junk_anywhere_in_the_sample_is_reported_at_that_place(
    path: tuple[str | int, ...], junk: object, fmt: str
) -> None:
    document = copy.deepcopy(sample_document())
    parent: Any = document
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = junk
    text = as_yaml(document) if fmt == "yaml" else as_json(document)

    try:
        parse_deal_spec(text, fmt=fmt)
    except DealFileError as exc:
        assert_readable(exc)
        where = dotted(path)
        for problem in exc.problems:
            # At the junk, inside it, or at a field that contains it (a repeated SKU is
            # reported on `items`), never somewhere unrelated.
            assert problem.path.startswith(where) or where.startswith(problem.path), str(exc)


# The JSON Schema ------------------------------------------------------------------------------


def test_the_schema_is_a_json_document_requiring_the_essentials() -> None:
    schema = deal_file_schema()

    assert isinstance(schema, dict)
    assert json.loads(json.dumps(schema)) == schema
    assert schema["title"] == "dealflow deal file"
    assert schema["type"] == "object"
    assert schema["additionalProperties"] is False
    assert {"title", "currency", "seller", "buyer", "items"} <= set(schema["required"])
    assert dealflow.deal_file_schema() == schema


def test_every_field_of_the_sample_is_a_property_of_the_schema() -> None:
    properties = deal_file_schema()["properties"]

    assert set(sample_document()) <= set(properties)
    assert set(properties) == set(DealSpec.model_fields)


def test_the_sample_is_valid_under_the_schema() -> None:
    validator = jsonschema.Draft202012Validator(
        deal_file_schema(), format_checker=jsonschema.FormatChecker()
    )
    jsonschema.Draft202012Validator.check_schema(deal_file_schema())

    document = json.loads(as_json(sample_document()))

    assert [e.message for e in validator.iter_errors(document)] == []


@pytest.mark.parametrize(
    ("change", "valid"),
    [
        ({"discount": "5%"}, True),
        ({"discount": "1500000"}, True),
        ({"discount": {"percent": "7.5%"}}, True),
        ({"discount": {"amount": 1500000}}, True),
        ({"tax_rate": 11}, True),
        ({"currency": "usd"}, True),
        ({"discount": "a lot"}, False),
        ({"tax_rate": "eleven"}, False),
        ({"tittle": "typo"}, False),
        ({"currency": "RUPIAH"}, False),
        ({"language": "fr"}, False),
    ],
)
def test_the_schema_describes_what_the_loader_accepts(change: dict[str, Any], valid: bool) -> None:
    validator = jsonschema.Draft202012Validator(deal_file_schema())
    document = {**json.loads(as_json(sample_document())), **change}

    assert validator.is_valid(document) is valid
    if valid:
        parse_deal_spec(json.dumps(document), fmt="json")
    else:
        with pytest.raises(DealFileError):
            parse_deal_spec(json.dumps(document), fmt="json")


def test_the_schema_refuses_a_file_without_a_seller() -> None:
    validator = jsonschema.Draft202012Validator(deal_file_schema())
    document = json.loads(as_json(sample_document()))
    del document["seller"]

    assert not validator.is_valid(document)
