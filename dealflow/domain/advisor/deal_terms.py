"""A deal's terms as the advisor sees them, and back: which of the policy's negotiable issues a
deal can be advised on, the grid of values each takes, an offer's terms read as an advisor
:data:`~dealflow.domain.advisor.space.Outcome`, and a suggested outcome written as the
:class:`~dealflow.domain.terms.TermsChange` a rep would send.

The issues and how each is read from :class:`~dealflow.domain.terms.Terms`:

=================== ============================================================ ==========
issue               read as                                                      unit
=================== ============================================================ ==========
``discount``        the stated percentage (an amount discount: its share of the   percent
                    subtotal)
``payment_days``    the invoice's payment days                                   days
``warranty_months`` the warranty promise's months (no warranty: 0)               months
``delivery_days``   days from the day the offer was made to its delivery date    days
``response_hours``  the warranty's response time                                 hours
=================== ============================================================ ==========

Only the issues named in the policy's preferences count. An issue the deal cannot carry is
left out (and the others' weights scaled to sum to 1), with the reason: delivery days when no
version names a delivery date or the terms have no delivery place to date, a response time
when no version states one or there is no warranty to attach it to. A version that does not
state a delivery date or response time the deal has stated before keeps the value read from
the version before it. A value beyond the policy's best or worst is counted at that end for
the utility, and a note says so.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import date, timedelta
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from pydantic import BaseModel, ConfigDict

from dealflow.domain.advisor.space import Issue, IssueSpace, Outcome
from dealflow.domain.messages import counted
from dealflow.domain.policy import IssuePreference, Preferences
from dealflow.domain.terms import Discount, Terms, TermsChange
from dealflow.errors import ActionRefusedError

#: Every issue the advisor knows, in the order it lists them.
ISSUES = ("discount", "payment_days", "warranty_months", "delivery_days", "response_hours")
#: The unit each issue is counted in, for people.
UNITS = {
    "discount": "%",
    "payment_days": "days",
    "warranty_months": "months",
    "delivery_days": "days",
    "response_hours": "hours",
}
#: What each issue is called in a sentence.
LABELS = {
    "discount": "discount",
    "payment_days": "payment",
    "warranty_months": "warranty",
    "delivery_days": "delivery",
    "response_hours": "response time",
}
#: The one issue allowed any value between its ends, so that a counter-offer can hit its
#: target utility exactly: a discount can be any percentage, the others come in practical steps.
CONTINUOUS = "discount"
#: The steps each issue's grid may use, largest first: payment and delivery in half months
#: (then weeks, then days), warranties in half years, response times in whole days (then
#: 4-hour shifts). A grid uses the largest step that leaves at least two intervals.
STEPS: dict[str, tuple[int, ...]] = {
    "discount": (1,),
    "payment_days": (15, 7, 1),
    "delivery_days": (15, 7, 1),
    "warranty_months": (6, 3, 1),
    "response_hours": (24, 4, 1),
}
#: At most this many intervals per grid (the step is widened beyond): the discrete grids'
#: product is what a counter-offer searches, so it must stay small. The discount's grid only
#: enumerates outcomes for the simulation's frontier, so it may be finer.
MAX_INTERVALS = {"discount": 100}
DEFAULT_MAX_INTERVALS = 12
#: A counter-offer's discount is written to the hundredth of a percent.
DISCOUNT_PLACES = Decimal("0.01")


def _number(value: float) -> str:
    return f"{value:g}"


def describe(issue: str, value: float) -> str:
    """A value as a rep reads it: ``7.5%``, ``45 days``."""
    unit = UNITS[issue]
    if unit == "%":
        return f"{value:.2f}".rstrip("0").rstrip(".") + "%"
    return counted(value, unit.removesuffix("s"))  # the units are plural: "days"


#: How each issue's value reads in a sentence.
PHRASES = {
    "discount": "{} discount",
    "payment_days": "payment in {}",
    "warranty_months": "{} warranty",
    "delivery_days": "delivery in {}",
    "response_hours": "response within {}",
}


def phrase(issue: str, value: float) -> str:
    """An issue's value in a sentence: ``payment in 45 days``, ``7.5% discount``."""
    return PHRASES[issue].format(describe(issue, value))


