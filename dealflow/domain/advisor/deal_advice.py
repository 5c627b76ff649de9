"""Advice on a real deal: what every offer so far is worth to the seller, how fast the buyer
concedes, what to offer next, whether to accept, which customer games are in play, and how the
negotiation would go on if both sides kept their tactics; with a plain-language explanation.

How it is computed (docs/advisor.md has the long form):

* **Issues.** The policy's negotiable issues that the deal can carry, read from each offer's
  terms (:mod:`~dealflow.domain.advisor.deal_terms`). The offers are those of the
  negotiation under way: the current contract version's (an amendment is a negotiation of its
  own). The seller's utility of an offer is the weighted sum of its normalised issue values.
* **Time.** Days since the negotiation's first offer (0 before it), against the policy's
  ``deadline_days``: ``t / T`` is the share of the time used. Days rather than rounds because
  the policy sets its deadline in days and a buyer who stalls should not stop the clock.
* **Target.** The policy's tactic (Faratin, Sierra & Jennings):
  ``u(t) = 1 - (1 - u_res) * (t / T) ** (1 / e)``, the reservation utility ``u_res`` at and
  after the deadline; but never above the seller's own latest offer (asking for more than we
  already offered is a step back that reads as bad faith; in an amendment, before the seller
  has offered, the signed contract's terms), and never below ``u_res``.
* **Counter-offer.** The offer worth the target closest to the buyer's latest offer in the
  normalised issue space (closest to the seller's best before the buyer has made one), by
  :func:`~dealflow.domain.advisor.offers.next_offer`; written as terms with the discount to
  the hundredth of a percent, rounded in the seller's favour (towards the buyer instead when
  that would ask for more than our own latest offer), and lowered further if the
  price floor requires it (a seller offer below the floor would be refused). The approvals
  the changed terms would need are named.
* **Accept.** AC-next: accept the buyer's offer on the table when it is worth at least the
  target (and the reservation utility).
* **Concession rates.** The least-squares slope of the seller's utility of the buyer's
  offers, per round (per buyer offer) and per day; the seller's own, per round, the other way.

Raises :class:`~dealflow.errors.ActionRefusedError` when advice makes no sense: a deal that is
not being negotiated, or a policy without negotiable issues.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from pydantic import AwareDatetime, BaseModel, ConfigDict

from dealflow.domain.advisor.deal_terms import (
    DISCOUNT_PLACES,
    DealIssues,
    TermsReading,
    deal_issues,
    describe,
    phrase,
)
from dealflow.domain.advisor.forecast import (
    ASSUMED_BUYER_RESERVATION,
    DanceMove,
    Forecast,
    calibrated_start,
    estimate_tactic,
    modelled_buyer,
    play_forward,
)
from dealflow.domain.advisor.offers import Negotiator, next_offer
from dealflow.domain.advisor.space import Outcome
from dealflow.domain.deal import Deal, Offer, OfferKind
from dealflow.domain.games import GameSignal, customer_games
from dealflow.domain.lifecycle import Stage
from dealflow.domain.messages import counted
from dealflow.domain.parties import Role, Side
from dealflow.domain.policy import ApprovalPolicy, Preferences, Tactic
from dealflow.domain.terms import Discount, Terms, TermsChange
from dealflow.errors import ActionRefusedError

#: The stages in which there is a negotiation to advise on.
NEGOTIATION_STAGES = (Stage.PRESENTED, Stage.OFFERED, Stage.NEGOTIATING)
_DAY = 86_400.0
_FROZEN = ConfigDict(frozen=True, extra="forbid")


class OfferUtility(BaseModel):
    """One offer of the negotiation as the seller values it: its version, side and kind,
    when (and how many days after the first offer) it was made, its issue values as stated and
    as counted, and the seller's utility of them."""

    model_config = _FROZEN

    version: int
    side: Side
    kind: OfferKind
    made_at: AwareDatetime
    day: float
    stated: dict[str, float]
    counted: dict[str, float]
    utility: float
    notes: tuple[str, ...] = ()


