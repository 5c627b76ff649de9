"""The ``dealflow`` console script, run as a subprocess the way a user runs it."""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

import dealflow
from tests.conftest import staffed


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if k != "DEALFLOW_STORE"}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "dealflow", *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"dealflow {dealflow.__version__}"


def test_demo_runs_the_sample_deal_through_every_stage_to_a_signed_pdf(tmp_path: Path) -> None:
    result = run("demo", "-o", str(tmp_path))
    assert result.returncode == 0, result.stderr
    passed = next(line for line in result.stdout.splitlines() if line.startswith("Stages passed"))
    assert passed.removeprefix("Stages passed: ").split(" -> ") == [
        "draft",
        "presented",
        "offered",
        "negotiating",
        "terms_accepted",
        "special_agreement",
        "pending_approval",
        "awaiting_signatures",
        "signed",
        "in_service",
    ]
    assert "Grand total: IDR 344,655,000" in result.stdout
    assert "temporary store" in result.stdout
    (pdf,) = tmp_path.glob("*.pdf")
    assert pdf.name.endswith("-V1-id-en.pdf")
    assert f"Signed contract: {pdf}" in result.stdout
    reader = PdfReader(pdf)
    text = "".join(page.extract_text() for page in reader.pages)
    assert "DRAFT" not in text
    assert "PT Sinar Abadi Minuman" in text
    agreement = reader.attachments["agreement.json"][0]
    hash_line = next(line for line in result.stdout.splitlines() if "Grand total" in line)
    assert hashlib.sha256(agreement).hexdigest()[:12] in hash_line


def test_demo_on_a_given_store_keeps_the_deal(tmp_path: Path) -> None:
    path = tmp_path / "team.db"
    result = run("--store", f"sqlite:///{path}", "demo", "-o", str(tmp_path))
    assert result.returncode == 0, result.stderr
    service = staffed(dealflow.connect(f"sqlite:///{path}"))
    (deal,) = service.deals()
    assert deal.stage is dealflow.Stage.IN_SERVICE
    assert deal.id in result.stdout
    (pdf,) = tmp_path.glob("*.pdf")
    assert service.store.artifacts(deal.id) == [pdf.name]
    assert service.store.get_artifact(deal.id, pdf.name) == pdf.read_bytes()
    service.close()


def test_the_store_can_come_from_the_environment(tmp_path: Path) -> None:
    path = tmp_path / "env.db"
    result = run("demo", "-o", str(tmp_path), env={"DEALFLOW_STORE": str(path)})
    assert result.returncode == 0, result.stderr
    with sqlite3.connect(path) as db:
        deals = "SELECT count(DISTINCT deal_id) FROM events WHERE deal_id <> '@roster'"
        assert db.execute(deals).fetchone() == (1,)
        # The demo's approvers were added by the store's first member (named as the sample's
        # rep), so its approvals are not the rep's own.
        roster = "SELECT type FROM events WHERE deal_id = '@roster' ORDER BY version"
        assert db.execute(roster).fetchall() == [("MemberAdded",)] * 3


@pytest.mark.parametrize(
    ("store", "message"),
    [
        ("ftp://example/deals", "unknown store ftp://"),
        ("sqlite://", "names no file"),
    ],
)
def test_a_bad_store_is_one_line_and_exit_1(store: str, message: str) -> None:
    result = run("--store", store, "demo")
    assert result.returncode == 1
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr + result.stdout


def test_a_store_file_that_is_not_a_database_is_one_line(tmp_path: Path) -> None:
    bogus = tmp_path / "notes.txt"
    bogus.write_text("shopping list\n" * 200)
    result = run("--store", str(bogus), "demo")
    assert result.returncode == 1
    assert "not a dealflow database" in result.stderr
    assert "Traceback" not in result.stderr
    assert bogus.read_text() == "shopping list\n" * 200


def test_a_usage_error_exits_2() -> None:
    result = run("no-such-command")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_demo_with_json_prints_one_json_document(tmp_path: Path) -> None:
    result = run("--json", "demo", "-o", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["stages"][0] == "draft" and summary["stages"][-1] == "in_service"
    assert summary["store"] is None
    pdf = Path(summary["pdf"])
    assert pdf.parent == tmp_path / "out"
    assert hashlib.sha256(pdf.read_bytes()).hexdigest() == summary["sha256"]
    assert [s["stage"] for s in summary["steps"]].count("signed") >= 1


def test_demo_leaves_no_temporary_folder_behind(tmp_path: Path) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    result = run("demo", "-o", str(tmp_path / "out"), env={"TMPDIR": str(scratch)})
    assert result.returncode == 0, result.stderr
    assert list(scratch.iterdir()) == []  # WeasyPrint's and the demo store's folders removed
