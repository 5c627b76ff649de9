"""The contract commands: ``dealflow contract`` (one deal, or every deal in worker processes)
and ``dealflow templates check``."""

from __future__ import annotations

import hashlib
import os
import sys
from concurrent.futures import ProcessPoolExecutor, as_completed
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from dealflow.application.contracts import unsealed_original
from dealflow.cli.app import app
from dealflow.cli.base import emit_json, err, options, out, say, service
from dealflow.cli.commandline import CommandLine
from dealflow.errors import DealflowError, RenderError
from dealflow.files.local import check_target, make_folder, write_file

if TYPE_CHECKING:
    from dealflow.domain.contract import ContractPdf

templates_app = CommandLine(
    help="Check contract templates.\n\n\b\nExamples:\n  dealflow templates check\n"
    "  dealflow templates check my-templates/",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(templates_app, name="templates", rich_help_panel="Contracts")


class LanguageName(StrEnum):
    """Contract languages."""

    EN = "en"
    ID = "id"
    ID_EN = "id+en"


_worker = None


def _start_worker(store: str | None, templates: str | None, cert: str | None) -> None:
    """A worker process's own connection to the store (the first render builds its renderer)."""
    global _worker  # noqa: PLW0603 - one service per worker process
    from dealflow.bootstrap import connect

    _worker = connect(store, templates=[templates] if templates else None, cert=cert)


def _render_one(deal_id: str, language: str | None, folder: str) -> tuple[str, str, str, bool]:
    """Render one deal's contract in a worker; returns (deal id, file, sha256, kept)."""
    assert _worker is not None
    result = _worker.contract(deal_id, language=language)
    path = Path(folder) / result.document.file_name
    write_file(path, result.pdf)
    return deal_id, str(path), result.sha256, result.stored


def _render_all(ctx: typer.Context, language: str | None, folder: Path) -> None:
    from rich.progress import Progress

    opts = options(ctx)
    deal_ids = service(ctx).store.deal_ids()
    results: list[dict[str, object]] = []
    failures: list[str] = []
    in_memory = (opts.store or "").startswith("memory:")
    # The bar is for a person at a terminal: piped, it would leave an empty line on stderr.
    quiet = opts.json or not err.is_terminal
    with Progress(console=err.console, transient=True, disable=quiet) as progress:
        task = progress.add_task("Rendering contracts", total=len(deal_ids))
        if in_memory or len(deal_ids) <= 1:
            outcomes = []
            for deal_id in deal_ids:
                try:
                    result = service(ctx).contract(deal_id, language=language)
                    path = folder / result.document.file_name
                    write_file(path, result.pdf)
                    outcomes.append((deal_id, str(path), result.sha256, result.stored))
                except DealflowError as exc:
                    failures.append(f"{deal_id}: {exc}")
                progress.advance(task)
        else:
            outcomes = []
            workers = max(1, min(len(deal_ids), os.cpu_count() or 1))
            with ProcessPoolExecutor(
                workers, initializer=_start_worker, initargs=(opts.store, opts.templates, opts.cert)
            ) as pool:
                futures = {
                    pool.submit(_render_one, deal_id, language, str(folder)): deal_id
                    for deal_id in deal_ids
                }
                for future in as_completed(futures):
                    try:
                        outcomes.append(future.result())
                    except DealflowError as exc:
                        failures.append(f"{futures[future]}: {exc}")
                    progress.advance(task)
    order = {deal_id: n for n, deal_id in enumerate(deal_ids)}
    for deal_id, written, sha, stored in sorted(outcomes, key=lambda o: order[o[0]]):
        results.append({"deal": deal_id, "file": written, "sha256": sha, "stored": stored})
    if opts.json:
        emit_json({"contracts": results, "failed": failures})
    else:
        for row in results:
            out.print(f"{row['deal']}  {row['file']}", markup=False, highlight=False)
        say(f"{len(results)} contract(s) written to {folder}")
    for failure in failures:
        err.print(f"error: {failure}", markup=False)
    if failures:
        raise typer.Exit(1)


@app.command(rich_help_panel="Contracts")
def contract(
    ctx: typer.Context,
    deal_id: Annotated[
        str | None, typer.Argument(metavar="DEAL", help="The deal's id (omit with --all).")
    ] = None,
    output: Annotated[
        str | None,
        typer.Option(
            "-o",
            "--output",
            metavar="FILE",
            help="Where to write the PDF: a file, a folder (the contract's own file name "
            "inside it), or '-' for standard output. Default: the current folder.",
        ),
    ] = None,
    lang: Annotated[
        LanguageName | None,
        typer.Option("--lang", help="Contract language; default: the deal's."),
    ] = None,
    version: Annotated[
        int | None,
        typer.Option(
            "--version",
            min=1,
            metavar="N",
            help="A signed contract version; default: the contract in force, or a draft.",
        ),
    ] = None,
    every: Annotated[
        bool, typer.Option("--all", help="Render every deal in the store, in worker processes.")
    ] = False,
    out_dir: Annotated[
        Path | None,
        typer.Option("--out", metavar="DIR", help="With --all: the folder to write into."),
    ] = None,
) -> None:
    """Render a deal's contract as a PDF/A-3b file: the signed version in force, or a DRAFT.

    A signed version is rendered once and kept in the store; asking again returns the same
    bytes. The PDF embeds the signed terms as terms.json.

    \b
    Examples:
      dealflow contract 3f2a9c1b7d4e -o contract.pdf --lang id+en
      dealflow contract --all --out contracts/
    """
    language = lang.value if lang else None
    if every:
        if deal_id is not None or output is not None or version is not None:
            raise typer.BadParameter("--all takes no DEAL, -o or --version; use --out DIR")
        _render_all(ctx, language, make_folder(out_dir) if out_dir else Path.cwd())
        return
    if deal_id is None:
        raise typer.BadParameter("give a DEAL id, or --all --out DIR")
    if out_dir is not None:
        raise typer.BadParameter("--out is for --all; use -o FILE for one contract")
    if output == "-" and options(ctx).json:
        raise typer.BadParameter("-o - writes the PDF itself to stdout; leave out --json")
    into_folder = False
    if output and output != "-":
        into_folder = Path(output).is_dir() or output.endswith(("/", os.sep))
        if not into_folder:
            check_target(output)  # before rendering, which keeps a signed contract in the store
    if output != "-" and (into_folder or not output):
        # The file's name comes from the contract: know it, and check where it goes, before
        # rendering keeps a signed contract in the store.
        from dealflow.domain.contract import contract_document
        from dealflow.domain.deal import Language

        chosen = Language(language) if language else None
        name = contract_document(service(ctx).get(deal_id), version, chosen).file_name
        folder = make_folder(Path(output)) if output and into_folder else Path.cwd()
        check_target(folder / name)
    result = service(ctx).contract(deal_id, version=version, language=language)
    document = result.document
    if output == "-":
        sys.stdout.buffer.write(result.pdf)
        sys.stdout.buffer.flush()
        return
    path = Path(output) if output else Path(document.file_name)
    if into_folder:
        make_folder(path)
        path = path / document.file_name
    write_file(path, result.pdf)
    _wrote(ctx, result, path)


def _wrote(ctx: typer.Context, result: ContractPdf, path: Path) -> None:
    """What ``contract`` wrote: one line and the hashes for a person, or JSON."""
    document = result.document
    if options(ctx).json:
        emit_json(
            {
                "deal": document.deal_id,
                "contract_number": document.number,
                "contract_version": document.contract_version,
                "language": document.language.value,
                "signed": document.signed,
                "stored": result.stored,
                "file": str(path),
                "sha256": result.sha256,
                "terms_hash": document.terms_hash,
                "agreement_hash": document.agreement_hash,
                "unsealed_sha256": hashlib.sha256(unsealed_original(result.pdf)).hexdigest(),
                "seal_level": result.seal_level,
                "notes": list(result.notes),
            }
        )
        return
    if not document.signed:
        status = f"DRAFT contract {document.number}"
    elif result.stored:
        status = f"signed contract {document.number}, as kept in the store"
    else:
        level = f" (PAdES-{result.seal_level})" if result.seal_level else ""
        sealed = f"sealed by {document.seal}{level}" if document.seal else "UNSEALED: no --cert"
        status = f"signed contract {document.number}, {sealed}, kept in the store"
    say(f"Wrote {path} ({status})")
    for note in result.notes:
        say(f"Note: {note}")
    out.print(f"sha256 {result.sha256}", markup=False, highlight=False)
    original = unsealed_original(result.pdf)
    if original != result.pdf:
        unsealed = hashlib.sha256(original).hexdigest()
        out.print(f"unsealed sha256 {unsealed}", markup=False, highlight=False)
    out.print(f"agreement {document.agreement_hash}", markup=False, highlight=False)


@templates_app.command("check")
def templates_check(
    ctx: typer.Context,
    folder: Annotated[
        Path | None,
        typer.Argument(
            metavar="DIR",
            help="A template folder to check over the built-ins; default: the built-ins "
            "alone (or $DEALFLOW_TEMPLATES).",
        ),
    ] = None,
) -> None:
    """Render every template against sample deals in every language and report problems:
    missing variables, unknown clause ids, fetches outside the template folders, bad CSS.

    \b
    Example:
      dealflow templates check ./our-templates
    """
    from dealflow.bootstrap import check_templates, template_dirs

    opts = options(ctx)
    folders = template_dirs([folder] if folder else ([opts.templates] if opts.templates else None))
    if folder is not None and not folder.is_dir():
        raise RenderError(f"template folder {str(folder)!r} does not exist")
    report = check_templates(folders)
    if opts.json:
        emit_json(
            {
                "renders": report.renders,
                "problems": [
                    {
                        "template": p.template,
                        "line": p.line,
                        "problem": p.problem,
                        "sample": p.sample,
                        "language": p.language,
                    }
                    for p in report.problems
                ],
                "notes": list(report.notes),
            }
        )
    else:
        for problem in report.problems:
            out.print(str(problem), markup=False, highlight=False)
        for note in report.notes:
            say(f"Note: {note}")
        where = ", ".join(str(f) for f in folders) or "the built-in templates"
        if report.problems:
            err.print(f"{len(report.problems)} problem(s) in {where}", markup=False)
        else:
            say(f"ok: {report.renders} renders of {where}, no problems")
    if report.problems:
        raise typer.Exit(1)
