"""Messages in a rep's words: pydantic's refusals rewritten in one place, counts in the right
number ("1 day", "3 days"), and a silence that is never negative."""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal
from pathlib import Path
from typing import Annotated

import pytest
from pydantic import BaseModel, Field, ValidationError, field_validator

import dealflow
from dealflow import Stage
from dealflow.domain.advisor.deal_terms import describe
from dealflow.domain.messages import counted, location, plain_errors, plain_message
from dealflow.domain.terms import TermsChange
from tests.paths import drive_to

SCHEMAS = Path(dealflow.__file__).parent / "schemas"


class Sample(BaseModel):
    score: Annotated[int, Field(ge=1, le=5)] = 3
    amount: Decimal = Decimal(0)
    label: str = "x"

    @field_validator("amount")
    @classmethod
    def _small(cls, value: Decimal) -> Decimal:
        if value > 100:
            raise ValueError(f"amount {value!r} is larger than 100")
        return value


def _error(**values: object) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        Sample.model_validate(values)
    return caught.value


@pytest.mark.parametrize(
    ("number", "unit", "expected"),
    [
        (0, "day", "0 days"),
        (1, "day", "1 day"),
        (2, "day", "2 days"),
        (-1, "day", "-1 days"),
        (1_500, "day", "1,500 days"),
        (1.0, "hour", "1 hour"),
        (1.5, "hour", "1.5 hours"),
        (12, "month", "12 months"),
    ],
)
def test_a_count_is_singular_for_exactly_one(number: float, unit: str, expected: str) -> None:
    assert counted(number, unit) == expected


def test_a_validators_own_message_is_kept_without_pydantics_prefix() -> None:
    error = _error(amount="1E+999")
    assert "Value error" in error.errors()[0]["msg"]  # what pydantic says
    assert plain_message(error.errors()[0]) == "amount 1E+999 is larger than 100"


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ({"score": 9}, "score: must be 5 or less"),
        ({"score": 0}, "score: must be 1 or more"),
        ({"score": "many"}, "score: must be a whole number"),
        ({"amount": "lots"}, "amount: must be a number"),
        ({"label": 5}, "label: must be text"),
    ],
)
def test_pydantics_phrases_are_rewritten(values: dict[str, object], expected: str) -> None:
    assert plain_errors(_error(**values)) == expected


def test_every_error_is_listed_on_one_line_with_its_field() -> None:
    error = _error(score=9, label=5)
    assert plain_errors(error) == "score: must be 5 or less; label: must be text"
    assert plain_errors(error, where=False) == "must be 5 or less; must be text"
    assert location(("items", 0, "quantity")) == "items[0].quantity"
    assert location(("unit_prices", "SNS-10")) == "unit_prices.SNS-10"


def test_the_engine_words_a_refused_change_plainly(
    service: dealflow.DealService, spec: dealflow.DealSpec
) -> None:
    deal_id = drive_to(service, spec, Stage.NEGOTIATING)
    deal = service.get(deal_id)
    buyer = dealflow.Actor(name=deal.buyer.representative.name, role=dealflow.Role.BUYER)
    seller = dealflow.Actor(name=deal.seller.representative.name, role=dealflow.Role.SELLER)
    change = TermsChange(unit_prices={"SNS-10": Decimal("1E+14")}, quantities={"SNS-10": 100})
    for who in (buyer, seller):
        try:
            service.counter(deal_id, who, change)
        except dealflow.NotYourTurnError:
            continue
        except dealflow.InvalidTermsError as exc:
            assert "Value error" not in str(exc) and "Decimal(" not in str(exc), exc
            return
    pytest.fail("the change was not refused")


def test_the_advisor_counts_its_units_in_the_right_number() -> None:
    assert describe("payment_days", 1) == "1 day"
    assert describe("payment_days", 45) == "45 days"
    assert describe("response_hours", 1) == "1 hour"
    assert describe("warranty_months", 1) == "1 month"


def test_silence_is_never_negative_when_the_clock_is_before_the_last_contact(
    service: dealflow.DealService, clock: dealflow.FixedClock, spec: dealflow.DealSpec
) -> None:
    signed = drive_to(service, spec, Stage.SIGNED)
    last = service.get(signed).signatures[-1].at  # the buyer signed: the last contact
    clock.set(last - timedelta(days=30))
    health = service.health()[0].health
    assert health.last_contact == last
    assert health.days_since_contact == 0
    assert not health.silent
    clock.set(last + timedelta(days=1))
    assert service.health()[0].health.days_since_contact == 1


def test_the_health_schema_says_silence_is_never_negative() -> None:
    schema = json.loads((SCHEMAS / "health.schema.json").read_text("utf-8"))
    field = schema["$defs"]["Health"]["properties"]["days_since_contact"]
    assert field["minimum"] == 0
    assert "never negative" in field["description"]


def test_only_the_messages_module_rewrites_pydantic_phrasing() -> None:
    # One flattener: a module that strips "Value error, " or rewrites "Input should be" itself
    # would word the same refusal differently from every other layer.
    package = Path(dealflow.__file__).parent
    rewriting = [
        str(path.relative_to(package))
        for path in sorted(package.rglob("*.py"))
        if any(
            phrase in path.read_text("utf-8")
            for phrase in ('"Value error, "', '"Assertion failed, "', '"Input should be"')
        )
    ]
    assert rewriting == ["domain/messages.py"]
