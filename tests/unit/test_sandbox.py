"""The test run's sandbox holds: a command run without a store writes its default store in the
sandbox's data folder, never in the real one (see ``tests/conftest.py``)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests import conftest


def test_the_default_store_of_a_command_lands_in_the_sandbox(tmp_path: Path) -> None:
    assert conftest._sandbox is not None
    data = Path(os.environ["XDG_DATA_HOME"])
    assert data.is_relative_to(conftest._sandbox)
    assert "DEALFLOW_STORE" not in os.environ
    listed = subprocess.run(
        [sys.executable, "-m", "dealflow", "list"],
        cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert listed.returncode == 0, listed.stderr
    assert (data / "dealflow" / "deals.db").is_file()


def test_a_developers_own_settings_do_not_reach_the_tests() -> None:
    kept = {name for name in os.environ if name.startswith("DEALFLOW_")}
    assert kept <= conftest.KEPT_SETTINGS
