"""Advice on real deals: the sample deal's offers valued by the sample policy's preferences to
hand-computed numbers, the tactics' targets, the counter-offer at the target and closest to the
buyer among every alternative worth the same, AC-next, the approvals and the price floor, the
deals and policies advice refuses, the simulation from the current state and its chart; and,
by Hypothesis, no advice below the walk-away utility or outside the policy's bounds."""

from __future__ import annotations

import itertools
import math
import xml.etree.ElementTree as ET
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import dealflow
from dealflow import Discount, Role, Stage, TermsChange
from dealflow.application.demo import sample_deal_spec
from dealflow.domain.advisor.chart import dance_svg
from dealflow.domain.advisor.deal_advice import DealAdvice, advise_deal
from dealflow.domain.advisor.deal_terms import deal_issues, issue_grid
from dealflow.domain.advisor.forecast import estimate_tactic
from dealflow.domain.deal import Deal, Offer, OfferKind
from dealflow.domain.parties import Side
from dealflow.domain.policy import IssuePreference, Preferences, Tactic
from dealflow.errors import ActionRefusedError
from dealflow.files.clauses import clause_standards
from dealflow.files.policy import parse_policy
from tests.conftest import BUYER, SELLER, START, staffed
from tests.paths import drive_to

#: Each example builds and advises a deal (a few milliseconds): a modest cap keeps the file
#: fast under the ci profile too.
FEW = settings(max_examples=min(100, settings().max_examples), deadline=None)

POLICY = parse_policy(
    (Path(dealflow.__file__).parent / "samples" / "policy.yaml").read_text("utf-8")
)
PREFERENCES = POLICY.preferences


@pytest.fixture
def svc(clock: dealflow.FixedClock) -> dealflow.DealService:
    return staffed(
        dealflow.DealService(dealflow.MemoryEventStore(), clock, POLICY, clauses=clause_standards())
    )


def change(
    discount: str | None = None,
    payment: int | None = None,
    warranty: int | None = None,
    delivery_days: int | None = None,
) -> TermsChange:
    """A change to the sample terms; delivery in days from the start of the negotiation."""
    return TermsChange(
        discount=None if discount is None else Discount.parse(discount),
        payment_days=payment,
        warranty_months=warranty,
        delivery_date=None
        if delivery_days is None
        else START.date() + timedelta(days=delivery_days),
    )


def at(svc: dealflow.DealService, days: float) -> None:
    clock = svc.clock
    assert isinstance(clock, dealflow.FixedClock)
    clock.set(START + timedelta(days=days))


def negotiation(svc: dealflow.DealService, *moves: tuple[float, TermsChange]) -> str:
    """The sample deal, presented at the start, then the seller's offer and alternate
    counters (buyer first), each on its day."""
    deal_id = svc.open_deal(sample_deal_spec()).id
    svc.present(deal_id, SELLER)
    for n, (days, terms) in enumerate(moves):
        at(svc, days)
        if n == 0:
            svc.offer(deal_id, SELLER, terms)
        else:
            svc.counter(deal_id, BUYER if n % 2 else SELLER, terms)
    return deal_id


def seller_utility(discount: float, payment: float, warranty: float, delivery: float) -> float:
    """The sample policy's utility, by hand: 0.5 / 0.2 / 0.15 / 0.15 over 0-20%, 14-90 days,
    12-36 months and 60-14 days (best first)."""
    return (
        0.5 * (20 - discount) / 20
        + 0.2 * (90 - payment) / 76
        + 0.15 * (36 - warranty) / 24
        + 0.15 * (delivery - 14) / 46
    )


# Reading terms ------------------------------------------------------------------------------


def test_grids_run_from_the_policys_best_to_worst_in_practical_steps() -> None:
    issues = PREFERENCES.issues
    assert issue_grid("discount", issues["discount"]) == tuple(float(d) for d in range(21))
    assert issue_grid("payment_days", issues["payment_days"]) == (14, 30, 45, 60, 75, 90)
    assert issue_grid("warranty_months", issues["warranty_months"]) == (12, 18, 24, 30, 36)
    assert issue_grid("delivery_days", issues["delivery_days"]) == (14, 30, 45, 60)
    hours = IssuePreference(weight=Decimal("0.1"), best="72", worst="4")
    assert issue_grid("response_hours", hours) == (4, 24, 48, 72)
    with pytest.raises(ActionRefusedError, match="whole days"):
        issue_grid("payment_days", IssuePreference(weight=Decimal(1), best="14.5", worst="90"))


