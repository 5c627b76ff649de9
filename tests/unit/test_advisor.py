"""The advisor's math: utilities of hand-computed offers, the tactics' target curves, the
counter-offer rule (exact target, closest to the buyer's offer), AC-next, the exact Pareto
frontier, and the reference scenario's simulations ending near the frontier."""

from __future__ import annotations

import itertools
import math
import random
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dealflow.domain.advisor import (
    EXPONENTS,
    Issue,
    IssueSpace,
    Negotiator,
    accept_next,
    distance_to_frontier,
    next_offer,
    pareto_frontier,
    reference_scenario,
    simulate,
    target_utility,
)
from dealflow.domain.advisor.scenario import REFERENCE_GRIDS, REFERENCE_PREFERENCES
from dealflow.domain.policy import IssuePreference, Preferences, Tactic

#: Hypothesis spends about 1 ms on drawing each example here: the ci profile's 10,000 would
#: take this file well over a minute for little more coverage. Every property is capped at
#: 1,000 examples; those that brute-force a space or play a negotiation at fewer.
CAPPED = settings(max_examples=min(1_000, settings().max_examples))
COSTLY = settings(max_examples=min(500, settings().max_examples))
SIMULATIONS = settings(max_examples=min(300, settings().max_examples))

SCENARIO = reference_scenario()
SELLER = SCENARIO.seller.space
BUYER = SCENARIO.buyer.space
NAMES = ("discount", "payment_days", "warranty_months", "delivery_days")


def offer(discount: float, payment: float, warranty: float, delivery: float) -> dict[str, float]:
    return dict(zip(NAMES, (discount, payment, warranty, delivery), strict=True))


def distance(space: IssueSpace, a: dict[str, float], b: dict[str, float]) -> float:
    """Euclidean distance in the normalised issue space (each issue 0 to 1 over its range)."""
    return math.dist(
        [i.normalised(a[i.name]) for i in space.issues],
        [i.normalised(b[i.name]) for i in space.issues],
    )


def iso_utility_offers(space: IssueSpace, target: float) -> list[dict[str, float]]:
    """Every offer of the reference space worth exactly ``target``: each combination of the
    discrete issues' grid values with the discount solved for, where it is within 0-20%."""
    discount = space.issues[0]
    found = []
    for rest in itertools.product(*(i.values for i in space.issues[1:])):
        partial = sum(
            i.weight * i.normalised(v) for i, v in zip(space.issues[1:], rest, strict=True)
        )
        x = (target - partial) / discount.weight
        if 0 <= x <= 1:
            found.append(offer(discount.worst + x * (discount.best - discount.worst), *rest))
    return found


# Utilities ------------------------------------------------------------------------------


def test_the_utility_of_hand_computed_offers() -> None:
    # 10% is half-way (0.5); 30 days is 60/76 of the way from 90 to 14; 24 months half-way;
    # 45 days is 31/46 of the way from 14 to 60.
    mid = offer(10, 30, 24, 45)
    assert SELLER.utility(mid) == pytest.approx(
        0.5 * 0.5 + 0.2 * 60 / 76 + 0.15 * 0.5 + 0.15 * 31 / 46, abs=1e-12
    )
    assert SELLER.utility(mid) == pytest.approx(0.5839816934, abs=1e-9)
    # The buyer: the mirror, weights 0.45/0.25/0.2/0.1.
    assert BUYER.utility(mid) == pytest.approx(
        0.45 * 0.5 + 0.25 * 16 / 76 + 0.2 * 0.5 + 0.1 * 15 / 46, abs=1e-12
    )
    assert BUYER.utility(mid) == pytest.approx(0.4102402746, abs=1e-9)
    assert SELLER.utility(offer(5, 45, 18, 60)) == pytest.approx(
        0.5 * 0.75 + 0.2 * 45 / 76 + 0.15 * 0.75 + 0.15, abs=1e-12
    )
    seller_best, buyer_best = offer(0, 14, 12, 60), offer(20, 90, 36, 14)
    assert SELLER.utility(seller_best) == pytest.approx(1, abs=1e-12)
    assert SELLER.utility(buyer_best) == 0
    assert BUYER.utility(buyer_best) == pytest.approx(1, abs=1e-12)
    assert BUYER.utility(seller_best) == 0
    # A discount between grid steps: the discount issue is continuous.
    assert SELLER.utility(offer(2.5, 90, 36, 14)) == pytest.approx(0.5 * 0.875, abs=1e-12)


