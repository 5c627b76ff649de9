"""The options that change terms are the same for ``offer``, ``counter`` and ``amend``, and an
amendment carries each of them into the amended deal's terms, ``--response-hours`` included."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import typer

from dealflow.cli.app import app, load_all
from tests.conftest import SAMPLE_FILE

TERMS_OPTIONS = [
    "--discount",
    "--valid-days",
    "--payment-days",
    "--payment-method",
    "--delivery-date",
    "--delivery-place",
    "--warranty-months",
    "--response-hours",
    "--quantity",
    "--price",
]


def _options(name: str) -> list[str]:
    load_all()
    command = typer.main.get_command(app).commands[name]  # type: ignore[attr-defined]
    return [opt for param in command.params for opt in param.opts if opt.startswith("--")]


def test_offer_counter_and_amend_take_the_same_term_options_in_the_same_order() -> None:
    for name in ("offer", "counter", "amend"):
        options = _options(name)
        assert [o for o in options if o in TERMS_OPTIONS] == TERMS_OPTIONS, name
    assert _options("amend")[:4] == ["--as", "--reason", "--name", "--via"]
    assert _options("counter")[-1] == "--note"


def test_an_amendment_carries_the_new_response_time_and_other_terms(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEALFLOW_")}
    env.update(DEALFLOW_STORE=str(tmp_path / "deals.db"), DEALFLOW_NOW="2026-11-02T09:00Z")

    def run(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "dealflow", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    deal = run("new", str(SAMPLE_FILE)).strip()
    run("present", deal, "--as", "seller")
    run("offer", deal, "--as", "seller", "--discount", "5%", "--response-hours", "30")
    run("accept", deal, "--as", "buyer")
    run("agree", deal, "--as", "seller")
    run("sign", deal, "--as", "seller")
    run("sign", deal, "--as", "buyer", "--name", "Siti", "--title", "Manager")
    run("start-service", deal, "--as", "service")

    def warranty(shown: str) -> dict[str, object]:
        terms = json.loads(shown)["terms"]
        [found] = [c for c in terms["after_sales"] if c["kind"] == "warranty"]
        result: dict[str, object] = found
        return result

    assert warranty(run("--json", "show", deal))["response_hours"] == 30
    said = run(
        *("amend", deal, "--as", "buyer", "--reason", "Faster repairs"),
        *("--response-hours", "12", "--payment-days", "45"),
    )
    assert said.startswith("Amendment proposed.")
    shown = run("--json", "show", deal)
    assert json.loads(shown)["contract_version"] == 2
    assert json.loads(shown)["terms"]["payment"]["due_days"] == 45
    assert warranty(shown)["response_hours"] == 12
