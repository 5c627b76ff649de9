"""Verify a contract PDF: is it exactly what both parties signed?

:func:`verify_contract` runs named checks and never raises for a bad file: each check says
what holds and what does not.

- ``pdf``: the file is a readable, unencrypted PDF.
- ``contract``: it is a dealflow contract (its number, deal, version and terms hash in the
  metadata, the terms embedded as ``terms.json``), and a signed one, not a draft.
- ``terms``: ``terms.json`` is canonical and hashes to the hash in the metadata, printed in
  the recitals and at the foot of every page.
- ``seal``: a PAdES seal is present, well formed (nothing but its signature in its
  ``/Contents``), intact, and covers the whole file, followed only by document timestamps
  that hold too; names the signer, the certificate's SHA-256 fingerprint, the PAdES level
  and the trusted time; with trusted roots, the chain reaches one and the certificate was
  valid at the trusted signing time (:mod:`dealflow.adapters.seal_validation` has the rules).
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
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any, TypeVar

from dealflow.application.contracts import sealed_copy_name, unsealed_original
from dealflow.domain.agreement import Agreement, agreement_of
from dealflow.domain.contract import SHORT_HASH
from dealflow.domain.deal import Deal
from dealflow.domain.events import AnyEvent, ContractAmended, ContractSigned
from dealflow.domain.evidence import (
    EVIDENCE_FORMAT,
    evidence_json,
    evidence_trail,
    legacy_evidence_json,
)
from dealflow.domain.terms import Terms
from dealflow.errors import DealflowError

if TYPE_CHECKING:
    from dealflow.adapters.seal_validation import TrustSource
    from dealflow.application.service import DealService

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
    #: The SHA-256 fingerprint of the seal's certificate (lower-case hex).
    fingerprint: str | None = None
    #: The seal's PAdES level: "B-B", "B-T", "B-LT" or "B-LTA".
    seal_level: str | None = None
    #: The trusted signing time (the signature timestamp's); None: no trusted time.
    signing_time: datetime | None = None
    #: Whether the seal's chain reaches a trusted root; None: no roots were given.
    trusted: bool | None = None

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
    fingerprint: str | None = None
    seal_level: str | None = None
    signing_time: datetime | None = None
    trusted: bool | None = None

    def add(self, name: str, ok: bool, detail: str) -> bool:
        self.checks.append(Check(name, ok, detail))
        return ok

    def verdict(self) -> Verdict:
        return Verdict(
            tuple(self.checks), self.signer, self.number, self.fingerprint, self.seal_level,
            self.signing_time, self.trusted,
        )  # fmt: skip

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


@dataclass(frozen=True)
class _Signed:
    """What the file says was signed: the hash its signatures must bind (the agreement hash;
    for a contract made before agreement hashes, the terms hash) and its contract version."""

    digest: str
    legacy: bool
    version: int
    #: The terms hash: what signatures made before agreement hashes bind.
    terms_hash: str

    def bound_by(self, entry: dict[str, Any]) -> bool:
        """Whether an evidence entry names what this file says was signed."""
        if self.legacy:
            return entry.get("terms_hash") == self.digest
        if entry.get("agreement_hash") is None:  # signed before agreement hashes
            return entry.get("terms_hash") == self.terms_hash
        return entry.get("agreement_hash") == self.digest


def _attachment(reader: Any, name: str) -> tuple[bytes | None, int]:
    """The last embedded file called ``name`` and how many there are."""
    attachments = reader.attachments
    copies = list(attachments[name]) if name in attachments else []
    return (copies[-1] if copies else None), len(copies)


def _printed(reader: Any, digest: str, problems: list[str], what: str) -> None:
    """The hash in full in the recitals, and in short on every page."""
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
        problems.append(f"the recitals print {what} hash {shown}, not {digest[:SHORT_HASH]}")
    unmarked = [str(n) for n, text in enumerate(pages, 1) if digest[:SHORT_HASH] not in text]
    if unmarked:
        problems.append(f"page(s) {', '.join(unmarked)} do not print {digest[:SHORT_HASH]}")


def _canonical_terms(terms_json: bytes, claimed: str | None, problems: list[str]) -> Terms | None:
    terms = None
    try:
        terms = Terms.model_validate_json(terms_json)
        if terms.canonical_json().encode("utf-8") != terms_json:
            problems.append("terms.json is not in canonical form")
    except ValueError:
        problems.append("terms.json is not valid terms")
    digest = hashlib.sha256(terms_json).hexdigest()
    if claimed is not None and digest != claimed:
        problems.append(
            f"terms.json hashes to {digest[:SHORT_HASH]}, the metadata says {claimed[:SHORT_HASH]}"
        )
    return terms


def _terms(reader: Any, data: bytes, found: _Findings) -> _Signed | None:
    """What was signed, checked against what the document prints: ``agreement.json`` and its
    hash (the ``agreement`` check), or, in a contract made before agreement hashes, ``terms.json``
    (the ``terms`` check)."""
    try:
        agreement_json, agreements = _attachment(reader, "agreement.json")
        terms_json, terms_copies = _attachment(reader, "terms.json")
    except _damage() as exc:  # a damaged name tree
        found.add("contract", False, f"its embedded files cannot be read: {_said(exc)}")
        return None
    number, deal_id = _meta(reader, "contractnumber"), _meta(reader, "dealid")
    claimed_terms = _meta(reader, "termssha256")
    claimed = _meta(reader, "agreementsha256")
    legacy = agreement_json is None and claimed is None
    if not (number and deal_id and (claimed_terms or claimed)) or (
        terms_json is None and agreement_json is None
    ):
        found.add(
            "contract", False, "not a dealflow contract: no contract number or no agreement.json"
        )
        return None
    found.number = number
    original = unsealed_original(data)
    unsealed = (
        f"; unsealed PDF sha256 {hashlib.sha256(original).hexdigest()}" if original != data else ""
    )
    try:
        version = int(_meta(reader, "contractversion") or "0")
    except ValueError:
        version = 0
    era = " (made before agreement hashes: its signatures bind the terms only)" if legacy else ""
    if _meta(reader, "contractstatus") != "signed":
        found.add("contract", False, f"{number} is a DRAFT, not a signed contract")
    else:
        found.add("contract", True, f"contract {number} of deal {deal_id}{era}{unsealed}")
    problems: list[str] = []
    if terms_copies > 1:
        problems.append(f"the PDF embeds {terms_copies} files named terms.json")
    if legacy:
        assert terms_json is not None and claimed_terms is not None
        _canonical_terms(terms_json, claimed_terms, problems)
        digest = hashlib.sha256(terms_json).hexdigest()
        _printed(reader, digest, problems, "terms")
        if problems:
            found.add("terms", False, "; ".join(problems))
        else:
            found.add("terms", True, f"terms.json hashes to {digest}, as printed on every page")
        return _Signed(digest, True, version, digest)
    if agreement_json is None or claimed is None:
        found.add("agreement", False, "the agreement hash or agreement.json is missing")
        return None
    if agreements > 1:
        problems.append(f"the PDF embeds {agreements} files named agreement.json")
    digest = hashlib.sha256(agreement_json).hexdigest()
    if digest != claimed:
        problems.append(
            f"agreement.json hashes to {digest[:SHORT_HASH]}, the metadata says "
            f"{claimed[:SHORT_HASH]}"
        )
    metadata = (deal_id, number, version, claimed_terms)
    problems += _agreement_problems(agreement_json, terms_json, metadata)
    _printed(reader, digest, problems, "agreement")
    if problems:
        found.add("agreement", False, "; ".join(problems))
    else:
        found.add("agreement", True, f"agreement.json hashes to {digest}, as printed on every page")
    return _Signed(digest, False, version, claimed_terms or "")


def _agreement_problems(
    agreement_json: bytes, terms_json: bytes | None, metadata: tuple[str, str, int, str | None]
) -> list[str]:
    """What is wrong with ``agreement.json``: its form, and whether it says what the metadata
    (deal id, number, version, terms hash) and ``terms.json`` say."""
    deal_id, number, version, claimed_terms = metadata
    problems: list[str] = []
    try:
        agreement = Agreement.model_validate_json(agreement_json)
    except ValueError:
        return ["agreement.json is not a valid agreement"]
    if agreement.canonical_json().encode("utf-8") != agreement_json:
        problems.append("agreement.json is not in canonical form")
    said = (agreement.deal_id, agreement.number, agreement.contract_version)
    if said != (deal_id, number, version):
        problems.append(
            f"agreement.json is for {agreement.number} of deal {agreement.deal_id}, the "
            f"metadata says {number} of deal {deal_id}"
        )
    if terms_json is not None:
        if terms_json != agreement.terms.canonical_json().encode("utf-8"):
            problems.append("terms.json differs from the terms in agreement.json")
        _canonical_terms(terms_json, claimed_terms, problems)
    if claimed_terms and agreement.terms_hash != claimed_terms:
        problems.append("the metadata's terms hash differs from agreement.json's")
    return problems


def _seal(data: bytes, found: _Findings, roots: Sequence[Any], at: datetime | None) -> None:
    """The ``seal`` check: :func:`dealflow.adapters.seal_validation.judge_seal` decides."""
    from dealflow.adapters.seal_validation import judge_seal

    seal = judge_seal(data, roots, at)
    found.signer = seal.signer
    found.fingerprint = seal.fingerprint
    found.seal_level = seal.level
    found.signing_time = seal.signing_time
    found.trusted = seal.trusted
    found.add("seal", seal.ok, seal.detail)


def _evidence(reader: Any) -> tuple[bytes | None, Any, int]:
    try:
        evidence, copies = _attachment(reader, "evidence.json")
        return evidence, (json.loads(evidence) if evidence is not None else None), copies
    except _damage():  # a damaged attachment or JSON: reported by the caller
        return None, None, 0


def _own_events(entries: list[Any]) -> list[dict[str, Any]]:
    """A contract made before agreement hashes lists every event of the deal up to its last
    signature: the events of its own version are those after the last amendment."""
    rows = [e for e in entries if isinstance(e, dict)]
    amended = [i for i, e in enumerate(rows) if e.get("event") == "ContractAmended"]
    return rows[amended[-1] :] if amended else rows


def _signatures(reader: Any, signed: _Signed, found: _Findings) -> bytes | None:
    evidence, parsed, copies = _evidence(reader)
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


def _chain_head(evidence: bytes | None) -> str | None:
    """The chain head the contract's evidence names, if any."""
    try:
        parsed = json.loads(evidence) if evidence is not None else None
    except ValueError:
        return None
    head = parsed.get("chain_head") if isinstance(parsed, dict) else None
    return head if isinstance(head, str) else None


