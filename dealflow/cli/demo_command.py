"""``dealflow demo``: the sample deal from opening to a signed PDF contract."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer

from dealflow.cli.base import app, options, out, say, service


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
    from dealflow.cli.contract_commands import make_folder, write_atomically
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
            pdf = (make_folder(output) if output else Path.cwd()) / signed.document.file_name
            write_atomically(pdf, signed.pdf)
            out.print(f"Signed contract: {pdf} (sha256 {signed.sha256[:16]}...)", markup=False)
            where = store_url or "a temporary store (deleted now)"
            out.print(f"Store: {where}", markup=False)
        finally:
            options(ctx).close()
