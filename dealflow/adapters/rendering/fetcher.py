"""The only way a contract render reaches outside itself: files under the template folders.

WeasyPrint fetches stylesheets, fonts and images through a URL fetcher. This one serves
``data:`` URLs and ``file:`` URLs that resolve (symlinks followed) inside one of the template
folders, looked up in the same order as the templates, so that a team folder can override one
font or image of the built-ins. Anything else — another file, ``http:``, ``ftp:`` — stops the
render with WeasyPrint's ``FatalURLFetchingError`` (a plain exception would only be logged and
the render would go on) and is remembered in :attr:`refused`.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import unquote, urlsplit

# A subclass needs its base at import time: this module is imported only when a contract is
# rendered (from PdfRenderer.pdf), never at start-up.
from weasyprint.urls import (  # noqa: TID253
    FatalURLFetchingError,
    URLFetcher,
    URLFetcherResponse,
)


class TemplateFetcher(URLFetcher):  # type: ignore[misc]
    """Serves ``data:`` URLs and files under ``roots``; refuses everything else."""

    def __init__(self, roots: Sequence[Path]) -> None:
        super().__init__(allowed_protocols=("data", "file"))
        self.roots = tuple(root.resolve() for root in roots)
        #: Every URL refused, in order.
        self.refused: list[str] = []
        #: Every URL served, in order.
        self.served: list[str] = []

    def _inside(self, url: str) -> Path | None:
        """The file a ``file:`` URL names, looked up through the roots, or None."""
        parts = urlsplit(url)
        if parts.netloc not in ("", "localhost") or parts.query:
            return None
        asked = Path(unquote(parts.path))
        if not asked.is_absolute():
            return None
        for root in self.roots:
            try:
                relative = asked.resolve().relative_to(root)
            except (ValueError, OSError):
                continue
            for candidate_root in self.roots:
                candidate = (candidate_root / relative).resolve()
                if candidate.is_relative_to(candidate_root) and candidate.is_file():
                    return candidate
            return None
        return None

    def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
        scheme = url.split(":", 1)[0].lower() if ":" in url else ""
        if scheme == "data":
            self.served.append(url[:64])
            return super().fetch(url, headers)
        if scheme == "file":
            found = self._inside(url)
            if found is not None:
                self.served.append(url)
                kind = mimetypes.guess_type(found.name)[0] or "application/octet-stream"
                return URLFetcherResponse(
                    found.as_uri(), found.read_bytes(), headers={"Content-Type": kind}
                )
        self.refused.append(url)
        raise FatalURLFetchingError(f"refused to fetch {url!r}")
