"""Verifying a contract file: :func:`verify_contract` runs the checks in order, each on what the
one before established, and never raises for a bad file."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from dealflow.application.verification.agreement import Signed, check_agreement
from dealflow.application.verification.contract import check_contract
from dealflow.application.verification.pdf import check_pdf
from dealflow.application.verification.seal import check_seal
from dealflow.application.verification.signatures import check_signatures
from dealflow.application.verification.store import check_store
from dealflow.application.verification.verdict import Findings, Verdict
from dealflow.ports import ContractFile, ContractInspector, SealJudge, TrustSource

if TYPE_CHECKING:
    from dealflow.application.service import DealService


def _signed(pdf: ContractFile, data: bytes, found: Findings) -> Signed | None:
    embedded = check_contract(pdf, data, found)
    return check_agreement(pdf, embedded, found) if embedded is not None else None


def verify_contract(
    data: bytes,
    service: DealService | None = None,
    *,
    trust: Sequence[TrustSource] = (),
    at: datetime | None = None,
    inspector: ContractInspector,
    judge: SealJudge,
) -> Verdict:
    """Run every check on a contract file (see :mod:`dealflow.application.verification`),
    reading it with ``inspector`` and its seal with ``judge``; never raises for a bad file.
    With ``service``, the file is also checked against that store. ``trust`` are the roots
    legal trusts (certificate bytes, PEM or DER, or paths of such files): the seal's chain
    must reach one, and its certificate be valid at the trusted signing time; without them
    the seal is judged on integrity only. ``at`` judges as of that moment instead of now. A
    trust entry that is not a certificate raises SealError (the caller's mistake, not the
    file's). :func:`dealflow.verify_contract` is this with the installed inspector and
    judge."""
    roots = judge.trust_roots(trust)
    found = Findings()
    # Each step also handles the damage it expects; the guard is there for the rest.
    pdf = found.guarded(("pdf",), lambda: check_pdf(data, inspector, found))
    if pdf is None:
        return found.verdict()
    signed = found.guarded(("contract", "agreement"), lambda: _signed(pdf, data, found))
    if signed is None:
        return found.verdict()
    found.guarded(("seal",), lambda: check_seal(data, judge, roots, at, found))
    evidence = found.guarded(("signatures",), lambda: check_signatures(pdf, signed, found))
    if service is not None:
        deals = service
        found.guarded(("store",), lambda: check_store(pdf, data, signed, evidence, deals, found))
    return found.verdict()
