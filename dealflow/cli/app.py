"""The ``dealflow`` command line: one Typer app whose commands load when asked for.

A rep runs ``dealflow`` once per action, so a run imports only the module of the command it
names: ``dealflow show`` never builds the advisor's or the deal file's models, nor Typer's
description of thirty other commands. :data:`COMMANDS` maps each command (or group of
commands) to the module of ``dealflow.cli.commands`` that registers it on :data:`app`; the
app's root group, :class:`LazyCommands`, lists every command from that map (for help,
suggestions of a mistyped name and shell completion) and imports a module only when Click asks
for one of its commands. The global options are the root's (``commands/root.py``); written
after the command (``dealflow show DEAL --json``), they are read as if written before it.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, ClassVar

import typer.main
from typer.core import TyperGroup, TyperOption

from dealflow.cli.commandline import CommandLine, PlainGroup
from dealflow.cli.commands.root import root

if TYPE_CHECKING:
    from typer._click import Command, Context

#: Each command (or command group) and the module of ``dealflow.cli.commands`` that registers
#: it, in the order help lists them.
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
    "advise": "advise",
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
    **dict.fromkeys(["show", "list", "history", "diff", "next", "graph"], "views"),
    **dict.fromkeys(["contract", "templates"], "contracts"),
    **dict.fromkeys(["verify", "seal", "keys"], "seals"),
    "audit": "audit",
    "feed": "feed",
    **dict.fromkeys(["members", "whoami"], "members"),
    "demo": "demo",
}


def load_all() -> None:
    """Import every command's module, registering every command on :data:`app` (for tools
    and tests that read the app's registered commands)."""
    _import(COMMANDS.values())


def _import(modules: Iterable[str]) -> None:
    for module in dict.fromkeys(modules):
        importlib.import_module(f"{__package__}.commands.{module}")


class LazyCommands(PlainGroup):
    """The root group: lists every command of :data:`COMMANDS`, loads a command's module when
    Click asks for it, and reads the global options written after the command as the root's."""

    #: Called once the command to run is loaded, before anything runs: the console script
    #: freezes what loaded then (:func:`dealflow.cli.main.main`).
    on_loaded: ClassVar[Callable[[], None] | None] = None

    def list_commands(self, ctx: Context) -> list[str]:
        return [*COMMANDS, *(name for name in self.commands if name not in COMMANDS)]

    def get_command(self, ctx: Context, cmd_name: str) -> Command | None:
        if cmd_name not in self.commands:
            module = COMMANDS.get(cmd_name)
            # A name not in the map loads every command: Click's "No such command" and its
            # "Did you mean" suggestions then see them all.
            _import(COMMANDS.values() if module is None else [module])
            self._add_registered()
        return self.commands.get(cmd_name)

    def _add_registered(self) -> None:
        """Build the Click command of each command registered on the app since the last call."""
        for info in app.registered_commands:
            assert info.callback is not None
            if (info.name or typer.main.get_command_name(info.callback.__name__)) in self.commands:
                continue
            command = typer.main.get_command_from_info(
                info,
                pretty_exceptions_short=app.pretty_exceptions_short,
                rich_markup_mode=app.rich_markup_mode,
            )
            self.add_command(command)
        for group_info in app.registered_groups:
            if group_info.name in self.commands:
                continue
            group = typer.main.get_group_from_info(
                group_info,
                pretty_exceptions_short=app.pretty_exceptions_short,
                suggest_commands=app.suggest_commands,
                rich_markup_mode=app.rich_markup_mode,
            )
            self.add_command(group)

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        return super().parse_args(ctx, self.hoisted(ctx, args))

    def invoke(self, ctx: Context) -> object:
        loaded = LazyCommands.on_loaded
        if loaded is not None:
            loaded()
        return super().invoke(ctx)

    # The global options written after the command -------------------------------------------

    def global_options(self) -> tuple[frozenset[str], frozenset[str]]:
        """The root's options that may follow the command: its flags (``--json``; not the
        eager ``--version``, nor completion's) and those that take a value (``--store URL``)."""
        options = [p for p in self.params if isinstance(p, TyperOption) and p.expose_value]
        flags = {o for p in options if p.is_flag and not p.is_eager for o in p.opts}
        valued = {o for p in options if not p.is_flag for o in p.opts}
        return frozenset(flags), frozenset(valued)

    def command_position(self, ctx: Context, args: list[str]) -> int | None:
        """Where the command's name is in ``args``, past the global options, as Click's parser
        reads them; None when there is none to run (the root's own help, ``--``, a usage
        error, which Click reports)."""
        from typer._click.exceptions import UsageError

        try:
            _, rest, _ = self.make_parser(ctx).parse_args(args=list(args))
        except UsageError:
            return None
        position = len(args) - len(rest)
        before = set(args[:position])
        if not rest or "--" in before or before & set(self.get_help_option_names(ctx)):
            return None
        return position

    def hoisted(self, ctx: Context, args: list[str]) -> list[str]:
        """``args`` with the global options written after the command moved before it, as
        Click wants them: ``dealflow show DEAL --json`` runs as ``dealflow --json show DEAL``.

        An option the command has of its own (``verify --store``), and the value of any option
        of the command (``log --note --json``), stay where they are; so does everything after
        ``--``. The command's module is loaded here, so what loaded can be frozen before it
        runs (:attr:`on_loaded`).
        """
        position = self.command_position(ctx, args)
        if position is None:
            return args
        command = self.get_command(ctx, args[position])
        flags, valued = self.global_options()
        after = args[position + 1 :]
        if command is None or not any(a.partition("=")[0] in flags | valued for a in after):
            return args
        start = position + 1
        if isinstance(command, TyperGroup):  # a group: the command is its next word
            command = command.get_command(ctx, args[start]) if start < len(args) else None
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
            elif name in flags:
                moved.append(arg)
            elif name in valued:
                value = [] if "=" in arg else _next(rest)
                if "=" in arg or value:
                    moved.extend([arg, *value])
                else:  # no value follows: left where it is, for Click to say what is missing
                    kept.append(arg)
            else:
                kept.append(arg)
        return [*args[:position], *moved, *args[position:start], *kept]


def _next(rest: Iterator[str]) -> list[str]:
    """The next argument, as a list: empty at the end."""
    following = next(rest, None)
    return [] if following is None else [following]


app = CommandLine(
    name="dealflow",
    cls=LazyCommands,
    callback=root,
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
    add_completion=True,
    rich_markup_mode=None,
)
