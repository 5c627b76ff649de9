"""The schema version runner the SQL stores share: steps run once each, in order, each
recording its version; a step that fails leaves the store at the version it had, since the
whole run is one transaction; a version it cannot read or a newer one is refused."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from dealflow.adapters.sql.migrations import Schema, Step, migrate, recorded_version
from dealflow.errors import StoreSchemaError

FIRST = "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"


def schema(
    backfill: Callable[[sqlite3.Connection], None] | None = None,
) -> Schema[sqlite3.Connection]:
    return Schema(
        meta="meta",
        mark="?",
        first=FIRST,
        steps={
            2: Step("CREATE TABLE two (x INTEGER); INSERT INTO two VALUES (2)"),
            3: Step("CREATE TABLE three (x INTEGER)", backfill),
        },
    )


def run(path: Path, target: Schema[sqlite3.Connection]) -> None:
    db = sqlite3.connect(path, isolation_level=None)
    try:
        db.execute("BEGIN IMMEDIATE")
        try:
            migrate(db, target, f"the store {path.name}")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
    finally:
        db.close()


def tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def test_each_step_runs_once_in_order_and_records_its_version(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    seen: list[int] = []

    def backfill(db: sqlite3.Connection) -> None:
        seen.append(db.execute("SELECT x FROM two").fetchone()[0])  # step 2 ran before

    run(path, schema(backfill))
    run(path, schema(backfill))  # already at 3: nothing runs again
    assert seen == [2]
    assert {"two", "three"} <= tables(path)
    with sqlite3.connect(path) as db:
        assert recorded_version(db, schema()) == "3"
        assert db.execute("SELECT count(*) FROM two").fetchone() == (1,)


def test_a_failing_step_leaves_the_store_at_its_version(tmp_path: Path) -> None:
    path = tmp_path / "s.db"

    def broken(db: sqlite3.Connection) -> None:
        raise sqlite3.OperationalError("disk I/O error")

    with pytest.raises(sqlite3.OperationalError):
        run(path, schema(broken))
    assert tables(path) == set()  # not even the meta table: the run was one transaction
    run(path, schema())
    assert {"meta", "two", "three"} <= tables(path)


@pytest.mark.parametrize(
    ("recorded", "says"), [("9", "written by a newer dealflow"), ("two", "damaged schema")]
)
def test_a_newer_or_damaged_version_is_refused_and_named(
    tmp_path: Path, recorded: str, says: str
) -> None:
    path = tmp_path / "s.db"
    run(path, schema())
    with sqlite3.connect(path) as db:
        db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (recorded,))
    with pytest.raises(StoreSchemaError, match=f"the store s.db .*{says}"):
        run(path, schema())
