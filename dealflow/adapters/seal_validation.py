"""Judge a contract's seal: its structure, its integrity, its level, who sealed it, whether a
root legal trusts vouches for them, and whether their certificate was valid when it counted.

:func:`judge_seal` never raises for a bad seal (a damaged file makes pyHanko raise);
:func:`trust_roots` reads the roots legal trusts and raises :class:`~dealflow.errors.SealError`
for one that is not a certificate. :class:`PyhankoSealJudge` is both behind the
:class:`~dealflow.ports.SealJudge` port, quiet, with what pyHanko raises on a damaged file
turned into :class:`~dealflow.errors.DamagedPdfError`.

What a dealflow contract may carry after its content: one seal (a PAdES signature over the
whole file), then document timestamps (``/DocTimeStamp``, RFC 3161) and the validation data
they come with (the DSS), nothing else. The rules, in the order they are checked:

1. **Structure.** Every signature's byte ranges start at 0 and leave one gap, exactly its
   ``/Contents`` hex string; that string holds one DER signature followed by zero padding
   only (bytes written into the padding are not covered by any signature, so they are
   refused). The last signature covers the whole file.
2. **Integrity.** The seal's signature matches the bytes it covers, and what follows it is
   only document timestamps and validation data; each document timestamp matches the bytes
   it covers.
3. **Level.** PAdES-B-B: no trusted time, the signing time is the signer's claim. B-T: a
   signature timestamp by a timestamp authority (TSA) gives the trusted signing time. B-LT:
   the chain and revocation answers (OCSP, CRL) are embedded (the DSS). B-LTA: a document
   timestamp protects all of it, and can be renewed (``dealflow seal refresh``).
4. **Trust and time** (only when roots are given): the seal's certificate chains to a given
   root and is valid (not expired, not revoked as far as the embedded answers say) at the
   trusted signing time: the signature timestamp's, else the first document timestamp's,
   else the moment of verification (``at``, default now). Each timestamp's own certificate
   is judged the same way at the time of the next document timestamp, the last one's at the
   moment of verification: that chain is what keeps a B-LTA seal verifiable after its
   certificates expire. Verification never goes online: revocation is judged on the answers
   the file carries, so the last timestamp's certificate is judged at the moment of
   verification on its validity period and chain only (renew the timestamp before that
   certificate expires or is revoked: ``dealflow seal refresh``).
"""

from __future__ import annotations

import hashlib
import io
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from typing import Any

from dealflow.adapters.untrusted import untrusted_read
from dealflow.errors import LocalFileError, SealError
from dealflow.files.local import read_file
from dealflow.ports import SealFinding, TrustSource

__all__ = [
    "MAX_TRUST_BYTES",
    "TRUST_ENV",
    "PyhankoSealJudge",
    "SealFinding",
    "TrustSource",
    "judge_seal",
    "trust_files_from_env",
    "trust_roots",
]

#: The largest trust file read: a certificate is a few KiB, a bundle of roots some hundreds.
MAX_TRUST_BYTES = 1024 * 1024
#: The environment variable naming the trust files, separated by ``os.pathsep``.
TRUST_ENV = "DEALFLOW_TRUST"

_HEX = re.compile(rb"[0-9A-Fa-f]*")


def trust_files_from_env() -> tuple[Path, ...]:
    """The trust files ``$DEALFLOW_TRUST`` names (separated by ``os.pathsep``)."""
    value = os.environ.get(TRUST_ENV, "")
    return tuple(Path(part).expanduser() for part in value.split(os.pathsep) if part)


def trust_roots(sources: Sequence[TrustSource]) -> tuple[Any, ...]:
    """The certificates (asn1crypto) of ``sources``: each the bytes of a PEM or DER
    certificate file (a PEM file may hold several) or the path of one. Raises SealError, one
    line, for a file that cannot be read or holds no certificate."""
    roots: list[Any] = []
    for source in sources:
        name = "a trust certificate"
        if isinstance(source, bytes):
            data = source
        else:
            name = f"trust file {os.fspath(source)!r}"
            try:
                data = read_file(source, MAX_TRUST_BYTES, what="trust file")
            except LocalFileError as exc:
                raise SealError(f"{name}: {exc.problem}") from None
            except OSError as exc:
                raise SealError(f"cannot read {name}: {exc.strerror or exc}") from None
        roots += _certificates(data, name)
    return tuple(roots)


