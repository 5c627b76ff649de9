"""What is signed is one agreement: deal, version, parties and terms.

Two deals with the same terms and different buyers have different agreement hashes; every
contract version has its own, even an amendment back to earlier terms; amended versions 1, 2
and 3 verify with and without the store, each with its own evidence; contracts and a store made
by release 0.1 (terms hashes only) still verify, by the rules of their time, and say so; a
contract kept unsealed is sealed once a certificate is configured, keeping the original.
"""

from __future__ import annotations

import hashlib
import io
import json
import shutil
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

import dealflow
from dealflow import Stage, TermsChange, verify_contract
from dealflow.adapters.rendering.pdf import PdfRenderer
from dealflow.adapters.rendering.templates import TemplateSet
from dealflow.adapters.signing import Pkcs12Sealer, make_dev_certificate
from dealflow.application.contracts import sealed_copy_name
from dealflow.application.demo import sample_deal_spec
from dealflow.domain.agreement import agreement_of
from dealflow.domain.chain import GENESIS, link_hash
from dealflow.domain.events import ContractAmended, ContractSigned
from tests.conftest import BUYER, SELLER, START, staffed
from tests.paths import _sign_both, drive_to
from tests.pki import PASSWORD, LocalPki, running_pki

RELEASE_0_1 = Path(__file__).parents[1] / "fixtures" / "release-0.1"


@pytest.fixture(scope="module")
def sealer(tmp_path_factory: pytest.TempPathFactory) -> Pkcs12Sealer:
    return Pkcs12Sealer(make_dev_certificate(tmp_path_factory.mktemp("keys")))


def _service(path: Path, sealer: Pkcs12Sealer | None) -> dealflow.DealService:
    return staffed(
        dealflow.DealService(
            dealflow.SQLiteEventStore(path),
            dealflow.FixedClock(START),
            renderer=PdfRenderer(TemplateSet()),
            sealer=sealer,
        )
    )


def _amend(service: dealflow.DealService, deal_id: str, change: TermsChange) -> None:
    """An amendment proposed by the buyer, accepted, agreed and signed by both."""
    service.amend(deal_id, BUYER, change, reason="Changed needs")
    service.accept(deal_id, SELLER)
    service.agree(deal_id, SELLER)
    deal = service.get(deal_id)
    assert deal.stage is Stage.AWAITING_SIGNATURES, deal.approvals_pending
    _sign_both(service, deal_id)


class Amended:
    """A deal signed as version 1, amended to version 2 (longer payment), then amended back
    to version 1's terms as version 3; each version's contract rendered, sealed and kept."""

    def __init__(self, folder: Path, sealer: Pkcs12Sealer) -> None:
        self.service = _service(folder / "deals.db", sealer)
        self.deal_id = drive_to(self.service, sample_deal_spec(), Stage.SIGNED)
        self.service.start_service(self.deal_id, SELLER)
        first = self.service.get(self.deal_id).contracts[0].terms
        _amend(self.service, self.deal_id, TermsChange(payment_days=60))
        self.service.start_service(self.deal_id, SELLER)
        _amend(self.service, self.deal_id, TermsChange(payment_days=first.payment.due_days))
        self.deal = self.service.get(self.deal_id)
        self.pdfs = {v: self.service.contract(self.deal_id, version=v).pdf for v in (1, 2, 3)}


@pytest.fixture(scope="module")
def amended(tmp_path_factory: pytest.TempPathFactory, sealer: Pkcs12Sealer) -> Iterator[Amended]:
    made = Amended(tmp_path_factory.mktemp("amended"), sealer)
    yield made
    made.service.close()


def _evidence(pdf: bytes) -> dict[str, object]:
    reader = PdfReader(io.BytesIO(pdf))
    document: dict[str, object] = json.loads(reader.attachments["evidence.json"][0])
    return document


# The agreement hash ----------------------------------------------------------------------------


