"""The Typer classes of the ``dealflow`` command line: help and usage errors in plain words.

Typer names an argument's Python type in help (``DEAL <str>``) and passes pydantic's wording
through when it refuses a value (``Value error, 'x' is not one of ...``, ``Input should be a
valid integer``). Every command of :class:`CommandLine` lists its arguments by name alone and
words a refused value as dealflow's other messages do
(:func:`dealflow.domain.messages.plain_message`). Options get their metavars where they are
declared (``--quantity SKU=N``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVar

import typer
from typer.core import TyperCommand, TyperGroup

if TYPE_CHECKING:
    from typer._click import Context, HelpFormatter

Function = TypeVar("Function", bound=Callable[..., Any])


@contextmanager
def plain_usage_errors() -> Iterator[None]:
    """A value Typer refused through pydantic is reported in plain words, not pydantic's."""
    try:
        yield
    except typer.BadParameter as exc:
        from pydantic import ValidationError

        if isinstance(exc.__cause__, ValidationError):
            from dealflow.domain.messages import plain_errors

            exc.message = plain_errors(exc.__cause__, where=False)
        raise


class PlainCommand(TyperCommand):
    """A command whose help names its arguments without Python types and whose usage errors
    are worded plainly."""

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        with plain_usage_errors():
            return super().parse_args(ctx, args)

    def format_options(self, ctx: Context, formatter: HelpFormatter) -> None:
        arguments: list[tuple[str, str]] = []
        options: list[tuple[str, str]] = []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is None:
                continue
            if param.param_type_name == "argument":
                name, text = record
                shown_type = getattr(param, "display_type_rich", lambda _: None)(ctx)
                if shown_type:
                    name = name.removesuffix(f" {shown_type}")
                arguments.append((name, text))
            elif param.param_type_name == "option":
                options.append(record)
        if arguments:
            with formatter.section("Arguments"):
                formatter.write_dl(arguments)
        if options:
            with formatter.section("Options"):
                formatter.write_dl(options)


class PlainGroup(TyperGroup):
    """The root and the command groups: their own options' usage errors worded plainly."""

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        with plain_usage_errors():
            return super().parse_args(ctx, args)


class CommandLine(typer.Typer):
    """A Typer app whose commands are :class:`PlainCommand` and groups :class:`PlainGroup`."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("cls", PlainGroup)
        super().__init__(*args, **kwargs)

    def command(self, *args: Any, **kwargs: Any) -> Callable[[Function], Function]:
        kwargs.setdefault("cls", PlainCommand)
        return super().command(*args, **kwargs)
