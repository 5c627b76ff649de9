"""The scan of a signed page: what a member keeps when they record a buyer's wet-ink signature.

A scan is a PDF, PNG or JPEG file of at most :data:`MAX_SCAN_BYTES`, recognised by its first
bytes (never by its name); it is kept as one of the deal's artifacts, under a name carrying
its SHA-256, and the signature event records that hash.
"""

from __future__ import annotations

import hashlib

from dealflow.errors import InvalidTermsError

#: The largest scan kept: 20 MB.
MAX_SCAN_BYTES = 20 * 1000 * 1000

_MAGIC = ((b"%PDF-", "pdf"), (b"\x89PNG\r\n\x1a\n", "png"), (b"\xff\xd8\xff", "jpg"))


def scan_name(data: bytes, contract_version: int) -> tuple[str, str]:
    """The artifact name and the SHA-256 of a scan; raises InvalidTermsError for a file that
    is not a PDF, PNG or JPEG, is empty, or is over the limit."""
    if not data:
        raise InvalidTermsError("the scan of the signed page is empty")
    if len(data) > MAX_SCAN_BYTES:
        raise InvalidTermsError(
            f"the scan of the signed page is {len(data):,} bytes; at most {MAX_SCAN_BYTES:,}"
        )
    kind = next((ext for magic, ext in _MAGIC if data.startswith(magic)), None)
    if kind is None:
        raise InvalidTermsError("the scan of the signed page must be a PDF, PNG or JPEG file")
    digest = hashlib.sha256(data).hexdigest()
    return f"buyer-signature-v{contract_version}-{digest[:12]}.{kind}", digest
