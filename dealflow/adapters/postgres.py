"""The PostgreSQL event store, for teams that share deals across machines (psycopg 3).

The schema is created on first use under an advisory lock (several processes may start at
once) and records its version; a newer library migrates it forward, an older one refuses it.
An append runs in one transaction: it checks the deal's latest version, inserts the events
(the primary key ``(deal_id, version)`` refuses a second writer on the same version) and
upserts the deal's read-model row. psycopg's exceptions become dealflow errors here, each
saying what to do; psycopg itself is imported only when a PostgreSQL store is opened.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from pydantic import ValidationError

from dealflow.adapters.rows import COLUMNS, READ_COLUMNS, row_from, row_values, where
from dealflow.domain.events import AnyEvent, Event, read_stored
from dealflow.domain.listing import DealQuery, DealRow, deal_row
from dealflow.domain.projection import replay
from dealflow.errors import (
    ArtifactConflictError,
    ConcurrencyConflictError,
    StoreError,
    StoreSchemaError,
)

if TYPE_CHECKING:
    import psycopg

SCHEMA_VERSION = 3
#: Any fixed number: the advisory lock that serialises schema creation and migration.
_SCHEMA_LOCK = 0x6465616C
_BASE = """
CREATE TABLE IF NOT EXISTS dealflow_meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    deal_id     TEXT        NOT NULL,
    version     INTEGER     NOT NULL CHECK (version >= 1),
    type        TEXT        NOT NULL,
    occurred_at TIMESTAMPTZ NOT NULL,
    data        TEXT        NOT NULL,
    PRIMARY KEY (deal_id, version)
);
"""
_MIGRATIONS = {
    2: """
CREATE TABLE deals (
    seq            BIGINT           GENERATED ALWAYS AS IDENTITY,
    id             TEXT             PRIMARY KEY,
    title          TEXT             NOT NULL,
    stage          TEXT             NOT NULL,
    seller         TEXT             NOT NULL,
    buyer          TEXT             NOT NULL,
    buyer_search   TEXT             NOT NULL,
    buyer_tax      TEXT,
    buyer_name_key TEXT             NOT NULL,
    owner          TEXT             NOT NULL,
    owner_key      TEXT             NOT NULL,
    total_amount   TEXT             NOT NULL,
    total_value    DOUBLE PRECISION NOT NULL,
    currency       TEXT             NOT NULL,
    turn           TEXT,
    expires_at     TEXT,
    opened_at      TEXT             NOT NULL,
    updated_at     TEXT             NOT NULL,
    signed_at      TEXT,
    version        INTEGER          NOT NULL
);
CREATE INDEX deals_stage ON deals (stage, opened_at);
CREATE INDEX deals_buyer_tax ON deals (buyer_tax);
CREATE INDEX deals_buyer_name ON deals (buyer_name_key);
CREATE INDEX deals_owner ON deals (owner_key);
CREATE INDEX deals_value ON deals (total_value);
CREATE INDEX deals_expiry ON deals (expires_at) WHERE expires_at IS NOT NULL;
CREATE UNIQUE INDEX deals_order ON deals (seq);
CREATE TABLE artifacts (
    deal_id TEXT  NOT NULL,
    name    TEXT  NOT NULL,
    sha256  TEXT  NOT NULL,
    data    BYTEA NOT NULL,
    PRIMARY KEY (deal_id, name)
);
""",
    # The feed: a global, gap-free position for every event. Positions come from one counter
    # row, locked by each append until it commits, so no reader ever sees a gap.
    3: """
