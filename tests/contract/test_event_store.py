"""One contract for every event store: each backend subclasses :class:`EventStoreContract`
(memory, SQLite, PostgreSQL).

Append and load round-trip exactly, versions are the concurrency control (a second writer on
the same version is refused and writes nothing), appends are all-or-nothing, deals list in
the order they were opened, the read model follows every append and answers queries, and
kept files are written once.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from pydantic import ValidationError

import dealflow
from dealflow.application.demo import sample_deal_spec
from dealflow.domain import commands as c
from dealflow.domain.decisions import decide
from dealflow.domain.listing import DealQuery, deal_row
from dealflow.domain.policy import DEFAULT_POLICY
from dealflow.ports import EventStore
from tests.conftest import BUYER, SELLER, SERVICE, START, by, staffed
from tests.paths import drive_to


def recorded(service: dealflow.DealService, actor: dealflow.Actor) -> dealflow.Actor:
    """The actor as the service's member records it: events appended straight to a store
    name the member who acted (a buyer's act: who recorded it), as the database checks."""
    me = service.whoami().id
    field = "recorded_by" if actor.role is dealflow.Role.BUYER else "member"
    return actor.model_copy(update={field: me})


class EventStoreContract:
    """The behaviour every store must have; subclasses provide ``make_store``."""

    @pytest.fixture
    def store(self, tmp_path: Path) -> Iterator[EventStore]:
        store = self.make_store(tmp_path)
        yield store
        store.close()

    def make_store(self, tmp_path: Path) -> EventStore:
        raise NotImplementedError

    def second_handle(self, store: EventStore, tmp_path: Path) -> EventStore:
        """Another connection to the same store (the same object where there is no other)."""
        return store

    @staticmethod
    def service(store: EventStore) -> dealflow.DealService:
        return staffed(dealflow.DealService(store, dealflow.FixedClock(START)))

    def test_events_round_trip_exactly(self, store: EventStore) -> None:
        service = self.service(store)
        deal_id = service.open_deal(sample_deal_spec()).id
        service.present(deal_id, SELLER)
        service.offer(deal_id, SELLER, dealflow.TermsChange(discount=dealflow.Discount.parse("5%")))
        service.counter(deal_id, BUYER, dealflow.TermsChange(payment_days=60))
        live = service.get(deal_id)
        events = store.load(deal_id)
        assert [e.version for e in events] == [1, 2, 3, 4]
        assert [type(e).__name__ for e in events] == [
            "DealOpened",
            "DealPresented",
            "OfferMade",
            "OfferCountered",
        ]
        assert self.service(store).get(deal_id) == live
        assert store.load(deal_id, after=2) == events[2:]
        assert store.load(deal_id, after=4) == []

    def test_after_sales_events_round_trip_and_the_review_reads_the_store(
        self, store: EventStore
    ) -> None:
        service = self.service(store)
        deal_id = drive_to(service, sample_deal_spec(), dealflow.Stage.SIGNED)
        review = service.review(datetime(2027, 2, 13, 9, tzinfo=UTC))
        assert {(c.item, c.change) for c in review.changes} == {
            (None, "service started"),
            ("installation-1", "breached"),
            ("training-1", "due"),
            ("payment-1", "due"),
        }
        later = datetime(2027, 2, 13, 10, tzinfo=UTC)  # the history runs forward
        service.clock.set(later)  # type: ignore[attr-defined]
        by(service, SERVICE).fulfil(deal_id, "installation-1", SERVICE, note="Commissioned")
        service.log_interaction(deal_id, BUYER, channel="phone", kind="complaint", note="Noisy")
        by(service, SERVICE).respond_claim(deal_id, "complaint-1", SERVICE, "Technician booked")
        live = service.get(deal_id)
        again = self.service(store)
        again.clock.set(later)  # type: ignore[attr-defined]
        assert again.get(deal_id) == live
        assert again.commitments(deal_id)[0].status is dealflow.CommitmentStatus.FULFILLED_LATE
        assert again.health()[0].health == service.health()[0].health
        # A second review at the same time finds nothing more to do.
        assert again.review(datetime(2027, 2, 13, 9, tzinfo=UTC)).changes == []

    def test_unknown_deals_load_as_empty(self, store: EventStore) -> None:
        assert store.load("no-such-deal") == []
        with pytest.raises(dealflow.DealNotFoundError):
            self.service(store).get("no-such-deal")

    def test_a_second_writer_on_the_same_version_is_refused(
        self, store: EventStore, tmp_path: Path
    ) -> None:
        first = self.service(store)
        deal_id = first.open_deal(sample_deal_spec()).id
        other = self.second_handle(store, tmp_path)
        second = self.service(other)
        # Both decide on version 1 at once; the first append wins.
        deal = second.get(deal_id)
        seller = recorded(second, SELLER)
        mine = decide(deal, c.Present(seller, "first"), START, DEFAULT_POLICY)
        theirs = decide(deal, c.Withdraw(seller, "second"), START, DEFAULT_POLICY)
        store.append(deal_id, 1, mine)
        with pytest.raises(dealflow.ConcurrencyConflictError) as caught:
            other.append(deal_id, 1, theirs)
        assert caught.value.deal_id == deal_id
        assert caught.value.expected_version == 1
        assert [type(e).__name__ for e in store.load(deal_id)] == ["DealOpened", "DealPresented"]
        assert second.get(deal_id).stage is dealflow.Stage.PRESENTED
        if other is not store:
            other.close()

    def test_an_append_is_all_or_nothing(self, store: EventStore) -> None:
        service = self.service(store)
        deal_id = service.open_deal(sample_deal_spec()).id
        deal = service.present(deal_id, SELLER)
        stale = store.load(deal_id)[1]  # version 2 again: conflicts with what is stored
        fresh = stale.model_copy(update={"version": 3})
        with pytest.raises(dealflow.ConcurrencyConflictError):
            store.append(deal_id, 1, [stale, fresh])
        assert len(store.load(deal_id)) == deal.version

    def test_deals_list_in_the_order_they_were_opened(self, store: EventStore) -> None:
        service = self.service(store)
        ids = [service.open_deal(sample_deal_spec()).id for _ in range(5)]
        assert store.deal_ids() == ids
        assert [d.id for d in service.deals()] == ids

    def test_concurrent_threads_never_lose_or_duplicate_an_event(self, store: EventStore) -> None:
        deal_id = self.service(store).open_deal(sample_deal_spec()).id
        landed: list[int] = []
        conflicts: list[int] = []

        def writer() -> None:
            service = self.service(store)
            seller, buyer = recorded(service, SELLER), recorded(service, BUYER)
            for _ in range(20):
                deal = service.get(deal_id)
                actor = buyer if deal.turn is dealflow.Side.BUYER else seller
                command = {
                    dealflow.Stage.DRAFT: c.Present(seller),
                    dealflow.Stage.PRESENTED: c.MakeOffer(seller),
                }.get(deal.stage, c.Counter(actor, dealflow.TermsChange(payment_days=30)))
                events = decide(deal, command, START, DEFAULT_POLICY)
                try:
                    store.append(deal_id, deal.version, events)
                    landed.append(1)
                except dealflow.ConcurrencyConflictError:
                    conflicts.append(1)

        threads = [threading.Thread(target=writer) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        events = store.load(deal_id)
        assert [e.version for e in events] == list(range(1, len(events) + 1))
        assert len(events) == 1 + len(landed)
        assert len(landed) + len(conflicts) == 80

    def test_the_read_model_follows_every_append(self, store: EventStore) -> None:
        service = self.service(store)
        deal_id = service.open_deal(sample_deal_spec()).id
        assert store.list_deals(DealQuery()) == [deal_row(service.get(deal_id))]
        service.present(deal_id, SELLER)
        service.offer(deal_id, SELLER, dealflow.TermsChange(discount=dealflow.Discount.parse("5%")))
        (row,) = store.list_deals(DealQuery())
        assert row == deal_row(service.get(deal_id))
        assert row.stage is dealflow.Stage.OFFERED
        assert row.turn is dealflow.Side.BUYER
        assert row.expires_at is not None

    def test_a_refused_append_leaves_the_read_model_as_it_was(self, store: EventStore) -> None:
        service = self.service(store)
        deal_id = service.open_deal(sample_deal_spec()).id
        before = store.list_deals(DealQuery())
        deal = service.get(deal_id)
        events = decide(deal, c.Present(SELLER), START, DEFAULT_POLICY)
        wrong = deal_row(deal).model_copy(update={"stage": dealflow.Stage.LOST})
        with pytest.raises(dealflow.ConcurrencyConflictError):
            store.append(deal_id, 0, events, wrong)
        assert store.list_deals(DealQuery()) == before

    def test_queries_filter_by_stage_buyer_owner_value_and_expiry(self, store: EventStore) -> None:
        service = self.service(store)
        spec = sample_deal_spec()
        other_buyer = spec.buyer.model_copy(update={"name": "CV Kopi Nusantara", "tax_id": None})
        small = spec.model_copy(
            update={"buyer": other_buyer, "items": spec.items[1:], "title": "Sensors only"}
        )
        offered = service.open_deal(spec).id
        service.present(offered, SELLER)
        service.offer(offered, SELLER)
        draft = service.open_deal(small).id
        signed_deal = service.open_deal(spec).id
        for step in (
            lambda: service.present(signed_deal, SELLER),
            lambda: service.offer(signed_deal, SELLER),
            lambda: service.accept(signed_deal, BUYER),
            lambda: service.agree(signed_deal, SELLER),
            lambda: service.sign(signed_deal, SELLER, title="Director"),
            lambda: service.sign(signed_deal, BUYER, title="Manager"),
        ):
            step()

        def ids(**filters: object) -> list[str]:
            return [row.id for row in store.list_deals(DealQuery(**filters))]  # type: ignore[arg-type]

        assert ids() == [offered, draft, signed_deal]
        assert ids(stage=dealflow.Stage.OFFERED) == [offered]
        assert ids(buyer="kopi") == [draft]
        assert ids(buyer="SINAR abadi") == [offered, signed_deal]
        assert ids(buyer="100%_") == []
        assert ids(same_buyer_as=spec.buyer) == [offered, signed_deal]
        assert ids(same_buyer_as=spec.buyer, signed_only=True) == [signed_deal]
        assert ids(owner="budi santoso") == [offered, draft, signed_deal]
        assert ids(owner="nobody") == []
        assert ids(max_total=100_000_000) == [draft]
        assert ids(min_total=100_000_000) == [offered, signed_deal]
        assert ids(expires_before=START + timedelta(days=30)) == [offered]
        assert ids(expires_before=START) == []
        assert ids(limit=2) == [offered, draft]

    def test_the_feed_gives_every_event_once_in_order_with_its_position(
        self, store: EventStore
    ) -> None:
        service = self.service(store)
        first = service.open_deal(sample_deal_spec()).id
        second = service.open_deal(sample_deal_spec()).id
        service.present(first, SELLER)
        service.present(second, SELLER)
        service.withdraw(first, SELLER)
        entries = store.feed()
        roster = len(service.members_log())  # the roster's changes come first, in the feed too
        assert [e for _, e in entries[:roster]] == service.members_log()
        assert [p for p, _ in entries] == list(range(1, roster + 6))
        assert [(e.deal_id, e.version) for _, e in entries[roster:]] == [
            (first, 1),
            (second, 1),
            (first, 2),
            (second, 2),
            (first, 3),
        ]
        assert store.feed(after=roster + 2, limit=2) == entries[roster + 2 : roster + 4]
        assert store.feed(after=roster + 5) == []
        refused = decide(service.get(second), c.Withdraw(SELLER), START, DEFAULT_POLICY)
        with pytest.raises(dealflow.ConcurrencyConflictError):
            store.append(second, 1, refused)
        service.withdraw(second, SELLER)
        # A refused append leaves no gap.
        assert [p for p, _ in store.feed(after=roster + 5)] == [roster + 6]

    def test_kept_files_are_written_once(self, store: EventStore) -> None:
        store.put_artifact("deal-1", "contract-v1.pdf", b"%PDF-1.7 first")
        store.put_artifact("deal-1", "contract-v1.pdf", b"%PDF-1.7 first")  # the same: no-op
        with pytest.raises(dealflow.ArtifactConflictError, match="never replaced"):
            store.put_artifact("deal-1", "contract-v1.pdf", b"%PDF-1.7 forged")
        store.put_artifact("deal-1", "audit.json", b"{}")
        assert store.get_artifact("deal-1", "contract-v1.pdf") == b"%PDF-1.7 first"
        assert store.get_artifact("deal-1", "missing.pdf") is None
        assert store.artifacts("deal-1") == ["audit.json", "contract-v1.pdf"]
        assert store.artifacts("deal-2") == []
        blob = bytes(range(256)) * 1000
        store.put_artifact("deal-2", "big.bin", blob)
        assert store.get_artifact("deal-2", "big.bin") == blob


class TestMemoryEventStore(EventStoreContract):
    def make_store(self, tmp_path: Path) -> EventStore:
        return dealflow.MemoryEventStore()


class TestSQLiteEventStore(EventStoreContract):
    def make_store(self, tmp_path: Path) -> EventStore:
        return dealflow.SQLiteEventStore(tmp_path / "deals.db")

    def second_handle(self, store: EventStore, tmp_path: Path) -> EventStore:
        return dealflow.SQLiteEventStore(tmp_path / "deals.db")

    def test_events_survive_reopening_the_file(self, tmp_path: Path) -> None:
        path = tmp_path / "deals.db"
        service = staffed(dealflow.connect(f"sqlite:///{path}", clock=dealflow.FixedClock(START)))
        deal_id = service.open_deal(sample_deal_spec()).id
        live = service.present(deal_id, SELLER)
        service.close()
        reopened = staffed(dealflow.connect(str(path), clock=dealflow.FixedClock(START)))
        assert reopened.get(deal_id) == live
        reopened.close()

    def test_the_file_runs_in_wal_mode_with_a_schema_version(self, tmp_path: Path) -> None:
        dealflow.SQLiteEventStore(tmp_path / "deals.db").close()
        db = sqlite3.connect(tmp_path / "deals.db")
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        version = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        assert version == ("4",)
        db.close()

    def test_a_store_from_a_newer_dealflow_is_refused(self, tmp_path: Path) -> None:
        dealflow.SQLiteEventStore(tmp_path / "deals.db").close()
        with sqlite3.connect(tmp_path / "deals.db") as db:
            db.execute("UPDATE meta SET value = '99' WHERE key = 'schema_version'")
        with pytest.raises(dealflow.StoreSchemaError, match="newer dealflow"):
            dealflow.SQLiteEventStore(tmp_path / "deals.db")

    def test_a_file_that_is_not_a_database_is_a_clear_store_error(self, tmp_path: Path) -> None:
        path = tmp_path / "deals.db"
        path.write_bytes(b"this is not sqlite" * 100)
        with pytest.raises(dealflow.StoreError, match="not a dealflow database"):
            dealflow.SQLiteEventStore(path)

    def test_a_damaged_event_row_is_a_clear_store_error(self, tmp_path: Path) -> None:
        store = dealflow.SQLiteEventStore(tmp_path / "deals.db")
        deal_id = self.service(store).open_deal(sample_deal_spec()).id
        with sqlite3.connect(tmp_path / "deals.db") as db:
            db.execute('UPDATE events SET data = \'{"type": "DealOpened"}\'')
        with pytest.raises(dealflow.StoreError, match="cannot be read"):
            store.load(deal_id)
        store.close()

    def test_what_an_earlier_dealflow_recorded_is_read_back_as_it_was(self, tmp_path: Path) -> None:
        """Rules added later for new input (terms dates from 1900 to 2999, texts a contract can
        print, names that are not blank) do not make a recorded deal unreadable."""
        path = tmp_path / "deals.db"
        store = dealflow.SQLiteEventStore(path)
        deal_id = self.service(store).open_deal(sample_deal_spec()).id
        store.close()
        with sqlite3.connect(path) as db:
            (data,) = db.execute(
                "SELECT data FROM events WHERE version = 1 AND deal_id = ?", (deal_id,)
            ).fetchone()
            event = json.loads(data)
            event["proposal"]["delivery"]["by"] = "1899-12-31"
            event["proposal"]["items"][0]["description"] = "x" * 30_000
            event["actor"]["name"] = "   "
            db.execute(
                "UPDATE events SET data = ? WHERE version = 1 AND deal_id = ?",
                (json.dumps(event), deal_id),
            )
        store = dealflow.SQLiteEventStore(path)
        deal = self.service(store).get(deal_id)
        assert str(deal.terms.delivery.by if deal.terms.delivery else None) == "1899-12-31"
        assert len(deal.terms.items[0].description) == 30_000
        assert next(e for _, e in store.feed() if e.deal_id == deal_id).actor.name == "   "
        # New terms made from it follow today's rules, and say why they are refused.
        with pytest.raises(ValidationError, match="is 30,000 characters"):
            deal.terms.changed(dealflow.TermsChange(payment_days=45))
        store.close()

    def test_a_version_1_store_is_migrated_forward_with_its_read_model(
        self, tmp_path: Path
    ) -> None:
        path = tmp_path / "deals.db"
        store = dealflow.SQLiteEventStore(path)
        service = self.service(store)
        deal_id = service.open_deal(sample_deal_spec()).id
        live = service.present(deal_id, SELLER)
        store.close()
        with sqlite3.connect(path) as db:  # back to what dealflow 0.1's first schema held
            db.execute("DELETE FROM events WHERE deal_id = '@roster'")  # no roster then
            db.execute("DROP TABLE deals")
            db.execute("DROP TABLE artifacts")
            db.execute("DROP INDEX events_position")
            db.execute("ALTER TABLE events DROP COLUMN position")
            db.execute("UPDATE meta SET value = '1' WHERE key = 'schema_version'")
        migrated = dealflow.SQLiteEventStore(path)
        assert migrated.list_deals(DealQuery()) == [deal_row(live)]
        assert [p for p, _ in migrated.feed()] == [1, 2]
        assert self.service(migrated).get(deal_id) == live
        migrated.close()
        with sqlite3.connect(path) as db:
            assert db.execute("SELECT value FROM meta").fetchone() == ("4",)


class TestPostgresEventStore(EventStoreContract):
    """The contract on a real PostgreSQL server (skipped without one, except in CI)."""

    @pytest.fixture(autouse=True)
    def _server(self, postgres_url: str) -> None:
        self.url = postgres_url

    def make_store(self, tmp_path: Path) -> EventStore:
        from dealflow.adapters.postgres import PostgresEventStore

        return PostgresEventStore(self.url)

    def second_handle(self, store: EventStore, tmp_path: Path) -> EventStore:
        return self.make_store(tmp_path)

    def test_connect_picks_postgres_from_the_url(self) -> None:
        service = staffed(dealflow.connect(self.url, clock=dealflow.FixedClock(START)))
        deal_id = service.open_deal(sample_deal_spec()).id
        assert type(service.store).__name__ == "PostgresEventStore"
        service.close()
        again = staffed(dealflow.connect(self.url))
        assert again.get(deal_id).stage is dealflow.Stage.DRAFT
        again.close()

    def test_a_store_from_a_newer_dealflow_is_refused(self, tmp_path: Path) -> None:
        import psycopg

        self.make_store(tmp_path).close()
        with psycopg.connect(self.url, autocommit=True) as db:
            db.execute("UPDATE dealflow_meta SET value = '99' WHERE key = 'schema_version'")
        with pytest.raises(dealflow.StoreSchemaError, match="newer dealflow"):
            self.make_store(tmp_path)

    def test_a_version_1_store_is_migrated_forward_with_its_read_model(
        self, tmp_path: Path
    ) -> None:
        import psycopg

        store = self.make_store(tmp_path)
        service = self.service(store)
        deal_id = service.open_deal(sample_deal_spec()).id
        live = service.present(deal_id, SELLER)
        store.close()
        with psycopg.connect(self.url, autocommit=True) as db:
            db.execute("DELETE FROM events WHERE deal_id = '@roster'")  # no roster then
            db.execute("DROP TABLE deals")
            db.execute("DROP TABLE artifacts")
            db.execute("DROP TABLE dealflow_feed")
            db.execute("ALTER TABLE events DROP COLUMN position")
            db.execute("UPDATE dealflow_meta SET value = '1' WHERE key = 'schema_version'")
        migrated = self.make_store(tmp_path)
        assert migrated.list_deals(DealQuery()) == [deal_row(live)]
        assert [p for p, _ in migrated.feed()] == [1, 2]
        self.service(migrated).withdraw(deal_id, SELLER)
        # The first use made the store's first member, then the deal moved on.
        after = migrated.feed(after=2)
        assert [(p, type(e).__name__) for p, e in after] == [
            (3, "MemberAdded"),
            (4, "DealWithdrawn"),
        ]
        migrated.close()
        with psycopg.connect(self.url) as db:
            found = "SELECT value FROM dealflow_meta WHERE key = 'schema_version'"
            assert db.execute(found).fetchone() == ("5",)

    def test_a_wrong_password_and_a_closed_port_are_clear_store_errors(self) -> None:
        from urllib.parse import urlsplit, urlunsplit

        from dealflow.adapters.postgres import PostgresEventStore

        parts = urlsplit(self.url)
        closed = parts._replace(netloc=f"{parts.username}@127.0.0.1:1")
        with pytest.raises(dealflow.StoreError, match=r"cannot reach PostgreSQL at 127\.0\.0\.1:1"):
            PostgresEventStore(urlunsplit(closed))
        unknown = parts._replace(netloc=f"no_such_user@{parts.hostname}:{parts.port}")
        with pytest.raises(dealflow.StoreError, match="no_such_user"):
            PostgresEventStore(urlunsplit(unknown))

    def test_a_lost_connection_mid_transaction_saves_nothing_and_recovers(
        self, tmp_path: Path
    ) -> None:
        import psycopg

        from dealflow.adapters.postgres import PostgresEventStore

        store = self.make_store(tmp_path)
        assert isinstance(store, PostgresEventStore)
        service = self.service(store)
        deal_id = service.open_deal(sample_deal_spec()).id
        pid = store._db.info.backend_pid
        with psycopg.connect(self.url, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        with pytest.raises(dealflow.StoreError, match=r"lost|PostgreSQL"):
            service.present(deal_id, SELLER)
        # The next action reconnects; nothing of the failed one was written.
        assert [e.version for e in store.load(deal_id)] == [1]
        assert self.service(store).present(deal_id, SELLER).version == 2
        store.close()


def test_a_full_disk_is_a_clear_store_error_and_writes_nothing(tmp_path: Path) -> None:
    store = dealflow.SQLiteEventStore(tmp_path / "deals.db")
    service = staffed(dealflow.DealService(store, dealflow.FixedClock(START)))
    deal_id = service.open_deal(sample_deal_spec()).id
    (pages,) = store._db.execute("PRAGMA page_count").fetchone()
    store._db.execute(f"PRAGMA max_page_count = {pages}")  # SQLite's own "disk is full"
    with pytest.raises(dealflow.StoreError, match="is full; free some space"):
        for _ in range(50):
            service.log_interaction(
                deal_id, SELLER, channel="email", kind="contact", note="x" * 4000
            )
    assert store.list_deals(DealQuery())[0].version == len(store.load(deal_id))
    store._db.execute("PRAGMA max_page_count = 1073741823")
    with pytest.raises(dealflow.InvalidTermsError, match="at most 5,000 characters"):
        service.present(deal_id, SELLER, "x" * 5001)
    written = len(store.load(deal_id))
    assert service.get(deal_id).version == written
    store.close()


def test_a_read_only_store_is_a_clear_store_error(tmp_path: Path) -> None:
    store = dealflow.SQLiteEventStore(tmp_path / "deals.db")
    service = staffed(dealflow.DealService(store, dealflow.FixedClock(START)))
    deal_id = service.open_deal(sample_deal_spec()).id
    store._db.execute("PRAGMA query_only = ON")  # writes fail as on a read-only file
    with pytest.raises(dealflow.StoreError, match="read-only; check the file's permissions"):
        service.present(deal_id, SELLER)
    assert service.get(deal_id).version == 1
    store.close()
