"""The app loads only the module of the command it runs; the map must stay whole."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer

import dealflow
from dealflow.cli.app import COMMANDS, LazyCommands, app, load_all
from tests.conftest import SAMPLE_FILE, staffed


def _root() -> tuple[LazyCommands, typer.Context]:
    """The app's root group, and a context of its own to read arguments with."""
    root = typer.main.get_command(app)
    assert isinstance(root, LazyCommands)
    return root, typer.Context(root, info_name="dealflow")


def _registered() -> dict[str, str]:
    """Every top-level command and group of the full app, with the module that registers it."""
    load_all()
    found: dict[str, str] = {}
    for command in app.registered_commands:
        assert command.callback is not None
        name = command.name or command.callback.__name__.replace("_", "-")
        found[name] = command.callback.__module__
    for group in app.registered_groups:
        assert group.name is not None and group.typer_instance is not None
        sub = group.typer_instance.registered_commands
        found[group.name] = sub[0].callback.__module__ if sub[0].callback else ""
    return found


def test_every_command_is_mapped_to_the_module_that_registers_it() -> None:
    registered = _registered()
    assert len(registered) >= 38
    mapped = {name: f"dealflow.cli.commands.{module}" for name, module in COMMANDS.items()}
    assert mapped == registered


def test_the_options_taking_a_value_are_the_root_options_that_do() -> None:
    root, _ = _root()
    with_value = {
        opt for param in root.params if not getattr(param, "is_flag", False) for opt in param.opts
    }
    assert "--store" in with_value and "--json" not in with_value
    flags, valued = root.global_options()
    assert with_value == set(valued)
    assert flags == {"--json"}


@pytest.mark.parametrize(
    ("args", "module"),
    [
        (["show", "abc"], "views"),
        (["--store", "show", "counter", "abc"], "deals"),
        (["--json", "--now", "2027-01-01", "health"], "relationship"),
        (["--store=deals.db", "templates", "check"], "contracts"),
        (["keys", "dev", "out"], "seals"),
        (["show", "--help"], "views"),
        (["--help", "show"], None),
        (["--", "show"], None),
        (["--version"], None),
        ([], None),
        (["shwo", "abc"], None),
        (["--store"], None),
    ],
)
def test_the_command_module_is_found_past_the_global_options(
    args: list[str], module: str | None
) -> None:
    root, ctx = _root()
    position = root.command_position(ctx, args)
    assert (None if position is None else COMMANDS.get(args[position])) == module


LOADED = """
import io, json, sys, contextlib
from dealflow.cli.app import app
args = sys.argv[1:]
shown = io.StringIO()
with contextlib.redirect_stdout(shown):
    try:
        app(args, prog_name="dealflow")
    except SystemExit as exc:
        assert exc.code in (0, 2), exc.code  # done, or a usage error (an unknown command)
names = sorted(c.name or c.callback.__name__ for c in app.registered_commands)
print(json.dumps({"commands": names, "output": shown.getvalue(),
      "modules": sorted(m for m in sys.modules if m.split(".")[0] in
      ("dealflow", "rich", "yaml", "weasyprint", "pyhanko", "psycopg"))}))
"""


def _load(*args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-c", LOADED, *args], capture_output=True, text=True, check=True
    )
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def test_show_loads_what_it_needs_and_none_of_the_rest(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'deals.db'}"
    service = staffed(dealflow.connect(store))
    deal = service.open_deal(dealflow.load_deal_file(SAMPLE_FILE))
    service.present(deal.id, dealflow.Actor(name="Budi Santoso", role=dealflow.Role.SELLER))
    service.close()
    loaded = _load("--store", store, "show", deal.id)
    assert f"({deal.id})" in loaded["output"] and "Stage: presented" in loaded["output"]
    assert "show" in loaded["commands"] and "history" in loaded["commands"]
    assert "counter" not in loaded["commands"] and "advise" not in loaded["commands"]
    modules = set(loaded["modules"])
    assert {
        "dealflow.read.views",
        "dealflow.application.service",
        "dealflow.adapters.sqlite",
    } <= modules
    for unwanted in (
        "dealflow.cli.commands.deals",  # other commands' modules
        "dealflow.cli.commands.advise",
        "dealflow.files.dealfile",  # the deal-file reader (YAML) and the clause library
        "dealflow.files.clauses",
        "yaml",
        "dealflow.domain.advisor",  # the advisor's math
        "dealflow.read.reports",  # review and health reports
        "dealflow.domain.contract",  # contracts and their rendering
        "rich",  # show prints plain lines
        "weasyprint",
        "pyhanko",
        "psycopg",
    ):
        assert unwanted not in modules, unwanted
    # The console script takes the global options after the command too.
    shown = subprocess.run(
        [sys.executable, "-m", "dealflow", "show", deal.id, "--json", "--store", store],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(shown.stdout)["stage"] == "presented"


def test_help_and_unknown_commands_load_every_command() -> None:
    load_all()
    everything = len(app.registered_commands)
    assert len(_load("--help")["commands"]) == everything
    assert len(_load("shwo")["commands"]) == everything


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["show", "abc", "--json"], ["--json", "show", "abc"]),
        (
            ["show", "abc", "--store", "x.db", "--now=2027-01-01"],
            ["--store", "x.db", "--now=2027-01-01", "show", "abc"],
        ),
        (
            ["--store", "x.db", "list", "--stage", "offered", "--json"],
            ["--store", "x.db", "--json", "list", "--stage", "offered"],
        ),
        (["templates", "check", "--json"], ["--json", "templates", "check"]),
        (
            ["verify", "f.pdf", "--store", "x.db", "--json"],  # verify has a --store of its own
            ["--json", "verify", "f.pdf", "--store", "x.db"],
        ),
        (["log", "abc", "--note", "--json", "--channel", "email"], None),
        (["show", "abc", "--", "--json"], None),
        (["--json", "show", "abc"], None),
        (["shwo", "abc", "--json"], None),
        (["show", "abc", "--store"], None),
    ],
)
def test_global_options_after_the_command_move_before_it(
    args: list[str], expected: list[str] | None
) -> None:
    root, ctx = _root()
    assert root.hoisted(ctx, args) == (args if expected is None else expected)


def test_now_is_bounded_by_the_last_date_terms_may_name() -> None:
    from dealflow.cli import base
    from dealflow.domain import terms

    assert base.LATEST_DATE == terms.LATEST_DATE


def test_list_prints_whole_lines_when_piped(tmp_path: Path) -> None:
    store = f"sqlite:///{tmp_path / 'deals.db'}"
    service = staffed(dealflow.connect(store))
    title = "Conveyor line upgrade for Plant 2, with spare belts and a second sensor kit " * 2
    spec = dealflow.load_deal_file(SAMPLE_FILE).model_copy(update={"title": title.strip()})
    deal = service.open_deal(spec)
    service.close()
    listed = subprocess.run(
        [sys.executable, "-m", "dealflow", "--store", store, "list"],
        capture_output=True,
        text=True,
        check=True,
    )
    header, row = listed.stdout.splitlines()
    assert header.split()[:2] == ["ID", "Title"]
    assert row.startswith(f"{deal.id}  {title.strip()}  draft  PT Sinar Abadi Minuman")
    assert row.split()[-6:-3] == ["IDR", "382,950,000", "-"]  # then the time it was updated
