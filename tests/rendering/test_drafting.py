"""The contract reads as one text, in every language: read from the real PDF's text (pypdf).

The Indonesian column prints the Indonesian texts of the deal and the English column the
English ones; Article 3.1 follows Annex A's delivery schedule; payment, the warranty and every
date of Annex B count from the one Start Date of Article 3.3, and the articles print the same
dates as the annexes; the VAT sentence names the tax and the rate on the net price. A text
lacking a language the contract prints is noted in one line, when rendered and by the CLI.
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from pypdf import PdfReader

import dealflow
from dealflow import DeliverySplit, Discount, LocalizedText, SpecialTerms, Stage, TermsChange
from dealflow.adapters.rendering.pdf import PdfRenderer
from dealflow.adapters.rendering.templates import TemplateSet, builtin_templates
from dealflow.bootstrap import check_templates
from dealflow.files.dealfile import parse_deal_spec
from tests.conftest import BUYER, LEGAL, MANAGER, SAMPLE_FILE, SELLER, START, by, staffed

#: The sample deal file with every text it prints given in Indonesian and English.
BILINGUAL = (
    SAMPLE_FILE.read_text("utf-8")
    .replace(
        "description: Modular conveyor belt, 200 m",
        "description: {id: 'Sabuk konveyor modular, 200 m', en: 'Modular conveyor belt, 200 m'}",
    )
    .replace(
        "description: Line sensor kit",
        "description: {id: Perangkat sensor lini, en: Line sensor kit}",
    )
    .replace("method: bank transfer", "method: {id: transfer bank, en: bank transfer}")
    .replace(
        'place: "Plant 2, Cikarang"',
        'place: {id: "Pabrik 2, Cikarang", en: "Plant 2, Cikarang"}',
    )
    .replace(
        "description: Install and commission the line",
        "description: {id: Pemasangan dan komisioning lini, en: Install and commission the line}",
    )
    .replace(
        'description: "Operator training, two sessions"',
        'description: {id: "Pelatihan operator, dua sesi", en: "Operator training, two sessions"}',
    )
    .replace(
        "description: Preventive maintenance visit",
        "description: {id: Kunjungan perawatan preventif, en: Preventive maintenance visit}",
    )
    .replace(
        "description: Parts and labour warranty",
        "description: {id: Garansi suku cadang dan jasa, en: Parts and labour warranty}",
    )
)
INDONESIAN = (
    "Sabuk konveyor modular, 200 m",
    "Perangkat sensor lini",
    "Pemasangan dan komisioning lini",
    "Kunjungan perawatan preventif",
    "Garansi suku cadang dan jasa",
    "Perluasan lini pembotolan 3",
    "Ganti rugi keterlambatan 0,1% per hari",
)
ENGLISH = (
    "Modular conveyor belt, 200 m",
    "Line sensor kit",
    "Install and commission the line",
    "Preventive maintenance visit",
    "Parts and labour warranty",
    "Bottling line 3 expansion",
    "Liquidated damages of 0.1% per day",
)
FIRST, LAST = date(2027, 1, 15), date(2027, 2, 14)
SPECIAL = SpecialTerms(
    purpose=LocalizedText(id="Perluasan lini pembotolan 3", en="Bottling line 3 expansion"),
    splits=(
        DeliverySplit(sku="CNV-200", quantity=1, on=FIRST),
        DeliverySplit(sku="CNV-200", quantity=1, on=LAST),
    ),
    custom_clauses=(
        LocalizedText(
            id="Ganti rugi keterlambatan 0,1% per hari, paling banyak 5%.",
            en="Liquidated damages of 0.1% per day of late delivery, capped at 5%.",
        ),
    ),
)


def flat(text: str) -> str:
    """Text without white space: pypdf breaks lines where the layout does."""
    return re.sub(r"\s+", "", text)


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def signed_deal(service: dealflow.DealService, spec: dealflow.DealSpec) -> str:
    """The demo's negotiation on ``spec``, to both signatures."""
    deal_id = service.open_deal(spec).id
    service.present(deal_id, SELLER)
    service.offer(deal_id, SELLER, TermsChange(discount=Discount.parse("5%")))
    service.counter(deal_id, BUYER, TermsChange(discount=Discount.parse("10%"), payment_days=45))
    service.accept(deal_id, SELLER)
    service.propose_special(deal_id, BUYER, SPECIAL)
    deal = service.agree(deal_id, SELLER)
    approvers = {dealflow.Role.LEGAL: LEGAL, dealflow.Role.MANAGER: MANAGER}
    for role in deal.approvals_pending:
        actor = approvers[role]
        by(service, actor).approve(deal_id, actor)
    service.sign(deal_id, SELLER, title="Sales Director")
    service.sign(deal_id, BUYER, title="Procurement Manager")
    assert service.get(deal_id).stage is Stage.SIGNED
    return deal_id