def _certificates(data: bytes, name: str) -> list[Any]:
    from asn1crypto import pem, x509  # type: ignore[import-untyped]

    not_one = SealError(f"{name} is not a certificate (PEM or DER X.509 expected)")
    try:
        if pem.detect(data):
            found = [
                x509.Certificate.load(der)
                for kind, _, der in pem.unarmor(data, multiple=True)
                if kind == "CERTIFICATE"
            ]
        else:
            found = [x509.Certificate.load(data, strict=True)]
        for cert in found:
            _ = cert.subject.human_friendly, cert.not_valid_after  # parsed now, not later
    except (ValueError, TypeError, KeyError, IndexError, OverflowError):
        raise not_one from None
    if not found:
        raise not_one
    return found


# Structure -----------------------------------------------------------------------------------


def _der_size(blob: bytes) -> int | None:
    """The length of the DER value at the start of ``blob``, header included."""
    if len(blob) < 2:
        return None
    first = blob[1]
    if first < 0x80:
        return 2 + first
    count = first & 0x7F
    if count == 0 or count > 4 or len(blob) < 2 + count:  # 0: indefinite length, not DER
        return None
    return 2 + count + int.from_bytes(blob[2 : 2 + count], "big")


def _structure_problem(data: bytes, signature: Any, what: str, last: bool) -> str | None:
    """What is wrong with how a signature sits in the file, or None."""
    ranges = [int(n) for n in signature.sig_object.get("/ByteRange", [])]
    if len(ranges) != 4 or ranges[0] != 0:
        return f"the {what}'s byte ranges are not one gap from the start of the file"
    _, gap_start, gap_end, tail = ranges
    if not 0 < gap_start < gap_end <= len(data) or gap_end + tail > len(data) or tail < 0:
        return f"the {what}'s byte ranges point outside the file"
    gap = data[gap_start:gap_end]
    digits = gap[1:-1]
    if gap[:1] != b"<" or gap[-1:] != b">" or len(digits) % 2 or not _HEX.fullmatch(digits):
        return f"the gap in the {what}'s byte ranges is not its signature's hex string"
    blob = bytes.fromhex(digits.decode("ascii"))
    size = _der_size(blob)
    if size is None or size > len(blob):
        return f"the {what}'s signature is not one DER value"
    if blob.rstrip(b"\0") != blob[:size].rstrip(b"\0") or len(blob[:size]) != size:
        return f"bytes were written into the {what}'s padding after its signature"
    if bytes(signature.pkcs7_content).rstrip(b"\0") != blob[:size].rstrip(b"\0"):
        return f"the {what}'s /Contents is not the string its byte ranges leave out"
    if last and gap_end + tail != len(data):
        return f"{len(data) - gap_end - tail:,} bytes follow the {what}, covered by no signature"
    return None


# Times and certificates -------------------------------------------------------------------


def _token_time(signed_data: Any) -> datetime:
    """The time an RFC 3161 token (its SignedData) says."""
    info = signed_data["encap_content_info"]["content"].parsed
    moment: datetime = info["gen_time"].native
    return moment


def _signature_token(signature: Any) -> Any | None:
    """The signature timestamp token's SignedData, if the seal carries one."""
    attributes = signature.signer_info["unsigned_attrs"]
    if not attributes or attributes.native is None:
        return None
    for attribute in attributes:
        if attribute["type"].native == "signature_time_stamp_token":
            return attribute["values"][0]["content"]
    return None


def _day(moment: datetime) -> str:
    return f"{moment:%Y-%m-%d}"


def _time(moment: datetime) -> str:
    return f"{moment.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC"


def _validity_problem(cert: Any, moment: datetime, whose: str, when: str) -> str | None:
    start, end = cert.not_valid_before, cert.not_valid_after
    if moment < start:
        return f"{whose} certificate was not yet valid ({_day(start)}) at {when} {_time(moment)}"
    if moment > end:
        return f"{whose} certificate expired on {_day(end)}, before {when} {_time(moment)}"
    return None


def _context(roots: Sequence[Any], dss: Any, moment: datetime, *, answers: bool = True) -> Any:
    """A validation context judging at ``moment`` with the given roots, the file's own
    certificates and revocation answers (its DSS), offline; answers given after ``moment``
    count (they were fetched when sealing, a moment after the signing time). Without
    ``answers`` the DSS gives certificates only: for the moment of verification itself,
    which no embedded answer can speak for (they are as old as the last timestamp)."""
    from pyhanko_certvalidator import ValidationContext

    if dss is not None and not answers:
        certs = list(dss.load_certs())
        dss = None
    else:
        certs = []
    settings: dict[str, Any] = {
        "other_certs": certs,
        "trust_roots": list(roots),
        "moment": moment,
        "allow_fetching": False,
        "revocation_mode": "soft-fail",
        "retroactive_revinfo": True,
    }
    if dss is None:
        return ValidationContext(**settings)
    return dss.as_validation_context(settings)


