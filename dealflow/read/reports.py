"""What the relationship use cases report: the clock's review and each buyer's standing.

:class:`Review` is what ``review`` did and what needs action; :class:`BuyerReport` is one
buyer's relationship health, value, renewals and the customer games seen in its deals. The
models live apart from the use cases (:mod:`dealflow.application.aftersales`) so that the
service can be
built without them: only ``review`` and ``health`` load them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from pydantic import AwareDatetime, BaseModel, ConfigDict

from dealflow.domain import aftersales as a
from dealflow.domain.buyer_value import BuyerValue, RenewalReminder, buyer_value, renewals
from dealflow.domain.deal import Deal
from dealflow.domain.events import CommitmentStatusChanged, DealCompleted, Event, ServiceStarted
from dealflow.domain.games import GameSignal, customer_games
from dealflow.domain.health import Health, health
from dealflow.domain.policy import SellerPolicy
from dealflow.domain.terms import Department

_VIEW = ConfigDict(frozen=True, extra="forbid")


class ReviewChange(BaseModel):
    """One thing the review recorded on a deal."""

    model_config = _VIEW

    deal_id: str
    buyer: str
    item: str | None
    change: str
    note: str


class Review(BaseModel):
    """What ``review`` did and what needs action: changes recorded, each owner's list for
    the week ahead, contracts to renew, and deals another writer changed meanwhile."""

    model_config = _VIEW

    at: AwareDatetime
    changes: list[ReviewChange]
    this_week: dict[Department, list[a.ActionItem]]
    renewals: list[RenewalReminder]
    skipped: list[str]


class BuyerReport(BaseModel):
    """One buyer: relationship health, value, and contracts to renew."""

    model_config = _VIEW

    buyer: str
    tax_id: str | None
    deals: list[str]
    health: Health
    value: BuyerValue
    renewals: list[RenewalReminder]
    #: Customer games seen in the buyer's deals (overdue payments, early renegotiation,
    #: competitor pressure, small discount requests), by deal id.
    signals: dict[str, list[GameSignal]]


def review_change(deal: Deal, event: Event) -> ReviewChange:
    """One event a review recorded, as the review lists it."""
    match event:
        case CommitmentStatusChanged(item=item, status=status, note=note):
            return ReviewChange(
                deal_id=deal.id, buyer=deal.buyer.name, item=item, change=status.value, note=note
            )
        case ServiceStarted(note=note):
            change, text = "service started", note or ""
        case DealCompleted(reason=reason):
            change, text = "completed", reason or ""
        case _:
            change, text = type(event).__name__, ""
    return ReviewChange(deal_id=deal.id, buyer=deal.buyer.name, item=None, change=change, note=text)


def buyer_report(group: Sequence[Deal], now: datetime, policy: SellerPolicy) -> BuyerReport:
    """One buyer's report from its deals (oldest first) at ``now``."""
    dated = [(deal, a.commitments_of(deal)) for deal in group]
    signed_at = [d.contracts[0].signed_at for d in group if d.contracts]
    latest = group[-1].buyer
    return BuyerReport(
        buyer=latest.name,
        tax_id=latest.tax_id,
        deals=[d.id for d in group],
        health=health(dated, now, policy.relationship),
        value=buyer_value(group, policy.buyer_classes.classify(signed_at, now), policy.buyer_value),
        renewals=renewals(dated, now.date(), policy.relationship.renewal_window_days),
        signals={deal.id: list(seen) for deal in group if (seen := customer_games(deal, now))},
    )
