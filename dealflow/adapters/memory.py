"""The in-memory event store: a real implementation of the port, for tests and demos.

Events are kept as the objects appended, and beside them each event's JSON text with its link
in the deal's hash chain, computed from that text as a durable store computes it from what it
stores (so that the chain and its audit behave the same on every store); a lock makes appends
from several threads as safe as on the durable stores. Queries filter the read-model rows in
order.
"""

from __future__ import annotations

import threading
import typing
from collections.abc import Sequence

from dealflow.domain.chain import GENESIS, ChainLink, RecordedEvent, chain_of, link_hash
from dealflow.domain.events import AnyEvent, StoredEvent
from dealflow.domain.listing import DealQuery, DealRow, matches
from dealflow.domain.members import ROSTER, AnyRosterEvent
from dealflow.errors import ArtifactConflictError, ConcurrencyConflictError


class MemoryEventStore:
    """Keeps every deal's events in a list, in process memory."""

    #: An embedded store knows no login: whoever can write it can write anything.
    login: str | None = None

    def __init__(self) -> None:
        self._logs: dict[str, list[AnyEvent | AnyRosterEvent]] = {}
        #: Each deal's events as a durable store keeps them: payload text and chain link.
        self._recorded: dict[str, list[RecordedEvent]] = {}
        self._rows: dict[str, DealRow] = {}
        self._files: dict[tuple[str, str], bytes] = {}
        self._feed: list[StoredEvent] = []  # position n is self._feed[n - 1]
        self._lock = threading.Lock()

    def append(
        self,
        deal_id: str,
        expected_version: int,
        events: Sequence[AnyEvent | AnyRosterEvent],
        row: DealRow | None = None,
    ) -> None:
        """Append all events or none; refuse if the deal moved past ``expected_version``."""
        with self._lock:
            log = self._logs.get(deal_id)
            current = len(log) if log else 0
            if current != expected_version:
                raise ConcurrencyConflictError(deal_id, expected_version)
            for offset, event in enumerate(events, start=1):
                if event.deal_id != deal_id or event.version != expected_version + offset:
                    raise ValueError(f"event v{event.version} does not follow v{current}")
            recorded = self._recorded.setdefault(deal_id, [])
            previous = (recorded[-1].hash or "") if recorded else GENESIS
            for event in events:
                payload = event.model_dump_json()
                kind = type(event).__name__
                own = link_hash(previous, deal_id, event.version, kind, payload)
                recorded.append(
                    RecordedEvent(
                        version=event.version,
                        event=kind,
                        payload=payload,
                        previous=previous,
                        hash=own,
                    )
                )
                previous = own
            self._logs.setdefault(deal_id, []).extend(events)
            self._feed.extend(events)
            if row is not None:
                self._rows[deal_id] = row

    def load(self, deal_id: str, after: int = 0) -> list[AnyEvent]:
        """The deal's events after a version (versions start at 1, so index = version - 1)."""
        # The roster's stream holds roster events, which callers of the roster expect (as
        # read_stored says for the durable stores).
        return typing.cast(list[AnyEvent], self._logs.get(deal_id, [])[after:])

    def chain(self, deal_id: str) -> tuple[ChainLink, ...]:
        """The deal's links in its hash chain, in version order."""
        return chain_of(self.recorded_events(deal_id))

    def recorded_events(self, deal_id: str) -> tuple[RecordedEvent, ...]:
        """The deal's events as stored: payload text and chain link, in version order."""
        with self._lock:
            return tuple(self._recorded.get(deal_id, ()))

    def deal_ids(self) -> list[str]:
        """Deal ids in the order they were opened."""
        return [deal_id for deal_id in self._logs if deal_id != ROSTER]

    def feed(self, after: int = 0, limit: int = 100) -> list[tuple[int, StoredEvent]]:
        """Events with a position above ``after``, in position order, at most ``limit``."""
        with self._lock:
            chunk = self._feed[after : after + limit]
        return [(after + n, event) for n, event in enumerate(chunk, start=1)]

    def list_deals(self, query: DealQuery) -> list[DealRow]:
        """The rows that answer the query, oldest deal first."""
        with self._lock:
            found = [row for row in self._rows.values() if matches(row, query)]
        return found[: query.limit] if query.limit else found

    def put_artifact(self, deal_id: str, name: str, data: bytes) -> None:
        """Keep a file once; the same bytes again change nothing."""
        with self._lock:
            kept = self._files.get((deal_id, name))
            if kept is not None and kept != data:
                raise ArtifactConflictError(deal_id, name)
            self._files[(deal_id, name)] = bytes(data)

    def get_artifact(self, deal_id: str, name: str) -> bytes | None:
        """A kept file's bytes, or None."""
        return self._files.get((deal_id, name))

    def artifacts(self, deal_id: str) -> list[str]:
        """The names of a deal's kept files, sorted."""
        return sorted(name for (owner, name) in self._files if owner == deal_id)

    def close(self) -> None:
        """Nothing to release."""