ALTER TABLE events ADD COLUMN position BIGINT;
UPDATE events SET position = numbered.position
FROM (
    SELECT deal_id, version,
           row_number() OVER (ORDER BY occurred_at, deal_id, version) AS position
    FROM events
) AS numbered
WHERE events.deal_id = numbered.deal_id AND events.version = numbered.version;
CREATE UNIQUE INDEX events_position ON events (position);
CREATE TABLE dealflow_feed (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    last BIGINT  NOT NULL
);
INSERT INTO dealflow_feed (id, last) SELECT 1, coalesce(max(position), 0) FROM events;
""",
}
_INSERT_ROW = (
    f"INSERT INTO deals ({', '.join(COLUMNS)}) VALUES ({', '.join(['%s'] * len(COLUMNS))}) "
    "ON CONFLICT (id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in COLUMNS if c != "id")
)


def _where_to(url: str) -> str:
    """The server and database a URL names, without its password, for messages."""
    parts = urlsplit(url)
    host = parts.hostname or "localhost"
    port = f":{parts.port}" if parts.port else ""
    return f"{host}{port}{parts.path or '/'}"


def _explain(exc: Exception, url: str) -> str:
    """What went wrong, in words that say what to do."""
    text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
    where_to = _where_to(url)
    user = urlsplit(url).username or "the current user"
    lowered = text.casefold()
    if "password authentication failed" in lowered or "no password supplied" in lowered:
        return (
            f"PostgreSQL at {where_to} refused the login of {user}; check the user and the "
            "password in the store URL (or PGPASSWORD)"
        )
    if "role" in lowered and "does not exist" in lowered:
        return f"PostgreSQL at {where_to} has no user {user}; create it or fix the store URL"
    if "database" in lowered and "does not exist" in lowered:
        return f"PostgreSQL at {where_to}: the database does not exist; create it first"
    if any(
        sign in lowered
        for sign in ("connection refused", "could not connect", "timeout", "resolve host")
    ):
        return (
            f"cannot reach PostgreSQL at {where_to}; is the server running and the host and "
            "port in the store URL right?"
        )
    if "read-only" in lowered or "read only" in lowered:
        return f"PostgreSQL at {where_to} is read-only; use a writable primary server"
    if "no space" in lowered or "disk full" in lowered:
        return f"PostgreSQL at {where_to} has no disk space left; nothing was written"
    return f"PostgreSQL at {where_to} failed: {text}"


class PostgresEventStore:
    """Events in a PostgreSQL database, shared by every process that connects to it."""

    def __init__(self, url: str) -> None:
        try:
            import psycopg
        except ImportError as exc:
            raise StoreError(
                'PostgreSQL stores need psycopg: pip install "dealflow[postgres]"'
            ) from exc
        self.url = url
        self._psycopg = psycopg
        self._lock = threading.Lock()
        try:
            self._db: psycopg.Connection[Any] = psycopg.connect(
                url, connect_timeout=10, autocommit=True
            )
        except psycopg.Error as exc:
            raise StoreError(_explain(exc, url)) from exc
        except ValueError as exc:  # a malformed URL (bad port...) is refused by libpq's parser
            raise StoreError(f"{_where_to(url)}: {exc}; check the store URL") from exc
        try:
            self._migrate()
        except psycopg.Error as exc:
            self._db.close()
            raise StoreError(_explain(exc, url)) from exc
        except BaseException:
            self._db.close()
            raise

    @contextmanager
    def _transaction(self) -> Iterator[psycopg.Connection[Any]]:
        """One transaction on the connection; a lost connection is reopened for the next."""
        with self._lock:
            if self._db.closed or self._db.broken:
                self._reconnect()
            with self._db.transaction():
                yield self._db

    @contextmanager
    def _reading(self) -> Iterator[psycopg.Connection[Any]]:
        """The connection for one read: a single statement needs no transaction around it
        (the connection is in autocommit mode), so a read is one round trip to the server."""
        with self._lock:
            if self._db.closed or self._db.broken:
                self._reconnect()
            yield self._db

    def _reconnect(self) -> None:
        try:
            self._db = self._psycopg.connect(self.url, connect_timeout=10, autocommit=True)
        except self._psycopg.Error as exc:
            raise StoreError(_explain(exc, self.url)) from exc

    def _migrate(self) -> None:
        with self._transaction() as db:
            db.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
            for statement in _BASE.split(";"):
                if statement.strip():
                    db.execute(statement)
            found = db.execute(
                "SELECT value FROM dealflow_meta WHERE key = 'schema_version'"
            ).fetchone()
            if found is None:
                current = 1
                db.execute("INSERT INTO dealflow_meta (key, value) VALUES ('schema_version', '1')")
            elif not str(found[0]).isdigit():
                raise StoreSchemaError(
                    f"the store at {_where_to(self.url)} has a damaged schema version "
                    f"({found[0]!r}); restore it from a backup"
                )
            else:
                current = int(found[0])
            if current > SCHEMA_VERSION:
                raise StoreSchemaError(
                    f"the store at {_where_to(self.url)} was written by a newer dealflow "
                    f"(schema {current}, this one reads {SCHEMA_VERSION}); upgrade dealflow"
                )
            for version in range(current + 1, SCHEMA_VERSION + 1):
                db.execute(_MIGRATIONS[version])
                if version == 2:
                    self._backfill_rows(db)
                db.execute(
                    "UPDATE dealflow_meta SET value = %s WHERE key = 'schema_version'",
                    (str(version),),
                )

    def _backfill_rows(self, db: psycopg.Connection[Any]) -> None:
        ids = [r[0] for r in db.execute("SELECT deal_id FROM events WHERE version = 1")]
        for deal_id in ids:
            data = db.execute(
                "SELECT data FROM events WHERE deal_id = %s ORDER BY version", (deal_id,)
            ).fetchall()
            events = read_stored(r[0] for r in data)
            db.execute(_INSERT_ROW, row_values(deal_row(replay(events))))

    def _fail(self, exc: Exception) -> StoreError:
        """A driver error as a StoreError; a lost connection says the action was not saved."""
        if isinstance(exc, self._psycopg.OperationalError) and self._db.broken:
            return StoreError(
                f"the connection to PostgreSQL at {_where_to(self.url)} was lost; the action "
                "was not saved (check `dealflow history` if the server was mid-commit) and "
                "can be tried again"
            )
        return StoreError(_explain(exc, self.url))

    def append(
        self,
        deal_id: str,
        expected_version: int,
        events: Sequence[Event],
        row: DealRow | None = None,
    ) -> None:
        """Append all events and the deal's read-model row in one transaction, or nothing."""
        rows = [
            (e.deal_id, e.version, type(e).__name__, e.occurred_at, e.model_dump_json())
            for e in events
        ]
        psycopg = self._psycopg
        values = ", ".join(["(%s, %s, %s, %s::timestamptz, %s, %s)"] * len(rows))
        # One statement takes the feed positions from the counter row (locked until commit:
        # positions are gap-free) and inserts the events, only if the deal is still at the
        # expected version (of two writers that both saw it, the primary key refuses the
        # second). The statements are pipelined: an append costs about one round trip.
        insert = (
            "WITH counter AS ("
            " UPDATE dealflow_feed SET last = last + %s WHERE id = 1"
            " AND (SELECT coalesce(max(version), 0) FROM events WHERE deal_id = %s) = %s"
            " RETURNING last) "
            "INSERT INTO events (deal_id, version, type, occurred_at, data, position) "
            "SELECT v.deal_id, v.version, v.type, v.occurred_at, v.data, counter.last - %s + v.n "
            f"FROM (VALUES {values}) AS v (deal_id, version, type, occurred_at, data, n), counter "
            "RETURNING version"
        )
        params = [value for n, event_row in enumerate(rows, start=1) for value in (*event_row, n)]
        try:
            with self._lock:
                if self._db.closed or self._db.broken:
                    self._reconnect()
                db = self._db
                with db.pipeline(), db.transaction():
                    head = [len(rows), deal_id, expected_version, len(rows)]
                    inserted = db.execute(insert, [*head, *params])
                    if row is not None:
                        db.execute(_INSERT_ROW, row_values(row))
                    if len(inserted.fetchall()) != len(rows):
                        raise ConcurrencyConflictError(deal_id, expected_version)
        except psycopg.errors.UniqueViolation as exc:
            raise ConcurrencyConflictError(deal_id, expected_version) from exc
        except psycopg.Error as exc:
            raise self._fail(exc) from exc

    def load(self, deal_id: str, after: int = 0) -> list[AnyEvent]:
        """The deal's events after a version, read and validated in one pass."""
        try:
            with self._reading() as db:
                found = db.execute(
                    "SELECT data FROM events WHERE deal_id = %s AND version > %s ORDER BY version",
                    (deal_id, after),
                ).fetchall()
        except self._psycopg.Error as exc:
            raise self._fail(exc) from exc
        if not found:
            return []
        try:
            return read_stored(r[0] for r in found)
        except ValidationError as exc:
            raise StoreError(
                f"the events of deal {deal_id} at {_where_to(self.url)} cannot be read: "
                f"{exc.error_count()} invalid fields; restore the store from a backup"
            ) from exc

    def deal_ids(self) -> list[str]:
        """Deal ids in the order they were opened."""
        try:
            with self._reading() as db:
                found = db.execute(
                    "SELECT e.deal_id FROM events e LEFT JOIN deals d ON d.id = e.deal_id "
                    "WHERE e.version = 1 ORDER BY d.seq NULLS LAST, e.occurred_at, e.deal_id"
                ).fetchall()
        except self._psycopg.Error as exc:
            raise self._fail(exc) from exc
        return [r[0] for r in found]

    def feed(self, after: int = 0, limit: int = 100) -> list[tuple[int, AnyEvent]]:
        """Events with a position above ``after``, in position order, at most ``limit``."""
        try:
            with self._reading() as db:
                found = db.execute(
                    "SELECT position, data FROM events WHERE position > %s "
                    "ORDER BY position LIMIT %s",
                    (after, limit),
                ).fetchall()
        except self._psycopg.Error as exc:
            raise self._fail(exc) from exc
        if not found:
            return []
        events = read_stored(r[1] for r in found)
        return [(position, event) for (position, _), event in zip(found, events, strict=True)]

    def list_deals(self, query: DealQuery) -> list[DealRow]:
        """The read-model rows that answer the query, from the indexed ``deals`` table."""
        clause, params = where(query, "%s")
        sql = f"SELECT {', '.join(READ_COLUMNS)} FROM deals{clause} ORDER BY seq"
        if query.limit:
            sql += f" LIMIT {int(query.limit)}"
        try:
            with self._reading() as db:
                found = db.execute(sql, params).fetchall()
        except self._psycopg.Error as exc:
            raise self._fail(exc) from exc
        return [row_from(tuple(values)) for values in found]

    def put_artifact(self, deal_id: str, name: str, data: bytes) -> None:
        """Keep a file once; the same bytes again change nothing."""
        digest = hashlib.sha256(data).hexdigest()
        try:
            with self._transaction() as db:
                db.execute(
                    "INSERT INTO artifacts (deal_id, name, sha256, data) VALUES (%s, %s, %s, %s) "
                    "ON CONFLICT (deal_id, name) DO NOTHING",
                    (deal_id, name, digest, bytes(data)),
                )
                kept = db.execute(
                    "SELECT sha256 FROM artifacts WHERE deal_id = %s AND name = %s",
                    (deal_id, name),
                ).fetchone()
                if kept is not None and kept[0] != digest:
                    raise ArtifactConflictError(deal_id, name)
        except self._psycopg.Error as exc:
            raise self._fail(exc) from exc

    def get_artifact(self, deal_id: str, name: str) -> bytes | None:
        """A kept file's bytes, or None."""
        try:
            with self._reading() as db:
                found = db.execute(
                    "SELECT data FROM artifacts WHERE deal_id = %s AND name = %s", (deal_id, name)
                ).fetchone()
        except self._psycopg.Error as exc:
            raise self._fail(exc) from exc
        return None if found is None else bytes(found[0])

    def artifacts(self, deal_id: str) -> list[str]:
        """The names of a deal's kept files, sorted."""
        try:
            with self._reading() as db:
                found = db.execute(
                    "SELECT name FROM artifacts WHERE deal_id = %s ORDER BY name", (deal_id,)
                ).fetchall()
        except self._psycopg.Error as exc:
            raise self._fail(exc) from exc
        return [r[0] for r in found]

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()
