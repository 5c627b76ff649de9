"""The hash-chained log on every store (memory, SQLite, PostgreSQL): each event is stored with
the SHA-256 of the deal's event before it, and ``audit`` recomputes the chain from what the
store holds and names the first event changed, removed, inserted or moved.

The attacks are made as someone with the store in hand would: on SQLite with ``sqlite3`` on
the file, on PostgreSQL with ``psycopg`` as the store's owner (disabling the triggers to insert
a row the database did not link), on the memory store by rewriting its recorded rows. A chain
rewritten with every hash recomputed after an edit looks intact to the audit (only the head a
contract embedded catches that): the test says so by asserting it.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import dealflow
from dealflow.application.demo import sample_deal_spec
from dealflow.domain.chain import (
    GENESIS,
    BreakKind,
    RecordedEvent,
    audit_chain,
    first_break,
    link_hash,
)
from dealflow.ports import EventStore
from tests.conftest import START, staffed
from tests.paths import drive_to

FIXTURES = Path(__file__).parent.parent / "fixtures" / "release-0.1"
#: Far above any version a test deal reaches: where rows are parked while versions move.
PARKED = 100_000


class Tamper:
    """Direct edits of a deal's stored rows, around dealflow."""

    def edit(self, deal_id: str, version: int, payload: str) -> None:
        raise NotImplementedError

    def delete(self, deal_id: str, version: int) -> None:
        raise NotImplementedError

    def shift(self, deal_id: str, start: int, by: int) -> None:
        """Renumber the events from ``start`` on by ``by``."""
        raise NotImplementedError

    def insert(self, deal_id: str, row: RecordedEvent) -> None:
        raise NotImplementedError

    def swap(self, deal_id: str, first: int, second: int) -> None:
        """Exchange two events' places (each keeps its content and stored links)."""
        raise NotImplementedError

    def relink(self, deal_id: str, rows: list[RecordedEvent]) -> None:
        """Store these links (previous, hash) on the rows of the same versions."""
        raise NotImplementedError


class MemoryTamper(Tamper):
    def __init__(self, store: dealflow.MemoryEventStore) -> None:
        self.rows: dict[str, list[RecordedEvent]] = store._recorded

    def _put(self, deal_id: str, rows: list[RecordedEvent]) -> None:
        self.rows[deal_id] = sorted(rows, key=lambda r: r.version)

    def edit(self, deal_id: str, version: int, payload: str) -> None:
        self._put(
            deal_id,
            [
                r.model_copy(update={"payload": payload}) if r.version == version else r
                for r in self.rows[deal_id]
            ],
        )

    def delete(self, deal_id: str, version: int) -> None:
        self._put(deal_id, [r for r in self.rows[deal_id] if r.version != version])

    def shift(self, deal_id: str, start: int, by: int) -> None:
        self._put(
            deal_id,
            [
                r.model_copy(update={"version": r.version + by}) if r.version >= start else r
                for r in self.rows[deal_id]
            ],
        )

    def insert(self, deal_id: str, row: RecordedEvent) -> None:
        self._put(deal_id, [*self.rows[deal_id], row])

    def swap(self, deal_id: str, first: int, second: int) -> None:
        moved = {first: second, second: first}
        self._put(
            deal_id,
            [
                r.model_copy(update={"version": moved[r.version]}) if r.version in moved else r
                for r in self.rows[deal_id]
            ],
        )

    def relink(self, deal_id: str, rows: list[RecordedEvent]) -> None:
        links = {r.version: (r.previous, r.hash) for r in rows}
        self._put(
            deal_id,
            [
                r.model_copy(update={"previous": links[r.version][0], "hash": links[r.version][1]})
                if r.version in links
                else r
                for r in self.rows[deal_id]
            ],
        )


