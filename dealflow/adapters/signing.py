"""Sealing contracts: a PAdES signature over the whole PDF by the seller organisation's
certificate, with pyHanko; renewing a long-term seal's document timestamp; and a self-signed
development certificate to try it with.

The certificate is a PKCS#12 file (``--cert FILE`` or ``$DEALFLOW_CERT``); its password is read
from ``$DEALFLOW_CERT_PASSWORD`` only, never from the command line. pyHanko (and the
``cryptography`` package it brings) are imported inside the functions that need them.

The seal's level depends on what is reachable when sealing:

- no timestamp authority (TSA): PAdES-B-B, the signing time is the signer's own claim;
- a TSA (``--tsa URL`` or ``$DEALFLOW_TSA``): B-T, a signature timestamp gives trusted time;
- a TSA, and revocation answers (OCSP or CRL) for the chain: B-LTA, the chain and the answers
  in the document security store (DSS), then a document timestamp over everything. When the
  answers cannot be had, the seal stays B-T (:attr:`Pkcs12Sealer.note` says why).

An unreachable or refusing TSA is a one-line :class:`~dealflow.errors.SealError`: the
contract is not sealed at all rather than sealed with less than asked. Every revision ends
with a signature covering the whole file: the validation data a document timestamp needs is
written before it, never after, so that ``verify`` can refuse any byte no signature covers.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from dealflow.errors import LocalFileError, SealError
from dealflow.files.local import create_file, make_folder, read_file

#: The signature field every dealflow seal uses.
SEAL_FIELD = "DealflowSeal"
#: Room kept for the seal's CMS blob (an RSA-4096 signature with a chain of three certificates
#: fits): reserving it spares pyHanko a trial signature to measure it, half the sealing time.
SEAL_BYTES = 16_384
#: The largest seal certificate read: a PKCS#12 file with a key and a chain is a few KiB.
MAX_CERTIFICATE_BYTES = 1024 * 1024
#: The name of the n-th document timestamp's field: DealflowTimestamp1, DealflowTimestamp2...
TIMESTAMP_FIELD = "DealflowTimestamp"
#: Room for a document timestamp token (a TSA's token with a chain of three certificates
#: fits): reserved, so that no trial timestamp is asked of the TSA to measure it.
TIMESTAMP_BYTES = 12_288
#: Seconds to wait for a TSA, an OCSP responder or a CRL server before giving up.
NETWORK_TIMEOUT = 10


@contextmanager
def _quiet(name: str) -> Iterator[None]:
    """No record at all from logger ``name`` (and those below it) while the block runs:
    dealflow reports the failure itself, in one line."""
    logger = logging.getLogger(name)
    level = logger.level
    logger.setLevel(logging.CRITICAL + 1)
    try:
        yield
    finally:
        logger.setLevel(level)


class Pkcs12Sealer:
    """Seals PDFs with the key and certificate of a PKCS#12 file."""

    def __init__(
        self,
        path: Path,
        password: bytes | None = None,
        *,
        tsa: str | None = None,
        trust: Sequence[Any] = (),
        long_term: bool = True,
    ) -> None:
        """Open the PKCS#12 file ``path``. With ``tsa``, the URL of an RFC 3161 timestamp
        authority, seals get trusted time (B-T) and, unless ``long_term`` is False, become
        B-LTA when revocation answers are reachable; ``trust`` (asn1crypto certificates)
        are roots to build chains to when gathering validation data, besides the
        self-signed certificates of the file."""
        from pyhanko.sign import signers

        self.path = Path(path)
        if self.path.is_dir():
            inside = self.path / "dev-seal.p12"
            hint = f"; did you mean {str(inside)!r}?" if inside.is_file() else ""
            raise SealError(
                f"seal certificate {str(self.path)!r} is a folder, not a certificate file: "
                f"give the PKCS#12 file (.p12) itself{hint}"
            )
        if not self.path.exists():
            raise SealError(f"seal certificate {str(self.path)!r} does not exist")
        try:
            # A regular file only (a FIFO is refused, never waited on), and at most the cap.
            data = read_file(self.path, MAX_CERTIFICATE_BYTES, what="certificate file")
        except LocalFileError as exc:
            raise SealError(f"seal certificate {str(self.path)!r}: {exc.problem}") from None
        except OSError as exc:
            raise SealError(
                f"cannot read seal certificate {str(self.path)!r}: {exc.strerror or exc}"
            ) from None
        try:
            with _quiet("pyhanko"):
                signer = signers.SimpleSigner.load_pkcs12_data(
                    data, other_certs=(), passphrase=password or None
                )
        except Exception:  # cryptography and pyHanko raise many kinds for a file not PKCS#12
            signer = None
        if signer is None or signer.signing_cert is None:
            raise SealError(
                f"cannot open seal certificate {str(self.path)!r}: wrong password "
                "(DEALFLOW_CERT_PASSWORD) or not a PKCS#12 file"
            )
        self._signer = signer
        #: Who seals: the certificate's subject, as people read it.
        self.subject: str = signer.signing_cert.subject.human_friendly
        #: The timestamp authority's URL, None for B-B seals.
        self.tsa = tsa
        self._long_term = long_term
        chain = [signer.signing_cert, *signer.cert_registry]
        self._anchors = _roots(chain, trust)
        #: The level of the last seal made: "B-B", "B-T" or "B-LTA".
        self.level: str | None = None
        #: Why the last seal stayed below what was asked (B-T instead of B-LTA), if it did.
        self.note: str | None = None
        self._stamper: Any = None

    def seal(self, pdf: bytes) -> bytes:
        """``pdf`` with a seal over all of it: B-B without a TSA; with one, B-LTA, or B-T
        when the chain's revocation answers cannot be had. Raises SealError, nothing sealed,
        when the TSA cannot be reached or refuses."""
        from pyhanko.sign import fields, signers

        from dealflow.adapters.rendering.pdf_metadata import sealing_writer

        metadata = signers.PdfSignatureMetadata(
            field_name=SEAL_FIELD,
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
            reason="Contract sealed by dealflow",
        )
        self.note = None
        with _sealing_errors("could not seal the contract", self.tsa):
            # Info and XMP get the same modification date and producer (PDF/A wants them
            # equal).
            writer = sealing_writer(pdf)
            sealed = bytes(
                signers.sign_pdf(
                    writer,
                    metadata,
                    signer=self._signer,
                    timestamper=self._timestamper(),
                    bytes_reserved=SEAL_BYTES,
                ).getvalue()
            )
        if self.tsa is None or not self._long_term:
            self.level = "B-B" if self.tsa is None else "B-T"
            return sealed
        try:
            archived = _archive(sealed, self._timestamper(), self._anchors, first=True)
        except Exception as exc:  # pyHanko raises many kinds; a TSA's failure is final
            if _tsa_failure(exc):
                raise SealError(_tsa_message("could not seal the contract", self.tsa, exc)) from exc
            self.level = "B-T"
            self.note = (
                f"sealed PAdES-B-T, not B-LTA: the chain's validation data cannot be had "
                f"({_said(exc)})"
            )
            return sealed
        self.level = "B-LTA"
        return archived

    def _timestamper(self) -> Any:
        """The TSA's client, made once: it keeps the TSA's sample token, which sizes the
        document timestamp and names the TSA's chain, so that later seals ask the TSA for
        real timestamps only."""
        if self.tsa is None:
            return None
        if self._stamper is None:
            from pyhanko.sign.timestamps import HTTPTimeStamper

            self._stamper = HTTPTimeStamper(self.tsa, timeout=NETWORK_TIMEOUT)
        return self._stamper


