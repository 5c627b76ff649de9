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
is 0 whatever the figures, and an action that fails prints why and the rest still runs. The
output ends with a table of the figures against their targets.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from importlib.metadata import version as installed
from pathlib import Path

from _common import Row, Run, Target, interleave, medians, ms, scratch, spread, timed
from _sample import SetupError, demo_service, pages, signed_demo_deal

import dealflow
from dealflow import ContractDocument, ContractPdf, DealService, Verdict, contract_document
from dealflow.adapters.rendering.pdf import PdfRenderer
from dealflow.adapters.signing import Pkcs12Sealer
from tests.pki import PASSWORD, LocalPki, running_pki

SEAL_SHARE_TARGET = Target(0.10, "10%")
LONG_TERM_SHARE_TARGET = Target(0.25, "25%")


LANGUAGE = dealflow.Language.ID_EN

RENDER, VERIFY_STORE = "render", "verify with store"
LEVELS = ("B-B", "B-T", "B-LTA")
SEALS = {level: f"seal {level}" for level in LEVELS}
VERIFIES = {level: f"verify {level}" for level in LEVELS}
ACTIONS = (RENDER, *SEALS.values(), *VERIFIES.values(), VERIFY_STORE)


class VerdictError(RuntimeError):
    """verify_contract did not verify a file it should have."""


# Measuring --------------------------------------------------------------------------------


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
    service = demo_service(folder / "d.db", renderer=renderer, sealer=sealer)
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
        return lambda: dealflow.verify_contract(subject.sealed[level], trust=subject.trust)

    def verify_store() -> Verdict:
        assert subject.kept is not None and subject.store_service is not None
        return dealflow.verify_contract(subject.kept.pdf, subject.store_service)

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


def dropped(what: str, exc: Exception) -> str:
    """Say that ``what`` failed, and why (the traceback to stderr); the reason, in a line."""
    reason = f"{type(exc).__name__}: {exc}"
    print(f"   FAILED {what}: {reason}")
    traceback.print_exc(file=sys.stderr)
    return reason


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

    def run(name: str, warm_up: bool) -> float:
        seconds, result = timed(todo[name])
        check(name, subject, result, warm_up)
        return seconds

    def fail(name: str, exc: Exception, warm_up: bool = False) -> None:
        failures[name] = dropped(f"{name}{' (warm-up)' if warm_up else ''}", exc)

    for name in ACTIONS:
        if name in failures:
            continue
        if needs.get(name) in failures:
            failures[name] = f"no input: {needs[name]} failed"
            continue
        try:
            run(name, warm_up=True)
        except Exception as exc:
            fail(name, exc, warm_up=True)
    timed_now = {name: partial(run, name, False) for name in ACTIONS if name not in failures}
    samples = interleave(timed_now, rounds, failed=fail)
    return {name: samples.get(name, []) for name in ACTIONS}, failures


# Reporting --------------------------------------------------------------------------------


def report(
    subject: Subject, samples: dict[str, list[float]], failures: dict[str, str], rows: list[Row]
) -> None:
    found = medians(samples)
    render = found.get(RENDER)
    label = f"render {LANGUAGE.value} (baseline)"
    if render is None:
        rows.append(Row.error(label))
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
        seconds = found.get(name)
        if seconds is None:
            reason = failures.get(name, "no sample")
            print(f"   {name}: not measured ({reason})")
            rows.append(Row.error(figure, base))
            continue
        shares = spread(samples[name], samples[RENDER], lambda r: f"{r:.1%}")
        print(
            f"   {name}: {ms(seconds)} median, {ms(min(samples[name]))} to "
            f"{ms(max(samples[name]))}; share of the render in each round {shares}"
        )
        if render is None:
            rows.append(Row(figure, ms(seconds), base, "-", str(target or "none"), "ERROR"))
            continue
        ratio = f"{seconds / render:.1%}"
        rows.append(Row.of(figure, ms(seconds), base, ratio, target, seconds / render))
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
    run = Run(__doc__)
    versions = [
        f"{name} {installed(dist)}"
        for name, dist in (
            ("WeasyPrint", "weasyprint"),
            ("pyHanko", "pyHanko"),
            ("cryptography", "cryptography"),
        )
    ]
    run.header("seal", versions)
    rows = run.rows
    with scratch() as folder, running_pki(folder) as pki:
        subject: Subject | None = None
        try:
            sealers = make_sealers(pki)
            renderer = PdfRenderer()  # with its own TemplateSet, as the service builds it
            service = demo_service(renderer=renderer)
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
            dropped("the sample contract cannot be set up", exc)
            rows.append(Row.error("setup"))
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
                unavailable[VERIFY_STORE] = dropped("no kept PDF on SQLite", exc)
            try:
                samples, failures = measure(run.rounds, subject, unavailable)
                report(subject, samples, failures, rows)
            finally:
                if subject.store_service is not None:
                    subject.store_service.close()
    run.finish()


if __name__ == "__main__":
    main()
