"""Read views of deals for people and tools: what ``show``, ``list`` and ``history`` print.

Each view is a pydantic model, so its JSON form has a JSON Schema; the schemas are shipped in
``dealflow/schemas/`` for tools written in other languages (:func:`json_schemas` makes them).
Views are computed from a deal and the time now; they hold no state of their own.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, TypeAdapter

from dealflow.domain.aftersales import commitments_of
from dealflow.domain.claims import Claim
from dealflow.domain.commitments import Commitment
from dealflow.domain.deal import Approval, Deal, Language, OfferKind, Signature
from dealflow.domain.interactions import Interaction
from dealflow.domain.lifecycle import Action, Stage
from dealflow.domain.listing import ANSWERING
from dealflow.domain.money import Money
from dealflow.domain.parties import Party, Role, Side
from dealflow.domain.terms import Terms, Totals

_VIEW = ConfigDict(frozen=True, extra="forbid")


def whose_turn(deal: Deal) -> Side | None:
    """The side expected to answer the other's latest terms, while that is what is due."""
    return deal.turn if deal.stage in ANSWERING else None


class OfferView(BaseModel):
    """One terms version, without its terms (``dealflow diff`` compares them)."""

    model_config = _VIEW

    version: int
    kind: OfferKind
    side: Side
    contract_version: int
    made_at: AwareDatetime
    expires_at: AwareDatetime | None
    expired: bool
    note: str | None
    terms_hash: str
    grand_total: Money


class ContractView(BaseModel):
    """A signed contract version."""

    model_config = _VIEW

    contract_version: int
    terms_hash: str
    signed_at: AwareDatetime
    amendment_reason: str | None
    signatures: list[Signature]


class DealView(BaseModel):
    """Everything ``dealflow show`` tells about a deal."""

    model_config = _VIEW

    id: str
    title: str
    stage: Stage
    version: int
    opened_at: AwareDatetime
    updated_at: AwareDatetime
    language: Language
    seller: Party
    buyer: Party
    contract_version: int
    amending: bool
    amendment_reason: str | None
    terms: Terms
    totals: Totals
    terms_hash: str
    turn: Side | None
    latest_offer: OfferView | None
    #: The latest offer lapsed but no sweep has recorded the expiry yet; it cannot be accepted.
    offer_lapsed: bool
    offers: list[OfferView]
    approvals_required: list[Role]
    approval_reasons: dict[Role, str]
    approvals: list[Approval]
    approvals_pending: list[Role]
    signatures: list[Signature]
    signatures_pending: list[Side]
    contracts: list[ContractView]
    commitments: list[Commitment]
    claims: list[Claim]
    interactions: list[Interaction]
    next_actions: dict[Role, list[Action]]


def _offer_view(deal: Deal, index: int, now: datetime) -> OfferView:
    offer = deal.offers[index]
    return OfferView(
        version=offer.version,
        kind=offer.kind,
        side=offer.side,
        contract_version=offer.contract_version,
        made_at=offer.made_at,
        expires_at=offer.expires_at,
        expired=offer.expires_at is not None and offer.expires_at <= now,
        note=offer.note,
        terms_hash=offer.terms.terms_hash,
        grand_total=offer.terms.totals.grand_total,
    )


def deal_view(deal: Deal, now: datetime, next_actions: dict[Role, list[Action]]) -> DealView:
    """The view of a deal at time ``now``; ``next_actions`` from the service's dry run."""
    offers = [_offer_view(deal, i, now) for i in range(len(deal.offers))]
    return DealView(
        id=deal.id,
        title=deal.title,
        stage=deal.stage,
        version=deal.version,
        opened_at=deal.opened_at,
        updated_at=deal.updated_at,
        language=deal.language,
        seller=deal.seller,
        buyer=deal.buyer,
        contract_version=deal.contract_version,
        amending=deal.amending,
        amendment_reason=deal.amendment_reason,
        terms=deal.terms,
        totals=deal.terms.totals,
        terms_hash=deal.terms_hash,
        turn=whose_turn(deal),
        latest_offer=offers[-1] if offers else None,
        offer_lapsed=bool(offers)
        and offers[-1].expired
        and deal.stage in (Stage.OFFERED, Stage.NEGOTIATING),
        offers=offers,
        approvals_required=list(deal.approvals_required),
        approval_reasons=dict(deal.approval_reasons),
        approvals=list(deal.approvals),
        approvals_pending=list(deal.approvals_pending),
        signatures=list(deal.signatures),
        signatures_pending=list(deal.signatures_pending)
        if deal.stage is Stage.AWAITING_SIGNATURES
        else [],
        contracts=[
            ContractView(
                contract_version=c.contract_version,
                terms_hash=c.terms_hash,
                signed_at=c.signed_at,
                amendment_reason=c.amendment_reason,
                signatures=list(c.signatures),
            )
            for c in deal.contracts
        ],
        commitments=list(commitments_of(deal)),
        claims=list(deal.claims),
        interactions=list(deal.interactions),
        next_actions=next_actions,
    )


def json_schemas() -> dict[str, dict[str, Any]]:
    """The JSON Schemas of the ``--json`` outputs, by file name in ``dealflow/schemas/``."""
    # Imported here: a command that prints one deal needs none of these models.
    from dealflow.domain.events import EVENTS_ADAPTER
    from dealflow.domain.feed import FeedEntry
    from dealflow.domain.listing import DealRow
    from dealflow.read.reports import BuyerReport, Review

    deal_list = TypeAdapter(list[DealRow])
    commitments = TypeAdapter(list[Commitment])
    health = TypeAdapter(list[BuyerReport])
    draft = {"$schema": "https://json-schema.org/draft/2020-12/schema"}
    return {
        "show.schema.json": {**draft, **DealView.model_json_schema(mode="serialization")},
        "list.schema.json": {
            **draft,
            "title": "DealList",
            **deal_list.json_schema(mode="serialization"),
        },
        "feed-entry.schema.json": {
            **draft,
            **FeedEntry.model_json_schema(mode="serialization"),
        },
        "history.schema.json": {
            **draft,
            "title": "History",
            **EVENTS_ADAPTER.json_schema(mode="serialization"),
        },
        "commitments.schema.json": {
            **draft,
            "title": "Commitments",
            **commitments.json_schema(mode="serialization"),
        },
        "health.schema.json": {
            **draft,
            "title": "BuyerHealth",
            **health.json_schema(mode="serialization"),
        },
        "review.schema.json": {**draft, **Review.model_json_schema(mode="serialization")},
    }