class CounterOffer(BaseModel):
    """The suggested next offer (the opening offer before any): its outcome and utility (the
    target's), the change to the terms on the table that makes it, the issue values the terms
    so changed state and their utility (the discount rounded in our favour; a value beyond the
    policy's best kept), the approvals those terms would need once agreed (role: reasons), and
    notes."""

    model_config = _FROZEN

    outcome: dict[str, float]
    utility: float
    change: TermsChange
    stated: dict[str, float]
    terms_utility: float
    approvals: dict[Role, str]
    notes: tuple[str, ...] = ()


class DealAdvice(BaseModel):
    """What the advisor says about a deal now. See the module's docstring for each number."""

    model_config = _FROZEN

    deal_id: str
    deal_version: int
    stage: Stage
    at: AwareDatetime
    turn: Side | None
    lapsed: bool
    tactic: Tactic
    deadline_days: int
    elapsed_days: float
    time_fraction: float
    reservation: float
    tactic_target: float
    target: float
    weights: dict[str, float]
    skipped: dict[str, str]
    offers: tuple[OfferUtility, ...]
    buyer_latest: int | None
    buyer_concession_per_round: float | None
    buyer_concession_per_day: float | None
    seller_concession_per_round: float | None
    accept: bool
    accept_approvals: dict[Role, str]
    counter: CounterOffer
    signals: tuple[GameSignal, ...]
    forecast: Forecast | None = None
    explanation: str


def slope(points: Sequence[tuple[float, float]]) -> float | None:
    """The least-squares slope of y over x; None with fewer than two distinct x."""
    if len(points) < 2:
        return None
    mx = math.fsum(x for x, _ in points) / len(points)
    my = math.fsum(y for _, y in points) / len(points)
    sxx = math.fsum((x - mx) ** 2 for x, _ in points)
    if sxx <= 0:
        return None
    return math.fsum((x - mx) * (y - my) for x, y in points) / sxx


def _negotiation(deal: Deal) -> tuple[Offer, ...]:
    """The offers of the negotiation under way: the current contract version's."""
    return tuple(o for o in deal.offers if o.contract_version == deal.contract_version)


def _read(issues: DealIssues, offers: Sequence[Offer], start: datetime) -> list[OfferUtility]:
    rated: list[OfferUtility] = []
    previous: dict[str, float] | None = None
    utility = issues.space.utility
    for offer in offers:
        reading = issues.read(offer.terms, offer.made_at.date(), previous)
        previous = reading.stated
        rated.append(
            OfferUtility(
                version=offer.version,
                side=offer.side,
                kind=offer.kind,
                made_at=offer.made_at,
                day=(offer.made_at - start).total_seconds() / _DAY,
                stated=reading.stated,
                counted=reading.counted,
                utility=utility(reading.counted),
                notes=reading.notes,
            )
        )
    return rated


def _no_step_back(
    change: TermsChange,
    current: Terms,
    outcome: Outcome,
    mine: OfferUtility,
    issues: DealIssues,
    now: datetime,
) -> TermsChange:
    """The change with its discount rounded towards the buyer instead of in our favour when
    our favour would make the counter worth more to us than our own latest offer: at a target
    capped at that offer, 4.99% after we offered 5% would take back a concession."""
    # Also when the rounded discount is the one on the table already (so the change leaves
    # it out): that too may be worth more to us than our own latest offer.
    if "discount" not in issues.space.names:
        return change
    worth = issues.space.utility(issues.read(current.changed(change), now.date()).counted)
    if worth <= mine.utility + 1e-9:
        return change
    issue = next(i for i in issues.space.issues if i.name == "discount")
    towards_buyer = ROUND_CEILING if issue.best < issue.worst else ROUND_FLOOR
    percent = Decimal(repr(float(outcome["discount"]))).quantize(
        DISCOUNT_PLACES, rounding=towards_buyer
    )
    percent = min(Decimal(repr(issue.high)), max(Decimal(repr(issue.low)), percent))
    return change.model_copy(update={"discount": Discount(percent=percent)})


