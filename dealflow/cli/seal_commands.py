"""The commands legal uses: ``dealflow verify`` a contract PDF, and ``dealflow keys dev`` to
make a development seal certificate."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import typer

from dealflow.cli.base import app, emit_json, options, out, say, service
from dealflow.cli.commandline import CommandLine

keys_app = CommandLine(
    help="Seal certificates.\n\n\b\nExample:\n  dealflow keys dev ./keys",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(keys_app, name="keys", rich_help_panel="Contracts")


@app.command(rich_help_panel="Contracts")
def verify(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(metavar="FILE.pdf", help="The contract PDF to verify.")],
    store: Annotated[
        str | None,
        typer.Option(
            "--store",
            metavar="URL",
            help="Also check it against this store (or give the global --store).",
        ),
    ] = None,
) -> None:
    """Verify a contract PDF: seal intact, terms.json hashing to the printed hash, signatures
    on that hash and, with a store, the deal's signed version and kept PDF. Exit 0 when
    everything holds, 1 naming each failed check.

    \b
    Example:
      dealflow verify DF-3F2A9C1B7D4E-V1-id-en.pdf --store deals.db
    """
    from dealflow.local_files import read_file
    from dealflow.verification import MAX_CONTRACT_BYTES, verify_contract

    data = read_file(file, MAX_CONTRACT_BYTES)
    opts = options(ctx)
    root = ctx.find_root()
    source = root.get_parameter_source("store")
    # A store named on this command line, not merely $DEALFLOW_STORE: legal checks a file
    # against a store on purpose.
    given = source is not None and source.name == "COMMANDLINE"
    if store is not None:
        opts.store = store
    deals = service(ctx) if store is not None or given else None
    verdict = verify_contract(data, deals)
    if opts.json:
        emit_json(
            {
                "ok": verdict.ok,
                "contract_number": verdict.contract_number,
                "signer": verdict.signer,
                "checks": [
                    {"name": c.name, "ok": c.ok, "detail": c.detail} for c in verdict.checks
                ],
                "failed": verdict.failed,
            }
        )
    else:
        for check in verdict.checks:
            mark = "ok  " if check.ok else "FAIL"
            out.print(f"{mark} {check.name}: {check.detail}", markup=False, highlight=False)
        if verdict.ok:
            say(f"VERIFIED: {verdict.contract_number}, sealed by {verdict.signer}")
        else:
            out.print(
                f"NOT VERIFIED: failed {', '.join(verdict.failed)}", markup=False, highlight=False
            )
    if not verdict.ok:
        raise typer.Exit(1)


@keys_app.command("dev")
def keys_dev(
    ctx: typer.Context,
    folder: Annotated[Path, typer.Argument(metavar="DIR", help="Where to write dev-seal.p12.")],
) -> None:
    """Create a self-signed development seal certificate, DIR/dev-seal.p12 (empty password),
    and print how to use it. For trying the flow only: it proves nothing to anyone else.

    \b
    Example:
      dealflow keys dev ./keys
    """
    from dealflow.adapters.signing import make_dev_certificate

    target = folder / "dev-seal.p12"
    if os.path.lexists(target):  # a link there, even dangling, is never written through
        raise typer.BadParameter(f"{target} exists; remove it or choose another folder")
    made = make_dev_certificate(folder)
    if options(ctx).json:
        emit_json({"cert": str(made.resolve()), "password": "", "development_only": True})
        return
    say(f"Wrote {made} (self-signed, empty password, valid two years; development only)")
    out.print("Seal signed contracts with it:", markup=False)
    out.print(f"  export DEALFLOW_CERT={made.resolve()} DEALFLOW_CERT_PASSWORD=", markup=False)
    out.print(
        "  dealflow demo    # or: dealflow contract DEAL, after both sides signed", markup=False
    )
    out.print("  dealflow verify FILE.pdf", markup=False)
