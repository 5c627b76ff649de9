"""Buyer value: the buyer's class, an estimate of customer lifetime value, and renewal
reminders for contracts whose term ends soon.

Lifetime value = average deal value x purchases per year x expected relationship years x
margin. The average is over the buyer's signed deals (net of discount, before tax: tax is not
the seller's), in the currency of the latest one; the other three factors come from the
seller's policy and are shown beside the estimate, so the figure can be argued with.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, PlainSerializer, WithJsonSchema

from dealflow.domain.commitments import Commitment, term_end
from dealflow.domain.deal import Deal
from dealflow.domain.lifecycle import Stage
from dealflow.domain.money import Money, Percent, round_to_minor_unit
from dealflow.domain.policy import BuyerClass, BuyerValueFactors

_FROZEN = ConfigDict(frozen=True, extra="forbid")
#: A factor of the estimate, exact, written as a string in JSON (its schema does not depend on
#: how a pydantic version describes decimals).
Factor = Annotated[
    Decimal,
    PlainSerializer(str, when_used="json"),
    WithJsonSchema({"type": "string", "examples": ["1.5"]}, mode="serialization"),
]


class RenewalReminder(BaseModel):
    """A contract in force whose term ends within the policy's window."""

    model_config = _FROZEN

    deal_id: str
    title: str
    term_ends: date
    days_left: int


class BuyerValue(BaseModel):
    """What the buyer is worth to the seller, and how the estimate was made."""

    model_config = _FROZEN

    buyer_class: BuyerClass
    signed_deals: int
    average_deal_value: Money | None
    purchases_per_year: Factor
    relationship_years: Factor
    margin: Percent
    lifetime_value: Money | None
    explanation: str


def buyer_value(
    deals: Sequence[Deal], buyer_class: BuyerClass, factors: BuyerValueFactors
) -> BuyerValue:
    """The buyer's lifetime value from their signed ``deals`` and the policy's factors."""
    signed = sorted((d for d in deals if d.contracts), key=lambda d: d.contracts[0].signed_at)
    avg_money = clv = None
    explanation = "no signed deal yet: no value to estimate from"
    if signed:
        currency = signed[-1].terms.currency
        nets = [d.terms.totals.net.amount for d in signed if d.terms.currency == currency]
        average = round_to_minor_unit(sum(nets, Decimal(0)) / len(nets), currency)
        years = factors.purchases_per_year * factors.relationship_years
        value = round_to_minor_unit(average * years * factors.margin / 100, currency)
        avg_money = Money(amount=average, currency=currency)
        clv = Money(amount=value, currency=currency)
        left_out = len(signed) - len(nets)
        other = f" ({left_out} deal(s) in other currencies left out)" if left_out else ""
        explanation = (
            f"{avg_money} average over {len(nets)} signed deal(s){other} x "
            f"{factors.purchases_per_year.normalize():f} purchase(s) a year x "
            f"{factors.relationship_years.normalize():f} year(s) x "
            f"{factors.margin.normalize():f}% margin = {clv}"
        )
    return BuyerValue(
        buyer_class=buyer_class,
        signed_deals=len(signed),
        average_deal_value=avg_money,
        purchases_per_year=factors.purchases_per_year,
        relationship_years=factors.relationship_years,
        margin=factors.margin,
        lifetime_value=clv,
        explanation=explanation,
    )


def renewals(
    deals: Sequence[tuple[Deal, Sequence[Commitment]]], today: date, window_days: int
) -> list[RenewalReminder]:
    """The contracts in force whose term (their last commitment's date) ends within
    ``window_days`` of ``today``, soonest first."""
    found = []
    for deal, commitments in deals:
        if deal.stage not in (Stage.SIGNED, Stage.IN_SERVICE):
            continue
        end = term_end(tuple(commitments))
        if end is None:
            continue
        left = (end - today).days
        if 0 <= left <= window_days:
            found.append(
                RenewalReminder(deal_id=deal.id, title=deal.title, term_ends=end, days_left=left)
            )
    return sorted(found, key=lambda r: r.days_left)
