"""The hash chain of a deal's events: each event as stored carries the SHA-256 of the one
before it, so that an event changed, removed, inserted or moved after it was recorded shows.

A link's hash covers what the store keeps, as it keeps it: the previous event's hash, the deal
id, the version, the event's type and its payload text exactly as stored (never a
re-serialisation by today's models, which would change when a model gains a field)::

    sha256(previous + "\\n" + deal_id + "\\n" + version + "\\n" + type + "\\n" + payload)

in UTF-8, written as 64 lowercase hex digits; the first event's previous is :data:`GENESIS`.
Every store computes it the same way (PostgreSQL in the database itself), and
:func:`audit_chain` recomputes it from the stored rows and names the first break in words a
legal reader understands.

What a chain alone cannot show: a log rewritten from the changed event on with every hash
recomputed, or events cut off its end, looks intact. The contract embeds the chain's head at
signing; comparing it with the store (``verify --store``) catches both up to that point.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from enum import StrEnum

from pydantic import BaseModel, ConfigDict

#: The previous hash of a deal's first event.
GENESIS = "0" * 64

_FROZEN = ConfigDict(frozen=True, extra="forbid")


def link_hash(previous: str, deal_id: str, version: int, event: str, payload: str) -> str:
    """The hash of an event's link: see the module docstring."""
    text = f"{previous}\n{deal_id}\n{version}\n{event}\n{payload}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ChainLink(BaseModel):
    """An event's place in its deal's chain, as the store keeps it."""

    model_config = _FROZEN

    version: int
    #: The event's type, e.g. ``OfferCountered``.
    event: str
    #: The hash of the event before it (:data:`GENESIS` for the first); "" if the store
    #: holds none (a row written outside dealflow).
    previous: str
    #: This event's hash; "" if the store holds none.
    hash: str


class RecordedEvent(BaseModel):
    """An event exactly as the store keeps it: what its chain hash is computed from."""

    model_config = _FROZEN

    version: int
    event: str
    #: The payload text as stored (JSON).
    payload: str
    #: The stored hashes; None where a row written outside dealflow has none.
    previous: str | None
    hash: str | None

    def link(self) -> ChainLink:
        """Its link, without the payload."""
        return ChainLink(
            version=self.version,
            event=self.event,
            previous=self.previous or "",
            hash=self.hash or "",
        )


class BreakKind(StrEnum):
    """What happened to the log where its chain breaks."""

    CHANGED = "changed"
    REMOVED = "removed"
    INSERTED = "inserted"
    REORDERED = "reordered"


class ChainBreak(BaseModel):
    """The first place where the stored events no longer form the chain they were recorded
    in."""

    model_config = _FROZEN

    #: The version where the log stops being what was recorded.
    version: int
    #: The type of the event stored there now (None: no event is stored there).
    event: str | None
    kind: BreakKind
    #: What happened, in one sentence.
    sentence: str

    def __str__(self) -> str:
        """``v7 OfferCountered: the event was changed after it was recorded``."""
        where = f"v{self.version} {self.event}" if self.event else f"v{self.version}"
        return f"{where}: {self.sentence}"


class AuditReport(BaseModel):
    """The result of recomputing a deal's chain."""

    model_config = _FROZEN

    deal_id: str
    #: True when every stored event is as it was recorded, in its place.
    ok: bool
    #: How many events are stored.
    events: int
    #: The stored hash of the last event: what a contract embeds at signing.
    head: str
    first_break: ChainBreak | None = None

    @property
    def problem(self) -> str | None:
        """The first break in one line (``v7 OfferCountered: ...``), or None."""
        return None if self.first_break is None else str(self.first_break)


def chain_of(recorded: Sequence[RecordedEvent]) -> tuple[ChainLink, ...]:
    """The links of the stored events, in version order."""
    return tuple(r.link() for r in recorded)


def _sound(deal_id: str, row: RecordedEvent) -> bool:
    """True when the row's own hash still matches what is stored: its previous hash, deal,
    version, type and payload are those it was recorded with."""
    if row.previous is None or row.hash is None:
        return False
    return link_hash(row.previous, deal_id, row.version, row.event, row.payload) == row.hash


def _broken(row: RecordedEvent | None, version: int, kind: BreakKind, sentence: str) -> ChainBreak:
    return ChainBreak(
        version=version, event=row.event if row else None, kind=kind, sentence=sentence
    )


def first_break(deal_id: str, recorded: Sequence[RecordedEvent]) -> ChainBreak | None:
    """Where the stored events (in version order) first stop being the chain they were
    recorded in, and what happened there; None when the chain holds.

    Each row is checked against what the one before it should be: version ``n`` must follow
    version ``n - 1``, name its hash as previous, and still hash to its own stored hash. Where
    it does not, the rows around it tell what happened: a missing version is a removed event;
    a row recorded after an event that now comes later was moved; a row that a later row's
    link skips was inserted; a row in its place whose content no longer hashes to its hash was
    changed; a sound row after one it was not recorded after means that one was replaced (its
    hash recomputed by hand); otherwise an event was removed and the later ones renumbered.
    """
    expected = GENESIS
    accepted: list[RecordedEvent] = []
    for index, row in enumerate(recorded):
        version = index + 1
        later = recorded[index + 1 :]
        if row.version != version:
            follows = f"v{version - 1}" if version > 1 else "the start of the deal"
            return _broken(
                None,
                version,
                BreakKind.REMOVED,
                f"the event was removed after it was recorded (v{row.version} follows {follows})",
            )
        sound = _sound(deal_id, row)
        if sound and row.previous == expected:
            assert row.hash is not None
            expected = row.hash
            accepted.append(row)
            continue
        if row.previous and any(r.hash == row.previous for r in later):
            return _broken(
                row,
                version,
                BreakKind.REORDERED,
                "the event was moved: it was recorded after an event that now comes later",
            )
        if any(r.previous == expected for r in later):
            return _broken(
                row,
                version,
                BreakKind.INSERTED,
                "the event was inserted after the events that follow it were recorded",
            )
        if row.previous is None or row.hash is None:
            return _broken(
                row,
                version,
                BreakKind.INSERTED,
                "the event was added outside dealflow: it carries no link to the event before it",
            )
        if row.previous == expected:
            return _broken(
                row, version, BreakKind.CHANGED, "the event was changed after it was recorded"
            )
        if sound and accepted:
            replaced = accepted[-1]
            return _broken(
                replaced,
                replaced.version,
                BreakKind.CHANGED,
                "the event was replaced after it was recorded (its hash was recomputed, but the "
                "event after it was recorded after another one)",
            )
        for kept, earlier in enumerate(accepted[:-1]):
            if earlier.hash == row.previous:
                inserted = accepted[kept + 1]
                return _broken(
                    inserted,
                    inserted.version,
                    BreakKind.INSERTED,
                    "the event was inserted after the events that follow it were recorded",
                )
        return _broken(
            row,
            version,
            BreakKind.REMOVED,
            "the event recorded before this one was removed and the later events renumbered",
        )
    return None


def audit_chain(deal_id: str, recorded: Sequence[RecordedEvent]) -> AuditReport:
    """Recompute a deal's chain from its stored events (in version order)."""
    found = first_break(deal_id, recorded)
    head = (recorded[-1].hash or "") if recorded else ""
    return AuditReport(
        deal_id=deal_id, ok=found is None, events=len(recorded), head=head, first_break=found
    )
