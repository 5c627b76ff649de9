"""The in-memory event store: a real implementation of the port, for tests and demos.

Events are kept as the objects appended, so nothing is serialised; a lock makes appends from
several threads as safe as on the durable stores.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from dealflow.domain.events import AnyEvent, Event
from dealflow.errors import ConcurrencyConflictError


class MemoryEventStore:
    """Keeps every deal's events in a list, in process memory."""

    def __init__(self) -> None:
        self._logs: dict[str, list[AnyEvent]] = {}
        self._lock = threading.Lock()

    def append(self, deal_id: str, expected_version: int, events: Sequence[Event]) -> None:
        """Append all events or none; refuse if the deal moved past ``expected_version``."""
        with self._lock:
            log = self._logs.get(deal_id)
            current = len(log) if log else 0
            if current != expected_version:
                raise ConcurrencyConflictError(deal_id, expected_version)
            for offset, event in enumerate(events, start=1):
                if event.deal_id != deal_id or event.version != expected_version + offset:
                    raise ValueError(f"event v{event.version} does not follow v{current}")
            self._logs.setdefault(deal_id, []).extend(events)  # type: ignore[arg-type]

    def load(self, deal_id: str, after: int = 0) -> list[AnyEvent]:
        """The deal's events after a version (versions start at 1, so index = version - 1)."""
        return list(self._logs.get(deal_id, ())[after:])

    def deal_ids(self) -> list[str]:
        """Deal ids in the order they were opened."""
        return list(self._logs)

    def close(self) -> None:
        """Nothing to release."""
