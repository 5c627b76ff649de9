"""The terms of a deal: items, price, discount, tax, payment, delivery, special terms and
after-sales promises, with the totals computed from them.

The texts a contract prints from the deal (item and after-sales descriptions, the payment
method, the place of delivery, the special agreement's purpose, place and free-text clauses) are
each one plain string, printed as written in every language of the contract, or a
:class:`LocalizedText` with a text per language (``{id: ..., en: ...}``); a plain string dumps
as before, so the canonical JSON and the hash of terms written with plain strings do not change.

A :class:`Terms` is one complete snapshot: every offer, counter-offer, special agreement and
amendment carries a whole one, so any two versions can be compared and the signed one is never
edited. :meth:`Terms.changed` applies a :class:`TermsChange` (what a counter-offer changes) and
returns a new snapshot.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Self

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationInfo,
    field_validator,
    model_validator,
)

from dealflow.domain.money import (
    MAX_AMOUNT,
    Amount,
    Money,
    Percent,
    check_currency,
    check_minor_unit,
    plain,
    round_to_minor_unit,
    without_exponent,
)
from dealflow.domain.parties import not_blank, written

_FROZEN = ConfigDict(frozen=True, extra="forbid")
ShortText = Annotated[str, Field(min_length=1, max_length=200)]
#: The dates terms may name: wide enough for any deal, narrow enough that every date computed
#: from one (fifty years of warranty after it, a reminder a week before) is still a date.
EARLIEST_DATE = date(1900, 1, 1)
LATEST_DATE = date(2999, 12, 31)


def _in_range(value: date, info: ValidationInfo) -> date:
    if written(info) and not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValueError(f"a date in terms must be from {EARLIEST_DATE} to {LATEST_DATE}")
    return value


ContractDate = Annotated[date, AfterValidator(_in_range)]
#: The longest text a contract prints in one field, and all the texts of its terms together:
#: a description of some thousands of words is a contract; a megabyte is not, and would take
#: minutes to lay out. Terms longer than this are refused when written, not when signed.
MAX_TEXT_CHARS = 20_000
MAX_TERMS_CHARS = 200_000


#: A free text of the terms (a description, a purpose, a clause): something to read, not only
#: spaces or invisible characters (checked when written; a store reads back what it recorded).
LongText = Annotated[str, Field(min_length=1, max_length=1_048_576), AfterValidator(not_blank)]

#: The languages a text of the terms may be given in: those a contract prints.
TEXT_LANGUAGES = ("id", "en")
#: The names of the two forms of a deal text where a problem is located; they hold a space, so
#: that no field can be named so (a file's problems leave them out of the field path).
PLAIN_TEXT, BY_LANGUAGE = "plain text", "by language"


class LocalizedText(BaseModel):
    """A text of the terms given per language: ``{id: ..., en: ...}``, at least one of them.

    A contract prints each language's own text in that language's column; one it lacks is
    printed from the other and the render says so (:func:`missing_languages`).
    """

    model_config = _FROZEN

    id: LongText | None = None
    en: LongText | None = None

    @model_validator(mode="after")
    def _some_text(self) -> Self:
        if self.id is None and self.en is None:
            raise ValueError("give the text in id, en or both")
        return self

    def in_language(self, language: str) -> str:
        """The text in ``language``, else in the other language (the contract notes it)."""
        own = self.id if language == "id" else self.en
        return own if own is not None else str(self)

    def __str__(self) -> str:
        # Where one text is shown outside a contract (the command line, a note): English
        # first, as dealflow's messages are written.
        return self.en if self.en is not None else str(self.id)


def _form(value: object) -> str:
    return BY_LANGUAGE if isinstance(value, dict | LocalizedText) else PLAIN_TEXT


#: A text the contract prints: a plain string (every language) or a text per language.
DealText = Annotated[
    Annotated[LongText, Tag(PLAIN_TEXT)] | Annotated[LocalizedText, Tag(BY_LANGUAGE)],
    Discriminator(_form),
]


def _short_texts(value: str | LocalizedText) -> str | LocalizedText:
    texts = [value] if isinstance(value, str) else [t for t in (value.id, value.en) if t]
    if any(len(text) > 200 for text in texts):
        raise ValueError("must be at most 200 characters long")
    return value


#: A short deal text (the payment method): at most 200 characters in each language.
ShortDealText = Annotated[DealText, AfterValidator(_short_texts)]


def text_in(text: str | LocalizedText, language: str) -> str:
    """What a contract prints for ``text`` in ``language``: a plain string as written, a
    text per language in its own language (else in the other)."""
    return text if isinstance(text, str) else text.in_language(language)


def text_languages(text: str | LocalizedText) -> tuple[str, ...]:
    """The languages ``text`` is given in: none stated for a plain string."""
    if isinstance(text, str):
        return ()
    return tuple(lang for lang in TEXT_LANGUAGES if getattr(text, lang) is not None)


class LineItem(BaseModel):
    """One product or service line: what, how many, at what unit price."""

    model_config = _FROZEN

    sku: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][\w.\-/]*$")]
    description: DealText
    quantity: Annotated[int, Field(gt=0, le=1_000_000_000, strict=True)]
    unit_price: Amount

    @field_validator("unit_price")
    @classmethod
    def _not_negative(cls, value: Decimal) -> Decimal:
        if value < 0:
            raise ValueError("unit price cannot be negative")
        return value


class Discount(BaseModel):
    """A discount on the subtotal: a percentage, or a fixed amount in the deal currency."""

    model_config = _FROZEN

    percent: Percent | None = None
    amount: Amount | None = None

    @model_validator(mode="after")
    def _one_kind(self) -> Self:
        if self.percent is not None and self.amount is not None:
            raise ValueError("give a discount as a percentage or as an amount, not both")
        if self.amount is not None and self.amount < 0:
            raise ValueError("a discount amount cannot be negative")
        return self

    @classmethod
    def parse(cls, text: str) -> Discount:
        """Read ``"5%"`` as a percentage and ``"1500000"`` as an amount."""
        text = text.strip()
        if text.endswith("%"):
            return cls(percent=text.removesuffix("%").rstrip())
        return cls(amount=text)

    def __str__(self) -> str:
        if self.amount is not None:
            return plain(self.amount)
        return f"{plain(self.percent or Decimal(0), grouped=False)}%"


NO_DISCOUNT = Discount()


class Payment(BaseModel):
    """When and how the buyer pays: days after the contract's start date (Article 3.3), and the
    method."""

    model_config = _FROZEN

    due_days: Annotated[int, Field(ge=0, le=3650, strict=True)] = 30
    method: ShortDealText = "bank transfer"


class Delivery(BaseModel):
    """Where the goods go and by which date."""

    model_config = _FROZEN

    place: DealText
    by: ContractDate | None = None


class AfterSalesKind(StrEnum):
    """The kinds of after-sales promise (*purna jual*)."""

    INSTALLATION = "installation"
    TRAINING = "training"
    MAINTENANCE = "maintenance"
    REPAIR = "repair"
    WARRANTY = "warranty"
    SUPPORT = "support"


class Department(StrEnum):
    """Who owns a commitment."""

    SALES = "sales"
    MANUFACTURING = "manufacturing"
    SERVICE = "service"
    FINANCE = "finance"
    BUYER = "buyer"


class AfterSales(BaseModel):
    """One after-sales promise as written in the terms."""

    model_config = _FROZEN

    kind: AfterSalesKind
    description: DealText
    owner: Department = Department.SERVICE
    within_days: Annotated[int, Field(gt=0, le=3650, strict=True)] | None = None
    every_months: Annotated[int, Field(gt=0, le=120, strict=True)] | None = None
    for_months: Annotated[int, Field(gt=0, le=600, strict=True)] | None = None
    response_hours: Annotated[int, Field(gt=0, le=8760, strict=True)] | None = None

    @model_validator(mode="after")
    def _schedule_is_complete(self) -> Self:
        if self.every_months is not None and self.for_months is None:
            raise ValueError("a recurring promise (every_months) needs for_months too")
        if self.kind is AfterSalesKind.WARRANTY and self.for_months is None:
            raise ValueError("a warranty needs for_months")
        return self


class DeliverySplit(BaseModel):
    """Part of the quantity of one item delivered on its own date."""

    model_config = _FROZEN

    sku: ShortText
    quantity: Annotated[int, Field(gt=0, le=1_000_000_000, strict=True)]
    on: ContractDate


class Delivering(BaseModel):
    """One delivery of the schedule: its date (None: a date the parties agree later) and the
    quantity of each item delivered then, as ``(sku, quantity)``."""

    model_config = _FROZEN

    on: date | None
    goods: tuple[tuple[str, int], ...]


class SpecialTerms(BaseModel):
    """Terms particular to this buyer (*kesepakatan khusus*).

    ``clauses`` name clauses of the standard library by id; ``custom_clauses`` are free text
    written for this deal, which legal must approve.
    """

    model_config = _FROZEN

    purpose: DealText | None = None
    delivery_place: DealText | None = None
    delivery_by: ContractDate | None = None
    splits: tuple[DeliverySplit, ...] = ()
    after_sales: Annotated[tuple[AfterSales, ...], Field(max_length=100)] = ()
    clauses: tuple[ShortText, ...] = ()
    custom_clauses: tuple[DealText, ...] = ()

    @property
    def non_standard(self) -> bool:
        """True when a free-text clause is present (legal must look at it)."""
        return bool(self.custom_clauses)


class Totals(BaseModel):
    """The amounts computed from terms, each rounded to the currency's minor unit."""

    model_config = ConfigDict(frozen=True)

    subtotal: Money
    discount: Money
    net: Money
    tax: Money
    grand_total: Money


