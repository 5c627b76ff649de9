"""The ``dealflow`` console script: global options, the demo, and error handling.

The commands live in ``deal_commands`` (negotiate, agree and sign), ``contract_commands``
(contracts and template checks), ``seal_commands`` (verify, keys), ``aftersales_commands``,
``relationship_commands``, ``feed_command`` and ``view_commands``; importing them here
registers them on the app. A dealflow error is printed as one plain line on stderr with exit
code 1; a usage error exits 2 (Click's convention); no user mistake ever shows a traceback.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path
from typing import Annotated

import typer
from pydantic import ValidationError

from dealflow.__about__ import __version__
from dealflow.cli import (
    advise_command,
    aftersales_commands,
    contract_commands,
    deal_commands,
    feed_command,
    relationship_commands,
    seal_commands,
    view_commands,
)
from dealflow.cli.base import (
    Options,
    app,
    err,
    one_line,
    options,
    out,
    parse_now,
    say,
    service,
)
from dealflow.errors import DealflowError

__all__ = [
    "advise_command",
    "aftersales_commands",
    "app",
    "contract_commands",
    "deal_commands",
    "feed_command",
    "main",
    "relationship_commands",
    "seal_commands",
    "view_commands",
]


def _version(value: bool) -> None:
    if value:
        out.print(f"dealflow {__version__}")
        raise typer.Exit


@app.callback()
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
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Print the version and exit."
        ),
    ] = False,
) -> None:
    """Negotiate B2B deals from offer to signed contract and after-sales.

    Example: dealflow demo        Example: dealflow --store deals.db new deal.yaml
    """
    ctx.obj = Options(
        store=store, json=json, policy=policy, now=parse_now(now), templates=templates, cert=cert
    )


@app.command(rich_help_panel="Try it")
def demo(
    ctx: typer.Context,
    output: Annotated[
        Path | None,
        typer.Option(
            "-o",
            "--output",
            metavar="DIR",
            help="The folder to write the signed contract PDF into; default: the current one.",
        ),
    ] = None,
) -> None:
    """Run the sample deal from opening to a signed PDF contract, printing each stage.

    Uses a temporary SQLite store that is deleted afterwards, unless --store is given. The
    signed contract (PDF/A-3b, Bahasa Indonesia and English side by side) is written to DIR.

    Example: dealflow demo            Example: dealflow --store deals.db demo -o contracts/
    """
    from dealflow.cli.contract_commands import write_atomically
    from dealflow.demo import run_demo

    store_url = options(ctx).store
    with tempfile.TemporaryDirectory(prefix="dealflow-demo-") as tmp:
        if store_url is None:
            options(ctx).store = f"sqlite:///{Path(tmp) / 'demo.db'}"
        deals = service(ctx)
        try:
            stages = []
            for number, (what, deal) in enumerate(run_demo(deals), start=1):
                if number == 1:
                    say(f"Sample deal {deal.id}: {deal.title}")
                stages.append(deal.stage.value)
                out.print(f"{number:>3}. {deal.stage.value:<20} {what}")
            path = dict.fromkeys(stages)
            out.print("Stages passed: " + " -> ".join(path))
            totals = deal.terms.totals
            out.print(f"Grand total: {totals.grand_total} (terms hash {deal.terms_hash[:12]})")
            signed = deals.contract(deal.id, version=deal.contracts[0].contract_version)
            pdf = (output or Path.cwd()) / signed.document.file_name
            write_atomically(pdf, signed.pdf)
            out.print(f"Signed contract: {pdf} (sha256 {signed.sha256[:16]}...)", markup=False)
            where = store_url or "a temporary store (deleted now)"
            out.print(f"Store: {where}", markup=False)
        finally:
            options(ctx).close()


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
    """
    bad = _undecodable(sys.argv[1:])
    if bad is not None:
        err.print(f"Error: argument {bad} is not valid UTF-8 text", markup=False)
        sys.exit(2)
    try:
        app(prog_name="dealflow")
    except DealflowError as exc:
        err.print(f"error: {one_line(str(exc))}", markup=False)
        sys.exit(1)
    except ValidationError as exc:  # a value no command option checked; still the user's
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        err.print(f"error: {one_line(where)}: {one_line(first['msg'])}", markup=False)
        sys.exit(1)
    except OSError as exc:  # a file named on the command line cannot be read or written
        what = f"{exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else "")
        err.print(f"error: {one_line(what)}", markup=False)
        sys.exit(1)
    except KeyboardInterrupt:
        err.print("interrupted; nothing was recorded for the action under way")
        sys.exit(130)