def test_the_reference_space_has_2520_outcomes_on_its_grids() -> None:
    assert SELLER.size == BUYER.size == 2_520
    assert len(SELLER.grid_utilities()) == 2_520
    assert SELLER.names == NAMES


def test_a_value_outside_the_bounds_is_refused() -> None:
    with pytest.raises(ValueError, match="discount 25 is outside 0 to 20"):
        SELLER.utility(offer(25, 30, 24, 45))
    with pytest.raises(KeyError):
        SELLER.utility({"discount": 5})
    assert not SELLER.allows(offer(5, 40, 24, 45))  # 40 days is not on the grid
    assert SELLER.allows(offer(5.25, 45, 24, 45))  # any discount from 0 to 20%


def test_the_space_is_built_from_the_policys_preferences() -> None:
    assert [(i.name, i.best, i.worst, i.weight, i.continuous) for i in SELLER.issues] == [
        ("discount", 0, 20, 0.5, True),
        ("payment_days", 14, 90, 0.2, False),
        ("warranty_months", 12, 36, 0.15, False),
        ("delivery_days", 60, 14, 0.15, False),
    ]
    assert SCENARIO.seller.reservation == 0.35
    assert SCENARIO.buyer.reservation == 0.3
    with pytest.raises(ValueError, match="no grid of values for delivery_days"):
        IssueSpace.from_preferences(
            REFERENCE_PREFERENCES,
            {k: v for k, v in REFERENCE_GRIDS.items() if k != "delivery_days"},
        )
    lopsided = Preferences(
        issues={
            "discount": IssuePreference(weight=Decimal("0.5"), best="0%", worst="20%"),
            "payment_days": IssuePreference(weight=Decimal("0.4"), best=14, worst=90),
        }
    )
    with pytest.raises(ValueError, match="weights must sum to 1"):
        IssueSpace.from_preferences(lopsided, REFERENCE_GRIDS)


def test_an_issue_grid_must_run_from_worst_to_best() -> None:
    with pytest.raises(ValueError, match="must run from worst to best"):
        Issue(name="discount", values=(0, 10), best=0, worst=20, weight=1)
    with pytest.raises(ValueError, match="strictly increasing"):
        Issue(name="discount", values=(0, 10, 10, 20), best=0, worst=20, weight=1)
    two = [Issue(name=n, values=(0, 1), best=1, worst=0, weight=0.5, continuous=True) for n in "ab"]
    with pytest.raises(ValueError, match="at most one issue may be continuous"):
        IssueSpace(issues=tuple(two))


# Target utility curves ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tactic", "half_way"),
    [
        # 1 - 0.65 * 0.5 ** (1 / e), e = 0.5, 1, 2
        (Tactic.BOULWARE, 1 - 0.65 * 0.25),
        (Tactic.LINEAR, 1 - 0.65 * 0.5),
        (Tactic.CONCEDER, 1 - 0.65 * 0.7071067811865476),
    ],
)
def test_the_target_curve_of_each_tactic(tactic: Tactic, half_way: float) -> None:
    assert target_utility(0, 30, tactic, u_res=0.35) == 1
    assert target_utility(15, 30, tactic, u_res=0.35) == pytest.approx(half_way, abs=1e-12)
    assert target_utility(30, 30, tactic, u_res=0.35) == 0.35
    assert target_utility(45, 30, tactic, u_res=0.35) == 0.35  # after the deadline
    assert target_utility(15, 30, EXPONENTS[tactic], u_res=0.35) == target_utility(
        15, 30, tactic, u_res=0.35
    )


