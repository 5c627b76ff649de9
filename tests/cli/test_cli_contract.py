"""``dealflow contract`` and ``dealflow templates check`` as a user runs them: subprocesses on
a temporary SQLite store."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.cli.test_cli_demo import run


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, str]:
    """A store with the demo deal (signed) and a second deal still a draft."""
    folder = tmp_path_factory.mktemp("contracts")
    url = f"sqlite:///{folder / 'deals.db'}"
    demo = run("--store", url, "demo", "-o", str(folder))
    assert demo.returncode == 0, demo.stderr
    signed_id = next(
        line.split()[2].rstrip(":") for line in demo.stdout.splitlines() if "Sample deal" in line
    )
    sample = Path(__file__).parents[2] / "dealflow" / "samples" / "conveyor-deal.yaml"
    draft = run("--store", url, "new", str(sample))
    assert draft.returncode == 0, draft.stderr
    return url, signed_id, draft.stdout.strip()


def test_contract_writes_the_signed_pdf_and_says_where(
    store: tuple[str, str, str], tmp_path: Path
) -> None:
    url, signed_id, _ = store
    target = tmp_path / "signed.pdf"
    result = run("--store", url, "contract", signed_id, "-o", str(target))
    assert result.returncode == 0, result.stderr
    assert f"Wrote {target}" in result.stdout
    assert "signed contract" in result.stdout
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    assert f"sha256 {digest}" in result.stdout
    # The demo kept this version; asking again returns the kept bytes.
    with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
        (kept,) = db.execute(
            "SELECT sha256 FROM artifacts WHERE deal_id = ? AND name LIKE '%-id-en.pdf'",
            (signed_id,),
        ).fetchone()
    assert kept == digest


def test_contract_json_and_language_and_standard_output(
    store: tuple[str, str, str], tmp_path: Path
) -> None:
    url, _, draft_id = store
    raw = subprocess.run(
        [sys.executable, "-m", "dealflow", "--store", url, "contract", draft_id, "-o", "-"],
        capture_output=True,
        check=True,
        timeout=120,
    )
    assert raw.stdout.startswith(b"%PDF-")
    assert raw.stdout.rstrip().endswith(b"%%EOF")
    described = run(
        "--store", url, "--json", "contract", draft_id, "--lang", "en",
        "-o", str(tmp_path / "d.pdf"),
    )  # fmt: skip
    data = json.loads(described.stdout)
    assert data["signed"] is False
    assert data["stored"] is False
    assert data["language"] == "en"
    assert data["file"] == str(tmp_path / "d.pdf")
    text = PdfReader(tmp_path / "d.pdf").pages[0].extract_text()
    assert "DRAFT" in text
    assert "SALES AGREEMENT" in text


def test_contract_all_renders_every_deal_in_worker_processes(
    store: tuple[str, str, str], tmp_path: Path
) -> None:
    url, signed_id, draft_id = store
    result = run("--store", url, "--json", "contract", "--all", "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert [row["deal"] for row in data["contracts"]] == [signed_id, draft_id]
    assert data["failed"] == []
    for row in data["contracts"]:
        pdf = Path(row["file"])
        assert pdf.parent == tmp_path
        assert hashlib.sha256(pdf.read_bytes()).hexdigest() == row["sha256"]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["contract", "nosuchdeal"], 1, "no deal"),
        (["contract", "{draft}", "--lang", "fr"], 2, "--lang"),
        (["contract", "{draft}", "--version", "3"], 1, "no contract version 3"),
        (["contract"], 2, "give a DEAL id"),
        (["contract", "{draft}", "--all"], 2, "--all takes no DEAL"),
        (["--templates", "/no/such/folder", "contract", "{draft}"], 1, "does not exist"),
        (["templates", "check", "/no/such/folder"], 1, "does not exist"),
    ],
)
def test_contract_mistakes_are_one_line_and_write_nothing(
    store: tuple[str, str, str], tmp_path: Path, args: list[str], code: int, message: str
) -> None:
    url, _, draft_id = store
    argv = [a.replace("{draft}", draft_id) for a in args]
    result = (
        run("--store", url, *argv, "-o", str(tmp_path / "x.pdf"))
        if "-o" in args
        else run("--store", url, *argv)
    )
    assert result.returncode == code, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    if code == 1:
        assert len(result.stderr.strip().splitlines()) == 1
    assert not list(tmp_path.iterdir())


def test_templates_check_is_ok_on_the_built_ins_and_exits_1_on_a_broken_folder(
    tmp_path: Path,
) -> None:
    ok = run("templates", "check")
    assert ok.returncode == 0, ok.stderr
    assert "no problems" in ok.stdout
    (tmp_path / "partials").mkdir()
    (tmp_path / "partials" / "parties.html.j2").write_text(
        '<p>{{ c.buyer.nme }}</p>\n<img src="http://127.0.0.1:9/logo.png">'
    )
    broken = run("--json", "templates", "check", str(tmp_path))
    assert broken.returncode == 1
    problems = json.loads(broken.stdout)["problems"]
    assert {p["template"] for p in problems} == {"parties.html.j2"}
    assert all(p["line"] == 1 for p in problems)
    assert "nme" in problems[0]["problem"]


def test_the_templates_folder_can_come_from_the_environment(
    store: tuple[str, str, str], tmp_path: Path
) -> None:
    url, _, draft_id = store
    folder = tmp_path / "team"
    (folder / "partials").mkdir(parents=True)
    (folder / "partials" / "parties.html.j2").write_text("<p>TEAM PARTIES {{ c.buyer.name }}</p>")
    target = tmp_path / "draft.pdf"
    result = run(
        "--store", url, "contract", draft_id, "-o", str(target),
        env={"DEALFLOW_TEMPLATES": str(folder)},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    text = PdfReader(target).pages[0].extract_text()
    assert "TEAM PARTIES PT Sinar Abadi Minuman" in text


def test_contract_into_a_folder_uses_the_contracts_own_name(
    store: tuple[str, str, str], tmp_path: Path
) -> None:
    url, _, draft_id = store
    result = run("--store", url, "contract", draft_id, "-o", f"{tmp_path}/new/")
    assert result.returncode == 0, result.stderr
    (pdf,) = (tmp_path / "new").iterdir()
    assert pdf.name == f"DF-{draft_id.upper()}-V1-draft-id-en.pdf"
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    refused = run("--store", url, "contract", draft_id, "-o", f"{blocked}/x.pdf")
    assert refused.returncode == 1
    assert refused.stderr.startswith(f"error: cannot write {blocked}/x.pdf")
    assert "Traceback" not in refused.stderr
