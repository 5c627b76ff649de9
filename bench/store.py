"""Benchmark of the event stores: what one action costs on SQLite and PostgreSQL, and ``list``.

Every figure is the median of several repeats and is printed next to its target and as a
ratio to a baseline measured in the same run, with the same driver and durability settings:

1. Per-action cost of :class:`~dealflow.DealService` on each durable store: a deal is
   opened, presented and offered (not timed), then 100 counter-offers alternating buyer and
   seller are timed, each one transaction (the store's append checks the version, inserts the
   event row and upserts the read-model ``deals`` row). The SQLite store is a temporary file
   with the store's own settings (WAL, ``synchronous=FULL``); PostgreSQL is the server named by
   ``--postgres URL`` or ``$DEALFLOW_TEST_POSTGRES`` (skipped, saying why, if there is none),
   in a schema created for the run (``options=-csearch_path=...``) and dropped after it.
   There the database login is the identity and the database's guard refuses an event from a
   login that is not a member of the store, or that names another member as its actor: before
   anything is timed the login is made the store's first member (as the service does on first
   use, with every role), and the pre-built events name that member, as the service would.
   Baseline: a raw ``INSERT`` of the same event rows (same columns, the same JSON payloads as
   the real counter events) into a table defined like the store's ``events`` table, then
   ``COMMIT``, one transaction per row: on SQLite a separate file in the same folder with
   ``journal_mode=WAL`` and ``synchronous=FULL``, on PostgreSQL the same server with its own
   ``synchronous_commit``. Target: service <= 2.0x the raw insert+commit, on each store.
2. ``list`` over 10,000 deals. The deals are played on in-memory services (30% draft, 15%
   presented, 15% offered, 25% negotiating, 10% signed, 5% lost; 50 buyers, 5 owners, varied
   quantities), then each deal's log and read-model row is written with ``store.append``, one
   transaction per deal; both phases are timed, and the logs are dropped before any query is.
   On PostgreSQL the logs are written under the login's member (see 1), renamed untimed.
   Timed: ``service.list_deals()`` (all rows), ``stage=negotiating``, ``buyer="sinar"`` and
   ``same_buyer_as=<the sample buyer>, signed_only=True`` (what buyer classes ask). Target on
   SQLite: <= 50 ms. Baseline: a plain sqlite3 ``SELECT`` of the same columns
   (``dealflow.adapters.rows.READ_COLUMNS``) with the same ``WHERE`` and order and ``fetchall``, so
   that the cost of building ``DealRow`` objects shows (printed per row). For information:
   ``dealflow list --stage negotiating`` in a new process (beside the same rows as ``--json``
   and a list that finds nothing, i.e. start-up), and, with PostgreSQL, the same queries there.
3. Where the time goes, always printed and named when a target is missed: for an action,
   ``store.append`` alone with pre-built events and rows (the store's share; the rest is the
   service's: loading new events, deciding, folding, the row) and the service on the memory
   store; the CPU time of this process against the time spent waiting for the disk or the
   server; on PostgreSQL the round trips per action, counted from libpq's protocol trace, and
   the time of one. For ``list``: the SQL, building the rows, and pydantic's share of a row.

The throwaway server of ``scripts/ci-postgres`` runs with ``fsync=off`` and
``synchronous_commit=off``: commits there do not wait for a disk, which the output says; the
ratio still compares like with like, both sides running on the same server.

Run ``python bench/store.py`` from the repository root (``--quick`` for fewer repeats,
``--rounds N`` to choose them, ``--postgres URL`` for another server). It reports and never
asserts: the exit code is 0 whatever the figures. The output ends with a table of the figures
against their targets.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import os
import random
import sqlite3
import statistics
import tempfile
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path
from time import perf_counter, process_time
from typing import TYPE_CHECKING, Any, NamedTuple
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import pydantic
from _common import Row, Run, Target, interleave, median_of, medians, ms, scratch, seconds, us
from _processes import CommandFailed, command_seconds, dealflow_command
from _sample import Cast, acting_as, fixed_clock, terms_change

from dealflow import (
    Actor,
    Deal,
    DealService,
    DealSpec,
    Identified,
    Member,
    MemoryEventStore,
    Money,
    Party,
    Side,
    Stage,
    SystemClock,
    TermsChange,
    connect,
)
from dealflow.adapters.rows import READ_COLUMNS, row_from, where
from dealflow.application.demo import sample_deal_spec
from dealflow.domain.events import AnyEvent
from dealflow.domain.listing import DealQuery, DealRow, deal_row
from dealflow.domain.projection import replay
from dealflow.ports import EventStore

if TYPE_CHECKING:
    import psycopg

ACTION_RATIO_TARGET = Target(2.0, "2.0x")
LIST_TARGET = Target(0.050, "50 ms")

COUNTERS_PER_REPEAT = 100
LIST_DEALS = 10_000
BUYERS = 50
DEALS_PER_BUILDER = 250  # a fresh memory store now and then keeps buyer-class lookups small
SEED = 2026

# The mix of stages the 10,000 deals are left in, with weights.
STAGE_MIX = {
    Stage.DRAFT: 30,
    Stage.PRESENTED: 15,
    Stage.OFFERED: 15,
    Stage.NEGOTIATING: 25,
    Stage.SIGNED: 10,
    Stage.LOST: 5,
}
FIRST_WORDS = (
    "Sinar",
    "Maju",
    "Karya",
    "Bumi",
    "Cahaya",
    "Mitra",
    "Surya",
    "Jaya",
    "Tunas",
    "Hasil",
)
SECOND_WORDS = ("Abadi", "Makmur", "Logistik", "Pangan", "Kimia", "Tekstil", "Minuman")
LEGAL_FORMS = ("PT", "CV", "PT", "UD")
OWNERS = ("Budi Santoso", "Dewi Lestari", "Agus Wijaya", "Rina Kartika", "Hendra Gunawan")


def counter_script(spec: DealSpec) -> list[tuple[Actor, TermsChange]]:
    """The timed actions: counters alternating buyer (who answers the offer) and seller."""
    cast = Cast.of(spec)
    asks = [(cast.buyer, terms_change("15%", 60)), (cast.seller, terms_change("6%", 30))]
    return [asks[n % 2] for n in range(COUNTERS_PER_REPEAT)]


def offered_deal(service: DealService, spec: DealSpec) -> str:
    """A new deal with the seller's offer on the table: the buyer's turn to answer."""
    cast = Cast.of(spec)
    deal_id = service.open_deal(spec).id
    service.present(deal_id, cast.seller)
    service.offer(deal_id, cast.seller, terms_change("5%", 30))
    return deal_id


# Measuring --------------------------------------------------------------------------------


class Cost(NamedTuple):
    """Seconds per action: wall time, and CPU time of this process (the rest is waiting for
    the disk or the server)."""

    wall: float
    cpu: float


def clocks() -> Cost:
    return Cost(perf_counter(), process_time())


def per_action(started: Cost, actions: int) -> Cost:
    wall, cpu = clocks()
    return Cost((wall - started.wall) / actions, (cpu - started.cpu) / actions)


def median_cost(costs: list[Cost]) -> Cost:
    return Cost(statistics.median(c.wall for c in costs), statistics.median(c.cpu for c in costs))


def service_counters(
    service: DealService, spec: DealSpec, script: list[tuple[Actor, TermsChange]]
) -> Cost:
    """Cost per counter-offer through the service, on a new deal."""
    deal_id = offered_deal(service, spec)
    service.get(deal_id)  # cached, as in a long-running process
    gc.collect()
    started = clocks()
    for actor, change in script:
        service.counter(deal_id, actor, change)
    return per_action(started, len(script))


@dataclass(frozen=True)
class Template:
    """A real negotiation, played once on the memory store: its events and read-model rows."""

    prefix: list[AnyEvent]  # open, present, offer
    counters: list[AnyEvent]
    rows: list[DealRow]  # the row after each counter


def template(spec: DealSpec, script: list[tuple[Actor, TermsChange]]) -> Template:
    service = DealService(MemoryEventStore(), SystemClock())  # the clock the stores' run
    deal_id = offered_deal(service, spec)
    for actor, change in script:
        service.counter(deal_id, actor, change)
    events = service.history(deal_id)
    prefix, counters = events[:3], events[3:]
    deal = replay(prefix)
    rows = []
    for event in counters:
        deal = replay([event], deal)
        rows.append(deal_row(deal))
    return Template(prefix, counters, rows)


def raw_rows(template: Template, deal_id: str) -> list[tuple[str, int, str, datetime, str]]:
    """The counter events as the stores keep them (same columns, same JSON) under a new id."""
    return [
        (deal_id, e.version, type(e).__name__, e.occurred_at, e.model_dump_json())
        for e in template.counters
    ]


def as_login_member(member: Member, events: Sequence[AnyEvent]) -> list[AnyEvent]:
    """The events with the actors the service records on PostgreSQL, where the database login
    (its member) is the identity: the seller's side acts as the member, a buyer's act is
    recorded by it. The database's guard checks these fields against the login."""

    login = Identified.DATABASE_LOGIN
    return [e.model_copy(update={"actor": acting_as(member, e.actor, login)}) for e in events]


