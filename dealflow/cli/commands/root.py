"""The root of the command line: the global options every command reads, and ``--version``.

The global options are read once, before the command runs, into
:class:`~dealflow.cli.base.Options`.
"""

from __future__ import annotations

from typing import Annotated

import typer

from dealflow.__about__ import __version__
from dealflow.cli.base import Options, parse_now, say


def _version(value: bool) -> None:
    if value:
        say(f"dealflow {__version__}")
        raise typer.Exit


def root(
    ctx: typer.Context,
    store: Annotated[
        str | None,
        typer.Option(
            "--store",
            envvar="DEALFLOW_STORE",
            metavar="URL",
            help="Store URL: sqlite:///FILE, a file path, postgresql://USER@HOST/DB, "
            "or memory://. "
            "Default: deals.db in the user data directory.",
        ),
    ] = None,
    json: Annotated[
        bool, typer.Option("--json", help="Print JSON on stdout (errors stay on stderr).")
    ] = False,
    policy: Annotated[
        str | None,
        typer.Option(
            "--policy",
            metavar="FILE",
            help="A seller policy file (YAML or JSON); default: built-in.",
        ),
    ] = None,
    now: Annotated[
        str | None,
        typer.Option(
            "--now",
            envvar="DEALFLOW_NOW",
            metavar="ISO8601",
            help="Act as if it were this time (ISO 8601, e.g. 2027-01-15T09:00Z); "
            "events are marked as recorded under simulated time.",
        ),
    ] = None,
    templates: Annotated[
        str | None,
        typer.Option(
            "--templates",
            metavar="DIR",
            help="A folder of contract templates searched before the built-ins, to override "
            "a partial, the wording or the clause library. Default: $DEALFLOW_TEMPLATES.",
        ),
    ] = None,
    cert: Annotated[
        str | None,
        typer.Option(
            "--cert",
            metavar="FILE",
            help="The seller organisation's PKCS#12 certificate that seals signed contracts "
            "(password in $DEALFLOW_CERT_PASSWORD). Default: $DEALFLOW_CERT; none: unsealed.",
        ),
    ] = None,
    tsa: Annotated[
        str | None,
        typer.Option(
            "--tsa",
            metavar="URL",
            help="An RFC 3161 timestamp authority: seals get trusted time (PAdES-B-T) and, "
            "when revocation answers are reachable, become long-term (B-LTA). "
            "Default: $DEALFLOW_TSA; none: PAdES-B-B, no trusted time.",
        ),
    ] = None,
    user: Annotated[
        str | None,
        typer.Option(
            "--user",
            envvar="DEALFLOW_USER",
            metavar="ID",
            help="The member you act as (default: your login name). On PostgreSQL your "
            "database login decides, and --user cannot name another member.",
        ),
    ] = None,
    clock_skew: Annotated[
        float,
        typer.Option(
            "--clock-skew",
            envvar="DEALFLOW_CLOCK_SKEW",
            metavar="MINUTES",
            min=0,
            max=10_080,
            help="How many minutes an action may be dated before the deal's last event "
            "(clocks of machines differ); an earlier action is refused. Default: 5.",
        ),
    ] = 5,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Negotiate B2B deals from offer to signed contract and after-sales.

    \b
    Examples:
      dealflow demo
      dealflow --store deals.db new deal.yaml
    """
    ctx.obj = Options(
        store=store,
        json=json,
        policy=policy,
        now=parse_now(now),
        templates=templates,
        cert=cert,
        tsa=tsa,
        clock_skew=clock_skew,
        user=user,
    )