def test_the_half_way_targets_are_0_8375_0_675_and_0_5404() -> None:
    halves = [target_utility(50, 100, t, u_res=0.35) for t in Tactic]
    assert halves == pytest.approx([0.8375, 0.675, 0.5403805922], abs=1e-9)
    # From a lower start: 0.9 - (0.9 - 0.35) * 0.5
    assert target_utility(50, 100, 1.0, u_res=0.35, u_max=0.9) == pytest.approx(0.625)


def test_bad_tactic_arguments_are_refused() -> None:
    with pytest.raises(ValueError, match="positive number"):
        target_utility(1, 10, 0.0, u_res=0.3)
    with pytest.raises(ValueError, match="deadline"):
        target_utility(1, 0, Tactic.LINEAR, u_res=0.3)
    with pytest.raises(ValueError, match="u_res <= u_max"):
        target_utility(1, 10, Tactic.LINEAR, u_res=0.8, u_max=0.7)


# The counter-offer ----------------------------------------------------------------------


def test_the_counter_offer_to_the_buyers_best_is_the_hand_computed_one() -> None:
    buyer_best = offer(20, 90, 36, 14)
    got = next_offer(SELLER, 0.6, buyer_best, reservation=0.35)
    # The discrete issues nearest the buyer's that leave the discount room: 60 days, 30
    # months, 30 days; the discount makes up the rest of 0.6.
    x = (0.6 - 0.2 * 30 / 76 - 0.15 * 6 / 24 - 0.15 * 16 / 46) / 0.5
    assert got == pytest.approx(offer(20 * (1 - x), 60, 30, 30), abs=1e-9)
    assert got["discount"] == pytest.approx(2.7448512585, abs=1e-9)
    assert SELLER.utility(got) == pytest.approx(0.6, abs=1e-6)


@pytest.mark.parametrize("target", [0.36, 0.45, 0.6, 0.75, 0.9])
@pytest.mark.parametrize(
    "buyer", [offer(20, 90, 36, 14), offer(8, 60, 24, 30), offer(12.5, 45, 30, 45)]
)
def test_the_counter_offer_has_the_target_utility_and_is_closest_to_the_buyers(
    target: float, buyer: dict[str, float]
) -> None:
    got = next_offer(SELLER, target, buyer, reservation=0.35)
    assert SELLER.utility(got) == pytest.approx(target, abs=1e-6)
    assert SELLER.allows(got)
    mine = distance(SELLER, got, buyer)
    every = iso_utility_offers(SELLER, target)
    assert len(every) >= 10
    for other in every:
        assert mine <= distance(SELLER, other, buyer) + 1e-9
    # And random offers of the space worth the target (a grid point, the discount solved).
    rng = random.Random(f"{target}{buyer}")
    sampled = [rng.choice(every) for _ in range(200)]
    assert all(mine <= distance(SELLER, s, buyer) + 1e-9 for s in sampled)


def test_the_target_is_raised_to_the_reservation_and_capped_at_the_best() -> None:
    buyer_best = offer(20, 90, 36, 14)
    low = next_offer(SELLER, 0.1, buyer_best, reservation=0.35)
    assert SELLER.utility(low) == pytest.approx(0.35, abs=1e-6)
    assert next_offer(SELLER, 1.5, buyer_best, reservation=0.35) == offer(0, 14, 12, 60)
    # Before any buyer offer, the opening at the full target is the seller's best outcome.
    assert SCENARIO.seller.next_offer(0, 30, None) == offer(0, 14, 12, 60)


def test_on_discrete_grids_the_smallest_utility_above_the_target_then_the_nearest() -> None:
    issues = tuple(Issue(name=n, values=(0, 1, 2), best=2, worst=0, weight=0.5) for n in "ab")
    space = IssueSpace(issues=issues)
    # Worth 0.5: (1, 1), (0, 2), (2, 0); the nearest to the buyer's offer wins.
    assert next_offer(space, 0.5, {"a": 0, "b": 0}, reservation=0) == {"a": 1, "b": 1}
    assert next_offer(space, 0.5, {"a": 2, "b": 0}, reservation=0) == {"a": 2, "b": 0}
    # Nothing is worth 0.6: the smallest utility above it is 0.75, (2, 1) or (1, 2).
    assert next_offer(space, 0.6, {"a": 2, "b": 0}, reservation=0) == {"a": 2, "b": 1}
    assert next_offer(space, 0.6, {"a": 0, "b": 2}, reservation=0) == {"a": 1, "b": 2}