def for_login_member(member: Member, shape: Template) -> Template:
    """The template as the login's member records it on PostgreSQL (same rows)."""
    return Template(
        as_login_member(member, shape.prefix), as_login_member(member, shape.counters), shape.rows
    )


Appends = list[tuple[str, int, Sequence[AnyEvent], DealRow]]


def prepared_appends(store: EventStore, template: Template) -> Appends:
    """The template's counters under a new deal id, whose first events are already stored."""
    deal_id = uuid.uuid4().hex[:12]
    renamed = {"deal_id": deal_id}
    store.append(deal_id, 0, [e.model_copy(update=renamed) for e in template.prefix])
    return [
        (
            deal_id,
            e.version - 1,
            [e.model_copy(update=renamed)],
            row.model_copy(update={"id": deal_id}),
        )
        for e, row in zip(template.counters, template.rows, strict=True)
    ]


def append_counters(store: EventStore, template: Template) -> Cost:
    """Cost per ``store.append`` of one counter event and its row, built beforehand."""
    batch = prepared_appends(store, template)
    gc.collect()
    started = clocks()
    for deal_id, expected, events, row in batch:
        store.append(deal_id, expected, events, row)
    return per_action(started, len(batch))


class RawSQLite:
    """Plain sqlite3 inserts into a separate file: WAL, ``synchronous=FULL``, like the store."""

    def __init__(self, path: Path, events_sql: str) -> None:
        self.db = sqlite3.connect(path, timeout=30.0, isolation_level=None)
        self.db.execute("PRAGMA busy_timeout = 30000")
        self.db.execute("PRAGMA journal_mode = WAL")
        self.db.execute("PRAGMA synchronous = FULL")
        self.db.execute(events_sql)

    def insert_each(self, rows: list[tuple[str, int, str, datetime, str]]) -> Cost:
        """Cost per row, each inserted and committed in its own transaction."""
        values = [(d, v, t, at.isoformat(), data) for d, v, t, at, data in rows]
        sql = (
            "INSERT INTO raw_events (deal_id, version, type, occurred_at, data) "
            "VALUES (?, ?, ?, ?, ?)"
        )
        gc.collect()
        started = clocks()
        for row in values:
            self.db.execute("BEGIN")
            self.db.execute(sql, row)
            self.db.execute("COMMIT")
        return per_action(started, len(values))

    def close(self) -> None:
        self.db.close()