def issue_grid(name: str, preference: IssuePreference) -> tuple[float, ...]:
    """The values an issue's counter-offers take, from the policy's best to worst: both ends
    and the multiples of a practical step between them (none closer than half a step to an
    end), increasing. Days, months and hours must be whole numbers."""
    best, worst = float(preference.best), float(preference.worst)
    if name != CONTINUOUS and not (best.is_integer() and worst.is_integer()):
        raise ActionRefusedError(
            f"the policy's {name} preference must use whole {UNITS[name]}, not "
            f"{preference.best} to {preference.worst}"
        )
    low, high = min(best, worst), max(best, worst)
    span = high - low
    steps = STEPS[name]
    step = next((s for s in steps if span >= 2 * s), steps[-1])
    intervals = MAX_INTERVALS.get(name, DEFAULT_MAX_INTERVALS)
    step *= max(1, math.ceil(span / (step * intervals)))
    inner = [
        k * step
        for k in range(math.ceil(low / step), math.floor(high / step) + 1)
        if low + step / 2 <= k * step <= high - step / 2
    ]
    return (low, *(float(v) for v in inner), high)


class DealIssues(BaseModel):
    """The seller's issue space for one deal, and the policy's issues left out of it (each
    with the reason). Made by :func:`deal_issues`."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    space: IssueSpace
    skipped: dict[str, str]

    def read(self, terms: Terms, made_on: date, previous: Outcome | None = None) -> TermsReading:
        """One version's terms as an outcome (see the module's docstring)."""
        return read_terms(self.space, terms, made_on, previous)

    def change(self, outcome: Outcome, current: Terms, today: date) -> TermsChange:
        """The change that turns ``current`` into ``outcome`` (see :func:`change_for`)."""
        return change_for(self.space, outcome, current, today)


def _states_delivery_date(terms: Terms) -> bool:
    return terms.delivery is not None and terms.delivery.by is not None


def _states_response_time(terms: Terms) -> bool:
    return any(p.response_hours is not None for p in terms.after_sales if p.kind == "warranty")


def deal_issues(preferences: Preferences, versions: Sequence[Terms], current: Terms) -> DealIssues:
    """The seller's space over the policy's issues that these terms can carry: ``versions``
    are the terms on the table so far, ``current`` the terms a counter-offer would change.
    Raises ActionRefusedError when the policy names no issue, or none is left."""
    if not preferences.issues:
        raise ActionRefusedError(
            "the seller policy names no negotiable issues: add preferences.issues to the "
            "policy file (see the sample policy.yaml) and pass it with --policy"
        )
    skipped: dict[str, str] = {}
    names = [n for n in ISSUES if n in preferences.issues]
    if "delivery_days" in names:
        if current.delivery is None:
            skipped["delivery_days"] = "the terms name no delivery place to date a delivery for"
        elif not any(_states_delivery_date(t) for t in (*versions, current)):
            skipped["delivery_days"] = "no version of the terms names a delivery date"
    if "response_hours" in names:
        if current.warranty_months is None and "warranty_months" not in names:
            skipped["response_hours"] = "there is no warranty to attach a response time to"
        elif not any(_states_response_time(t) for t in (*versions, current)):
            skipped["response_hours"] = "no version of the terms states a response time"
    kept = [n for n in names if n not in skipped]
    total = math.fsum(float(preferences.issues[n].weight) for n in kept)
    if not kept or total <= 0:
        raise ActionRefusedError(
            "none of the policy's negotiable issues can be advised on for this deal"
            + (": " + "; ".join(f"{k}: {v}" for k, v in skipped.items()) if skipped else "")
        )
    issues = []
    for name in kept:
        preference = preferences.issues[name]
        issues.append(
            Issue(
                name=name,
                values=issue_grid(name, preference),
                best=float(preference.best),
                worst=float(preference.worst),
                # Scaled to sum to 1: the policy's weights need not, and skipped issues drop out.
                weight=float(preference.weight) / total,
                continuous=name == CONTINUOUS,
            )
        )
    return DealIssues(space=IssueSpace(issues=tuple(issues)), skipped=skipped)


class TermsReading(BaseModel):
    """One version's terms read as an outcome: the values as the terms state them, the values
    counted for the utility (within the policy's range), and notes on what was clamped or
    carried over."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    stated: dict[str, float]
    counted: dict[str, float]
    notes: tuple[str, ...] = ()


def _stated(terms: Terms, name: str, made_on: date) -> float | None:
    if name == "discount":
        percent = terms.discount.percent
        return float(percent if percent is not None else terms.discount_percent)
    if name == "payment_days":
        return float(terms.payment.due_days)
    if name == "warranty_months":
        return float(terms.warranty_months or 0)
    if name == "delivery_days":
        if terms.delivery is None or terms.delivery.by is None:
            return None
        return float((terms.delivery.by - made_on).days)
    for promise in terms.after_sales:
        if promise.kind == "warranty" and promise.response_hours is not None:
            return float(promise.response_hours)
    return None


def read_terms(
    space: IssueSpace, terms: Terms, made_on: date, previous: Outcome | None = None
) -> TermsReading:
    """The outcome of ``terms`` offered on ``made_on``; ``previous`` (the version before, as
    read) supplies a delivery date or response time this version leaves unstated, else the
    seller's best value is counted (nothing is promised)."""
    stated: dict[str, float] = {}
    counted: dict[str, float] = {}
    notes: list[str] = []
    for issue in space.issues:
        name = issue.name
        value = _stated(terms, name, made_on)
        if value is None:
            if previous is not None and name in previous:
                value = float(previous[name])
                notes.append(
                    f"{LABELS[name]} not stated: the version before's {describe(name, value)}"
                )
            else:
                value = issue.best
                notes.append(f"{LABELS[name]} not stated: counted as {describe(name, value)}")
        stated[name] = value
        within = min(issue.high, max(issue.low, value))
        if within != value:
            end = "best" if within == issue.best else "worst"
            notes.append(
                f"{LABELS[name]} {describe(name, value)} is beyond the policy's {end} "
                f"{describe(name, within)}: counted as {describe(name, within)}"
            )
        counted[name] = within
    return TermsReading(stated=stated, counted=counted, notes=tuple(notes))


def _towards_best(value: float, issue: Issue) -> Decimal:
    """A discount to the hundredth of a percent, rounded towards the seller's best (so the
    rounding never lowers the seller's utility), within the issue's bounds."""
    rounding = ROUND_FLOOR if issue.best < issue.worst else ROUND_CEILING
    rounded = Decimal(repr(value)).quantize(DISCOUNT_PLACES, rounding=rounding)
    low, high = Decimal(repr(issue.low)), Decimal(repr(issue.high))
    return min(high, max(low, rounded))


def change_for(space: IssueSpace, outcome: Outcome, current: Terms, today: date) -> TermsChange:
    """The change to ``current`` that offers ``outcome``, made ``today``: only the issues whose
    counted value differs (a value beyond the policy's best that counts as the best is kept).
    The discount is written to the hundredth of a percent, rounded towards the seller's best;
    delivery days become a delivery date counted from ``today``."""
    values: Mapping[str, float] = outcome
    reading = read_terms(space, current, today)
    update: dict[str, object] = {}
    for issue in space.issues:
        name = issue.name
        if name == "discount":
            percent = _towards_best(float(values[name]), issue)
            value = float(percent)
        else:
            value = float(round(values[name]))
        stated, counted = reading.stated[name], reading.counted[name]
        # Unchanged: the same value, or one beyond the policy's best that counts as the best.
        unchanged = stated == value or counted == value == issue.best
        if unchanged and (name != "discount" or current.discount.amount is None):
            continue
        if name == "discount":
            update["discount"] = Discount(percent=percent)
        elif name == "payment_days":
            update["payment_days"] = int(value)
        elif name == "warranty_months":
            # A warranty cannot be promised for 0 months; the terms keep theirs.
            if value >= 1:
                update["warranty_months"] = int(value)
        elif name == "delivery_days":
            if current.delivery is not None:
                update["delivery_date"] = today + timedelta(days=int(value))
        else:
            # A response time needs a warranty to attach to: the terms' or the one set here.
            warranty = current.warranty_months is not None or "warranty_months" in update
            if value >= 1 and warranty:
                update["response_hours"] = int(value)
    return TermsChange.model_validate(update)
