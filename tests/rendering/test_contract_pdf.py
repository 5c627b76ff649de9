"""Contract PDFs, read back as legal reads them: the text of every page, the embedded terms,
the metadata; the same deal version gives the same bytes in other processes; signed versions
are kept; templates can be overridden and are checked."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader

import dealflow
from dealflow import Language, SpecialTerms
from dealflow.adapters.rendering.formats import money, words
from dealflow.adapters.rendering.pdf import PdfRenderer
from dealflow.adapters.rendering.templates import TemplateSet
from dealflow.application.demo import play_demo, sample_deal_spec
from dealflow.bootstrap import check_templates
from dealflow.domain.agreement import agreement_of
from dealflow.files.clauses import clause_standards
from tests.conftest import BUYER, SELLER, START, staffed

REPO = Path(__file__).parents[2]


@pytest.fixture(autouse=True)
def no_weasyprint_warnings(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Every rendering test fails on any warning WeasyPrint logs (bad CSS, a missing font)."""
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        yield
    logged = [r.getMessage() for r in caplog.records if r.name.startswith("weasyprint")]
    assert not logged, logged


def new_service(
    renderer: PdfRenderer | None = None, folders: tuple[Path, ...] = ()
) -> dealflow.DealService:
    return staffed(
        dealflow.DealService(
            dealflow.MemoryEventStore(),
            dealflow.FixedClock(START),
            clauses=clause_standards(folders),
            renderer=renderer or PdfRenderer(TemplateSet(folders)),
        )
    )


@pytest.fixture(scope="module")
def signed() -> Iterator[tuple[dealflow.DealService, dealflow.Deal]]:
    """The demo deal, signed and in service, on a fixed clock."""
    service = new_service()
    deal = play_demo(service)
    yield service, deal
    service.close()


@pytest.fixture(scope="module")
def pdfs(signed: tuple[dealflow.DealService, dealflow.Deal]) -> dict[str, bytes]:
    """The signed contract in each language."""
    service, deal = signed
    return {lang.value: service.contract(deal.id, language=lang).pdf for lang in Language}