class RawPostgres:
    """Plain psycopg inserts into a table made ``LIKE events``, on the same server."""

    def __init__(self, url: str) -> None:
        import psycopg

        self.db = psycopg.connect(url, connect_timeout=10)
        self.db.execute("CREATE TABLE raw_events (LIKE events INCLUDING ALL)")
        self.db.commit()

    def insert_each(self, rows: list[tuple[str, int, str, datetime, str]]) -> Cost:
        """Cost per row, each inserted and committed in its own transaction."""
        sql = (
            "INSERT INTO raw_events (deal_id, version, type, occurred_at, data) "
            "VALUES (%s, %s, %s, %s, %s)"
        )
        gc.collect()
        started = clocks()
        for row in rows:
            self.db.execute(sql, row)
            self.db.commit()
        return per_action(started, len(rows))

    def close(self) -> None:
        self.db.close()


@dataclass
class ActionFigures:
    """Medians per action."""

    raw: Cost
    append: Cost
    service: Cost


def measure_actions(
    repeats: int,
    service: DealService,
    raw: RawSQLite | RawPostgres,
    spec: DealSpec,
    script: list[tuple[Actor, TermsChange]],
    shape: Template,
) -> ActionFigures:
    """Interleaved repeats of the three, so a noisy moment hits all of them."""
    raw_ids = (f"raw{n:09d}" for n in itertools.count())
    found = interleave(
        {
            "raw": lambda: raw.insert_each(raw_rows(shape, next(raw_ids))),
            "append": lambda: append_counters(service.store, shape),
            "service": lambda: service_counters(service, spec, script),
        },
        repeats,
    )
    return ActionFigures(
        raw=median_cost(found["raw"]),
        append=median_cost(found["append"]),
        service=median_cost(found["service"]),
    )


def round_trips(pgconn: Any, action: Callable[[], object]) -> int | None:
    """Round trips to the server during ``action``, from libpq's protocol trace of the
    connection: each simple Query and each Sync of the extended protocol waits for the server.
    None if the connection cannot be traced."""
    with tempfile.TemporaryFile("w+", encoding="utf-8") as trace:
        try:
            pgconn.trace(trace.fileno())
        except Exception:
            return None
        try:
            action()
        finally:
            pgconn.untrace()  # flushes the trace
        trace.seek(0)
        fields = (line.split("\t") for line in trace)
        return sum(
            1 for f in fields if len(f) > 3 and f[1] == "F" and f[3].strip() in ("Query", "Sync")
        )


@dataclass
class RoundTrips:
    """Round trips of one action of each kind, and the median time of one (a SELECT 1)."""

    service: int | None
    append: int | None
    raw: int | None
    one: float


