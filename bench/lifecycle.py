"""Benchmark of the deal lifecycle: what the service adds to a transition, what authorization
adds to an action, and long deals.

Four figures, each printed next to its target and as a ratio against a baseline measured in
the same run, the two timed in turns (machines differ and are noisy, so every figure is the
median of several repeats); a table of them ends the output:

1. Per-action cost of :class:`~dealflow.DealService` on the in-memory store, running
   the sample deal through a full lifecycle (present, offer, six counters alternating buyer and
   seller, accept, propose_special, agree, approve, sign twice, start_service; ``open_deal`` is
   reported apart). Each action is taken by the member who may take it, on a roster like the
   tests': budi, the rep (seller, service and admin), takes the seller's actions and records
   the buyer's; lukas (legal) approves, the custom clause being the only approval the sample
   needs, since separation of duties keeps the deal's owner from approving it; desk (service)
   starts the service; maya (manager) is on the roster but has nothing to approve. The
   figure includes authorization. Baseline: the same action sequence fired bare on the shared
   ``transitions`` machine, ``MACHINE.events[name].trigger(cursor)``, with the cursor facts set
   so that the conditional transitions go the same way. Target: service <= 15x the bare firing.
1b. Per-action cost of authorization, on the memory store and on a SQLite file: the lifecycle
   of figure 1 (``open_deal`` apart) by the service as shipped vs the same without
   authorization, interleaved (each repeat runs both, the one first that ran second in the
   repeat before), each run on a new store staffed the same way before timing; medians, and
   the medians by kind of action. Baseline ("without"): a ``DealService`` subclass defined here
   whose ``_authorize`` does nothing and whose ``_actor`` (and ``whoami``, which gives the
   seller's signature its title) take the acting member from a copy of the roster made before
   timing, filling ``member`` and ``recorded_by`` as the shipped service does, so both record
   the same events (checked before timing). What the ratio times is thus all the roster's
   work per write: the fresh read of the roster (``store.load("@roster", after=version)``),
   the rights check (role, approval limits, separation of duties) and resolving the member.
   Target: with <= 1.10x without.
2. Cold load of a deal with about 1,000 events by a new service, on the memory store and on
   a SQLite file, for two shapes of deal: a long-lived one (a negotiation, then amendment
   rounds after signing: one event in four carries a whole terms snapshot) and the worst case
   (open, present, offer, 997 counter-offers, each a whole terms snapshot). "Cold" means no
   deal in the service's cache; SQLite's page cache is warm, as in a long-running process.
   Target: <= 20 ms. Baseline:
   ``EVENTS_ADAPTER.validate_json`` of the same stored JSON log, the parsing that any load from
   a durable store must do; the plain sqlite3 read of the rows is printed beside it.
3. One more counter on that 1,000-event deal (it grows by one per counter timed, to ~1,200)
   vs on a 10-event deal, both with a warm service (deal cached), on both stores. Target:
   ratio <= 1.5x, i.e. a long deal is not replayed or copied per action (quadratic growth
   would make it ~100x).

Run ``python bench/lifecycle.py`` from the repository root (``--quick`` for fewer repeats,
``--rounds N`` to choose them). It reports and never asserts: the exit code is 0 whatever the
figures. The output ends with a table of the figures against their targets.
"""

from __future__ import annotations

import gc
import itertools
import sqlite3
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import closing
from dataclasses import dataclass
from datetime import timedelta
from functools import partial
from pathlib import Path
from time import perf_counter

import pydantic
import transitions
from _common import Row, Run, Target, interleave, medians, ms, per_call, scratch, seconds, us
from _sample import Cast, acting_as, fixed_clock, terms_change

