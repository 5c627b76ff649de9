"""Names, titles and the texts that must say something: a text of spaces, invisible characters
(zero-width, format, filler) or combining marks alone is blank, and refused when written; what
a store recorded is read back as it was."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

import dealflow
from dealflow import Actor, Role
from dealflow.domain.events import DealOpened, read_stored
from dealflow.domain.parties import STORED, Party, Representative, is_blank
from tests.conftest import SAMPLE_FILE, staffed

SAMPLE = SAMPLE_FILE.read_text("utf-8")
SELLER = Actor(name="Budi Santoso", role=Role.SELLER)
BUYER = Actor(name="Siti Rahmawati", role=Role.BUYER)

INVISIBLE = [
    "\u200b",  # zero-width space
    "\u200b\u200c\u200d",  # and the joiners
    "\ufeff",  # byte order mark
    "\u2060\u2061",  # word joiner, function application
    "\u00ad",  # soft hyphen
    "\u200e\u202e",  # bidi marks and overrides
    "\U000e0041\U000e0042",  # tags
    "\u3164",  # Hangul filler
    "\u115f\u1160",  # Hangul choseong and jungseong fillers
    "\uffa0",  # halfwidth Hangul filler
    "\u2800",  # braille blank
    "\u0301\u0308",  # combining marks with no letter
    " \u200b\u3000\u00a0\t",  # mixed with spaces
]
VISIBLE = ["Siti", "\u200bSiti\u200d", "e\u0301", "李", "🙂", "\u2800a", ".", "7"]


@pytest.mark.parametrize("text", INVISIBLE)
def test_invisible_characters_alone_are_blank(text: str) -> None:
    assert is_blank(text)


@pytest.mark.parametrize("text", VISIBLE)
def test_one_visible_character_is_enough(text: str) -> None:
    assert not is_blank(text)


LETTERS = st.characters(categories=["Lu", "Ll", "Lt", "Lo", "Nd"]).filter(
    lambda c: c not in "\u115f\u1160\u3164\uffa0"
)
INVISIBLES = st.characters(categories=["Zs", "Cf", "Mn", "Me"])


@given(st.text(INVISIBLES, min_size=1), st.text(INVISIBLES), LETTERS)
def test_a_letter_among_invisible_characters_makes_a_name(
    before: str, after: str, letter: str
) -> None:
    assert is_blank(before + after)
    assert not is_blank(before + letter + after)
    assert Actor(name=f"{before}{letter}{after}"[:200], role=Role.BUYER).name


@pytest.mark.parametrize("text", INVISIBLE)
def test_an_invisible_name_or_title_is_refused_when_written(text: str) -> None:
    with pytest.raises(ValidationError, match="cannot be blank"):
        Actor(name=text, role=Role.MANAGER)
    with pytest.raises(ValidationError, match="cannot be blank"):
        Representative(name="Siti", title=text)
    with pytest.raises(ValidationError, match="cannot be blank"):
        Representative(name=text, title="Manager")
    rep = Representative(name="Siti", title="Manager")
    with pytest.raises(ValidationError, match="cannot be blank"):
        Party(name=text, address="Jl. Sudirman 1", representative=rep)
    with pytest.raises(ValidationError, match="cannot be blank"):
        Party(name="PT Sinar", address=text, representative=rep)


def test_the_message_says_the_characters_are_invisible() -> None:
    with pytest.raises(ValidationError, match="it has only invisible characters"):
        Actor(name="\u200b\u200d", role=Role.BUYER)


@pytest.mark.parametrize(
    ("old", "where"),
    [
        ("name: PT Sinar Abadi Minuman", "buyer.name"),
        ("name: PT Maju Jaya Teknik", "seller.name"),
        ("name: Siti Rahmawati", "buyer.representative.name"),
        ("title: Procurement Manager", "buyer.representative.title"),
        ("title: Conveyor line upgrade for Plant 2", "title"),
        ("address: Jl. Gatot Subroto Kav. 12, Jakarta 12930", "buyer.address"),
    ],
)
def test_a_deal_file_with_an_invisible_name_or_title_is_refused(old: str, where: str) -> None:
    key = old.partition(":")[0]
    text = SAMPLE.replace(old, f'{key}: "\\u200b\\u200c\\u3164"', 1)
    assert text != SAMPLE
    with pytest.raises(dealflow.DealFileError) as refused:
        dealflow.parse_deal_spec(text)
    assert f"{where}: cannot be blank: it has only invisible characters" in str(refused.value)


def _awaiting_signatures() -> tuple[dealflow.DealService, str]:
    service = staffed(dealflow.connect("memory://"))
    deal_id = service.open_deal(dealflow.load_deal_file(SAMPLE_FILE)).id
    service.present(deal_id, SELLER)
    service.offer(deal_id, SELLER, dealflow.TermsChange())
    service.accept(deal_id, BUYER)
    service.agree(deal_id, SELLER)
    return service, deal_id


def test_a_signature_with_an_invisible_title_is_refused() -> None:
    service, deal_id = _awaiting_signatures()
    with pytest.raises(dealflow.InvalidTermsError, match="needs the signatory's title"):
        service.sign(deal_id, BUYER, title="\u200b\u2060")
    assert service.sign(deal_id, BUYER, title="Director").signatures


def test_an_invisible_reason_or_note_is_refused() -> None:
    service, deal_id = _awaiting_signatures()
    with pytest.raises(dealflow.InvalidTermsError, match="needs a note"):
        service.log_interaction(deal_id, BUYER, channel="phone", kind="contact", note="\u200b")


def test_a_stored_invisible_name_is_read_back_as_it_was() -> None:
    assert Actor.model_validate({"name": "\u200b", "role": "buyer"}, context=STORED).name == (
        "\u200b"
    )
    service = staffed(dealflow.connect("memory://"))
    deal = service.open_deal(dealflow.load_deal_file(SAMPLE_FILE))
    stored = [e.model_dump_json() for e in service.history(deal.id)]
    name = deal.buyer.name
    tampered = [s.replace(name, "\u200b\u3164") for s in stored]
    assert tampered != stored
    (opened,) = read_stored(tampered)
    assert isinstance(opened, DealOpened)
    assert opened.buyer.name == "\u200b\u3164"


def test_the_blank_categories_are_those_that_print_nothing() -> None:
    for char in "\u200b\u200c\u200d\ufeff\u2060":
        assert unicodedata.category(char) == "Cf"
        assert is_blank(char)


@pytest.mark.parametrize("text", ["\u200b\u2060", "\ufeff", "\u202e", "\u00ad", "\u3164", "   "])
def test_free_texts_of_the_terms_cannot_be_invisible(text: str) -> None:
    from dealflow.domain.parties import STORED
    from dealflow.domain.terms import LineItem

    with pytest.raises(ValidationError, match="cannot be blank"):
        LineItem(sku="A", description=text, quantity=1, unit_price="1")
    for field in ("purpose", "delivery_place"):
        with pytest.raises(ValidationError, match="cannot be blank"):
            dealflow.SpecialTerms(**{field: text})
    with pytest.raises(ValidationError, match="cannot be blank"):
        dealflow.SpecialTerms(custom_clauses=(text,))
    stored = {"sku": "A", "description": text, "quantity": 1, "unit_price": "1"}
    assert LineItem.model_validate(stored, context=STORED).description == text