class SqlTamper(Tamper):
    """The same statements on SQLite and PostgreSQL (``?`` becomes ``%s`` there)."""

    def __init__(self, run: Callable[[str, tuple[Any, ...]], None], postgres: bool) -> None:
        self._run = run
        self.postgres = postgres

    def run(self, sql: str, *params: Any) -> None:
        self._run(sql.replace("?", "%s") if self.postgres else sql, params)

    def edit(self, deal_id: str, version: int, payload: str) -> None:
        self.run(
            "UPDATE events SET data = ? WHERE deal_id = ? AND version = ?",
            payload,
            deal_id,
            version,
        )

    def delete(self, deal_id: str, version: int) -> None:
        self.run("DELETE FROM events WHERE deal_id = ? AND version = ?", deal_id, version)

    def shift(self, deal_id: str, start: int, by: int) -> None:
        # In two steps: a primary key is checked row by row, so versions cannot overlap.
        self.run(
            "UPDATE events SET version = version + ? WHERE deal_id = ? AND version >= ?",
            PARKED + by, deal_id, start,
        )  # fmt: skip
        self.run(
            "UPDATE events SET version = version - ? WHERE deal_id = ? AND version > ?",
            PARKED, deal_id, PARKED,
        )  # fmt: skip

    def insert(self, deal_id: str, row: RecordedEvent) -> None:
        if self.postgres:  # the database links every row it inserts: not this one
            self.run("ALTER TABLE events DISABLE TRIGGER USER")
        self.run(
            "INSERT INTO events (deal_id, version, type, occurred_at, data, position, "
            "previous_hash, hash) SELECT ?, ?, ?, ?, ?, max(position) + 1, ?, ? FROM events",
            deal_id, row.version, row.event, "2026-11-02T10:00:00+00:00", row.payload,
            row.previous, row.hash,
        )  # fmt: skip
        if self.postgres:
            self.run("ALTER TABLE events ENABLE TRIGGER USER")

    def swap(self, deal_id: str, first: int, second: int) -> None:
        self.run(
            "UPDATE events SET version = ? WHERE deal_id = ? AND version = ?",
            PARKED,
            deal_id,
            first,
        )
        self.run(
            "UPDATE events SET version = ? WHERE deal_id = ? AND version = ?",
            first,
            deal_id,
            second,
        )
        self.run(
            "UPDATE events SET version = ? WHERE deal_id = ? AND version = ?",
            second,
            deal_id,
            PARKED,
        )

    def relink(self, deal_id: str, rows: list[RecordedEvent]) -> None:
        for r in rows:
            self.run(
                "UPDATE events SET previous_hash = ?, hash = ? WHERE deal_id = ? AND version = ?",
                r.previous, r.hash, deal_id, r.version,
            )  # fmt: skip


def _sqlite_run(path: Path) -> Callable[[str, tuple[Any, ...]], None]:
    def run(sql: str, params: tuple[Any, ...]) -> None:
        with sqlite3.connect(path) as db:
            db.execute(sql, params)
        db.close()

    return run


def _postgres_run(url: str) -> Callable[[str, tuple[Any, ...]], None]:
    def run(sql: str, params: tuple[Any, ...]) -> None:
        import psycopg

        with psycopg.connect(url, autocommit=True) as db:
            db.execute(sql, params or None)

    return run


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def store_and_tamper(
    kind: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[EventStore, Tamper]]:
    store: EventStore
    tamper: Tamper
    if kind == "memory":
        memory = dealflow.MemoryEventStore()
        store, tamper = memory, MemoryTamper(memory)
    elif kind == "sqlite":
        path = tmp_path / "deals.db"
        store, tamper = dealflow.SQLiteEventStore(path), SqlTamper(_sqlite_run(path), False)
    else:
        url = request.getfixturevalue("postgres_url")
        store, tamper = dealflow.PostgresEventStore(url), SqlTamper(_postgres_run(url), True)
    yield store, tamper
    store.close()


@pytest.fixture
def signed(
    store_and_tamper: tuple[EventStore, Tamper],
) -> tuple[dealflow.DealService, str, Tamper]:
    """A service on the store, a deal it took to signed, and the tamperer."""
    store, tamper = store_and_tamper
    service = staffed(dealflow.DealService(store, dealflow.FixedClock(START)))
    deal_id = drive_to(service, sample_deal_spec(), dealflow.Stage.SIGNED)
    return service, deal_id, tamper


def _row(service: dealflow.DealService, deal_id: str, version: int) -> RecordedEvent:
    return next(r for r in service.store.recorded_events(deal_id) if r.version == version)


def _edited(payload: str, **changes: Any) -> str:
    data = json.loads(payload)
    data.update(changes)
    return json.dumps(data)


# The chain as stored ---------------------------------------------------------------------