def postgres_round_trips(
    pg: Postgres,
    service: DealService,
    raw: RawPostgres,
    spec: DealSpec,
    script: list[tuple[Actor, TermsChange]],
    shape: Template,
) -> RoundTrips:
    # The store's connection is read here only to trace it; nothing is changed.
    store_conn = getattr(getattr(service.store, "_db", None), "pgconn", None)
    deal_id = offered_deal(service, spec)
    service.get(deal_id)
    actor, change = script[0]
    by_service = round_trips(store_conn, lambda: service.counter(deal_id, actor, change))
    deal_id, expected, events, row = prepared_appends(service.store, shape)[0]
    by_append = round_trips(
        store_conn, lambda: service.store.append(deal_id, expected, events, row)
    )
    rows = raw_rows(shape, "rtt000000000")[:1]
    by_raw = round_trips(raw.db.pgconn, lambda: raw.insert_each(rows))
    one = median_of(201, partial(seconds, lambda: pg.admin.execute("SELECT 1"), collect=False))
    return RoundTrips(by_service, by_append, by_raw, one)


# The 10,000 deals -----------------------------------------------------------------------------


def buyers(spec: DealSpec) -> list[Party]:
    """50 buyers: the sample buyer, the same company under another name and tax-id spelling,
    and 48 others (one in five without a tax id, so it is matched by name)."""
    base = spec.buyer
    same = base.model_copy(update={"name": "Sinar Abadi Minuman Tbk", "tax_id": "023456789012000"})
    found = [base, same]
    for k in range(2, BUYERS):
        name = f"{LEGAL_FORMS[k % 4]} {FIRST_WORDS[k % 10]} {SECOND_WORDS[(k // 10) % 7]}"
        tax = None if k % 5 == 4 else f"{k:02d}.{k * 7 % 1000:03d}.678.9-012.000"
        rep = base.representative.model_copy(update={"name": f"Buyer {k}"})
        found.append(base.model_copy(update={"name": name, "tax_id": tax, "representative": rep}))
    return found


def play(service: DealService, spec: DealSpec, stage: Stage, rng: random.Random) -> Deal:
    """Open a deal and take it to ``stage`` through the service."""
    cast = Cast.of(spec)
    deal = service.open_deal(spec)
    if stage is Stage.DRAFT:
        return deal
    deal = service.present(deal.id, cast.seller)
    if stage is Stage.PRESENTED:
        return deal
    deal = service.offer(deal.id, cast.seller, terms_change(f"{rng.randint(2, 8)}%", 30))
    if stage is Stage.OFFERED:
        return deal
    if stage is Stage.NEGOTIATING:
        for n in range(rng.randint(1, 3)):
            if n % 2 == 0:
                change = terms_change(f"{rng.randint(11, 15)}%", 60)
                deal = service.counter(deal.id, cast.buyer, change)
            else:
                change = terms_change(f"{rng.randint(6, 9)}%", 45)
                deal = service.counter(deal.id, cast.seller, change)
        return deal
    if stage is Stage.LOST:
        return service.reject(deal.id, cast.buyer, "no budget this year")
    service.accept(deal.id, cast.buyer)
    service.agree(deal.id, cast.seller)
    service.sign(deal.id, cast.seller, title=spec.seller.representative.title)
    return service.sign(deal.id, cast.buyer, title=spec.buyer.representative.title)


@dataclass(frozen=True)
class DealLog:
    deal_id: str
    events: list[AnyEvent]
    row: DealRow


def build_deals(spec: DealSpec, count: int) -> list[DealLog]:
    """``count`` deals played on in-memory services, deterministic but for their ids."""
    rng = random.Random(SEED)
    parties = buyers(spec)
    stages, weights = list(STAGE_MIX), list(STAGE_MIX.values())
    # The clock moves a few minutes per deal, so opening times differ and sort as opened.
    clock = fixed_clock()
    logs: list[DealLog] = []
    service = DealService(MemoryEventStore(), clock)
    for n in range(count):
        if n % DEALS_PER_BUILDER == 0:
            service = DealService(MemoryEventStore(), clock)
        rep = spec.seller.representative.model_copy(update={"name": OWNERS[n % len(OWNERS)]})
        first, *rest = spec.items
        items = [
            first.model_copy(update={"quantity": rng.randint(1, 6)}),
            *(item.model_copy(update={"quantity": rng.randint(5, 60)}) for item in rest),
        ]
        one = spec.model_copy(
            update={
                "buyer": rng.choice(parties),
                "seller": spec.seller.model_copy(update={"representative": rep}),
                "items": items,
            }
        )
        deal = play(service, one, rng.choices(stages, weights)[0], rng)
        logs.append(DealLog(deal.id, service.history(deal.id), deal_row(deal)))
        clock.advance(timedelta(minutes=3))
    return logs


def fill(store: EventStore, logs: list[DealLog]) -> float:
    """Seconds to write every deal's log and row, one ``store.append`` (transaction) each."""
    start = perf_counter()
    for log in logs:
        store.append(log.deal_id, 0, log.events, log.row)
    return perf_counter() - start