from dealflow import (
    Actor,
    Deal,
    DealService,
    DealSpec,
    DeliverySplit,
    Identified,
    Member,
    MemoryEventStore,
    Role,
    SpecialTerms,
    TermsChange,
    open_store,
)
from dealflow.application.demo import sample_deal_spec
from dealflow.domain.events import EVENTS_ADAPTER
from dealflow.domain.lifecycle import MACHINE, Action, Cursor, Stage
from dealflow.domain.members import ROSTER
from dealflow.ports import EventStore

SERVICE_RATIO_TARGET = Target(15.0, "15x")
AUTHORIZATION_RATIO_TARGET = Target(1.10, "1.10")
COLD_LOAD_TARGET = Target(0.020, "20 ms")
LONG_DEAL_RATIO_TARGET = Target(1.5, "1.5x")

LONG_DEAL_EVENTS = 1_000
SHORT_DEAL_EVENTS = 10
LIFECYCLES_PER_REPEAT = 20
SQLITE_LIFECYCLES_PER_REPEAT = 10  # every action there is a transaction (synchronous=FULL)
BARE_SEQUENCES_PER_REPEAT = 2_000
COUNTERS_PER_REPEAT = 20

# The clock never moves: every counter renews the offer's validity from "now", so no offer in
# a long negotiation lapses, and timestamps (hence stored JSON) are the same from run to run.
CLOCK = fixed_clock()

# (discount, payment days) of each counter, buyer first; the seller's last word (9%) stays
# under the default 10% ceiling, so only legal (for the custom clause) must approve.
COUNTERS = [("15%", 60), ("7%", 45), ("12%", 60), ("8%", 45), ("10%", 50), ("9%", 45)]

#: The sample seller's people, as in the tests: the rep (who keeps the roster and records the
#: buyer's acts), a manager, legal, the service desk.
REP = "budi"
TEAM = (
    Member(
        id=REP, name="Budi Santoso", title="Sales Director", roles=("seller", "service", "admin")
    ),
    Member(id="maya", name="Maya Manager", title="Sales Manager", roles=("manager",)),
    Member(id="lukas", name="Lukas Legal", title="Legal Counsel", roles=("legal",)),
    Member(id="desk", name="Service desk", title="Service Desk", roles=("service",)),
)

#: A service acting as each member, by member id (all on one store).
Crew = Mapping[str, DealService]


@dataclass(frozen=True)
class Step:
    """One action of the script: how the service takes it, and the facts a bare cursor needs."""

    action: Action
    take: Callable[[DealService, str], Deal]
    member: str = REP
    needs_approval: bool = False
    approvals_complete: bool = False
    signatures_complete: bool = False


def special_terms(spec: DealSpec) -> SpecialTerms:
    """The demo's special agreement: split delivery and a free-text clause legal must see."""
    first = spec.delivery.by if spec.delivery and spec.delivery.by else CLOCK.now().date()
    return SpecialTerms(
        purpose="Bottling line 3 expansion at Plant 2",
        splits=(
            DeliverySplit(sku="CNV-200", quantity=1, on=first),
            DeliverySplit(sku="CNV-200", quantity=1, on=first + timedelta(days=30)),
        ),
        custom_clauses=("Liquidated damages of 0.1% per day of late delivery, capped at 5%.",),
    )