@pytest.fixture(scope="module")
def signed() -> tuple[dealflow.DealService, str, dict[str, bytes]]:
    service = staffed(
        dealflow.DealService(
            dealflow.MemoryEventStore(), dealflow.FixedClock(START), renderer=PdfRenderer()
        )
    )
    deal_id = signed_deal(service, parse_deal_spec(BILINGUAL, source="bilingual.yaml"))
    pdfs = {}
    for lang in ("en", "id", "id+en"):
        result = service.contract(deal_id, language=lang)
        assert result.notes == (), result.notes  # every text has both languages
        pdfs[lang] = result.pdf
    return service, deal_id, pdfs


def test_each_column_prints_the_deal_texts_in_its_own_language(
    signed: tuple[dealflow.DealService, str, dict[str, bytes]],
) -> None:
    _, _, pdfs = signed
    texts = {lang: flat(pdf_text(pdf)) for lang, pdf in pdfs.items()}
    for text in INDONESIAN:
        assert flat(text) in texts["id"] and flat(text) in texts["id+en"], text
        assert flat(text) not in texts["en"], text
    for text in ENGLISH:
        assert flat(text) in texts["en"] and flat(text) in texts["id+en"], text
        assert flat(text) not in texts["id"], text
    # The payment method and the place of delivery, inside the Indonesian articles.
    assert flat("Pembeli akan membayar nilai kontrak melalui transfer bank") in texts["id"]
    assert flat("Penjual akan menyerahkan Barang di Pabrik 2, Cikarang") in texts["id+en"]
    assert flat("The Buyer shall pay the contract price by bank transfer") in texts["id+en"]
    assert flat("Nilai kontrak, melalui transfer bank") in texts["id"]  # Annex B


def test_the_articles_follow_the_delivery_schedule_and_count_from_one_start_date(
    signed: tuple[dealflow.DealService, str, dict[str, bytes]],
) -> None:
    service, deal_id, pdfs = signed
    due = {c.id: c.due for c in service.commitments(deal_id)}
    # Everything counts from the last delivery: installation within 14 days of it.
    assert due["installation-1"] == LAST + timedelta(days=14)
    assert due["payment-1"] == LAST + timedelta(days=45)
    en = flat(pdf_text(pdfs["en"]))
    assert (
        flat(
            "in 2 instalments as scheduled in Annex A, the first by January 15, 2027 and the last "
            "by February 14, 2027."
        )
        in en
    )
    start = "count from the Start Date, February 14, 2027: the day the last delivery is due"
    assert flat(start) in en
    assert (
        flat("within 45 days of the Start Date defined in Article 3.3, that is by March 31, 2027")
        in en
    )
    assert (
        flat(
            "24 months from the Start Date defined in Article 3.3, that is until February 14, 2029"
        )
        in en
    )
    assert flat("Dates count from the Start Date of Article 3.3, February 14, 2027.") in en
    # Annex B lists the same dates as the articles.
    assert due["payment-1"] == date(2027, 3, 31) and due["warranty-1"] == date(2029, 2, 14)
    annex_b = en[en.index(flat("Annex B: After-Sales Schedule")) :]
    assert flat("(Rp344,655,000) Buyer March 31, 2027") in annex_b
    assert flat("until February 14, 2029") in annex_b
    # Annex A gives every item a date: the sensors the instalments leave go on the first.
    annex_a = en[en.index(flat("Annex A: Special Agreement")) : en.index(flat("Annex B:"))]
    for row in ("1 CNV-200 1 January 15, 2027", "1 SNS-10 10 January 15, 2027",
                "2 CNV-200 1 February 14, 2027"):  # fmt: skip
        assert flat(row) in annex_a, row
    # Nothing counts from the invoice or from acceptance any more.
    for stale in ("invoice", "from acceptance"):
        assert stale not in pdf_text(pdfs["en"]), stale
    for lang in ("id", "id+en"):
        text = flat(pdf_text(pdfs[lang]))
        schedule = (
            "dalam 2 tahap sesuai jadwal dalam Lampiran A, tahap pertama paling lambat "
            "15 Januari 2027 dan tahap terakhir paling lambat 14 Februari 2027."
        )
        assert flat(schedule) in text
        assert flat("dihitung sejak Tanggal Mulai, yaitu 14 Februari 2027") in text
        assert (
            flat("45 hari sejak Tanggal Mulai menurut Pasal 3.3, yaitu paling lambat 31 Maret 2027")
            in text
        )
        assert flat("sejak Tanggal Mulai menurut Pasal 3.3, yaitu sampai 14 Februari 2029") in text
        assert (
            flat("Tanggal dihitung sejak Tanggal Mulai menurut Pasal 3.3, yaitu 14 Februari 2027")
            in text
        )
        assert "tagihan" not in text and "sejakpenerimaan" not in text


