"""One contract for every event store: each backend subclasses :class:`EventStoreContract`.

Append and load round-trip exactly, versions are the concurrency control (a second writer on
the same version is refused and writes nothing), appends are all-or-nothing, and deals list
in the order they were opened.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

import dealflow
from dealflow.demo import sample_deal_spec
from dealflow.domain import decisions as d
from dealflow.domain.decisions import decide
from dealflow.domain.policy import DEFAULT_POLICY
from dealflow.ports import EventStore
from tests.conftest import BUYER, SELLER, START


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
        return dealflow.DealService(store, dealflow.FixedClock(START))

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
        mine = decide(deal, d.Present(SELLER, "first"), START, DEFAULT_POLICY)
        theirs = decide(deal, d.Withdraw(SELLER, "second"), START, DEFAULT_POLICY)
        store.append(deal_id, 1, mine)
        with pytest.raises(dealflow.ConcurrencyConflictError) as caught:
            other.append(deal_id, 1, theirs)
        assert caught.value.deal_id == deal_id
        assert caught.value.expected_version == 1
        assert [type(e).__name__ for e in store.load(deal_id)] == ["DealOpened", "DealPresented"]
        assert second.get(deal_id).stage is dealflow.Stage.PRESENTED

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
            for _ in range(20):
                deal = service.get(deal_id)
                actor = BUYER if deal.turn is dealflow.Side.BUYER else SELLER
                command = {
                    dealflow.Stage.DRAFT: d.Present(SELLER),
                    dealflow.Stage.PRESENTED: d.MakeOffer(SELLER),
                }.get(deal.stage, d.Counter(actor, dealflow.TermsChange(payment_days=30)))
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
        service = dealflow.connect(f"sqlite:///{path}", clock=dealflow.FixedClock(START))
        deal_id = service.open_deal(sample_deal_spec()).id
        live = service.present(deal_id, SELLER)
        service.close()
        reopened = dealflow.connect(str(path), clock=dealflow.FixedClock(START))
        assert reopened.get(deal_id) == live
        reopened.close()

    def test_the_file_runs_in_wal_mode_with_a_schema_version(self, tmp_path: Path) -> None:
        dealflow.SQLiteEventStore(tmp_path / "deals.db").close()
        db = sqlite3.connect(tmp_path / "deals.db")
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        version = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        assert version == ("1",)
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
