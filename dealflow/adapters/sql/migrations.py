"""The schema version runner of the SQL stores, and the backfill of the read model.

A store records its schema version in its meta table. On opening, :func:`migrate` creates the
first tables if they are missing, reads the version (a store that has none is at 1), refuses a
damaged version or one newer than this library reads, and runs each later step in turn, each
step's DDL then its backfill, recording each version as it goes: all in the caller's
transaction, so a failed step leaves the store as it was. What a step holds is the backend's
own (:class:`Schema`); PostgreSQL takes its advisory lock around the runner.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from dealflow.adapters.rows import row_values, upsert_statement
from dealflow.adapters.sql.base import Connection
from dealflow.domain.events import read_stored
from dealflow.domain.listing import deal_row
from dealflow.domain.members import ROSTER
from dealflow.domain.projection import replay
from dealflow.errors import StoreSchemaError

C = TypeVar("C", bound=Connection)


@dataclass(frozen=True)
class Step(Generic[C]):
    """What takes a schema from version N - 1 to N."""

    #: The DDL (and any data change SQL can make by itself).
    ddl: str
    #: What SQL cannot do alone, run after the DDL in the same transaction.
    backfill: Callable[[C], None] | None = None


@dataclass(frozen=True)
class Schema(Generic[C]):
    """A backend's schema: where it keeps its version, how it runs DDL, its steps."""

    #: The name of the key-value table that holds ``schema_version``.
    meta: str
    #: The parameter placeholder of the driver: ``?`` or ``%s``.
    mark: str
    #: The first tables, created if missing on every opening (one statement at a time).
    first: str
    #: Version N's step, for N from 2 up; the highest N is the library's version.
    steps: Mapping[int, Step[C]] = field(default_factory=dict)
    #: True when a step's DDL must run one statement at a time (SQLite's ``execute`` runs
    #: one, and its ``executescript`` would commit the transaction); False where the DDL holds
    #: function bodies with semicolons of their own and the driver runs a whole script.
    one_at_a_time: bool = True

    @property
    def version(self) -> int:
        """The schema version this library writes and reads."""
        return max(self.steps, default=1)


def recorded_version(db: Connection, schema: Schema[C]) -> str | None:
    """The schema version as the store records it (text, as stored), or None if none."""
    found = db.execute(f"SELECT value FROM {schema.meta} WHERE key = 'schema_version'").fetchone()
    return None if found is None else str(found[0])


def migrate(db: C, schema: Schema[C], store: str) -> None:
    """Create the schema on first use, or bring an older one forward; refuse a damaged or a
    newer one (``store`` names the store in those messages, e.g. ``the store deals.db``)."""
    _run(db, schema.first, one_at_a_time=True)
    recorded = recorded_version(db, schema)
    if recorded is None:
        current = 1
        db.execute(f"INSERT INTO {schema.meta} (key, value) VALUES ('schema_version', '1')")
    elif not recorded.isdigit():
        raise StoreSchemaError(
            f"{store} has a damaged schema version ({recorded!r}); restore it from a backup"
        )
    else:
        current = int(recorded)
    if current > schema.version:
        raise StoreSchemaError(
            f"{store} was written by a newer dealflow (schema {current}, this one reads "
            f"{schema.version}); upgrade dealflow"
        )
    record = f"UPDATE {schema.meta} SET value = {schema.mark} WHERE key = 'schema_version'"
    for version in range(current + 1, schema.version + 1):
        step = schema.steps[version]
        _run(db, step.ddl, one_at_a_time=schema.one_at_a_time)
        if step.backfill is not None:
            step.backfill(db)
        db.execute(record, (str(version),))


def _run(db: Connection, script: str, *, one_at_a_time: bool) -> None:
    if not one_at_a_time:
        db.execute(script)
        return
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


def fill_read_model(mark: str) -> Callable[[Connection], None]:
    """Schema 2's backfill: the read model added, every deal already stored is folded once to
    write its row (``mark``: the driver's placeholder)."""
    upsert = upsert_statement(mark)

    def fill(db: Connection) -> None:
        ids = [
            r[0]
            for r in db.execute(
                f"SELECT deal_id FROM events WHERE version = 1 AND deal_id <> {mark}", (ROSTER,)
            ).fetchall()
        ]
        for deal_id in ids:
            data = db.execute(
                f"SELECT data FROM events WHERE deal_id = {mark} ORDER BY version", (deal_id,)
            ).fetchall()
            events = read_stored(r[0] for r in data)
            db.execute(upsert, row_values(deal_row(replay(events))))

    return fill