def test_every_event_is_stored_linked_to_the_one_before_it(
    signed: tuple[dealflow.DealService, str, Tamper],
) -> None:
    service, deal_id, _ = signed
    recorded = service.store.recorded_events(deal_id)
    history = service.history(deal_id)
    assert [r.version for r in recorded] == [e.version for e in history]
    assert [r.event for r in recorded] == [e.type for e in history]
    previous = GENESIS
    for row in recorded:
        # The store (on PostgreSQL, the database) computed what dealflow computes.
        assert row.previous == previous
        assert row.hash == link_hash(previous, deal_id, row.version, row.event, row.payload)
        previous = row.hash
    links = service.store.chain(deal_id)
    assert links == tuple(r.link() for r in recorded)
    report = service.audit(deal_id)
    assert report.ok and report.first_break is None and report.problem is None
    assert (report.events, report.head) == (len(history), links[-1].hash)


def test_each_deal_has_its_own_chain_and_appends_go_on_from_the_head(
    signed: tuple[dealflow.DealService, str, Tamper],
) -> None:
    service, deal_id, _ = signed
    other = service.open_deal(sample_deal_spec()).id
    assert service.store.chain(other)[0].previous == GENESIS
    head = service.audit(deal_id).head
    from tests.conftest import SERVICE, by

    by(service, SERVICE).start_service(deal_id, SERVICE)
    last = service.store.chain(deal_id)[-1]
    assert last.previous == head and last.event == "ServiceStarted"
    assert service.audit(deal_id).ok and service.audit(other).ok


def test_auditing_a_deal_the_store_does_not_hold_is_deal_not_found(
    signed: tuple[dealflow.DealService, str, Tamper],
) -> None:
    service, _, _ = signed
    with pytest.raises(dealflow.DealNotFoundError):
        service.audit("no-such-deal")
    assert service.store.chain("no-such-deal") == ()


# Attacks -----------------------------------------------------------------------------------


def test_an_edited_payload_is_named_as_changed(
    signed: tuple[dealflow.DealService, str, Tamper],
) -> None:
    service, deal_id, tamper = signed
    row = _row(service, deal_id, 4)
    tamper.edit(deal_id, 4, _edited(row.payload, note="edited later"))
    report = service.audit(deal_id)
    assert not report.ok and report.first_break is not None
    assert (report.first_break.version, report.first_break.event) == (4, row.event)
    assert report.first_break.kind is BreakKind.CHANGED
    assert report.problem == f"v4 {row.event}: the event was changed after it was recorded"


def test_a_deleted_event_is_named_as_removed(
    signed: tuple[dealflow.DealService, str, Tamper],
) -> None:
    service, deal_id, tamper = signed
    tamper.delete(deal_id, 5)
    found = service.audit(deal_id).first_break
    assert found is not None
    assert (found.version, found.event, found.kind) == (5, None, BreakKind.REMOVED)
    assert str(found) == "v5: the event was removed after it was recorded (v6 follows v4)"


def test_a_deleted_event_with_the_later_ones_renumbered_is_named_as_removed(
    signed: tuple[dealflow.DealService, str, Tamper],
) -> None:
    service, deal_id, tamper = signed
    sixth = _row(service, deal_id, 6)
    tamper.delete(deal_id, 5)
    tamper.shift(deal_id, 6, -1)
    found = service.audit(deal_id).first_break
    assert found is not None
    assert (found.version, found.event, found.kind) == (5, sixth.event, BreakKind.REMOVED)
    assert "removed" in found.sentence and "renumbered" in found.sentence


def test_an_event_inserted_in_the_middle_is_named_as_inserted(
    signed: tuple[dealflow.DealService, str, Tamper],
) -> None:
    service, deal_id, tamper = signed
    fourth = _row(service, deal_id, 4)
    tamper.shift(deal_id, 4, 1)
    forged = _edited(fourth.payload, note="a counter-offer never made")
    # Even with the hash dealflow would have given it there, it does not fit.
    tamper.insert(
        deal_id,
        RecordedEvent(
            version=4,
            event=fourth.event,
            payload=forged,
            previous=fourth.previous,
            hash=link_hash(fourth.previous or "", deal_id, 4, fourth.event, forged),
        ),
    )
    found = service.audit(deal_id).first_break
    assert found is not None
    assert (found.version, found.event, found.kind) == (4, fourth.event, BreakKind.INSERTED)
    assert found.sentence == "the event was inserted after the events that follow it were recorded"


