"""The ports: what the services need from the outside world, as Protocols.

:class:`EventStore` keeps each deal's events in order, with the version as the optimistic
concurrency check and each event's link in the deal's hash chain, a read-model row per deal
for queries, and files made for deals;
:class:`Renderer` turns a contract document into PDF bytes; :class:`Sealer` seals it;
:class:`Clock` tells the time.
Concrete adapters live in :mod:`dealflow.adapters` and are chosen in :mod:`dealflow.bootstrap`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # annotations only: a store or a clock can be used without these models
    from dealflow.domain.chain import ChainLink, RecordedEvent
    from dealflow.domain.contract import ContractDocument
    from dealflow.domain.events import AnyEvent, StoredEvent
    from dealflow.domain.listing import DealQuery, DealRow
    from dealflow.domain.members import AnyRosterEvent


class EventStore(Protocol):
    """An append-only log of events per deal, its read model, and the deal's artifacts."""

    #: The database login the store acts as, where the database knows one (PostgreSQL): it is
    #: the identity of whoever uses the store. None for an embedded store.
    login: str | None

    def append(
        self,
        deal_id: str,
        expected_version: int,
        events: Sequence[AnyEvent | AnyRosterEvent],
        row: DealRow | None = None,
    ) -> None:
        """Append events after ``expected_version``, all or nothing, and write the deal's
        read-model ``row`` in the same transaction. Each event is stored with its link in the
        deal's hash chain (:mod:`dealflow.domain.chain`), computed in that transaction from
        the payload text as stored and the hash of the event before it.

        Raises ConcurrencyConflictError when the deal's latest version is not
        ``expected_version`` (another writer was first), and StoreError when the store fails.
        """
        ...

    def feed(self, after: int = 0, limit: int = 100) -> list[tuple[int, StoredEvent]]:
        """Every stored event with its global position: those above ``after``, in order, at
        most ``limit``. Positions are gap-free per store, also with concurrent writers."""
        ...

    def list_deals(self, query: DealQuery) -> list[DealRow]:
        """The read-model rows that answer ``query``, oldest deal first."""
        ...

    def put_artifact(self, deal_id: str, name: str, data: bytes) -> None:
        """Keep a file made for a deal (a signed PDF...). Written once: the same name with
        other bytes raises ArtifactConflictError; the same bytes again change nothing."""
        ...

    def get_artifact(self, deal_id: str, name: str) -> bytes | None:
        """A kept file's bytes, or None."""
        ...

    def artifacts(self, deal_id: str) -> list[str]:
        """The names of a deal's kept files, sorted."""
        ...

    def load(self, deal_id: str, after: int = 0) -> list[AnyEvent]:
        """The deal's events with a version above ``after``, in order ([] if none)."""
        ...

    def chain(self, deal_id: str) -> tuple[ChainLink, ...]:
        """The deal's links in its hash chain as stored, in version order (() if none)."""
        ...

    def recorded_events(self, deal_id: str) -> tuple[RecordedEvent, ...]:
        """The deal's events exactly as stored (payload text and chain link), in version
        order, for an audit to recompute the chain from (() if none)."""
        ...

    def deal_ids(self) -> list[str]:
        """Every deal id in the store, oldest first."""
        ...

    def close(self) -> None:
        """Release connections and files."""
        ...


class Renderer(Protocol):
    """Turns a contract document into a PDF."""

    def render(self, document: ContractDocument) -> bytes:
        """The PDF bytes; the same document gives the same bytes. Raises RenderError."""
        ...


class Sealer(Protocol):
    """Seals a finished PDF with the seller organisation's certificate."""

    #: The certificate's subject, printed on the evidence page.
    subject: str

    def seal(self, pdf: bytes) -> bytes:
        """The PDF with a seal over all of it. Raises SealError."""
        ...


class Clock(Protocol):
    """Where the services read the time: timezone-aware UTC."""

    #: True for a clock that is not the machine's: events recorded under it are marked so.
    overridden: bool

    def now(self) -> datetime:
        """The current time, timezone-aware."""
        ...
