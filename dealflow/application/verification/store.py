"""The ``store`` check, given a service: the deal's log is unaltered, its signed version has
the hash the file says was signed, its events give the same evidence as the file, no signature
was recorded after signing, and the store keeps this very file for that version."""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING

from dealflow.application.contracts import sealed_copy_name
from dealflow.application.verification.agreement import Signed
from dealflow.application.verification.verdict import Findings
from dealflow.domain.agreement import agreement_of
from dealflow.domain.contract import SHORT_HASH
from dealflow.domain.deal import Deal
from dealflow.domain.events import AnyEvent, ContractAmended, ContractSigned
from dealflow.domain.evidence import evidence_json, evidence_trail, legacy_evidence_json
from dealflow.errors import DealflowError
from dealflow.ports import ContractFile

if TYPE_CHECKING:
    from dealflow.application.service import DealService


def _chain_head(evidence: bytes | None) -> str | None:
    """The chain head the contract's evidence names, if any."""
    try:
        parsed = json.loads(evidence) if evidence is not None else None
    except ValueError:
        return None
    head = parsed.get("chain_head") if isinstance(parsed, dict) else None
    return head if isinstance(head, str) else None


def _recorded_evidence(
    deal: Deal, events: list[AnyEvent], signed: Signed, service: DealService
) -> tuple[bytes, int] | str:
    """The evidence the store's events give for this version, and its last signature's event
    version; or why the store cannot give it."""
    contract = {c.contract_version: c for c in deal.contracts}.get(signed.version)
    if contract is None:
        return f"the store has no signed version {signed.version} of deal {deal.id}"
    if signed.legacy:
        if contract.terms_hash != signed.digest:
            return (
                f"the store's signed version {signed.version} has terms "
                f"{contract.terms_hash[:SHORT_HASH]}, this PDF has {signed.digest[:SHORT_HASH]}"
            )
        # What the release that made it embedded: every event of the deal up to this
        # version's last signature.
        signing = contract.signed_event
        trail = evidence_trail(events, 1, signing)
        return legacy_evidence_json(trail).encode("utf-8"), signing
    agreement = contract.agreement_hash or agreement_of(deal, signed.version).agreement_hash
    if agreement != signed.digest:
        return (
            f"the store's signed version {signed.version} is agreement "
            f"{agreement[:SHORT_HASH]}, this PDF has {signed.digest[:SHORT_HASH]}"
        )
    links = service._chain_links(deal.id)
    trail = evidence_trail(events, contract.first_event, contract.signed_event, links)
    head = links[contract.signed_event][1] if contract.signed_event in links else None
    recorded = evidence_json(trail, agreement_hash=agreement, chain_head=head)
    return recorded.encode("utf-8"), contract.signed_event


def _kept(
    service: DealService, deal_id: str, number: str, language: str, data: bytes
) -> str | None:
    """Why the store's kept PDF does not vouch for ``data``, or None when it does: the same
    bytes, or bytes that only add later revisions (document timestamps) after the kept ones."""
    name = f"{number}-{language}.pdf"
    kept = service.store.get_artifact(deal_id, sealed_copy_name(name))
    kept = kept or service.store.get_artifact(deal_id, name)
    if kept is None:
        return f"the store keeps no PDF of {number} in {language}"
    if kept == data or (data.startswith(kept) and kept.rstrip().endswith(b"%%EOF")):
        return None
    kept_hash = hashlib.sha256(kept).hexdigest()[:SHORT_HASH]
    return f"the store keeps a different PDF of {number} ({kept_hash})"


def check_store(
    pdf: ContractFile, data: bytes, signed: Signed, evidence: bytes | None,
    service: DealService, found: Findings,
) -> None:  # fmt: skip
    """Record the ``store`` check: the file against the deal in ``service``'s store."""
    deal_id = pdf.metadata("dealid") or ""
    try:
        deal = service.get(deal_id)
        events = service.history(deal_id)
        chain = service.audit(deal_id)
    except (DealflowError, ValueError) as exc:
        found.add("store", False, f"the store cannot confirm it: {exc}")
        return
    if chain.first_break is not None:
        found.add("store", False, f"the deal's event log was altered at {chain.first_break}")
        return
    recorded = _recorded_evidence(deal, events, signed, service)
    if isinstance(recorded, str):
        found.add("store", False, recorded)
        return
    expected, signing = recorded
    head = _chain_head(evidence)
    links = service._chain_links(deal_id)
    if head is not None and signing in links and links[signing][1] != head:
        found.add(
            "store", False,
            f"the deal's log up to the signature (v{signing}) was rewritten: its chain head is "
            f"{links[signing][1][:SHORT_HASH]}, the contract sealed {head[:SHORT_HASH]}",
        )  # fmt: skip
        return
    if evidence is not None and expected != evidence:
        found.add("store", False, "the store's events differ from the evidence in the PDF")
        return
    for event in events:
        if event.version <= signing:
            continue
        if isinstance(event, ContractAmended):
            break
        if isinstance(event, ContractSigned):
            found.add(
                "store", False,
                f"event {event.version} records a signature after signing, on terms "
                f"{event.terms_hash[:SHORT_HASH]}",
            )  # fmt: skip
            return
    language = (pdf.metadata("contractlanguage") or "").replace("+", "-")
    problem = _kept(service, deal_id, found.number or "", language, data)
    if problem is not None:
        found.add("store", False, problem)
        return
    era = ", by the rules of release 0.1 (terms only)" if signed.legacy else ""
    found.add(
        "store", True,
        f"deal {deal_id}: signed version {signed.version}, events and kept PDF agree{era}",
    )  # fmt: skip