def list_queries(spec: DealSpec) -> dict[str, DealQuery]:
    return {
        "all": DealQuery(),
        "stage=negotiating": DealQuery(stage=Stage.NEGOTIATING),
        'buyer="sinar"': DealQuery(buyer="sinar"),
        "same_buyer_as + signed_only": DealQuery(same_buyer_as=spec.buyer, signed_only=True),
    }


@dataclass
class ListFigures:
    """Medians, seconds, of one query: the service, the plain SELECT, building the rows."""

    rows: int
    service: float
    select: float
    build: float


def measure_list(
    repeats: int,
    service: DealService,
    query: DealQuery,
    select: Callable[[DealQuery], list[tuple[Any, ...]]],
) -> ListFigures:
    fetched = select(query)  # warm-up, and the values to build rows from
    rows = len(service.list_deals(query))
    found = medians(
        interleave(
            {
                "service": partial(seconds, lambda: service.list_deals(query)),
                "select": partial(seconds, lambda: select(query)),
                "build": partial(seconds, lambda: [row_from(tuple(v)) for v in fetched]),
            },
            repeats,
        )
    )
    return ListFigures(
        rows=rows, service=found["service"], select=found["select"], build=found["build"]
    )


def sqlite_select(db: sqlite3.Connection) -> Callable[[DealQuery], list[tuple[Any, ...]]]:
    """The store's query, run with plain sqlite3: same columns, ``WHERE`` and order."""

    def select(query: DealQuery) -> list[tuple[Any, ...]]:
        clause, params = where(query, "?")
        sql = f"SELECT {', '.join(READ_COLUMNS)} FROM deals{clause} ORDER BY rowid"
        return db.execute(sql, params).fetchall()

    return select


def postgres_select(db: psycopg.Connection[Any]) -> Callable[[DealQuery], list[tuple[Any, ...]]]:
    """The store's query, run with plain psycopg: same columns, ``WHERE`` and order."""

    def select(query: DealQuery) -> list[tuple[Any, ...]]:
        clause, params = where(query, "%s")
        sql = f"SELECT {', '.join(READ_COLUMNS)} FROM deals{clause} ORDER BY seq"
        with db.transaction():
            return db.execute(sql, params).fetchall()

    return select


# PostgreSQL -------------------------------------------------------------------------------


def with_search_path(url: str, schema: str) -> str:
    """The URL with ``options=-csearch_path=SCHEMA`` added (to any options it has)."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    options = " ".join(v for k, v in query if k == "options")
    options = f"{options} -csearch_path={schema}".strip()
    query = [(k, v) for k, v in query if k != "options"] + [("options", options)]
    return urlunsplit(parts._replace(query=urlencode(query, quote_via=quote)))


def server_name(url: str) -> str:
    """Host, port and database, never the password."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.hostname or 'localhost'}{port}{parts.path}"


@dataclass
class Postgres:
    """An administrative connection and the schemas made for this run."""

    url: str
    admin: psycopg.Connection[Any]
    driver: str
    settings: dict[str, str]
    schemas: list[str]

    def schema_url(self, purpose: str) -> str:
        schema = f"dealflow_bench_{uuid.uuid4().hex[:8]}_{purpose}"
        self.admin.execute(f"CREATE SCHEMA {schema}")
        self.schemas.append(schema)
        return with_search_path(self.url, schema)


@contextmanager
def postgres(url: str | None) -> Iterator[Postgres | str]:
    """A connection to the server, or why there is none; the run's schemas dropped after."""
    if not url:
        yield "no server: set DEALFLOW_TEST_POSTGRES or pass --postgres URL"
        return
    try:
        import psycopg
    except ImportError:
        yield 'psycopg is not installed: pip install "dealflow[postgres]"'
        return
    try:
        admin = psycopg.connect(url, autocommit=True, connect_timeout=10)
    except (psycopg.Error, ValueError) as exc:
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
        yield f"cannot connect to {server_name(url)}: {first_line}"
        return
    names = ("server_version", "fsync", "synchronous_commit", "full_page_writes")
    settings = {}
    for name in names:
        found = admin.execute(f"SHOW {name}").fetchone()
        settings[name] = str(found[0]) if found else "?"
    pg = Postgres(url, admin, psycopg.__version__, settings, [])
    try:
        yield pg
    finally:
        for schema in pg.schemas:
            with suppress(psycopg.Error):
                admin.execute(f"DROP SCHEMA {schema} CASCADE")
        admin.close()


# Reporting --------------------------------------------------------------------------------


def fine(seconds: float) -> str:
    return ms(seconds, 2)


def filesystem_of(path: Path) -> str:
    """The type of the filesystem holding ``path`` (Linux), e.g. ext4 or tmpfs."""
    try:
        mounts = Path("/proc/mounts").read_text(encoding="utf-8").splitlines()
    except OSError:
        return "unknown"
    target = str(path.resolve())
    best, kind = "", "unknown"
    for line in mounts:
        fields = line.split()
        if len(fields) < 3:
            continue
        point = fields[1]
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) > len(best):
            best, kind = point, fields[2]
    return kind


