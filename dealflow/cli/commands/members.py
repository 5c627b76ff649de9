"""The people commands: ``dealflow members`` (add, list, update, deactivate, log) and
``dealflow whoami``. Changing the roster is an admin's act; the service checks it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from dealflow.cli.app import app
from dealflow.cli.base import columns, emit_json, options, say, service, when
from dealflow.cli.commandline import CommandLine
from dealflow.domain.members import MemberRole
from dealflow.domain.money import SHOWN

if TYPE_CHECKING:
    from dealflow.domain.members import Member

members_app = CommandLine(
    help="The store's members: who may do what.\n\n\b\nExample:\n  dealflow members list",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(members_app, name="members", rich_help_panel="People")

MemberId = Annotated[
    str, typer.Argument(metavar="ID", help="The member's handle, e.g. budi (lower case).")
]
Roles = Annotated[
    list[MemberRole] | None,
    typer.Option(
        "--role",
        metavar="<seller|manager|legal|service|admin>",
        help="A role the member holds; repeatable (update: replaces them all).",
    ),
]
MaxDiscount = Annotated[
    str | None,
    typer.Option(
        "--max-discount", metavar="PERCENT", help="The largest discount they may approve."
    ),
]
MaxTotal = Annotated[
    str | None,
    typer.Option(
        "--max-total", metavar="AMOUNT", help="The largest total (before tax) they may approve."
    ),
]
Login = Annotated[
    str | None,
    typer.Option("--login", metavar="LOGIN", help="Their PostgreSQL login (default: the ID)."),
]
Email = Annotated[str | None, typer.Option("--email", metavar="EMAIL", help="Their email.")]


def _member(fields: dict[str, Any]) -> Member:
    from pydantic import ValidationError

    from dealflow.domain.members import Member
    from dealflow.domain.messages import plain_errors

    try:
        return Member.model_validate(fields)
    except ValidationError as exc:
        raise typer.BadParameter(plain_errors(exc)) from None


def _row(member: Member) -> dict[str, Any]:
    return member.model_dump(mode="json", context=SHOWN) | {"limits": member.limits}


def _print(ctx: typer.Context, member: Member, done: str) -> None:
    if options(ctx).json:
        emit_json(_row(member))
        return
    roles = ", ".join(r.value for r in member.roles)
    state = "" if member.active else ", inactive"
    say(f"{done}: {member.id} ({member.name}, {member.title}; {roles}{state})")


@members_app.command("add")
def add(
    ctx: typer.Context,
    member_id: MemberId,
    name: Annotated[str, typer.Option("--name", metavar="NAME", help="Their full name.")],
    title: Annotated[str, typer.Option("--title", metavar="TITLE", help="Their job title.")],
    role: Roles = None,
    email: Email = None,
    max_discount: MaxDiscount = None,
    max_total: MaxTotal = None,
    login: Login = None,
) -> None:
    """Add a member (admins only). An approver's --max-discount and --max-total cap what
    they may approve.

    \b
    Example:
      dealflow members add maya --name "Maya Sari" --title Manager --role manager
    """
    if not role:
        raise typer.BadParameter("give at least one --role", param_hint="--role")
    fields = {
        "id": member_id,
        "name": name,
        "title": title,
        "roles": role,
        "email": email,
        "max_discount": max_discount,
        "max_total": max_total,
        "login": login,
    }
    member = _member(fields)
    _print(ctx, service(ctx).add_member(member), "Added")


@members_app.command("update")
def update(
    ctx: typer.Context,
    member_id: MemberId,
    name: Annotated[str | None, typer.Option("--name", metavar="NAME", help="Full name.")] = None,
    title: Annotated[
        str | None, typer.Option("--title", metavar="TITLE", help="Job title.")
    ] = None,
    role: Roles = None,
    email: Email = None,
    max_discount: MaxDiscount = None,
    max_total: MaxTotal = None,
    no_limits: Annotated[
        bool, typer.Option("--no-limits", help="Remove both approval limits.")
    ] = False,
    login: Login = None,
    active: Annotated[
        bool, typer.Option("--active", help="Let a deactivated member act again.")
    ] = False,
) -> None:
    """Change a member (admins only); what you do not give stays as it is.

    \b
    Example:
      dealflow members update maya --max-discount 25% --role manager --role legal
    """
    svc = service(ctx)
    current = svc.roster.get(member_id)
    if current is None:
        from dealflow.errors import NotPermittedError

        raise NotPermittedError(f"{member_id} is not a member of this store")
    given: dict[str, Any] = {
        "name": name,
        "title": title,
        "roles": role or None,
        "email": email,
        "max_discount": max_discount,
        "max_total": max_total,
        "login": login,
    }
    changes = {key: value for key, value in given.items() if value is not None}
    if no_limits:
        changes |= {"max_discount": None, "max_total": None}
    if active:
        changes["active"] = True
    checked = _member(current.model_dump() | changes)
    _print(ctx, svc.update_member(member_id, **checked.model_dump()), "Updated")


@members_app.command("deactivate")
def deactivate(ctx: typer.Context, member_id: MemberId) -> None:
    """Stop a member from acting (admins only); their past acts stay theirs.

    \b
    Example:
      dealflow members deactivate maya
    """
    _print(ctx, service(ctx).deactivate_member(member_id), "Deactivated")


@members_app.command("list")
def list_members(ctx: typer.Context) -> None:
    """Every member: roles, approval limits, login, active or not.

    \b
    Example:
      dealflow members list
    """
    members = service(ctx).members()
    if options(ctx).json:
        emit_json([_row(m) for m in members])
        return
    rows = [
        [
            m.id,
            m.name,
            m.title,
            ", ".join(r.value for r in m.roles),
            m.limits,
            m.login_name,
            "yes" if m.active else "no",
        ]
        for m in members
    ]
    for line in columns(["ID", "NAME", "TITLE", "ROLES", "MAY APPROVE", "LOGIN", "ACTIVE"], rows):
        say(line)


@members_app.command("log")
def log(ctx: typer.Context) -> None:
    """Every change to the roster, oldest first: who added, changed or deactivated whom.

    \b
    Example:
      dealflow members log
    """
    events = service(ctx).members_log()
    if options(ctx).json:
        emit_json(events)
        return
    for e in events:
        roles = ", ".join(r.value for r in e.member.roles)
        say(
            f"v{e.version:<3} {when(e.occurred_at)}  {e.type:<17} {e.member.id} "
            f"({e.member.name}; {roles}) by {e.actor.member or e.actor.name}"
        )


@app.command(rich_help_panel="People")
def whoami(ctx: typer.Context) -> None:
    """The member you act as, with your roles and approval limits.

    \b
    Example:
      dealflow whoami
    """
    member = service(ctx).whoami()
    if options(ctx).json:
        emit_json(_row(member))
        return
    roles = ", ".join(r.value for r in member.roles)
    say(f"{member.id}: {member.name}, {member.title}")
    say(f"Roles: {roles}; may approve {member.limits}")
