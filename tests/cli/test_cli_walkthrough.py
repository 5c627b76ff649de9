"""The README's command-line walkthrough, run as written: each line as a subprocess against a
temporary store, checking exit codes and the stage each comment promises; then the ``--json``
outputs of ``show``, ``list`` and ``history`` against the JSON Schemas shipped in the package."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pypdf import PdfReader

import dealflow
from dealflow.read.views import json_schemas
from tests.conftest import SAMPLE_FILE

ROOT = Path(__file__).parents[2]
README = (ROOT / "README.md").read_text("utf-8")
SCHEMAS = Path(dealflow.__file__).parent / "schemas"


def walkthrough() -> list[str]:
    section = README.split("## The command line", 1)[1].split("\n## ", 1)[0]
    (block,) = re.findall(r"```sh\n(.*?)```", section, re.S)[:1]
    return [line for line in block.splitlines() if line.strip()]


def dealflow_command() -> list[str]:
    """The console script the install put next to this Python, as a user runs it."""
    script = shutil.which("dealflow", path=str(Path(sys.executable).parent))
    return [script] if script else [sys.executable, "-m", "dealflow"]


class Shell:
    """Just enough of a shell for the walkthrough: export, VAR=$(...), $VAR, comments."""

    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("DEALFLOW_")}
        self.env["XDG_DATA_HOME"] = str(cwd / "data")
        self.vars: dict[str, str] = {}

    def run(self, line: str) -> tuple[subprocess.CompletedProcess[str], str]:
        words = shlex.split(line, comments=True)
        comment = line.split("  #", 1)[1].strip() if "  #" in line else ""
        if words[0] == "export":
            for word in words[1:]:
                name, _, value = word.partition("=")
                self.env[name] = value
            return subprocess.CompletedProcess(words, 0, "", ""), comment
        target = None
        capture = re.fullmatch(r"(\w+)=\$\((.*)\)", " ".join(words))
        if capture:
            target, words = capture[1], shlex.split(capture[2])
        words = [self.vars.get(w[1:], w) if w.startswith("$") else w for w in words]
        assert words[0] == "dealflow"
        result = subprocess.run(
            [*dealflow_command(), *words[1:]],
            cwd=self.cwd,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        if target:
            self.vars[target] = result.stdout.strip()
        return result, comment


Walked = tuple[Shell, list[tuple[str, subprocess.CompletedProcess[str], str]]]


@pytest.fixture(scope="module")
def walked(tmp_path_factory: pytest.TempPathFactory) -> Walked:
    """The README walkthrough, run once as written in a fresh folder: the shell and, for
    each line, its result and its comment."""
    folder = tmp_path_factory.mktemp("walkthrough")
    samples = folder / "dealflow" / "samples"
    samples.mkdir(parents=True)
    shutil.copy(SAMPLE_FILE, samples / SAMPLE_FILE.name)
    shell = Shell(folder)
    return shell, [(line, *shell.run(line)) for line in walkthrough()]


def test_the_readme_walkthrough_runs_as_written(walked: Walked) -> None:
    shell, results = walked
    assert len(results) >= 15
    stages = []
    for line, result, comment in results:
        assert result.returncode == 0, f"{line}\n{result.stderr}"
        assert "Traceback" not in result.stderr
        promised = re.fullmatch(r"-> (\w+)", comment)
        if promised:
            stages.append(promised[1])
            assert f" is {promised[1]} " in result.stdout, (line, result.stdout)
    deal_id = shell.vars["DEAL"]
    assert re.fullmatch(r"[0-9a-f]{12}", deal_id)
    assert stages[-1] == "in_service"

    shown, _ = shell.run(f"dealflow show {deal_id}")
    assert "Stage: in_service" in shown.stdout
    assert "SNS-10" in shown.stdout
    assert "Signed by buyer: Siti Rahmawati, Procurement Manager (wet-ink)" in shown.stdout
    assert ", recorded by budi (meeting), not authenticated" in shown.stdout
    assert "Signed by seller: Budi Santoso, Sales Director (typed)" in shown.stdout
    assert "Approved by legal: Lukas Hartono" in shown.stdout
    assert "feedback by meeting, satisfaction 5/5" in shown.stdout
    history, _ = shell.run(f"dealflow history {deal_id}")
    lines = history.stdout.splitlines()
    kinds = [line.split()[4] for line in lines]
    # Opened, 11 actions and a logged contact; then the review's two changes, a fulfilment,
    # a complaint (logged, and opened as a claim) and the response to it.
    assert kinds[13:] == [
        "CommitmentStatusChanged",
        "CommitmentStatusChanged",
        "CommitmentFulfilled",
        "InteractionLogged",
        "ClaimOpened",
        "ClaimResponded",
    ], history.stdout
    assert "installation-1 breached: 15 days past its due date 2027-01-29" in lines[13]
    assert "installation-1 late: Commissioned" in lines[15]
    assert all(line.endswith("(simulated time)") for line in history.stdout.splitlines())
    printed = {line.split("  #")[0].strip(): result.stdout for line, result, _ in results}
    advice = printed["dealflow advise $DEAL"]
    assert "Suggestion: counter with" in advice or "Suggestion: accept" in advice, advice
    commitments = printed["dealflow --now 2027-02-16T09:00Z commitments $DEAL"]
    assert re.search(r"installation-1\s.*fulfilled_late\s+-\s", commitments), commitments
    assert re.search(r"training-1\s.*\bdue\s+2 days late\s", commitments), commitments
    assert re.search(r"payment-1\s.*scheduled\s+in 13 days\s", commitments), commitments
    health = printed['dealflow --now 2027-02-16T09:00Z health "Sinar Abadi"']
    assert "PT Sinar Abadi Minuman: health 65/100" in health, health
    assert "-30  kept 0 of 2 promises on time (0%)" in health
    assert "-5  1 open claim(s), the oldest 1 day old" in health
    assert "1 late, 0 overdue, 0 breached, 1 past their date and still open" in health
    diff, _ = shell.run(f"dealflow diff {deal_id} 2 3")
    assert re.search(r"discount\.percent\s+12%\s+9%", diff.stdout), diff.stdout
    listed, _ = shell.run("dealflow --json list --stage in_service")
    assert [d["id"] for d in json.loads(listed.stdout)] == [deal_id]
    contract = PdfReader(shell.cwd / "contract.pdf")
    text = "".join(page.extract_text() for page in contract.pages)
    assert "Two spare belts on site" in text
    assert "DRAFT" not in text


def validate(name: str, document: Any) -> None:
    schema = json.loads((SCHEMAS / name).read_text("utf-8"))
    jsonschema.Draft202012Validator(schema).validate(document)


def test_json_outputs_validate_against_the_shipped_schemas(walked: Walked) -> None:
    shell, _ = walked
    deal_id = shell.vars["DEAL"]
    outputs = {
        "show.schema.json": f"dealflow --json show {deal_id}",
        "list.schema.json": "dealflow --json list",
        "history.schema.json": f"dealflow --json history {deal_id}",
        "commitments.schema.json": f"dealflow --json commitments {deal_id}",
        "health.schema.json": "dealflow --json health",
        "review.schema.json": "dealflow --json review",
    }
    for name, command in outputs.items():
        result, _ = shell.run(command)
        assert result.returncode == 0, result.stderr
        document = json.loads(result.stdout)
        validate(name, document)
    shown = json.loads(shell.run(f"dealflow --json show {deal_id}")[0].stdout)
    assert shown["stage"] == "in_service"
    assert shown["totals"]["grand_total"]["currency"] == "IDR"
    assert [c["contract_version"] for c in shown["contracts"]] == [1]
    # A document that breaks the schema is refused: the check can fail.
    shown["stage"] = "haggling"
    with pytest.raises(jsonschema.ValidationError):
        validate("show.schema.json", shown)


def test_the_shipped_schemas_are_up_to_date() -> None:
    for name, schema in json_schemas().items():
        shipped = json.loads((SCHEMAS / name).read_text("utf-8"))
        assert shipped == schema, f"run scripts/export-schemas: {name} is out of date"
        jsonschema.Draft202012Validator.check_schema(shipped)
