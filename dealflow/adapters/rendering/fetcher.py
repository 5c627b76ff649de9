"""The only way a contract render reaches outside itself: files under the template folders.

WeasyPrint fetches stylesheets, fonts and images through a URL fetcher. This one serves
``data:`` URLs and ``file:`` URLs that resolve (symlinks followed) inside one of the template
folders, looked up in the same order as the templates, so that a team folder can override one
font or image of the built-ins. Anything else — another file, ``http:``, ``ftp:`` — stops the
render with WeasyPrint's ``FatalURLFetchingError`` (a plain exception would only be logged and
the render would go on) and is remembered in :attr:`refused`. A file is read as every user's
file is: a regular file only, of at most :data:`MAX_FETCHED_BYTES`; a larger one stops the
render too, and :attr:`TemplateFiles.problem` says why.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from dealflow.errors import LocalFileError
from dealflow.files.local import read_file

#: The largest file a render loads from the template folders (a font, an image, a
#: stylesheet): the built-in fonts are under 400 KiB each.
MAX_FETCHED_BYTES = 16 * 1024 * 1024


class TemplateFiles:
    """Which URLs a render may load: ``data:`` URLs and files under ``roots``. Remembers what
    it served and what it refused."""

    def __init__(self, roots: Sequence[Path]) -> None:
        self.roots = tuple(root.resolve() for root in roots)
        #: Every URL refused, in order.
        self.refused: list[str] = []
        #: Every URL served, in order.
        self.served: list[str] = []
        #: Why the last file found could not be served (too large, unreadable), in one line.
        self.problem: str | None = None

    def read(self, found: Path) -> bytes | None:
        """The bytes of a file :meth:`find` found, at most :data:`MAX_FETCHED_BYTES`; None
        (and :attr:`problem` says why) for a larger file or one that cannot be read."""
        try:
            return read_file(found, MAX_FETCHED_BYTES, what="template file")
        except LocalFileError as exc:
            self.problem = f"template file {str(found)!r}: {exc.problem}"
        except OSError as exc:
            self.problem = f"template file {str(found)!r}: cannot read: {exc.strerror or exc}"
        return None

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
                    data = files.read(found)
                    if data is None:
                        raise FatalURLFetchingError(f"cannot read {url!r}")
                    files.served.append(url)
                    kind = mimetypes.guess_type(found.name)[0] or "application/octet-stream"
                    return URLFetcherResponse(found.as_uri(), data, headers={"Content-Type": kind})
            files.refused.append(url)
            raise FatalURLFetchingError(f"refused to fetch {url!r}")

    return TemplateFetcher(allowed_protocols=("data", "file"))