def lifecycle_script(spec: DealSpec) -> list[Step]:
    """The full lifecycle after ``open_deal``; commands are built here, outside any timing."""
    cast = Cast.of(spec)
    legal = Actor(name="Legal reviewer", role=Role.LEGAL)
    desk = Actor(name="Service desk", role=Role.SERVICE)
    steps = [
        Step(Action.PRESENT, partial(DealService.present, actor=cast.seller)),
        Step(
            Action.OFFER,
            partial(DealService.offer, actor=cast.seller, change=terms_change("5%", 30)),
        ),
    ]
    for n, (discount, days) in enumerate(COUNTERS):
        actor = cast.buyer if n % 2 == 0 else cast.seller
        change = terms_change(discount, days)
        steps.append(Step(Action.COUNTER, partial(DealService.counter, actor=actor, change=change)))
    special = special_terms(spec)
    seller_title = spec.seller.representative.title
    buyer_title = spec.buyer.representative.title
    steps += [
        Step(Action.ACCEPT, partial(DealService.accept, actor=cast.buyer)),
        Step(
            Action.PROPOSE_SPECIAL,
            partial(DealService.propose_special, actor=cast.buyer, special=special),
        ),
        Step(Action.AGREE, partial(DealService.agree, actor=cast.seller), needs_approval=True),
        Step(
            Action.APPROVE,
            partial(DealService.approve, actor=legal, reason="within our standard risk"),
            member="lukas",
            approvals_complete=True,
        ),
        Step(Action.SIGN, partial(DealService.sign, actor=cast.seller, title=seller_title)),
        Step(
            Action.SIGN,
            partial(DealService.sign, actor=cast.buyer, title=buyer_title),
            signatures_complete=True,
        ),
        Step(Action.START_SERVICE, partial(DealService.start_service, actor=desk), member="desk"),
    ]
    return steps


# The roster -------------------------------------------------------------------------------


def staffed(store: EventStore) -> DealService:
    """A service acting as the rep on ``store``, whose roster holds :data:`TEAM` (the rep is
    the store's first member, made on its first use)."""
    rep = DealService(store, CLOCK, member=REP)
    if rep.roster.get(TEAM[1].id) is None:
        first = TEAM[0]
        rep.update_member(REP, name=first.name, title=first.title, roles=first.roles)
        for member in TEAM[1:]:
            rep.add_member(member)
    return rep


def crew_of(service: DealService) -> dict[str, DealService]:
    """``service`` acting as each member of the team (siblings: same store and caches)."""
    return {member.id: service.acting_as(member.id) for member in TEAM}


class WithoutAuthorization(DealService):
    """The service without authorization, the baseline of figure 1b: nothing is checked and
    the roster is never read; the acting member comes from a copy of the roster made before
    timing, and actors are filled exactly as :meth:`DealService._actor` fills them, so the
    events recorded are the same."""

    def __init__(self, store: EventStore, members: Mapping[str, Member]) -> None:
        super().__init__(store, CLOCK, member=REP)
        self._members = dict(members)

    def _authorize(self, deal: Deal | None, events: Sequence[object]) -> None:
        return None

    def _actor(self, actor: Actor) -> Actor:
        assert self._member is not None
        # The member is named (``member=``), as in the service.
        return acting_as(self._members[self._member], actor, Identified.NAMED)

    def whoami(self) -> Member:
        assert self._member is not None
        return self._members[self._member]


# Measuring --------------------------------------------------------------------------------


def fire_bare(cursor: Cursor, step: Step) -> str:
    """Fire one action on the shared machine, with the facts the service's decision would set;
    the stage it leads to."""
    cursor.needs_approval = step.needs_approval
    cursor.approvals_complete = step.approvals_complete
    cursor.signatures_complete = step.signatures_complete
    MACHINE.events[step.action.value].trigger(cursor)
    return cursor.state


def check_same_path(script: list[Step], spec: DealSpec) -> None:
    """Warn if the bare firing does not go through the same stages as the service."""
    crew = crew_of(staffed(MemoryEventStore()))
    deal_id = crew[REP].open_deal(spec).id
    by_service = [step.take(crew[step.member], deal_id).stage.value for step in script]
    cursor = Cursor(Stage.DRAFT)
    bare = [fire_bare(cursor, step) for step in script]
    if by_service != bare:
        print(f"   WARNING: the baseline takes another path: {bare} vs {by_service}")


def bare_sequence(script: list[Step]) -> None:
    """The script fired bare on a fresh cursor."""
    cursor = Cursor(Stage.DRAFT)
    for step in script:
        fire_bare(cursor, step)