def _roots(certs: Sequence[Any], trusted: Sequence[Any]) -> list[Any]:
    """The anchors chains are built to when gathering validation data: the self-signed
    certificates among ``certs`` (asn1crypto says "yes", "maybe" or "no"), and ``trusted``."""
    found = [c for c in certs if c.self_signed != "no"] + list(trusted)
    return list({c.dump(): c for c in found}.values())


def _said(exc: BaseException) -> str:
    """An exception and its causes as one short line."""
    parts: list[str] = []
    current: BaseException | None = exc
    while current is not None and len(parts) < 3:
        text = " ".join(str(current).split())
        if text and text not in parts:
            parts.append(text)
        current = current.__cause__
    said = ": ".join(parts) or type(exc).__name__
    return said if len(said) <= 200 else said[:197] + "..."


def _tsa_failure(exc: BaseException) -> bool:
    from pyhanko.sign.timestamps import TimestampRequestError

    current: BaseException | None = exc
    while current is not None:
        if isinstance(current, TimestampRequestError):
            return True
        current = current.__cause__ or current.__context__
    return False


def _tsa_message(doing: str, tsa: str, exc: BaseException) -> str:
    return f"{doing}: the timestamp authority {tsa} failed: {_said(exc)}"


@contextmanager
def _sealing_errors(doing: str, tsa: str | None) -> Iterator[None]:
    """Any failure while sealing as one SealError line (pyHanko's own logging silenced)."""
    try:
        with _quiet("pyhanko"), _quiet("pyhanko_certvalidator"), _quiet("aiohttp"):
            yield
    except SealError:
        raise
    except Exception as exc:  # pyHanko raises many kinds; none is the user's to debug
        if tsa is not None and _tsa_failure(exc):
            raise SealError(_tsa_message(doing, tsa, exc)) from exc
        raise SealError(f"{doing}: {_said(exc)}") from exc