def test_the_same_terms_with_another_buyer_are_another_agreement(tmp_path: Path) -> None:
    service = _service(tmp_path / "deals.db", None)
    spec = sample_deal_spec()
    other_buyer = spec.buyer.model_copy(update={"name": "PT Lain Sekali", "tax_id": "02.999"})
    first = service.open_deal(spec)
    other = service.open_deal(spec.model_copy(update={"buyer": other_buyer}))
    assert agreement_of(first).terms_hash == agreement_of(other).terms_hash  # the same terms
    ours, theirs = agreement_of(first).agreement_hash, agreement_of(other).agreement_hash
    assert ours != theirs
    # The same deal with only another tax id, address or representative is another agreement.
    for field, value in [
        ("tax_id", "09.000"),
        ("address", "Jl. Lain No. 1, Bandung"),
        ("representative", spec.buyer.representative.model_copy(update={"name": "Andi"})),
    ]:
        changed = first.model_copy(update={"buyer": first.buyer.model_copy(update={field: value})})
        assert agreement_of(changed).agreement_hash != ours, field
    service.close()


def test_approvals_and_signatures_record_the_agreement_hash(amended: Amended) -> None:
    for contract in amended.deal.contracts:
        expected = agreement_of(amended.deal, contract.contract_version).agreement_hash
        assert contract.agreement_hash == expected
        assert {s.agreement_hash for s in contract.signatures} == {expected}
        for signature in contract.signatures:
            assert signature.consent is not None
            assert expected in signature.consent and f"V{contract.contract_version}" in (
                signature.consent
            )


def test_every_version_has_its_own_hash_even_back_to_earlier_terms(amended: Amended) -> None:
    v1, v2, v3 = amended.deal.contracts
    assert v3.terms_hash == v1.terms_hash  # the same terms again
    assert len({v1.agreement_hash, v2.agreement_hash, v3.agreement_hash}) == 3
    third = agreement_of(amended.deal, 3)
    assert third.amends is not None
    assert third.amends.number == f"DF-{amended.deal_id.upper()}-V2"
    assert third.amends.agreement_hash == v2.agreement_hash


# Amended versions verify ----------------------------------------------------------------------


@pytest.mark.parametrize("version", [1, 2, 3])
def test_amended_versions_verify_with_and_without_the_store(amended: Amended, version: int) -> None:
    pdf = amended.pdfs[version]
    alone = verify_contract(pdf)
    assert alone.ok, alone.checks
    with_store = verify_contract(pdf, amended.service)
    assert with_store.ok, with_store.checks
    assert with_store.contract_number == f"DF-{amended.deal_id.upper()}-V{version}"


@pytest.mark.parametrize("version", [1, 2, 3])
def test_each_versions_evidence_is_its_own_negotiation_and_signatures(
    amended: Amended, version: int
) -> None:
    events = amended.service.history(amended.deal_id)
    contract = amended.deal.contracts[version - 1]
    evidence = _evidence(amended.pdfs[version])
    rows = evidence["events"]
    assert isinstance(rows, list)
    versions = [row["version"] for row in rows]
    assert versions == list(range(contract.first_event, contract.signed_event + 1))
    opening = events[versions[0] - 1]
    assert isinstance(opening, ContractAmended if version > 1 else dealflow.Event)
    signed = [row for row in rows if row["event"] == "ContractSigned"]
    assert {row["side"] for row in signed} == {"seller", "buyer"}
    assert {row["agreement_hash"] for row in signed} == {contract.agreement_hash}
    assert evidence["agreement_hash"] == contract.agreement_hash
    last = events[versions[-1] - 1]
    assert isinstance(last, ContractSigned)


