"""The sample deal as the benchmarks play it: a clock that never moves, a service on a memory
or SQLite store, the two people who negotiate and how the service records them, a change of
terms, the demo played to signed, and a PDF's page count.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from dealflow import (
    Actor,
    Deal,
    DealService,
    DealSpec,
    Discount,
    FixedClock,
    Identified,
    Member,
    MemoryEventStore,
    Role,
    Side,
    SQLiteEventStore,
    Stage,
    TermsChange,
)
from dealflow.application.demo import play_demo
from dealflow.ports import EventStore, Renderer, Sealer

#: When every benchmark's deals happen.
START = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)

#: The demo's contract version that both sides signed.
SIGNED_VERSION = 1


class SetupError(RuntimeError):
    """The sample deal, its document or its kept PDF is not what a benchmark needs."""


def fixed_clock() -> FixedClock:
    """A clock that never moves on its own: the deal's events, hence stored JSON, contract
    dates and rendered bytes, are the same from run to run. One per service that may move it."""
    return FixedClock(START)


def demo_service(
    store: EventStore | Path | None = None,
    *,
    clock: FixedClock | None = None,
    renderer: Renderer | None = None,
    sealer: Sealer | None = None,
) -> DealService:
    """A service on ``store`` (a SQLite file at a path; a new memory store when none), with a
    fixed clock of its own unless ``clock`` is given, and the renderer and sealer given."""
    if store is None:
        store = MemoryEventStore()
    elif isinstance(store, Path):
        store = SQLiteEventStore(store)
    return DealService(store, clock or fixed_clock(), renderer=renderer, sealer=sealer)


@dataclass(frozen=True)
class Cast:
    """The people who act on a deal: its seller's and its buyer's representatives."""

    seller: Actor
    buyer: Actor

    @classmethod
    def of(cls, spec: DealSpec) -> Cast:
        return cls(
            seller=Actor(name=spec.seller.representative.name, role=Role.SELLER),
            buyer=Actor(name=spec.buyer.representative.name, role=Role.BUYER),
        )

    def on_turn(self, deal: Deal) -> Actor:
        """The actor whose turn it is to answer the latest offer."""
        return self.buyer if deal.turn is Side.BUYER else self.seller


def acting_as(member: Member, who: Actor, identified: Identified) -> Actor:
    """``who`` as the service records it when ``member`` acts (identified as ``identified``):
    the seller's side acts as the member, a buyer's act is recorded by it, the system is
    itself."""
    if who.role is Role.SYSTEM:
        return who
    if who.role is Role.BUYER:
        return Actor(
            name=who.name,
            role=Role.BUYER,
            recorded_by=member.id,
            channel=who.channel,
            identified=identified,
        )
    return Actor(name=member.name, role=who.role, member=member.id, identified=identified)


def terms_change(discount: str, payment_days: int) -> TermsChange:
    return TermsChange(discount=Discount.parse(discount), payment_days=payment_days)


def signed_demo_deal(service: DealService) -> Deal:
    """The demo deal played to its end (signed, then in service): its contract version
    :data:`SIGNED_VERSION` is the signed one."""
    deal = play_demo(service)
    signed = [c.contract_version for c in deal.contracts]
    if deal.stage is not Stage.IN_SERVICE or SIGNED_VERSION not in signed:
        raise SetupError(
            f"the demo ended at {deal.stage.value} with signed versions {signed}; "
            f"expected in_service with version {SIGNED_VERSION} signed"
        )
    return deal


def pages(pdf: bytes) -> int:
    from pypdf import PdfReader

    return len(PdfReader(io.BytesIO(pdf)).pages)