def test_when_the_continuous_issue_cannot_reach_the_target_the_grid_rule_applies() -> None:
    heavy = Issue(name="a", values=(0, 1), best=1, worst=0, weight=0.9)
    light = Issue(name="c", values=(0, 1), best=1, worst=0, weight=0.1, continuous=True)
    space = IssueSpace(issues=(heavy, light))
    # 0.5 is out of reach (0 to 0.1, or 0.9 to 1): the smallest above is 0.9, c at worst.
    assert next_offer(space, 0.5, {"a": 0, "c": 0}, reservation=0) == {"a": 1, "c": 0}
    got = next_offer(space, 0.95, {"a": 0, "c": 0}, reservation=0)
    assert got == pytest.approx({"a": 1, "c": 0.5}, abs=1e-9)


# AC-next ---------------------------------------------------------------------------------


def test_ac_next_accepts_an_offer_worth_at_least_the_next_target() -> None:
    mid = offer(10, 30, 24, 45)  # worth 0.58398 to the seller
    assert accept_next(SELLER, mid, 0.58, reservation=0.35)
    assert not accept_next(SELLER, mid, 0.59, reservation=0.35)
    assert not accept_next(SELLER, mid, 0.1, reservation=0.6)  # never below the reservation
    # An offer beyond the bounds is judged by the same linear utility: 25% is worth less.
    assert not accept_next(SELLER, offer(25, 90, 36, 14), 0.0, reservation=0.0)


def test_the_advice_on_a_deal_with_fifty_offers() -> None:
    history = [offer(20 - i * 0.4, 90, 36, 14) for i in range(50)]
    advice = SCENARIO.seller.advise(20, 30, history[-1], history)
    target = target_utility(20, 30, Tactic.BOULWARE, u_res=0.35)
    assert advice.target == pytest.approx(target)
    assert advice.counter_utility == pytest.approx(target, abs=1e-6)
    assert advice.opponent_utility == pytest.approx(0.5 * 0.98)
    assert advice.accept is (target <= 0.49)
    assert len(advice.history_utilities) == 50
    assert advice.history_utilities[0] == 0


# Pareto frontier ------------------------------------------------------------------------


def test_the_reference_frontier_is_exact() -> None:
    points = SCENARIO.grid_utilities()
    frontier = pareto_frontier(points)
    on = [points[i] for i in frontier]
    assert len(on) == 73
    assert on == sorted(on, reverse=True)
    assert on[0] == pytest.approx((1, 0), abs=1e-12)
    assert on[-1] == pytest.approx((0, 1), abs=1e-12)

    def dominates(a: tuple[float, float], b: tuple[float, float]) -> bool:
        return a[0] >= b[0] and a[1] >= b[1] and a != b

    chosen = set(frontier)
    for i, p in enumerate(points):
        beaten = any(dominates(f, p) for f in on)
        assert beaten is (i not in chosen and p not in on), (i, p)
    assert distance_to_frontier(on[5], on) == 0


@COSTLY
@given(st.lists(st.tuples(st.integers(0, 6), st.integers(0, 6)), max_size=30))
def test_the_frontier_is_every_undominated_point_once(raw: list[tuple[int, int]]) -> None:
    points = [(a / 6, b / 6) for a, b in raw]
    got = [points[i] for i in pareto_frontier(points)]
    expected = {
        p for p in points if not any(q[0] >= p[0] and q[1] >= p[1] and q != p for q in points)
    }
    assert len(got) == len(set(got)) == len(expected)
    assert set(got) == expected


# The reference scenario's simulations ---------------------------------------------------


