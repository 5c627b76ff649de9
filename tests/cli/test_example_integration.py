"""The example integration in ``examples/`` runs as a user would run it, resumes from its
saved position, and writes one CSV row per deal that reached ``signed``; ``dealflow feed``
prints the same feed as JSON lines."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import dealflow
from dealflow import Stage
from dealflow.domain.feed import FeedEntry
from tests.conftest import START, staffed
from tests.paths import drive_to

ROOT = Path(__file__).parents[2]


def run_example(store: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            str(ROOT / "examples" / "signed_deals_csv.py"),
            *("--store", str(store), "--csv", str(tmp_path / "signed.csv")),
            *("--state", str(tmp_path / "feed.pos")),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_example_writes_each_signed_deal_once_across_runs(tmp_path: Path) -> None:
    store = tmp_path / "deals.db"
    service = staffed(dealflow.connect(str(store), clock=dealflow.FixedClock(START)))
    spec = dealflow.load_deal_file(ROOT / "dealflow" / "samples" / "conveyor-deal.yaml")
    first = drive_to(service, spec, Stage.SIGNED)
    drive_to(service, spec, Stage.LOST)
    second = drive_to(service, spec, Stage.IN_SERVICE)
    done = run_example(store, tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"2 signed deal(s) written to {tmp_path / 'signed.csv'}"
    third = drive_to(service, spec, Stage.SIGNED)
    again = run_example(store, tmp_path)
    assert again.stdout.startswith("1 signed deal(s)")
    assert run_example(store, tmp_path).stdout.startswith("0 signed deal(s)")
    with (tmp_path / "signed.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert [r["deal_id"] for r in rows] == [first, second, third]
    total = service.get(first).terms.totals.grand_total
    assert rows[0]["grand_total"] == str(total.amount)
    assert rows[0]["currency"] == "IDR"
    assert rows[0]["terms_hash"] == service.get(first).terms_hash
    positions = [int(r["position"]) for r in rows]
    assert positions == sorted(positions)
    last = service.feed(after=0, limit=10_000)[-1].position
    assert int((tmp_path / "feed.pos").read_text()) == last
    service.close()


def test_dealflow_feed_prints_json_lines_and_resumes(tmp_path: Path) -> None:
    store = tmp_path / "deals.db"
    service = staffed(dealflow.connect(str(store), clock=dealflow.FixedClock(START)))
    spec = dealflow.load_deal_file(ROOT / "dealflow" / "samples" / "conveyor-deal.yaml")
    drive_to(service, spec, Stage.OFFERED)
    service.close()

    def feed(*args: str) -> list[FeedEntry]:
        result = subprocess.run(
            [sys.executable, "-m", "dealflow", "--store", str(store), "feed", *args],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return [FeedEntry.model_validate(json.loads(line)) for line in result.stdout.splitlines()]

    everything = feed()
    roster = [e for e in everything if e.event.deal_id == "@roster"]  # staffing the store
    assert [e.position for e in everything] == list(range(1, len(roster) + 4))
    assert [e.position for e in roster] == list(range(1, len(roster) + 1))
    assert feed("--after", "1", "--limit", "1") == everything[1:2]
    assert feed("--after", str(len(roster) + 3)) == []
