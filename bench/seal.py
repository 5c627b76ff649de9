"""Benchmark of sealing and verifying a signed contract, each against its render.

Every figure is a median (the machine is noisy) and is printed next to its target and as a
ratio to a baseline measured in the same run:

1. The render of the signed sample contract, the baseline: the demo deal
   (``dealflow.application.demo.play_demo`` on a ``DealService`` over a ``MemoryEventStore`` with a
   ``FixedClock`` and ``renderer=PdfRenderer(TemplateSet())``) played to signed and on into
   service; its document ``contract_document(deal, language=id+en, events=<the deal's events>,
   seal=<the sealer's subject>)``, with the evidence page, as ``DealService.contract`` builds
   it for a signed version, rendered by ``PdfRenderer.render``. The renderer is built once, as
   a service keeps it.
2. The seal of that PDF at each level, by a certificate (RSA 2048) of a real CA that
   ``tests/pki.py`` runs on 127.0.0.1 (certomancer: CA, OCSP responder, CRL, RFC 3161 TSA, in
   a thread of this process), its PKCS#12 file opened once per level:
   ``Pkcs12Sealer(p12, password).seal(pdf)`` for PAdES-B-B (target: <= 10% of a render);
   ``Pkcs12Sealer(p12, password, tsa=URL, long_term=False)`` for B-T (a signature
   timestamp; no target) and ``Pkcs12Sealer(p12, password, tsa=URL)`` for B-LTA (signature
   timestamp, the OCSP answers fetched, the DSS, a document timestamp; target: <= 25% of a
   render, with that local TSA).
3. The verification of each sealed PDF under the CA's root, ``verify_contract(sealed,
   trust=[root])`` (pdf, contract, agreement, seal and signatures checks); and of a kept PDF
   against its store, ``verify_contract(kept, service)`` (the store check too): a second
   service on a ``SQLiteEventStore`` in the same temporary folder, with the same renderer
   and the B-B sealer, plays the demo, and one ``service.contract(deal_id)`` renders, seals
   and keeps the PDF. No target: the ratio to a render is shown. Every verdict is checked to
   hold, and each seal to be at its level.

Each action is warmed up once (the warm-up's outputs are the inputs of the timed calls: the
render's PDF is sealed, the sealed PDF verified), then all are timed interleaved (render,
seal B-B, seal B-T, seal B-LTA, verify each, verify with store, render...) over ``--rounds``
rounds (default 7), each call after a full collection.

Run ``python bench/seal.py`` from the repository root (it imports ``tests.pki``; ``--quick``
for fewer rounds, ``--rounds N`` to choose them). It reports and never asserts: the exit code
is 0 whatever the figures, and an action that fails prints why and the rest still runs.
"""

from __future__ import annotations

import argparse
import gc
import io
import platform
import statistics
import sys
import tempfile
import traceback
from collections.abc import Callable
from dataclasses import astuple, dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version as installed
from pathlib import Path
from time import perf_counter
from typing import TypeVar

from pypdf import PdfReader

