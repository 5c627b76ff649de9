"""Deal texts per language, the delivery schedule and the one start date, in the domain.

A plain string still works and keeps the canonical terms (and so the hash) of every deal written
before; a text per language is read, validated and reported in a rep's words; the delivery
schedule gives every item a date; every date counts from the last delivery, while contracts
signed by release 0.1 keep the dates they were signed with.
"""

from __future__ import annotations

import json
import shutil
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import jsonschema
import pytest

import dealflow
from dealflow import DeliverySplit, LocalizedText, SpecialTerms, Terms
from dealflow.application.demo import play_demo, sample_deal_spec
from dealflow.domain.commitments import Counting, schedule, service_start, start_basis
from dealflow.domain.terms import Delivering, text_in
from dealflow.files.dealfile import deal_file_schema, parse_deal_spec
from dealflow.files.dealfile.documents import read_document as _read_document
from tests.conftest import SAMPLE_FILE, START, staffed

#: The sample deal's terms hashes, computed before texts per language existed: the opening
#: terms of the deal file, and the terms ``dealflow demo`` signs.
SAMPLE_PROPOSAL_HASH = "859282e02a31554c79635d3c96f4e5654e87472c8f93ce2e094fcddc5020a4c7"
SAMPLE_SIGNED_HASH = "d35a0b4955ebe72e30e4d5aba9fb6b221e1de871f594ccdd292d592f0ec8e50c"
RELEASE_0_1 = Path(__file__).parents[1] / "fixtures" / "release-0.1"


def read_document(text: str) -> Any:
    """A deal file's data as JSON writes it (dates and decimals as text), for its schema."""
    return json.loads(json.dumps(_read_document(text), default=str))


def sample_with(old: str, new: str) -> str:
    text = SAMPLE_FILE.read_text("utf-8")
    assert old in text
    return text.replace(old, new)


def test_terms_written_with_plain_strings_keep_their_hash() -> None:
    spec = sample_deal_spec()
    assert spec.proposal().terms_hash == SAMPLE_PROPOSAL_HASH
    assert '"description":"Line sensor kit"' in spec.proposal().canonical_json()
    service = dealflow.DealService(dealflow.MemoryEventStore(), dealflow.FixedClock(START))
    deal = play_demo(staffed(service))
    (contract,) = deal.contracts
    assert contract.terms_hash == contract.terms.terms_hash == SAMPLE_SIGNED_HASH


def test_a_text_per_language_is_read_and_printed_in_each_language() -> None:
    spec = parse_deal_spec(
        sample_with(
            "description: Line sensor kit",
            "description: {id: Perangkat sensor lini, en: Line sensor kit}",
        )
    )
    terms = spec.proposal()
    sensor = terms.items[1].description
    assert sensor == LocalizedText(id="Perangkat sensor lini", en="Line sensor kit")
    assert (text_in(sensor, "id"), text_in(sensor, "en")) == (
        "Perangkat sensor lini",
        "Line sensor kit",
    )
    assert text_in(terms.items[0].description, "id") == "Modular conveyor belt, 200 m"
    assert terms.terms_hash != SAMPLE_PROPOSAL_HASH
    assert '"description":{"en":"Line sensor kit","id":"Perangkat sensor lini"}' in (
        terms.canonical_json()
    )
    # What a store wrote reads back the same.
    stored = Terms.model_validate_json(terms.canonical_json(), context={"stored": True})
    assert stored == terms and stored.terms_hash == terms.terms_hash
    # The format's schema describes both forms.
    validator = jsonschema.Draft202012Validator(deal_file_schema())
    validator.validate(read_document(SAMPLE_FILE.read_text("utf-8")))
    validator.validate(
        read_document(sample_with("method: bank transfer", "method: {id: transfer bank}"))
    )
    wrong = read_document(sample_with("method: bank transfer", "method: {fr: virement}"))
    assert not validator.is_valid(wrong)


def test_texts_lacking_a_language_are_named_and_printed_from_the_other() -> None:
    terms = parse_deal_spec(
        sample_with("method: bank transfer", "method: {en: bank transfer}")
    ).proposal()
    assert terms.missing_languages(["id", "en"]) == [("payment.method", "id")]
    assert terms.missing_languages(["en"]) == []
    assert text_in(terms.payment.method, "id") == "bank transfer"
    assert str(terms.payment.method) == "bank transfer"  # where one text is shown


@pytest.mark.parametrize(
    ("written", "says"),
    [
        ("{fr: Kit}", "items[1].description.fr: is not a known field; expected id, en"),
        ("{}", "items[1].description: give the text in id, en or both"),
        ("[a, b]", "items[1].description: must be text, or a text per language such as"),
        ("{idd: Kit}", "items[1].description.idd: is not a known field; did you mean id?"),
        ("{id: ' '}", "items[1].description.id: cannot be blank"),
    ],
)
def test_a_bad_text_per_language_is_one_line_naming_the_field(written: str, says: str) -> None:
    with pytest.raises(dealflow.DealFileError) as caught:
        parse_deal_spec(sample_with("description: Line sensor kit", f"description: {written}"))
    assert says in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_payment_method_per_language_is_at_most_200_characters_in_each() -> None:
    with pytest.raises(dealflow.DealFileError, match=r"payment\.method: must be at most 200"):
        parse_deal_spec(sample_with("method: bank transfer", f"method: {{id: {'x' * 201}}}"))


