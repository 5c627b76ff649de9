"""Verify a contract PDF: is it exactly what both parties signed?

:func:`verify_contract` runs named checks and never raises for a bad file: each check says
what holds and what does not.

- ``pdf``: the file is a readable, unencrypted PDF.
- ``contract``: it is a dealflow contract (its number, deal, version and terms hash in the
  metadata, the terms embedded as ``terms.json``), and a signed one, not a draft.
- ``terms``: ``terms.json`` is canonical and hashes to the hash in the metadata, printed in
  the recitals and at the foot of every page.
- ``seal``: a PAdES seal is present, intact and covers the whole file; names the signer
  and the certificate's validity.
- ``signatures``: the embedded evidence records a signature by each side on that hash.
- ``store`` (given a service): the deal's signed version has that hash; its events give the
  same evidence as the PDF; no signature was recorded afterwards; the store keeps this very
  file for that version.

A damaged file never makes it raise: whatever the PDF and signature libraries raise while a
check reads the file (:func:`_damage`) fails that check, with the library's message on one
line. A file larger than :data:`MAX_CONTRACT_BYTES` fails ``pdf`` unread.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import re
import struct
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

from dealflow.domain.contract import SHORT_HASH
from dealflow.domain.events import ContractAmended, ContractSigned
from dealflow.domain.evidence import evidence_json, evidence_trail
from dealflow.domain.terms import Terms
from dealflow.errors import DealflowError

if TYPE_CHECKING:
    from dealflow.services import DealService

T = TypeVar("T")

#: The largest contract file verified, 64 MiB. A dealflow contract weighs about 70 KB (seven
#: pages with subset fonts, terms.json and evidence.json); a long-term seal (PAdES-B-LT/LTA)
#: adds certificates, revocation lists and timestamps, a few MB with the largest CRLs. A file
#: hundreds of times that size is no dealflow contract, and is refused before it is parsed.
MAX_CONTRACT_BYTES = 64 * 1024 * 1024

#: What a PDF parser lets escape on damaged input besides its own errors: a bad length or
#: offset, a missing key, an object of the wrong type, arithmetic on garbage, nesting without
#: end, a corrupt zlib or binary stream.
_PARSER_ERRORS: tuple[type[Exception], ...] = (
    ValueError, LookupError, TypeError, AttributeError, ArithmeticError, RecursionError,
    NotImplementedError, EOFError, OSError, zlib.error, struct.error,
)  # fmt: skip


@cache
def _damage() -> tuple[type[Exception], ...]:
    """Every error pypdf, pyHanko and its certificate validator raise on a damaged file: their
    base errors and the builtins their parsers let escape."""
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko_certvalidator.errors import (
        CRLValidationError,
        OCSPValidationError,
        PathError,
        ValidationError,
    )
    from pypdf.errors import DependencyError, PyPdfError

    return (
        PyPdfError, DependencyError, PdfError, PathError, ValidationError, CRLValidationError,
        OCSPValidationError, InvalidSignature, UnsupportedAlgorithm, *_PARSER_ERRORS,
    )  # fmt: skip


def _said(exc: BaseException) -> str:
    """A library's error as one short line: its white space runs made one space, cut at 160
    characters (pypdf quotes the bytes it choked on)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."


@dataclass(frozen=True)
class Check:
    """One check: its name, whether it holds, and what was found."""

    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class Verdict:
    """Every check run on a contract file; it verifies when all of them hold."""

    checks: tuple[Check, ...]
    #: Who sealed it, when a seal was found.
    signer: str | None = None
    contract_number: str | None = None

    @property
    def ok(self) -> bool:
        """True when every check holds."""
        return bool(self.checks) and all(check.ok for check in self.checks)

    @property
    def failed(self) -> list[str]:
        """The names of the checks that do not hold."""
        return [check.name for check in self.checks if not check.ok]


@dataclass
class _Findings:
    checks: list[Check] = field(default_factory=list)
    signer: str | None = None
    number: str | None = None

    def add(self, name: str, ok: bool, detail: str) -> bool:
        self.checks.append(Check(name, ok, detail))
        return ok

    def verdict(self) -> Verdict:
        return Verdict(tuple(self.checks), self.signer, self.number)

    def guarded(self, names: tuple[str, ...], step: Callable[[], T]) -> T | None:
        """``step()``, or None when a library fails on the file: then the first of the checks
        ``names`` it was making that is not recorded yet fails, saying why."""
        try:
            return step()
        except _damage() as exc:
            done = {check.name for check in self.checks}
            name = next((n for n in names if n not in done), names[-1])
            self.add(name, False, f"the PDF is damaged where this check reads it: {_said(exc)}")
            return None


