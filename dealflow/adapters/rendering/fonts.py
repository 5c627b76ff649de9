"""Fonts in contract PDFs: one subsetting path, the same bytes on every machine.

WeasyPrint embeds only the glyphs a PDF uses. It subsets with HarfBuzz's ``hb-subset`` when the
system has that library and falls back to fontTools otherwise; the two write different fonts,
and the fallback stamps the wall clock into each font's ``head`` table (``created`` and
``modified``), so the same contract version rendered twice, or on two machines, gave other
bytes. While a contract is rendered (:func:`contract_fonts`), dealflow subsets every font
itself with fontTools — a dependency of WeasyPrint, so present wherever WeasyPrint is — whether
or not ``hb-subset`` is installed, and stamps each font's ``created`` and ``modified`` with the
contract's own time (the deal event it was issued at): one path, so one result. A font that
fontTools cannot subset is embedded whole, which is the same on every machine too but larger;
the render says so in one line (:attr:`FontRun.notes`).

The hook replaces two methods of WeasyPrint's ``Font`` class (``subset`` and ``clean``) once per
process; outside :func:`contract_fonts` — another caller of WeasyPrint in the same process —
they behave exactly as WeasyPrint's own. Which render is in progress is a context variable, so
threads rendering at the same time each keep their own time and notes.
"""

from __future__ import annotations

import io
import struct
import threading
import warnings
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

#: Tables a contract's fonts never need, dropped before subsetting: the layout tables (the PDF
#: places every glyph itself), hinting and device metrics (WeasyPrint embeds without hinting by
#: default), bitmaps and colour glyph images. Dropping them before fontTools reads the font
#: keeps it from decompiling them, which is most of the time a subset takes.
DROPPED_TABLES = (
    "BASE", "DSIG", "EBDT", "EBLC", "EBSC", "GPOS", "GSUB", "JSTF", "LTSH", "PCLT", "SVG ",
    "VDMX", "hdmx", "kern",
)  # fmt: skip

#: Hinting tables, dropped too unless the render keeps hinting.
HINTING_TABLES = ("cvt ", "fpgm", "prep", "gasp", "cvar")

#: Where a font's ``head`` table counts its dates from.
_FONT_EPOCH = datetime(1904, 1, 1, tzinfo=UTC)

#: What makes a font's whole-file checksum come out right (the OpenType specification).
_CHECKSUM_MAGIC = 0xB1B0AFBA

#: The first bytes of the font files whose ``head`` table is stamped: TrueType and CFF outlines.
_SFNT_TAGS = (b"\x00\x01\x00\x00", b"OTTO", b"true")


class FontSubsetError(Exception):
    """fontTools could not subset a font; the message says why in a few words."""


@dataclass
class FontRun:
    """One contract render's fonts: the time stamped into them, and what the person asking
    should know (one line each)."""

    #: The contract's own time: every embedded font's ``created`` and ``modified``.
    when: datetime
    #: One line per font that could not be subset and was embedded whole.
    notes: list[str] = field(default_factory=list)


_RUN: ContextVar[FontRun | None] = ContextVar("dealflow_font_run", default=None)
_INSTALL = threading.Lock()
#: The classes whose methods this module has already replaced (WeasyPrint's ``Font``).
_HOOKED: set[type] = set()


def subset_font(
    data: bytes,
    glyph_ids: Iterable[int],
    *,
    index: int = 0,
    hinting: bool = False,
    notdef_outline: bool = False,
) -> bytes:
    """``data`` (a TrueType or OpenType font, or font ``index`` of a collection) with only
    ``glyph_ids`` kept, at their own ids (WeasyPrint's PDF names glyphs by id), and its
    ``head`` dates left as they were. The same input gives the same bytes. Raises
    :class:`FontSubsetError`."""
    from fontTools import subset  # type: ignore[import-untyped]
    from fontTools.ttLib import TTFont  # type: ignore[import-untyped]

    options = subset.Options(
        retain_gids=True,
        passthrough_tables=True,
        ignore_missing_glyphs=True,
        hinting=hinting,
        desubroutinize=True,
        notdef_outline=notdef_outline,
    )
    subsetter = subset.Subsetter(options)
    subsetter.populate(gids=sorted(set(glyph_ids)))
    try:
        font = TTFont(io.BytesIO(data), fontNumber=index, recalcTimestamp=False)
        for tag in DROPPED_TABLES + (() if hinting else HINTING_TABLES):
            if tag in font:
                del font[tag]
        subsetter.subset(font)
        out = io.BytesIO()
        font.save(out)
    except Exception as exc:  # fontTools reports a malformed table with many kinds
        raise FontSubsetError(_reason(exc)) from exc
    return out.getvalue()