from dealflow import (
    ContractDocument,
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
from dealflow.adapters.signing import Pkcs12Sealer
from dealflow.application.demo import play_demo
from dealflow.application.verification import Verdict, verify_contract
from tests.pki import PASSWORD, LocalPki, running_pki

SEAL_SHARE_TARGET = 0.10
LONG_TERM_SHARE_TARGET = 0.25

ROUNDS = 7
QUICK_ROUNDS = 3

LANGUAGE = Language.ID_EN

RENDER, VERIFY_STORE = "render", "verify with store"
LEVELS = ("B-B", "B-T", "B-LTA")
SEALS = {level: f"seal {level}" for level in LEVELS}
VERIFIES = {level: f"verify {level}" for level in LEVELS}
ACTIONS = (RENDER, *SEALS.values(), *VERIFIES.values(), VERIFY_STORE)

T = TypeVar("T")


def clock() -> FixedClock:
    """A clock that never moves: the deal's events, hence the contract's dates and the
    rendered bytes, are the same from run to run. One per service: a FixedClock can be moved."""
    return FixedClock(datetime(2026, 6, 1, 9, 0, tzinfo=UTC))


class SetupError(RuntimeError):
    """The sample deal, its document or its kept PDF is not what the benchmark needs."""


class VerdictError(RuntimeError):
    """verify_contract did not verify a file it should have."""


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
    """The demo deal played to its end (signed, then in service)."""
    deal = play_demo(service)
    if deal.stage is not Stage.IN_SERVICE or not deal.contracts:
        raise SetupError(
            f"the demo ended at {deal.stage.value} with {len(deal.contracts)} signed "
            "version(s); expected in_service with a signed version"
        )
    return deal


def holds(verdict: Verdict, store: bool) -> Verdict:
    """``verdict``, checked to hold (with a store check when ``store``)."""
    names = {check.name for check in verdict.checks}
    if not verdict.ok:
        details = "; ".join(f"{c.name}: {c.detail}" for c in verdict.checks if not c.ok)
        raise VerdictError(f"verify_contract failed {verdict.failed}: {details}")
    if store and "store" not in names:
        raise VerdictError("verify_contract ran no store check although given a service")
    return verdict


@dataclass
class Subject:
    """What the timed calls work on, and what the warm-up found."""

    document: ContractDocument
    renderer: PdfRenderer
    #: One sealer per level.
    sealers: dict[str, Pkcs12Sealer]
    #: The roots a verify trusts: the local CA's.
    trust: list[Path]
    pdf: bytes = b""
    #: The warm-up's sealed PDF of each level.
    sealed: dict[str, bytes] = field(default_factory=dict)
    kept: ContractPdf | None = None
    store_service: DealService | None = None
    first_contract: float = 0.0
    #: Render bytes differing from the warm-up's (a render should be deterministic).
    render_drift: int = 0
    verdicts: dict[str, Verdict] = field(default_factory=dict)


def keep_signed(
    folder: Path, renderer: PdfRenderer, sealer: Pkcs12Sealer, subject: Subject
) -> None:
    """A service on SQLite with the sealer plays the demo; its first ``contract`` call
    renders, seals and keeps the signed PDF."""
    store = SQLiteEventStore(folder / "d.db")
    service = DealService(store, clock(), renderer=renderer, sealer=sealer)
    subject.store_service = service
    deal = signed_demo_deal(service)
    seconds, kept = timed(lambda: service.contract(deal.id))
    if kept.stored or not kept.document.signed:
        raise SetupError(
            f"the first service.contract returned stored={kept.stored}, "
            f"signed={kept.document.signed}; expected a signed version rendered and kept"
        )
    if service.store.get_artifact(deal.id, kept.document.file_name) != kept.pdf:
        raise SetupError(f"the store does not keep the bytes of {kept.document.file_name}")
    subject.kept, subject.first_contract = kept, seconds


def calls(subject: Subject) -> dict[str, Callable[[], object]]:
    """The timed calls; each works on the warm-up's output of the one before."""
    document, renderer = subject.document, subject.renderer

    def render() -> bytes:
        return renderer.render(document)

    def seal(level: str) -> Callable[[], bytes]:
        return lambda: subject.sealers[level].seal(subject.pdf)

    def verify(level: str) -> Callable[[], Verdict]:
        return lambda: verify_contract(subject.sealed[level], trust=subject.trust)

    def verify_store() -> Verdict:
        assert subject.kept is not None and subject.store_service is not None
        return verify_contract(subject.kept.pdf, subject.store_service)

    return {
        RENDER: render,
        **{SEALS[level]: seal(level) for level in LEVELS},
        **{VERIFIES[level]: verify(level) for level in LEVELS},
        VERIFY_STORE: verify_store,
    }


def check(name: str, subject: Subject, result: object, warm_up: bool) -> None:
    """Check one call's result; the warm-up's outputs become the next actions' inputs."""
    if name == RENDER:
        assert isinstance(result, bytes)
        if warm_up:
            subject.pdf = result
        elif result != subject.pdf:
            subject.render_drift += 1
    elif name in SEALS.values():
        assert isinstance(result, bytes)
        level = name.removeprefix("seal ")
        if not result.startswith(subject.pdf):
            raise VerdictError("the sealed PDF does not extend the rendered one incrementally")
        made = subject.sealers[level].level
        if made != level:
            raise VerdictError(f"sealed {made}, not {level}: {subject.sealers[level].note}")
        if warm_up:
            subject.sealed[level] = result
    else:
        assert isinstance(result, Verdict)
        verdict = holds(result, store=name == VERIFY_STORE)
        if name != VERIFY_STORE and verdict.seal_level != name.removeprefix("verify "):
            raise VerdictError(f"{name}: the verdict says {verdict.seal_level}")
        subject.verdicts[name] = verdict


def measure(
    rounds: int, subject: Subject, unavailable: dict[str, str]
) -> tuple[dict[str, list[float]], dict[str, str]]:
    """Warm each action up once, then time them interleaved; an action that fails, or whose
    input failed, drops out with the reason in the returned failures."""
    todo = calls(subject)
    failures = dict(unavailable)
    needs = {
        **{SEALS[level]: RENDER for level in LEVELS},
        **{VERIFIES[level]: SEALS[level] for level in LEVELS},
    }
    samples: dict[str, list[float]] = {name: [] for name in ACTIONS}

    def run(name: str, warm_up: bool) -> None:
        try:
            seconds, result = timed(todo[name])
            check(name, subject, result, warm_up)
        except Exception as exc:
            failures[name] = f"{type(exc).__name__}: {exc}"
            print(f"   FAILED {name}{' (warm-up)' if warm_up else ''}: {failures[name]}")
            traceback.print_exc(file=sys.stderr)
            return
        if not warm_up:
            samples[name].append(seconds)

    for name in ACTIONS:
        if name in failures:
            continue
        if needs.get(name) in failures:
            failures[name] = f"no input: {needs[name]} failed"
            continue
        run(name, warm_up=True)
    for _ in range(rounds):
        for name in ACTIONS:
            if name not in failures:
                run(name, warm_up=False)
    return samples, failures


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


def ms(seconds: float) -> str:
    return f"{seconds * 1e3:.1f} ms"


def print_table(rows: list[Row]) -> None:
    table = [astuple(row) for row in [HEADER, *rows]]
    widths = [max(len(cells[i]) for cells in table) for i in range(len(table[0]))]
    for cells in table:
        print("   " + "  ".join(c.ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip())


def spread(samples: list[float], render: list[float]) -> str:
    """The share of the render in each round (paired within a round): the noise."""
    shares = [a / b for a, b in zip(samples, render, strict=False)]
    return f"{min(shares):.1%} to {max(shares):.1%}" if shares else "-"


def report(
    subject: Subject, samples: dict[str, list[float]], failures: dict[str, str], rows: list[Row]
) -> None:
    medians = {name: statistics.median(s) for name, s in samples.items() if s}
    render = medians.get(RENDER)
    label = f"render {LANGUAGE.value} (baseline)"
    if render is None:
        rows.append(Row(label, "-", "-", "-", "-", "ERROR"))
    else:
        drift = (
            "the same bytes every round"
            if not subject.render_drift
            else f"OTHER BYTES in {subject.render_drift} round(s)"
        )
        print(
            f"   render: {ms(render)} median, {ms(min(samples[RENDER]))} to "
            f"{ms(max(samples[RENDER]))}; {len(subject.pdf) / 1e3:.0f} kB, "
            f"{pages(subject.pdf)} pages, {drift}"
        )
        rows.append(Row(label, ms(render), "-", "-", "-", "-"))
    base = f"{ms(render)} render" if render is not None else "-"
    figures = (
        (SEALS["B-B"], "seal PAdES-B-B", SEAL_SHARE_TARGET),
        (SEALS["B-T"], "seal PAdES-B-T", None),
        (SEALS["B-LTA"], "seal PAdES-B-LTA (local TSA)", LONG_TERM_SHARE_TARGET),
        *((VERIFIES[level], f"verify {level} with trust", None) for level in LEVELS),
        (VERIFY_STORE, "verify kept PDF with store", None),
    )
    for name, figure, target in figures:
        seconds = medians.get(name)
        if seconds is None:
            reason = failures.get(name, "no sample")
            print(f"   {name}: not measured ({reason})")
            rows.append(Row(figure, "-", base, "-", "-", "ERROR"))
            continue
        share = seconds / render if render is not None else None
        print(
            f"   {name}: {ms(seconds)} median, {ms(min(samples[name]))} to "
            f"{ms(max(samples[name]))}; share of the render in each round "
            f"{spread(samples[name], samples[RENDER])}"
        )
        verdict = "-"
        if target is not None:
            verdict = "ERROR" if share is None else "OK" if share <= target else "OVER"
        rows.append(
            Row(
                figure,
                ms(seconds),
                base,
                f"{share:.1%}" if share is not None else "-",
                f"<= {target:.0%}" if target is not None else "none",
                verdict,
            )
        )
    for level, sealed in subject.sealed.items():
        print(
            f"   sealed {level} PDF {len(sealed) / 1e3:.0f} kB "
            f"(+{len(sealed) - len(subject.pdf):,} bytes of seal), signer "
            f"{subject.sealers[level].subject!r}"
        )
    for name, verdict in subject.verdicts.items():
        print(f"   {name}: every verdict ok, checks {', '.join(c.name for c in verdict.checks)}")
    if subject.kept is not None:
        kept = subject.kept
        print(
            f"   kept PDF {kept.document.file_name} ({kept.document.language.value}, "
            f"{len(kept.pdf) / 1e3:.0f} kB): first service.contract (render, seal, keep) "
            f"{ms(subject.first_contract)}, once, not in the medians"
        )


# Main -------------------------------------------------------------------------------------


def make_sealers(pki: LocalPki) -> dict[str, Pkcs12Sealer]:
    """A sealer per level, on the same certificate and TSA."""
    return {
        "B-B": Pkcs12Sealer(pki.seal, PASSWORD),
        "B-T": Pkcs12Sealer(pki.seal, PASSWORD, tsa=pki.tsa, long_term=False),
        "B-LTA": Pkcs12Sealer(pki.seal, PASSWORD, tsa=pki.tsa),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_ROUNDS} rounds")
    parser.add_argument(
        "--rounds", type=int, help=f"timed rounds (default {ROUNDS}, {QUICK_ROUNDS} quick)"
    )
    args = parser.parse_args()
    rounds = max(1, args.rounds or (QUICK_ROUNDS if args.quick else ROUNDS))
    began = perf_counter()
    print(
        f"dealflow seal benchmark: medians of {rounds} rounds (Python "
        f"{platform.python_version()}, WeasyPrint {installed('weasyprint')}, pyHanko "
        f"{installed('pyHanko')}, cryptography {installed('cryptography')})"
    )
    rows: list[Row] = []
    with (
        tempfile.TemporaryDirectory(prefix="dealflow-bench-") as name,
        running_pki(Path(name)) as pki,
    ):
        folder = Path(name)
        subject: Subject | None = None
        try:
            sealers = make_sealers(pki)
            renderer = PdfRenderer(TemplateSet())
            service = DealService(MemoryEventStore(), clock(), renderer=renderer)
            deal = signed_demo_deal(service)
            document = contract_document(
                deal,
                language=LANGUAGE,
                events=service.store.load(deal.id),
                seal=sealers["B-B"].subject,
            )
            if not document.signed:
                raise SetupError(f"{document.number} is a draft; expected a signed version")
            subject = Subject(document, renderer, sealers, [pki.root])
        except Exception as exc:
            print(f"   FAILED: the sample contract cannot be set up: {type(exc).__name__}: {exc}")
            traceback.print_exc(file=sys.stderr)
            rows.append(Row("setup", "-", "-", "-", "-", "ERROR"))
        if subject is not None:
            print(
                f"render, seal at each level, verify each and verify with store of the signed "
                f"sample contract {subject.document.number} in {LANGUAGE.value} (evidence "
                "page, seal named), interleaved, warmed up once; renderer and sealers built "
                f"once; CA, OCSP and TSA at {pki.url}"
            )
            unavailable: dict[str, str] = {}
            try:
                keep_signed(folder, renderer, subject.sealers["B-B"], subject)
            except Exception as exc:
                unavailable[VERIFY_STORE] = f"{type(exc).__name__}: {exc}"
                print(f"   FAILED: no kept PDF on SQLite: {unavailable[VERIFY_STORE]}")
                traceback.print_exc(file=sys.stderr)
            try:
                samples, failures = measure(rounds, subject, unavailable)
                report(subject, samples, failures, rows)
            finally:
                if subject.store_service is not None:
                    subject.store_service.close()
    print()
    print_table(rows)
    print(f"run time {perf_counter() - began:.1f} s")


if __name__ == "__main__":
    main()