def _archive(pdf: bytes, stamper: Any, anchors: Sequence[Any], *, first: bool) -> bytes:
    """``pdf`` with its validation data (chains, OCSP/CRL answers fetched now) in the DSS and
    a document timestamp over everything, in one revision, the timestamp last.

    ``first``: the seal's own chain and its signature timestamp's are gathered (a fresh seal,
    or one never archived); otherwise the last document timestamp's, as pyHanko's
    ``update_archival_timestamp_chain`` does. Whatever chain cannot be validated, or whose
    revocation status cannot be had, makes it raise: nothing half-archived."""
    import asyncio
    import io

    from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
    from pyhanko.pdf_utils.reader import PdfFileReader
    from pyhanko.sign.general import extract_certificate_info
    from pyhanko.sign.signers.pdf_signer import PdfTimeStamper, TimestampDSSContentSettings
    from pyhanko.sign.validation import DocumentSecurityStore
    from pyhanko_certvalidator import CertificateValidator, ValidationContext

    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    signatures = reader.embedded_signatures
    if not signatures:
        raise SealError("the PDF carries no seal: nothing to timestamp")
    stamps = reader.embedded_timestamp_signatures
    known = [c for s in signatures for c in (s.signer_cert, *s.other_embedded_certs)]
    if "/DSS" in reader.root:
        known += list(DocumentSecurityStore.read_dss(reader).load_certs())
    subjects: list[Any] = [stamps[-1].signed_data] if stamps and not first else []
    if first or not stamps:
        seal = signatures[0]
        subjects.append(seal.signed_data)
        token = _signature_token(seal)
        if token is not None:
            subjects.append(token)
    roots = _roots(known, anchors)
    # Fetches what it lacks (revocation answers, missing certificates), and fails when a
    # certificate's revocation status cannot be had: nothing is embedded then.
    context = ValidationContext(
        trust_roots=roots, other_certs=known, allow_fetching=True, revocation_mode="hard-fail"
    )

    async def archived() -> bytes:
        try:
            paths = []
            for signed_data in subjects:
                certs = extract_certificate_info(signed_data)
                validator = CertificateValidator(
                    certs.signer_cert, intermediate_certs=certs.other_certs,
                    validation_context=context,
                )  # fmt: skip
                paths.append(await validator.async_validate_usage(set()))  # type: ignore[no-untyped-call]
            writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
            DocumentSecurityStore.supply_dss_in_writer(
                writer, None, paths=paths, validation_context=context
            )
            output = io.BytesIO()
            await PdfTimeStamper(
                stamper, field_name=f"{TIMESTAMP_FIELD}{len(stamps) + 1}"
            ).async_timestamp_pdf(
                writer, "sha256", context, bytes_reserved=TIMESTAMP_BYTES, output=output,
                dss_settings=TimestampDSSContentSettings(update_before_ts=True, include_vri=False),
            )  # fmt: skip
            return output.getvalue()
        finally:
            await context.aclose()  # type: ignore[no-untyped-call]

    with _quiet("pyhanko"), _quiet("pyhanko_certvalidator"), _quiet("aiohttp"):
        return asyncio.run(archived())


def _signature_token(signature: Any) -> Any | None:
    """The SignedData of a signature's timestamp token, if it carries one."""
    attributes = signature.signer_info["unsigned_attrs"]
    if not attributes or attributes.native is None:
        return None
    for attribute in attributes:
        if attribute["type"].native == "signature_time_stamp_token":
            return attribute["values"][0]["content"]
    return None


def refresh_timestamp(pdf: bytes, tsa: str, trust: Sequence[Any] = ()) -> bytes:
    """``pdf`` with a new document timestamp after everything in it: pyHanko's archival
    timestamp update (``PdfTimeStamper.update_archival_timestamp_chain``): the last
    timestamp's chain is validated and its fresh validation data (OCSP/CRL answers) added to
    the DSS, then a new timestamp covers it all. Unlike pyHanko's, the new timestamp's own
    validation data is written before it, so that it covers the whole file. A seal never
    archived (B-B, B-T) gets its own chain's data first. ``trust`` are roots the chains are
    built to (the file's own self-signed certificates count too). Raises SealError, one
    line, when the file has no seal, the TSA fails, or a chain cannot be validated now."""
    from pyhanko.sign.timestamps import HTTPTimeStamper

    doing = "could not timestamp the contract"
    with _sealing_errors(doing, tsa):
        return _archive(pdf, HTTPTimeStamper(tsa, timeout=NETWORK_TIMEOUT), trust, first=False)


def make_dev_certificate(folder: Path, organisation: str = "dealflow development seal") -> Path:
    """Write ``folder/dev-seal.p12``: a self-signed certificate and key with an empty password,
    valid for two years, readable by its owner only; and ``folder/dev-seal.pem``, the
    certificate alone, to trust when verifying. For trying the flow, never for real
    contracts. The folder is made if need be; a file (or a link) already there is never
    replaced: LocalFileError."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, pkcs12
    from cryptography.x509.oid import NameOID

    target = make_folder(folder) / "dev-seal.p12"
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.COMMON_NAME, organisation),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "dealflow (development only)"),
        ]
    )
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=730))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=True,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(key, hashes.SHA256())
    )
    data = pkcs12.serialize_key_and_certificates(
        b"dealflow-dev-seal", key, certificate, None, NoEncryption()
    )
    create_file(target, data, mode=0o600)  # a new file only, never through a link
    # The certificate alone, public: what a verifier trusts (verify --trust).
    create_file(target.with_suffix(".pem"), certificate.public_bytes(Encoding.PEM), mode=0o644)
    return target
