"""The ports: what the services need from the outside world, as Protocols.

:class:`EventStore` keeps each deal's events in order, with the version as the optimistic
concurrency check; :class:`Clock` tells the time. Concrete adapters live in
:mod:`dealflow.adapters` and are chosen in :mod:`dealflow.bootstrap`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from dealflow.domain.events import AnyEvent, Event


class EventStore(Protocol):
    """An append-only log of events per deal."""

    def append(self, deal_id: str, expected_version: int, events: Sequence[Event]) -> None:
        """Append events after ``expected_version``, all or nothing.

        Raises ConcurrencyConflictError when the deal's latest version is not
        ``expected_version`` (another writer was first), and StoreError when the store fails.
        """
        ...

    def load(self, deal_id: str, after: int = 0) -> list[AnyEvent]:
        """The deal's events with a version above ``after``, in order ([] if none)."""
        ...

    def deal_ids(self) -> list[str]:
        """Every deal id in the store, oldest first."""
        ...

    def close(self) -> None:
        """Release connections and files."""
        ...


class Clock(Protocol):
    """Where the services read the time: timezone-aware UTC."""

    #: True for a clock that is not the machine's: events recorded under it are marked so.
    overridden: bool

    def now(self) -> datetime:
        """The current time, timezone-aware."""
        ...