def _floor_capped(
    current: Terms, change: TermsChange, rules: ApprovalPolicy, issues: DealIssues
) -> tuple[TermsChange, Terms, list[str]]:
    """The change with its discount lowered, to the hundredth of a percent, until the terms
    are not below the price floor (the engine refuses a seller offer below it)."""
    terms = current.changed(change)
    if not rules.floor_breaches(terms) or "discount" not in issues.space.names:
        return change, terms, []
    low = Decimal(repr(min(i.low for i in issues.space.issues if i.name == "discount")))
    percent = terms.discount.percent if terms.discount.percent is not None else Decimal(0)

    def at(p: Decimal) -> tuple[TermsChange, Terms]:
        capped = change.model_copy(update={"discount": Discount(percent=p)})
        return capped, current.changed(capped)

    if rules.floor_breaches(at(low)[1]):
        return (
            change,
            terms,
            [
                "below the price floor even at a "
                f"{describe('discount', float(low))} discount: revise the prices first"
            ],
        )
    # Bisection over hundredths of a percent: the floor is breached above some discount.
    lo, hi = int(low * 100), int(percent * 100)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if rules.floor_breaches(at(Decimal(mid) / 100)[1]):
            hi = mid
        else:
            lo = mid
    capped, capped_terms = at(Decimal(lo) / 100)
    shown = describe("discount", lo / 100)
    return capped, capped_terms, [f"discount lowered to {shown} to stay above the price floor"]


def _summary(issues: DealIssues, outcome: Mapping[str, float]) -> str:
    return ", ".join(phrase(name, float(outcome[name])) for name in issues.space.names)


def _approvals_text(approvals: Mapping[Role, str]) -> str:
    return "; ".join(f"{role.value} ({why})" for role, why in approvals.items())


def advise_deal(
    deal: Deal,
    preferences: Preferences,
    rules: ApprovalPolicy,
    now: datetime,
    *,
    simulate: bool = False,
    buyer_tactic: Tactic | None = None,
    buyer_weights: Mapping[str, float] | None = None,
    buyer_reservation: float = ASSUMED_BUYER_RESERVATION,
) -> DealAdvice:
    """The advice on ``deal`` at ``now`` under the seller's ``preferences`` and the deal's
    approval ``rules``; with ``simulate``, the negotiation played forward against a modelled
    buyer (its tactic estimated unless given; its weights the seller's unless given)."""
    if deal.stage not in NEGOTIATION_STAGES:
        raise ActionRefusedError(
            f"deal {deal.id} is {deal.stage.value}: advice is for a deal under negotiation "
            "(presented, offered or negotiating)"
        )
    offers = _negotiation(deal)
    current = deal.terms
    issues = deal_issues(preferences, [o.terms for o in offers], current)
    space = issues.space
    seller = Negotiator(
        space=space, reservation=float(preferences.reservation_utility), tactic=preferences.tactic
    )
    deadline = float(preferences.deadline_days)
    start = offers[0].made_at if offers else now
    elapsed = max(0.0, (now - start).total_seconds() / _DAY)
    tactic_target = seller.target(elapsed, deadline)
    rated = _read(issues, offers, start)
    buyer_offers = [r for r in rated if r.side is Side.BUYER]
    seller_offers = [r for r in rated if r.side is Side.SELLER]
    # Never ask for more than our own latest offer (in an amendment, before we have made one,
    # the signed contract's terms): a step back reads as bad faith.
    ours = seller_offers[-1].utility if seller_offers else 1.0
    signed = deal.signed_contract
    if not seller_offers and deal.amending and signed is not None:
        ours = space.utility(issues.read(signed.terms, start.date()).counted)
    target = max(seller.reservation, min(tactic_target, ours))
    latest_buyer = buyer_offers[-1] if buyer_offers else None
    turn = deal.turn if offers else Side.SELLER

    outcome = next_offer(
        space,
        target,
        latest_buyer.counted if latest_buyer else None,
        reservation=seller.reservation,
    )
    change = issues.change(outcome, current, now.date())
    if seller_offers:
        change = _no_step_back(change, current, outcome, seller_offers[-1], issues, now)
    change, changed, counter_notes = _floor_capped(current, change, rules, issues)
    terms_reading: TermsReading = issues.read(changed, now.date())
    counter = CounterOffer(
        outcome=outcome,
        utility=space.utility(outcome),
        change=change,
        stated=terms_reading.stated,
        terms_utility=space.utility(terms_reading.counted),
        approvals=rules.approvals_for(changed),
        notes=(*counter_notes, *terms_reading.notes),
    )

    on_table = offers[-1] if offers else None
    lapsed = on_table is not None and on_table.expires_at is not None and now >= on_table.expires_at
    accept = False
    accept_approvals: dict[Role, str] = {}
    if (
        latest_buyer is not None
        and on_table is not None
        and on_table.version == latest_buyer.version
    ):
        declined = deal.declined_offer == on_table.version
        worth = latest_buyer.utility
        accept = (
            turn is Side.SELLER
            and not lapsed
            and not declined
            and worth >= target
            and worth >= seller.reservation
        )
        if accept:
            accept_approvals = rules.approvals_for(on_table.terms)

    buyer_rate = slope([(float(n), r.utility) for n, r in enumerate(buyer_offers)])
    buyer_daily = slope([(r.day, r.utility) for r in buyer_offers])
    seller_rate = slope([(float(n), r.utility) for n, r in enumerate(seller_offers)])
    signals = customer_games(
        deal, now, [(o, r.utility) for o, r in zip(offers, rated, strict=True)]
    )

    forecast = None
    if simulate:
        forecast = _forecast(
            seller,
            rated,
            turn=turn or Side.SELLER,
            now=elapsed,
            deadline=deadline,
            tactic=buyer_tactic,
            weights=buyer_weights,
            reservation=buyer_reservation,
        )

    advice = DealAdvice(
        deal_id=deal.id,
        deal_version=deal.version,
        stage=deal.stage,
        at=now,
        turn=turn,
        lapsed=lapsed,
        tactic=preferences.tactic,
        deadline_days=preferences.deadline_days,
        elapsed_days=elapsed,
        time_fraction=min(1.0, elapsed / deadline),
        reservation=seller.reservation,
        tactic_target=tactic_target,
        target=target,
        weights={i.name: i.weight for i in space.issues},
        skipped=issues.skipped,
        offers=tuple(rated),
        buyer_latest=latest_buyer.version if latest_buyer else None,
        buyer_concession_per_round=buyer_rate,
        buyer_concession_per_day=buyer_daily,
        seller_concession_per_round=None if seller_rate is None else -seller_rate,
        accept=accept,
        accept_approvals=accept_approvals,
        counter=counter,
        signals=signals,
        forecast=forecast,
        explanation="",
    )
    return advice.model_copy(update={"explanation": explain(advice, issues)})