def test_an_event_appended_outside_dealflow_without_a_link_is_named_as_inserted(
    signed: tuple[dealflow.DealService, str, Tamper],
) -> None:
    service, deal_id, tamper = signed
    last = service.store.recorded_events(deal_id)[-1]
    version = last.version + 1
    tamper.insert(
        deal_id,
        RecordedEvent(
            version=version,
            event=last.event,
            payload=_edited(last.payload, version=version),
            previous=None,
            hash=None,
        ),
    )
    report = service.audit(deal_id)
    assert report.first_break is not None
    assert (report.first_break.version, report.first_break.kind) == (version, BreakKind.INSERTED)
    assert "outside dealflow" in report.first_break.sentence
    assert service.store.chain(deal_id)[-1].hash == ""


def test_two_events_swapped_are_named_as_moved(
    signed: tuple[dealflow.DealService, str, Tamper],
) -> None:
    service, deal_id, tamper = signed
    fifth = _row(service, deal_id, 5)
    tamper.swap(deal_id, 4, 5)
    found = service.audit(deal_id).first_break
    assert found is not None
    assert (found.version, found.event, found.kind) == (4, fifth.event, BreakKind.REORDERED)
    assert found.sentence.startswith("the event was moved")


def test_an_edit_with_that_events_hash_recomputed_is_still_named(
    signed: tuple[dealflow.DealService, str, Tamper],
) -> None:
    service, deal_id, tamper = signed
    row = _row(service, deal_id, 3)
    payload = _edited(row.payload, note="edited later")
    tamper.edit(deal_id, 3, payload)
    own = link_hash(row.previous or "", deal_id, 3, row.event, payload)
    tamper.relink(deal_id, [row.model_copy(update={"hash": own})])
    found = service.audit(deal_id).first_break
    assert found is not None
    assert (found.version, found.event, found.kind) == (3, row.event, BreakKind.CHANGED)
    assert "replaced" in found.sentence


def test_an_edit_with_the_whole_chain_recomputed_looks_intact_but_moves_the_head(
    signed: tuple[dealflow.DealService, str, Tamper],
) -> None:
    """The chain alone cannot catch someone who rewrites every later hash: the head a signed
    contract embedded (compared by ``verify --store``) does."""
    service, deal_id, tamper = signed
    head = service.audit(deal_id).head
    row = _row(service, deal_id, 3)
    tamper.edit(deal_id, 3, _edited(row.payload, note="edited later"))
    assert not service.audit(deal_id).ok
    rewritten, previous = [], GENESIS
    for r in service.store.recorded_events(deal_id):
        own = link_hash(previous, deal_id, r.version, r.event, r.payload)
        rewritten.append(r.model_copy(update={"previous": previous, "hash": own}))
        previous = own
    tamper.relink(deal_id, rewritten)
    report = service.audit(deal_id)
    assert report.ok
    assert report.head != head


# PostgreSQL: the database links what it stores ---------------------------------------------


def test_postgres_links_a_raw_insert_itself_and_refuses_one_that_skips_a_version(
    postgres_url: str,
) -> None:
    import psycopg

    service = staffed(dealflow.connect(postgres_url, clock=dealflow.FixedClock(START)))
    deal_id = service.open_deal(sample_deal_spec()).id
    head = service.audit(deal_id).head
    opened = json.loads(service.store.recorded_events(deal_id)[0].payload)
    opened.update(version=2, actor={**opened["actor"], "role": "system"})
    insert = (
        "WITH counter AS (UPDATE dealflow_feed SET last = last + 1 WHERE id = 1 RETURNING last) "
        "INSERT INTO events (deal_id, version, type, occurred_at, data, position, "
        "previous_hash, hash) SELECT %s, %s, 'DealOpened', now(), %s, counter.last, %s, %s "
        "FROM counter"
    )
    with psycopg.connect(postgres_url, autocommit=True) as db:
        db.execute(insert, (deal_id, 2, json.dumps(opened), "f" * 64, "e" * 64))
        with pytest.raises(psycopg.errors.CheckViolation, match="does not follow"):
            db.execute(insert, (deal_id, 9, json.dumps(opened), GENESIS, "e" * 64))
    link = service.store.chain(deal_id)[1]
    assert link.previous == head and link.hash not in ("e" * 64, "")
    assert service.audit(deal_id).ok
    service.close()


# Upgrades ----------------------------------------------------------------------------------


