"""Benchmark of contract rendering: what dealflow adds to WeasyPrint, and a kept PDF's fetch.

Every figure is a median (the machine is noisy) and is printed next to its target and as a
ratio to a baseline measured in the same run:

1. The render of the sample contract: the demo deal (``dealflow.application.demo.run_demo`` on a
   ``DealService`` over a ``MemoryEventStore`` with a ``FixedClock``) played to signed and on
   into service; its signed contract version 1 rendered by
   ``PdfRenderer(TemplateSet()).render(contract_document(deal, language=...))``, the whole
   path: the contract document, the sandboxed Jinja render, and WeasyPrint's PDF/A-3b with
   ``terms.json`` attached through dealflow's template fetcher. The renderer is built once, as
   a service keeps it. Baseline: bare WeasyPrint on the identical HTML (from
   ``TemplateSet().html(document)``), with the same ``base_url`` so that the fonts load, the
   default URL fetcher and no PDF/A options: ``HTML(string=html, base_url=...).write_pdf()``.
   Target: dealflow <= 1.10x bare, for each language: en, id and id+en (the sample deal's own
   language, the headline figure). Both are warmed up once, then timed interleaved (dealflow,
   bare, dealflow, bare...) over ``--rounds`` rounds (default 7), each call after a full
   collection; the page counts of both PDFs are printed, and, for information, the template
   render alone.
2. The fetch of a signed version already kept: a ``DealService`` on a ``SQLiteEventStore`` in
   a temporary folder with ``renderer=PdfRenderer()`` plays the demo; the first
   ``service.contract(deal_id, version=1)`` renders and keeps the PDF; then the same call is
   timed many times on the same service (deal cached: the usual case of a long-running
   process), each call checked to return ``stored=True`` and the kept bytes. A second row:
   the same call on a new service each time (no deal cached, so the deal is loaded from SQLite
   first); for information, a plain sqlite3 ``SELECT`` of the kept bytes. Baseline: the
   median render of part 1 in the same language (the deal's own, id+en). Target: <= 1% of a
   render.

Run ``python bench/render.py`` from the repository root (``--quick`` for fewer rounds and
calls, ``--rounds N`` to choose the rounds of part 1). It reports and never asserts: the exit
code is 0 whatever the figures, and a part that fails prints why and the rest still runs.
"""

from __future__ import annotations

import argparse
import gc
import io
import platform
import sqlite3
import statistics
import sys
import tempfile
import traceback
from collections.abc import Callable
from contextlib import closing
from dataclasses import astuple, dataclass
from datetime import UTC, datetime
from pathlib import Path
from time import perf_counter
from typing import TypeVar

from pypdf import PdfReader

from dealflow import (
    ContractPdf,
    Deal,
    DealService,
    FixedClock,
    Language,
    MemoryEventStore,
    SQLiteEventStore,
    Stage,
    contract_document,
)
from dealflow.adapters.rendering.pdf import PdfRenderer
from dealflow.adapters.rendering.templates import TemplateSet
from dealflow.application.demo import run_demo

RENDER_RATIO_TARGET = 1.10
STORED_SHARE_TARGET = 0.01

ROUNDS = 7
QUICK_ROUNDS = 3
#: Calls of the kept-PDF fetch on the same service, and on a new service each.
STORED_CALLS = 1_000
QUICK_STORED_CALLS = 200
FRESH_CALLS = 200
QUICK_FRESH_CALLS = 50
#: Calls of the template render alone (information).
TEMPLATE_CALLS = 30
QUICK_TEMPLATE_CALLS = 10

LANGUAGES = (Language.EN, Language.ID, Language.ID_EN)
SIGNED_VERSION = 1

T = TypeVar("T")

# The clock never moves: the deal's events, hence the contract's dates and bytes, are the same
# from run to run.
CLOCK = FixedClock(datetime(2026, 6, 1, 9, 0, tzinfo=UTC))


class NotStoredError(RuntimeError):
    """A fetch of a kept version rendered again, or returned other bytes."""


