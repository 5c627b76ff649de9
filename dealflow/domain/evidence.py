"""The evidence trail of a signed contract: every event of the deal up to the last signature,
with its time, actor, role and the terms hash it concerns.

Printed on the contract's last page and embedded as ``evidence.json``; ``verify`` compares it
with the events in the store, so an event altered after signing is caught.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from pydantic import AwareDatetime, BaseModel, ConfigDict

from dealflow.domain.events import AnyEvent, ContractSigned


class EvidenceEntry(BaseModel):
    """One event as the audit trail shows it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    version: int
    at: AwareDatetime
    event: str
    actor: str
    role: str
    #: The terms hash the event put on the table, approved or signed, if any.
    terms_hash: str | None = None
    #: The side that signed, for a signature.
    side: str | None = None
    #: True when the event was recorded under a simulated clock.
    simulated: bool = False
    #: The roster id of the seller-side member who acted (events since the roster).
    member: str | None = None
    #: For a buyer's act: the member who recorded it, and the channel it came through.
    recorded_by: str | None = None
    channel: str | None = None
    #: For a buyer's signature recorded with a scan of the signed page: the scan's SHA-256.
    scan_sha256: str | None = None


#: Fields added with the roster: left out of the JSON when empty, so that the evidence of a
#: contract signed before them reads exactly as it was sealed.
_LATER = ("member", "recorded_by", "channel", "scan_sha256")


def _hash_of(event: AnyEvent) -> str | None:
    terms_hash = getattr(event, "terms_hash", None)
    if isinstance(terms_hash, str):
        return terms_hash
    offer = getattr(event, "offer", None)
    if offer is not None:
        return str(offer.terms.terms_hash)
    proposal = getattr(event, "proposal", None)
    return str(proposal.terms_hash) if proposal is not None else None


def evidence_trail(events: Sequence[AnyEvent], up_to: int) -> tuple[EvidenceEntry, ...]:
    """The entries of every event with a version up to ``up_to``, in order."""
    return tuple(
        EvidenceEntry(
            version=event.version,
            at=event.occurred_at,
            event=event.type,
            actor=event.actor.name,
            role=event.actor.role.value,
            terms_hash=_hash_of(event),
            side=event.side.value if isinstance(event, ContractSigned) else None,
            simulated=event.clock_overridden,
            member=event.actor.member,
            recorded_by=event.actor.recorded_by,
            channel=event.actor.channel.value if event.actor.channel else None,
            scan_sha256=event.scan_sha256 if isinstance(event, ContractSigned) else None,
        )
        for event in events
        if event.version <= up_to
    )


def evidence_json(trail: Sequence[EvidenceEntry]) -> str:
    """The trail as canonical JSON: sorted keys, UTC times, no insignificant whitespace."""
    rows = [
        {k: v for k, v in entry.model_dump(mode="json").items() if v is not None or k not in _LATER}
        for entry in trail
    ]
    return json.dumps(rows, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
