r"""Commitments: the dated occurrences of every promise in the signed terms.

Each after-sales promise becomes one or more occurrences: installation or training once,
within N days; maintenance once per visit, every N months for M months; a warranty as one
occurrence running until its term ends, with its response time. The buyer's payment of the
contract price is an occurrence too, owned by the buyer, due the payment terms' days after
the same start. Every date counts from one event, the *start date*: the day the last delivery
is due (the last instalment of the special agreement, or the delivery date), or the signing date
when that is later or no delivery date is agreed: a promise "within 14 days" is kept after all
the goods arrive, not before. Contracts signed before agreement hashes (release 0.1) keep the
rule of their time, the agreed delivery date even where instalments came after it
(:class:`Counting`), so that their dates stay those they were signed with.

Each occurrence has a status, changed only by events (the clock's review, a fulfilment, a
waiver), each change with its time, who made it and a note saying why::

    scheduled -> due -> fulfilled
                    \-> overdue -> fulfilled_late
                                \-> breached -> fulfilled_late
    any open status -> waived

``fulfilled``, ``fulfilled_late`` and ``waived`` are final: nothing moves an occurrence out of
them. A breach is recorded but not final: the promise is still owed, and keeping it later is
recorded as late.
"""

from __future__ import annotations

from datetime import date, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from dealflow.domain.money import Money
from dealflow.domain.parties import Role
from dealflow.domain.terms import AfterSales, DealText, Department, Terms

_FROZEN = ConfigDict(frozen=True, extra="forbid")
#: The kind of the buyer's payment occurrence (not an after-sales kind).
PAYMENT = "payment"


class CommitmentStatus(StrEnum):
    """Where one occurrence of a promise stands."""

    SCHEDULED = "scheduled"
    DUE = "due"
    OVERDUE = "overdue"
    BREACHED = "breached"
    FULFILLED = "fulfilled"
    FULFILLED_LATE = "fulfilled_late"
    WAIVED = "waived"

    @property
    def final(self) -> bool:
        """True for fulfilled, fulfilled late and waived: the occurrence is settled."""
        return self in FINAL

    @property
    def rank(self) -> int:
        """The clock's order: scheduled 0, due 1, overdue 2, breached 3 (the clock only
        moves an occurrence forward); final statuses rank above all."""
        return _RANK[self]


FINAL = frozenset(
    {CommitmentStatus.FULFILLED, CommitmentStatus.FULFILLED_LATE, CommitmentStatus.WAIVED}
)
_RANK = {status: rank for rank, status in enumerate(CommitmentStatus)}


class StatusChange(BaseModel):
    """One entry of an occurrence's record: its new status, when, by whom, and why."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    item: str
    status: CommitmentStatus
    at: AwareDatetime
    by: str
    role: Role
    note: Annotated[str, Field(max_length=5000)]


class Occurrence(BaseModel):
    """One dated promise: what, who owns it, by when."""

    model_config = _FROZEN

    id: str
    kind: str
    description: DealText
    owner: Department
    #: The date it is due by; for a warranty, the date its term ends.
    due: date
    #: True for a promise that runs until ``due`` (a warranty) rather than falls due on it.
    runs_until: bool = False
    response_hours: int | None = None
    amount: Money | None = None


def add_months(day: date, months: int) -> date:
    """``day`` moved ``months`` calendar months on, clamped to the month's last day
    (31 January + 1 month is 28 or 29 February)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    for last in (31, 30, 29, 28):
        try:
            return date(year, month, min(day.day, last))
        except ValueError:
            continue
    raise AssertionError("unreachable: every month has at least 28 days")


class Counting(StrEnum):
    """Which event a contract's dates count from."""

    #: The day the last delivery is due (instalments included), or signing if later.
    LAST_DELIVERY = "last-delivery"
    #: Release 0.1's rule: the agreed delivery date (the special agreement's, else the
    #: terms'), or signing if later, even where instalments came after it.
    DELIVERY_DATE = "delivery-date"


def counting_for(agreement_hash: str | None) -> Counting:
    """The rule of a signed contract's time: one signed before agreement hashes (release 0.1)
    counts from its delivery date, every later one from its last delivery."""
    return Counting.DELIVERY_DATE if agreement_hash is None else Counting.LAST_DELIVERY


def _delivered_by(terms: Terms, counting: Counting) -> date | None:
    if counting is Counting.LAST_DELIVERY:
        return terms.last_delivery
    special = terms.special
    return (special.delivery_by if special else None) or (
        terms.delivery.by if terms.delivery else None
    )


def service_start(
    terms: Terms, signed_on: date, counting: Counting = Counting.LAST_DELIVERY
) -> date:
    """The start date every date of the contract counts from: the day the last delivery is
    due, or the signing date when that is later or no delivery date is agreed."""
    delivery = _delivered_by(terms, counting)
    return max(delivery, signed_on) if delivery else signed_on