@dataclass
class LifecycleRun:
    """Seconds per action, per ``open_deal``, and per action of each kind, for one repeat."""

    per_action: float
    open_deal: float
    by_action: dict[Action, float]


def run_lifecycles(
    crew: Crew, script: list[Step], spec: DealSpec, lifecycles: int = LIFECYCLES_PER_REPEAT
) -> LifecycleRun:
    """Run the script on fresh deals, each action by its member's service and timed alone so
    ``open_deal`` stays out (after a full collection, so that no run pays for the garbage of
    the one before)."""
    gc.collect()
    opening = 0.0
    by_action: dict[Action, list[float]] = defaultdict(list)
    for _ in range(lifecycles):
        start = perf_counter()
        deal_id = crew[REP].open_deal(spec).id
        opening += perf_counter() - start
        for step in script:
            service = crew[step.member]
            start = perf_counter()
            step.take(service, deal_id)
            by_action[step.action].append(perf_counter() - start)
    actions = [t for times in by_action.values() for t in times]
    return LifecycleRun(
        per_action=sum(actions) / len(actions),
        open_deal=opening / lifecycles,
        by_action={a: statistics.mean(times) for a, times in by_action.items()},
    )


def service_lifecycles(script: list[Step], spec: DealSpec) -> LifecycleRun:
    """Run the script on fresh deals in a fresh, staffed memory store (set up untimed)."""
    return run_lifecycles(crew_of(staffed(MemoryEventStore())), script, spec)


def recorded(store: EventStore, deal_id: str) -> list[dict[str, object]]:
    """The deal's events as stored, without what names the deal (its id, and the agreement
    hash and consent text, which name its contract number)."""
    named = {"deal_id", "agreement_hash", "consent"}
    return [event.model_dump(mode="json", exclude=named) for event in store.load(deal_id)]


def crew_on(store: EventStore, authorized: bool) -> dict[str, DealService]:
    """The team's services on ``store`` (staffed now), with authorization or without."""
    rep = staffed(store)
    if authorized:
        return crew_of(rep)
    return crew_of(WithoutAuthorization(store, rep.roster.members))


def check_same_events(store: EventStore, script: list[Step], spec: DealSpec) -> None:
    """Warn unless the service with and without authorization record the same events for the
    script (on one store, so the deal ids differ and are left out)."""
    logs = []
    for authorized in (True, False):
        crew = crew_on(store, authorized)
        deal_id = crew[REP].open_deal(spec).id
        for step in script:
            step.take(crew[step.member], deal_id)
        logs.append(recorded(store, deal_id))
    if logs[0] != logs[1]:
        print("   WARNING: the baseline records other events than the service")


def authorization_run(
    new_store: Callable[[], EventStore],
    authorized: bool,
    script: list[Step],
    spec: DealSpec,
    lifecycles: int,
) -> LifecycleRun:
    """``lifecycles`` runs of the script on a new, staffed store."""
    store = new_store()
    try:
        return run_lifecycles(crew_on(store, authorized), script, spec, lifecycles)
    finally:
        store.close()


def build_deal(service: DealService, spec: DealSpec, events: int) -> str:
    """A deal of ``events`` events: open, present, offer, then alternating counters.

    Every counter carries a whole terms snapshot: the worst case for loading."""
    cast = Cast.of(spec)
    asks = {Role.BUYER: terms_change("15%", 60), Role.SELLER: terms_change("5%", 30)}
    deal = service.open_deal(spec)
    service.present(deal.id, cast.seller)
    deal = service.offer(deal.id, cast.seller, asks[Role.SELLER])
    while deal.version < events:
        actor = cast.on_turn(deal)
        deal = service.counter(deal.id, actor, asks[actor.role])
    return deal.id