# Measuring --------------------------------------------------------------------------------


def timed(action: Callable[[], T]) -> tuple[float, T]:
    """Seconds of one call after a full collection (so that no call pays for the garbage of
    the one before; the collector stays on during the call, as for real callers), and what it
    returned."""
    gc.collect()
    start = perf_counter()
    result = action()
    return perf_counter() - start, result


def pages(pdf: bytes) -> int:
    return len(PdfReader(io.BytesIO(pdf)).pages)


def signed_demo_deal(service: DealService) -> Deal:
    """The demo deal played to its end (signed, then in service); its contract version 1 is
    the signed one."""
    *_, (_, deal) = run_demo(service)
    signed = [c.contract_version for c in deal.contracts]
    if deal.stage is not Stage.IN_SERVICE or SIGNED_VERSION not in signed:
        raise RuntimeError(
            f"the demo ended at {deal.stage.value} with signed versions {signed}; "
            f"expected in_service with version {SIGNED_VERSION} signed"
        )
    return deal


@dataclass(frozen=True)
class RenderFigures:
    """Seconds (medians) and page counts of one language's render, dealflow and bare."""

    language: Language
    dealflow: float
    bare: float
    template: float
    dealflow_pages: int
    bare_pages: int
    html_chars: int
    #: dealflow / bare of each round: their spread shows the noise.
    round_ratios: tuple[float, ...]

    @property
    def ratio(self) -> float:
        return self.dealflow / self.bare


def measure_render(
    rounds: int, template_calls: int, deal: Deal, renderer: PdfRenderer, language: Language
) -> RenderFigures:
    """dealflow's whole render against bare WeasyPrint on the same HTML, interleaved."""
    from weasyprint import HTML

    templates = renderer.templates
    html = templates.html(contract_document(deal, SIGNED_VERSION, language))
    base_url = templates.base_url

    def dealflow_render() -> bytes:
        return renderer.render(contract_document(deal, SIGNED_VERSION, language))

    def bare_render() -> bytes:
        return bytes(HTML(string=html, base_url=base_url).write_pdf())

    def template_only() -> str:
        return templates.html(contract_document(deal, SIGNED_VERSION, language))

    # Warm-up, one each (not timed): their PDFs give the page counts.
    ours, bare = dealflow_render(), bare_render()
    samples: dict[str, list[float]] = {"dealflow": [], "bare": []}
    for _ in range(rounds):
        samples["dealflow"].append(timed(dealflow_render)[0])
        samples["bare"].append(timed(bare_render)[0])
    template = statistics.median(timed(template_only)[0] for _ in range(template_calls))
    return RenderFigures(
        language=language,
        dealflow=statistics.median(samples["dealflow"]),
        bare=statistics.median(samples["bare"]),
        template=template,
        dealflow_pages=pages(ours),
        bare_pages=pages(bare),
        html_chars=len(html),
        round_ratios=tuple(
            a / b for a, b in zip(samples["dealflow"], samples["bare"], strict=True)
        ),
    )


@dataclass(frozen=True)
class StoredFigures:
    """Seconds (medians) of fetching a kept signed version from the SQLite store."""

    language: Language
    file_name: str
    pages: int
    size: int
    first: float
    first_stored: bool
    same_service: float
    same_calls: int
    new_service: float
    new_calls: int
    plain_select: float


def checked(got: ContractPdf, kept: bytes) -> None:
    if not got.stored:
        raise NotStoredError("service.contract returned stored=False: it rendered again")
    if got.pdf != kept:
        raise NotStoredError("service.contract returned other bytes than the kept ones")


