"""The after-sales and relationship use cases of :class:`~dealflow.application.service.DealService`:
commitments, fulfilments and waivers, warranty claims and complaints, the clock's review,
relationship health and buyer value.

They are a mixin so that the service stays one object with one API; each method loads,
decides with :mod:`dealflow.domain.aftersales` (pure) and records, like every other action.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from dealflow.domain import aftersales as a
from dealflow.domain.claims import ClaimKind
from dealflow.domain.commitments import Commitment
from dealflow.domain.deal import Deal
from dealflow.domain.events import AnyEvent, ClaimOpened
from dealflow.domain.listing import DealQuery, name_key, same_buyer, tax_key
from dealflow.domain.parties import Actor, Party
from dealflow.domain.policy import SellerPolicy
from dealflow.domain.terms import Department
from dealflow.errors import BuyerNotFoundError, ClockBehindError, ConcurrencyConflictError
from dealflow.ports import Clock, EventStore

if TYPE_CHECKING:
    from dealflow.read.reports import BuyerReport, Review


class _Service(Protocol):
    """What these use cases need of the service they are mixed into."""

    @property
    def store(self) -> EventStore: ...
    @property
    def clock(self) -> Clock: ...
    @property
    def policy(self) -> SellerPolicy: ...
    def get(self, deal_id: str) -> Deal: ...
    def deals(self) -> list[Deal]: ...
    def _record(
        self,
        deal: Deal | None,
        deal_id: str,
        events: Sequence[AnyEvent],
        *,
        simulated: bool = False,
    ) -> Deal: ...
    def _retrying(self, write: Callable[[], Deal]) -> Deal: ...
    def _actor(self, actor: Actor) -> Actor: ...


def buyer_groups(deals: Sequence[Deal]) -> list[list[Deal]]:
    """The deals grouped by buyer, as the seller matches buyers (tax id, else name)."""
    groups: list[list[Deal]] = []
    for deal in deals:
        for group in groups:
            if same_buyer(group[0].buyer, deal.buyer):
                group.append(deal)
                break
        else:
            groups.append([deal])
    return groups


def complaint_claim(
    deal: Deal, actor: Actor, now: datetime, note: str, policy: SellerPolicy
) -> ClaimOpened:
    """The complaint claim a logged complaint opens (recorded with the interaction)."""
    request = a.ClaimRequest(kind=ClaimKind.COMPLAINT, note=note)
    return a.open_claim(deal, actor, now, request, policy.relationship.complaint_response_hours)


def _matches(party: Party, wanted: str) -> bool:
    wanted_tax = tax_key(wanted)
    if wanted_tax and wanted_tax == tax_key(party.tax_id):
        return True
    key = name_key(wanted)
    return bool(key) and key in name_key(party.name)


class AfterSalesUseCases:
    """After the signature: what was promised, what was kept, and how the buyer is doing."""

    # Commitments ---------------------------------------------------------------------------

    def commitments(self: _Service, deal_id: str) -> tuple[Commitment, ...]:
        """The deal's dated commitments with their statuses (none before signing)."""
        return a.commitments_of(self.get(deal_id))

    def fulfil(
        self: _Service, deal_id: str, item: str, actor: Actor, note: str | None = None
    ) -> Deal:
        """Record commitment ``item`` as kept now (late after its due date); the deal
        completes when this settles its last commitment."""
        actor = self._actor(actor)
        deal = self.get(deal_id)
        return self._record(deal, deal_id, a.fulfil(deal, item, actor, self.clock.now(), note))

    def waive(self: _Service, deal_id: str, item: str, actor: Actor, *, reason: str) -> Deal:
        """Release the owner from commitment ``item`` (a manager or legal, with a reason)."""
        actor = self._actor(actor)
        deal = self.get(deal_id)
        return self._record(deal, deal_id, a.waive(deal, item, actor, self.clock.now(), reason))

    # Claims --------------------------------------------------------------------------------

    def open_claim(
        self: _Service,
        deal_id: str,
        actor: Actor,
        *,
        kind: ClaimKind | str,
        note: str,
        item: str | None = None,
    ) -> Deal:
        """Record a warranty claim or a complaint; its promised response time is the
        warranty's, or the policy's for complaints."""
        actor = self._actor(actor)
        request = a.ClaimRequest(kind=ClaimKind(kind), note=note, item=item)
        hours = self.policy.relationship.complaint_response_hours

        def write() -> Deal:
            deal = self.get(deal_id)
            event = a.open_claim(deal, actor, self.clock.now(), request, hours)
            return self._record(deal, deal_id, [event])

        return self._retrying(write)

    def respond_claim(self: _Service, deal_id: str, claim_id: str, actor: Actor, note: str) -> Deal:
        """Record the first response to a claim (measured against the promised hours)."""
        actor = self._actor(actor)

        def write() -> Deal:
            deal = self.get(deal_id)
            event = a.respond_claim(deal, claim_id, actor, self.clock.now(), note)
            return self._record(deal, deal_id, [event])

        return self._retrying(write)

    def resolve_claim(self: _Service, deal_id: str, claim_id: str, actor: Actor, note: str) -> Deal:
        """Close a claim."""
        actor = self._actor(actor)

        def write() -> Deal:
            deal = self.get(deal_id)
            event = a.resolve_claim(deal, claim_id, actor, self.clock.now(), note)
            return self._record(deal, deal_id, [event])

        return self._retrying(write)

    # The clock -----------------------------------------------------------------------------

    def review(self: _Service, now: datetime | None = None) -> Review:
        """Move every signed deal's commitments on by the calendar at ``now`` (the clock's
        time unless given; a given time marks the events as simulated), start service once
        its date has come, complete deals whose commitments are settled or whose term has
        ended, and list what each owner must do within the week."""
        from dealflow.domain.buyer_value import renewals
        from dealflow.read.reports import Review, ReviewChange, review_change

        at = now or self.clock.now()
        rules = self.policy.after_sales
        changes: list[ReviewChange] = []
        skipped: list[str] = []
        this_week: dict[Department, list[a.ActionItem]] = {}
        reviewed: list[tuple[Deal, Sequence[Commitment]]] = []
        for row in self.store.list_deals(DealQuery(signed_only=True)):
            deal = self.get(row.id)
            events = a.review_deal(deal, at, rules)
            if events:
                try:
                    deal = self._record(deal, deal.id, events, simulated=now is not None)
                except (ConcurrencyConflictError, ClockBehindError):
                    # Another writer moved it, or it has events after the review's time:
                    # the next review will.
                    skipped.append(deal.id)
                    continue
                changes.extend(review_change(deal, e) for e in events)
            for action in a.needs_action(deal, at.date()):
                this_week.setdefault(action.owner, []).append(action)
            reviewed.append((deal, a.commitments_of(deal)))
        for items in this_week.values():
            items.sort(key=lambda i: (i.due, i.deal_id, i.item))
        window = self.policy.relationship.renewal_window_days
        return Review(
            at=at,
            changes=changes,
            this_week=dict(sorted(this_week.items())),
            renewals=renewals(reviewed, at.date(), window),
            skipped=skipped,
        )

    # Relationship --------------------------------------------------------------------------

    def buyers(self: _Service) -> list[list[Deal]]:
        """Every buyer's deals, grouped as the seller matches buyers (tax id, else name)."""
        return buyer_groups(self.deals())

    def health(self: _Service, buyer: str | None = None) -> list[BuyerReport]:
        """Relationship health, buyer value and renewals for every buyer, or for the buyers
        whose name contains ``buyer`` (or whose tax id it is); weakest first."""
        groups = buyer_groups(self.deals())
        if buyer is not None:
            groups = [g for g in groups if any(_matches(d.buyer, buyer) for d in g)]
            if not groups:
                raise BuyerNotFoundError(
                    f"no deal in this store is with a buyer matching {buyer!r}; "
                    "`dealflow list` shows the buyers"
                )
        from dealflow.read.reports import buyer_report

        now = self.clock.now()
        reports = [buyer_report(group, now, self.policy) for group in groups]
        return sorted(reports, key=lambda r: (r.health.score, r.buyer))
