"""The ``dealflow`` console script: load the command asked for, run it, report errors in one line.

A rep runs ``dealflow`` once per action, so each run loads only the module of the command it
names (:data:`COMMANDS`): ``dealflow show`` never builds the advisor's or the deal file's
models, nor Typer's description of thirty other commands. Anything else (``--help``, no
command, an unknown command, shell completion) loads the whole app (``dealflow.cli.app``), so
help, suggestions and completion see every command.

A dealflow error is printed as one plain line on stderr with exit code 1; a usage error exits 2
(Click's convention); no user mistake ever shows a traceback.
"""

from __future__ import annotations

import gc
import importlib
import os
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterator

    import typer

#: Each command (or command group) and the module of ``dealflow.cli`` that registers it.
COMMANDS: dict[str, str] = {
    **dict.fromkeys(
        [
            "new",
            "present",
            "offer",
            "counter",
            "accept",
            "reject",
            "withdraw",
            "special",
            "agree",
            "approve",
            "decline",
            "sign",
        ],
        "deals",
    ),
    **dict.fromkeys(["show", "list", "history", "diff", "next", "graph"], "views"),
    **dict.fromkeys(
        [
            "start-service",
            "amend",
            "complete",
            "sweep",
            "commitments",
            "fulfil",
            "waive",
            "review",
        ],
        "aftersales",
    ),
    **dict.fromkeys(["log", "claim", "respond", "resolve", "health"], "relationship"),
    **dict.fromkeys(["contract", "templates"], "contracts"),
    **dict.fromkeys(["verify", "keys", "seal"], "seals"),
    "audit": "audit",
    "advise": "advise",
    "feed": "feed",
    "demo": "demo",
    **dict.fromkeys(["members", "whoami"], "members"),
}

#: The global options that take a value (``--store URL``): the word after one is not a command.
VALUE_OPTIONS = frozenset(
    {"--store", "--policy", "--now", "--templates", "--cert", "--tsa", "--clock-skew", "--user"}
)


#: The global options that are flags.
FLAG_OPTIONS = frozenset({"--json"})


def command_position(args: list[str]) -> int | None:
    """Where the command's name is in ``args``, past the global options; None: no command."""
    skip = False
    for position, arg in enumerate(args):
        if skip:
            skip = False
        elif arg in VALUE_OPTIONS:
            skip = True
        elif arg.startswith("-"):
            if arg in ("--help", "--"):
                return None
        else:
            return position
    return None


def command_module(args: list[str]) -> str | None:
    """The module registering the command that ``args`` name; None: load them all."""
    position = command_position(args)
    return None if position is None else COMMANDS.get(args[position])


def _next(rest: Iterator[str]) -> list[str]:
    """The next argument, as a list: empty at the end."""
    following = next(rest, None)
    return [] if following is None else [following]


def hoisted(args: list[str], app: typer.Typer) -> list[str]:
    """``args`` with the global options written after the command moved before it, as Click
    wants them: ``dealflow show DEAL --json`` runs as ``dealflow --json show DEAL``.

    An option the command has of its own (``verify --store``), and the value of any option of
    the command (``log --note --json``), stay where they are; so does everything after ``--``.
    """
    position = command_position(args)
    if position is None:
        return args
    names = FLAG_OPTIONS | VALUE_OPTIONS
    if not any(arg.partition("=")[0] in names for arg in args[position + 1 :]):
        return args
    import typer.main

    command = getattr(typer.main.get_command(app), "commands", {}).get(args[position])
    start = position + 1
    subcommands = getattr(command, "commands", None)
    if subcommands is not None:  # a group: the command is its next word (templates check)
        command = subcommands.get(args[start]) if start < len(args) else None
        start += 1
    if command is None:
        return args
    options = [p for p in command.params if p.param_type_name == "option"]
    own = {name for p in options for name in p.opts}
    takes_value = {name for p in options if not getattr(p, "is_flag", False) for name in p.opts}
    moved: list[str] = []
    kept: list[str] = []
    rest = iter(args[start:])
    for arg in rest:
        name = arg.partition("=")[0]
        if arg == "--":
            kept.extend([arg, *rest])
        elif name in own:
            kept.append(arg)
            if arg in takes_value:
                kept.extend(_next(rest))
        elif name in FLAG_OPTIONS:
            moved.append(arg)
        elif name in VALUE_OPTIONS:
            value = [] if "=" in arg else _next(rest)
            if "=" in arg or value:
                moved.extend([arg, *value])
            else:  # no value follows: left where it is, for Click to say what is missing
                kept.append(arg)
        else:
            kept.append(arg)
    return [*args[:position], *moved, *args[position:start], *kept]


def load(args: list[str]) -> typer.Typer:
    """The app with the root options and the commands ``args`` need registered on it."""
    from dealflow.cli.base import app

    importlib.import_module("dealflow.cli.commands.root")
    module = command_module(args)
    if module is None or "_DEALFLOW_COMPLETE" in os.environ:
        importlib.import_module("dealflow.cli.app")
    else:
        importlib.import_module(f"dealflow.cli.commands.{module}")
    return app


def _undecodable(args: list[str]) -> int | None:
    """The position of the first argument that is not valid text (bytes the shell passed)."""
    for number, arg in enumerate(args, start=1):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            return number
    return None


def main() -> None:
    """The console script: run the app, turning dealflow errors into one line and exit 1.

    Messages are printed on one line whatever they quote: control characters in a file name
    or a note are shown escaped, so nothing a user typed can forge lines on the terminal.

    Loading a command builds tens of thousands of objects that live until the process ends
    (modules, pydantic's schemas and validators), which the cyclic garbage collector would
    otherwise scan over and over while they load, and once more at exit. So nothing is
    collected while the command loads, and what loaded is then frozen (``gc.freeze``: never
    scanned again); measured with ``bench/cli.py``, about 40 ms of ``dealflow show``'s start.
    What the command itself makes stays collectable, to the end: WeasyPrint, for one, removes
    its temporary folders when its objects are collected.
    """
    gc.disable()
    # pydantic looks for plugins by reading the entry points of every installed distribution
    # when the first model is built (about 10 ms here); the command line has none to load.
    # Set PYDANTIC_DISABLE_PLUGINS to anything else (e.g. "none") to have them loaded.
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    from pydantic import ValidationError

    from dealflow.cli.base import err
    from dealflow.errors import DealflowError

    bad = _undecodable(sys.argv[1:])
    if bad is not None:
        err.line(f"Error: argument {bad} is not valid UTF-8 text")
        sys.exit(2)
    try:
        args = sys.argv[1:]
        app = load(args)
        gc.freeze()
        gc.enable()
        app(args=hoisted(args, app), prog_name="dealflow")
    except DealflowError as exc:
        err.line(f"error: {exc}")
        sys.exit(1)
    except ValidationError as exc:  # a value no command option checked; still the user's
        from dealflow.domain.messages import plain_errors

        err.line(f"error: {plain_errors(exc)}")
        sys.exit(1)
    except OSError as exc:  # a file named on the command line cannot be read or written
        what = f"{exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else "")
        err.line(f"error: {what}")
        sys.exit(1)
    except KeyboardInterrupt:
        err.line("interrupted; nothing was recorded for the action under way")
        sys.exit(130)