def _forecast(
    seller: Negotiator,
    rated: Sequence[OfferUtility],
    *,
    turn: Side,
    now: float,
    deadline: float,
    tactic: Tactic | None,
    weights: Mapping[str, float] | None,
    reservation: float,
) -> Forecast:
    space = seller.space
    buyer_offers = [r for r in rated if r.side is Side.BUYER]
    opening = next((r.utility for r in rated if r.side is Side.SELLER), None)
    if tactic is None:
        chosen, why = estimate_tactic([(r.day, r.utility) for r in buyer_offers], opening, deadline)
    else:
        chosen, why = tactic, f"{tactic.value}, as given"
    mirror = modelled_buyer(space, chosen, weights, reservation)
    latest = buyer_offers[-1] if buyer_offers else None
    worth = None if latest is None else mirror.space.utility(latest.counted)
    # A buyer whose latest offer is worth less to it than the assumed walk-away has shown
    # that its walk-away is lower.
    floor = min(reservation, worth) if worth is not None else reservation
    u_max = calibrated_start(worth, latest.day if latest else 0.0, deadline, chosen, floor)
    buyer = modelled_buyer(space, chosen, weights, floor, u_max)
    counts = {Side.SELLER: 0, Side.BUYER: 0}
    made: list[DanceMove] = []
    for r in rated:
        counts[r.side] += 1
        made.append(
            DanceMove(
                round=counts[r.side],
                side=r.side,
                day=r.day,
                outcome=r.counted,
                seller_utility=r.utility,
                buyer_utility=buyer.space.utility(r.counted),
                version=r.version,
            )
        )
    rounds = max(counts.values())
    span = rated[-1].day - rated[0].day if rated else 0.0
    round_days = max(1.0, span / (rounds - 1)) if rounds > 1 else 1.0
    simulated, agreement, accepted_by = play_forward(
        seller, buyer, made, turn=turn, now=now, deadline=deadline, round_days=round_days
    )
    return Forecast(
        buyer_tactic=chosen,
        buyer_tactic_reason=why,
        buyer_weights={i.name: i.weight for i in buyer.space.issues},
        buyer_reservation=floor,
        round_days=round_days,
        moves=(*made, *simulated),
        agreement=agreement,
        accepted_by=accepted_by,
    )


