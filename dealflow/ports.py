"""The ports: what the services need from the outside world, as Protocols.

:class:`EventStore` keeps each deal's events in order, with the version as the optimistic
concurrency check and each event's link in the deal's hash chain, a read-model row per deal
for queries, and files made for deals;
:class:`Renderer` turns a contract document into PDF bytes; :class:`Sealer` seals it;
:class:`Clock` tells the time.
Verifying a contract file reads it through :class:`ContractInspector` (its metadata, embedded
files and page text) and judges its seal through :class:`SealJudge` (:class:`SealFinding`);
the template check drives the templates through :class:`ContractTemplates`.
Concrete adapters live in :mod:`dealflow.adapters` and are chosen in :mod:`dealflow.bootstrap`.
"""

from __future__ import annotations

import os
import struct
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
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


# Reading contract files ----------------------------------------------------------------------

#: What a trust entry may be: a certificate's bytes (PEM or DER) or the path of a file.
TrustSource = bytes | str | os.PathLike[str]

#: What a parser lets escape on damaged input besides its own errors: a bad length or offset, a
#: missing key, an object of the wrong type, arithmetic on garbage, nesting without end, a
#: corrupt zlib or binary stream. An inspector or a seal judge turns them into DamagedPdfError;
#: verification counts them as damage too where it parses what a file embeds.
PARSER_ERRORS: tuple[type[Exception], ...] = (
    ValueError, LookupError, TypeError, AttributeError, ArithmeticError, RecursionError,
    NotImplementedError, EOFError, OSError, zlib.error, struct.error,
)  # fmt: skip


class ContractFile(Protocol):
    """A PDF opened for verification. Its parts are read when asked for: reading a damaged
    one raises DamagedPdfError."""

    #: Whether the PDF is encrypted (a dealflow contract never is); then it has no pages read.
    encrypted: bool
    #: How many pages it has (0 when encrypted).
    pages: int

    def metadata(self, key: str) -> str | None:
        """The document information entry ``/key`` as text, or None."""
        ...

    def attachments(self, name: str) -> list[bytes]:
        """Every embedded file called ``name``, in the order the PDF lists them."""
        ...

    def page_text(self, number: int) -> str:
        """The text of page ``number`` (from 1)."""
        ...


class ContractInspector(Protocol):
    """Opens a contract file's PDF structure for verification."""

    def open(self, data: bytes) -> ContractFile:
        """``data`` parsed as a PDF. Raises DamagedPdfError when it cannot be read."""
        ...


@dataclass(frozen=True)
class SealFinding:
    """What a :class:`SealJudge` found: whether the seal holds, why, and the facts."""

    ok: bool
    detail: str
    #: Who sealed: the certificate's subject.
    signer: str | None = None
    #: The SHA-256 fingerprint of the seal's certificate, lower-case hex.
    fingerprint: str | None = None
    #: "B-B", "B-T", "B-LT" or "B-LTA" (PAdES baseline levels).
    level: str | None = None
    #: The trusted signing time (a timestamp's), None without one.
    signing_time: datetime | None = None
    #: Whether the chain reaches a given root; None when no roots were given.
    trusted: bool | None = None
    #: The times of the document timestamps after the seal, in order.
    timestamps: tuple[datetime, ...] = ()


class SealJudge(Protocol):
    """Judges a contract's seal: its structure, integrity, level, signer, and, given the roots
    legal trusts, its chain and validity at the trusted signing time."""

    def trust_roots(self, sources: Sequence[TrustSource]) -> tuple[object, ...]:
        """The certificates of ``sources`` (certificate bytes or file paths), to judge with.
        Raises SealError for one that cannot be read or is not a certificate."""
        ...

    def judge(
        self, data: bytes, roots: Sequence[object] = (), at: datetime | None = None
    ) -> SealFinding:
        """The seal of ``data`` judged with ``roots`` as of ``at`` (default now); a bad seal is
        a finding, not an error. Raises DamagedPdfError when the file cannot be read."""
        ...


# Checking templates --------------------------------------------------------------------------


@dataclass(frozen=True)
class LaidOut:
    """What laying a contract out as a PDF noted (a font embedded whole...) and what the
    layout engine warned of (bad CSS, a missing resource)."""

    notes: tuple[str, ...]
    warnings: tuple[str, ...]


class ContractTemplates(Protocol):
    """The contract templates (user folders over the built-ins) as the template check drives
    them. Rendering raises TemplateProblemError naming the template and line, or RenderError."""

    #: The name of the contract's main template, which problems of a whole render name.
    main_template: str

    @property
    def clause_ids(self) -> tuple[str, ...]:
        """The ids of every clause in the clause library."""
        ...

    def html(self, document: ContractDocument) -> str:
        """The contract as HTML."""
        ...

    def notes(self, document: ContractDocument) -> tuple[str, ...]:
        """What a render of ``document`` notes: a deal text lacking a language it prints."""
        ...

    def layout(self, html: str, document: ContractDocument) -> LaidOut:
        """``html`` laid out as the PDF of ``document``: what it noted and warned of."""
        ...

    def articles(self, template: str, document: ContractDocument) -> list[int] | None:
        """How many clauses each article of a wording template has, as a side-by-side contract
        of ``document`` prints them; None when the template cannot be run (rendering it says
        why)."""
        ...
