"""``dealflow advise`` as a rep runs it: the advice and the simulated dance on a negotiated
deal, the chart written, ``--json`` alone on stdout, and one-line errors for a policy without
preferences (exit 1) and a chart file that is not SVG (exit 2).

The deal is negotiated in-process on a temporary SQLite store (the actions have their own CLI
tests); only ``advise`` runs as a subprocess, a handful of times."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

import dealflow
from dealflow.application.demo import sample_deal_spec
from dealflow.bootstrap import connect
from tests.conftest import BUYER, SELLER, START

SAMPLE_POLICY = Path(dealflow.__file__).parent / "samples" / "policy.yaml"
NOW = START + timedelta(days=9)

Run = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def negotiated(tmp_path: Path) -> tuple[str, Run]:
    """A deal four offers into its negotiation, with a competitor's quote logged, and a way
    to run ``dealflow`` on its store at day 9."""
    store = f"sqlite:///{tmp_path / 'deals.db'}"
    clock = dealflow.FixedClock(START)
    svc = connect(store, clock=clock)
    try:
        deal_id = svc.open_deal(sample_deal_spec()).id
        svc.present(deal_id, SELLER)
        moves = [
            (0, SELLER, dealflow.TermsChange(discount=dealflow.Discount.parse("0%"))),
            (2, BUYER, dealflow.TermsChange(discount=dealflow.Discount.parse("20%"))),
            (6, SELLER, dealflow.TermsChange(discount=dealflow.Discount.parse("4%"))),
            (8, BUYER, dealflow.TermsChange(discount=dealflow.Discount.parse("15%"))),
        ]
        for days, who, change in moves:
            clock.set(START + timedelta(days=days))
            if days == 0:
                svc.offer(deal_id, who, change)
            else:
                svc.counter(deal_id, who, change)
        svc.log_interaction(
            deal_id, SELLER, channel="phone", kind="competitor-quote", note="Rival quoted 10% less"
        )
    finally:
        svc.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEALFLOW_")}
    env.update(DEALFLOW_STORE=store, DEALFLOW_NOW=NOW.isoformat())

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "dealflow", *args],
            env=env,
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )

    return deal_id, run


def test_advise_prints_the_offers_the_suggestion_the_signals_and_the_dance(
    negotiated: tuple[str, Run], tmp_path: Path
) -> None:
    deal_id, run = negotiated
    done = run("--policy", str(SAMPLE_POLICY), "advise", deal_id, "--chart", "dance.svg")
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Ver  Side" in out and "v4   buyer   counter" in out
    assert f"Run: dealflow counter {deal_id} --as seller --discount " in out
    assert "Signal: competitor-pressure" in out
    assert "Simulation against a" in out and "sim." in out
    assert out.rstrip().endswith("Chart written to dance.svg")
    root = ET.parse(tmp_path / "dance.svg").getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert "Conveyor line upgrade for Plant 2" in (root.findtext("{*}title") or "")


def test_advise_json_is_the_advice_alone_on_stdout(negotiated: tuple[str, Run]) -> None:
    deal_id, run = negotiated
    done = run(
        "--json", "--policy", str(SAMPLE_POLICY), "advise", deal_id, "--buyer-tactic", "boulware"
    )
    assert done.returncode == 0, done.stderr
    advice = json.loads(done.stdout)
    assert advice["deal_id"] == deal_id
    assert [o["version"] for o in advice["offers"]] == [1, 2, 3, 4]
    assert advice["elapsed_days"] == 9
    assert abs(advice["counter"]["utility"] - advice["target"]) < 1e-6
    assert advice["forecast"]["buyer_tactic"] == "boulware"
    assert advice["signals"][0]["kind"] == "competitor-pressure"
    assert advice["explanation"].startswith("Day 9 of 30 since v1")


def test_advise_without_preferences_is_one_line_and_exit_1(
    negotiated: tuple[str, Run], tmp_path: Path
) -> None:
    deal_id, run = negotiated
    (tmp_path / "none.yaml").write_text("preferences: {issues: {}}\n", "utf-8")
    done = run("--policy", "none.yaml", "advise", deal_id)
    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.startswith("error: the seller policy names no negotiable issues")
    assert done.stderr.count("\n") == 1


def test_a_chart_that_is_not_svg_is_a_usage_error(negotiated: tuple[str, Run]) -> None:
    deal_id, run = negotiated
    done = run("--policy", str(SAMPLE_POLICY), "advise", deal_id, "--chart", "dance.png")
    assert done.returncode == 2
    assert "FILE.svg" in done.stderr
    assert "Traceback" not in done.stderr