def _level(token: Any, dss: Any, stamps: int) -> str:
    if token is None:
        return "B-B"
    revocation = dss is not None and (dss.ocsps or dss.crls)
    if not revocation:
        return "B-T"
    return "B-LTA" if stamps else "B-LT"


# The judgement ---------------------------------------------------------------------------


def _signature_kinds_problem(signatures: list[Any]) -> str | None:
    kinds = [s.sig_object_type for s in signatures]
    if kinds[0] == "/Sig" and all(kind == "/DocTimeStamp" for kind in kinds[1:]):
        return None
    return (
        f"the PDF carries {kinds.count('/Sig')} signature(s) and "
        f"{kinds.count('/DocTimeStamp')} document timestamp(s); a sealed contract carries one "
        "seal, then document timestamps only"
    )


def _untrusted_tsa(cert: Any, moment: datetime) -> str:
    """Why a timestamp's certificate is not trusted at ``moment``."""
    start, end = cert.not_valid_before, cert.not_valid_after
    if not start <= moment <= end:
        return (
            f"its TSA's certificate (valid {_day(start)} to {_day(end)}) was not valid at "
            f"{_time(moment)}"
        )
    return f"its TSA {cert.subject.human_friendly} does not chain to a trusted root"


def _untrusted_seal(status: Any, cert: Any, moment: datetime, at_what: str) -> str:
    """Why the seal's certificate is not trusted at ``moment``."""
    why = _validity_problem(cert, moment, "its", at_what)
    if why is not None:
        return why
    indication = status.trust_problem_indic
    if indication is None or "CHAIN" in indication.name:
        return "it does not chain to a trusted root"
    return f"its chain does not hold at {at_what} ({indication.name.lower()})"


@dataclass(frozen=True)
class _Times:
    """When each certificate must be valid: the seal's at the trusted signing time (the
    signature timestamp's, else the first document timestamp's, else now); the signature
    timestamp's at the first document timestamp's time; each document timestamp's at the
    next one's; the last one's now (or ``at``)."""

    now: datetime
    signed_at: datetime | None
    stamps: tuple[datetime, ...]

    @property
    def seal(self) -> datetime:
        return self.signed_at or (self.stamps[0] if self.stamps else self.now)

    @property
    def seal_basis(self) -> str:
        if self.signed_at is not None:
            return "the signing time"
        return "the first document timestamp" if self.stamps else "the time of verification"

    def after_stamp(self, number: int) -> datetime:
        """When document timestamp ``number`` (1, 2...; 0 for the signature timestamp) is
        judged."""
        return self.stamps[number] if number < len(self.stamps) else self.now

    def describe(self) -> str:
        if self.signed_at is not None:
            when = f"trusted time {_time(self.signed_at)} (signature timestamp)"
        else:
            when = "no trusted time: the signing time is the signer's own claim"
            if self.stamps:
                when += f"; first timestamped {_time(self.stamps[0])}"
        if self.stamps:
            when += f"; {len(self.stamps)} document timestamp(s), the last {_time(self.stamps[-1])}"
        return when


def judge_seal(data: bytes, roots: Sequence[Any] = (), at: datetime | None = None) -> SealFinding:
    """Judge the seal of ``data`` (see the module docstring); ``roots`` are the certificates
    :func:`trust_roots` read, ``at`` the moment of verification (default now). Raises only
    what a damaged file makes pyHanko raise; the caller reports it as a failed check."""
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.validation import DocumentSecurityStore

    reader = PdfFileReader(io.BytesIO(data), strict=False)
    signatures = list(reader.embedded_signatures)
    if not signatures:
        return SealFinding(False, "unsealed: the PDF carries no seal")
    problem = _signature_kinds_problem(signatures)
    for number, signature in enumerate(signatures):
        if problem is not None:
            return SealFinding(False, problem)
        what = "seal" if number == 0 else f"document timestamp {number}"
        problem = _structure_problem(data, signature, what, last=number == len(signatures) - 1)
    if problem is not None:
        return SealFinding(False, problem)
    seal, stamps = signatures[0], signatures[1:]
    cert = seal.signer_cert
    fingerprint = hashlib.sha256(cert.dump()).hexdigest()
    dss = DocumentSecurityStore.read_dss(reader) if "/DSS" in reader.root else None
    token = _signature_token(seal)
    times = _Times(
        now=(at or datetime.now(UTC)).astimezone(UTC),
        signed_at=_token_time(token) if token is not None else None,
        stamps=tuple(_token_time(s.signed_data) for s in stamps),
    )
    facts = {
        "signer": cert.subject.human_friendly,
        "fingerprint": fingerprint,
        "level": _level(token, dss, len(stamps)),
        "signing_time": times.signed_at,
        "timestamps": times.stamps,
    }
    who = f"the seal by {facts['signer']} (certificate sha256 {fingerprint})"
    failure = _failure(seal, stamps, token is not None, roots, dss, times, who)
    # Trusted roots or not, and even when the seal's own certificate is the trusted root (a
    # trust anchor's dates are not judged by path validation): the seal's certificate must be
    # valid at the trusted signing time, else now (or ``at``).
    failure = failure or _validity_problem(cert, times.seal, "the seal's", times.seal_basis)
    if failure is not None:
        return SealFinding(False, failure, trusted=False if roots else None, **facts)
    validity = f"certificate valid {_day(cert.not_valid_before)} to {_day(cert.not_valid_after)}"
    head = f"PAdES-{facts['level']} {who}, intact; {times.describe()}; {validity}"
    if not roots:
        return SealFinding(
            True,
            f"{head}; NOT checked against trusted roots (give --trust ROOT.pem or "
            "DEALFLOW_TRUST): integrity only",
            **facts,
        )
    return SealFinding(
        True, f"{head}, valid then; chain reaches a trusted root", trusted=True, **facts
    )