def _reason(exc: BaseException) -> str:
    """What went wrong, in a few words: fontTools wraps its message in tuples of context."""
    found: object = exc.args[0] if exc.args else None
    while isinstance(found, tuple) and found:
        found = found[0]
    text = " ".join(str(found or exc or type(exc).__name__).split())
    return text if len(text) <= 120 else text[:117] + "..."


def stamp_font_times(data: bytes, when: datetime) -> bytes:
    """``data`` with its ``head`` table's ``created`` and ``modified`` set to ``when`` (whole
    seconds) and its checksums made right again. Anything that is not a single TrueType or
    OpenType font (a collection, WOFF), or has no ``head`` table, comes back unchanged."""
    if data[:4] not in _SFNT_TAGS or len(data) < 12:
        return data
    (tables,) = struct.unpack_from(">H", data, 4)
    for number in range(tables):
        record = 12 + 16 * number
        if record + 16 > len(data):
            return data
        tag, _, offset, length = struct.unpack_from(">4sIII", data, record)
        if tag == b"head":
            break
    else:
        return data
    if length < 36 or offset + length > len(data):
        return data
    seconds = int((when.astimezone(UTC) - _FONT_EPOCH).total_seconds())
    font = bytearray(data)
    struct.pack_into(">qq", font, offset + 20, seconds, seconds)
    struct.pack_into(">I", font, offset + 8, 0)  # checkSumAdjustment is left out of sums
    struct.pack_into(">I", font, record + 4, _checksum(font[offset : offset + length]))
    adjustment = (_CHECKSUM_MAGIC - _checksum(font)) & 0xFFFFFFFF
    struct.pack_into(">I", font, offset + 8, adjustment)
    return bytes(font)


def _checksum(data: bytes | bytearray) -> int:
    """The OpenType checksum: the sum of big-endian 32-bit words, zero-padded, modulo 2**32."""
    padded = bytes(data) + b"\0" * (-len(data) % 4)
    words: tuple[int, ...] = struct.unpack(f">{len(padded) // 4}I", padded)
    return sum(words) & 0xFFFFFFFF


@contextmanager
def contract_fonts(when: datetime) -> Iterator[FontRun]:
    """While WeasyPrint writes a contract in this context: fonts subset by
    :func:`subset_font` and stamped with ``when``. Yields the run, whose ``notes`` fill as fonts
    are embedded."""
    import_weasyprint()
    _install()
    run = FontRun(when=when)
    token = _RUN.set(run)
    try:
        yield run
    finally:
        _RUN.reset(token)


def import_weasyprint() -> None:
    """Import WeasyPrint without its warning that ``hb-subset`` will be required: dealflow
    subsets fonts itself, so whether that library is installed changes nothing here."""
    import sys

    if "weasyprint" in sys.modules:
        return
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="HarfBuzz-Subset will be required")
        import weasyprint  # noqa: F401


def _install() -> None:
    """Route WeasyPrint's font subsetting through this module (once per process)."""
    from weasyprint.pdf.fonts import Font

    with _INSTALL:
        if Font in _HOOKED:
            return
        weasyprint_subset = Font.subset
        weasyprint_clean = Font.clean

        def subset(self: Any, to_unicode: dict[int, Any], hinting: bool) -> None:
            run = _RUN.get()
            if run is None:
                weasyprint_subset(self, to_unicode, hinting)
                return
            if not to_unicode:
                return  # WeasyPrint embeds the whole font on purpose (forms, full_fonts)
            try:
                self.file_content = subset_font(
                    self.file_content,
                    to_unicode,
                    index=self.index,
                    hinting=hinting,
                    notdef_outline=bool(self.missing),
                )
            except FontSubsetError as exc:
                run.notes.append(
                    f"font {_font_name(self)} could not be subset ({exc}): embedded whole, "
                    "so the PDF is larger (still the same on every machine)"
                )

        def clean(self: Any, to_unicode: dict[int, Any], hinting: bool) -> None:
            weasyprint_clean(self, to_unicode, hinting)
            run = _RUN.get()
            if run is not None:
                # After WeasyPrint's own steps too: making a variable font static or removing
                # colour glyphs saves the font again with the wall clock in it.
                self.file_content = stamp_font_times(self.file_content, run.when)

        Font.subset = subset
        Font.clean = clean
        _HOOKED.add(Font)


def _font_name(font: Any) -> str:
    """A font as a template author names it: its family, and bold or italic when it is."""
    style = (" bold" if font.weight >= 600 else "") + (" italic" if font.style else "")
    return f"{font.family!r}{style}"
