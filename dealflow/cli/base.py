"""What every command shares: the global options, the service, output.

The global options (``--store``, ``--json``, ``--policy``, ``--now``) are read once by the
root callback into :class:`Options`; a command asks for the service with :func:`service`,
which connects on first use. ``--json`` output goes to stdout only, errors to stderr.
"""

from __future__ import annotations

import json
import re
from collections.abc import Container, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import TYPE_CHECKING, Any

import typer

if TYPE_CHECKING:
    from pydantic import BaseModel
    from rich.console import Console
    from rich.text import Text

    from dealflow.application.service import DealService
    from dealflow.domain.deal import Deal
    from dealflow.domain.parties import Actor


class LazyConsole:
    """A Rich console made on first use: a command that prints only plain lines (``show``,
    every action's one-line answer, errors) never imports Rich, which keeps its start short."""

    def __init__(self, *, stderr: bool = False) -> None:
        self.stderr = stderr
        self._console: Console | None = None

    @property
    def console(self) -> Console:
        if self._console is None:
            from rich.console import Console

            self._console = Console(stderr=self.stderr, highlight=False, soft_wrap=True)
        return self._console

    @property
    def is_terminal(self) -> bool:
        return self.console.is_terminal

    def print(self, *objects: Any, **options: Any) -> None:
        """Print with Rich (tables, styled text); plain lines go through :func:`say`."""
        self.console.print(*objects, **options)

    def line(self, text: str) -> None:
        """Print one line as it is: no markup, no emoji codes, control characters escaped."""
        typer.echo(one_line(text), err=self.stderr)


out = LazyConsole()
err = LazyConsole(stderr=True)


class RoleName(StrEnum):
    """The roles a person may act as (``--as``)."""

    SELLER = "seller"
    BUYER = "buyer"
    MANAGER = "manager"
    LEGAL = "legal"
    SERVICE = "service"


@dataclass
class Options:
    """The global options, and the service once connected."""

    store: str | None = None
    json: bool = False
    policy: str | None = None
    now: datetime | None = None
    templates: str | None = None
    cert: str | None = None
    #: The timestamp authority's URL (--tsa; None: $DEALFLOW_TSA, else B-B seals).
    tsa: str | None = None
    #: The member this invocation acts as (None: the system user's login name).
    user: str | None = None
    #: Minutes an action may be dated before the deal's last event.
    clock_skew: float = 5
    _service: DealService | None = field(default=None, repr=False)

    def close(self) -> None:
        if self._service is not None:
            self._service.close()
            self._service = None


def options(ctx: typer.Context) -> Options:
    """The global options of this invocation."""
    found = ctx.find_root().obj
    assert isinstance(found, Options)
    return found


def service(ctx: typer.Context) -> DealService:
    """The service on the chosen store, clock and policy; connected once per invocation."""
    opts = options(ctx)
    if opts._service is None:
        from dealflow.bootstrap import connect, fixed_clock

        policy = None
        if opts.policy:
            from dealflow.files.policy import load_policy_file

            policy = load_policy_file(opts.policy)
        clock = fixed_clock(opts.now) if opts.now else None
        folders = [opts.templates] if opts.templates else None
        opts._service = connect(
            opts.store,
            clock=clock,
            policy=policy,
            templates=folders,
            cert=opts.cert,
            tsa=opts.tsa,
            clock_skew=timedelta(minutes=opts.clock_skew),
            member=opts.user,
        )
        ctx.find_root().call_on_close(opts.close)
    return opts._service


def actor(deal: Deal, role: RoleName, name: str | None = None, via: str | None = None) -> Actor:
    """Who acts. On the seller's side you act as yourself, the member ``--user`` names (the
    service puts your name on the event); for the buyer you record their act, by their
    representative (``--name``, the deal file's by default) and how it reached you (``--via``).
    """
    from dealflow.domain.parties import Actor, Role, is_blank

    if role is not RoleName.BUYER:
        for given, option in ((name, "--name"), (via, "--via")):
            if given is not None:
                raise typer.BadParameter(
                    "only for recording the buyer's act (--as buyer); on the seller's side you "
                    "act as yourself (dealflow whoami)",
                    param_hint=option,
                )
        return Actor(name=deal.seller.representative.name, role=Role(role.value))
    if name is not None and is_blank(name):
        raise typer.BadParameter("a name cannot be blank", param_hint="--name")
    return Actor(
        name=name or deal.buyer.representative.name,
        role=Role.BUYER,
        channel=via,
    )


# Output -----------------------------------------------------------------------------------

_CONTROL = {c: f"\\x{c:02x}" for c in [*range(0x20), 0x7F]}
_CONTROL.update({ord("\n"): "\\n", ord("\r"): "\\r", ord("\t"): " "})


def one_line(text: str) -> str:
    """Text with every control character shown escaped: it cannot break or colour a line."""
    return text.translate(_CONTROL)


def cells(*texts: str) -> list[Text]:
    """Table cells shown as written: no markup read from them, control characters escaped."""
    from rich.text import Text

    return [Text(one_line(text)) for text in texts]