def pages(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def flat(text: str) -> str:
    """Text without whitespace: lines wrap wherever the layout breaks them."""
    return re.sub(r"\s+", "", text)


@pytest.mark.parametrize("lang", ["en", "id", "id+en"])
def test_the_contract_names_the_parties_every_item_and_the_totals_in_its_language(
    pdfs: dict[str, bytes], signed: tuple[dealflow.DealService, dealflow.Deal], lang: str
) -> None:
    _, deal = signed
    text = flat("".join(pages(pdfs[lang])))
    for party in (deal.seller, deal.buyer):
        assert flat(party.name) in text
        assert flat(party.address) in text
    terms = deal.signed_contract.terms  # type: ignore[union-attr]
    for item in terms.items:
        assert flat(item.sku) in text
        assert flat(item.description) in text
    first = lang.split("+", maxsplit=1)[0]
    totals = terms.totals
    for amount in (totals.subtotal, totals.discount, totals.tax, totals.grand_total):
        assert flat(money(amount, first)) in text
    for tongue in lang.split("+"):
        assert flat(words(totals.grand_total, tongue)) in text


def test_amounts_are_formatted_and_written_out_as_each_language_does(
    pdfs: dict[str, bytes],
) -> None:
    indonesian, english = flat("".join(pages(pdfs["id"]))), flat("".join(pages(pdfs["en"])))
    # Rp with dots for thousands in Indonesian, commas in English; the grand total in words.
    assert "Rp344.655.000" in indonesian
    assert flat("tiga ratus empat puluh empat juta enam ratus lima puluh lima ribu") in indonesian
    assert "Rp344,655,000" in english
    assert flat("three hundred and forty-four million, six hundred and fifty-five thousand") in (
        english
    )
    assert "Rp344,655,000" not in indonesian


def test_the_side_by_side_contract_carries_both_languages_indonesian_first(
    pdfs: dict[str, bytes],
) -> None:
    first_page = flat(pages(pdfs["id+en"])[0])
    assert first_page.index("PERJANJIANJUALBELI") < first_page.index("SalesAgreement")
    text = flat("".join(pages(pdfs["id+en"])))
    assert flat("teks Bahasa Indonesia yang berlaku") in text
    assert flat("the Bahasa Indonesia text prevails") in text
    assert flat("Pasal 1. Ruang Lingkup") in text
    assert flat("Article 1. Scope") in text


def test_every_page_has_the_footer_with_number_hash_and_page_x_of_y(
    pdfs: dict[str, bytes], signed: tuple[dealflow.DealService, dealflow.Deal]
) -> None:
    _, deal = signed
    number = f"DF-{deal.id.upper()}-V1"
    for lang, marker in [("en", "Page {} of {}"), ("id", "Halaman {} dari {}")]:
        texts = pages(pdfs[lang])
        assert len(texts) >= 3
        for n, text in enumerate(texts, start=1):
            assert marker.format(n, len(texts)) in text
            assert number in text
            assert agreement_of(deal, 1).agreement_hash[:12] in text


def test_the_clauses_chosen_appear_in_the_special_agreement_annex() -> None:
    spec = sample_deal_spec()
    service = new_service()
    deal_id = service.open_deal(spec).id
    service.present(deal_id, SELLER)
    service.offer(deal_id, SELLER)
    service.accept(deal_id, BUYER)
    special = SpecialTerms(
        purpose="Line 3", clauses=("exclusivity", "escrow-payment"), custom_clauses=("Own text",)
    )
    service.propose_special(deal_id, BUYER, special)
    text = flat("".join(pages(service.contract(deal_id, language="id+en").pdf)))
    assert flat("Regional exclusivity") in text
    assert flat("Eksklusivitas wilayah") in text
    assert flat("Own text") in text
    assert flat("Lampiran A: Kesepakatan Khusus") in text
    # A clause not chosen is not printed.
    assert flat("late delivery penalty") not in text.lower()


def test_a_draft_says_draft_on_every_page_and_a_signed_contract_does_not(
    pdfs: dict[str, bytes],
) -> None:
    service = new_service()
    deal_id = service.open_deal(sample_deal_spec()).id
    draft = service.contract(deal_id, language="en")
    assert not draft.document.signed
    assert all("DRAFT" in text for text in pages(draft.pdf))
    assert not any("DRAFT" in text for text in pages(pdfs["en"]))


def test_terms_json_is_the_canonical_terms_of_the_signed_version(
    pdfs: dict[str, bytes], signed: tuple[dealflow.DealService, dealflow.Deal]
) -> None:
    _, deal = signed
    contract = deal.signed_contract
    assert contract is not None
    for pdf in pdfs.values():
        reader = PdfReader(io.BytesIO(pdf))
        assert sorted(reader.attachments) == ["agreement.json", "evidence.json", "terms.json"]
        (data,) = reader.attachments["terms.json"]
        assert data.decode("utf-8") == contract.terms.canonical_json()
        assert hashlib.sha256(data).hexdigest() == contract.terms_hash
        assert dealflow.Terms.model_validate(json.loads(data)) == contract.terms


def test_agreement_json_is_the_signed_agreement_with_both_parties(
    pdfs: dict[str, bytes], signed: tuple[dealflow.DealService, dealflow.Deal]
) -> None:
    _, deal = signed
    contract = deal.signed_contract
    assert contract is not None and contract.agreement_hash is not None
    for pdf in pdfs.values():
        reader = PdfReader(io.BytesIO(pdf))
        (data,) = reader.attachments["agreement.json"]
        assert hashlib.sha256(data).hexdigest() == contract.agreement_hash
        agreement = dealflow.Agreement.model_validate_json(data)
        assert agreement.canonical_json().encode("utf-8") == data
        assert (agreement.deal_id, agreement.contract_version) == (deal.id, 1)
        assert agreement.number == f"DF-{deal.id.upper()}-V1"
        assert agreement.amends is None
        assert (agreement.seller.name, agreement.buyer.name) == (deal.seller.name, deal.buyer.name)
        assert agreement.buyer.tax_id == deal.buyer.tax_id
        assert agreement.buyer.representative == deal.buyer.representative.name
        assert agreement.terms == contract.terms
        assert reader.metadata is not None
        assert reader.metadata["/agreementsha256"] == contract.agreement_hash


def test_the_pdf_is_pdf_a_3b_with_the_contract_metadata(
    pdfs: dict[str, bytes], signed: tuple[dealflow.DealService, dealflow.Deal]
) -> None:
    _, deal = signed
    reader = PdfReader(io.BytesIO(pdfs["id+en"]))
    metadata = reader.metadata
    assert metadata is not None
    assert f"DF-{deal.id.upper()}-V1" in (metadata.title or "")
    assert deal.buyer.name in (metadata.title or "")
    assert metadata.author == deal.seller.name
    assert metadata.get("/termssha256") == deal.terms_hash
    xmp = reader.xmp_metadata
    assert xmp is not None
    raw = xmp.stream.get_data().decode("utf-8")
    assert re.search(r"pdfaid:part[^0-9]*3", raw)
    assert re.search(r"pdfaid:conformance[^A-Z]*B", raw)
    # Dates come from the deal's own events, never from the clock of the render.
    signed_at = deal.signed_contract.signed_at  # type: ignore[union-attr]
    assert metadata.creation_date is not None
    assert metadata.creation_date.replace(tzinfo=None) == signed_at.replace(tzinfo=None)


RENDER_SCRIPT = """
import hashlib, sys
from datetime import UTC, datetime
import dealflow
from dealflow.adapters.rendering.pdf import PdfRenderer
from dealflow.application.demo import play_demo
service = dealflow.DealService(
    dealflow.MemoryEventStore(), dealflow.FixedClock(datetime(2026, 11, 2, 9, tzinfo=UTC)),
    renderer=PdfRenderer(), new_id=lambda: "0123456789ab",
)
deal = play_demo(service)
print(hashlib.sha256(service.contract(deal.id, language=sys.argv[1]).pdf).hexdigest())
"""


def test_the_same_deal_version_renders_byte_identical_in_two_processes() -> None:
    def render() -> str:
        result = subprocess.run(
            [sys.executable, "-c", RENDER_SCRIPT, "id+en"],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
            cwd=REPO,
        )
        return result.stdout.strip()

    first, second = render(), render()
    assert re.fullmatch(r"[0-9a-f]{64}", first)
    assert first == second


def test_a_signed_version_is_rendered_once_and_kept_with_its_sha256(
    signed: tuple[dealflow.DealService, dealflow.Deal], pdfs: dict[str, bytes]
) -> None:
    service, deal = signed
    again = service.contract(deal.id, language="id+en")
    assert again.stored
    assert again.pdf == pdfs["id+en"]
    assert again.sha256 == hashlib.sha256(pdfs["id+en"]).hexdigest()
    assert again.document.file_name in service.store.artifacts(deal.id)


def test_a_kept_contract_is_returned_even_after_the_templates_change(tmp_path: Path) -> None:
    service = new_service()
    deal = play_demo(service)
    kept = service.contract(deal.id, version=1)
    assert not kept.stored
    partials = tmp_path / "partials"
    partials.mkdir()
    (partials / "parties.html.j2").write_text("<section>OVERRIDDEN PARTIES</section>")
    other = staffed(
        dealflow.DealService(
            service.store, service.clock, renderer=PdfRenderer(TemplateSet([tmp_path]))
        )
    )
    again = other.contract(deal.id, version=1)
    assert again.stored
    assert again.pdf == kept.pdf
    # A draft is never kept, so it follows the templates.
    draft_id = other.open_deal(sample_deal_spec()).id
    assert "OVERRIDDENPARTIES" in flat("".join(pages(other.contract(draft_id).pdf)))
    assert other.store.artifacts(draft_id) == []


def test_a_team_folder_overrides_one_partial_and_adds_clauses(tmp_path: Path) -> None:
    (tmp_path / "partials").mkdir()
    (tmp_path / "partials" / "parties.html.j2").write_text(
        "<section><h2>Our parties</h2><p>{{ c.seller.name }} sells to {{ c.buyer.name }}</p>"
        "</section>"
    )
    (tmp_path / "clauses").mkdir()
    (tmp_path / "clauses" / "site-safety.yaml").write_text(
        "id: site-safety\nstandard: true\n"
        "title: {en: Site safety, id: Keselamatan lokasi}\n"
        "text: {en: Our engineers wear helmets., id: Teknisi kami memakai helm.}\n"
    )
    service = new_service(folders=(tmp_path,))
    deal_id = service.open_deal(sample_deal_spec()).id
    service.present(deal_id, SELLER)
    service.offer(deal_id, SELLER)
    service.accept(deal_id, BUYER)
    service.propose_special(deal_id, BUYER, SpecialTerms(clauses=("site-safety",)))
    text = flat("".join(pages(service.contract(deal_id, language="en").pdf)))
    assert flat("PT Maju Jaya Teknik sells to PT Sinar Abadi Minuman") in text
    assert flat("Our engineers wear helmets.") in text
    assert flat("Price schedule") in text  # the other partials are still the built-ins


def test_a_missing_variable_names_the_template_and_line(tmp_path: Path) -> None:
    (tmp_path / "partials").mkdir()
    (tmp_path / "partials" / "parties.html.j2").write_text("<p>ok</p>\n<p>{{ c.sellr.name }}</p>")
    service = new_service(PdfRenderer(TemplateSet([tmp_path])))
    deal_id = service.open_deal(sample_deal_spec()).id
    with pytest.raises(dealflow.TemplateProblemError) as caught:
        service.contract(deal_id)
    assert caught.value.template == "parties.html.j2"
    assert caught.value.line == 2
    assert "sellr" in str(caught.value)


def test_a_missing_template_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(dealflow.RenderError, match="does not exist"):
        TemplateSet([tmp_path / "nowhere"])


def test_an_unknown_language_is_refused_in_one_line(
    signed: tuple[dealflow.DealService, dealflow.Deal],
) -> None:
    service, deal = signed
    with pytest.raises(dealflow.RenderError, match="unknown contract language 'fr'"):
        service.contract(deal.id, language="fr")


def test_an_unsigned_version_number_is_refused(
    signed: tuple[dealflow.DealService, dealflow.Deal],
) -> None:
    service, deal = signed
    with pytest.raises(dealflow.VersionNotFoundError, match="no contract version 7"):
        service.contract(deal.id, version=7)


def test_templates_check_passes_on_the_built_ins_and_reports_a_broken_folder(
    tmp_path: Path,
) -> None:
    report = check_templates(layout=False)
    assert report.problems == ()
    assert report.renders == 12  # 4 samples (one with texts per language) in 3 languages
    (tmp_path / "partials").mkdir()
    (tmp_path / "partials" / "signatures.html.j2").write_text(
        "{{ c.no_such_field }}\n{{ clause('no-such-clause') }}"
    )
    (tmp_path / "wording").mkdir()
    english = (REPO / "contract_templates" / "wording" / "en.html.j2").read_text("utf-8")
    (tmp_path / "wording" / "en.html.j2").write_text(
        english.replace('{"title": "Confidentiality"', '{"title": "Secrets"', 1).replace(
            '"Each party shall keep confidential', '"One.", "Each party shall keep confidential'
        )
    )
    broken = check_templates([tmp_path], layout=False)
    problems = [str(p) for p in broken.problems]
    assert any("signatures.html.j2:1: missing variable" in p for p in problems), problems
    assert any("articles and clauses differ" in p for p in problems), problems


def test_an_amendment_is_drafted_as_a_new_version_and_the_signed_one_stays_kept() -> None:
    service = new_service()
    deal = play_demo(service)
    first = service.contract(deal.id, language="en")
    assert first.document.contract_version == 1
    service.amend(
        deal.id, BUYER, dealflow.TermsChange(payment_days=60), reason="Budget moved to Q2"
    )
    draft = service.contract(deal.id, language="en")
    assert draft.document.contract_version == 2
    assert not draft.document.signed
    text = flat("".join(pages(draft.pdf)))
    assert flat("AMENDMENT AGREEMENT") in text
    assert flat(f"amends contract DF-{deal.id.upper()}-V1") in text
    assert flat("Budget moved to Q2") in text
    assert flat("within 60 days") in text
    assert "DRAFT" in text
    # The signed version is still there, byte for byte.
    assert service.contract(deal.id, version=1, language="en").pdf == first.pdf


def test_the_renderer_may_be_given_as_a_class_or_a_factory() -> None:
    for renderer in (PdfRenderer, lambda: PdfRenderer(TemplateSet())):
        service = staffed(
            dealflow.DealService(
                dealflow.MemoryEventStore(), dealflow.FixedClock(START), renderer=renderer
            )
        )
        deal_id = service.open_deal(sample_deal_spec()).id
        assert service.contract(deal_id, language="en").pdf.startswith(b"%PDF-")
    bare = staffed(dealflow.DealService(dealflow.MemoryEventStore(), dealflow.FixedClock(START)))
    deal_id = bare.open_deal(sample_deal_spec()).id
    with pytest.raises(dealflow.RenderError, match="no contract renderer"):
        bare.contract(deal_id)