class Terms(BaseModel):
    """A complete snapshot of what is offered or agreed."""

    model_config = _FROZEN

    currency: str
    items: Annotated[tuple[LineItem, ...], Field(min_length=1, max_length=1000)]
    discount: Discount = NO_DISCOUNT
    tax_rate: Percent = Decimal(0)
    payment: Payment = Payment()
    delivery: Delivery | None = None
    valid_days: Annotated[int, Field(gt=0, le=365, strict=True)] = 14
    special: SpecialTerms | None = None
    after_sales: tuple[AfterSales, ...] = ()

    @field_validator("currency", mode="before")
    @classmethod
    def _known_currency(cls, value: object) -> str:
        return check_currency(value)

    @field_validator("items")
    @classmethod
    def _priced_in_the_currency(
        cls, items: tuple[LineItem, ...], info: ValidationInfo
    ) -> tuple[LineItem, ...]:
        """New terms price each unit in the currency's minor unit (a stored snapshot is read
        as it was); a price carried over from a store with an exponent is written plainly."""
        currency = info.data.get("currency")
        if currency is None or not written(info):
            return items
        for item in items:
            check_minor_unit(item.unit_price, currency, f"the unit price of {item.sku}")
        return tuple(
            item
            if "E" not in str(item.unit_price)
            else item.model_copy(update={"unit_price": without_exponent(item.unit_price)})
            for item in items
        )

    @field_validator("discount")
    @classmethod
    def _discount_in_the_currency(cls, discount: Discount, info: ValidationInfo) -> Discount:
        currency = info.data.get("currency")
        if currency is None or discount.amount is None or not written(info):
            return discount
        check_minor_unit(discount.amount, currency, "the discount")
        if "E" in str(discount.amount):
            return discount.model_copy(update={"amount": without_exponent(discount.amount)})
        return discount

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> Self:
        skus = [item.sku for item in self.items]
        duplicates = sorted({s for s in skus if skus.count(s) > 1})
        if duplicates:
            raise ValueError(f"each SKU may appear once; repeated: {', '.join(duplicates)}")
        subtotal = sum(item.quantity * item.unit_price for item in self.items)
        if subtotal > MAX_AMOUNT:
            raise ValueError("the subtotal is larger than dealflow accepts (10^15)")
        if written(info):  # rules for new terms; a stored snapshot is read as it was
            self._printable_and_priced()
        if self.special:
            unknown = sorted({s.sku for s in self.special.splits} - set(skus))
            if unknown:
                raise ValueError(f"delivery split names unknown SKU {', '.join(unknown)}")
            for item in self.items:
                scheduled = sum(s.quantity for s in self.special.splits if s.sku == item.sku)
                if scheduled > item.quantity:  # the rest comes on the main delivery date
                    raise ValueError(
                        f"the delivery splits of {item.sku} add up to {scheduled}, "
                        f"more than its quantity of {item.quantity}"
                    )
            if written(info):
                self._every_item_scheduled()
        return self

    def _every_item_scheduled(self) -> None:
        """Goods the instalments leave out are delivered on the delivery date; without one,
        they would have no date at all (and the dates that count from delivery none either)."""
        deliveries = self.deliveries
        if deliveries and deliveries[-1].on is None:
            left = ", ".join(f"{quantity} of {sku}" for sku, quantity in deliveries[-1].goods)
            raise ValueError(
                f"the delivery splits leave {left} without a date: split them too, or give "
                "a delivery date for the rest"
            )

    def _printable_and_priced(self) -> None:
        """A fixed discount no larger than the subtotal; texts a contract can print."""
        off, cur = self.discount.amount, self.currency
        if off is not None and round_to_minor_unit(off, cur) > (
            rounded := self.totals.subtotal.amount
        ):
            raise ValueError(
                f"a discount of {plain(off)} {cur} is more than the subtotal of "
                f"{plain(rounded)} {cur}"
            )
        # Lengths first (new terms are checked often); where, only to say it.
        lengths = [len(text) for _, text in self._long_texts(named=False)]
        if max(lengths) > MAX_TEXT_CHARS:
            where, text = next(w for w in self._long_texts() if len(w[1]) > MAX_TEXT_CHARS)
            raise ValueError(
                f"{where} is {len(text):,} characters; a contract prints at most "
                f"{MAX_TEXT_CHARS:,} in one text: keep long specifications in a document "
                "of their own and name it in the deal"
            )
        if sum(lengths) > MAX_TERMS_CHARS:
            raise ValueError(
                f"the terms' texts are {sum(lengths):,} characters in all; a contract prints "
                f"at most {MAX_TERMS_CHARS:,}"
            )

    def _long_texts(self, *, named: bool = True) -> Iterator[tuple[str, str]]:
        """The free texts of the terms, each language's apart, with where they are
        (``items[0].description``; not worked out unless ``named``). Short ones, such as SKUs,
        cannot reach the limits."""
        for where, text in self.deal_texts(named=named):
            if isinstance(text, str):
                yield where, text
            else:
                for lang in text_languages(text):
                    yield (f"{where}.{lang}" if named else ""), getattr(text, lang)

    def deal_texts(self, *, named: bool = True) -> Iterator[tuple[str, str | LocalizedText]]:
        """Every text of the terms a contract prints, plain or per language, with where it
        is (``items[0].description``; not worked out unless ``named``)."""
        for n, item in enumerate(self.items):
            yield (f"items[{n}].description" if named else ""), item.description
        yield "payment.method", self.payment.method
        if self.delivery is not None:
            yield "delivery.place", self.delivery.place
        for n, promise in enumerate(self.after_sales):
            yield (f"after_sales[{n}].description" if named else ""), promise.description
        special = self.special
        if special is not None:
            if special.purpose is not None:
                yield "special.purpose", special.purpose
            if special.delivery_place is not None:
                yield "special.delivery_place", special.delivery_place
            for n, clause in enumerate(special.custom_clauses):
                yield (f"special.custom_clauses[{n}]" if named else ""), clause
            for n, promise in enumerate(special.after_sales):
                where = f"special.after_sales[{n}].description" if named else ""
                yield where, promise.description

    def missing_languages(self, languages: Iterable[str]) -> list[tuple[str, str]]:
        """The texts given per language that lack one of ``languages`` (those a contract
        prints), as ``(where, language)``; a plain string is printed as written in every
        language and lacks none."""
        wanted = tuple(languages)
        missing: list[tuple[str, str]] = []
        for where, text in self.deal_texts():
            if isinstance(text, LocalizedText):
                given = text_languages(text)
                missing.extend((where, lang) for lang in wanted if lang not in given)
        return missing

    @property
    def deliveries(self) -> tuple[Delivering, ...]:
        """The delivery schedule, by date: each instalment of the special agreement, and the
        quantities its instalments leave to the delivery date (the special agreement's, else
        the terms'); those on no date when the terms name none. Empty without instalments."""
        special = self.special
        if special is None or not special.splits:
            return ()
        main = special.delivery_by or (self.delivery.by if self.delivery else None)
        by_date: dict[date | None, list[tuple[str, int]]] = {}
        for split in special.splits:
            by_date.setdefault(split.on, []).append((split.sku, split.quantity))
        for item in self.items:
            scheduled = sum(s.quantity for s in special.splits if s.sku == item.sku)
            if scheduled < item.quantity:
                by_date.setdefault(main, []).append((item.sku, item.quantity - scheduled))
        dated = sorted((d for d in by_date if d is not None), key=lambda d: d.toordinal())
        order = [*dated, *([None] if None in by_date else [])]
        return tuple(Delivering(on=d, goods=tuple(by_date[d])) for d in order)

    @property
    def last_delivery(self) -> date | None:
        """The date the last delivery is due: the last instalment's (or the delivery date's,
        where instalments leave goods to it), else the delivery date; None when none is set."""
        deliveries = self.deliveries
        if deliveries:
            if deliveries[-1].on is None:
                return None
            return deliveries[-1].on
        special = self.special
        return (special.delivery_by if special else None) or (
            self.delivery.by if self.delivery else None
        )

    def line_total(self, item: LineItem) -> Money:
        """Quantity times unit price, rounded to the minor unit."""
        amount = round_to_minor_unit(item.quantity * item.unit_price, self.currency)
        return Money.model_construct(amount=amount, currency=self.currency)

    @property
    def totals(self) -> Totals:
        """Subtotal, discount, net, tax and grand total; never negative.

        Each line is rounded, the discount is rounded (an amount above the subtotal is refused
        when the terms are made), and tax is computed on the rounded net amount and rounded
        again.
        """
        cur = self.currency
        subtotal = sum((self.line_total(i).amount for i in self.items), Decimal(0))
        if self.discount.amount is not None:
            off = min(round_to_minor_unit(self.discount.amount, cur), subtotal)
        else:
            rate = self.discount.percent or Decimal(0)
            off = round_to_minor_unit(subtotal * rate / 100, cur)
        net = subtotal - off
        tax = round_to_minor_unit(net * self.tax_rate / 100, cur)

        def money(amount: Decimal) -> Money:
            return Money.model_construct(amount=amount, currency=cur)

        return Totals(
            subtotal=money(subtotal),
            discount=money(off),
            net=money(net),
            tax=money(tax),
            grand_total=money(net + tax),
        )

    @property
    def discount_percent(self) -> Decimal:
        """The discount as a percentage of the subtotal (for policy checks)."""
        totals = self.totals
        if totals.subtotal.amount == 0:
            return Decimal(0)
        return (totals.discount.amount * 100 / totals.subtotal.amount).quantize(Decimal("0.01"))

    def canonical_json(self) -> str:
        """One canonical JSON form: sorted keys, decimals as strings, no spaces."""
        data = self.model_dump(mode="json")
        return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    @property
    def terms_hash(self) -> str:
        """SHA-256 of :meth:`canonical_json`, in hex."""
        return hashlib.sha256(self.canonical_json().encode("utf-8")).hexdigest()

    @property
    def warranty_months(self) -> int | None:
        """The months of warranty promised in the after-sales section, if any."""
        for promise in self.after_sales:
            if promise.kind is AfterSalesKind.WARRANTY:
                return promise.for_months
        return None

    def _with_warranty(self, months: int) -> tuple[AfterSales, ...]:
        if self.warranty_months is None:
            added = AfterSales(
                kind=AfterSalesKind.WARRANTY, description="Warranty", for_months=months
            )
            return (*self.after_sales, added)
        return tuple(
            p.model_copy(update={"for_months": months}) if p.kind is AfterSalesKind.WARRANTY else p
            for p in self.after_sales
        )

    def changed(self, change: TermsChange) -> Terms:
        """A new snapshot with the change applied; raises ValueError for an impossible one."""
        update: dict[str, object] = {}
        if change.discount is not None:
            update["discount"] = change.discount
        if change.quantities or change.unit_prices:
            known = {item.sku for item in self.items}
            unknown = sorted((set(change.quantities) | set(change.unit_prices)) - known)
            if unknown:
                raise ValueError(
                    f"unknown SKU {', '.join(unknown)}; this deal has {', '.join(sorted(known))}"
                )
            update["items"] = tuple(
                item.model_copy(
                    update={
                        "quantity": change.quantities.get(item.sku, item.quantity),
                        "unit_price": change.unit_prices.get(item.sku, item.unit_price),
                    }
                )
                for item in self.items
            )
        if change.payment_days is not None or change.payment_method is not None:
            update["payment"] = Payment(
                due_days=self.payment.due_days
                if change.payment_days is None
                else change.payment_days,
                method=change.payment_method or self.payment.method,
            )
        if change.delivery_place is not None or change.delivery_date is not None:
            current = self.delivery
            place = change.delivery_place or (current.place if current else None)
            if place is None:
                raise ValueError("a delivery date needs a delivery place")
            update["delivery"] = Delivery(
                place=place, by=change.delivery_date or (current.by if current else None)
            )
        if change.warranty_months is not None:
            update["after_sales"] = self._with_warranty(change.warranty_months)
        if change.valid_days is not None:
            update["valid_days"] = change.valid_days
        if change.response_hours is not None:
            if self.warranty_months is None and change.warranty_months is None:
                raise ValueError("there is no warranty to set a response time on")
            promises = update.get("after_sales", self.after_sales)
            assert isinstance(promises, tuple)
            update["after_sales"] = tuple(
                p.model_copy(update={"response_hours": change.response_hours})
                if p.kind is AfterSalesKind.WARRANTY
                else p
                for p in promises
            )
        if change.special is not None:
            update["special"] = change.special
            if change.special.after_sales:
                # Promises made in the special agreement replace those of the same kind.
                promised = {p.kind for p in change.special.after_sales}
                kept = update.get("after_sales", self.after_sales)
                assert isinstance(kept, tuple)
                update["after_sales"] = (
                    *(p for p in kept if p.kind not in promised),
                    *change.special.after_sales,
                )
        if not update:
            return self
        # Re-validate the whole snapshot so that a change cannot break an invariant.
        return Terms.model_validate({**dict(self), **update})


class TermsChange(BaseModel):
    """What an offer, counter-offer or amendment changes; unset fields stay as they are."""

    model_config = _FROZEN

    discount: Discount | None = None
    quantities: dict[str, Annotated[int, Field(gt=0, le=1_000_000_000)]] = Field(
        default_factory=dict
    )
    unit_prices: dict[str, Amount] = Field(default_factory=dict)
    payment_days: Annotated[int, Field(ge=0, le=3650)] | None = None
    payment_method: ShortText | None = None
    delivery_place: LongText | None = None
    delivery_date: ContractDate | None = None
    warranty_months: Annotated[int, Field(gt=0, le=600)] | None = None
    response_hours: Annotated[int, Field(gt=0, le=8760)] | None = None
    valid_days: Annotated[int, Field(gt=0, le=365)] | None = None
    special: SpecialTerms | None = None

    @field_validator("unit_prices")
    @classmethod
    def _prices_not_negative(cls, value: dict[str, Decimal]) -> dict[str, Decimal]:
        for sku, price in value.items():
            if price < 0:
                raise ValueError(f"unit price of {sku} cannot be negative")
        return value
