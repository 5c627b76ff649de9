"""The arguments and options several commands share, as ``Annotated`` types for Typer.

Declarations only: importing them loads no other command module. Every option names what it
takes (``--quantity SKU=N``), never a Python type; ``--as`` offers only the roles that may take
the command's action, read from the lifecycle's table (:func:`acting_as`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Annotated, Any

import typer

from dealflow.cli.base import RoleName
from dealflow.domain.lifecycle import ROLES, Action
from dealflow.domain.parties import Role, Via


def role_option(verb: str, roles: Iterable[Role], *, help: str = "The role you act as.") -> Any:
    """``--as``, offering (in help, completion and checks) only ``roles``: those that may
    ``verb``. Another role is a usage error that says who may."""
    allowed = {role.value for role in roles}
    names = [role.value for role in RoleName if role.value in allowed]

    def parse(value: str | RoleName) -> RoleName:
        text = value.value if isinstance(value, RoleName) else value
        if text in names:
            return RoleName(text)
        who = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
        if text in {role.value for role in RoleName}:
            raise typer.BadParameter(f"a {text} cannot {verb}; only {who} can")
        raise typer.BadParameter(f"{text!r} is not one of {', '.join(map(repr, names))}")

    def complete(incomplete: str) -> list[str]:
        return [name for name in names if name.startswith(incomplete)]

    return typer.Option(
        "--as", metavar=f"<{'|'.join(names)}>", parser=parse, autocompletion=complete, help=help
    )


def acting_as(action: Action, verb: str | None = None) -> Any:
    """``--as`` for a lifecycle action: the roles the lifecycle lets take it."""
    return role_option(verb or action.value.replace("_", " "), ROLES[action])


DealId = Annotated[
    str, typer.Argument(metavar="DEAL", help="The deal's id, as `dealflow new` printed it.")
]
Name = Annotated[
    str | None,
    typer.Option(
        "--name",
        metavar="NAME",
        help="With --as buyer: the buyer's representative whose act you record (default: the "
        "deal file's). On the seller's side you act as yourself (--user).",
    ),
]
ViaOpt = Annotated[
    Via | None,
    typer.Option(
        "--via",
        metavar="<meeting|email|phone|letter>",
        help="With --as buyer: how the buyer's act reached you.",
    ),
]
NoteOpt = Annotated[
    str | None, typer.Option("--note", metavar="TEXT", help="A note kept with the action.")
]
Reason = Annotated[
    str | None, typer.Option("--reason", metavar="TEXT", help="Why, in a few words.")
]
DeliveryPlace = Annotated[
    str | None, typer.Option("--delivery-place", metavar="PLACE", help="Where to deliver.")
]
