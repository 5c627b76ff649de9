"""A real public-key infrastructure on 127.0.0.1 for the seal tests: a root CA, its CRL, an
OCSP responder and an RFC 3161 timestamp authority, served by certomancer's Animator (a
werkzeug server in a thread, on a port the system picks). Nothing is mocked and nothing leaves
the machine.

The keys are made afresh for each run and every validity period is set from today, so the
tests mean the same thing in any year: the seal certificate is valid now and expires within a
year (:data:`SEAL_EXPIRES`), an old one expired years ago, the root and the timestamp authority
outlive them all. :func:`closed_port_url` gives a URL on 127.0.0.1 where nothing listens.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ARCH = "dealflow-test"
TODAY = datetime.now(UTC).replace(microsecond=0)
#: When the seal certificate expires: after every seal the tests make, before SEAL_EXPIRED.
SEAL_EXPIRES = TODAY + timedelta(days=300)
#: A date at which the seal certificate has expired but the root and the TSA have not.
SEAL_EXPIRED = TODAY + timedelta(days=700)
PASSWORD = b"test-seal"


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S+0000")


def _validity(start: datetime, end: datetime) -> dict[str, str]:
    return {"valid-from": _iso(start), "valid-to": _iso(end)}


def _key_usage(*usages: str) -> dict[str, Any]:
    return {
        "id": "key_usage",
        "critical": True,
        "smart-value": {"schema": "key-usage", "params": list(usages)},
    }


#: What a leaf under the root carries: its CRL and OCSP responder, as a real CA's do.
_REVOCATION_POINTERS = [
    {"id": "crl_distribution_points", "smart-value": {"schema": "crl-dist-url",
                                                      "params": {"crl-repo-names": ["root"]}}},
    {"id": "authority_information_access", "smart-value": {
        "schema": "aia-urls", "params": {"ocsp-responder-names": ["root"]}}},
]  # fmt: skip


def _config(prefix: str, keys: Path) -> dict[str, Any]:
    """A certomancer configuration: the root, a timestamp authority, an OCSP responder, and
    the seal certificates; services at ``prefix``."""
    long = _validity(TODAY - timedelta(days=3650), TODAY + timedelta(days=36500))
    seal_usage = _key_usage("digital_signature", "non_repudiation")
    names = ("root", "tsa", "ocsp", "seal", "old-seal")
    return {
        "external-url-prefix": prefix,
        "keysets": {
            "test-keys": {
                "path-prefix": str(keys),
                "keys": {name: {"path": f"{name}.key.pem"} for name in names},
            }
        },
        "pki-architectures": {
            ARCH: {
                "keyset": "test-keys",
                "entity-defaults": {"country-name": "ID", "organization-name": "Test Trust"},
                "entities": {
                    "root": {"common-name": "Test Root CA"},
                    "tsa": {"common-name": "Test Time Stamping Authority"},
                    "ocsp": {"common-name": "Test OCSP Responder"},
                    "seal": {"organization-name": "PT Maju Jaya", "common-name": "Seal"},
                    "old-seal": {"organization-name": "PT Maju Jaya", "common-name": "Old Seal"},
                },
                "certs": {
                    "root": {
                        "subject": "root",
                        "issuer": "root",
                        "validity": long,
                        "extensions": [
                            {"id": "basic_constraints", "critical": True, "value": {"ca": True}},
                            _key_usage("digital_signature", "key_cert_sign", "crl_sign"),
                        ],
                    },
                    "tsa": {
                        "issuer": "root",
                        "validity": long,
                        "extensions": [
                            _key_usage("digital_signature"),
                            {
                                "id": "extended_key_usage",
                                "critical": True,
                                "value": ["time_stamping"],
                            },
                            *_REVOCATION_POINTERS,
                        ],
                    },
                    "ocsp": {
                        "issuer": "root",
                        "validity": long,
                        "extensions": [
                            _key_usage("digital_signature"),
                            {
                                "id": "extended_key_usage",
                                "critical": True,
                                "value": ["ocsp_signing"],
                            },
                            {"id": "ocsp_no_check"},
                        ],
                    },
                    "seal": {
                        "issuer": "root",
                        "validity": _validity(TODAY - timedelta(days=30), SEAL_EXPIRES),
                        "extensions": [seal_usage, *_REVOCATION_POINTERS],
                    },
                    "old-seal": {
                        "issuer": "root",
                        "validity": _validity(
                            TODAY - timedelta(days=1500), TODAY - timedelta(days=800)
                        ),
                        "extensions": [seal_usage, *_REVOCATION_POINTERS],
                    },
                },
                "services": {
                    "ocsp": {
                        "root": {
                            "for-issuer": "root",
                            "responder-cert": "ocsp",
                            "signing-key": "ocsp",
                        }
                    },
                    "crl-repo": {
                        "root": {
                            "for-issuer": "root",
                            "signing-key": "root",
                            "simulated-update-schedule": "P30D",
                        }
                    },
                    "time-stamping": {"tsa": {"signing-key": "tsa", "signing-cert": "tsa"}},
                },
            }
        },
    }


def _write_keys(folder: Path, names: Iterable[str]) -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    for name in names:
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        (folder / f"{name}.key.pem").write_bytes(
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )


@dataclass(frozen=True)
class LocalPki:
    """The running services and the files the tests hand to dealflow."""

    url: str
    #: The timestamp authority's URL.
    tsa: str
    #: The root certificate, PEM: what legal trusts.
    root: Path
    #: The seal certificate with its key and chain, PKCS#12 with password :data:`PASSWORD`.
    seal: Path
    #: A seal certificate that expired years ago, same root.
    old_seal: Path
    #: The SHA-256 fingerprint of the seal certificate.
    seal_fingerprint: str


@contextmanager
def running_pki(folder: Path) -> Iterator[LocalPki]:
    """Make the keys and certificates in ``folder`` and serve the CA's services on 127.0.0.1
    until the block ends."""
    from asn1crypto import pem
    from certomancer.integrations.animator import Animator, AnimatorArchStore
    from certomancer.registry import ArchLabel, CertLabel, CertomancerConfig
    from werkzeug.serving import make_server

    keys = folder / "keys"
    keys.mkdir()
    _write_keys(keys, ("root", "tsa", "ocsp", "seal", "old-seal"))
    handler: list[Callable[..., Any]] = []

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        return handler[0](environ, start_response)

    # The port is known once the socket is bound; the certificates name it (CRL, OCSP URLs).
    server = make_server("127.0.0.1", 0, app, threaded=True)
    prefix = f"http://127.0.0.1:{server.server_port}"
    config = CertomancerConfig(_config(prefix, keys), key_search_dir=str(keys))
    arch = config.get_pki_arch(ArchLabel(ARCH))
    handler.append(Animator(AnimatorArchStore({ArchLabel(ARCH): arch}), with_web_ui=False))
    # werkzeug logs every request at INFO: the tests' output is theirs.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    thread = threading.Thread(target=server.serve_forever, name="test-pki", daemon=True)
    thread.start()
    try:
        root = folder / "root.pem"
        root.write_bytes(pem.armor("CERTIFICATE", arch.get_cert(CertLabel("root")).dump()))
        files = {}
        for label in ("seal", "old-seal"):
            files[label] = folder / f"{label}.p12"
            files[label].write_bytes(arch.package_pkcs12(CertLabel(label), password=PASSWORD))
        yield LocalPki(
            url=prefix,
            tsa=f"{prefix}/{ARCH}/tsa/tsa",
            root=root,
            seal=files["seal"],
            old_seal=files["old-seal"],
            seal_fingerprint=arch.get_cert(CertLabel("seal")).sha256.hex(),
        )
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens (a port the system gave, then closed)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}/tsa"