def build_long_lived_deal(service: DealService, spec: DealSpec, events: int) -> str:
    """A deal of about ``events`` events that lives on after signing: a negotiation, then
    amendment rounds (amend, accept, agree, two signatures, service restarts), so that about
    one event in four carries a terms snapshot, the rest are small."""
    cast = Cast.of(spec)
    desk = Actor(name="Service desk", role=Role.SERVICE)
    at_desk = service.acting_as("desk")
    deal = service.open_deal(spec)
    service.present(deal.id, cast.seller)
    service.offer(deal.id, cast.seller, terms_change("5%", 30))
    service.counter(deal.id, cast.buyer, terms_change("9%", 45))
    deal = service.accept(deal.id, cast.seller)
    round_number = 0
    while True:
        service.agree(deal.id, cast.seller)
        service.sign(deal.id, cast.seller, title="Sales Director")
        service.sign(deal.id, cast.buyer, title="Procurement Manager")
        deal = at_desk.start_service(deal.id, desk)
        if deal.version + 6 > events:
            return deal.id
        round_number += 1
        change = TermsChange(quantities={"SNS-10": 10 + round_number % 50})
        service.amend(deal.id, cast.buyer, change, reason=f"round {round_number}")
        deal = service.accept(deal.id, cast.seller)


def one_counter_each(service: DealService, spec: DealSpec, deal_ids: list[str]) -> float:
    """Mean seconds of one counter on each deal (ids may repeat), by whoever's turn it is,
    after a full collection."""
    gc.collect()
    cast = Cast.of(spec)
    change = terms_change("10%", 45)
    total = 0.0
    for deal_id in deal_ids:
        actor = cast.on_turn(service.get(deal_id))  # warm: the cached deal, not timed
        start = perf_counter()
        service.counter(deal_id, actor, change)
        total += perf_counter() - start
    return total / len(deal_ids)


def one_counter_on_fresh(service: DealService, spec: DealSpec, fresh: Iterator[str]) -> float:
    """Mean seconds of one counter on each of the next deals of ``fresh``."""
    return one_counter_each(service, spec, [next(fresh) for _ in range(COUNTERS_PER_REPEAT)])


def cold_load(store: EventStore, deal_id: str) -> float:
    """Seconds to get a deal through a new service, which has no deal in its cache."""
    return seconds(lambda: DealService(store, CLOCK).get(deal_id))


def copy_deals(source: EventStore, target: EventStore, deal_ids: list[str]) -> None:
    """Copy whole logs, one transaction per deal: with ``synchronous=FULL`` building a
    1,000-event deal on SQLite action by action would time 1,000 fsyncs, not dealflow. The
    roster comes along, so the same members act on the copy."""
    for deal_id in [ROSTER, *deal_ids]:
        target.append(deal_id, 0, source.load(deal_id))


def stored_rows(raw: sqlite3.Connection, deal_id: str) -> list[str]:
    """The deal's events as the SQLite store keeps them (JSON text), read with plain sqlite3."""
    query = "SELECT data FROM events WHERE deal_id = ? ORDER BY version"
    return [row[0] for row in raw.execute(query, (deal_id,))]


# Reporting --------------------------------------------------------------------------------


def fine(seconds: float) -> str:
    return ms(seconds, 2)


def by_kind(script: list[Step], runs: Sequence[Sequence[LifecycleRun]]) -> str:
    """Each kind of action's median microseconds in each list of runs (joined by ``/``)."""
    kinds = dict.fromkeys(step.action for step in script)
    return ", ".join(
        f"{kind.value} "
        + "/".join(
            f"{statistics.median(r.by_action[kind] for r in each) * 1e6:.0f}" for each in runs
        )
        for kind in kinds
    )


