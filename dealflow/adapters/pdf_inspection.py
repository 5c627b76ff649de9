"""The contract inspector on pypdf: a contract file's metadata, embedded files and page text,
each read when verification asks for it. Whatever pypdf raises on a damaged file becomes
:class:`~dealflow.errors.DamagedPdfError` (:mod:`dealflow.adapters.untrusted`); pypdf is
imported when a file is opened."""

from __future__ import annotations

import io
from contextlib import AbstractContextManager
from functools import cache
from typing import Any

from dealflow.adapters.untrusted import untrusted_read


@cache
def _damage() -> tuple[type[Exception], ...]:
    """pypdf's errors: its base error and the one for a missing decoder."""
    from pypdf.errors import DependencyError, PyPdfError

    return (PyPdfError, DependencyError)


def _reading() -> AbstractContextManager[None]:
    return untrusted_read(("pypdf",), _damage())


class PypdfContractFile:
    """A PDF pypdf opened; see :class:`dealflow.ports.ContractFile`."""

    def __init__(self, reader: Any) -> None:
        self._reader = reader
        with _reading():
            self.encrypted: bool = bool(reader.is_encrypted)
            # Counting the pages reads the page tree: a truncated file fails here, at open.
            self.pages: int = 0 if self.encrypted else len(reader.pages)

    def metadata(self, key: str) -> str | None:
        with _reading():
            value = (self._reader.metadata or {}).get(f"/{key}")
            return str(value) if value is not None else None

    def attachments(self, name: str) -> list[bytes]:
        with _reading():
            found = self._reader.attachments
            return list(found[name]) if name in found else []

    def page_text(self, number: int) -> str:
        with _reading():
            return str(self._reader.pages[number - 1].extract_text() or "")


class PypdfInspector:
    """Opens contract files with pypdf."""

    def open(self, data: bytes) -> PypdfContractFile:
        """``data`` parsed; raises DamagedPdfError when pypdf cannot read it."""
        from pypdf import PdfReader

        with _reading():
            reader = PdfReader(io.BytesIO(data), strict=False)
        return PypdfContractFile(reader)
