"""A store whose log of a deal is not a valid history (damaged, or written by something other
than dealflow): a command that folds the deal says so in one line and exits 1, without a
traceback, like any other dealflow error."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path

import pytest

from tests.conftest import SAMPLE_FILE


def run(store: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEALFLOW_")}
    env.update(DEALFLOW_STORE=str(store), DEALFLOW_NOW="2026-11-02T09:00Z")
    return subprocess.run(
        [sys.executable, "-m", "dealflow", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("removed", "said"),
    [
        (1, "the log of deal {deal} does not start with DealOpened"),
        (2, "event v3 of deal {deal} does not follow v1 of deal {deal}"),
    ],
    ids=["no-opening", "gap"],
)
def test_a_log_that_cannot_be_replayed_is_one_line_and_exit_1(
    tmp_path: Path, removed: int, said: str
) -> None:
    store = tmp_path / "deals.db"
    deal = run(store, "new", str(SAMPLE_FILE)).stdout.strip()
    assert run(store, "present", deal, "--as", "seller").returncode == 0
    assert run(store, "offer", deal, "--as", "seller").returncode == 0
    with closing(sqlite3.connect(store)) as db, db:
        db.execute("DELETE FROM events WHERE deal_id = ? AND version = ?", (deal, removed))

    shown = run(store, "show", deal)

    assert shown.returncode == 1
    assert shown.stdout == ""
    assert "Traceback" not in shown.stderr
    assert shown.stderr.splitlines() == [
        f"error: {said.format(deal=deal)}; the store is damaged or was not written by dealflow"
    ]