def _failure(
    seal: Any, stamps: list[Any], stamped: bool, roots: Sequence[Any], dss: Any, times: _Times,
    who: str,
) -> str | None:  # fmt: skip
    """Why the seal or a timestamp after it does not hold, or None. The document timestamps
    are judged first, the last one first: each vouches for everything before it."""
    from pyhanko.sign.diff_analysis import ModificationLevel
    from pyhanko.sign.validation import validate_pdf_signature, validate_pdf_timestamp
    from pyhanko.sign.validation.status import SignatureCoverageLevel

    for number in range(len(stamps), 0, -1):
        later = times.after_stamp(number)
        context = _context(roots, dss, later, answers=number < len(stamps))
        stamp_status = validate_pdf_timestamp(stamps[number - 1], context)
        if not stamp_status.intact or not stamp_status.valid:
            return (
                f"document timestamp {number} ({_time(times.stamps[number - 1])}) does not "
                "match the bytes it covers: the file was changed"
            )
        if roots and not stamp_status.trusted:
            why = _untrusted_tsa(stamps[number - 1].signer_cert, later)
            return f"document timestamp {number} is not trusted: {why}"
    status = validate_pdf_signature(
        seal,
        signer_validation_context=_context(roots, dss, times.seal),
        ts_validation_context=_context(
            roots, dss, times.after_stamp(0), answers=bool(times.stamps)
        ),
    )
    if not status.intact or not status.valid:
        return f"{who} is broken: the file was changed"
    if stamps:
        level = status.modification_level
        if status.coverage < SignatureCoverageLevel.ENTIRE_REVISION or (
            level is None or level > ModificationLevel.LTA_UPDATES
        ):
            return f"{who} is followed by changes other than timestamps"
    elif status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
        return f"{who} does not cover the whole file"
    timestamp = status.timestamp_validity
    if stamped and (timestamp is None or not timestamp.intact or not timestamp.valid):
        return f"the signature timestamp of {who} is broken"
    if not roots:
        return None
    if stamped and timestamp is not None and not timestamp.trusted:
        why = _untrusted_tsa(timestamp.signing_cert, times.after_stamp(0))
        return f"the signature timestamp of {who} is not trusted: {why}"
    if not status.trusted:
        why = _untrusted_seal(status, seal.signer_cert, times.seal, times.seal_basis)
        return f"{who} is not trusted: {why}"
    return None


# The port --------------------------------------------------------------------------------


@cache
def _damage() -> tuple[type[Exception], ...]:
    """What pyHanko, its certificate validator and the cryptography beneath raise on a damaged
    file: their base errors."""
    from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
    from pyhanko.pdf_utils.misc import PdfError
    from pyhanko_certvalidator.errors import (
        CRLValidationError,
        OCSPValidationError,
        PathError,
        ValidationError,
    )

    return (
        PdfError, PathError, ValidationError, CRLValidationError, OCSPValidationError,
        InvalidSignature, UnsupportedAlgorithm,
    )  # fmt: skip


class PyhankoSealJudge:
    """The seal judge on pyHanko (see :class:`dealflow.ports.SealJudge`)."""

    def trust_roots(self, sources: Sequence[TrustSource]) -> tuple[object, ...]:
        """The certificates of ``sources`` (:func:`trust_roots`)."""
        return trust_roots(sources)

    def judge(
        self, data: bytes, roots: Sequence[object] = (), at: datetime | None = None
    ) -> SealFinding:
        """:func:`judge_seal`, with pyHanko quiet and a damaged file a DamagedPdfError."""
        with untrusted_read(("pyhanko", "pyhanko_certvalidator"), _damage()):
            return judge_seal(data, roots, at)
