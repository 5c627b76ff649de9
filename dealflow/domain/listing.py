"""The read model: one row per deal, kept by the stores beside the events, for queries.

A store writes a deal's :class:`DealRow` in the same transaction as the events that changed
it, so ``list`` and a buyer's history are answered from an indexed table, never by replaying
every deal. :class:`DealQuery` is what can be asked. Buyers are matched as the seller would:
by tax id when both sides have one, else by name without legal forms and punctuation.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from decimal import Decimal
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from dealflow.domain.deal import Deal
from dealflow.domain.lifecycle import Stage
from dealflow.domain.money import Money
from dealflow.domain.parties import Party, Side

#: Legal-form words left out when buyers are matched by name ("PT Sinar Abadi" = "Sinar Abadi").
_LEGAL_FORMS = frozenset({"pt", "tbk", "cv", "ltd", "inc", "llc", "gmbh", "co", "corp", "bv"})
#: The stages in which one side is expected to answer the other.
ANSWERING = frozenset({Stage.OFFERED, Stage.NEGOTIATING, Stage.SPECIAL_AGREEMENT})


def name_key(name: str) -> str:
    """A name as matched: case, accents' width, punctuation and legal forms ignored."""
    text = unicodedata.normalize("NFKC", name).casefold()
    words = "".join(c if c.isalnum() else " " for c in text).split()
    return " ".join(w for w in words if w not in _LEGAL_FORMS)


def tax_key(tax_id: str | None) -> str | None:
    """A tax id as matched: its letters and digits only."""
    if tax_id is None:
        return None
    return "".join(filter(str.isalnum, tax_id)).casefold() or None


def same_buyer(a: Party, b: Party) -> bool:
    """The same organisation: equal tax ids when both have one, else equal names."""
    a_tax, b_tax = tax_key(a.tax_id), tax_key(b.tax_id)
    if a_tax and b_tax:
        return a_tax == b_tax
    return name_key(a.name) == name_key(b.name)


class DealRow(BaseModel):
    """One deal as ``dealflow list`` shows it, and as the stores index it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    title: str
    stage: Stage
    seller: str
    buyer: str
    buyer_tax: str | None = None
    buyer_name_key: str
    owner: str
    grand_total: Money
    turn: Side | None = None
    expires_at: AwareDatetime | None = None
    opened_at: AwareDatetime
    updated_at: AwareDatetime
    signed_at: AwareDatetime | None = None
    version: int


class DealQuery(BaseModel):
    """What ``list`` can ask; every filter is optional and they combine with AND."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    stage: Stage | None = None
    #: Part of the buyer's name, any case.
    buyer: str | None = None
    #: The buyer itself: rows whose buyer is the same organisation as this party.
    same_buyer_as: Party | None = None
    owner: str | None = None
    min_total: Decimal | None = None
    max_total: Decimal | None = None
    expires_before: datetime | None = None
    signed_only: bool = False
    limit: Annotated[int, Field(gt=0, le=1_000_000)] | None = None


def deal_row(deal: Deal) -> DealRow:
    """The read-model row of a deal as it stands."""
    latest = deal.latest_offer
    answering = deal.stage in ANSWERING
    open_offer = deal.stage in (Stage.OFFERED, Stage.NEGOTIATING)
    return DealRow(
        id=deal.id,
        title=deal.title,
        stage=deal.stage,
        seller=deal.seller.name,
        buyer=deal.buyer.name,
        buyer_tax=tax_key(deal.buyer.tax_id),
        buyer_name_key=name_key(deal.buyer.name),
        owner=deal.seller.representative.name,
        grand_total=deal.terms.totals.grand_total,
        turn=deal.turn if answering else None,
        expires_at=latest.expires_at if latest is not None and open_offer else None,
        opened_at=deal.opened_at,
        updated_at=deal.updated_at,
        signed_at=deal.contracts[0].signed_at if deal.contracts else None,
        version=deal.version,
    )


def matches(row: DealRow, query: DealQuery) -> bool:
    """Whether a row answers a query (the memory store's filter; SQL stores do the same)."""
    total = row.grand_total.amount
    party = query.same_buyer_as
    return (
        (query.stage is None or row.stage is query.stage)
        and (query.buyer is None or query.buyer.casefold() in row.buyer.casefold())
        and (party is None or _same(row, party))
        and (query.owner is None or query.owner.casefold() == row.owner.casefold())
        and (query.min_total is None or total >= query.min_total)
        and (query.max_total is None or total <= query.max_total)
        and (
            query.expires_before is None
            or (row.expires_at is not None and row.expires_at < query.expires_before)
        )
        and (not query.signed_only or row.signed_at is not None)
    )


def _same(row: DealRow, party: Party) -> bool:
    tax = tax_key(party.tax_id)
    if tax and row.buyer_tax:
        return tax == row.buyer_tax
    return name_key(party.name) == row.buyer_name_key