@contextmanager
def _quiet(*loggers: str) -> Iterator[None]:
    """pyHanko logs a traceback for every certificate outside a trust list, pypdf a warning
    for every damaged file: keep them quiet, the verdict says it in one line."""
    saved = [(logging.getLogger(name), logging.getLogger(name).level) for name in loggers]
    for logger, _ in saved:
        logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        for logger, level in saved:
            logger.setLevel(level)


def _flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


def _meta(reader: Any, key: str) -> str | None:
    value = (reader.metadata or {}).get(f"/{key}")
    return str(value) if value is not None else None


def _read(data: bytes, found: _Findings) -> Any | None:
    """The pypdf reader of ``data``, or None with the ``pdf`` check failed."""
    from pypdf import PdfReader

    if len(data) > MAX_CONTRACT_BYTES:
        found.add("pdf", False, f"the file is larger than {MAX_CONTRACT_BYTES:,} bytes")
        return None
    if data.lstrip()[:5] != b"%PDF-":
        found.add("pdf", False, "not a PDF file")
        return None
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            found.add("pdf", False, "the PDF is encrypted; a dealflow contract never is")
            return None
        pages = len(reader.pages)
    except _damage() as exc:
        found.add("pdf", False, f"the PDF cannot be read (truncated or damaged): {_said(exc)}")
        return None
    found.add("pdf", True, f"a PDF of {pages} page(s)")
    return reader


def _terms(reader: Any, found: _Findings) -> tuple[str, bytes] | None:
    """The terms hash and ``terms.json`` bytes, checked against what the document prints."""
    try:
        attachments = reader.attachments
        copies = list(attachments["terms.json"]) if "terms.json" in attachments else []
        terms_json = copies[-1] if copies else None
    except _damage() as exc:  # a damaged name tree
        found.add("contract", False, f"its embedded files cannot be read: {_said(exc)}")
        return None
    number, deal_id = _meta(reader, "contractnumber"), _meta(reader, "dealid")
    claimed = _meta(reader, "termssha256")
    if not (number and deal_id and claimed and terms_json is not None):
        found.add("contract", False, "not a dealflow contract: no contract number or no terms.json")
        return None
    found.number = number
    if _meta(reader, "contractstatus") != "signed":
        found.add("contract", False, f"{number} is a DRAFT, not a signed contract")
    else:
        found.add("contract", True, f"contract {number} of deal {deal_id}")
    digest = hashlib.sha256(terms_json).hexdigest()
    problems = []
    if len(copies) > 1:
        problems.append(f"the PDF embeds {len(copies)} files named terms.json")
    try:
        terms = Terms.model_validate_json(terms_json)
        if terms.canonical_json().encode("utf-8") != terms_json:
            problems.append("terms.json is not in canonical form")
    except ValueError:
        problems.append("terms.json is not valid terms")
    if digest != claimed:
        problems.append(
            f"terms.json hashes to {digest[:SHORT_HASH]}, the metadata says {claimed[:SHORT_HASH]}"
        )
    pages = []
    for page_number, page in enumerate(reader.pages, 1):
        try:
            pages.append(_flat(page.extract_text() or ""))
        except _damage() as exc:  # a damaged content stream or font
            problems.append(f"the text of page {page_number} cannot be read: {_said(exc)}")
            pages.append("")
    if digest not in "".join(pages):
        printed = re.findall(r"[0-9a-f]{64}", "".join(pages))
        shown = printed[0][:SHORT_HASH] if printed else "none"
        problems.append(f"the recitals print hash {shown}, not {digest[:SHORT_HASH]}")
    unmarked = [str(n) for n, text in enumerate(pages, 1) if digest[:SHORT_HASH] not in text]
    if unmarked:
        problems.append(f"page(s) {', '.join(unmarked)} do not print {digest[:SHORT_HASH]}")
    if problems:
        found.add("terms", False, "; ".join(problems))
    else:
        found.add("terms", True, f"terms.json hashes to {digest}, as printed on every page")
    return digest, terms_json


def _seal(data: bytes, found: _Findings) -> None:
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import validate_pdf_signature
    from pyhanko.sign.validation.status import SignatureCoverageLevel
    from pyhanko_certvalidator import ValidationContext

    try:
        signatures = PdfFileReader(io.BytesIO(data), strict=False).embedded_signatures
    except _damage() as exc:
        found.add("seal", False, f"the seal cannot be read: {_said(exc)}")
        return
    if not signatures:
        found.add("seal", False, "unsealed: the PDF carries no seal")
        return
    try:
        with _quiet("pyhanko", "pyhanko_certvalidator"):
            status = validate_pdf_signature(
                signatures[-1], ValidationContext(trust_roots=[], allow_fetching=False)
            )
        # The certificate is parsed as it is read: a damaged one fails here.
        cert = status.signing_cert
        signer = cert.subject.human_friendly
        validity = (
            f"certificate valid {cert.not_valid_before:%Y-%m-%d} to {cert.not_valid_after:%Y-%m-%d}"
        )
        self_signed = cert.self_signed
    except _damage() as exc:  # SignatureValidationError and CMS errors are ValueErrors
        found.add("seal", False, f"the seal cannot be validated: {_said(exc)}")
        return
    found.signer = signer
    trust = (
        "issued by a trusted authority"
        if status.trusted
        else "self-signed or not in a trust list"
        if self_signed
        else "its issuer is not in a trust list"
    )
    if not status.intact or not status.valid:
        found.add("seal", False, f"the seal by {signer} is broken: the file was changed")
    elif status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        found.add("seal", False, f"the seal by {signer} does not cover the whole file")
    else:
        found.add("seal", True, f"sealed by {signer}, intact; {validity}; {trust}")


