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

The reads, the artifacts, the schema version runner and the read model's tables are shared
with the PostgreSQL store (:mod:`dealflow.adapters.sql`); this module holds SQLite's own: the
file checks and connection settings, the later schema steps, the messages and the append.
"""

from __future__ import annotations

import sqlite3
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from dealflow.adapters.rows import row_values, upsert_statement
from dealflow.adapters.sql.base import SqlEventStore, Statements
from dealflow.adapters.sql.event_rows import EventRow
from dealflow.adapters.sql.migrations import Schema, Step, fill_read_model, migrate
from dealflow.adapters.sql.schema import event_tables, read_model_tables
from dealflow.domain.chain import GENESIS, link_hash
from dealflow.domain.listing import DealRow
from dealflow.errors import ConcurrencyConflictError, StoreError


def _link_stored(db: sqlite3.Connection) -> None:
    """Schema 4 adds the hash chain: each deal's events already stored are linked in version
    order, from the payload text as stored (SQLite has no SHA-256 of its own)."""
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


_SCHEMA: Schema[sqlite3.Connection] = Schema(
    meta="meta",
    mark="?",
    first=event_tables(meta="meta", time="TEXT"),
    steps={
        2: Step(read_model_tables(number="REAL", blob="BLOB"), fill_read_model("?")),
        # The feed: a global, gap-free position for every event, in the order they were stored.
        3: Step("""
ALTER TABLE events ADD COLUMN position INTEGER;
UPDATE events SET position = numbered.position
FROM (SELECT rowid AS r, row_number() OVER (ORDER BY rowid) AS position FROM events) AS numbered
WHERE events.rowid = numbered.r;
CREATE UNIQUE INDEX events_position ON events (position);
"""),
        # The hash chain: columns added and the links of the events already stored computed.
        4: Step("", _link_stored),
    },
)
SCHEMA_VERSION = _SCHEMA.version
_INSERT_ROW = upsert_statement("?")


def _explain(exc: Exception, path: str) -> str:
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


class SQLiteEventStore(SqlEventStore):
    """Events in one SQLite file (or ``:memory:``)."""

    #: An embedded store knows no login: whoever can write it can write anything.
    login: str | None = None
    _sql = Statements(
        "?",
        deal_ids="SELECT deal_id FROM events WHERE version = 1 AND deal_id <> ? ORDER BY rowid",
        order="rowid",
    )
    _errors = sqlite3.Error

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
            with self._transaction() as db:
                migrate(db, _SCHEMA, f"the store {self.path}")
        except sqlite3.Error as exc:
            raise StoreError(_explain(exc, self.path)) from exc

    @property
    def _where(self) -> str:
        return f"in {self.path}"

    def _fail(self, exc: Exception) -> StoreError:
        return StoreError(_explain(exc, self.path))

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            yield self._db

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

    def _append(
        self, deal_id: str, expected_version: int, rows: list[EventRow], row: DealRow | None
    ) -> None:
        """Feed positions are taken under the write lock that ``BEGIN IMMEDIATE`` holds until
        the commit, so they are gap-free and readers see them in order; so is the deal's last
        hash, which the events' chain links start from."""
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
                for n, (_, version, kind, at, data) in enumerate(rows, start=1):
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

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()
