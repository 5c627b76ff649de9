"""Sealing contracts: a PAdES-B-B signature over the whole PDF by the seller organisation's
certificate, with pyHanko; and a self-signed development certificate to try it with.

The certificate is a PKCS#12 file (``--cert FILE`` or ``$DEALFLOW_CERT``); its password is read
from ``$DEALFLOW_CERT_PASSWORD`` only, never from the command line. pyHanko (and the
``cryptography`` package it brings) are imported inside the functions that need them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

from dealflow.errors import LocalFileError, SealError
from dealflow.local_files import create_file, make_folder, read_file

#: The signature field every dealflow seal uses.
SEAL_FIELD = "DealflowSeal"
#: Room kept for the seal's CMS blob (an RSA-4096 signature with a chain of three certificates
#: fits): reserving it spares pyHanko a trial signature to measure it, half the sealing time.
SEAL_BYTES = 16_384
#: The largest seal certificate read: a PKCS#12 file with a key and a chain is a few KiB.
MAX_CERTIFICATE_BYTES = 1024 * 1024


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

    def __init__(self, path: Path, password: bytes | None = None) -> None:
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

    def seal(self, pdf: bytes) -> bytes:
        """``pdf`` with a PAdES-B-B seal over all of it."""
        from pyhanko.sign import fields, signers

        from dealflow.adapters.rendering.pdf_metadata import sealing_writer

        # Info and XMP get the same modification date and producer (PDF/A wants them equal).
        writer = sealing_writer(pdf)
        metadata = signers.PdfSignatureMetadata(
            field_name=SEAL_FIELD,
            md_algorithm="sha256",
            subfilter=fields.SigSeedSubFilter.PADES,
            reason="Contract sealed by dealflow",
        )
        try:
            sealed = signers.sign_pdf(
                writer, metadata, signer=self._signer, bytes_reserved=SEAL_BYTES
            )
        except Exception as exc:  # pyHanko raises many kinds; none is the user's to debug
            raise SealError(f"could not seal the contract: {exc}") from exc
        return bytes(sealed.getvalue())


def make_dev_certificate(folder: Path, organisation: str = "dealflow development seal") -> Path:
    """Write ``folder/dev-seal.p12``: a self-signed certificate and key with an empty password,
    valid for two years, readable by its owner only. For trying the flow, never for real
    contracts. The folder is made if need be; a file (or a link) already there is never
    replaced: LocalFileError."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.hazmat.primitives.serialization import NoEncryption, pkcs12
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
    return target