def report_actions(
    name: str,
    setup: str,
    figures: ActionFigures,
    domain: float,
    rows: list[Row],
    trips: RoundTrips | None = None,
) -> None:
    service, append, raw = figures.service.wall, figures.append.wall, figures.raw.wall
    ratio = service / raw
    ok = ACTION_RATIO_TARGET.met(ratio)
    print(
        f"   {name} ({setup}): service {us(service)}, raw INSERT+COMMIT {us(raw)}, "
        f"ratio {ratio:.2f}x {ACTION_RATIO_TARGET.line(ratio)}"
    )
    rows.append(
        Row.of(
            f"action ({name})",
            us(service),
            f"{us(raw)} raw INSERT+COMMIT",
            f"{ratio:.2f}x",
            ACTION_RATIO_TARGET,
            ratio,
        )
    )
    statements = append - raw
    rest = service - append
    print(
        f"     where it goes: store.append alone {us(append)} ({append / raw:.2f}x raw: the "
        f"raw insert+commit {us(raw)} + version check, row upsert, JSON {us(statements)}); "
        f"the service's own share {us(rest)} (on the memory store a counter costs "
        f"{us(domain)})"
    )
    print(
        "     CPU of this process (user+system) / waiting (disk, server): "
        + ", ".join(
            f"{label} {us(cost.cpu)} / {us(max(cost.wall - cost.cpu, 0.0))}"
            for label, cost in (
                ("service", figures.service),
                ("store.append", figures.append),
                ("raw", figures.raw),
            )
        )
    )
    if trips is not None and None not in (trips.service, trips.append, trips.raw):
        print(
            f"     round trips to the server per action: service {trips.service} (the load "
            f"of new events, then the append), store.append {trips.append}, raw "
            f"{trips.raw}; one round trip (SELECT 1) takes {us(trips.one)}"
        )
    if not ok:
        # What the action adds to the raw insert+commit, split in the store's and the service's.
        parts = {
            "the store's extra statements (version check, row upsert) and JSON": statements,
            "the service around the append (load of new events, decide, fold, row)": rest,
        }
        top = max(parts, key=lambda k: parts[k])
        print(
            f"     over target: of the {us(service - raw)} added to the raw insert+commit "
            f"(the target allows {us(raw * (ACTION_RATIO_TARGET.limit - 1))}), {top} dominates "
            f"with {us(parts[top])}"
        )


def report_list(
    name: str, figures: dict[str, ListFigures], target: Target | None, rows: list[Row]
) -> list[str]:
    """Print one line per query (judged against ``target``, if any); the queries over it."""
    over = []
    for label, f in figures.items():
        per_row = f.build / f.rows * 1e6 if f.rows else 0.0
        line = (
            f"   {name} {label} ({f.rows:,} rows): service {fine(f.service)}, plain SELECT "
            f"{fine(f.select)} ({f.service / f.select:.1f}x), DealRow construction "
            f"{fine(f.build)} ({per_row:.2f} us/row)"
        )
        if target is not None:
            line += f" {target.line(f.service)}"
            if not target.met(f.service):
                over.append(label)
        print(line)
        rows.append(
            Row.of(
                f"list {label} ({name})",
                fine(f.service),
                f"{fine(f.select)} plain SELECT",
                f"{f.service / f.select:.1f}x",
                target,
                f.service,
            )
        )
    return over


@dataclass
class RowSplit:
    """Seconds per row, interleaved medians: ``row_from`` whole, and its two parts apart."""

    whole: float
    construct: float
    parse: float


def row_split(repeats: int, fetched: list[tuple[Any, ...]]) -> RowSplit:
    """``row_from`` over the fetched values, beside only its two ``model_construct`` calls
    (on values already parsed) and only its parsing of the columns (times, Decimal, enums)."""
    rows = [row_from(tuple(values)) for values in fetched]
    fields = [
        (
            {name: getattr(row, name) for name in DealRow.model_fields if name != "grand_total"},
            row.grand_total,
        )
        for row in rows
    ]
    del rows

    def whole() -> object:
        return [row_from(tuple(values)) for values in fetched]

    def construct() -> object:
        return [
            DealRow.model_construct(
                **values,
                grand_total=Money.model_construct(amount=total.amount, currency=total.currency),
            )
            for values, total in fields
        ]

    at = {name: READ_COLUMNS.index(name) for name in ("stage", "total_amount", "turn")}
    names = ("expires_at", "opened_at", "updated_at", "signed_at")
    times = [READ_COLUMNS.index(name) for name in names]

    def parse() -> object:
        # What row_from converts, column by column (see dealflow.adapters.rows).
        return [
            (
                Stage(v[at["stage"]]),
                Decimal(v[at["total_amount"]]),
                Side(v[at["turn"]]) if v[at["turn"]] else None,
                *(None if v[i] is None else datetime.fromisoformat(v[i]) for i in times),
            )
            for v in fetched
        ]

    found = medians(
        interleave(
            {
                "whole": partial(seconds, whole),
                "construct": partial(seconds, construct),
                "parse": partial(seconds, parse),
            },
            repeats,
        )
    )
    count = max(len(fetched), 1)
    return RowSplit(**{k: v / count for k, v in found.items()})