def test_every_offer_is_valued_to_the_hand_computed_utility(svc: dealflow.DealService) -> None:
    deal_id = negotiation(
        svc,
        (0, change("5%")),  # 30 days, 24 months, delivery 2027-01-15: 74 days, beyond 60
        (2, change("15%", payment=60)),
        (4, change("10%", payment=45, delivery_days=49)),  # 45 days from day 4
    )
    at(svc, 5)
    advice = svc.advise(deal_id)
    assert [(o.version, o.side) for o in advice.offers] == [
        (1, Side.SELLER),
        (2, Side.BUYER),
        (3, Side.SELLER),
    ]
    expected = [seller_utility(5, 30, 24, 60), seller_utility(15, 60, 24, 60)]
    expected.append(seller_utility(10, 45, 24, 45))
    assert [o.utility for o in advice.offers] == pytest.approx(expected, abs=1e-12)
    assert advice.offers[0].utility == pytest.approx(0.757894736842, abs=1e-9)
    first = advice.offers[0]
    assert first.stated["delivery_days"] == 74
    assert first.counted["delivery_days"] == 60
    assert any("beyond the policy's best" in note for note in first.notes)
    assert advice.offers[2].stated["delivery_days"] == 45
    assert advice.buyer_latest == 2
    assert advice.turn is Side.BUYER
    assert "buyer's turn" in advice.explanation


@pytest.mark.parametrize(
    ("tactic", "half"),
    [(Tactic.BOULWARE, 1 - 0.65 / 4), (Tactic.LINEAR, 1 - 0.65 / 2), (Tactic.CONCEDER, None)],
)
def test_the_target_follows_the_policys_tactic_at_zero_half_and_the_deadline(
    svc: dealflow.DealService, tactic: Tactic, half: float | None
) -> None:
    preferences = PREFERENCES.model_copy(update={"tactic": tactic})
    deal_id = negotiation(svc, (0, change("0%", payment=14, warranty=12)))
    deal = svc.get(deal_id)
    rules = svc.rules(deal)

    def target(days: float) -> float:
        return advise_deal(deal, preferences, rules, START + timedelta(days=days)).tactic_target

    assert target(0) == 1.0
    assert target(15) == pytest.approx(half or 1 - 0.65 * math.sqrt(0.5), abs=1e-12)
    assert target(30) == pytest.approx(0.35, abs=1e-12)
    assert target(45) == pytest.approx(0.35, abs=1e-12)


# The counter-offer -------------------------------------------------------------------------


def iso_utility_offers(advice: DealAdvice, deal: Deal, target: float) -> list[dict[str, float]]:
    """Every offer worth exactly ``target``: each combination of the discrete issues' grid
    values with the discount solved for, where it is within 0-20%."""
    space = deal_issues(PREFERENCES, [o.terms for o in deal.offers], deal.terms).space
    discount, *discrete = space.issues
    found = []
    for values in itertools.product(*(i.values for i in discrete)):
        rest = sum(i.weight * i.normalised(v) for i, v in zip(discrete, values, strict=True))
        x = (target - rest) / discount.weight
        if 0 <= x <= 1:
            found.append(
                {
                    "discount": discount.worst + x * (discount.best - discount.worst),
                    **{i.name: v for i, v in zip(discrete, values, strict=True)},
                }
            )
    return found


def distance(a: dict[str, float], b: dict[str, float]) -> float:
    ranges = {"discount": 20, "payment_days": 76, "warranty_months": 24, "delivery_days": 46}
    return math.dist([a[k] / r for k, r in ranges.items()], [b[k] / r for k, r in ranges.items()])


