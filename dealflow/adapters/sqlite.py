"""The SQLite event store, the embedded default: one file, standard library ``sqlite3``.

The primary key ``(deal_id, version)`` is the concurrency control: the append runs in one
``BEGIN IMMEDIATE`` transaction that checks the deal's latest version and inserts, so of two
writers on the same version one commits and the other gets ConcurrencyConflictError. The file
runs in WAL mode with a busy timeout, so several CLI processes can share it, and with
``synchronous=FULL``, so a committed event survives a power cut. Each event row carries its
link in the deal's hash chain (``previous_hash``, ``hash``: :mod:`dealflow.domain.chain`),
computed in the append's transaction from the payload text it inserts and the deal's last
stored hash, which the version check reads anyway. sqlite3's exceptions become StoreError here,
with a message that says what to do.
"""

from __future__ import annotations

import hashlib
import sqlite3
import stat
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from pydantic import ValidationError

from dealflow.adapters.rows import COLUMNS, READ_COLUMNS, row_from, row_values, where
from dealflow.domain.chain import GENESIS, ChainLink, RecordedEvent, chain_of, link_hash
from dealflow.domain.events import AnyEvent, Event, StoredEvent, read_stored
from dealflow.domain.listing import DealQuery, DealRow, deal_row
from dealflow.domain.members import ROSTER, RosterEvent
from dealflow.domain.projection import replay
from dealflow.errors import (
    ArtifactConflictError,
    ConcurrencyConflictError,
    StoreError,
    StoreSchemaError,
)

SCHEMA_VERSION = 4

_BASE = """
CREATE TABLE IF NOT EXISTS meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    deal_id     TEXT    NOT NULL,
    version     INTEGER NOT NULL CHECK (version >= 1),
    type        TEXT    NOT NULL,
    occurred_at TEXT    NOT NULL,
    data        TEXT    NOT NULL,
    PRIMARY KEY (deal_id, version)
);
"""
#: Each step takes the schema from version N to N + 1, in one transaction with the version.
_MIGRATIONS = {
    2: """
CREATE TABLE deals (
    id             TEXT    PRIMARY KEY,
    title          TEXT    NOT NULL,
    stage          TEXT    NOT NULL,
    seller         TEXT    NOT NULL,
    buyer          TEXT    NOT NULL,
    buyer_search   TEXT    NOT NULL,
    buyer_tax      TEXT,
    buyer_name_key TEXT    NOT NULL,
    owner          TEXT    NOT NULL,
    owner_key      TEXT    NOT NULL,
    total_amount   TEXT    NOT NULL,
    total_value    REAL    NOT NULL,
    currency       TEXT    NOT NULL,
    turn           TEXT,
    expires_at     TEXT,
    opened_at      TEXT    NOT NULL,
    updated_at     TEXT    NOT NULL,
    signed_at      TEXT,
    version        INTEGER NOT NULL
);
CREATE INDEX deals_stage ON deals (stage, opened_at);
CREATE INDEX deals_buyer_tax ON deals (buyer_tax);
CREATE INDEX deals_buyer_name ON deals (buyer_name_key);
CREATE INDEX deals_owner ON deals (owner_key);
CREATE INDEX deals_value ON deals (total_value);
CREATE INDEX deals_expiry ON deals (expires_at) WHERE expires_at IS NOT NULL;
CREATE TABLE artifacts (
    deal_id    TEXT NOT NULL,
    name       TEXT NOT NULL,
    sha256     TEXT NOT NULL,
    data       BLOB NOT NULL,
    PRIMARY KEY (deal_id, name)
);
""",
    # The feed: a global, gap-free position for every event, in the order they were stored.
    3: """
ALTER TABLE events ADD COLUMN position INTEGER;
UPDATE events SET position = numbered.position
FROM (SELECT rowid AS r, row_number() OVER (ORDER BY rowid) AS position FROM events) AS numbered
WHERE events.rowid = numbered.r;
CREATE UNIQUE INDEX events_position ON events (position);
""",
    # The hash chain: columns added and the links of the events already stored computed by
    # :meth:`SQLiteEventStore._chain_rows` (SQLite has no SHA-256 of its own).
    4: "",
}
_INSERT_ROW = (
    f"INSERT INTO deals ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))}) "
    "ON CONFLICT (id) DO UPDATE SET "
    + ", ".join(f"{c} = excluded.{c}" for c in COLUMNS if c != "id")
)


