"""Sealed contracts and their verification: the whole flow verifies and names the signer;
every kind of tampering is caught by a named check; files that are not contracts get a clear
verdict, never a traceback."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

import dealflow
from dealflow import Stage, TermsChange, verify_contract
from dealflow.adapters.rendering.pdf import PdfRenderer
from dealflow.adapters.rendering.templates import TemplateSet
from dealflow.adapters.signing import Pkcs12Sealer, make_dev_certificate
from dealflow.application.demo import play_demo, sample_deal_spec
from dealflow.domain.contract import contract_document
from dealflow.domain.events import ContractSigned
from dealflow.domain.parties import Side
from tests.conftest import BUYER, SELLER, START, staffed
from tests.paths import drive_to


@pytest.fixture(autouse=True)
def no_weasyprint_warnings(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        yield
    assert not [r for r in caplog.records if r.name.startswith("weasyprint")]


@pytest.fixture(scope="module")
def sealer(tmp_path_factory: pytest.TempPathFactory) -> Pkcs12Sealer:
    return Pkcs12Sealer(make_dev_certificate(tmp_path_factory.mktemp("keys")))


class Signed:
    """A signed, sealed and kept contract on a SQLite store."""

    def __init__(self, folder: Path, sealer: Pkcs12Sealer) -> None:
        self.path = folder / "deals.db"
        self.service = staffed(
            dealflow.DealService(
                dealflow.SQLiteEventStore(self.path),
                dealflow.FixedClock(START),
                renderer=PdfRenderer(TemplateSet()),
                sealer=sealer,
            )
        )
        self.deal = play_demo(self.service)
        self.result = self.service.contract(self.deal.id)
        self.pdf = self.result.pdf


@pytest.fixture
def signed(tmp_path: Path, sealer: Pkcs12Sealer) -> Iterator[Signed]:
    made = Signed(tmp_path, sealer)
    yield made
    made.service.close()


@pytest.fixture(scope="module")
def shared(tmp_path_factory: pytest.TempPathFactory, sealer: Pkcs12Sealer) -> Iterator[Signed]:
    """One signed contract for the tests that only read it."""
    made = Signed(tmp_path_factory.mktemp("shared"), sealer)
    yield made
    made.service.close()


def test_a_sealed_contract_verifies_and_names_its_signer(shared: Signed) -> None:
    verdict = verify_contract(shared.pdf, shared.service)
    assert verdict.ok, verdict.checks
    assert [c.name for c in verdict.checks] == [
        "pdf", "contract", "agreement", "seal", "signatures", "store",
    ]  # fmt: skip
    assert verdict.signer is not None
    assert "dealflow development seal" in verdict.signer
    assert verdict.contract_number == f"DF-{shared.deal.id.upper()}-V1"
    seal = next(c for c in verdict.checks if c.name == "seal")
    assert "certificate valid" in seal.detail
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(shared.pdf)).pages)
    assert "Sealed electronically (PAdES) by" in text


def test_the_evidence_page_lists_every_event_up_to_the_last_signature(shared: Signed) -> None:
    reader = PdfReader(io.BytesIO(shared.pdf))
    document = json.loads(reader.attachments["evidence.json"][0])
    agreement = shared.deal.contracts[0].agreement_hash
    assert agreement is not None
    assert document["format"] == "dealflow-evidence/2"
    assert document["agreement_hash"] == agreement
    evidence = document["events"]
    events = shared.service.history(shared.deal.id)
    signed_at = max(e.version for e in events if isinstance(e, ContractSigned))
    assert [e["version"] for e in evidence] == list(range(1, signed_at + 1))
    assert evidence[-1]["event"] == "ContractSigned"
    signatures = [e for e in evidence if e["event"] == "ContractSigned"]
    assert {e["side"] for e in signatures} == {"seller", "buyer"}
    assert {e["agreement_hash"] for e in signatures} == {agreement}
    assert all(agreement in e["consent"] and e["method"] for e in signatures)
    assert all(e["simulated"] for e in evidence)  # recorded under a fixed clock
    last_page = "".join(page.extract_text() for page in reader.pages[-2:])
    assert "Evidence of signing" in last_page
    assert agreement[:12] in last_page


def test_one_changed_byte_breaks_the_seal(shared: Signed) -> None:
    reader = PdfReader(io.BytesIO(shared.pdf))
    # A byte inside the first page's content stream: the file still parses.
    page_stream = reader.pages[0].get_contents()
    assert page_stream is not None
    start = shared.pdf.index(b"stream", shared.pdf.index(b"/Contents")) + 200
    tampered = bytearray(shared.pdf)
    tampered[start] ^= 0x01
    verdict = verify_contract(bytes(tampered))
    assert not verdict.ok
    assert "seal" in verdict.failed or "pdf" in verdict.failed


def _with_terms(pdf: bytes, terms_json: bytes) -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(pdf))
    writer.attachments["terms.json"] = terms_json  # type: ignore[index]
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def test_edited_and_reattached_terms_json_is_caught(shared: Signed) -> None:
    reader = PdfReader(io.BytesIO(shared.pdf))
    original = json.loads(reader.attachments["terms.json"][0])
    original["payment"]["due_days"] = 120
    edited = json.dumps(original, sort_keys=True, separators=(",", ":")).encode()
    writer = PdfWriter(clone_from=io.BytesIO(shared.pdf))
    writer.add_attachment("terms.json", edited)
    out = io.BytesIO()
    writer.write(out)
    verdict = verify_contract(out.getvalue(), shared.service)
    assert not verdict.ok
    assert "agreement" in verdict.failed  # terms.json no longer says what agreement.json says
    assert "seal" in verdict.failed


def test_an_edited_printed_hash_is_caught(shared: Signed) -> None:
    document = contract_document(
        shared.deal, events=shared.service.store.load(shared.deal.id), seal="forged"
    )
    templates = TemplateSet()
    html = templates.html(document).replace(document.agreement_hash, "f" * 64)
    html = html.replace(document.short_hash, "f" * 12)
    forged = PdfRenderer(templates).pdf(html, document)
    verdict = verify_contract(forged)
    assert "agreement" in verdict.failed
    agreement = next(c for c in verdict.checks if c.name == "agreement")
    assert "ffffffffffff" in agreement.detail


def test_a_contract_rerendered_from_altered_terms_is_caught_even_sealed(
    shared: Signed, sealer: Pkcs12Sealer
) -> None:
    document = contract_document(
        shared.deal, events=shared.service.store.load(shared.deal.id), seal=sealer.subject
    )
    cheaper = document.terms.changed(TermsChange(payment_days=120))
    changed = {"terms": cheaper, "terms_hash": cheaper.terms_hash}
    agreement = document.agreement.model_copy(update=changed)
    altered = document.model_copy(update={**changed, "agreement": agreement})
    forged = sealer.seal(PdfRenderer(TemplateSet()).render(altered))
    alone = verify_contract(forged)
    assert alone.failed == ["signatures"]  # nobody signed this agreement
    with_store = verify_contract(forged, shared.service)
    assert "store" in with_store.failed


def test_an_event_altered_in_the_store_is_caught(signed: Signed) -> None:
    with sqlite3.connect(signed.path) as db:
        (data,) = db.execute(
            "SELECT data FROM events WHERE deal_id = ? AND type = 'OfferCountered' "
            "ORDER BY version LIMIT 1",
            (signed.deal.id,),
        ).fetchone()
        db.execute(
            "UPDATE events SET data = ? WHERE deal_id = ? AND type = 'OfferCountered' AND data = ?",
            (data.replace("Siti Rahmawati", "Someone Else"), signed.deal.id, data),
        )
    fresh = staffed(
        dealflow.DealService(dealflow.SQLiteEventStore(signed.path), dealflow.FixedClock(START))
    )
    try:
        verdict = verify_contract(signed.pdf, fresh)
    finally:
        fresh.close()
    assert verdict.failed == ["store"]
    store = next(c for c in verdict.checks if c.name == "store")
    assert "log was altered at v" in store.detail
    assert "OfferCountered: the event was changed" in store.detail


def test_a_signature_added_on_another_hash_is_caught(signed: Signed) -> None:
    deal = signed.service.get(signed.deal.id)
    extra = ContractSigned(
        deal_id=deal.id,
        version=deal.version + 1,
        occurred_at=START + timedelta(days=1),
        actor=BUYER,
        stage=deal.stage,
        side=Side.BUYER,
        title="Procurement Manager",
        method=dealflow.SignatureMethod.TYPED,
        terms_hash="0" * 64,
    )
    signed.service.store.append(deal.id, deal.version, [extra])
    fresh = staffed(
        dealflow.DealService(dealflow.SQLiteEventStore(signed.path), dealflow.FixedClock(START))
    )
    try:
        verdict = verify_contract(signed.pdf, fresh)
    finally:
        fresh.close()
    assert "store" in verdict.failed
    assert not verdict.ok


def test_a_pdf_that_differs_from_the_kept_one_is_caught(
    signed: Signed, sealer: Pkcs12Sealer
) -> None:
    # Rendered and sealed again from the same deal: valid on its own, but not the kept file.
    document = contract_document(
        signed.deal,
        events=signed.service.store.load(signed.deal.id),
        chain=signed.service._chain_links(signed.deal.id),
        seal=sealer.subject,
    )
    again = sealer.seal(PdfRenderer(TemplateSet()).render(document))
    assert again != signed.pdf
    alone = verify_contract(again)
    assert alone.ok, alone.checks
    verdict = verify_contract(again, signed.service)
    assert "store" in verdict.failed
    assert "different PDF" in next(c for c in verdict.checks if c.name == "store").detail


def _encrypted(pdf: bytes) -> bytes:
    writer = PdfWriter(clone_from=io.BytesIO(pdf))
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.mark.parametrize(
    ("make", "failed", "words"),
    [
        (lambda pdf: b"PK\x03\x04 a zip file, not a contract", "pdf", "not a PDF file"),
        (lambda pdf: b"", "pdf", "not a PDF file"),
        (lambda pdf: pdf[: len(pdf) // 3], "pdf", "cannot be read"),
        (_encrypted, "pdf", "encrypted"),
        (lambda pdf: PdfRenderer(TemplateSet()).render(_doc()), "contract", "DRAFT"),
    ],
)
def test_files_that_are_not_sealed_contracts_get_a_clear_verdict(
    shared: Signed, make: object, failed: str, words: str
) -> None:
    verdict = verify_contract(make(shared.pdf))  # type: ignore[operator]
    assert not verdict.ok
    assert failed in verdict.failed
    assert words in next(c for c in verdict.checks if c.name == failed).detail


def _doc() -> dealflow.ContractDocument:
    service = staffed(dealflow.DealService(dealflow.MemoryEventStore(), dealflow.FixedClock(START)))
    return contract_document(service.open_deal(sample_deal_spec()))


def test_a_pdf_that_is_no_dealflow_contract_is_named_so() -> None:
    from weasyprint import HTML

    verdict = verify_contract(bytes(HTML(string="<p>an invoice</p>").write_pdf()))
    assert verdict.failed == ["contract"]
    assert "not a dealflow contract" in verdict.checks[-1].detail


def test_without_a_certificate_the_contract_is_plainly_unsealed() -> None:
    service = staffed(
        dealflow.DealService(
            dealflow.MemoryEventStore(), dealflow.FixedClock(START), renderer=PdfRenderer
        )
    )
    deal = play_demo(service)
    pdf = service.contract(deal.id, language="en").pdf
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert "UNSEALED" in text
    verdict = verify_contract(pdf, service)
    assert verdict.failed == ["seal"]


@pytest.mark.parametrize("stage", [Stage.AWAITING_SIGNATURES, Stage.SIGNED, Stage.IN_SERVICE])
def test_terms_cannot_change_once_frozen(stage: Stage, spec: dealflow.DealSpec) -> None:
    service = staffed(dealflow.DealService(dealflow.MemoryEventStore(), dealflow.FixedClock(START)))
    deal_id = drive_to(service, spec, stage)
    before = service.get(deal_id)
    for change in (
        lambda: service.counter(deal_id, BUYER, TermsChange(payment_days=90)),
        lambda: service.offer(deal_id, SELLER, TermsChange(payment_days=90)),
        lambda: service.propose_special(deal_id, BUYER, dealflow.SpecialTerms(purpose="x")),
    ):
        with pytest.raises(dealflow.ActionRefusedError):
            change()
    assert service.get(deal_id) == before


def test_an_amendment_leaves_the_kept_sealed_version_byte_identical(signed: Signed) -> None:
    before = hashlib.sha256(signed.pdf).hexdigest()
    signed.service.amend(signed.deal.id, BUYER, TermsChange(payment_days=60), reason="Budget")
    kept = signed.service.contract(signed.deal.id, version=1)
    assert kept.stored
    assert hashlib.sha256(kept.pdf).hexdigest() == before
    assert verify_contract(kept.pdf, signed.service).ok


def test_a_wrong_certificate_password_is_one_clear_error(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives.serialization import (
        BestAvailableEncryption,
        pkcs12,
    )

    plain = pkcs12.load_key_and_certificates(make_dev_certificate(tmp_path).read_bytes(), None)
    locked = tmp_path / "locked.p12"
    locked.write_bytes(
        pkcs12.serialize_key_and_certificates(
            b"seal",
            plain[0],
            plain[1],
            None,
            BestAvailableEncryption(b"right"),  # type: ignore[arg-type]
        )
    )
    with pytest.raises(dealflow.SealError, match="wrong password"):
        Pkcs12Sealer(locked, b"wrong")
    assert Pkcs12Sealer(locked, b"right").subject
    with pytest.raises(dealflow.SealError, match="does not exist"):
        Pkcs12Sealer(tmp_path / "missing.p12")


def dealflow_cli(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    import os

    environment = {k: v for k, v in os.environ.items() if not k.startswith("DEALFLOW_")}
    environment.update(env)
    return subprocess.run(
        [sys.executable, "-m", "dealflow", *args],
        cwd=cwd, env=environment, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip


def test_end_to_end_keys_demo_verify_from_the_command_line(tmp_path: Path) -> None:
    keys = dealflow_cli("keys", "dev", "keys", cwd=tmp_path, env={})
    assert keys.returncode == 0, keys.stderr
    assert "DEALFLOW_CERT=" in keys.stdout
    more = dealflow_cli("--json", "keys", "dev", "more", cwd=tmp_path, env={})
    assert json.loads(more.stdout)["cert"] == str(tmp_path / "more" / "dev-seal.p12")
    cert = {"DEALFLOW_CERT": str(tmp_path / "keys" / "dev-seal.p12"), "DEALFLOW_CERT_PASSWORD": ""}
    store = f"sqlite:///{tmp_path / 'deals.db'}"
    demo = dealflow_cli("--store", store, "demo", "-o", str(tmp_path), cwd=tmp_path, env=cert)
    assert demo.returncode == 0, demo.stderr
    (pdf,) = tmp_path.glob("*.pdf")
    verified = dealflow_cli("verify", str(pdf), "--store", store, cwd=tmp_path, env={})
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert "VERIFIED" in verified.stdout
    assert "dealflow development seal" in verified.stdout
    assert "ok   store" in verified.stdout
    pdf.write_bytes(pdf.read_bytes()[:-500])
    broken = dealflow_cli("--json", "verify", str(pdf), cwd=tmp_path, env={})
    assert broken.returncode == 1
    assert json.loads(broken.stdout)["ok"] is False
    assert "Traceback" not in broken.stderr
    missing = dealflow_cli(
        "--store", "memory://", "--cert", "nope.p12", "contract", "x", cwd=tmp_path, env={}
    )
    assert missing.returncode == 1
    assert "Traceback" not in missing.stderr
    # A wrong password or a file that is no PKCS#12: one line, not pyHanko's logged traceback.
    for password, path in (("wrong", cert["DEALFLOW_CERT"]), ("", str(tmp_path / "deals.db"))):
        env = {"DEALFLOW_CERT": path, "DEALFLOW_CERT_PASSWORD": password}
        bad = dealflow_cli("--store", "memory://", "demo", cwd=tmp_path, env=env)
        assert bad.returncode == 1
        assert bad.stderr.strip().splitlines() == [
            f"error: cannot open seal certificate {path!r}: wrong password "
            "(DEALFLOW_CERT_PASSWORD) or not a PKCS#12 file"
        ]


def test_contract_all_seals_in_its_worker_processes(tmp_path: Path) -> None:
    store = tmp_path / "deals.db"
    service = staffed(
        dealflow.DealService(dealflow.SQLiteEventStore(store), dealflow.FixedClock(START))
    )
    signed_ids = [play_demo(service).id, play_demo(service).id]
    service.close()
    cert = make_dev_certificate(tmp_path / "keys")
    out = tmp_path / "out"
    result = dealflow_cli(
        "--store", str(store), "--cert", str(cert), "--json", "contract", "--all", "--out",
        str(out), cwd=tmp_path, env={"DEALFLOW_CERT_PASSWORD": ""},
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)["contracts"]
    assert [row["deal"] for row in rows] == signed_ids
    for row in rows:
        verdict = verify_contract(Path(row["file"]).read_bytes())
        assert verdict.ok, verdict.checks


# Damaged files: one byte flipped anywhere, or the file cut short -------------------------------

#: How many evenly spaced positions of a sealed contract get a flipped byte: 200 as CI runs the
#: suite (HYPOTHESIS_PROFILE=ci), 50 locally; each verification reads the text of every page.
FLIPS = 200 if os.environ.get("HYPOTHESIS_PROFILE") == "ci" else 50


def _unused_seal_space(pdf: bytes) -> range:
    """The seal's reserved room past its CMS blob: hex zeros inside the one gap of /ByteRange,
    neither signed (no signature covers its own value) nor shown. verify checks that they are
    zeros still: a seal writes nothing else there."""
    ranges = re.findall(rb"/ByteRange\s*\[\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s*\]", pdf)
    _, length, resume, _ = (int(n) for n in ranges[-1])
    blob = bytes.fromhex(pdf[length + 1 : resume - 1].decode("ascii"))
    header = blob[1] & 0x7F if blob[1] & 0x80 else 0  # DER: a long-form length in N bytes
    size = 2 + header + (int.from_bytes(blob[2 : 2 + header]) if header else blob[1])
    return range(length + 1 + 2 * size, resume - 1)


def _assert_one_line_checks(verdict: dealflow.Verdict) -> None:
    assert verdict.checks
    for check in verdict.checks:
        assert check.detail and "\n" not in check.detail, check


def test_a_flipped_byte_anywhere_fails_a_named_check_and_never_raises(
    shared: Signed, tmp_path: Path
) -> None:
    pdf = shared.pdf
    unused = _unused_seal_space(pdf)
    damaged: dict[tuple[str, ...], bytes] = {}  # failed checks -> a file a library broke on
    passed = []
    for n in range(FLIPS):
        position = n * len(pdf) // FLIPS
        tampered = bytearray(pdf)
        tampered[position] ^= 0x01 if n % 2 else 0xFF  # a subtle change, then garbage
        verdict = verify_contract(bytes(tampered))  # never raises: that is the point
        _assert_one_line_checks(verdict)
        if verdict.ok:
            passed.append(position)
            continue
        checked = {check.name for check in verdict.checks}
        assert "seal" in verdict.failed or "seal" not in checked, (position, verdict.checks)
        if any("cannot be read" in c.detail or "damaged" in c.detail for c in verdict.checks):
            damaged.setdefault(tuple(verdict.failed), bytes(tampered))
    # Even the seal's unused room: bytes written there fail the seal's structure check.
    assert not passed, passed
    # The sweep reaches damage that made the libraries raise (verify printed tracebacks).
    assert damaged, "no flipped byte made a PDF library fail"
    for cut in sorted({0, 1, 8, 1024, len(pdf) // 2, len(pdf) - 1024, len(pdf) - 1}):
        verdict = verify_contract(pdf[:cut])
        _assert_one_line_checks(verdict)
        assert not verdict.ok, cut

    # From the command line: a few of the worst, a cut file, and a change in the unused room.
    files = {f"flip-{n}.pdf": (data, 1) for n, data in enumerate(list(damaged.values())[:4])}
    files["cut.pdf"] = (pdf[: len(pdf) // 2], 1)
    padding = bytearray(pdf)
    padding[unused[len(unused) // 2]] = ord("1")
    files["padding.pdf"] = (bytes(padding), 1)
    for name, (data, code) in files.items():
        (tmp_path / name).write_bytes(data)
        result = dealflow_cli("verify", name, cwd=tmp_path, env={})
        assert "Traceback" not in result.stdout + result.stderr, name
        assert result.returncode == code, (name, result.stdout, result.stderr)
        assert result.stderr == ""
        marks = ("ok   ", "FAIL ", "VERIFIED: ", "NOT VERIFIED: ")
        assert all(line.startswith(marks) for line in result.stdout.splitlines()), result.stdout
    # The changed unused room fails the seal, and is not the file the store keeps.
    verdict = verify_contract(bytes(padding), shared.service)
    assert verdict.failed == ["seal", "store"]
    assert "padding" in next(c for c in verdict.checks if c.name == "seal").detail