@pytest.mark.parametrize(
    ("seller", "buyer"),
    [
        (Tactic.BOULWARE, Tactic.CONCEDER),
        (Tactic.LINEAR, Tactic.LINEAR),
        (Tactic.BOULWARE, Tactic.BOULWARE),
    ],
)
def test_reference_simulations_agree_near_the_pareto_frontier(
    seller: Tactic, buyer: Tactic
) -> None:
    scenario = reference_scenario(seller, buyer)
    result = simulate(scenario.seller, scenario.buyer, 100)
    agreement = result.agreement
    assert agreement is not None
    assert agreement.round < 100
    point = (agreement.seller_utility, agreement.buyer_utility)
    assert distance_to_frontier(point, scenario.frontier()) <= 0.02
    assert agreement.seller_utility >= 0.35
    assert agreement.buyer_utility >= 0.3
    assert SELLER.utility(agreement.outcome) == pytest.approx(agreement.seller_utility)
    assert BUYER.utility(agreement.outcome) == pytest.approx(agreement.buyer_utility)
    # Both sides' utilities of every offer, seller first, alternating, round by round.
    assert [m.proposer for m in result.moves[:4]] == ["seller", "buyer", "seller", "buyer"]
    assert [m.round for m in result.moves[:4]] == [0, 0, 1, 1]
    assert (result.moves[0].seller_utility, result.moves[0].buyer_utility) == pytest.approx((1, 0))


def test_without_common_ground_there_is_no_deal() -> None:
    scenario = reference_scenario()
    greedy = scenario.buyer.model_copy(update={"reservation": 0.99})
    result = simulate(scenario.seller, greedy, 20)
    assert result.agreement is None
    assert len(result.moves) == 40


# Properties -----------------------------------------------------------------------------


@st.composite
def spaces(draw: st.DrawFn) -> IssueSpace:
    """Small random spaces: 1 to 4 issues, 2 to 5 grid values each, either orientation,
    random weights, at most one continuous issue."""
    count = draw(st.integers(1, 4))
    weights = [draw(st.integers(1, 20)) for _ in range(count)]
    continuous = draw(st.integers(-1, count - 1))
    issues = []
    for n in range(count):
        grid = sorted(draw(st.sets(st.integers(-50, 50), min_size=2, max_size=5)))
        values = tuple(v / 4 for v in grid)
        best, worst = (values[-1], values[0]) if draw(st.booleans()) else (values[0], values[-1])
        issues.append(
            Issue(
                name=f"i{n}",
                values=values,
                best=best,
                worst=worst,
                weight=weights[n] / sum(weights),
                continuous=n == continuous,
            )
        )
    return IssueSpace(issues=tuple(issues))


@st.composite
def space_and_offer(draw: st.DrawFn) -> tuple[IssueSpace, dict[str, float]]:
    space = draw(spaces())
    buyer = {
        i.name: draw(st.floats(i.low, i.high, allow_nan=False, allow_infinity=False))
        for i in space.issues
    }
    return space, buyer


def oracle(space: IssueSpace, tau: float, buyer: dict[str, float]) -> tuple[float, float]:
    """The documented rule by brute force: the smallest utility >= tau of the space's offers
    (each grid combination of the discrete issues, the continuous one solved for, or at its
    worst if the rest already reaches tau), and the nearest such offer's distance to the
    buyer's."""
    cont = [i for i in space.issues if i.continuous]
    discrete = [i for i in space.issues if not i.continuous]
    candidates = []
    for values in itertools.product(*(i.values for i in discrete)):
        outcome = dict(zip((i.name for i in discrete), values, strict=True))
        p = sum(i.weight * i.normalised(outcome[i.name]) for i in discrete)
        if cont and p < tau:
            # Solved for: worth tau exactly, if the continuous issue's best makes it.
            c = cont[0]
            if p + c.weight < tau:
                continue
            outcome[c.name] = c.value_at((tau - p) / c.weight)
            candidates.append((tau, outcome))
        elif p >= tau:
            if cont:
                outcome[cont[0].name] = cont[0].worst
            candidates.append((p, outcome))
    smallest = min(p for p, _ in candidates)
    near = min(distance(space, o, buyer) for p, o in candidates if p <= smallest + 1e-9)
    return smallest, near


