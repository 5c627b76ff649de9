"""``dealflow graph``: the lifecycle table as a Mermaid diagram, every stage and action in it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from dealflow import Action, Stage


def run(*args: str, path: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    if path is not None:
        env["PATH"] = path
    return subprocess.run(
        [sys.executable, "-m", "dealflow", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def test_graph_prints_every_stage_and_action_as_mermaid() -> None:
    result = run("graph")
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "stateDiagram-v2"
    assert "    [*] --> draft" in lines
    for stage in Stage:
        assert any(stage.value in line for line in lines[1:]), stage
    for action in Action:
        assert any(
            line.endswith(f": {action.value}") or f": {action.value} [" in line for line in lines
        )
    assert "    signed --> in_service: start_service" in lines
    assert "    in_service --> negotiating: amend" in lines


def test_graph_writes_a_markdown_file_and_refuses_other_kinds(tmp_path: Path) -> None:
    target = tmp_path / "lifecycle.md"
    assert run("graph", "-o", str(target)).returncode == 0
    text = target.read_text("utf-8")
    assert text.startswith("```mermaid\nstateDiagram-v2\n") and text.endswith("```\n")
    refused = run("graph", "-o", str(tmp_path / "lifecycle.png"))
    assert refused.returncode == 2
    assert "FILE.svg" in refused.stderr
    assert not (tmp_path / "lifecycle.png").exists()


def test_svg_without_graphviz_says_what_to_install(tmp_path: Path) -> None:
    result = run("graph", "-o", str(tmp_path / "x.svg"), path=str(tmp_path))
    assert result.returncode == 2
    assert "graphviz" in result.stderr
    assert "Traceback" not in result.stderr


def test_graph_with_json(tmp_path: Path) -> None:
    result = run("--json", "graph")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["mermaid"] == run("graph").stdout
    assert data["stages"] == [stage.value for stage in Stage]
    assert "completed" in data["terminal"] and "draft" not in data["terminal"]
    written = run("graph", "-o", str(tmp_path / "g.md"), "--json")
    assert json.loads(written.stdout) == {"written": str(tmp_path / "g.md")}