def start_basis(terms: Terms, signed_on: date, counting: Counting = Counting.LAST_DELIVERY) -> str:
    """What the start date is, for the contract's words: ``"last-delivery"`` (the day the last
    delivery is due), ``"delivery-date"`` (release 0.1's agreed delivery date) or
    ``"signing"`` (the signing date: later than delivery, or no delivery date agreed)."""
    delivery = _delivered_by(terms, counting)
    if delivery is None or delivery < signed_on:
        return "signing"
    return counting.value if counting is Counting.DELIVERY_DATE else "last-delivery"


def _occurrences(promise: AfterSales, start: date) -> list[tuple[date, bool]]:
    if promise.within_days is not None:
        return [(start + timedelta(days=promise.within_days), False)]
    if promise.every_months is not None:
        term = promise.for_months or promise.every_months
        visits = term // promise.every_months
        return [(add_months(start, promise.every_months * n), False) for n in range(1, visits + 1)]
    if promise.for_months is not None:
        return [(add_months(start, promise.for_months), True)]
    return []


def schedule(
    terms: Terms, signed_on: date, counting: Counting = Counting.LAST_DELIVERY
) -> tuple[Occurrence, ...]:
    """Every occurrence of the terms' promises and the buyer's payment, in the terms' order,
    each with an id of its kind and number (``maintenance-3``), counted from the start date
    (:func:`service_start`)."""
    start = service_start(terms, signed_on, counting)
    counts: dict[str, int] = {}
    made: list[Occurrence] = []

    def next_id(kind: str) -> str:
        counts[kind] = counts.get(kind, 0) + 1
        return f"{kind}-{counts[kind]}"

    for promise in terms.after_sales:
        for due, runs_until in _occurrences(promise, start):
            made.append(
                Occurrence(
                    id=next_id(promise.kind.value),
                    kind=promise.kind.value,
                    description=promise.description,
                    owner=promise.owner,
                    due=due,
                    runs_until=runs_until,
                    response_hours=promise.response_hours,
                )
            )
    made.append(
        Occurrence(
            id=next_id(PAYMENT),
            kind=PAYMENT,
            description=f"Payment of the contract price by {terms.payment.method!s}",
            owner=Department.BUYER,
            due=start + timedelta(days=terms.payment.due_days),
            amount=terms.totals.grand_total,
        )
    )
    return tuple(made)


class Commitment(Occurrence):
    """An occurrence with its status and the record of every change to it."""

    status: CommitmentStatus = CommitmentStatus.SCHEDULED
    changes: tuple[StatusChange, ...] = ()

    @property
    def final(self) -> bool:
        """True once fulfilled, fulfilled late or waived."""
        return self.status.final

    @property
    def breached_once(self) -> bool:
        """True if the record shows a breach, even if the promise was kept later."""
        return any(c.status is CommitmentStatus.BREACHED for c in self.changes)


def with_status(
    occurrences: tuple[Occurrence, ...], changes: tuple[StatusChange, ...]
) -> tuple[Commitment, ...]:
    """The occurrences with their statuses from the record (the latest change of each wins;
    changes naming no occurrence of this schedule are left out)."""
    record: dict[str, list[StatusChange]] = {}
    for change in changes:
        record.setdefault(change.item, []).append(change)
    made = []
    for occurrence in occurrences:
        own = tuple(record.get(occurrence.id, ()))
        status = own[-1].status if own else CommitmentStatus.SCHEDULED
        made.append(Commitment(**occurrence.__dict__, status=status, changes=own))
    return tuple(made)


def clock_status(
    occurrence: Occurrence, today: date, *, due_soon_days: int, grace_days: int
) -> CommitmentStatus:
    """The status the calendar gives an open occurrence on ``today``: scheduled until
    ``due_soon_days`` before its date, due until its date, overdue for ``grace_days`` after,
    breached after that. A warranty runs until its date and is fulfilled once it has run."""
    if occurrence.runs_until:
        return CommitmentStatus.FULFILLED if today > occurrence.due else CommitmentStatus.SCHEDULED
    if today > occurrence.due + timedelta(days=grace_days):
        return CommitmentStatus.BREACHED
    if today > occurrence.due:
        return CommitmentStatus.OVERDUE
    if today >= occurrence.due - timedelta(days=due_soon_days):
        return CommitmentStatus.DUE
    return CommitmentStatus.SCHEDULED


def term_end(occurrences: tuple[Occurrence, ...]) -> date | None:
    """The last date of the schedule: when the contract's term ends."""
    return max((o.due for o in occurrences), default=None)
