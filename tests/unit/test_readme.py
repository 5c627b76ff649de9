"""The README tells the truth: its library example runs as written and prints what its
comments say, and its Quick start has the two commands CI relies on."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path

README = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")


def test_the_library_example_runs_and_prints_what_it_says() -> None:
    (example,) = re.findall(r"```python\n(.*?)```", README, re.S)
    expected = [
        line.split("#", 1)[1].strip()
        for line in example.splitlines()
        if line.lstrip().startswith("print(") and "#" in line
    ]
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(compile(example, "README.md", "exec"), {})
    lines = printed.getvalue().splitlines()
    assert lines == expected


def test_quick_start_has_the_install_and_the_test_command() -> None:
    quick = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```sh\n(.*?)```", quick, re.S)
    assert len(blocks) >= 2
    assert "pip install ." in blocks[0]
    assert "dealflow demo" in blocks[0]
    assert "pytest" in blocks[1]


def test_the_rights_table_is_the_one_the_engine_holds() -> None:
    from dealflow.domain.rights import rights_table

    readme = (Path(__file__).parents[2] / "README.md").read_text("utf-8")
    assert rights_table() in readme
