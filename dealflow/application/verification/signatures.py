"""The ``signatures`` check: the evidence embedded in the file (``evidence.json``) records a
signature by each side on what the file says was signed, and none on anything else."""

from __future__ import annotations

import json
from typing import Any

from dealflow.application.verification.agreement import Signed
from dealflow.application.verification.verdict import DAMAGE, Findings
from dealflow.domain.evidence import EVIDENCE_FORMAT
from dealflow.ports import ContractFile


def _evidence(pdf: ContractFile) -> tuple[bytes | None, Any, int]:
    """The embedded evidence, parsed, and how many files are called ``evidence.json``."""
    try:
        copies = pdf.attachments("evidence.json")
        evidence = copies[-1] if copies else None
        return evidence, (json.loads(evidence) if evidence is not None else None), len(copies)
    except DAMAGE:  # a damaged attachment or JSON: no evidence, which the check reports
        return None, None, 0


def _own_events(entries: list[Any]) -> list[dict[str, Any]]:
    """A contract made before agreement hashes lists every event of the deal up to its last
    signature: the events of its own version are those after the last amendment."""
    rows = [e for e in entries if isinstance(e, dict)]
    amended = [i for i, e in enumerate(rows) if e.get("event") == "ContractAmended"]
    return rows[amended[-1] :] if amended else rows


def check_signatures(pdf: ContractFile, signed: Signed, found: Findings) -> bytes | None:
    """Record the ``signatures`` check; the embedded evidence, for the store to compare."""
    evidence, parsed, copies = _evidence(pdf)
    if copies > 1:
        found.add("signatures", False, f"the PDF embeds {copies} files named evidence.json")
        return None
    if signed.legacy:
        entries = _own_events(parsed) if isinstance(parsed, list) else None
    else:
        valid = isinstance(parsed, dict) and parsed.get("format") == EVIDENCE_FORMAT
        entries = parsed.get("events") if valid else None
        if valid and parsed.get("agreement_hash") != signed.digest:
            found.add("signatures", False, "the evidence is for another agreement")
            return evidence
    if not isinstance(entries, list):
        found.add("signatures", False, "no evidence of signing is embedded")
        return None
    rows = [e for e in entries if isinstance(e, dict) and e.get("event") == "ContractSigned"]
    sides = {e.get("side") for e in rows if signed.bound_by(e)}
    what = "these terms" if signed.legacy else "this agreement"
    if not all(signed.bound_by(e) for e in rows):
        other = "terms" if signed.legacy else "agreement"
        found.add("signatures", False, f"a signature in the evidence names another {other}")
    elif sides != {"seller", "buyer"}:
        missing = ", ".join(sorted({"seller", "buyer"} - {str(s) for s in sides}))
        found.add("signatures", False, f"no signature by the {missing} on {what}")
    else:
        names = ", ".join(f"{e.get('actor')} ({e.get('side')})" for e in rows)
        older = not signed.legacy and all(e.get("agreement_hash") is None for e in rows)
        era = " (signed before agreement hashes: on its terms)" if older else ""
        found.add("signatures", True, f"signed on {what} by {names}{era}")
    return evidence
