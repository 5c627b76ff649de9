"""The service: :class:`DealService`, assembled from one use-case mixin per area.

It receives its event store, clock, seller policy, clause library, contract renderer and
sealer; it never picks adapters itself (that is :mod:`dealflow.bootstrap`). The areas:
:mod:`~dealflow.application.deals` (the lifecycle actions), :mod:`~dealflow.application.queries`
(reading), :mod:`~dealflow.application.recording` (the one write path and the hooks),
:mod:`~dealflow.application.members` (who acts, the roster),
:mod:`~dealflow.application.aftersales` (commitments, claims, reviews, health),
:mod:`~dealflow.application.advising` (the advisor), :mod:`~dealflow.application.contracts`
(PDFs) and :mod:`~dealflow.application.audit` (the hash chain). What stays here is what they
share: the policy's rules for a deal, and the renderer, sealer and clause library built on
first use.
"""

from __future__ import annotations

import typing
import uuid
from collections.abc import Callable
from datetime import timedelta

from dealflow.application.advising import AdvisingUseCases
from dealflow.application.aftersales import AfterSalesUseCases
from dealflow.application.audit import AuditUseCases
from dealflow.application.contracts import ContractUseCases
from dealflow.application.deals import DealUseCases
from dealflow.application.members import MembershipUseCases
from dealflow.application.recording import (
    CONFLICT_ATTEMPTS,
    CONFLICT_PATIENCE,
    DEFAULT_CLOCK_SKEW,
    describe_change,
)
from dealflow.domain.deal import Deal
from dealflow.domain.events import AnyEvent
from dealflow.domain.listing import DealQuery
from dealflow.domain.members import Roster
from dealflow.domain.policy import ApprovalPolicy, BuyerClass, SellerPolicy
from dealflow.errors import RenderError
from dealflow.ports import Clock, EventStore, Renderer, Sealer

__all__ = [
    "CONFLICT_ATTEMPTS",
    "CONFLICT_PATIENCE",
    "DEFAULT_CLOCK_SKEW",
    "DealService",
    "describe_change",
    "new_deal_id",
]


def new_deal_id() -> str:
    """A random 12-character deal id."""
    return uuid.uuid4().hex[:12]


class DealService(
    MembershipUseCases,
    AfterSalesUseCases,
    AdvisingUseCases,
    ContractUseCases,
    AuditUseCases,
    DealUseCases,
):
    """Runs deals through their lifecycle on an event store, acting as one member of the
    store's roster; each area's use cases come from its mixin (see the module)."""

    def __init__(
        self,
        store: EventStore,
        clock: Clock,
        policy: SellerPolicy | None = None,
        *,
        clauses: dict[str, bool] | Callable[[], dict[str, bool]] | None = None,
        renderer: Renderer | Callable[[], Renderer] | None = None,
        sealer: Sealer | Callable[[], Sealer | None] | None = None,
        new_id: Callable[[], str] = new_deal_id,
        clock_skew: timedelta = DEFAULT_CLOCK_SKEW,
        member: str | None = None,
    ) -> None:
        if clock_skew < timedelta(0):
            raise ValueError(f"clock_skew cannot be negative: {clock_skew}")
        self.store = store
        #: How far an action may be dated before the deal's last event (see the module).
        self.clock_skew = clock_skew
        self.clock = clock
        self.policy = policy or SellerPolicy()
        self._clauses = clauses
        self._renderer = renderer
        self._sealer = sealer
        self._new_id = new_id
        self._deals: dict[str, Deal] = {}
        #: The member this service acts as (None: the system user's login; on PostgreSQL,
        #: the database login's member), and the roster as last read.
        self._member = member
        self._roster = Roster()
        self._hooks: list[tuple[str, Callable[[AnyEvent], object]]] = []

    # Policy -----------------------------------------------------------------------------

    def buyer_class(self, deal: Deal) -> BuyerClass:
        """Prospect, repeat or loyal, from the buyer's other signed deals in this store.

        A buyer is matched by tax id when both deals have one, else by normalised name. Repeat
        after the policy's number of signed deals; loyal after its number within its window.
        """
        query = DealQuery(same_buyer_as=deal.buyer, signed_only=True)
        signed_at = [
            row.signed_at
            for row in self.store.list_deals(query)
            if row.id != deal.id and row.signed_at is not None
        ]
        return self.policy.buyer_classes.classify(signed_at, self.clock.now())

    @property
    def clauses(self) -> dict[str, bool] | None:
        """The clause library (id: standard?), read on first use; None checks no clause ids."""
        if callable(self._clauses):
            self._clauses = self._clauses()
        return self._clauses

    @property
    def renderer(self) -> Renderer:
        """The contract renderer, built on first use (rendering loads WeasyPrint)."""
        if self._renderer is None:
            raise RenderError("this service has no contract renderer; pass renderer=")
        if isinstance(self._renderer, type) or not hasattr(self._renderer, "render"):
            # A factory (a class counts: it has ``render`` but as an unbound function).
            factory: Callable[[], Renderer] = self._renderer
            self._renderer = factory()
        return typing.cast(Renderer, self._renderer)

    @property
    def sealer(self) -> Sealer | None:
        """The seal for signed contracts, opened on first use; None seals nothing."""
        if self._sealer is not None and not hasattr(self._sealer, "seal"):
            factory: Callable[[], Sealer | None] = self._sealer
            self._sealer = factory()
        return typing.cast(Sealer | None, self._sealer)

    def rules(
        self, deal: Deal, *, with_class: bool = True, with_clauses: bool = True
    ) -> ApprovalPolicy:
        """The policy's rules for this deal: its buyer's class, floor and clause library.

        The class and the library cost a query and a read; only the actions that use them
        (agreeing, special terms) ask for them.
        """
        buyer_class = self.buyer_class(deal) if with_class else BuyerClass.PROSPECT
        return self.policy.approval_policy(buyer_class, self.clauses if with_clauses else None)

    def close(self) -> None:
        """Close the store."""
        self.store.close()
