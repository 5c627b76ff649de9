"""The one write path of :class:`~dealflow.DealService`, and the hooks it runs.

Every write passes :meth:`Recording._record`, which holds two rules of the history: no event
is dated before the deal's last one by more than the clock skew allowed between machines
(``clock_skew``, five minutes unless given), and an append that loses a race raises
ConcurrencyConflictError naming what the other writer recorded (the stale copy is dropped). An
action whose decision does not depend on what changed meanwhile (logging an interaction, a
claim's notes) is decided again on the fresh deal and retried instead
(:meth:`Recording._retrying`); one that does depend on it (accepting, signing, approving...)
keeps refusing, for its author to look. Rights are checked here too, through the roster's
``_authorize``: every write, whoever calls, meets the same rules.

After an append, the hooks registered with :meth:`Recording.on` run, in order.
"""

from __future__ import annotations

import logging
import random
import time
import typing
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from pydantic import BaseModel

from dealflow.domain.events import AnyEvent, Event
from dealflow.domain.listing import deal_row
from dealflow.domain.projection import replay
from dealflow.errors import ClockBehindError, ConcurrencyConflictError, DealflowError

if TYPE_CHECKING:
    from dealflow.domain.deal import Deal
    from dealflow.domain.parties import Actor
    from dealflow.ports import Clock, EventStore

_hooks_log = logging.getLogger("dealflow.hooks")

#: How far an action's time may lie before the deal's last event: machines' clocks differ.
DEFAULT_CLOCK_SKEW = timedelta(minutes=5)

#: How many times at least an action that does not depend on what changed is tried on a conflict.
CONFLICT_ATTEMPTS = 10
# Under heavy contention (many writers on one deal) retrying goes on past CONFLICT_ATTEMPTS until
# this many seconds have passed since the first try.
CONFLICT_PATIENCE = 10.0


def describe_change(event: AnyEvent) -> str:
    """One line on what an event recorded, for a conflict's message: ``v8 OfferCountered
    by Siti Rahmawati (buyer) at 2026-11-02 09:03:00 UTC`` (a member's act names its member:
    ``(seller, budi)``, ``(buyer, recorded by budi via email)``)."""
    return f"v{event.version} {event.type} by {event.actor.who} at {_when(event.occurred_at)}"


def _when(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _event_types() -> tuple[type[BaseModel], ...]:
    return tuple(typing.get_args(typing.get_args(AnyEvent)[0]))


class Recording:
    """What every use case shares: the store, the clock, the deals read so far, and the one
    way to record events."""

    store: EventStore
    clock: Clock
    clock_skew: timedelta
    _deals: dict[str, Deal]
    _hooks: list[tuple[str, Callable[[AnyEvent], object]]]

    if TYPE_CHECKING:  # the roster's side of the write path (dealflow.application.members)

        def _authorize(self, deal: Deal | None, events: Sequence[Event]) -> None: ...

        def _actor(self, actor: Actor) -> Actor: ...

    # Hooks ------------------------------------------------------------------------------

    def on(self, event_type: type[Event] | str, handler: Callable[[AnyEvent], object]) -> None:
        """Run ``handler(event)`` after each committed event of this type (a class such as
        ``OfferMade``, its name, or ``"*"`` for all), in registration order.

        A handler runs only after the event is stored, never before; one that raises is
        logged (``dealflow.hooks``) with the event and the deal, and neither undoes the
        action nor stops the other handlers.
        """
        name = event_type if isinstance(event_type, str) else event_type.__name__
        known = {model.__name__ for model in _event_types()}
        if name != "*" and name not in known:
            raise ValueError(f"unknown event type {name!r}; known: {', '.join(sorted(known))}")
        self._hooks.append((name, handler))

    def _notify(self, events: Sequence[AnyEvent]) -> None:
        for event in events:
            name = type(event).__name__
            for wanted, handler in self._hooks:
                if wanted not in ("*", name):
                    continue
                try:
                    handler(event)
                except Exception:
                    _hooks_log.exception(
                        "hook %r failed on %s v%d of deal %s",
                        getattr(handler, "__qualname__", handler),
                        name,
                        event.version,
                        event.deal_id,
                    )

    # Writing ----------------------------------------------------------------------------

    def _record(
        self,
        deal: Deal | None,
        deal_id: str,
        events: Sequence[AnyEvent],
        *,
        simulated: bool = False,
    ) -> Deal:
        expected = deal.version if deal else 0
        self._authorize(deal, events)
        if (
            deal is not None
            and events
            and events[0].occurred_at < deal.updated_at - self.clock_skew
        ):
            raise ClockBehindError(
                deal_id,
                _when(events[0].occurred_at),
                _when(deal.updated_at),
                self.clock_skew.total_seconds(),
            )
        if self.clock.overridden or simulated:
            events = [e.model_copy(update={"clock_overridden": True}) for e in events]
        updated = replay(events, deal)
        try:
            self.store.append(deal_id, expected, events, deal_row(updated))
        except ConcurrencyConflictError as exc:
            self._deals.pop(deal_id, None)
            raise self._conflict(deal_id, expected) from exc
        self._deals[deal_id] = updated
        self._notify(events)
        return updated

    def _conflict(self, deal_id: str, expected: int) -> ConcurrencyConflictError:
        """The conflict on ``deal_id`` after ``expected``, naming what was recorded since."""
        try:
            changes = [describe_change(e) for e in self.store.load(deal_id, after=expected)]
        except DealflowError:  # the store cannot say: the conflict itself is still the news
            changes = []
        return ConcurrencyConflictError(deal_id, expected, changes)

    def _retrying(self, write: Callable[[], Deal]) -> Deal:
        """Run ``write`` (load, decide, record) again on a conflict, a few times with a short
        random pause: for actions whose decision does not depend on what another writer
        changed, so deciding them again on the fresh deal is what their author meant."""
        started = time.monotonic()
        attempt = 0
        while True:
            try:
                return write()
            except ConcurrencyConflictError:
                attempt += 1
                waited = time.monotonic() - started
                if attempt >= CONFLICT_ATTEMPTS and waited >= CONFLICT_PATIENCE:
                    raise
                # Exponential back-off with full jitter, at most 0.2 s a pause.
                time.sleep(random.uniform(0, min(0.2, 0.01 * 2**attempt)))