def test_the_counter_has_the_target_utility_and_is_closest_to_the_buyers_offer(
    svc: dealflow.DealService,
) -> None:
    deal_id = negotiation(
        svc, (0, change("0%", payment=14, warranty=12)), (2, change("15%", payment=60))
    )
    at(svc, 15)
    advice = svc.advise(deal_id)
    assert advice.offers[0].utility == pytest.approx(1.0, abs=1e-12)
    assert advice.target == pytest.approx(1 - 0.65 / 4, abs=1e-12)  # Boulware at T/2
    counter = advice.counter
    assert counter.utility == pytest.approx(advice.target, abs=1e-6)
    assert not advice.accept
    buyer = advice.offers[1].counted
    alternatives = iso_utility_offers(advice, svc.get(deal_id), advice.target)
    assert len(alternatives) > 10
    assert distance(counter.outcome, buyer) <= min(distance(a, buyer) for a in alternatives) + 1e-9
    # Written as terms: the discount to the hundredth of a percent, in our favour.
    assert counter.change.discount is not None
    percent = counter.change.discount.percent
    assert percent is not None and percent == percent.quantize(Decimal("0.01"))
    assert float(percent) <= counter.outcome["discount"] + 1e-9
    assert advice.target <= counter.terms_utility <= advice.target + 0.5 * 0.01 / 20 + 1e-9
    assert "Counter with" in advice.explanation


def test_we_never_ask_for_more_than_our_own_latest_offer(svc: dealflow.DealService) -> None:
    deal_id = negotiation(svc, (0, change("5%")), (2, change("15%", payment=60)))
    at(svc, 3)
    advice = svc.advise(deal_id)
    assert advice.tactic_target == pytest.approx(1 - 0.65 * (3 / 30) ** 2)
    assert advice.target == pytest.approx(seller_utility(5, 30, 24, 60), abs=1e-12)
    assert advice.counter.utility == pytest.approx(advice.target, abs=1e-6)
    assert "do not step back" in advice.explanation
    # Rounded to the hundredth of a percent, the counter is still worth no more than our offer.
    assert advice.counter.terms_utility <= advice.offers[0].utility + 1e-9


def test_the_readme_walkthrough_counter_takes_back_no_concession(
    svc: dealflow.DealService,
) -> None:
    """Day 0: we offered 5%, the buyer asked 12%, 45 days and 12 sensor kits; the tactic's
    target is our own offer's worth, which 4.99% (rounded in our favour) would exceed."""
    deal_id = negotiation(svc, (0, change("5%")))
    svc.counter(
        deal_id,
        BUYER,
        TermsChange(discount=Discount.parse("12%"), payment_days=45, quantities={"SNS-10": 12}),
    )
    advice = svc.advise(deal_id)
    discount = advice.counter.change.discount
    assert discount is not None and discount.percent == Decimal(5)
    assert advice.counter.terms_utility == pytest.approx(advice.offers[0].utility, abs=1e-9)


def test_accept_a_buyer_offer_worth_our_next_target_and_name_its_approval(
    svc: dealflow.DealService,
) -> None:
    deal_id = negotiation(
        svc,
        (0, change("0%", payment=14, warranty=12)),
        (2, change("20%", payment=90)),
        (10, change("4%", payment=30)),
        (20, change("12%", payment=60)),
    )
    at(svc, 28)
    advice = svc.advise(deal_id)
    worth = seller_utility(12, 60, 12, 54)  # 2027-01-15 is 54 days after day 20
    assert advice.offers[-1].utility == pytest.approx(worth, abs=1e-12)
    assert advice.target == pytest.approx(1 - 0.65 * (28 / 30) ** 2, abs=1e-12)
    assert worth >= advice.target
    assert advice.accept
    assert "above the 10% ceiling" in advice.accept_approvals[Role.MANAGER]
    assert advice.explanation.count("Accept v4") == 1
    # The buyer's concession per round and per day, from v2 to v4.
    first = seller_utility(20, 90, 12, 60)
    assert advice.buyer_concession_per_round == pytest.approx(worth - first, abs=1e-12)
    assert advice.buyer_concession_per_day == pytest.approx((worth - first) / 18, abs=1e-12)


