"""``dealflow demo``: the sample deal from opening to a signed PDF contract."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

import typer

from dealflow.cli.app import app
from dealflow.cli.base import emit_json, options, say, service


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

    \b
    Examples:
      dealflow demo
      dealflow --store deals.db demo -o contracts/
    """
    from dealflow.application.demo import run_demo
    from dealflow.files.local import make_folder, write_file

    store_url = options(ctx).store
    folder = make_folder(output) if output else Path.cwd()  # before the run: a bad -o fails first
    with tempfile.TemporaryDirectory(prefix="dealflow-demo-") as tmp:
        if store_url is None:
            options(ctx).store = f"sqlite:///{Path(tmp) / 'demo.db'}"
        deals = service(ctx)
        try:
            # The seal certificate is opened first: a bad one is refused before any step of
            # the sample deal is recorded.
            _ = deals.sealer
            quiet = options(ctx).json
            steps: list[dict[str, str]] = []
            for number, (what, deal) in enumerate(run_demo(deals), start=1):
                if number == 1 and not quiet:
                    say(f"Sample deal {deal.id}: {deal.title}")
                steps.append({"stage": deal.stage.value, "what": what})
                if not quiet:
                    say(f"{number:>3}. {deal.stage.value:<20} {what}")
            stages = list(dict.fromkeys(step["stage"] for step in steps))
            totals = deal.terms.totals
            signed = deals.contract(deal.id, version=deal.contracts[0].contract_version)
            pdf = folder / signed.document.file_name
            write_file(pdf, signed.pdf)
            if quiet:
                emit_json(
                    {
                        "deal": deal.id,
                        "steps": steps,
                        "stages": stages,
                        "grand_total": str(totals.grand_total),
                        "terms_hash": deal.terms_hash,
                        "agreement_hash": signed.document.agreement_hash,
                        "pdf": str(pdf),
                        "sha256": signed.sha256,
                        "store": store_url,
                    }
                )
                return
            say("Stages passed: " + " -> ".join(stages))
            agreement = signed.document.agreement_hash[:12]
            say(f"Grand total: {totals.grand_total} (agreement {agreement})")
            say(f"Signed contract: {pdf} (sha256 {signed.sha256[:16]}...)")
            say(f"Store: {store_url or 'a temporary store (deleted now)'}")
        finally:
            options(ctx).close()
