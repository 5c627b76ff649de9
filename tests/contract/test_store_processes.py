"""Several processes on one store, and writers killed mid-action, on SQLite and PostgreSQL.

Eight processes each act 100 times on one shared deal and 100 times on a deal of their own:
afterwards every log has contiguous versions, nothing is lost or duplicated, each action either
landed or was refused with ConcurrencyConflictError, and the landed actions are exactly the
events stored. Eight processes logging calls on one deal at once all land: that action retries
on a conflict. Then a writer is killed with SIGKILL at random moments, 30 times: the store
opens cleanly each time, every deal replays, and the read model matches every deal.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import dealflow
from dealflow.application.demo import sample_deal_spec
from dealflow.domain.listing import DealQuery, deal_row
from dealflow.domain.projection import replay
from tests.conftest import staffed

ROOT = Path(__file__).parents[2]
PROCESSES = 8
ATTEMPTS = 100


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'deals.db'}"
    url: str = request.getfixturevalue("postgres_url")
    return url


def worker(url: str, shared: str, attempts: int, *mode: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.contract.store_worker", url, shared, str(attempts), *mode],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def check_store(url: str) -> dict[str, int]:
    """Every deal replays from contiguous versions and its read-model row matches it."""
    service = staffed(dealflow.connect(url))
    try:
        versions = {}
        rows = {row.id: row for row in service.list_deals(DealQuery())}
        for deal_id in service.store.deal_ids():
            events = service.store.load(deal_id)
            assert [e.version for e in events] == list(range(1, len(events) + 1))
            deal = replay(events)
            assert rows[deal_id] == deal_row(deal)
            versions[deal_id] = deal.version
        assert set(rows) == set(versions)
        return versions
    finally:
        service.close()


def test_eight_processes_lose_nothing_and_duplicate_nothing(store_url: str) -> None:
    service = staffed(dealflow.connect(store_url))
    shared = service.open_deal(sample_deal_spec()).id
    service.close()
    processes = [worker(store_url, shared, ATTEMPTS) for _ in range(PROCESSES)]
    reports = []
    for process in processes:
        out, err = process.communicate(timeout=600)
        assert process.returncode == 0, err
        reports.append(json.loads(out.strip().splitlines()[-1]))
    versions = check_store(store_url)
    landed_shared = sum(r["landed"]["shared"] for r in reports)
    for report in reports:
        # Each action landed or was refused as a conflict; nobody else writes a process's own deal.
        assert report["landed"]["shared"] + report["conflicts"] == ATTEMPTS
        assert report["landed"]["own"] == ATTEMPTS
        assert versions[report["own"]] == 1 + ATTEMPTS
    assert versions[shared] == 1 + landed_shared
    assert landed_shared >= ATTEMPTS  # the shared deal did move, under contention
    assert len(versions) == 1 + PROCESSES


def test_eight_people_logging_calls_on_one_deal_at_once_all_land(store_url: str) -> None:
    """Logging a call does not depend on what another writer changed: a conflict is retried
    on the fresh deal instead of being handed to the person."""
    service = staffed(dealflow.connect(store_url))
    shared = service.open_deal(sample_deal_spec()).id
    service.close()
    calls = 25
    processes = [worker(store_url, shared, calls, "log") for _ in range(PROCESSES)]
    reports = []
    for process in processes:
        out, err = process.communicate(timeout=600)
        assert process.returncode == 0, err
        reports.append(json.loads(out.strip().splitlines()[-1]))
    assert [r["failed"] for r in reports] == [0] * PROCESSES
    assert sum(r["landed"] for r in reports) == PROCESSES * calls
    versions = check_store(store_url)
    assert versions[shared] == 1 + PROCESSES * calls


def test_a_writer_killed_at_random_leaves_a_store_that_opens_and_replays(store_url: str) -> None:
    service = staffed(dealflow.connect(store_url))
    shared = service.open_deal(sample_deal_spec()).id
    service.close()
    chance = random.Random(20261125)
    total = {}
    for _ in range(30):
        process = worker(store_url, shared, 0)
        assert process.stdout is not None
        process.stdout.readline()  # it has connected and opened its own deal
        time.sleep(chance.uniform(0.0, 0.25))
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=60)
        process.stdout.close()
        assert process.stderr is not None
        process.stderr.close()
        assert process.returncode == -signal.SIGKILL
        total = check_store(store_url)
    assert len(total) == 31
    assert total[shared] > 1


def test_a_feed_reader_sees_every_event_once_in_order_while_eight_processes_write(
    store_url: str,
) -> None:
    service = staffed(dealflow.connect(store_url))
    shared = service.open_deal(sample_deal_spec()).id
    processes = [worker(store_url, shared, 40) for _ in range(PROCESSES)]
    seen: list[tuple[int, str, int]] = []
    position = 0

    def read() -> int:
        nonlocal position
        batch = service.feed(after=position, limit=25)  # small batches: many resumptions
        for entry in batch:
            seen.append((entry.position, entry.event.deal_id, entry.event.version))
            position = entry.position
        return len(batch)

    while any(p.poll() is None for p in processes):
        read()
    for process in processes:
        _, err = process.communicate(timeout=600)
        assert process.returncode == 0, err
    while read():
        pass
    service.close()
    positions = [p for p, _, _ in seen]
    assert positions == list(range(1, len(seen) + 1))  # in order, no gaps, none twice
    stored = check_store(store_url)
    roster = [(d, v) for _, d, v in seen if d == "@roster"]  # the roster's changes, in the feed
    assert roster == [("@roster", v) for v in range(1, len(roster) + 1)]
    assert len(seen) == sum(stored.values()) + len(roster)
    assert {(d, v) for _, d, v in seen if d != "@roster"} == {
        (deal_id, v) for deal_id, top in stored.items() for v in range(1, top + 1)
    }