def explain_list(
    figures: dict[str, ListFigures], over: list[str], split: RowSplit | None = None
) -> None:
    for label in over:
        f = figures[label]
        rest = f.service - f.select - f.build
        parts = {
            "the SQL query and fetch (plain SELECT)": f.select,
            "building DealRow objects (row_from)": f.build,
            "the rest (query object, WHERE clause, lock, list)": rest,
        }
        top = max(parts, key=lambda k: parts[k])
        print(
            f"     {label} over target: {top} dominates ({fine(parts[top])} of "
            f"{fine(f.service)}; SELECT {fine(f.select)}, rows {fine(f.build)} = "
            f"{f.build / max(f.rows, 1) * 1e6:.2f} us x {f.rows:,}, rest {fine(rest)})"
        )
    if over and split is not None:
        print(
            f"     a row (all rows): row_from {split.whole * 1e6:.2f} us; measured apart, "
            f"pydantic's model_construct of DealRow and Money {split.construct * 1e6:.2f} us, "
            f"parsing the columns (times, Decimal, enums) {split.parse * 1e6:.2f} us. "
            f"The plain SELECT of all rows alone takes {fine(figures['all'].select)} of the "
            f"{LIST_TARGET.shown}"
        )


CLI_COMMANDS = {
    "table": ["list", "--stage", "negotiating"],
    "json": ["--json", "list", "--stage", "negotiating"],
    "floor": ["list", "--buyer", "no such buyer"],
}


def report_cli(runs: int, db: Path, rows: int) -> None:
    """``dealflow list --stage negotiating`` in new processes, with two runs to compare: the
    same rows as JSON (no table), and a query that finds nothing (start-up and the query)."""
    command, _ = dealflow_command()
    base = [*command, "--store", f"sqlite:///{db}"]
    measures = {
        name: partial(command_seconds, [*base, *arguments])
        for name, arguments in CLI_COMMANDS.items()
    }
    try:
        # A first round warms the caches and is not counted.
        times = interleave(measures, runs, rotate=True, warm=True)
    except CommandFailed as exc:
        print(f"   CLI failed: {exc}")
        return
    table, as_json, floor = (statistics.median(times[name]) for name in CLI_COMMANDS)
    print(
        f"   CLI `dealflow list --stage negotiating` ({rows:,} rows, new process, output "
        f"discarded): median {fine(table)} of {runs} runs (information); `--json` the same "
        f"rows {fine(as_json)}; a list that finds nothing (start-up and query) {fine(floor)}"
    )


# Main -------------------------------------------------------------------------------------


def section_actions(
    repeats: int, spec: DealSpec, tmp: Path, pg: Postgres | str, rows: list[Row]
) -> None:
    """Part 1: per-action cost on each durable store against a raw insert+commit."""
    print(
        f"1. per action: {COUNTERS_PER_REPEAT} counter-offers per repeat, alternating "
        "buyer and seller, one transaction each"
    )
    script = counter_script(spec)
    shape = template(spec, script)
    memory = DealService(MemoryEventStore(), SystemClock())
    domain = median_of(repeats, lambda: service_counters(memory, spec, script).wall)

    db = tmp / "actions.db"
    service = connect(f"sqlite:///{db}")  # an absolute path: four slashes
    with closing(sqlite3.connect(db)) as look:
        (events_sql,) = look.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'events'"
        ).fetchone()
    raw_sqlite = RawSQLite(tmp / "raw.db", events_sql.replace("events", "raw_events", 1))
    try:
        figures = measure_actions(repeats, service, raw_sqlite, spec, script, shape)
    finally:
        raw_sqlite.close()
        service.close()
    setup = f"WAL, synchronous=FULL, temp file on {filesystem_of(tmp)}"
    report_actions("sqlite", setup, figures, domain, rows)

    if not isinstance(pg, Postgres):
        print(f"   postgresql: skipped ({pg})")
        return
    schema_url = pg.schema_url("actions")
    service = connect(schema_url)
    # The login becomes the store's first member (the database refuses a non-member's events);
    # the pre-built events, and the raw rows beside them, name it as the service does.
    pg_shape = for_login_member(service.whoami(), shape)
    raw_pg = RawPostgres(schema_url)
    try:
        figures = measure_actions(repeats, service, raw_pg, spec, script, pg_shape)
        trips = postgres_round_trips(pg, service, raw_pg, spec, script, pg_shape)
    finally:
        raw_pg.close()
        service.close()
    fsync, commit = pg.settings["fsync"], pg.settings["synchronous_commit"]
    setup = f"{server_name(pg.url)}, synchronous_commit={commit}, fsync={fsync}"
    report_actions("postgresql", setup, figures, domain, rows, trips)
    if "off" in (fsync, commit):
        print(
            f"     note: this server runs with fsync={fsync}, synchronous_commit={commit} "
            "(a throwaway test server): commits do not wait for a disk, so a production "
            "server's figures are higher; the ratio still compares like with like, both sides "
            "on this server"
        )