def test_a_counter_beyond_the_ceiling_names_the_managers_approval(
    svc: dealflow.DealService,
) -> None:
    deal_id = negotiation(
        svc,
        (0, change("0%", payment=14, warranty=12)),
        (2, change("20%", payment=90, warranty=36)),
        (10, change("2%", payment=14, warranty=12)),
        (20, change("20%", payment=90, warranty=36)),
    )
    at(svc, 29)
    advice = svc.advise(deal_id)
    assert not advice.accept
    assert advice.counter.change.discount is not None
    assert advice.counter.change.discount.percent is not None
    assert advice.counter.change.discount.percent > 10
    assert "ceiling for a prospect buyer" in advice.counter.approvals[Role.MANAGER]
    assert "need approval from manager" in advice.explanation


def test_the_counter_stays_above_the_price_floor(clock: dealflow.FixedClock) -> None:
    floored = POLICY.model_copy(
        update={"floor": POLICY.floor.model_copy(update={"min_unit_price": {"SNS-10": 4_300_000}})}
    )
    svc = staffed(dealflow.DealService(dealflow.MemoryEventStore(), clock, floored))
    deal_id = negotiation(
        svc,
        (0, change("0%", payment=14, warranty=12)),
        (2, change("20%", payment=90, warranty=36)),
        (10, change("2%", payment=14, warranty=12)),
        (20, change("20%", payment=90, warranty=36)),
    )
    at(svc, 29)
    counter = svc.advise(deal_id).counter
    # 4,500,000 a unit at most 4.44% off stays at or above 4,300,000.
    assert counter.change.discount is not None
    assert counter.change.discount.percent == Decimal("4.44")
    assert any("price floor" in note for note in counter.notes)
    assert counter.terms_utility >= counter.utility
    svc.counter(deal_id, SELLER, counter.change)  # the engine takes it


def test_an_amendment_is_advised_from_the_signed_terms(
    svc: dealflow.DealService, spec: dealflow.DealSpec
) -> None:
    deal_id = drive_to(svc, spec, Stage.IN_SERVICE)  # signed at 5%, 30 days, 24 months
    at(svc, 42)
    svc.amend(deal_id, BUYER, change("12%", payment=60), reason="Budget cut")
    advice = svc.advise(deal_id)
    assert [o.version for o in advice.offers] == [2]  # the amendment's negotiation only
    assert advice.elapsed_days == 0
    # 2027-01-15 is 74 days after signing but 32 after the amendment: delivery 32 days.
    signed = seller_utility(5, 30, 24, 32)
    assert advice.tactic_target == 1.0
    assert advice.target == pytest.approx(signed, abs=1e-12)
    assert advice.counter.utility == pytest.approx(signed, abs=1e-6)
    assert advice.offers[0].utility == pytest.approx(seller_utility(12, 60, 24, 32), abs=1e-12)


def test_a_lapsed_offer_is_said_to_be_past_answering(svc: dealflow.DealService) -> None:
    deal_id = negotiation(svc, (0, change("5%")), (2, change("6%")))
    at(svc, 20)  # the buyer's counter was valid 14 days
    advice = svc.advise(deal_id)
    assert advice.lapsed
    assert not advice.accept
    assert "Offer v2 has lapsed" in advice.explanation
    assert "It was worth accepting (0.733 against our target 0.711)" in advice.explanation


def test_the_opening_offer_and_a_deal_without_a_delivery_date(svc: dealflow.DealService) -> None:
    spec = sample_deal_spec()
    undated = spec.model_copy(update={"delivery": None})
    deal_id = svc.open_deal(undated).id
    svc.present(deal_id, SELLER)
    advice = svc.advise(deal_id)
    assert advice.offers == ()
    assert advice.skipped == {
        "delivery_days": "the terms name no delivery place to date a delivery for"
    }
    assert advice.weights == pytest.approx(
        {"discount": 0.5 / 0.85, "payment_days": 0.2 / 0.85, "warranty_months": 0.15 / 0.85}
    )
    assert advice.target == 1.0
    assert advice.counter.outcome == pytest.approx(
        {"discount": 0, "payment_days": 14, "warranty_months": 12}, abs=1e-9
    )
    assert advice.counter.change == TermsChange(payment_days=14, warranty_months=12)
    assert "Open with" in advice.explanation
    assert "not made an offer" in advice.explanation
    svc.offer(deal_id, SELLER, advice.counter.change)


