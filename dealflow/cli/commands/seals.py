"""The commands legal uses: ``dealflow verify`` a contract PDF (against the roots legal
trusts, as of a date), ``dealflow seal refresh`` to renew a long-term seal's document
timestamp, and ``dealflow keys dev`` to make a development seal certificate."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from dealflow.cli.app import app
from dealflow.cli.base import emit_json, options, out, say, service
from dealflow.cli.commandline import CommandLine

if TYPE_CHECKING:
    from dealflow.application.verification import Verdict
    from dealflow.ports import SealFinding

keys_app = CommandLine(
    help="Seal certificates.\n\n\b\nExample:\n  dealflow keys dev ./keys",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(keys_app, name="keys", rich_help_panel="Contracts")
seal_app = CommandLine(
    help="Long-term seals.\n\n\b\nExample:\n  dealflow --tsa URL seal refresh CONTRACT.pdf",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(seal_app, name="seal", rich_help_panel="Contracts")

TrustOption = Annotated[
    list[Path] | None,
    typer.Option(
        "--trust",
        metavar="FILE",
        help="A root certificate legal trusts (PEM or DER); repeat for several. "
        "Default: the files $DEALFLOW_TRUST names (separated by the path separator).",
    ),
]


def _trust(given: list[Path] | None) -> tuple[Path, ...]:
    from dealflow.bootstrap import trust_files

    return trust_files(given or ())


def _moment(value: str | None) -> datetime | None:
    """``--at``: an ISO date (its start, UTC) or date and time (UTC unless it says)."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise typer.BadParameter(
            f"{value!r} is not an ISO date or date and time (e.g. 2031-01-15 or 2031-01-15T09:00Z)",
            param_hint="--at",
        ) from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _seal_summary(verdict: Verdict) -> str:
    """The seal in a few words for the last line: level, fingerprint, and trust."""
    level = f"PAdES-{verdict.seal_level}" if verdict.seal_level else "sealed"
    time = "" if verdict.signing_time is not None else ", no trusted time"
    trust = (
        "; the signer was NOT checked against trusted roots (--trust)"
        if verdict.trusted is None
        else ""
    )
    return f"{level}{time}, certificate sha256 {verdict.fingerprint}{trust}"


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
    trust: TrustOption = None,
    at: Annotated[
        str | None,
        typer.Option(
            "--at",
            metavar="DATE",
            help="Judge the seal as of this date (ISO, e.g. 2031-01-15) instead of now.",
        ),
    ] = None,
) -> None:
    """Verify a contract PDF: seal well formed and intact (and, with --trust, issued under a
    root legal trusts and valid at the trusted signing time), the agreement hashing to the
    printed hash, signatures on that hash and, with a store, the deal's signed version and
    kept PDF. Exit 0 when everything holds, 1 naming each failed check.

    \b
    Example:
      dealflow verify DF-3F2A9C1B7D4E-V1-id-en.pdf --trust root.pem
    """
    from dealflow.application.verification import MAX_CONTRACT_BYTES
    from dealflow.bootstrap import verify_contract
    from dealflow.files.local import read_file

    data = read_file(file, MAX_CONTRACT_BYTES)
    moment = _moment(at)
    roots = _trust(trust)
    opts = options(ctx)
    root = ctx.find_root()
    source = root.get_parameter_source("store")
    # A store named on this command line, not merely $DEALFLOW_STORE: legal checks a file
    # against a store on purpose.
    given = source is not None and source.name == "COMMANDLINE"
    if store is not None:
        opts.store = store
    deals = service(ctx) if store is not None or given else None
    verdict = verify_contract(data, deals, trust=roots, at=moment)
    if opts.json:
        signed_at = verdict.signing_time
        emit_json(
            {
                "ok": verdict.ok,
                "contract_number": verdict.contract_number,
                "signer": verdict.signer,
                "fingerprint": verdict.fingerprint,
                "seal_level": verdict.seal_level,
                "signing_time": signed_at.isoformat() if signed_at else None,
                "trusted_time": signed_at is not None,
                "trusted": verdict.trusted,
                "trust_checked": verdict.trusted is not None,
                "at": moment.isoformat() if moment else None,
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
            say(
                f"VERIFIED: {verdict.contract_number}, sealed by {verdict.signer}, "
                f"{_seal_summary(verdict)}"
            )
        else:
            out.print(
                f"NOT VERIFIED: failed {', '.join(verdict.failed)}", markup=False, highlight=False
            )
    if not verdict.ok:
        raise typer.Exit(1)


@seal_app.command("refresh")
def seal_refresh(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(metavar="FILE.pdf", help="The sealed contract PDF.")],
    trust: TrustOption = None,
) -> None:
    """Add a new document timestamp to a sealed contract, with fresh validation data for the
    last one (PAdES-B-LTA renewal), and write it back in place. Do it before the last
    timestamp's certificate expires. Needs a timestamp authority: --tsa URL or $DEALFLOW_TSA.

    \b
    Example:
      dealflow --tsa https://tsa.example seal refresh DF-3F2A9C1B7D4E-V1.pdf
    """
    from dealflow.application.verification import MAX_CONTRACT_BYTES
    from dealflow.bootstrap import make_seal_judge, refresh_seal_timestamp, tsa_url
    from dealflow.errors import SealError
    from dealflow.files.local import read_file, write_file

    opts = options(ctx)
    tsa = tsa_url(opts.tsa)
    if tsa is None:
        raise SealError("seal refresh needs a timestamp authority: give --tsa URL or DEALFLOW_TSA")
    roots = make_seal_judge().trust_roots(_trust(trust))
    data = read_file(file, MAX_CONTRACT_BYTES)
    before = _judged(data, roots)
    if not before.ok:
        raise SealError(f"{file} is not timestamped: its seal does not hold: {before.detail}")
    refreshed = refresh_seal_timestamp(data, tsa, roots)
    after = _judged(refreshed, roots)
    if not after.ok or len(after.timestamps) != len(before.timestamps) + 1:
        raise SealError(
            f"{file} was left as it was: the new timestamp does not hold: {after.detail}"
        )
    write_file(file, refreshed)
    stamped = after.timestamps[-1]
    if opts.json:
        emit_json(
            {
                "file": str(file),
                "seal_level": after.level,
                "timestamps": [moment.isoformat() for moment in after.timestamps],
                "timestamp": stamped.isoformat(),
                "tsa": tsa,
            }
        )
        return
    say(
        f"Timestamped {file}: document timestamp {len(after.timestamps)} at "
        f"{stamped.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC by {tsa}; PAdES-{after.level}"
    )


def _judged(data: bytes, roots: tuple[Any, ...]) -> SealFinding:
    """The seal of ``data`` judged now; a file the PDF libraries fail on is a SealError."""
    from dealflow.bootstrap import make_seal_judge
    from dealflow.errors import SealError

    try:
        return make_seal_judge().judge(data, roots)
    except Exception as exc:  # whatever a damaged file makes the libraries raise: one line
        said = " ".join(str(exc).split())[:160] or type(exc).__name__
        raise SealError(f"the seal cannot be read: {said}") from None


@keys_app.command("dev")
def keys_dev(
    ctx: typer.Context,
    folder: Annotated[
        Path, typer.Argument(metavar="DIR", help="Where to write dev-seal.p12 and dev-seal.pem.")
    ],
) -> None:
    """Create a self-signed development seal certificate, DIR/dev-seal.p12 (empty password),
    and the certificate alone, DIR/dev-seal.pem, to trust when verifying; print how to use
    them. For trying the flow only: it proves nothing to anyone else.

    \b
    Example:
      dealflow keys dev ./keys
    """
    from dealflow.bootstrap import make_dev_seal

    for name in ("dev-seal.p12", "dev-seal.pem"):
        target = folder / name
        if os.path.lexists(target):  # a link there, even dangling, is never written through
            raise typer.BadParameter(f"{target} exists; remove it or choose another folder")
    made = make_dev_seal(folder)
    pem = made.with_suffix(".pem")
    if options(ctx).json:
        emit_json(
            {
                "cert": str(made.resolve()),
                "trust": str(pem.resolve()),
                "password": "",
                "development_only": True,
            }
        )
        return
    say(f"Wrote {made} (self-signed, empty password, valid two years; development only)")
    out.print("Seal signed contracts with it:", markup=False)
    out.print(f"  export DEALFLOW_CERT={made.resolve()} DEALFLOW_CERT_PASSWORD=", markup=False)
    out.print(
        "  dealflow demo    # or: dealflow contract DEAL, after both sides signed", markup=False
    )
    out.print(f"Trust it when verifying ({pem} is the certificate alone):", markup=False)
    out.print(f"  dealflow verify FILE.pdf --trust {pem}", markup=False)
    out.print(f"  # or: export DEALFLOW_TRUST={pem.resolve()}", markup=False)
