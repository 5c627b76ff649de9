"""The ``pdf`` check: the file is a readable, unencrypted PDF of a size a contract can have
(:data:`MAX_CONTRACT_BYTES`)."""

from __future__ import annotations

from dealflow.application.verification.verdict import Findings
from dealflow.errors import DamagedPdfError
from dealflow.ports import ContractFile, ContractInspector

#: The largest contract file verified, 64 MiB. A dealflow contract weighs about 70 KB (seven
#: pages with subset fonts, terms.json and evidence.json); a long-term seal (PAdES-B-LT/LTA)
#: adds certificates, revocation lists and timestamps, a few MB with the largest CRLs. A file
#: hundreds of times that size is no dealflow contract, and is refused before it is parsed.
MAX_CONTRACT_BYTES = 64 * 1024 * 1024


def check_pdf(data: bytes, inspector: ContractInspector, found: Findings) -> ContractFile | None:
    """The PDF of ``data`` opened, or None with the ``pdf`` check failed."""
    if len(data) > MAX_CONTRACT_BYTES:
        found.add("pdf", False, f"the file is larger than {MAX_CONTRACT_BYTES:,} bytes")
        return None
    if data.lstrip()[:5] != b"%PDF-":
        found.add("pdf", False, "not a PDF file")
        return None
    try:
        pdf = inspector.open(data)
    except DamagedPdfError as exc:
        found.add("pdf", False, f"the PDF cannot be read (truncated or damaged): {exc}")
        return None
    if pdf.encrypted:
        found.add("pdf", False, "the PDF is encrypted; a dealflow contract never is")
        return None
    found.add("pdf", True, f"a PDF of {pdf.pages} page(s)")
    return pdf