@pytest.mark.parametrize("version", [1, 2, 3])
def test_the_evidence_carries_each_events_link_and_the_chain_head_at_signing(
    amended: Amended, version: int
) -> None:
    contract = amended.deal.contracts[version - 1]
    links = {link.version: link for link in amended.service.store.chain(amended.deal_id)}
    evidence = _evidence(amended.pdfs[version])
    rows = evidence["events"]
    assert isinstance(rows, list)
    for row in rows:
        link = links[row["version"]]
        assert (row["previous_hash"], row["hash"]) == (link.previous, link.hash)
    assert evidence["chain_head"] == links[contract.signed_event].hash == rows[-1]["hash"]
    # Identification of each person, and the consent text of each signature.
    assert all(row["identified"] == "named" for row in rows if row["role"] != "system")
    signed = [row for row in rows if row["event"] == "ContractSigned"]
    assert all(row["method"] == "typed" and row["consent"] for row in signed)


def test_a_log_rewritten_with_its_chain_recomputed_fails_against_the_sealed_head(
    tmp_path: Path, sealer: Pkcs12Sealer
) -> None:
    path = tmp_path / "deals.db"
    service = _service(path, sealer)
    deal_id = drive_to(service, sample_deal_spec(), Stage.SIGNED)
    pdf = service.contract(deal_id).pdf
    service.close()
    with sqlite3.connect(path) as db:
        rows = db.execute(
            "SELECT version, type, data FROM events WHERE deal_id = ? ORDER BY version",
            (deal_id,),
        ).fetchall()
        previous = GENESIS
        for version, kind, stored in rows:
            data = stored.replace("Budi Santoso", "Someone Else") if kind == "OfferMade" else stored
            own = link_hash(previous, deal_id, version, kind, data)
            db.execute(
                "UPDATE events SET data = ?, previous_hash = ?, hash = ? "
                "WHERE deal_id = ? AND version = ?",
                (data, previous, own, deal_id, version),
            )
            previous = own
    fresh = _service(path, sealer)
    assert fresh.audit(deal_id).ok  # the chain alone looks intact
    verdict = verify_contract(pdf, fresh)
    assert verdict.failed == ["store"]
    detail = next(c.detail for c in verdict.checks if c.name == "store")
    assert "was rewritten" in detail and "chain head" in detail
    fresh.close()


def test_a_versions_pdf_with_another_versions_evidence_fails(amended: Amended) -> None:
    reader = PdfReader(io.BytesIO(amended.pdfs[1]))
    evidence_of_2 = PdfReader(io.BytesIO(amended.pdfs[2])).attachments["evidence.json"][0]
    writer = PdfWriter(clone_from=reader)
    writer.add_attachment("evidence.json", evidence_of_2)
    out = io.BytesIO()
    writer.write(out)
    verdict = verify_contract(out.getvalue())
    assert "signatures" in verdict.failed
    detail = next(c.detail for c in verdict.checks if c.name == "signatures")
    assert "2 files named evidence.json" in detail
    # Put in place of the original (a new file with the same pages, metadata and other
    # attachments), it is evidence for another agreement.
    writer = PdfWriter()
    writer.append(reader)
    writer.add_attachment("evidence.json", evidence_of_2)
    writer.add_attachment("agreement.json", reader.attachments["agreement.json"][0])
    writer.add_attachment("terms.json", reader.attachments["terms.json"][0])
    writer.add_metadata(reader.metadata or {})
    out = io.BytesIO()
    writer.write(out)
    verdict = verify_contract(out.getvalue())
    detail = next(c.detail for c in verdict.checks if c.name == "signatures")
    assert "another agreement" in detail


def test_a_tampered_agreement_json_fails_the_agreement_check(amended: Amended) -> None:
    reader = PdfReader(io.BytesIO(amended.pdfs[2]))
    data = json.loads(reader.attachments["agreement.json"][0])
    data["buyer"]["name"] = "PT Pembeli Palsu"
    writer = PdfWriter(clone_from=reader)
    writer.add_attachment(
        "agreement.json", json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
    )
    out = io.BytesIO()
    writer.write(out)
    verdict = verify_contract(out.getvalue())
    assert "agreement" in verdict.failed
    detail = next(c.detail for c in verdict.checks if c.name == "agreement")
    assert "\n" not in detail and "agreement.json" in detail