def _recorded_evidence(
    deal: Deal, events: list[AnyEvent], signed: _Signed, service: DealService
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


def _store(
    reader: Any, data: bytes, signed: _Signed, evidence: bytes | None, service: DealService,
    found: _Findings,
) -> None:  # fmt: skip
    deal_id = _meta(reader, "dealid") or ""
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
    language = (_meta(reader, "contractlanguage") or "").replace("+", "-")
    problem = _kept(service, deal_id, found.number or "", language, data)
    if problem is not None:
        found.add("store", False, problem)
        return
    era = ", by the rules of release 0.1 (terms only)" if signed.legacy else ""
    found.add(
        "store", True,
        f"deal {deal_id}: signed version {signed.version}, events and kept PDF agree{era}",
    )  # fmt: skip


def verify_contract(
    data: bytes,
    service: DealService | None = None,
    *,
    trust: Sequence[TrustSource] = (),
    at: datetime | None = None,
) -> Verdict:
    """Run every check on a contract file (see the module docstring); never raises for a bad
    file. With ``service``, the file is also checked against that store. ``trust`` are the
    roots legal trusts (certificate bytes, PEM or DER, or paths of such files): the seal's
    chain must reach one, and its certificate be valid at the trusted signing time; without
    them the seal is judged on integrity only. ``at`` judges as of that moment instead of
    now. A trust entry that is not a certificate raises SealError (the caller's mistake,
    not the file's)."""
    from dealflow.adapters.seal_validation import trust_roots

    roots = trust_roots(trust)
    found = _Findings()
    with _quiet("pypdf", "pyhanko", "pyhanko_certvalidator"):
        # Each step also handles the damage it expects; the guard is there for the rest.
        reader = found.guarded(("pdf",), lambda: _read(data, found))
        if reader is None:
            return found.verdict()
        signed = found.guarded(("contract", "agreement"), lambda: _terms(reader, data, found))
        if signed is None:
            return found.verdict()
        found.guarded(("seal",), lambda: _seal(data, found, roots, at))
        evidence = found.guarded(("signatures",), lambda: _signatures(reader, signed, found))
        if service is not None:
            deals = service
            found.guarded(("store",), lambda: _store(reader, data, signed, evidence, deals, found))
    return found.verdict()
