"""The evidence trail of a signed contract version: the events that make it, from the one that
opened it (the deal's opening, or the amendment) to its last signature, each with its time, who
acted and how they were identified, the hashes it concerns and its link in the deal's hash
chain.

Printed on the contract's last page and embedded as ``evidence.json``; ``verify`` compares it
with the events in the store, so an event altered after signing is caught. Contracts made
before agreement hashes embed the older form (a list of every event up to the last signature,
fewer fields): :func:`legacy_evidence_json` still writes it, to compare them with their store.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict

from dealflow.domain.events import (
    AnyEvent,
    ApprovalDeclined,
    ApprovalGranted,
    ContractSigned,
    TermsAgreed,
)

#: The format of ``evidence.json`` since agreement hashes.
EVIDENCE_FORMAT = "dealflow-evidence/2"

#: An event's link in its deal's hash chain, by version: (previous event's hash, its hash).
ChainLinks = Mapping[int, tuple[str, str]]


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
    #: How the member who acted (or recorded the act) was identified: os-login, named,
    #: database-login (None for events recorded before this was kept).
    identified: str | None = None
    #: For a signature: how it was given, and the consent text shown.
    method: str | None = None
    consent: str | None = None
    #: The agreement hash the event approved or signed, if any.
    agreement_hash: str | None = None
    #: The event's link in the deal's hash chain: the previous event's hash and its own.
    previous_hash: str | None = None
    hash: str | None = None


#: Fields added with the roster: left out of the older JSON when empty, so that the evidence of
#: a contract signed before them reads exactly as it was sealed.
_LATER = ("member", "recorded_by", "channel", "scan_sha256")
#: Fields added with agreement hashes: never in the older JSON.
_NEWER = ("identified", "method", "consent", "agreement_hash", "previous_hash", "hash")


def _hash_of(event: AnyEvent) -> str | None:
    terms_hash = getattr(event, "terms_hash", None)
    if isinstance(terms_hash, str):
        return terms_hash
    offer = getattr(event, "offer", None)
    if offer is not None:
        return str(offer.terms.terms_hash)
    proposal = getattr(event, "proposal", None)
    return str(proposal.terms_hash) if proposal is not None else None


def _entry(event: AnyEvent, chain: ChainLinks) -> EvidenceEntry:
    signed = event if isinstance(event, ContractSigned) else None
    approving = isinstance(event, TermsAgreed | ApprovalGranted | ApprovalDeclined | ContractSigned)
    previous, own = chain.get(event.version, (None, None))
    return EvidenceEntry(
        version=event.version,
        at=event.occurred_at,
        event=event.type,
        actor=event.actor.name,
        role=event.actor.role.value,
        terms_hash=_hash_of(event),
        side=signed.side.value if signed else None,
        simulated=event.clock_overridden,
        member=event.actor.member,
        recorded_by=event.actor.recorded_by,
        channel=event.actor.channel.value if event.actor.channel else None,
        scan_sha256=signed.scan_sha256 if signed else None,
        identified=event.actor.identified.value if event.actor.identified else None,
        method=signed.method.value if signed else None,
        consent=signed.consent if signed else None,
        agreement_hash=getattr(event, "agreement_hash", None) if approving else None,
        previous_hash=previous,
        hash=own,
    )


def evidence_trail(
    events: Sequence[AnyEvent], first: int, last: int, chain: ChainLinks | None = None
) -> tuple[EvidenceEntry, ...]:
    """The entries of the events with versions ``first`` to ``last``, in order, with their
    links in the hash chain when ``chain`` gives them."""
    links = chain or {}
    return tuple(_entry(event, links) for event in events if first <= event.version <= last)


def evidence_json(
    trail: Sequence[EvidenceEntry], *, agreement_hash: str, chain_head: str | None
) -> str:
    """The evidence of a contract version as canonical JSON (sorted keys, UTC times, no
    insignificant whitespace): the agreement hash it is evidence for, the hash chain's head at
    the last signature, and the trail."""
    document: dict[str, Any] = {
        "format": EVIDENCE_FORMAT,
        "agreement_hash": agreement_hash,
        "chain_head": chain_head,
        "events": [entry.model_dump(mode="json") for entry in trail],
    }
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def legacy_evidence_json(trail: Sequence[EvidenceEntry]) -> str:
    """The trail in the form contracts made before agreement hashes embed: a list, the roster's
    fields only when set, none of the later ones."""
    rows = [
        {
            k: v
            for k, v in entry.model_dump(mode="json", exclude=set(_NEWER)).items()
            if v is not None or k not in _LATER
        }
        for entry in trail
    ]
    return json.dumps(rows, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
