"""Events as the SQL stores keep them, and back: one row per event (deal, version, type, time,
payload text), and from the rows read back the events, the deal's chain links exactly as
stored, and the feed.

The payload text made here is the one stored and hashed into the deal's chain, so it is made
once per event, in one place.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from dealflow.domain.chain import ChainLink, RecordedEvent
from dealflow.domain.events import AnyEvent, StoredEvent, read_stored
from dealflow.domain.members import AnyRosterEvent
from dealflow.errors import StoreError

#: An event's row: deal id, version, type name, ISO time with its offset, payload text.
EventRow = tuple[str, int, str, str, str]


def event_rows(events: Sequence[AnyEvent | AnyRosterEvent]) -> list[EventRow]:
    """The rows to insert for the events, in order."""
    return [
        (e.deal_id, e.version, type(e).__name__, e.occurred_at.isoformat(), e.model_dump_json())
        for e in events
    ]


def events_from(payloads: Sequence[tuple[Any, ...]], deal_id: str, where: str) -> list[AnyEvent]:
    """A deal's events from rows whose first column is the payload, read and validated in one
    pass; an event that no longer reads is a StoreError (``where`` says where the store is,
    e.g. ``in deals.db``)."""
    if not payloads:
        return []
    try:
        return read_stored(r[0] for r in payloads)
    except ValidationError as exc:
        raise StoreError(
            f"the events of deal {deal_id} {where} cannot be read: "
            f"{exc.error_count()} invalid fields; restore the store from a backup"
        ) from exc


def feed_from(rows: Sequence[tuple[Any, ...]]) -> list[tuple[int, StoredEvent]]:
    """Feed entries from rows of (position, payload)."""
    if not rows:
        return []
    events = read_stored(r[1] for r in rows)
    return [(position, event) for (position, _), event in zip(rows, events, strict=True)]


def recorded_from(rows: Sequence[tuple[Any, ...]]) -> tuple[RecordedEvent, ...]:
    """Events exactly as stored, from rows of (version, type, payload, previous, hash)."""
    return tuple(
        RecordedEvent(version=v, event=t, payload=d, previous=p, hash=h) for v, t, d, p, h in rows
    )


def links_from(rows: Sequence[tuple[Any, ...]]) -> tuple[ChainLink, ...]:
    """Chain links from rows of (version, type, previous, hash); a row written outside
    dealflow may hold no hashes, which read as ""."""
    return tuple(
        ChainLink(version=v, event=t, previous=p or "", hash=h or "") for v, t, p, h in rows
    )
