"""No exponent is ever printed: a percentage written ``1e-7%`` is shown in plain digits in
``--json history``, ``feed`` and the roster's JSON, as amounts are."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import SAMPLE_FILE


def test_tiny_percentages_print_in_plain_digits(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DEALFLOW_")}
    env["DEALFLOW_STORE"] = str(tmp_path / "deals.db")

    def run(*args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "dealflow", *args],
            env=env, capture_output=True, text=True, timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    deal = run("new", str(SAMPLE_FILE)).strip()
    run("present", deal, "--as", "seller")
    run("offer", deal, "--as", "seller", "--discount", "1e-7%")
    run("members", "add", "m2", "--name", "M", "--title", "T", "--role", "manager",
        "--max-discount", "0.00000001%")  # fmt: skip
    printed = {
        "history": run("--json", "history", deal),
        "feed": run("feed"),
        "members": run("--json", "members", "list") + run("--json", "members", "log"),
    }
    assert '"0.0000001%"' in printed["history"]
    assert '"0.0000001%"' in printed["feed"]
    assert '"0.00000001%"' in printed["members"]
    for name, text in printed.items():
        assert "E-" not in text and "e-" not in text, name