def _explain(exc: sqlite3.Error, path: str) -> str:
    text = str(exc)
    if "readonly" in text:
        return f"the store {path} is read-only; check the file's permissions"
    if "not a database" in text or "malformed" in text:
        return (
            f"the store {path} is not a dealflow database or is damaged; restore it from a backup"
        )
    if "locked" in text or "busy" in text:
        return f"the store {path} is busy with another writer; try again"
    if "disk" in text and "full" in text:
        return f"the disk holding {path} is full; free some space and try again"
    if "unable to open" in text:
        return f"cannot open the store {path}; check that its folder exists and is writable"
    return f"the store {path} failed: {text}"


def _check_store_file(path: Path) -> None:
    """A store is a regular file, or none yet: SQLite writes into the path and beside it (its
    journal), so a device, a FIFO, a folder or a symbolic link (dangling or not) is refused
    before SQLite opens anything."""
    try:
        status = path.lstat()
    except FileNotFoundError:
        return
    except OSError as exc:
        raise StoreError(f"the store {path} cannot be read: {exc.strerror or exc}") from None
    if stat.S_ISLNK(status.st_mode):
        raise StoreError(
            f"the store {path} is a symbolic link; name the store's file itself (links are "
            "not written through)"
        )
    if not stat.S_ISREG(status.st_mode):
        kind = "a folder" if stat.S_ISDIR(status.st_mode) else "a device, a pipe or a socket"
        raise StoreError(f"the store {path} is {kind}, not a store file")