def columns(
    header: Sequence[str], rows: Sequence[Sequence[str]], right: Container[int] = ()
) -> list[str]:
    """A small table as plain lines: columns two spaces apart, those in ``right`` aligned right.

    For a command whose start must stay short (``show``); bigger tables use Rich (:func:`cells`).
    """
    lines = [[one_line(text) for text in row] for row in (header, *rows)]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return [
        "  ".join(
            text.rjust(width) if i in right else text.ljust(width)
            for i, (text, width) in enumerate(zip(line, widths, strict=True))
        ).rstrip()
        for line in lines
    ]


def say(text: str) -> None:
    """Print a line for a person, with any control characters in it escaped."""
    out.line(text)


def emit_json(data: Any) -> None:
    """Print JSON on stdout: a model, a list of models, or plain data."""
    text = json.dumps(_plain(data), indent=2, ensure_ascii=False)
    typer.echo(text)


def _plain(data: Any) -> Any:
    from pydantic import BaseModel

    from dealflow.domain.money import SHOWN

    if isinstance(data, BaseModel):
        return data.model_dump(mode="json", context=SHOWN)  # amounts in plain digits
    if isinstance(data, list | tuple):
        return [_plain(d) for d in data]
    if isinstance(data, dict):
        return {str(k): _plain(v) for k, v in data.items()}
    return data


def dump(model: BaseModel) -> dict[str, Any]:
    """A model's JSON form as plain data."""
    result: dict[str, Any] = model.model_dump(mode="json")
    return result


def when(at: datetime | None) -> str:
    """A time as a rep reads it: UTC, to the minute."""
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC") if at else "-"


# Parsing option values -------------------------------------------------------------------------

_SKU = r"[A-Za-z0-9][\w.\-/]*"


#: The times ``--now`` may name: deals dated from 1970, up to the last date terms may name.
EARLIEST_NOW = date(1970, 1, 1)
LATEST_DATE = date(2999, 12, 31)  # dealflow.domain.terms.LATEST_DATE, without its models


def parse_now(value: str | None) -> datetime | None:
    """``--now``: an ISO 8601 time with a timezone; a date alone means midnight UTC."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            return datetime.fromisoformat(text).replace(tzinfo=UTC)
        at = datetime.fromisoformat(text.replace("z", "Z"))
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not an ISO 8601 time; write e.g. 2027-01-15T09:00Z", param_hint="--now"
        ) from None
    if at.tzinfo is None:
        raise typer.BadParameter(
            f"{value!r} has no timezone; write e.g. 2027-01-15T09:00Z", param_hint="--now"
        )
    at = at.astimezone(UTC)
    if not EARLIEST_NOW <= at.date() <= LATEST_DATE:
        raise typer.BadParameter(
            f"{value!r} is out of range; give a time from {EARLIEST_NOW.year} "
            f"to {LATEST_DATE.year}",
            param_hint="--now",
        )
    return at


def parse_date(value: str, hint: str) -> date:
    """A calendar date written YYYY-MM-DD."""
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not a date; write YYYY-MM-DD, e.g. 2027-01-15", param_hint=hint
        ) from None


def parse_quantities(values: list[str] | None, hint: str = "--quantity") -> dict[str, int]:
    """``SKU=N`` pairs."""
    result: dict[str, int] = {}
    for value in values or []:
        match = re.fullmatch(rf"\s*({_SKU})\s*=\s*(\d{{1,10}})\s*", value)
        if not match or int(match[2]) <= 0:
            raise typer.BadParameter(
                f"{value!r}: write SKU=N with N a whole number above 0, e.g. SNS-10=12",
                param_hint=hint,
            )
        if match[1] in result:
            raise typer.BadParameter(f"{match[1]} is given twice", param_hint=hint)
        result[match[1]] = int(match[2])
    return result


def parse_amount(value: str, hint: str) -> Decimal:
    """An amount of money of 0 or more, up to what dealflow accepts (10^15)."""
    from dealflow.domain.money import to_decimal

    try:
        amount = to_decimal(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint=hint) from None
    if amount < 0:
        raise typer.BadParameter(
            f"{value!r} is below 0; give an amount of 0 or more", param_hint=hint
        )
    return amount


def parse_prices(values: list[str] | None) -> dict[str, Decimal]:
    """``SKU=PRICE`` pairs."""
    result: dict[str, Decimal] = {}
    for value in values or []:
        sku, sep, price = value.partition("=")
        try:
            amount = Decimal(price.strip().replace("_", ""))
        except InvalidOperation:
            amount = Decimal(-1)
        if not sep or not re.fullmatch(_SKU, sku.strip()) or not amount.is_finite() or amount < 0:
            raise typer.BadParameter(
                f"{value!r}: write SKU=PRICE with a price of 0 or more, e.g. SNS-10=4200000",
                param_hint="--price",
            )
        result[sku.strip()] = parse_amount(price, "--price")
    return result