# Contracts made by release 0.1 ----------------------------------------------------------------


@pytest.fixture
def release_store(tmp_path: Path, sealer: Pkcs12Sealer) -> Iterator[dealflow.DealService]:
    path = tmp_path / "deals.db"
    shutil.copyfile(RELEASE_0_1 / "deals.db", path)
    service = dealflow.DealService(
        dealflow.SQLiteEventStore(path),
        dealflow.SystemClock(),
        renderer=PdfRenderer(TemplateSet()),
        sealer=sealer,
        member="root",
    )
    yield service
    service.close()


@pytest.mark.parametrize("version", [1, 2])
def test_contracts_made_by_release_0_1_verify_by_the_rules_of_their_time(
    release_store: dealflow.DealService, version: int
) -> None:
    pdf = (RELEASE_0_1 / f"DF-2A8ADBEBAC15-V{version}-id-en.pdf").read_bytes()
    for verdict in (verify_contract(pdf), verify_contract(pdf, release_store)):
        assert verdict.ok, verdict.checks
        names = [c.name for c in verdict.checks]
        assert "terms" in names and "agreement" not in names
        contract = next(c for c in verdict.checks if c.name == "contract")
        assert "made before agreement hashes" in contract.detail
    store = next(c for c in verdict.checks if c.name == "store")
    assert "release 0.1" in store.detail


def test_a_release_0_1_store_still_renders_its_kept_contracts_unchanged(
    release_store: dealflow.DealService,
) -> None:
    for version in (1, 2):
        kept = (RELEASE_0_1 / f"DF-2A8ADBEBAC15-V{version}-id-en.pdf").read_bytes()
        result = release_store.contract("2a8adbebac15", version=version)
        assert result.stored and result.pdf == kept


def test_a_version_signed_by_release_0_1_rendered_now_verifies_on_its_terms(
    release_store: dealflow.DealService,
) -> None:
    result = release_store.contract("2a8adbebac15", version=1, language="en")
    assert not result.stored  # only id+en was kept by release 0.1
    for verdict in (verify_contract(result.pdf), verify_contract(result.pdf, release_store)):
        assert verdict.ok, verdict.checks
        signatures = next(c.detail for c in verdict.checks if c.name == "signatures")
        assert "signed before agreement hashes: on its terms" in signatures


# Sealing what was kept unsealed ----------------------------------------------------------------


def test_a_contract_kept_unsealed_is_sealed_once_a_certificate_is_configured(
    tmp_path: Path, sealer: Pkcs12Sealer
) -> None:
    path = tmp_path / "deals.db"
    unsealed_service = _service(path, None)
    deal_id = drive_to(unsealed_service, sample_deal_spec(), Stage.SIGNED)
    first = unsealed_service.contract(deal_id)
    assert not first.stored and b"/ByteRange" not in first.pdf
    again = unsealed_service.contract(deal_id)
    assert again.pdf == first.pdf and again.notes and "--cert" in again.notes[0]
    unsealed_service.close()

    service = _service(path, sealer)
    sealed = service.contract(deal_id)
    assert sealed.stored and sealed.pdf.startswith(first.pdf) and sealed.pdf != first.pdf
    assert len(sealed.notes) == 1 and "sealed now" in sealed.notes[0]
    name = sealed.document.file_name
    assert service.store.get_artifact(deal_id, name) == first.pdf  # the original stays kept
    assert service.store.get_artifact(deal_id, sealed_copy_name(name)) == sealed.pdf
    verdict = verify_contract(sealed.pdf, service)
    assert verdict.ok, verdict.checks
    contract = next(c.detail for c in verdict.checks if c.name == "contract")
    assert f"unsealed PDF sha256 {hashlib.sha256(first.pdf).hexdigest()}" in contract
    assert service.contract(deal_id).pdf == sealed.pdf  # the sealed copy from now on
    service.close()


