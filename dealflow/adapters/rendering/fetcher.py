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
from typing import Any
from urllib.parse import unquote, urlsplit


class TemplateFiles:
    """Which URLs a render may load: ``data:`` URLs and files under ``roots``. Remembers what
    it served and what it refused."""

    def __init__(self, roots: Sequence[Path]) -> None:
        self.roots = tuple(root.resolve() for root in roots)
        #: Every URL refused, in order.
        self.refused: list[str] = []
        #: Every URL served, in order.
        self.served: list[str] = []

    def find(self, url: str) -> Path | None:
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


def template_fetcher(files: TemplateFiles) -> Any:
    """A WeasyPrint URL fetcher that serves only what ``files`` allows and stops the render
    (``FatalURLFetchingError``) on anything else. WeasyPrint is imported here, when a contract
    is rendered, and the fetcher class is built then."""
    from weasyprint.urls import FatalURLFetchingError, URLFetcher, URLFetcherResponse

    class TemplateFetcher(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: object = None) -> URLFetcherResponse:
            scheme = url.split(":", 1)[0].lower() if ":" in url else ""
            if scheme == "data":
                files.served.append(url[:64])
                return super().fetch(url, headers)
            if scheme == "file":
                found = files.find(url)
                if found is not None:
                    files.served.append(url)
                    kind = mimetypes.guess_type(found.name)[0] or "application/octet-stream"
                    return URLFetcherResponse(
                        found.as_uri(), found.read_bytes(), headers={"Content-Type": kind}
                    )
            files.refused.append(url)
            raise FatalURLFetchingError(f"refused to fetch {url!r}")

    return TemplateFetcher(allowed_protocols=("data", "file"))
