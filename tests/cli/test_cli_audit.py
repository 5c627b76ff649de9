"""``dealflow audit`` as a user runs it: subprocesses on a temporary SQLite store holding a
signed deal, before and after a row of it was edited with ``sqlite3``."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import dealflow
from dealflow.application.demo import sample_deal_spec
from tests.cli.test_cli_demo import run
from tests.conftest import START, staffed
from tests.paths import drive_to


def _signed_store(folder: Path) -> tuple[Path, str, int, str]:
    """A store with the sample deal signed: its path, the deal id, its event count and
    head."""
    path = folder / "deals.db"
    service = staffed(dealflow.connect(str(path), clock=dealflow.FixedClock(START)))
    deal_id = drive_to(service, sample_deal_spec(), dealflow.Stage.SIGNED)
    links = service.store.chain(deal_id)
    service.close()
    return path, deal_id, len(links), links[-1].hash


def _edit(path: Path, deal_id: str, version: int) -> str:
    """Change one stored event's payload as someone with the file would; its type."""
    with sqlite3.connect(path) as db:
        kind, data = db.execute(
            "SELECT type, data FROM events WHERE deal_id = ? AND version = ?", (deal_id, version)
        ).fetchone()
        event = json.loads(data)
        event["occurred_at"] = "2026-11-01T08:00:00Z"
        db.execute(
            "UPDATE events SET data = ? WHERE deal_id = ? AND version = ?",
            (json.dumps(event), deal_id, version),
        )
    db.close()
    return str(kind)


def test_audit_says_the_chain_is_intact_then_names_the_edited_event(tmp_path: Path) -> None:
    path, deal_id, count, head = _signed_store(tmp_path)
    intact = run("--store", str(path), "audit", deal_id)
    assert intact.returncode == 0, intact.stderr
    assert intact.stdout == f"chain intact: {count} events, head {head}\n"
    data = json.loads(run("--store", str(path), "audit", deal_id, "--json").stdout)
    assert data == {
        "deal_id": deal_id,
        "ok": True,
        "events": count,
        "head": head,
        "first_break": None,
    }
    kind = _edit(path, deal_id, 4)
    broken = run("--store", str(path), "audit", deal_id)
    assert broken.returncode == 1
    assert broken.stdout == f"BROKEN at v4 {kind}: the event was changed after it was recorded\n"
    assert broken.stderr == ""
    described = run("--store", str(path), "--json", "audit", deal_id)
    assert described.returncode == 1
    found = json.loads(described.stdout)
    assert found["ok"] is False
    assert found["first_break"] == {
        "version": 4,
        "event": kind,
        "kind": "changed",
        "sentence": "the event was changed after it was recorded",
    }


def test_audit_of_an_unknown_deal_is_one_line(tmp_path: Path) -> None:
    path, _, _, _ = _signed_store(tmp_path)
    result = run("--store", str(path), "audit", "no-such-deal")
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == "error: no deal with id 'no-such-deal' in this store\n"


def test_audit_help_names_what_it_checks() -> None:
    result = run("audit", "--help")
    assert result.returncode == 0
    text = " ".join(result.stdout.split())
    assert '"BROKEN at vN EVENT: what happened"' in text
    assert "A log rewritten with every hash recomputed, or cut short, still looks intact" in text
    assert "dealflow audit 3f2a9c1b7d4e" in result.stdout


def test_verify_with_the_store_fails_when_the_deals_log_was_altered(tmp_path: Path) -> None:
    path, deal_id, _, _ = _signed_store(tmp_path)
    pdf = tmp_path / "signed.pdf"
    made = run("--store", str(path), "contract", deal_id, "-o", str(pdf))
    assert made.returncode == 0, made.stderr
    before = run("verify", str(pdf), "--store", str(path))
    assert "ok   store:" in before.stdout
    kind = _edit(path, deal_id, 3)
    after = run("verify", str(pdf), "--store", str(path))
    assert after.returncode == 1
    (failed,) = [line for line in after.stdout.splitlines() if line.startswith("FAIL store:")]
    assert failed.endswith(f"v3 {kind}: the event was changed after it was recorded")
