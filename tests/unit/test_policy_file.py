"""Seller policy files: the shipped sample loads, defaults fill what is left out, and a bad
file is refused with every problem by field path."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest

import dealflow
from dealflow.domain.policy import BuyerClass, SellerPolicy, Tactic
from dealflow.files.policy import load_policy_file, parse_policy

SAMPLE_POLICY = Path(dealflow.__file__).parent / "samples" / "policy.yaml"


def test_the_sample_policy_loads() -> None:
    policy = load_policy_file(SAMPLE_POLICY)
    assert policy.discount_ceiling.for_class(BuyerClass.LOYAL) == Decimal(20)
    assert policy.approvals.manager_above_total == Decimal(5_000_000_000)
    assert policy.buyer_classes.loyal_after_signed_deals == 3
    assert policy.preferences.tactic is Tactic.BOULWARE
    assert policy.preferences.issues["discount"].worst == Decimal(20)
    rules = policy.approval_policy(BuyerClass.REPEAT)
    assert rules.discount_ceiling == Decimal(15)
    assert policy.after_sales.grace_days == 14
    assert policy.relationship.silence_days == 60
    assert policy.buyer_value.margin == Decimal(20)


def test_the_shared_example_policy_without_after_sales_sections_gets_the_defaults() -> None:
    text = SAMPLE_POLICY.read_text("utf-8").split("after_sales:")[0]
    policy = parse_policy(text)
    assert policy.after_sales == load_policy_file(SAMPLE_POLICY).after_sales
    assert policy.relationship.renewal_window_days == 90


def test_an_empty_section_keeps_the_defaults() -> None:
    assert parse_policy("approvals: {legal_for_non_standard_clauses: false}\n") == SellerPolicy(
        approvals={"legal_for_non_standard_clauses": False}  # type: ignore[arg-type]
    )
    assert parse_policy("{}") == SellerPolicy()


@pytest.mark.parametrize(
    ("text", "fragments"),
    [
        (
            "discount_ceiling: {prospect: 150%}",
            ["discount_ceiling.prospect", "between 0% and 100%"],
        ),
        ("discount_ceiling: {vip: 3%}", ["discount_ceiling.vip", "not a known field"]),
        ("approvals: [1]", ["approvals: must be a section"]),
        ("buyer_classes: {repeat_after_signed_deals: 4, loyal_after_signed_deals: 2}", ["loyal"]),
        ("preferences: {tactic: stubborn}", ["preferences.tactic", "boulware"]),
        ("preferences: {issues: {colour: {weight: 1, best: 0, worst: 1}}}", ["colour"]),
        ("after_sales: {grace_days: -1}", ["after_sales.grace_days"]),
        ("relationship: {silence_days: 0}", ["relationship.silence_days"]),
        ("buyer_value: {margin: 120%}", ["buyer_value.margin", "between 0% and 100%"]),
        ("buyer_value: {purchases_per_year: 0}", ["buyer_value.purchases_per_year"]),
        ("- a list", ["a policy file must be a mapping"]),
        ("a: [", ["invalid YAML"]),
    ],
)
def test_a_bad_policy_is_refused_with_every_problem(text: str, fragments: list[str]) -> None:
    with pytest.raises(dealflow.PolicyFileError) as caught:
        parse_policy(text)
    message = str(caught.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message


def test_a_missing_policy_file_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(dealflow.PolicyFileError, match="no such file"):
        load_policy_file(tmp_path / "nope.yaml")