class SQLiteEventStore:
    """Events in one SQLite file (or ``:memory:``)."""

    #: An embedded store knows no login: whoever can write it can write anything.
    login: str | None = None

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            # A mistyped path must not become an empty store in a new folder tree.
            folder = Path(self.path).expanduser().parent
            if not folder.is_dir():
                raise StoreError(
                    f"the folder {folder} of the store {self.path} does not exist; "
                    "create it, or choose another --store path"
                )
            _check_store_file(Path(self.path).expanduser())
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(
                self.path, timeout=30.0, isolation_level=None, check_same_thread=False
            )
            self._db.execute("PRAGMA busy_timeout = 30000")
            self._db.execute("PRAGMA journal_mode = WAL")
            self._db.execute("PRAGMA synchronous = FULL")
            self._db.execute("PRAGMA foreign_keys = ON")
            self._migrate()
        except sqlite3.Error as exc:
            raise StoreError(_explain(exc, self.path)) from exc

    def _migrate(self) -> None:
        """Create the schema on first use, or bring an older one forward; refuse a newer one."""
        with self._transaction() as db:
            for statement in _BASE.split(";"):
                if statement.strip():
                    db.execute(statement)
            row = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            if row is None:
                current = 1
                db.execute("INSERT INTO meta (key, value) VALUES ('schema_version', '1')")
            elif not str(row[0]).isdigit():
                raise StoreSchemaError(
                    f"the store {self.path} has a damaged schema version ({row[0]!r}); "
                    "restore it from a backup"
                )
            else:
                current = int(row[0])
            if current > SCHEMA_VERSION:
                raise StoreSchemaError(
                    f"the store {self.path} was written by a newer dealflow (schema "
                    f"{current}, this one reads {SCHEMA_VERSION}); upgrade dealflow"
                )
            for version in range(current + 1, SCHEMA_VERSION + 1):
                # One statement at a time: executescript would commit the transaction.
                for statement in _MIGRATIONS[version].split(";"):
                    if statement.strip():
                        db.execute(statement)
                if version == 2:
                    self._backfill_rows(db)
                if version == 4:
                    self._chain_rows(db)
                db.execute(
                    "UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(version),)
                )

    def _backfill_rows(self, db: sqlite3.Connection) -> None:
        """Schema 2 adds the read model: fold every existing deal once to fill it."""
        ids = [
            r[0]
            for r in db.execute(
                "SELECT deal_id FROM events WHERE version = 1 AND deal_id <> ?", (ROSTER,)
            )
        ]
        for deal_id in ids:
            data = db.execute(
                "SELECT data FROM events WHERE deal_id = ? ORDER BY version", (deal_id,)
            ).fetchall()
            events = read_stored(r[0] for r in data)
            db.execute(_INSERT_ROW, row_values(deal_row(replay(events))))

    def _chain_rows(self, db: sqlite3.Connection) -> None:
        """Schema 4 adds the hash chain: each deal's events already stored are linked in
        version order, from the payload text as stored."""
        columns = {r[1] for r in db.execute("PRAGMA table_info(events)")}
        for column in ("previous_hash", "hash"):
            if column not in columns:  # a store taken back by hand may still have them
                db.execute(f"ALTER TABLE events ADD COLUMN {column} TEXT")
        links: list[tuple[str, str, str, int]] = []
        deal_id, previous = None, GENESIS
        for row_deal, version, kind, data in db.execute(
            "SELECT deal_id, version, type, data FROM events ORDER BY deal_id, version"
        ):
            if row_deal != deal_id:
                deal_id, previous = row_deal, GENESIS
            own = link_hash(previous, row_deal, version, kind, data)
            links.append((previous, own, row_deal, version))
            previous = own
        db.executemany(
            "UPDATE events SET previous_hash = ?, hash = ? WHERE deal_id = ? AND version = ?",
            links,
        )

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                # SQLite may have rolled back already (a full disk, an I/O error): then the
                # original error must surface, not "cannot rollback".
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise
            try:
                self._db.execute("COMMIT")
            except BaseException:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise

    def append(
        self,
        deal_id: str,
        expected_version: int,
        events: Sequence[Event | RosterEvent],
        row: DealRow | None = None,
    ) -> None:
        """Append all events and the deal's read-model row in one transaction, or nothing.

        Feed positions are taken under the write lock that ``BEGIN IMMEDIATE`` holds until the
        commit, so they are gap-free and readers see them in order; so is the deal's last hash,
        which the events' chain links start from.
        """
        rows = [
            (e.version, type(e).__name__, e.occurred_at.isoformat(), e.model_dump_json())
            for e in events
        ]
        try:
            with self._transaction() as db:
                found = db.execute(
                    "SELECT version, hash FROM events WHERE deal_id = ? "
                    "ORDER BY version DESC LIMIT 1",
                    (deal_id,),
                ).fetchone()
                current, previous = found if found is not None else (0, GENESIS)
                if current != expected_version:
                    raise ConcurrencyConflictError(deal_id, expected_version)
                (last,) = db.execute("SELECT coalesce(max(position), 0) FROM events").fetchone()
                linked = []
                for n, (version, kind, at, data) in enumerate(rows, start=1):
                    before = previous or ""  # a row written outside dealflow may have none
                    previous = link_hash(before, deal_id, version, kind, data)
                    linked.append((deal_id, version, kind, at, data, last + n, before, previous))
                db.executemany(
                    "INSERT INTO events (deal_id, version, type, occurred_at, data, position, "
                    "previous_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    linked,
                )
                if row is not None:
                    db.execute(_INSERT_ROW, row_values(row))
        except sqlite3.IntegrityError as exc:
            raise ConcurrencyConflictError(deal_id, expected_version) from exc
        except sqlite3.Error as exc:
            raise StoreError(_explain(exc, self.path)) from exc

    def load(self, deal_id: str, after: int = 0) -> list[AnyEvent]:
        """The deal's events after a version, read and validated in one pass."""
        try:
            with self._lock:
                rows = self._db.execute(
                    "SELECT data FROM events WHERE deal_id = ? AND version > ? ORDER BY version",
                    (deal_id, after),
                ).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(_explain(exc, self.path)) from exc
        if not rows:
            return []
        try:
            return read_stored(r[0] for r in rows)
        except ValidationError as exc:
            raise StoreError(
                f"the events of deal {deal_id} in {self.path} cannot be read: "
                f"{exc.error_count()} invalid fields; restore the store from a backup"
            ) from exc

    def chain(self, deal_id: str) -> tuple[ChainLink, ...]:
        """The deal's links in its hash chain as stored, in version order."""
        return chain_of(self.recorded_events(deal_id))

    def recorded_events(self, deal_id: str) -> tuple[RecordedEvent, ...]:
        """The deal's events exactly as stored, with their chain links, in version order."""
        try:
            with self._lock:
                found = self._db.execute(
                    "SELECT version, type, data, previous_hash, hash FROM events "
                    "WHERE deal_id = ? ORDER BY version",
                    (deal_id,),
                ).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(_explain(exc, self.path)) from exc
        return tuple(
            RecordedEvent(version=v, event=t, payload=d, previous=p, hash=h)
            for v, t, d, p, h in found
        )

    def deal_ids(self) -> list[str]:
        """Deal ids in the order they were opened."""
        try:
            with self._lock:
                rows = self._db.execute(
                    "SELECT deal_id FROM events WHERE version = 1 AND deal_id <> ? ORDER BY rowid",
                    (ROSTER,),
                ).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(_explain(exc, self.path)) from exc
        return [r[0] for r in rows]

    def feed(self, after: int = 0, limit: int = 100) -> list[tuple[int, StoredEvent]]:
        """Events with a position above ``after``, in position order, at most ``limit``."""
        try:
            with self._lock:
                found = self._db.execute(
                    "SELECT position, data FROM events WHERE position > ? "
                    "ORDER BY position LIMIT ?",
                    (after, limit),
                ).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(_explain(exc, self.path)) from exc
        if not found:
            return []
        events = read_stored(r[1] for r in found)
        return [(position, event) for (position, _), event in zip(found, events, strict=True)]

    def list_deals(self, query: DealQuery) -> list[DealRow]:
        """The read-model rows that answer the query, from the indexed ``deals`` table."""
        clause, params = where(query, "?")
        sql = f"SELECT {', '.join(READ_COLUMNS)} FROM deals{clause} ORDER BY rowid"
        if query.limit:
            sql += f" LIMIT {int(query.limit)}"
        try:
            with self._lock:
                found = self._db.execute(sql, params).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(_explain(exc, self.path)) from exc
        return [row_from(values) for values in found]

    def put_artifact(self, deal_id: str, name: str, data: bytes) -> None:
        """Keep a file once; the same bytes again change nothing."""
        digest = hashlib.sha256(data).hexdigest()
        try:
            with self._transaction() as db:
                kept = db.execute(
                    "SELECT sha256 FROM artifacts WHERE deal_id = ? AND name = ?", (deal_id, name)
                ).fetchone()
                if kept is None:
                    db.execute(
                        "INSERT INTO artifacts (deal_id, name, sha256, data) VALUES (?, ?, ?, ?)",
                        (deal_id, name, digest, bytes(data)),
                    )
                elif kept[0] != digest:
                    raise ArtifactConflictError(deal_id, name)
        except sqlite3.Error as exc:
            raise StoreError(_explain(exc, self.path)) from exc

    def get_artifact(self, deal_id: str, name: str) -> bytes | None:
        """A kept file's bytes, or None."""
        try:
            with self._lock:
                found = self._db.execute(
                    "SELECT data FROM artifacts WHERE deal_id = ? AND name = ?", (deal_id, name)
                ).fetchone()
        except sqlite3.Error as exc:
            raise StoreError(_explain(exc, self.path)) from exc
        return None if found is None else bytes(found[0])

    def artifacts(self, deal_id: str) -> list[str]:
        """The names of a deal's kept files, sorted."""
        try:
            with self._lock:
                found = self._db.execute(
                    "SELECT name FROM artifacts WHERE deal_id = ? ORDER BY name", (deal_id,)
                ).fetchall()
        except sqlite3.Error as exc:
            raise StoreError(_explain(exc, self.path)) from exc
        return [r[0] for r in found]

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()
