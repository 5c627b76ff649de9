"""Relationship health: one buyer's score from 0 to 100, with the reasons behind it.

The score starts at 100 and loses points, each deduction a reason a rep can act on:

- promises not kept on time: up to 30 points, in proportion to the share of the commitments
  that fell due and were not kept on time (kept late, overdue, breached);
- each commitment overdue now: 5 points (at most 20); each breached now: 10 (at most 30);
- each open complaint or warranty claim: 5 points plus 1 per week it has been open, and 3
  more when its first response came (or is) after the promised time (at most 30 in all);
- satisfaction: the average of the last three scores (1-5) below 4 costs 5 points, below 3
  costs 15; a latest score a full point below the average of the earlier ones costs 5 more;
- silence: no contact for longer than the policy's threshold costs 20 points and flags the
  buyer, complaints or not: a buyer we have not heard from is a warning, not good news.

Contact is anything the buyer said or did: a logged interaction, a claim, an offer or a
signature of the buyer's; the deal's opening counts as the first contact.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from dealflow.domain.commitments import Commitment, CommitmentStatus
from dealflow.domain.deal import Deal
from dealflow.domain.messages import counted
from dealflow.domain.parties import Side
from dealflow.domain.policy import RelationshipRules

_FROZEN = ConfigDict(frozen=True, extra="forbid")


class HealthReason(BaseModel):
    """One deduction from the score, and why."""

    model_config = _FROZEN

    points: int
    reason: str


class Health(BaseModel):
    """A buyer's relationship health at one moment, with the facts it was computed from."""

    model_config = _FROZEN

    score: int
    reasons: tuple[HealthReason, ...]
    flags: tuple[str, ...]
    fell_due: int
    kept_on_time: int
    kept_late: int
    overdue: int
    breached: int
    waived: int
    open_claims: int
    oldest_open_claim_days: int | None
    satisfaction: tuple[int, ...]
    satisfaction_average: float | None
    last_contact: AwareDatetime
    days_since_contact: Annotated[
        int,
        Field(
            ge=0,
            description="Whole days from the last contact to the time of the report; 0 when "
            "the last contact is less than a day before it, or after it (a clock set "
            "before the last contact, such as --now in the past): silence is never negative.",
        ),
    ]
    silent: bool


def last_contact(deal: Deal) -> datetime:
    """The latest moment the buyer was heard from on this deal."""
    moments = [deal.opened_at]
    moments += [i.at for i in deal.interactions]
    moments += [c.opened_at for c in deal.claims]
    moments += [o.made_at for o in deal.offers if o.side is Side.BUYER]
    moments += [s.at for c in deal.contracts for s in c.signatures if s.side is Side.BUYER]
    moments += [s.at for s in deal.signatures if s.side is Side.BUYER]
    return max(moments)


def _promises(commitments: Sequence[Commitment], now: datetime) -> tuple[int, int, int]:
    """How many commitments fell due by ``now``, were kept on time, were kept late."""
    today = now.date()
    settled_or_due = [
        c
        for c in commitments
        if not c.runs_until
        and c.status is not CommitmentStatus.WAIVED
        and (c.due < today or c.final or c.status.rank >= CommitmentStatus.OVERDUE.rank)
    ]
    on_time = sum(
        c.status is CommitmentStatus.FULFILLED and not c.breached_once for c in settled_or_due
    )
    late = sum(
        c.status is CommitmentStatus.FULFILLED_LATE
        or (c.status is CommitmentStatus.FULFILLED and c.breached_once)
        for c in settled_or_due
    )
    return len(settled_or_due), on_time, late


def health(
    deals: Sequence[tuple[Deal, Sequence[Commitment]]],
    now: datetime,
    rules: RelationshipRules,
) -> Health:
    """The health of the relationship with the buyer of ``deals`` (each with its dated
    commitments), at ``now``."""
    if not deals:
        raise ValueError("health needs at least one deal with the buyer")
    commitments = [c for _, cs in deals for c in cs]
    reasons: list[HealthReason] = []
    flags: list[str] = []

    def deduct(points: int, reason: str) -> None:
        if points > 0:
            reasons.append(HealthReason(points=-points, reason=reason))

    fell_due, on_time, late = _promises(commitments, now)
    if fell_due:
        missed = fell_due - on_time
        deduct(
            round(30 * missed / fell_due),
            f"kept {on_time} of {counted(fell_due, 'promise')} on time "
            f"({100 * on_time // fell_due}%)",
        )
    overdue = [c.id for c in commitments if c.status is CommitmentStatus.OVERDUE]
    breached = [c.id for c in commitments if c.status is CommitmentStatus.BREACHED]
    deduct(min(20, 5 * len(overdue)), f"{len(overdue)} overdue now: {', '.join(overdue)}")
    deduct(min(30, 10 * len(breached)), f"{len(breached)} breached now: {', '.join(breached)}")
    if breached:
        flags.append(f"{len(breached)} breached commitment(s): {', '.join(breached)}")

    open_claims = [c for d, _ in deals for c in d.claims if c.open]
    ages = [c.age_days(now) for c in open_claims]
    if open_claims:
        late_answers = sum(c.response_late(now) for c in open_claims)
        points = sum(5 + age // 7 for age in ages) + 3 * late_answers
        answered = f", {late_answers} answered late or not yet in time" if late_answers else ""
        deduct(
            min(30, points),
            f"{len(open_claims)} open claim(s), "
            f"the oldest {counted(max(ages), 'day')} old{answered}",
        )
        if max(ages) > 30:
            flags.append(f"a claim has been open for {counted(max(ages), 'day')}")

    scores = [(i.at, i.csat) for d, _ in deals for i in d.interactions if i.csat is not None]
    scores.sort(key=lambda pair: pair[0])
    csat = tuple(score for _, score in scores)
    average = sum(csat[-3:]) / len(csat[-3:]) if csat else None
    if average is not None:
        if average < 3:
            deduct(15, f"satisfaction averages {average:.1f} of 5 over the last scores")
        elif average < 4:
            deduct(5, f"satisfaction averages {average:.1f} of 5 over the last scores")
    if len(csat) >= 2:
        earlier = sum(csat[:-1]) / len(csat[:-1])
        if csat[-1] <= earlier - 1:
            deduct(5, f"satisfaction is falling: {csat[-1]} after an average of {earlier:.1f}")

    contact = max(last_contact(d) for d, _ in deals)
    # A contact recorded after ``now`` (a clock set back, --now in the past) is no silence.
    silence = max(0, (now - contact).days)
    silent = silence > rules.silence_days
    if silent:
        deduct(20, f"no contact for {counted(silence, 'day')} (threshold {rules.silence_days})")
        flags.append(f"silent for {counted(silence, 'day')}")

    score = max(0, min(100, 100 + sum(r.points for r in reasons)))
    return Health(
        score=score,
        reasons=tuple(reasons),
        flags=tuple(flags),
        fell_due=fell_due,
        kept_on_time=on_time,
        kept_late=late,
        overdue=len(overdue),
        breached=len(breached),
        waived=sum(c.status is CommitmentStatus.WAIVED for c in commitments),
        open_claims=len(open_claims),
        oldest_open_claim_days=max(ages) if ages else None,
        satisfaction=csat,
        satisfaction_average=average,
        last_contact=contact,
        days_since_contact=silence,
        silent=silent,
    )