def test_advice_is_refused_outside_a_negotiation_or_without_preferences(
    svc: dealflow.DealService, spec: dealflow.DealSpec, clock: dealflow.FixedClock
) -> None:
    draft = svc.open_deal(spec).id
    with pytest.raises(ActionRefusedError, match="is draft: advice is for a deal under"):
        svc.advise(draft)
    signed = drive_to(svc, spec, Stage.SIGNED)
    with pytest.raises(ActionRefusedError, match="is signed"):
        svc.advise(signed)
    no_issues = parse_policy("preferences: {issues: {}}")
    bare = staffed(dealflow.DealService(dealflow.MemoryEventStore(), clock, no_issues))
    deal_id = drive_to(bare, spec, Stage.NEGOTIATING)
    with pytest.raises(ActionRefusedError, match="names no negotiable issues") as refused:
        bare.advise(deal_id)
    assert "\n" not in str(refused.value)
    with pytest.raises(dealflow.DealNotFoundError):
        svc.advise("nosuchdeal")


# The simulation and its chart ------------------------------------------------------------


def test_the_buyers_tactic_is_estimated_from_its_concessions() -> None:
    assert estimate_tactic([(2, 0.4)], 1.0, 30)[0] is Tactic.LINEAR
    assert estimate_tactic([(2, 0.4), (10, 0.4)], 1.0, 30)[0] is Tactic.BOULWARE
    # Half the gap closed in a quarter of the time: e = ln 0.25 / ln 0.5 = 2.
    assert estimate_tactic([(0, 0.4), (7.5, 0.7)], 1.0, 30)[0] is Tactic.CONCEDER
    # A sixteenth of it in a quarter: e = 0.5.
    assert estimate_tactic([(0, 0.2), (7.5, 0.25)], 1.0, 30)[0] is Tactic.BOULWARE
    assert estimate_tactic([(0, 0.2), (15, 0.6)], 1.0, 30)[0] is Tactic.LINEAR


def test_the_simulation_plays_on_from_the_deals_state_and_draws_its_dance(
    svc: dealflow.DealService,
) -> None:
    deal_id = negotiation(
        svc,
        (0, change("0%", payment=14, warranty=12)),
        (2, change("20%", payment=90, warranty=36)),
        (6, change("3%", payment=14, warranty=12)),
        (8, change("17%", payment=75, warranty=30)),
    )
    at(svc, 9)
    advice = svc.advise(deal_id, simulate=True, buyer_tactic="conceder")
    forecast = advice.forecast
    assert forecast is not None
    assert forecast.buyer_tactic is Tactic.CONCEDER
    assert forecast.buyer_tactic_reason == "conceder, as given"
    made = [m for m in forecast.moves if not m.simulated]
    assert [(m.version, m.round, m.side) for m in made] == [
        (1, 1, Side.SELLER),
        (2, 1, Side.BUYER),
        (3, 2, Side.SELLER),
        (4, 2, Side.BUYER),
    ]
    simulated = forecast.moves[len(made) :]
    assert simulated[0].side is Side.SELLER and simulated[0].round == 3
    assert simulated[0].day == pytest.approx(9)
    assert simulated[0].seller_utility == pytest.approx(advice.target, abs=1e-6)
    assert forecast.agreement is not None
    assert forecast.agreement.seller_utility >= advice.reservation
    assert forecast.agreement.day < advice.deadline_days
    estimated = svc.advise(deal_id, simulate=True).forecast
    assert estimated is not None and estimated.buyer_tactic_reason.startswith("estimated")

    svc_svg = dance_svg(
        forecast.moves,
        title='Dance for <PT "Sinar" & Co>\x01',
        reservation=advice.reservation,
        agreement=forecast.agreement,
    )
    root = ET.fromstring(svc_svg)
    svg = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{svg}svg"
    assert root.findtext(f"{svg}title") == 'Dance for <PT "Sinar" & Co>'
    assert len(root.findall(f"{svg}polyline")) == 4
    legend = [t.text for t in root.iter(f"{svg}text")]
    assert "our offers: our utility" in legend
    assert "buyer's offers: buyer's utility (modelled)" in legend
    assert "agreement" in legend


# Properties ------------------------------------------------------------------------------


