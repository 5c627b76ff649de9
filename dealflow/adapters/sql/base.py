"""The part of an SQL event store that is the same on SQLite and PostgreSQL: the reads (a
deal's events, its chain, the feed, the read model), the artifacts, the encoding of appended
events, and the mapping of the driver's errors to dealflow's at every call.

:class:`SqlEventStore` runs each statement through the backend's connection (any DB-API-like
object whose ``execute`` returns a cursor); a backend says how it reads and opens a transaction,
how its driver's errors read to a user (:meth:`~SqlEventStore._fail`), the SQL that differs
(:class:`Statements`) and its append, where the conflict detection lives.
"""

from __future__ import annotations

import hashlib
import threading
from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any, ClassVar, Protocol

from dealflow.adapters.rows import READ_COLUMNS, row_from, where
from dealflow.adapters.sql.event_rows import (
    EventRow,
    event_rows,
    events_from,
    feed_from,
    links_from,
    recorded_from,
)
from dealflow.domain.chain import ChainLink, RecordedEvent
from dealflow.domain.events import AnyEvent, StoredEvent
from dealflow.domain.listing import DealQuery, DealRow
from dealflow.domain.members import ROSTER, AnyRosterEvent
from dealflow.errors import ArtifactConflictError, StoreError


class Cursor(Protocol):
    """What the stores read from a statement's result."""

    def fetchone(self) -> Any: ...

    def fetchall(self) -> list[Any]: ...


class Connection(Protocol):
    """What the stores ask of a driver's connection (``sqlite3`` and ``psycopg`` both fit)."""

    def execute(self, sql: str, params: Any = ..., /) -> Cursor: ...


class Statements:
    """The SQL of the shared reads in one backend's placeholder (``mark``), with the two
    things a backend says itself: how it lists deal ids in the order they were opened
    (``deal_ids``, one parameter: the roster's id) and the column the read model is ordered
    by (``order``)."""

    def __init__(self, mark: str, *, deal_ids: str, order: str) -> None:
        def sql(text: str) -> str:
            return text.replace("?", mark)

        self.mark = mark
        self.deal_ids = deal_ids
        self.order = order
        self.load = sql(
            "SELECT data FROM events WHERE deal_id = ? AND version > ? ORDER BY version"
        )
        self.chain = sql(
            "SELECT version, type, previous_hash, hash FROM events WHERE deal_id = ? "
            "ORDER BY version"
        )
        self.recorded = sql(
            "SELECT version, type, data, previous_hash, hash FROM events WHERE deal_id = ? "
            "ORDER BY version"
        )
        self.feed = sql(
            "SELECT position, data FROM events WHERE position > ? ORDER BY position LIMIT ?"
        )
        self.keep_artifact = sql(
            "INSERT INTO artifacts (deal_id, name, sha256, data) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (deal_id, name) DO NOTHING"
        )
        self.artifact_hash = sql("SELECT sha256 FROM artifacts WHERE deal_id = ? AND name = ?")
        self.artifact = sql("SELECT data FROM artifacts WHERE deal_id = ? AND name = ?")
        self.artifacts = sql("SELECT name FROM artifacts WHERE deal_id = ? ORDER BY name")


class SqlEventStore(ABC):
    """An event store on an SQL database; a backend fills in the abstract parts."""

    #: The database login the store acts as, where the database knows one (PostgreSQL).
    login: str | None = None
    #: The backend's SQL for the shared reads.
    _sql: ClassVar[Statements]
    #: The base class of the driver's errors: any of them leaving a call is mapped by _fail.
    _errors: type[Exception]
    #: One statement or transaction at a time on the store's one connection.
    _lock: threading.Lock

    @abstractmethod
    def _reading(self) -> AbstractContextManager[Connection]:
        """The connection for one read, under the store's lock."""

    @abstractmethod
    def _transaction(self) -> AbstractContextManager[Connection]:
        """The connection in one transaction, under the store's lock: committed at the end
        of the block, rolled back if it raises."""

    @abstractmethod
    def _fail(self, exc: Exception) -> StoreError:
        """A driver error as a StoreError whose message says what to do."""

    @property
    @abstractmethod
    def _where(self) -> str:
        """Where the store is, for messages: ``in deals.db``, ``at host/database``."""

    @abstractmethod
    def _append(
        self, deal_id: str, expected_version: int, rows: list[EventRow], row: DealRow | None
    ) -> None:
        """Insert the event rows after ``expected_version`` and upsert the read-model row, in
        one transaction; ConcurrencyConflictError if another writer was first."""

    def append(
        self,
        deal_id: str,
        expected_version: int,
        events: Sequence[AnyEvent | AnyRosterEvent],
        row: DealRow | None = None,
    ) -> None:
        """Append all events and the deal's read-model row in one transaction, or nothing."""
        self._append(deal_id, expected_version, event_rows(events), row)

    def _all(self, sql: str, params: Sequence[Any]) -> list[Any]:
        """Every row one read statement returns; a driver error becomes a StoreError."""
        try:
            with self._reading() as db:
                return db.execute(sql, params).fetchall()
        except self._errors as exc:
            raise self._fail(exc) from exc

    def load(self, deal_id: str, after: int = 0) -> list[AnyEvent]:
        """The deal's events after a version, read and validated in one pass."""
        return events_from(self._all(self._sql.load, (deal_id, after)), deal_id, self._where)

    def chain(self, deal_id: str) -> tuple[ChainLink, ...]:
        """The deal's links in its hash chain as stored, in version order."""
        return links_from(self._all(self._sql.chain, (deal_id,)))

    def recorded_events(self, deal_id: str) -> tuple[RecordedEvent, ...]:
        """The deal's events exactly as stored, with their chain links, in version order."""
        return recorded_from(self._all(self._sql.recorded, (deal_id,)))

    def deal_ids(self) -> list[str]:
        """Deal ids in the order they were opened."""
        return [r[0] for r in self._all(self._sql.deal_ids, (ROSTER,))]

    def feed(self, after: int = 0, limit: int = 100) -> list[tuple[int, StoredEvent]]:
        """Events with a position above ``after``, in position order, at most ``limit``."""
        return feed_from(self._all(self._sql.feed, (after, limit)))

    def list_deals(self, query: DealQuery) -> list[DealRow]:
        """The read-model rows that answer the query, from the indexed ``deals`` table."""
        clause, params = where(query, self._sql.mark)
        sql = f"SELECT {', '.join(READ_COLUMNS)} FROM deals{clause} ORDER BY {self._sql.order}"
        if query.limit:
            sql += f" LIMIT {int(query.limit)}"
        return [row_from(values) for values in self._all(sql, params)]

    def put_artifact(self, deal_id: str, name: str, data: bytes) -> None:
        """Keep a file once; the same bytes again change nothing."""
        digest = hashlib.sha256(data).hexdigest()
        try:
            with self._transaction() as db:
                db.execute(self._sql.keep_artifact, (deal_id, name, digest, bytes(data)))
                kept = db.execute(self._sql.artifact_hash, (deal_id, name)).fetchone()
                if kept is not None and kept[0] != digest:
                    raise ArtifactConflictError(deal_id, name)
        except self._errors as exc:
            raise self._fail(exc) from exc

    def get_artifact(self, deal_id: str, name: str) -> bytes | None:
        """A kept file's bytes, or None."""
        found = self._all(self._sql.artifact, (deal_id, name))
        return bytes(found[0][0]) if found else None

    def artifacts(self, deal_id: str) -> list[str]:
        """The names of a deal's kept files, sorted."""
        return [r[0] for r in self._all(self._sql.artifacts, (deal_id,))]