def measure_stored(calls: int, fresh_calls: int, folder: Path) -> StoredFigures:
    """The first ``contract`` call renders and keeps; the next ones fetch the kept bytes."""
    db = folder / "contracts.db"
    store = SQLiteEventStore(db)
    try:
        renderer = PdfRenderer()
        service = DealService(store, CLOCK, renderer=renderer)
        deal_id = signed_demo_deal(service).id
        first_time, first = timed(lambda: service.contract(deal_id, version=SIGNED_VERSION))
        kept = first.pdf

        def fetch(on: DealService) -> float:
            gc.collect(0)  # the young generation only: a full collection per call is slow
            start = perf_counter()
            got = on.contract(deal_id, version=SIGNED_VERSION)
            elapsed = perf_counter() - start
            checked(got, kept)
            return elapsed

        gc.collect()
        same = [fetch(service) for _ in range(calls)]
        # A new service has no deal cached: each call loads the deal from SQLite first. The
        # renderer instance is shared (building one reads the clause library); a kept version
        # never reaches it.
        gc.collect()
        new = [fetch(DealService(store, CLOCK, renderer=renderer)) for _ in range(fresh_calls)]

        query = "SELECT data FROM artifacts WHERE deal_id = ? AND name = ?"
        name = first.document.file_name
        with closing(sqlite3.connect(db)) as raw:
            if raw.execute(query, (deal_id, name)).fetchone() is None:
                raise NotStoredError(f"no artifact {name!r} in the store's artifacts table")

            def plain_select() -> float:
                gc.collect(0)  # as for the fetches
                start = perf_counter()
                bytes(raw.execute(query, (deal_id, name)).fetchone()[0])
                return perf_counter() - start

            gc.collect()
            select = [plain_select() for _ in range(calls)]
    finally:
        store.close()
    return StoredFigures(
        language=first.document.language,
        file_name=name,
        pages=pages(kept),
        size=len(kept),
        first=first_time,
        first_stored=first.stored,
        same_service=statistics.median(same),
        same_calls=calls,
        new_service=statistics.median(new),
        new_calls=fresh_calls,
        plain_select=statistics.median(select),
    )


# Reporting --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One line of the summary table."""

    figure: str
    measured: str
    baseline: str
    ratio: str
    target: str
    verdict: str


HEADER = Row("figure", "measured", "baseline", "ratio", "target", "verdict")


def verdict(ok: bool) -> str:
    return "OK" if ok else "OVER"


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms"


def fine_ms(seconds: float) -> str:
    return f"{seconds * 1e3:.3f} ms"


