"""Benchmark of contract rendering: what dealflow adds to WeasyPrint, and a kept PDF's fetch.

Every figure is a median (the machine is noisy) and is printed next to its target and as a
ratio to a baseline measured in the same run:

1. The render of the sample contract: the demo deal (``dealflow.application.demo.play_demo`` on a
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
   timed many times (1,000; 200 quick) on the same service (deal cached: the usual case of a
   long-running process), each call checked to return ``stored=True`` and the kept bytes. A
   second row: the same call on a new service each time (no deal cached, so the deal is loaded
   from SQLite first); for information, a plain sqlite3 ``SELECT`` of the kept bytes. The
   three are timed in turns. Baseline: the median render of part 1 in the same language (the
   deal's own, id+en). Target: <= 1% of a render.

Run ``python bench/render.py`` from the repository root (``--quick`` for fewer rounds and
calls, ``--rounds N`` to choose the rounds of part 1). It reports and never asserts: the exit
code is 0 whatever the figures, and a part that fails prints why and the rest still runs. The
output ends with a table of the figures against their targets.
"""

from __future__ import annotations

import gc
import sqlite3
import statistics
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from functools import partial
from pathlib import Path

from _common import Row, Run, Target, attempt, interleave, medians, ms, scratch, spread, timed
from _sample import SIGNED_VERSION, demo_service, fixed_clock, pages, signed_demo_deal

from dealflow import ContractPdf, Deal, DealService, Language, contract_document
from dealflow.adapters.rendering.pdf import PdfRenderer

RENDER_RATIO_TARGET = Target(1.10, "1.10x")
STORED_SHARE_TARGET = Target(0.01, "1%")

#: Calls of the kept-PDF fetch on the same service, on a new service, and of a plain SELECT,
#: each, in turns.
STORED_CALLS = 1_000
QUICK_STORED_CALLS = 200
#: Calls of the template render alone (information).
TEMPLATE_CALLS = 30
QUICK_TEMPLATE_CALLS = 10

LANGUAGES = (Language.EN, Language.ID, Language.ID_EN)

# The clock never moves: the deal's events, hence the contract's dates and bytes, are the same
# from run to run.
CLOCK = fixed_clock()


class NotStoredError(RuntimeError):
    """A fetch of a kept version rendered again, or returned other bytes."""


