"""Negotiation from the command line: a seller policy file with a price floor, approvals with
their reasons, library clauses, and the interaction log, each as a user runs them."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from tests.conftest import SAMPLE_FILE


def runner(tmp_path: Path) -> Callable[..., subprocess.CompletedProcess[str]]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEALFLOW_")}
    env.update(DEALFLOW_STORE=str(tmp_path / "deals.db"), DEALFLOW_NOW="2026-11-02T09:00Z")
    (tmp_path / "floor.yaml").write_text('floor: {min_unit_price: {SNS-10: "4300000"}}\n')

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "dealflow", "--policy", str(tmp_path / "floor.yaml"), *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    return run


def test_floor_reasons_clauses_and_log(tmp_path: Path) -> None:
    run = runner(tmp_path)
    deal = run("new", str(SAMPLE_FILE)).stdout.strip()
    assert run("present", deal, "--as", "seller").returncode == 0
    refused = run("offer", deal, "--as", "seller", "--discount", "5%")
    assert refused.returncode == 1
    assert refused.stderr.startswith(
        "error: the seller may not offer below the price floor: SNS-10"
    )
    assert run("offer", deal, "--as", "seller", "--discount", "4%").returncode == 0
    assert run("counter", deal, "--as", "buyer", "--discount", "12%").returncode == 0
    assert run("accept", deal, "--as", "seller").returncode == 0
    unknown = run("special", deal, "--as", "buyer", "--clause", "penalty")
    assert unknown.returncode == 1
    assert "unknown clause penalty; the clause library has: escrow-payment" in unknown.stderr
    assert run("special", deal, "--as", "buyer", "--clause", "exclusivity").returncode == 0
    agreed = run("agree", deal, "--as", "seller")
    assert agreed.returncode == 0, agreed.stderr
    assert "Needs manager approval: discount 12% is above the 10% ceiling" in agreed.stdout
    assert "below the price floor: SNS-10" in agreed.stdout
    assert "Needs legal approval: non-standard library clause exclusivity" in agreed.stdout
    logged = run(
        "log", deal, "--channel", "phone", "--kind", "competitor-quote", "--note", "8% less"
    )
    assert logged.returncode == 0, logged.stderr
    shown = json.loads(run("--json", "show", deal).stdout)
    assert shown["stage"] == "pending_approval"
    assert set(shown["approval_reasons"]) == {"manager", "legal"}
    assert shown["interactions"][0]["kind"] == "competitor-quote"