def explain(advice: DealAdvice, issues: DealIssues) -> str:
    """A few sentences a sales rep understands: where the deal stands in time, what the
    buyer's latest offer is worth, what to do, what approval it needs, what to watch."""
    sentences: list[str] = []
    tactic = advice.tactic.value
    if advice.offers:
        first = advice.offers[0].version
        sentences.append(
            f"Day {advice.elapsed_days:.0f} of {advice.deadline_days} since v{first} "
            f"({advice.time_fraction:.0%} of the time), {tactic} tactic: our target now is "
            f"{advice.target:.3f} (walk-away {advice.reservation:.2f})."
        )
        if advice.target < advice.tactic_target - 1e-9:
            sentences.append(
                f"The tactic alone would aim at {advice.tactic_target:.3f}, but our own latest "
                "offer is worth less and we do not step back from it."
            )
    else:
        sentences.append(
            f"No offer has been made yet; with a {tactic} tactic over "
            f"{counted(advice.deadline_days, 'day')} our target starts at {advice.target:.3f} "
            f"(walk-away {advice.reservation:.2f})."
        )
    if advice.time_fraction >= 1.0 and advice.offers:
        sentences.append(
            "The policy's deadline has passed: the target is the walk-away utility; close the "
            "deal or walk away."
        )
    latest = next((o for o in advice.offers if o.version == advice.buyer_latest), None)
    if latest is None:
        sentences.append("The buyer has not made an offer yet.")
    else:
        rate = advice.buyer_concession_per_round
        pace = ""
        if rate is not None:
            pace = (
                f"; they concede {rate:.3f} a round"
                if rate > 0
                else "; they have not conceded so far"
            )
        sentences.append(
            f"The buyer's latest offer, v{latest.version}, is worth {latest.utility:.3f} "
            f"to us{pace}."
        )
    sentences.extend(_what_to_do(advice, issues, latest))
    if advice.signals:
        names = ", ".join(s.kind.value.replace("-", " ") for s in advice.signals)
        sentences.append(f"Watch for: {names} (see the signals).")
    return " ".join(sentences)


def _what_to_do(advice: DealAdvice, issues: DealIssues, latest: OfferUtility | None) -> list[str]:
    """The sentences of the explanation that say what to do, and what it needs."""
    counter = advice.counter
    offer = _summary(issues, counter.stated)
    worth = f"worth {counter.terms_utility:.3f}"
    if advice.lapsed:
        on_table = advice.offers[-1]
        said = [
            f"Offer v{on_table.version} has lapsed: it can no longer be accepted or answered; "
            "the deal can only expire (dealflow sweep) or be withdrawn."
        ]
        if (
            latest is not None
            and latest.version == on_table.version
            and latest.utility >= max(advice.target, advice.reservation)
        ):
            said.append(
                f"It was worth accepting ({latest.utility:.3f} against our target "
                f"{advice.target:.3f})."
            )
        return said
    if advice.accept and latest is not None:
        said = [
            f"Accept v{latest.version}: it is worth at least our target, and countering "
            "would not get us more by our own tactic."
        ]
        if advice.accept_approvals:
            said.append(
                "Agreeing to it needs approval from "
                + _approvals_text(advice.accept_approvals)
                + "."
            )
        return said
    if advice.offers and advice.turn is Side.BUYER:
        return [
            f"It is the buyer's turn to answer v{advice.offers[-1].version}: wait for them, "
            "and ask for advice again when they answer."
        ]
    if not advice.offers:
        said = [f"Open with {offer} ({worth}), our best terms at the target."]
    else:
        closest = "what the buyer asked" if latest is not None else "our best terms"
        said = [f"Counter with {offer} ({worth}): the offer at our target closest to {closest}."]
    if counter.approvals:
        said.append(
            "Once agreed, these terms need approval from "
            + _approvals_text(counter.approvals)
            + "."
        )
    said.extend(note[0].upper() + note[1:] + "." for note in counter.notes if "price floor" in note)
    return said