# Measuring --------------------------------------------------------------------------------


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
    #: The seconds of each round, dealflow's and bare's: their ratios show the noise.
    rounds: tuple[tuple[float, ...], tuple[float, ...]]

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
    samples = interleave(
        {"dealflow": lambda: timed(dealflow_render)[0], "bare": lambda: timed(bare_render)[0]},
        rounds,
    )
    found = medians(samples)
    template = statistics.median(timed(template_only)[0] for _ in range(template_calls))
    return RenderFigures(
        language=language,
        dealflow=found["dealflow"],
        bare=found["bare"],
        template=template,
        dealflow_pages=pages(ours),
        bare_pages=pages(bare),
        html_chars=len(html),
        rounds=(tuple(samples["dealflow"]), tuple(samples["bare"])),
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
    new_service: float
    calls: int
    plain_select: float


def checked(got: ContractPdf, kept: bytes) -> None:
    if not got.stored:
        raise NotStoredError("service.contract returned stored=False: it rendered again")
    if got.pdf != kept:
        raise NotStoredError("service.contract returned other bytes than the kept ones")


def measure_stored(calls: int, folder: Path) -> StoredFigures:
    """The first ``contract`` call renders and keeps; the next ones fetch the kept bytes."""
    db = folder / "contracts.db"
    renderer = PdfRenderer()
    service = demo_service(db, clock=CLOCK, renderer=renderer)
    store = service.store
    try:
        deal_id = signed_demo_deal(service).id
        first_time, first = timed(lambda: service.contract(deal_id, version=SIGNED_VERSION))
        kept = first.pdf

        def fetch(on: Callable[[], DealService]) -> Callable[[], float]:
            def measure() -> float:
                service = on()
                gc.collect(0)  # the young generation only: a full collection per call is slow
                elapsed, got = timed(
                    lambda: service.contract(deal_id, version=SIGNED_VERSION), collect=False
                )
                checked(got, kept)
                return elapsed

            return measure

        query = "SELECT data FROM artifacts WHERE deal_id = ? AND name = ?"
        name = first.document.file_name
        with closing(sqlite3.connect(db)) as raw:
            if raw.execute(query, (deal_id, name)).fetchone() is None:
                raise NotStoredError(f"no artifact {name!r} in the store's artifacts table")

            def plain_select() -> float:
                gc.collect(0)  # as for the fetches
                return timed(
                    lambda: bytes(raw.execute(query, (deal_id, name)).fetchone()[0]),
                    collect=False,
                )[0]

            gc.collect()
            # A new service has no deal cached: each call loads the deal from SQLite first (the
            # service is built untimed). The renderer instance is shared (building one reads
            # the clause library); a kept version never reaches it.
            found = medians(
                interleave(
                    {
                        "same": fetch(lambda: service),
                        "new": fetch(lambda: demo_service(store, clock=CLOCK, renderer=renderer)),
                        "select": plain_select,
                    },
                    calls,
                )
            )
    finally:
        store.close()
    return StoredFigures(
        language=first.document.language,
        file_name=name,
        pages=pages(kept),
        size=len(kept),
        first=first_time,
        first_stored=first.stored,
        same_service=found["same"],
        new_service=found["new"],
        calls=calls,
        plain_select=found["select"],
    )


# Reporting --------------------------------------------------------------------------------


def fine_ms(seconds: float) -> str:
    return ms(seconds, 3)


def report_render(
    figures: RenderFigures, headline: Language, rows: list[Row], renders: dict[Language, float]
) -> None:
    f = figures
    name = f.language.value
    renders[f.language] = f.dealflow
    same = "" if f.dealflow_pages == f.bare_pages else " (PAGE COUNTS DIFFER)"
    rest = f.dealflow - f.bare - f.template
    print(
        f"   {name}: dealflow {ms(f.dealflow)} ({f.dealflow_pages} pages), bare WeasyPrint "
        f"{ms(f.bare)} ({f.bare_pages} pages){same}, ratio {f.ratio:.3f}x "
        f"{RENDER_RATIO_TARGET.line(f.ratio)}"
    )
    print(
        f"     HTML {f.html_chars:,} characters; template render alone (contract_document + "
        f"TemplateSet.html) {ms(f.template)} = {f.template / f.bare:.1%} of bare; the rest of "
        f"the difference (PDF/A-3b, terms.json, the template fetcher, noise) {ms(rest)}; "
        f"ratio of each round {spread(*f.rounds, lambda r: f'{r:.3f}x')} (noise)"
    )
    label = f"render {name}" + (" (headline)" if f.language is headline else "")
    bare = f"{ms(f.bare)} bare WeasyPrint"
    rows.append(
        Row.of(label, ms(f.dealflow), bare, f"{f.ratio:.3f}x", RENDER_RATIO_TARGET, f.ratio)
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
        f"   same service, {s.calls:,} calls, stored=True and the kept bytes every call: "
        f"median {fine_ms(s.same_service)}"
    )
    print(
        f"   new service each call (deal loaded from SQLite first), {s.calls:,} calls: "
        f"median {fine_ms(s.new_service)}; plain sqlite3 SELECT of the kept bytes "
        f"{fine_ms(s.plain_select)}"
    )
    if render is None:
        print(f"   no render of {name} measured in part 1: no ratio")
        return
    for label, fetch in (("same service", s.same_service), ("new service", s.new_service)):
        rows.append(
            Row.of(
                f"stored fetch {name}, {label}",
                fine_ms(fetch),
                f"{ms(render)} render {name}",
                f"{fetch / render:.3%}",
                STORED_SHARE_TARGET,
                fetch / render,
            )
        )


# Main -------------------------------------------------------------------------------------


def main() -> None:
    import weasyprint

    run = Run(__doc__)
    rows = run.rows
    calls = QUICK_STORED_CALLS if run.quick else STORED_CALLS
    template_calls = QUICK_TEMPLATE_CALLS if run.quick else TEMPLATE_CALLS
    run.header(
        "render", [f"WeasyPrint {weasyprint.__version__}", f"SQLite {sqlite3.sqlite_version}"]
    )
    renders: dict[Language, float] = {}

    deal = signed_demo_deal(demo_service(clock=CLOCK))
    headline = deal.language
    number = contract_document(deal, SIGNED_VERSION).number
    print(
        f"1. render of the signed sample contract {number} (memory store), dealflow vs bare "
        f"WeasyPrint, interleaved, warmed up once; renderer built once"
    )
    renderer = PdfRenderer()  # with its own TemplateSet, as the service builds it
    for language in LANGUAGES:
        figures = attempt(
            f"render {language.value}",
            rows,
            partial(measure_render, run.rounds, template_calls, deal, renderer, language),
        )
        if figures is not None:
            report_render(figures, headline, rows, renders)

    print(
        f"2. fetch of signed version {SIGNED_VERSION} already kept, SQLite store in a "
        "temporary folder: on the same service, on a new service and a plain SELECT, in turns"
    )
    with scratch() as folder:
        stored = attempt("stored fetch", rows, partial(measure_stored, calls, folder))
        if stored is not None:
            report_stored(stored, renders, rows)
    run.finish()


if __name__ == "__main__":
    main()
