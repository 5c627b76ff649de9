"""The audit use case of :class:`~dealflow.application.service.DealService`: recompute a deal's hash
chain from its events as stored and name the first event changed, removed, inserted or moved
after it was recorded (:mod:`dealflow.domain.chain`).

A mixin, so that the service stays one object with one API. Reading a deal needs no role, so
neither does its audit: whoever may read the store may audit it.
"""

from __future__ import annotations

from typing import Protocol

from dealflow.domain.chain import AuditReport, audit_chain
from dealflow.errors import DealNotFoundError
from dealflow.ports import EventStore


class _Service(Protocol):
    """What the audit needs of the service it is mixed into."""

    @property
    def store(self) -> EventStore: ...


class AuditUseCases:
    """The audit: see the module docstring."""

    def audit(self: _Service, deal_id: str) -> AuditReport:
        """Recompute the deal's hash chain from what the store holds: ``ok`` when every
        event is as it was recorded, in its place; otherwise ``first_break`` names where and
        what happened. Raises DealNotFoundError for a deal the store does not hold.

        An intact chain does not show that no event was cut off its end, nor a log rewritten
        with every hash recomputed: the head a contract embedded at signing does (``verify``
        with the store compares them).
        """
        recorded = self.store.recorded_events(deal_id)
        if not recorded:
            raise DealNotFoundError(deal_id)
        return audit_chain(deal_id, recorded)