def test_the_vat_sentence_names_the_tax_and_its_rate_on_the_net_price(
    signed: tuple[dealflow.DealService, str, dict[str, bytes]],
) -> None:
    service, deal_id, pdfs = signed
    totals = service.get(deal_id).terms.totals
    assert totals.tax.amount == totals.net.amount * 11 / 100  # Rp34,155,000 on Rp310,500,000
    en = flat(pdf_text(pdfs["en"]))
    assert (
        flat(
            "the net price of Rp310,500,000 after a discount of Rp34,500,000, plus value added tax "
            "of Rp34,155,000, charged at 11% on that net price."
        )
        in en
    )
    id_ = flat(pdf_text(pdfs["id"]))
    assert (
        flat(
            "ditambah Pajak Pertambahan Nilai sebesar Rp34.155.000, yang dikenakan dengan "
            "tarif 11% atas harga bersih tersebut."
        )
        in id_
    )
    # The old wording read as if the tax amount were the base.
    assert flat("at 11% of Rp34,155,000") not in en


def test_a_text_lacking_a_language_the_contract_prints_is_noted_in_one_line() -> None:
    text = BILINGUAL.replace(
        "description: {id: Perangkat sensor lini, en: Line sensor kit}",
        "description: {en: Line sensor kit}",
    )
    service = dealflow.DealService(
        dealflow.MemoryEventStore(), dealflow.FixedClock(START), renderer=PdfRenderer()
    )
    deal_id = service.open_deal(parse_deal_spec(text)).id
    bilingual = service.contract(deal_id, language="id+en")
    (note,) = bilingual.notes
    assert "\n" not in note
    assert "items[1].description lacks Indonesian" in note and "{id: ..., en: ...}" in note
    # Printed in English in the Indonesian column rather than left blank.
    assert flat("2 SNS-10 Line sensor kit") in flat(
        pdf_text(service.contract(deal_id, language="id").pdf)
    )
    assert service.contract(deal_id, language="en").notes == ()


def test_the_contract_command_prints_the_missing_language_as_one_note(tmp_path: Path) -> None:
    deal_file = tmp_path / "deal.yaml"
    deal_file.write_text(
        BILINGUAL.replace("language: id+en", "language: id").replace(
            "method: {id: transfer bank, en: bank transfer}", "method: {en: bank transfer}"
        ),
        "utf-8",
    )

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "dealflow", "--store", str(tmp_path / "deals.db"), *args],
            capture_output=True, text=True, timeout=300, check=False, cwd=tmp_path,
        )  # fmt: skip

    opened = run("new", str(deal_file))
    assert opened.returncode == 0, opened.stderr
    result = run("contract", opened.stdout.strip(), "-o", "draft.pdf")
    assert result.returncode == 0, result.stderr
    notes = [line for line in result.stdout.splitlines() if line.startswith("Note: ")]
    assert len(notes) == 1, result.stdout
    assert "payment.method lacks Indonesian" in notes[0]
    assert "Traceback" not in result.stderr


def test_templates_check_finds_a_column_printed_in_the_wrong_language(tmp_path: Path) -> None:
    assert check_templates(layout=False).problems == ()
    team = tmp_path / "team" / "partials"
    team.mkdir(parents=True)
    schedule = (builtin_templates() / "partials" / "price_schedule.html.j2").read_text("utf-8")
    assert "deal_text(item.description)" in schedule
    (team / "price_schedule.html.j2").write_text(
        schedule.replace("deal_text(item.description)", "item.description | printed"), "utf-8"
    )
    report = check_templates([team.parent], layout=False)
    problems = [str(p) for p in report.problems]
    assert any(
        "items[0].description, items[1].description in another language" in p
        and "(texts per language, id)" in p
        for p in problems
    ), problems
    assert TemplateSet([team.parent]).clauses  # the team folder is a template folder