@dataclass(frozen=True)
class Filled:
    """A store holding the 10,000 deals, and the seconds it took to write them."""

    url: str
    seconds: float


def fill_store(url: str, logs: list[DealLog]) -> Filled:
    service = connect(url)
    try:
        if service.store.login is not None:
            # PostgreSQL: the login becomes the store's first member and the logs name it (the
            # database refuses a non-member's events), renamed before the timed writes.
            member = service.whoami()
            logs = [
                DealLog(log.deal_id, as_login_member(member, log.events), log.row) for log in logs
            ]
        return Filled(url, fill(service.store, logs))
    finally:
        service.close()


def section_list_sqlite(
    repeats: int,
    cli_runs: int,
    spec: DealSpec,
    db: Path,
    filled: Filled,
    built: float,
    rows: list[Row],
) -> None:
    """Part 2 on SQLite: the queries against the 50 ms target, the plain SELECT, the CLI."""
    print(
        f"2. list over {LIST_DEALS:,} deals (played on memory services in {built:.1f} s; "
        f"written to SQLite with store.append, one transaction per deal, in "
        f"{filled.seconds:.1f} s)"
    )
    service = connect(filled.url)
    try:
        with closing(sqlite3.connect(db, isolation_level=None)) as raw:
            select = sqlite_select(raw)
            found = {
                label: measure_list(repeats, service, query, select)
                for label, query in list_queries(spec).items()
            }
            over = report_list("sqlite", found, LIST_TARGET, rows)
            met = [label for label in found if label not in over]
            print(
                f"   {LIST_TARGET.shown} target on SQLite met by: "
                f"{', '.join(met) or 'none'}; missed by: {', '.join(over) or 'none'}"
            )
            split = row_split(repeats, select(DealQuery())) if over else None
        explain_list(found, over, split)
    finally:
        service.close()
    report_cli(cli_runs, db, found["stage=negotiating"].rows)


def section_list_postgres(
    repeats: int, spec: DealSpec, filled: Filled | str, rows: list[Row]
) -> None:
    """Part 2 on PostgreSQL: the same deals and queries, for information."""
    if not isinstance(filled, Filled):
        print(f"   postgresql: skipped ({filled})")
        return
    import psycopg

    print(
        f"   postgresql ({server_name(filled.url)}): the same deals written in "
        f"{filled.seconds:.1f} s; information, no target"
    )
    service = connect(filled.url)
    try:
        with psycopg.connect(filled.url, connect_timeout=10) as raw:
            select = postgres_select(raw)
            found = {
                label: measure_list(repeats, service, query, select)
                for label, query in list_queries(spec).items()
            }
    finally:
        service.close()
    report_list("postgresql", found, None, rows)


def main() -> None:
    def postgres_option(parser: argparse.ArgumentParser) -> None:
        parser.add_argument(
            "--postgres",
            metavar="URL",
            help="PostgreSQL server to measure (default: $DEALFLOW_TEST_POSTGRES)",
        )

    run = Run(__doc__, rounds=9, quick=3, unit="repeats", more=postgres_option)
    repeats, rows = run.rounds, run.rows
    spec = sample_deal_spec()
    url = run.args.postgres or os.environ.get("DEALFLOW_TEST_POSTGRES")
    with postgres(url) as pg, scratch() as tmp:
        versions = [f"pydantic {pydantic.VERSION}", f"SQLite {sqlite3.sqlite_version}"]
        if isinstance(pg, Postgres):
            versions.append(f"psycopg {pg.driver}, PostgreSQL {pg.settings['server_version']}")
        run.header("store", versions)
        section_actions(repeats, spec, tmp, pg, rows)

        start = perf_counter()
        logs = build_deals(spec, LIST_DEALS)
        built = perf_counter() - start
        db = tmp / "list.db"
        on_sqlite = fill_store(f"sqlite:///{db}", logs)
        on_postgres = fill_store(pg.schema_url("list"), logs) if isinstance(pg, Postgres) else pg
        # The logs go before anything is timed: a heap of 10,000 deals would make every
        # collection during the queries slower than in a real process.
        del logs
        gc.collect()
        cli_runs = 3 if run.quick else 5
        section_list_sqlite(repeats, cli_runs, spec, db, on_sqlite, built, rows)
        section_list_postgres(repeats, spec, on_postgres, rows)
    run.finish()


if __name__ == "__main__":
    main()