def _base(clock: dealflow.FixedClock) -> tuple[Deal, dealflow.DealService]:
    svc = staffed(dealflow.DealService(dealflow.MemoryEventStore(), clock, POLICY))
    deal_id = drive_to(svc, sample_deal_spec(), Stage.OFFERED)
    return svc.get(deal_id), svc


BASE, BASE_SERVICE = _base(dealflow.FixedClock(START))
RULES = BASE_SERVICE.rules(BASE)


def with_buyer_offer(
    discount: Decimal, payment: int, warranty: int, delivery: int, day: float
) -> Deal:
    """The base deal (the seller's 5% offer) answered by the buyer with these terms."""
    terms = BASE.terms.changed(
        TermsChange(
            discount=Discount(percent=discount),
            payment_days=payment,
            warranty_months=warranty,
            delivery_date=START.date() + timedelta(days=delivery),
        )
    )
    offer = Offer(
        version=2,
        kind=OfferKind.COUNTER,
        side=Side.BUYER,
        terms=terms,
        made_at=START + timedelta(days=day),
    )
    return BASE.model_copy(
        update={"offers": (*BASE.offers, offer), "stage": Stage.NEGOTIATING, "turn": Side.SELLER}
    )


buyer_offers = st.builds(
    with_buyer_offer,
    discount=st.decimals(min_value=0, max_value=35, places=2),
    payment=st.integers(0, 150),
    warranty=st.integers(1, 60),
    delivery=st.integers(1, 120),
    day=st.floats(0, 40),
)
preferences = st.builds(
    lambda tactic, reservation, deadline: PREFERENCES.model_copy(
        update={"tactic": tactic, "reservation_utility": reservation, "deadline_days": deadline}
    ),
    tactic=st.sampled_from(Tactic),
    reservation=st.decimals(min_value=0, max_value=1, places=2),
    deadline=st.integers(1, 90),
)


@FEW
@given(deal=buyer_offers, prefs=preferences, later=st.floats(0, 60), more=st.floats(0, 30))
def test_advice_never_goes_below_the_walk_away_or_outside_the_bounds(
    deal: Deal, prefs: Preferences, later: float, more: float
) -> None:
    now = max(deal.offers[-1].made_at, START + timedelta(days=later))
    advice = advise_deal(deal, prefs, RULES, now)
    reservation = float(prefs.reservation_utility)
    counter = advice.counter
    assert counter.utility >= reservation - 1e-12
    space = deal_issues(prefs, [o.terms for o in deal.offers], deal.terms).space
    # The discount is rounded in our favour, unless that would make the counter worth more
    # than our own latest offer: then towards the buyer, by less than a hundredth of a percent.
    # That happens when the target was capped at our offer, or lies within one rounding step
    # below it (rounding up to our offer's worth would take back part of a concession).
    discount = [i for i in space.issues if i.name == "discount"]
    hundredth = max((i.weight * 0.01 / abs(i.worst - i.best) for i in discount), default=0.0)
    ours = [o.utility for o in advice.offers if o.side is Side.SELLER]
    if ours and counter.terms_utility < counter.utility - 1e-12:
        assert counter.utility >= ours[-1] - hundredth - 1e-9
        assert counter.terms_utility >= counter.utility - hundredth - 1e-12
    else:
        assert counter.terms_utility >= counter.utility - 1e-12
    assert counter.terms_utility >= reservation - hundredth - 1e-12
    if ours:
        assert counter.terms_utility <= max(ours[-1], counter.utility) + 1e-9
    for issue in space.issues:
        value = counter.outcome[issue.name]
        assert issue.low <= value <= issue.high
        assert issue.continuous or value in issue.values
        # The terms keep a value beyond the policy's best that the buyer offered itself.
        stated = counter.stated[issue.name]
        assert issue.low <= stated <= issue.high or issue.normalised(stated) > 1
    if counter.change.discount is not None:
        assert counter.change.discount.percent is not None
        assert 0 <= counter.change.discount.percent <= 20
    if advice.accept:
        assert advice.offers[-1].utility >= reservation
        assert advice.offers[-1].utility >= advice.target
    # The target never rises with time.
    later_advice = advise_deal(deal, prefs, RULES, now + timedelta(days=more))
    assert later_advice.target <= advice.target + 1e-12