def _signatures(reader: Any, digest: str, found: _Findings) -> bytes | None:
    try:
        attachments = reader.attachments
        evidence = attachments["evidence.json"][0] if "evidence.json" in attachments else None
        entries = json.loads(evidence) if evidence is not None else None
    except _damage():  # a damaged attachment or JSON: reported below
        entries, evidence = None, None
    if not isinstance(entries, list):
        found.add("signatures", False, "no evidence of signing is embedded")
        return None
    signed = [e for e in entries if isinstance(e, dict) and e.get("event") == "ContractSigned"]
    sides = {e.get("side") for e in signed if e.get("terms_hash") == digest}
    others = [e for e in signed if e.get("terms_hash") != digest]
    if others:
        found.add("signatures", False, "a signature in the evidence names other terms")
    elif sides != {"seller", "buyer"}:
        missing = ", ".join(sorted({"seller", "buyer"} - {str(s) for s in sides}))
        found.add("signatures", False, f"no signature by the {missing} on these terms")
    else:
        names = ", ".join(f"{e.get('actor')} ({e.get('side')})" for e in signed)
        found.add("signatures", True, f"signed on these terms by {names}")
    return evidence


def _store(
    reader: Any, data: bytes, digest: str, evidence: bytes | None, service: DealService,
    found: _Findings,
) -> None:  # fmt: skip
    deal_id = _meta(reader, "dealid") or ""
    try:
        version = int(_meta(reader, "contractversion") or "0")
        deal = service.get(deal_id)
        events = service.history(deal_id)
    except (DealflowError, ValueError) as exc:
        found.add("store", False, f"the store cannot confirm it: {exc}")
        return
    signed = {c.contract_version: c for c in deal.contracts}.get(version)
    if signed is None:
        found.add("store", False, f"the store has no signed version {version} of deal {deal_id}")
        return
    if signed.terms_hash != digest:
        found.add(
            "store", False,
            f"the store's signed version {version} has terms {signed.terms_hash[:SHORT_HASH]}, "
            f"this PDF has {digest[:SHORT_HASH]}",
        )  # fmt: skip
        return
    signing = max(
        (e.version for e in events if isinstance(e, ContractSigned) and e.terms_hash == digest),
        default=0,
    )
    recorded = evidence_json(evidence_trail(events, signing)).encode("utf-8")
    if evidence is not None and recorded != evidence:
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
    language = (_meta(reader, "contractlanguage") or "").replace("+", "-")
    kept = service.store.get_artifact(deal_id, f"{found.number}-{language}.pdf")
    if kept is None:
        found.add("store", False, f"the store keeps no PDF of {found.number} in {language}")
    elif kept != data:
        kept_hash = hashlib.sha256(kept).hexdigest()[:SHORT_HASH]
        found.add(
            "store", False, f"the store keeps a different PDF of {found.number} ({kept_hash})"
        )
    else:
        found.add(
            "store", True, f"deal {deal_id}: signed version {version}, events and kept PDF agree"
        )


def verify_contract(data: bytes, service: DealService | None = None) -> Verdict:
    """Run every check on a contract file (see the module docstring); never raises for a bad
    file. With ``service``, the file is also checked against that store."""
    found = _Findings()
    with _quiet("pypdf", "pyhanko", "pyhanko_certvalidator"):
        # Each step also handles the damage it expects; the guard is there for the rest.
        reader = found.guarded(("pdf",), lambda: _read(data, found))
        if reader is None:
            return found.verdict()
        terms = found.guarded(("contract", "terms"), lambda: _terms(reader, found))
        if terms is None:
            return found.verdict()
        digest, _ = terms
        found.guarded(("seal",), lambda: _seal(data, found))
        evidence = found.guarded(("signatures",), lambda: _signatures(reader, digest, found))
        if service is not None:
            deals = service
            found.guarded(("store",), lambda: _store(reader, data, digest, evidence, deals, found))
    return found.verdict()