@CAPPED
@given(
    space_and_offer(),
    st.floats(-0.5, 1.5, allow_nan=False),
    st.floats(0, 0.99, allow_nan=False),
)
def test_the_counter_offer_follows_the_documented_rule(
    case: tuple[IssueSpace, dict[str, float]], target: float, reservation: float
) -> None:
    space, buyer = case
    got = next_offer(space, target, buyer, reservation=reservation)
    # Never outside the bounds, never off a discrete grid, never below the reservation.
    assert space.allows(got)
    worth = space.utility(got)
    assert worth >= reservation
    top = space.utility({i.name: i.best for i in space.issues})
    tau = min(max(target, reservation), top)
    assert worth >= tau
    smallest, near = oracle(space, tau, buyer)
    assert worth == pytest.approx(smallest, abs=1e-9)
    assert distance(space, got, buyer) <= near + 1e-9


@COSTLY
@given(
    st.lists(st.tuples(*(st.floats(i.low, i.high) for i in SELLER.issues)), min_size=1),
    st.floats(0, 1),
    st.floats(0, 1),
)
def test_the_reference_advice_never_goes_below_the_reservation_or_out_of_bounds(
    history: list[tuple[float, ...]], t: float, reservation: float
) -> None:
    seller = SCENARIO.seller.model_copy(update={"reservation": reservation})
    latest = SELLER.outcome(history[-1])
    advice = seller.advise(t * 30, 30, latest, [SELLER.outcome(h) for h in history])
    assert SELLER.allows(advice.counter_offer)
    assert SELLER.utility(advice.counter_offer) >= reservation
    assert advice.counter_utility >= advice.target - 1e-12
    if advice.accept:
        assert SELLER.utility(latest) >= reservation


@CAPPED
@given(
    st.floats(0, 1e6),
    st.floats(0, 1e6),
    st.floats(1e-3, 1e6),
    st.one_of(st.sampled_from(Tactic), st.floats(0.01, 100)),
    st.floats(0, 1),
    st.floats(0, 1),
)
def test_the_target_never_rises_with_time(
    t1: float, t2: float, deadline: float, tactic: Tactic | float, a: float, b: float
) -> None:
    u_res, u_max = min(a, b), max(a, b)
    early, late = min(t1, t2), max(t1, t2)
    first = target_utility(early, deadline, tactic, u_res=u_res, u_max=u_max)
    second = target_utility(late, deadline, tactic, u_res=u_res, u_max=u_max)
    assert u_max >= first >= second >= u_res


@CAPPED
@given(
    st.tuples(*(st.floats(i.low - 10, i.high + 10) for i in SELLER.issues)),
    st.floats(-1, 2),
    st.floats(0, 1),
)
def test_ac_next_never_accepts_below_the_reservation(
    values: tuple[float, ...], target: float, reservation: float
) -> None:
    outcome = SELLER.outcome(values)
    if accept_next(SELLER, outcome, target, reservation=reservation):
        worth = SCENARIO.seller.space._table.utility(values)
        assert worth >= reservation
        assert worth >= target


@SIMULATIONS
@given(
    st.floats(0.05, 20),
    st.floats(0.05, 20),
    st.integers(1, 60),
    st.floats(0, 0.9),
    st.floats(0, 0.9),
)
def test_a_simulation_never_agrees_below_either_reservation(
    seller_e: float, buyer_e: float, rounds: int, seller_res: float, buyer_res: float
) -> None:
    seller = Negotiator(space=SELLER, reservation=seller_res, tactic=seller_e)
    buyer = Negotiator(space=BUYER, reservation=buyer_res, tactic=buyer_e)
    result = simulate(seller, buyer, rounds)
    assert len(result.moves) <= 2 * rounds
    for move in result.moves:
        mine = move.seller_utility if move.proposer == "seller" else move.buyer_utility
        assert mine >= (seller_res if move.proposer == "seller" else buyer_res)
    if result.agreement is not None:
        assert result.agreement.seller_utility >= seller_res
        assert result.agreement.buyer_utility >= buyer_res
        assert SELLER.allows(result.agreement.outcome)