def print_table(rows: list[Row]) -> None:
    table = [astuple(row) for row in [HEADER, *rows]]
    widths = [max(len(cells[i]) for cells in table) for i in range(len(table[0]))]
    for cells in table:
        print("   " + "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip())


def report_render(
    figures: RenderFigures, headline: Language, rows: list[Row], renders: dict[Language, float]
) -> None:
    f = figures
    name = f.language.value
    renders[f.language] = f.dealflow
    ok = f.ratio <= RENDER_RATIO_TARGET
    same = "" if f.dealflow_pages == f.bare_pages else " (PAGE COUNTS DIFFER)"
    rest = f.dealflow - f.bare - f.template
    print(
        f"   {name}: dealflow {ms(f.dealflow)} ({f.dealflow_pages} pages), bare WeasyPrint "
        f"{ms(f.bare)} ({f.bare_pages} pages){same}, ratio {f.ratio:.3f}x "
        f"(target <= {RENDER_RATIO_TARGET:.2f}x) {verdict(ok)}"
    )
    print(
        f"     HTML {f.html_chars:,} characters; template render alone (contract_document + "
        f"TemplateSet.html) {ms(f.template)} = {f.template / f.bare:.1%} of bare; the rest of "
        f"the difference (PDF/A-3b, terms.json, the template fetcher, noise) {ms(rest)}; "
        f"ratio of each round {min(f.round_ratios):.3f}x to {max(f.round_ratios):.3f}x (noise)"
    )
    label = f"render {name}" + (" (headline)" if f.language is headline else "")
    rows.append(
        Row(
            label,
            ms(f.dealflow),
            f"{ms(f.bare)} bare WeasyPrint",
            f"{f.ratio:.3f}x",
            f"<= {RENDER_RATIO_TARGET:.2f}x",
            verdict(ok),
        )
    )


def report_stored(s: StoredFigures, renders: dict[Language, float], rows: list[Row]) -> None:
    name = s.language.value
    render = renders.get(s.language)
    first = "stored=True (kept before?)" if s.first_stored else "stored=False, rendered and kept"
    print(
        f"   {s.file_name} ({s.pages} pages, {s.size / 1e3:.0f} kB): first call "
        f"{ms(s.first)}, {first}"
    )
    print(
        f"   same service, {s.same_calls:,} calls, stored=True and the kept bytes every call: "
        f"median {fine_ms(s.same_service)}"
    )
    print(
        f"   new service each call (deal loaded from SQLite first), {s.new_calls:,} calls: "
        f"median {fine_ms(s.new_service)}; plain sqlite3 SELECT of the kept bytes "
        f"{fine_ms(s.plain_select)}"
    )
    if render is None:
        print(f"   no render of {name} measured in part 1: no ratio")
        return
    for label, seconds in (("same service", s.same_service), ("new service", s.new_service)):
        share = seconds / render
        rows.append(
            Row(
                f"stored fetch {name}, {label}",
                fine_ms(seconds),
                f"{ms(render)} render {name}",
                f"{share:.3%}",
                f"<= {STORED_SHARE_TARGET:.0%}",
                verdict(share <= STORED_SHARE_TARGET),
            )
        )


def failed(part: str, exc: Exception, rows: list[Row]) -> None:
    """Report a part that could not be measured, and go on."""
    print(f"   FAILED: {type(exc).__name__}: {exc}")
    traceback.print_exc(file=sys.stderr)
    rows.append(Row(part, "-", "-", "-", "-", "ERROR"))


# Main -------------------------------------------------------------------------------------


def main() -> None:
    import weasyprint

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--quick", action="store_true", help=f"{QUICK_ROUNDS} rounds and fewer fetches"
    )
    parser.add_argument(
        "--rounds", type=int, help=f"rounds of part 1 (default {ROUNDS}, {QUICK_ROUNDS} quick)"
    )
    args = parser.parse_args()
    rounds = max(1, args.rounds or (QUICK_ROUNDS if args.quick else ROUNDS))
    calls = QUICK_STORED_CALLS if args.quick else STORED_CALLS
    fresh_calls = QUICK_FRESH_CALLS if args.quick else FRESH_CALLS
    template_calls = QUICK_TEMPLATE_CALLS if args.quick else TEMPLATE_CALLS
    began = perf_counter()
    print(
        f"dealflow render benchmark: medians of {rounds} rounds (Python "
        f"{platform.python_version()}, WeasyPrint {weasyprint.__version__}, "
        f"SQLite {sqlite3.sqlite_version})"
    )
    rows: list[Row] = []
    renders: dict[Language, float] = {}

    deal = signed_demo_deal(DealService(MemoryEventStore(), CLOCK))
    headline = deal.language
    number = contract_document(deal, SIGNED_VERSION).number
    print(
        f"1. render of the signed sample contract {number} (memory store), dealflow vs bare "
        f"WeasyPrint, interleaved, warmed up once; renderer built once"
    )
    renderer = PdfRenderer(TemplateSet())
    for language in LANGUAGES:
        try:
            figures = measure_render(rounds, template_calls, deal, renderer, language)
        except Exception as exc:
            failed(f"render {language.value}", exc, rows)
            continue
        report_render(figures, headline, rows, renders)

    print(
        f"2. fetch of signed version {SIGNED_VERSION} already kept, SQLite store in a "
        "temporary folder, timed on the same service"
    )
    with tempfile.TemporaryDirectory(prefix="dealflow-bench-") as name:
        try:
            stored = measure_stored(calls, fresh_calls, Path(name))
        except Exception as exc:
            failed("stored fetch", exc, rows)
        else:
            report_stored(stored, renders, rows)

    print()
    print_table(rows)
    print(f"run time {perf_counter() - began:.1f} s")


if __name__ == "__main__":
    main()