def test_a_contract_kept_unsealed_that_cannot_be_sealed_says_why(
    tmp_path: Path, sealer: Pkcs12Sealer
) -> None:
    class Broken:
        subject = "Broken seal"

        def seal(self, pdf: bytes) -> bytes:
            raise dealflow.SealError("the timestamp authority did not answer")

    path = tmp_path / "deals.db"
    service = _service(path, None)
    deal_id = drive_to(service, sample_deal_spec(), Stage.SIGNED)
    kept = service.contract(deal_id).pdf
    service.close()
    broken = staffed(
        dealflow.DealService(
            dealflow.SQLiteEventStore(path),
            dealflow.FixedClock(START),
            renderer=PdfRenderer(TemplateSet()),
            sealer=Broken(),
        )
    )
    with pytest.raises(dealflow.SealError, match=r"cannot seal .*kept unsealed since .*did not"):
        broken.contract(deal_id)
    assert broken.store.artifacts(deal_id) == [f"DF-{deal_id.upper()}-V1-id-en.pdf"]
    assert broken.store.get_artifact(deal_id, f"DF-{deal_id.upper()}-V1-id-en.pdf") == kept
    broken.close()


# A forged buyer ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalPki]:
    with running_pki(tmp_path_factory.mktemp("pki")) as running:
        yield running


def test_a_contract_rerendered_for_another_buyer_and_sealed_with_another_key_fails(
    tmp_path: Path, pki: LocalPki
) -> None:
    genuine_sealer = Pkcs12Sealer(pki.seal, PASSWORD)
    service = _service(tmp_path / "deals.db", genuine_sealer)
    deal_id = drive_to(service, sample_deal_spec(), Stage.SIGNED)
    genuine = service.contract(deal_id).pdf
    # The forger plays the same deal with another buyer on a store of their own, and seals
    # the contract with a key of their own: a self-consistent file.
    spec = sample_deal_spec()
    forged_buyer = spec.buyer.model_copy(update={"name": "PT Pembeli Palsu", "tax_id": "09.999"})
    forger = _service(tmp_path / "forger.db", Pkcs12Sealer(make_dev_certificate(tmp_path / "k")))
    forged_id = drive_to(forger, spec.model_copy(update={"buyer": forged_buyer}), Stage.SIGNED)
    forged = forger.contract(forged_id).pdf
    forger.close()
    assert (
        PdfReader(io.BytesIO(forged)).attachments["agreement.json"][0]
        != (PdfReader(io.BytesIO(genuine)).attachments["agreement.json"][0])
    )
    assert verify_contract(forged).ok  # integrity alone cannot tell: the verdict says so
    trusted = verify_contract(forged, trust=[pki.root])
    assert trusted.failed == ["seal"]
    assert "does not chain to a trusted root" in next(
        c.detail for c in trusted.checks if c.name == "seal"
    )
    assert verify_contract(genuine, trust=[pki.root]).ok
    # Against the seller's store, the forged deal is not there at all.
    assert "store" in verify_contract(forged, service, trust=[pki.root]).failed
    service.close()


def test_a_self_signed_seal_trusted_as_its_own_root_still_expires(
    tmp_path: Path, sealer: Pkcs12Sealer
) -> None:
    service = _service(tmp_path / "deals.db", sealer)
    result = service.contract(drive_to(service, sample_deal_spec(), Stage.SIGNED))
    pdf = result.pdf
    assert result.seal_level == "B-B"  # no timestamp authority configured
    service.close()
    (root,) = (Path(sealer.path).parent).glob("dev-seal.pem")
    assert verify_contract(pdf, trust=[root]).ok
    years_later = datetime(2031, 1, 1, tzinfo=UTC)  # the development certificate lasts two
    for trust in ([root], []):
        verdict = verify_contract(pdf, trust=trust, at=years_later)
        assert verdict.failed == ["seal"]
        detail = next(c.detail for c in verdict.checks if c.name == "seal")
        assert "certificate expired on" in detail