DEMO_SPLITS = (
    DeliverySplit(sku="CNV-200", quantity=1, on=date(2027, 1, 15)),
    DeliverySplit(sku="CNV-200", quantity=1, on=date(2027, 2, 14)),
)


def test_the_delivery_schedule_gives_every_item_a_date() -> None:
    terms = (
        sample_deal_spec()
        .proposal()
        .model_copy(update={"special": SpecialTerms(splits=DEMO_SPLITS)})
    )
    assert terms.deliveries == (
        Delivering(on=date(2027, 1, 15), goods=(("CNV-200", 1), ("SNS-10", 10))),
        Delivering(on=date(2027, 2, 14), goods=(("CNV-200", 1),)),
    )
    assert terms.last_delivery == date(2027, 2, 14)
    assert sample_deal_spec().proposal().deliveries == ()
    assert sample_deal_spec().proposal().last_delivery == date(2027, 1, 15)


def test_a_split_that_leaves_goods_without_any_date_is_refused_when_proposed(
    service: dealflow.DealService,
) -> None:
    undated = sample_with('delivery: {place: "Plant 2, Cikarang", by: 2027-01-15}', "")
    spec = parse_deal_spec(undated)
    deal_id = service.open_deal(spec).id
    service.present(deal_id, dealflow.Actor(name="Budi Santoso", role=dealflow.Role.SELLER))
    seller = dealflow.Actor(name="Budi Santoso", role=dealflow.Role.SELLER)
    buyer = dealflow.Actor(name="Siti Rahmawati", role=dealflow.Role.BUYER)
    service.offer(deal_id, seller)
    service.accept(deal_id, buyer)
    with pytest.raises(dealflow.InvalidTermsError) as caught:
        service.propose_special(deal_id, buyer, SpecialTerms(splits=DEMO_SPLITS))
    message = str(caught.value)
    assert "leave 10 of SNS-10 without a date" in message and "\n" not in message
    # Every item split, or a delivery date for the rest: accepted.
    every = (*DEMO_SPLITS, DeliverySplit(sku="SNS-10", quantity=10, on=date(2027, 1, 15)))
    assert service.propose_special(deal_id, buyer, SpecialTerms(splits=every)).terms.special
    # A snapshot a store recorded before the rule reads back as it was.
    terms = service.get(deal_id).terms.model_dump(mode="json")
    terms["special"]["splits"] = terms["special"]["splits"][:2]
    stored = Terms.model_validate(terms, context={"stored": True})
    assert stored.deliveries[-1] == Delivering(on=None, goods=(("SNS-10", 10),))


def test_every_date_counts_from_the_last_delivery_or_signing() -> None:
    terms = (
        sample_deal_spec()
        .proposal()
        .model_copy(update={"special": SpecialTerms(splits=DEMO_SPLITS)})
    )
    signed_on = date(2026, 11, 2)
    assert service_start(terms, signed_on) == date(2027, 2, 14)
    assert start_basis(terms, signed_on) == "last-delivery"
    due = {o.id: o.due for o in schedule(terms, signed_on)}
    assert due["installation-1"] == date(2027, 2, 28)
    assert due["payment-1"] == date(2027, 3, 16)  # 30 days
    # Release 0.1's rule: the agreed delivery date.
    old = {o.id: o.due for o in schedule(terms, signed_on, Counting.DELIVERY_DATE)}
    assert old["installation-1"] == date(2027, 1, 29)
    assert start_basis(terms, signed_on, Counting.DELIVERY_DATE) == "delivery-date"
    # Signed after the last delivery: from signing.
    assert service_start(terms, date(2027, 3, 1)) == date(2027, 3, 1)
    assert start_basis(terms, date(2027, 3, 1)) == "signing"


def test_a_contract_signed_by_release_0_1_keeps_the_dates_it_was_signed_with(
    tmp_path: Path,
) -> None:
    path = tmp_path / "deals.db"
    shutil.copyfile(RELEASE_0_1 / "deals.db", path)
    service = dealflow.DealService(
        dealflow.SQLiteEventStore(path),
        dealflow.FixedClock(datetime(2027, 1, 1, tzinfo=UTC)),
        member="root",
    )
    try:
        deal = service.get("2a8adbebac15")
        terms = deal.contracts[-1].terms
        assert terms.last_delivery is not None and terms.delivery is not None
        assert terms.last_delivery > terms.delivery.by  # instalments after the delivery date
        due = {c.id: c.due for c in service.commitments("2a8adbebac15")}
        assert due["installation-1"] == date(2027, 1, 29)  # the delivery date + 14 days
    finally:
        service.close()
