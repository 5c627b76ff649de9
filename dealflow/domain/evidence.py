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
        )
        for event in events
        if event.version <= up_to
    )


def evidence_json(trail: Sequence[EvidenceEntry]) -> str:
    """The trail as canonical JSON: sorted keys, UTC times, no insignificant whitespace."""
    rows = [entry.model_dump(mode="json") for entry in trail]
    return json.dumps(rows, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
