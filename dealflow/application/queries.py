"""The reading use cases of :class:`~dealflow.DealService`: a deal as it stands, its
history, the store's deals and their index, what each role could do next, and the event feed.

Deals read are kept in memory and brought up to date by reading only the events after the
version held, so a long deal is not replayed from scratch on every action.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from dealflow.application.recording import Recording
from dealflow.domain import commands as c
from dealflow.domain import decisions as d
from dealflow.domain.lifecycle import Action, allowed_actions
from dealflow.domain.listing import DealQuery, DealRow
from dealflow.domain.parties import Actor, Role
from dealflow.domain.projection import replay
from dealflow.errors import DealflowError, DealNotFoundError

if TYPE_CHECKING:
    from dealflow.domain.deal import Deal
    from dealflow.domain.events import AnyEvent
    from dealflow.domain.feed import FeedEntry
    from dealflow.domain.policy import ApprovalPolicy


def _probe(action: Action, actor: Actor) -> c.Command:
    """A command for ``action`` with neutral content, to ask whether it would be refused."""
    match action:
        case Action.AMEND:
            return c.Amend(actor, reason="probe")
        case Action.SIGN:
            return c.Sign(actor, title="probe")
        case _:
            return c.COMMANDS[action](actor)


class QueryUseCases(Recording):
    """Reading deals; nothing here writes."""

    if TYPE_CHECKING:  # the policy's side (dealflow.application.service)

        def rules(
            self, deal: Deal, *, with_class: bool = True, with_clauses: bool = True
        ) -> ApprovalPolicy: ...

    def get(self, deal_id: str) -> Deal:
        """The deal as it stands now; raises DealNotFoundError."""
        known = self._deals.get(deal_id)
        events = self.store.load(deal_id, after=known.version if known else 0)
        if known is None and not events:
            raise DealNotFoundError(deal_id)
        deal = replay(events, known) if events else known
        assert deal is not None
        self._deals[deal_id] = deal
        return deal

    def history(self, deal_id: str) -> list[AnyEvent]:
        """Every event of the deal, oldest first."""
        events = self.store.load(deal_id)
        if not events:
            raise DealNotFoundError(deal_id)
        return events

    def deals(self) -> list[Deal]:
        """Every deal in the store, oldest first, each folded from its events."""
        return [self.get(deal_id) for deal_id in self.store.deal_ids()]

    def list_deals(self, query: DealQuery | None = None, **filters: Any) -> list[DealRow]:
        """Deals as read-model rows, from the store's index: ``list_deals(stage=...)``,
        ``buyer=``, ``owner=``, ``min_total=``, ``max_total=``, ``expires_before=``..."""
        return self.store.list_deals(query or DealQuery(**filters))

    def possible_actions(self, deal_id: str) -> dict[Role, list[Action]]:
        """The actions each role could take on the deal now, found by a dry run of each.

        Every action the stage allows is decided, not recorded, for each role, so the answer
        follows the same rules as the action itself: roles, turns, expiry, pending approvals
        and signatures. Roles with nothing to do are left out; ``expire`` is the clock's.
        """
        deal = self.get(deal_id)
        now = self.clock.now()
        # Whether an action is possible depends on neither the class nor the library.
        rules = self.rules(deal, with_class=False, with_clauses=False)
        possible: dict[Role, list[Action]] = {}
        for role in (Role.SELLER, Role.BUYER, Role.MANAGER, Role.LEGAL, Role.SERVICE):
            actor = Actor(name=role.value, role=role)
            for name in allowed_actions(deal.stage):
                action = Action(name)
                if action is Action.EXPIRE:
                    continue
                try:
                    d.decide(deal, _probe(action, actor), now, rules)
                except DealflowError:
                    continue
                possible.setdefault(role, []).append(action)
        return possible

    def feed(self, after: int = 0, limit: int = 100) -> list[FeedEntry]:
        """Stored events after position ``after``, in order, at most ``limit``: resume from
        the last position processed to see every event once (at-least-once delivery)."""
        from dealflow.domain.feed import FeedEntry

        return [
            FeedEntry(position=position, event=event)
            for position, event in self.store.feed(after, limit)
        ]
