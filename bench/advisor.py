"""Benchmark of the negotiation advisor's math on the reference scenario.

Every figure is a median (the machine is noisy) and is printed next to its target and as a
ratio to a baseline measured in the same run:

1. Advice latency on a deal with 50 offers: ``Negotiator.advise`` of the reference seller
   (Boulware) at day 20 of 30, with the buyer's latest offer and the deal's 50 offers: the
   target utility, the counter-offer (bisection over the precomputed discrete combinations,
   the discount solved for), AC-next and the utility of each of the 50 offers. A second row
   adds building the seller from the policy's preferences (``Negotiator.from_preferences``:
   validation and the precomputed table), as a service that keeps nothing between calls
   would. Baseline: a plain scan that values every one of the 2,520 grid outcomes with
   ``IssueSpace.utility`` (the obvious implementation, without the table). Target: <= 50 ms.
   Two more rows time ``advise`` through the service on a real deal: the sample deal with
   the sample policy, 50 offers (the seller's and the buyer's counters in turn, twelve hours
   apart) on a memory store, advised at day 25 of 30: loading the deal, the buyer's class,
   the issues read from every offer's terms, the counter-offer written as terms with its
   approvals, AC-next, the customer games and the explanation; and the same with the
   simulation played to the deadline. Baseline: what ``dealflow show`` computes for the same
   deal (its view and the actions each role may take). Target: <= 50 ms.
2. Simulated rounds per second: ``simulate`` of the reference pairs Boulware-vs-conceder,
   linear-vs-linear and Boulware-vs-Boulware over 100 rounds each, the rounds actually played
   (a round is one seller offer and the buyer's reply) over the time. Baseline: the same
   simulations with a counter-offer that scans every discrete combination instead of the
   bisected slice (same rule, same agreements: checked). Target: >= 10,000 rounds/s.
3. The exact Pareto frontier over the 2,520 outcomes' (seller, buyer) utilities. Baseline:
   ``sorted`` of the same points alone, a lower bound for any sort-and-sweep. Target:
   <= 5 ms.

Run ``python bench/advisor.py`` from the repository root (``--quick`` for fewer repeats,
``--rounds N`` to choose them). It reports and never asserts: the exit code is 0 whatever the
figures, and a part that fails prints why and the rest still runs. The output ends with a table
of the figures against their targets.
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from _common import Row, Run, Target, attempt, interleave, medians, ms, per_call

import dealflow
import dealflow.domain.advisor.simulation as simulation_module
from dealflow.application.demo import sample_deal_spec
from dealflow.domain.advisor import (
    Agreement,
    Negotiator,
    Scenario,
    pareto_frontier,
    reference_scenario,
)
from dealflow.domain.advisor.offers import DISTANCE_TIE, _with_continuous, propose
from dealflow.domain.advisor.scenario import (
    REFERENCE_CONTINUOUS,
    REFERENCE_GRIDS,
    REFERENCE_PREFERENCES,
)
from dealflow.domain.advisor.space import AIM_ABOVE, _Table
from dealflow.domain.parties import Actor, Role
from dealflow.domain.policy import Tactic
from dealflow.domain.terms import Discount, TermsChange
from dealflow.files.policy import load_policy_file
from dealflow.read.views import deal_view

ADVICE_TARGET = Target(0.050, "50 ms")  # seconds
ROUNDS_TARGET = Target(10_000.0, "10,000/s", at_least=True)  # rounds per second
PARETO_TARGET = Target(0.005, "5 ms")  # seconds

REPEATS = 31
QUICK_REPEATS = 7
ADVICE_CALLS = 200
QUICK_ADVICE_CALLS = 50
SIMULATED_ROUNDS = 100
PAIRS = (
    (Tactic.BOULWARE, Tactic.CONCEDER),
    (Tactic.LINEAR, Tactic.LINEAR),
    (Tactic.BOULWARE, Tactic.BOULWARE),
)
HISTORY = 50


def offer(discount: float, payment: float, warranty: float, delivery: float) -> dict[str, float]:
    return {
        "discount": discount,
        "payment_days": payment,
        "warranty_months": warranty,
        "delivery_days": delivery,
    }


def fifty_offers() -> list[dict[str, float]]:
    """A deal's 50 offers: the seller's and the buyer's in turn, converging."""
    offers = []
    for n in range(HISTORY // 2):
        offers.append(offer(0.2 * n, 14 + 2 * (n % 5), 12, 60))
        offers.append(offer(20 - 0.4 * n, 90, 36 - (n % 3) * 6, 14 + (n % 4)))
    return offers


# 1. Advice ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AdviceFigures:
    advice: float
    cold_advice: float
    scan: float
    counter_utility: float
    target: float


def measure_advice(repeats: int, calls: int) -> AdviceFigures:
    seller = reference_scenario().seller
    history = fifty_offers()
    latest = history[-1]
    space = seller.space

    def advise() -> object:
        return seller.advise(20, 30, latest, history)

    def cold() -> object:
        fresh = Negotiator.from_preferences(
            REFERENCE_PREFERENCES, REFERENCE_GRIDS, REFERENCE_CONTINUOUS
        )
        return fresh.advise(20, 30, latest, history)

    names = space.names

    def scan() -> object:
        utility = space.utility
        return [utility(dict(zip(names, v, strict=True))) for v in space.grid()]

    result = seller.advise(20, 30, latest, history)
    advise(), cold(), scan()  # warm-up
    found = medians(
        interleave(
            {
                "advise": lambda: per_call(advise, calls),
                "cold": lambda: per_call(cold, max(1, calls // 10)),
                "scan": lambda: per_call(scan, 3),
            },
            repeats,
        )
    )
    return AdviceFigures(
        advice=found["advise"],
        cold_advice=found["cold"],
        scan=found["scan"],
        counter_utility=result.counter_utility,
        target=result.target,
    )


@dataclass(frozen=True)
class ServiceAdviceFigures:
    advise: float
    simulate: float
    show: float
    offers: int
    accept: bool
    agreement_round: int | None


def negotiated_deal() -> tuple[dealflow.DealService, str]:
    """The sample deal with the sample policy, 50 offers into its negotiation, at day 25."""
    policy = load_policy_file(Path(dealflow.__file__).parent / "samples" / "policy.yaml")
    start = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)
    clock = dealflow.FixedClock(start)
    svc = dealflow.DealService(dealflow.MemoryEventStore(), clock, policy)
    seller = Actor(name="Budi Santoso", role=Role.SELLER)
    buyer = Actor(name="Siti Rahmawati", role=Role.BUYER)
    deal_id = svc.open_deal(sample_deal_spec()).id
    svc.present(deal_id, seller)
    svc.offer(deal_id, seller, TermsChange(discount=Discount.parse("0%")))
    for n in range(1, HISTORY):
        clock.advance(timedelta(hours=12))
        if n % 2:
            ask = TermsChange(discount=Discount.parse(f"{20 - 0.2 * n:.2f}%"), payment_days=90 - n)
            svc.counter(deal_id, buyer, ask)
        else:
            give = TermsChange(discount=Discount.parse(f"{0.15 * n:.2f}%"), payment_days=14 + n)
            svc.counter(deal_id, seller, give)
    clock.advance(timedelta(hours=6))
    return svc, deal_id


def measure_service_advice(repeats: int, calls: int) -> ServiceAdviceFigures:
    svc, deal_id = negotiated_deal()

    # Through the mixin, so that this runs whether or not DealService inherits it yet.
    def advise() -> object:
        return svc.advise(deal_id)

    def simulated() -> object:
        return svc.advise(deal_id, simulate=True)

    def show() -> object:
        return deal_view(svc.get(deal_id), svc.clock.now(), svc.possible_actions(deal_id))

    result = svc.advise(deal_id, simulate=True)
    advise(), simulated(), show()  # warm-up
    few = max(1, calls // 10)
    found = medians(
        interleave(
            {
                "advise": lambda: per_call(advise, few),
                "simulate": lambda: per_call(simulated, few),
                "show": lambda: per_call(show, few),
            },
            repeats,
        )
    )
    assert result.forecast is not None
    agreement = result.forecast.agreement
    return ServiceAdviceFigures(
        advise=found["advise"],
        simulate=found["simulate"],
        show=found["show"],
        offers=len(result.offers),
        accept=result.accept,
        agreement_round=None if agreement is None else agreement.round,
    )


# 2. Simulated rounds -----------------------------------------------------------------------


def scan_propose(table: _Table, tau: float, other: Sequence[float] | None) -> tuple[float, ...]:
    """The counter-offer rule with no bisection: every discrete combination is looked at (the
    grid rule, when no combination reaches the target exactly, is left to ``propose``)."""
    if table.w_cont <= 0.0 or other is None:
        return propose(table, tau, other)
    bd, bc = table.normalised(other)
    wc, aim = table.w_cont, min(tau + AIM_ABOVE, table.top)
    best_d, best_xc = math.inf, 0.0
    best_values: tuple[float, ...] = ()
    for p, xs, values in table.rows:
        if p > aim or p + wc < tau:
            continue
        xc = min(1.0, (aim - p) / wc)
        d = math.dist(xs, bd) ** 2 + (xc - bc) ** 2
        if d < best_d - DISTANCE_TIE:
            best_d, best_xc, best_values = d, xc, values
    if best_d == math.inf:
        return propose(table, tau, other)
    return _with_continuous(table, tau, best_values, best_xc)


@contextmanager
def scanning() -> Iterator[None]:
    """The simulation with :func:`scan_propose`: the baseline."""
    original = simulation_module.propose
    simulation_module.propose = scan_propose
    try:
        yield
    finally:
        simulation_module.propose = original


@dataclass(frozen=True)
class RoundFigures:
    rounds_per_second: float
    baseline_per_second: float
    rounds: tuple[int, ...]
    same_agreements: bool


def play(scenarios: Sequence[Scenario]) -> tuple[int, list[Agreement | None]]:
    played = 0
    agreements: list[Agreement | None] = []
    for s in scenarios:
        result = simulation_module.simulate(s.seller, s.buyer, SIMULATED_ROUNDS)
        agreement = result.agreement
        played += SIMULATED_ROUNDS if agreement is None else agreement.round + 1
        agreements.append(agreement)
    return played, agreements


def measure_rounds(repeats: int) -> RoundFigures:
    scenarios = [reference_scenario(s, b) for s, b in PAIRS]
    played, agreements = play(scenarios)
    with scanning():
        scanned_played, scanned = play(scenarios)

    def scanned_play() -> object:
        with scanning():
            return play(scenarios)

    found = medians(
        interleave(
            {
                "ours": lambda: per_call(lambda: play(scenarios), 1),
                "scan": lambda: per_call(scanned_play, 1),
            },
            repeats,
        )
    )
    per_round, baseline = found["ours"], found["scan"]
    rounds = tuple(SIMULATED_ROUNDS if a is None else a.round + 1 for a in agreements)
    return RoundFigures(
        rounds_per_second=played / per_round,
        baseline_per_second=scanned_played / baseline,
        rounds=rounds,
        same_agreements=agreements == scanned,
    )


# 3. Pareto frontier -------------------------------------------------------------------------


@dataclass(frozen=True)
class ParetoFigures:
    frontier: float
    sort: float
    points: int
    size: int


def measure_pareto(repeats: int) -> ParetoFigures:
    points = reference_scenario().grid_utilities()
    size = len(pareto_frontier(points))
    found = medians(
        interleave(
            {
                "frontier": lambda: per_call(lambda: pareto_frontier(points), 5),
                "sort": lambda: per_call(lambda: sorted(points), 5),
            },
            repeats,
        )
    )
    return ParetoFigures(
        frontier=found["frontier"], sort=found["sort"], points=len(points), size=size
    )


# Reporting --------------------------------------------------------------------------------


def fine(seconds: float) -> str:
    return ms(seconds, 3)


def against(
    rows: list[Row],
    figures: Sequence[tuple[str, float]],
    baseline: float,
    named: str,
    target: Target,
    digits: int = 2,
) -> None:
    """A row per figure: its seconds against the baseline's (``named`` says what that is)."""
    for label, seconds in figures:
        ratio = f"{seconds / baseline:.{digits}f}x"
        rows.append(
            Row.of(label, fine(seconds), f"{fine(baseline)} {named}", ratio, target, seconds)
        )


def report_advice(repeats: int, calls: int, rows: list[Row]) -> None:
    print(f"1. advice on a deal with {HISTORY} offers (Boulware seller, day 20 of 30)")
    a = attempt("advice", rows, lambda: measure_advice(repeats, calls))
    if a is not None:
        print(
            f"   advise {fine(a.advice)} per call ({calls} calls a repeat); with the seller "
            f"built from the preferences {fine(a.cold_advice)}; plain scan of the 2,520 "
            f"outcomes {fine(a.scan)}; counter-offer utility {a.counter_utility:.9f} for target "
            f"{a.target:.9f}"
        )
        figures = (("advice", a.advice), ("advice, seller built", a.cold_advice))
        against(rows, figures, a.scan, "scan of 2,520", ADVICE_TARGET, digits=3)


def report_service_advice(repeats: int, calls: int, rows: list[Row]) -> None:
    print(f"   advise through the service on the sample deal with {HISTORY} offers, at day 25")
    v = attempt("advise (service)", rows, lambda: measure_service_advice(repeats, calls))
    if v is None:
        return
    figures = (
        ("advise (service, 50 offers)", v.advise),
        ("advise --simulate (service)", v.simulate),
    )
    print(
        f"   advise {fine(v.advise)} per call, with the simulation {fine(v.simulate)}; "
        f"dealflow show's view of the same deal {fine(v.show)} ({v.offers} offers valued, "
        f"accept: {v.accept}, simulated agreement in round {v.agreement_round})"
    )
    against(rows, figures, v.show, "show's view", ADVICE_TARGET)


def report_rounds(repeats: int, rows: list[Row]) -> None:
    print(
        f"2. simulated rounds: {', '.join(f'{s.value}-vs-{b.value}' for s, b in PAIRS)}, "
        f"{SIMULATED_ROUNDS} rounds each"
    )
    r = attempt("simulated rounds", rows, lambda: measure_rounds(repeats))
    if r is None:
        return
    same = "the same agreements" if r.same_agreements else "OTHER AGREEMENTS (a bug)"
    print(
        f"   {r.rounds_per_second:,.0f} rounds/s (rounds played to agreement: "
        f"{', '.join(map(str, r.rounds))}); full scan of every combination "
        f"{r.baseline_per_second:,.0f} rounds/s, {same}"
    )
    rows.append(
        Row.of(
            "simulated rounds",
            f"{r.rounds_per_second:,.0f}/s",
            f"{r.baseline_per_second:,.0f}/s full scan",
            f"{r.rounds_per_second / r.baseline_per_second:.2f}x",
            ROUNDS_TARGET,
            r.rounds_per_second,
        )
    )


def report_pareto(repeats: int, rows: list[Row]) -> None:
    print("3. exact Pareto frontier of the 2,520 outcomes")
    p = attempt("pareto frontier", rows, lambda: measure_pareto(repeats))
    if p is None:
        return
    print(
        f"   {p.size} of {p.points:,} outcomes on the frontier in {fine(p.frontier)}; "
        f"sorted() alone {fine(p.sort)}"
    )
    against(rows, (("pareto frontier", p.frontier),), p.sort, "sorted() alone", PARETO_TARGET)


def main() -> None:
    run = Run(__doc__, rounds=REPEATS, quick=QUICK_REPEATS, unit="repeats")
    calls = QUICK_ADVICE_CALLS if run.quick else ADVICE_CALLS
    run.header("advisor", after=", reference scenario (2,520 outcomes)")
    report_advice(run.rounds, calls, run.rows)
    report_service_advice(run.rounds, calls, run.rows)
    report_rounds(run.rounds, run.rows)
    report_pareto(run.rounds, run.rows)
    run.finish()


if __name__ == "__main__":
    main()