def report_lifecycle(repeats: int, spec: DealSpec, rows: list[Row]) -> None:
    script = lifecycle_script(spec)
    print(f"1. lifecycle, memory store: {len(script)} actions per deal, open_deal apart")
    check_same_path(script, spec)
    runs: list[LifecycleRun] = []

    def service() -> float:
        runs.append(service_lifecycles(script, spec))
        return runs[-1].per_action

    def bare_per_action() -> float:
        sequence = partial(bare_sequence, script)
        return per_call(sequence, BARE_SEQUENCES_PER_REPEAT) / len(script)

    found = medians(interleave({"service": service, "bare": bare_per_action}, repeats))
    per_action, bare = found["service"], found["bare"]
    ratio = per_action / bare
    print(
        f"   per action: service {us(per_action)}, bare transitions {us(bare)}, "
        f"ratio {ratio:.1f}x {SERVICE_RATIO_TARGET.line(ratio)}"
    )
    opening = statistics.median(r.open_deal for r in runs)
    print(f"   open_deal: {us(opening)} ({opening / bare:.1f}x bare; not in the figure above)")
    print(f"   by action (us): {by_kind(script, [runs])}")
    rows.append(
        Row.of(
            "lifecycle action (memory)",
            us(per_action),
            f"{us(bare)} bare transitions",
            f"{ratio:.1f}x",
            SERVICE_RATIO_TARGET,
            ratio,
        )
    )


def report_authorization(
    repeats: int,
    spec: DealSpec,
    new_stores: dict[str, Callable[[], EventStore]],
    rows: list[Row],
) -> None:
    script = lifecycle_script(spec)
    print(
        f"1b. authorization: the same {len(script)} actions with it vs without it "
        "(no roster read, no rights check), interleaved, open_deal apart"
    )
    for name, new_store in new_stores.items():
        store = new_store()
        try:
            check_same_events(store, script, spec)
        finally:
            store.close()
        lifecycles = LIFECYCLES_PER_REPEAT if name == "memory" else SQLITE_LIFECYCLES_PER_REPEAT
        # Each repeat runs both, each on a new store, the one first that ran second before.
        runs = interleave(
            {
                authorized: partial(
                    authorization_run, new_store, authorized, script, spec, lifecycles
                )
                for authorized in (True, False)
            },
            repeats,
            rotate=True,
        )
        with_it, without = (statistics.median(r.per_action for r in runs[a]) for a in (True, False))
        ratio = with_it / without
        print(
            f"   {name}: authorization: {us(with_it)}/action with, {us(without)} without, "
            f"ratio {ratio:.2f} {AUTHORIZATION_RATIO_TARGET.line(ratio)}"
        )
        print(f"     by action (us, with/without): {by_kind(script, [runs[True], runs[False]])}")
        rows.append(
            Row.of(
                f"authorization ({name})",
                us(with_it),
                f"{us(without)} without",
                f"{ratio:.2f}",
                AUTHORIZATION_RATIO_TARGET,
                ratio,
            )
        )


def report_cold_load(
    repeats: int, stores: dict[str, EventStore], deals: dict[str, str], db: Path, rows: list[Row]
) -> None:
    print(f"2. cold load of a ~{LONG_DEAL_EVENTS:,}-event deal by a new service (no deal cache)")
    with closing(sqlite3.connect(db)) as raw:
        for shape, deal_id in deals.items():
            stored = stored_rows(raw, deal_id)
            log = "[" + ",".join(stored) + "]"
            # Parsing the stored JSON into typed events is what any load from a durable store
            # must do at least; a cold load adds the read and the fold into a Deal.
            measures: dict[str, Callable[[], float]] = {
                "read": partial(seconds, partial(stored_rows, raw, deal_id)),
                "parse": partial(seconds, partial(EVENTS_ADAPTER.validate_json, log)),
            }
            for name, store in stores.items():
                measures[name] = partial(cold_load, store, deal_id)
            found = medians(interleave(measures, repeats))
            parse = found["parse"]
            print(
                f"   {shape} ({len(stored):,} events, {len(log) / 1e6:.1f} MB stored): baseline "
                f"EVENTS_ADAPTER.validate_json {fine(parse)}, "
                f"{parse / len(stored) * 1e6:.0f} us/event; plain sqlite3 read "
                f"{fine(found['read'])}"
            )
            for name in stores:
                load = found[name]
                print(
                    f"     {name}: {fine(load)}, {load / parse:.1f}x baseline "
                    f"{COLD_LOAD_TARGET.line(load)}"
                )
                rows.append(
                    Row.of(
                        f"cold load, {shape} ({name})",
                        fine(load),
                        f"{fine(parse)} validate_json",
                        f"{load / parse:.1f}x",
                        COLD_LOAD_TARGET,
                        load,
                    )
                )