def test_a_schema_3_sqlite_store_is_linked_when_opened(tmp_path: Path) -> None:
    path = tmp_path / "deals.db"
    service = staffed(dealflow.connect(str(path), clock=dealflow.FixedClock(START)))
    deal_id = drive_to(service, sample_deal_spec(), dealflow.Stage.SIGNED)
    links = service.store.chain(deal_id)
    service.close()
    with sqlite3.connect(path) as db:  # back to schema 3: no chain
        db.execute("ALTER TABLE events DROP COLUMN previous_hash")
        db.execute("ALTER TABLE events DROP COLUMN hash")
        db.execute("UPDATE meta SET value = '3' WHERE key = 'schema_version'")
    db.close()
    again = staffed(dealflow.connect(str(path), clock=dealflow.FixedClock(START)))
    assert again.store.chain(deal_id) == links  # the same links, computed from the same rows
    assert again.audit(deal_id).ok
    assert again.store.chain("@roster")[0].previous == GENESIS
    again.close()
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT value FROM meta").fetchone() == ("4",)
    db.close()


def test_the_store_release_0_1_made_is_linked_and_audits_intact(tmp_path: Path) -> None:
    path = tmp_path / "deals.db"
    shutil.copyfile(FIXTURES / "deals.db", path)
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT value FROM meta").fetchone() == ("3",)
    db.close()
    service = dealflow.connect(str(path), clock=dealflow.FixedClock(START))
    (deal_id,) = service.store.deal_ids()
    report = service.audit(deal_id)
    assert report.ok and report.events == len(service.history(deal_id))
    service.close()


def test_a_schema_4_postgres_store_is_linked_when_opened(postgres_url: str) -> None:
    import psycopg

    service = staffed(dealflow.connect(postgres_url, clock=dealflow.FixedClock(START)))
    deal_id = drive_to(service, sample_deal_spec(), dealflow.Stage.SIGNED)
    links = service.store.chain(deal_id)
    service.close()
    with psycopg.connect(postgres_url, autocommit=True) as db:  # back to schema 4: no chain
        db.execute("DROP FUNCTION dealflow_chain() CASCADE")
        db.execute("DROP FUNCTION dealflow_link_hash(TEXT, TEXT, INTEGER, TEXT, TEXT)")
        db.execute("ALTER TABLE events DROP COLUMN previous_hash, DROP COLUMN hash")
        db.execute("UPDATE dealflow_meta SET value = '4' WHERE key = 'schema_version'")
    again = staffed(dealflow.connect(postgres_url, clock=dealflow.FixedClock(START)))
    assert again.store.chain(deal_id) == links
    assert again.audit(deal_id).ok
    from tests.conftest import SERVICE

    again.start_service(deal_id, SERVICE)  # appends go on linking
    assert again.store.chain(deal_id)[-1].previous == links[-1].hash
    assert again.audit(deal_id).ok
    again.close()
    with psycopg.connect(postgres_url) as db:
        found = "SELECT value FROM dealflow_meta WHERE key = 'schema_version'"
        assert db.execute(found).fetchone() == ("5",)


# The walk itself, on made-up rows ----------------------------------------------------------


def _chain(count: int, deal_id: str = "d1") -> list[RecordedEvent]:
    rows, previous = [], GENESIS
    for version in range(1, count + 1):
        payload = json.dumps({"version": version})
        own = link_hash(previous, deal_id, version, f"E{version}", payload)
        rows.append(
            RecordedEvent(
                version=version, event=f"E{version}", payload=payload, previous=previous, hash=own
            )
        )
        previous = own
    return rows


def test_the_walk_names_the_first_break_only() -> None:
    rows = _chain(6)
    assert first_break("d1", rows) is None
    assert first_break("other-deal", rows) is not None  # the deal id is in every hash
    edited = [*rows[:2], rows[2].model_copy(update={"payload": "{}"}), *rows[3:5]]
    edited.append(rows[5].model_copy(update={"payload": "{}"}))
    found = first_break("d1", edited)
    assert found is not None and (found.version, found.kind) == (3, BreakKind.CHANGED)
    first_gone = first_break("d1", rows[1:])
    assert first_gone is not None and str(first_gone) == (
        "v1: the event was removed after it was recorded (v2 follows the start of the deal)"
    )
    report = audit_chain("d1", rows[:4])
    assert report.ok and report.head == rows[3].hash and report.events == 4