def report_long_deal(
    repeats: int,
    spec: DealSpec,
    stores: dict[str, EventStore],
    long_id: str,
    short: list[str],
    rows: list[Row],
) -> None:
    print(
        f"3. one more counter, warm service: {LONG_DEAL_EVENTS:,}-event deal "
        f"vs {SHORT_DEAL_EVENTS}-event deals"
    )
    for name, store in stores.items():
        service = DealService(store, CLOCK, member=REP)
        for deal_id in [long_id, *short]:
            service.get(deal_id)  # warm: later actions read only the events they add
        fresh = iter(short)  # a short deal takes one counter only, so it stays short

        on_long = partial(one_counter_each, service, spec, [long_id] * COUNTERS_PER_REPEAT)
        on_short = partial(one_counter_on_fresh, service, spec, fresh)
        found = medians(interleave({"long": on_long, "short": on_short}, repeats))
        ratio = found["long"] / found["short"]
        print(
            f"   {name}: {LONG_DEAL_EVENTS:,} events {us(found['long'])}, "
            f"{SHORT_DEAL_EVENTS} events {us(found['short'])}, ratio {ratio:.2f}x "
            f"{LONG_DEAL_RATIO_TARGET.line(ratio)}"
        )
        rows.append(
            Row.of(
                f"one more counter, {LONG_DEAL_EVENTS:,} events ({name})",
                us(found["long"]),
                f"{us(found['short'])} on {SHORT_DEAL_EVENTS} events",
                f"{ratio:.2f}x",
                LONG_DEAL_RATIO_TARGET,
                ratio,
            )
        )


def main() -> None:
    run = Run(__doc__, rounds=9, quick=3, unit="repeats")
    repeats = run.rounds
    run.header(
        "lifecycle",
        [
            f"pydantic {pydantic.VERSION}",
            f"transitions {transitions.__version__}",
            f"SQLite {sqlite3.sqlite_version}",
        ],
    )
    spec = sample_deal_spec()
    report_lifecycle(repeats, spec, run.rows)

    with scratch() as tmp:
        files = itertools.count(1)
        report_authorization(
            repeats,
            spec,
            {
                "memory": MemoryEventStore,
                "sqlite": lambda: open_store(f"sqlite:///{tmp}/auth-{next(files)}.db"),
            },
            run.rows,
        )

        memory = MemoryEventStore()
        builder = staffed(memory)
        long_id = build_deal(builder, spec, LONG_DEAL_EVENTS)
        long_lived = build_long_lived_deal(builder, spec, LONG_DEAL_EVENTS)
        short = [
            build_deal(builder, spec, SHORT_DEAL_EVENTS)
            for _ in range(repeats * COUNTERS_PER_REPEAT)
        ]
        db = tmp / "deals.db"
        sqlite_store = open_store(f"sqlite:///{db}")  # absolute path: sqlite:////tmp/...
        try:
            copy_deals(memory, sqlite_store, [long_id, long_lived, *short])
            stores: dict[str, EventStore] = {"memory": memory, "sqlite": sqlite_store}
            shapes = {"long-lived deal": long_lived, "worst case, all counter-offers": long_id}
            report_cold_load(repeats, stores, shapes, db, run.rows)
            report_long_deal(repeats, spec, stores, long_id, short, run.rows)
        finally:
            sqlite_store.close()
    run.finish()


if __name__ == "__main__":
    main()
