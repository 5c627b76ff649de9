"""Reproducible contracts: the same version gives the same bytes in any process, whether or not
HarfBuzz's font subsetter is installed; every embedded font carries the contract's own time; a
render that has to fall back says so in one line; and a sealed contract's Info dictionary and
XMP metadata agree."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import struct
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fontTools.ttLib import TTFont
from pypdf import PdfReader

import dealflow
from dealflow import verify_contract
from dealflow.adapters.rendering.fonts import (
    FontSubsetError,
    stamp_font_times,
    subset_font,
)
from dealflow.adapters.rendering.pdf import PdfRenderer
from dealflow.adapters.rendering.pdf_metadata import joined_producer
from dealflow.adapters.rendering.templates import TemplateSet, builtin_templates
from dealflow.adapters.signing import Pkcs12Sealer, make_dev_certificate
from dealflow.application.demo import play_demo
from dealflow.domain.contract import contract_document
from tests.conftest import START, staffed

REPO = Path(__file__).parents[2]

#: Renders the demo's signed contract (fixed clock, fixed deal id) to the file ``argv[2]``;
#: with ``off`` as ``argv[1]``, as on a machine without ``libharfbuzz-subset``: WeasyPrint's
#: loader is refused that library, so WeasyPrint itself finds it missing. Prints whether
#: WeasyPrint has the subsetter. Python warnings are errors: WeasyPrint warns at import when the
#: library is missing, and dealflow must not pass that on.
CHILD = r"""
import json, sys
from datetime import UTC, datetime
mode, out = sys.argv[1], sys.argv[2]
if mode == "off":
    import cffi
    real_dlopen = cffi.FFI.dlopen
    def dlopen(self, name, *args, **kwargs):
        if "harfbuzz-subset" in str(name):
            raise OSError(f"{name}: not on this machine")
        return real_dlopen(self, name, *args, **kwargs)
    cffi.FFI.dlopen = dlopen
import dealflow
from dealflow.adapters.rendering.pdf import PdfRenderer
from dealflow.application.demo import play_demo
service = dealflow.DealService(
    dealflow.MemoryEventStore(), dealflow.FixedClock(datetime(2026, 11, 2, 9, tzinfo=UTC)),
    renderer=PdfRenderer(), new_id=lambda: "0123456789ab",
)
deal = play_demo(service)
result = service.contract(deal.id, version=1, language="id+en")
with open(out, "wb") as file:
    file.write(result.pdf)
import weasyprint.pdf.fonts
print(json.dumps({
    "subsetter": weasyprint.pdf.fonts.harfbuzz_subset is not None,
    "issued_at": result.document.issued_at.isoformat(),
}))
"""


class Rendered:
    """What one process rendered: the PDF, whether WeasyPrint had hb-subset, the document's
    time."""

    def __init__(self, pdf: bytes, report: dict[str, Any]) -> None:
        self.pdf = pdf
        self.subsetter: bool = report["subsetter"]
        self.issued_at = datetime.fromisoformat(report["issued_at"])


@pytest.fixture(scope="module")
def processes(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Rendered]:
    """The same contract version rendered by three processes at once: two with the subsetter
    forced off, one as the machine has it."""
    folder = tmp_path_factory.mktemp("renders")
    runs = {"off-1": "off", "off-2": "off", "on": "on"}
    started = {
        name: subprocess.Popen(
            [sys.executable, "-W", "error::UserWarning", "-c", CHILD, mode, folder / name],
            cwd=REPO,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for name, mode in runs.items()
    }
    done = {}
    for name, process in started.items():
        stdout, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stderr[-2000:]
        done[name] = Rendered((folder / name).read_bytes(), json.loads(stdout))
    return done


def test_two_processes_with_the_subsetter_forced_off_render_the_same_bytes(
    processes: dict[str, Rendered],
) -> None:
    first, second = processes["off-1"], processes["off-2"]
    assert not first.subsetter and not second.subsetter  # forced off, as WeasyPrint sees it
    assert first.pdf.startswith(b"%PDF-")
    assert hashlib.sha256(first.pdf).hexdigest() == hashlib.sha256(second.pdf).hexdigest()


def test_the_bytes_are_the_same_with_and_without_the_subsetter(
    processes: dict[str, Rendered],
) -> None:
    on = processes["on"]
    # .ci/run installs libharfbuzz-subset0: without it this test would compare off with off.
    assert on.subsetter, "WeasyPrint found no libharfbuzz-subset (Debian: libharfbuzz-subset0)"
    assert on.pdf == processes["off-1"].pdf


def embedded_fonts(pdf: bytes) -> dict[str, bytes]:
    """Every font program the PDF embeds, by its PDF name."""
    fonts: dict[str, bytes] = {}
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for reference in page["/Resources"]["/Font"].values():
            font = reference.get_object()
            for descendant in font.get("/DescendantFonts", []):
                descriptor = descendant.get_object()["/FontDescriptor"].get_object()
                for key in ("/FontFile2", "/FontFile3", "/FontFile"):
                    if key in descriptor:
                        fonts[str(font["/BaseFont"])] = descriptor[key].get_object().get_data()
    return fonts


def whole_checksum(font: bytes) -> int:
    padded = font + b"\0" * (-len(font) % 4)
    return sum(struct.unpack(f">{len(padded) // 4}I", padded)) & 0xFFFFFFFF


def test_every_embedded_font_is_subset_and_carries_the_contracts_own_time(
    processes: dict[str, Rendered],
) -> None:
    rendered = processes["off-1"]
    fonts = embedded_fonts(rendered.pdf)
    assert len(fonts) >= 3  # regular, bold, italic
    seconds = int((rendered.issued_at - datetime(1904, 1, 1, tzinfo=UTC)).total_seconds())
    built_in = (builtin_templates() / "fonts" / "LiberationSerif-Regular.ttf").stat().st_size
    for name, program in fonts.items():
        font = TTFont(io.BytesIO(program), checkChecksums=2)  # a wrong table checksum raises
        assert (font["head"].created, font["head"].modified) == (seconds, seconds), name
        assert whole_checksum(program) == 0xB1B0AFBA, name  # checkSumAdjustment is right
        assert len(program) < built_in / 4, name  # subset, not embedded whole
        assert "GSUB" not in font and "fpgm" not in font, name


@pytest.fixture(autouse=True)
def no_weasyprint_warnings(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Every rendering test fails on any warning WeasyPrint logs (bad CSS, a missing font)."""
    with caplog.at_level(logging.WARNING, logger="weasyprint"):
        yield
    logged = [r.getMessage() for r in caplog.records if r.name.startswith("weasyprint")]
    assert not logged, logged


def unreadable_font_folder(folder: Path) -> Path:
    """A team template folder whose regular font has a ``post`` table of a format fontTools
    does not know (9.0): FreeType and HarfBuzz lay text out with it, fontTools cannot subset
    it."""
    data = bytearray((builtin_templates() / "fonts" / "LiberationSerif-Regular.ttf").read_bytes())
    (tables,) = struct.unpack_from(">H", data, 4)
    for number in range(tables):
        tag, _, offset, _ = struct.unpack_from(">4sIII", data, 12 + 16 * number)
        if tag == b"post":
            struct.pack_into(">I", data, offset, 0x00090000)
    (folder / "fonts").mkdir(parents=True)
    (folder / "fonts" / "LiberationSerif-Regular.ttf").write_bytes(bytes(data))
    return folder


@pytest.fixture(scope="module")
def signed_deal() -> Iterator[tuple[dealflow.DealService, dealflow.Deal]]:
    service = staffed(dealflow.DealService(dealflow.MemoryEventStore(), dealflow.FixedClock(START)))
    yield service, play_demo(service)
    service.close()


def test_a_render_that_falls_back_says_so_in_one_line(
    tmp_path: Path,
    signed_deal: tuple[dealflow.DealService, dealflow.Deal],
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, deal = signed_deal
    document = contract_document(deal, 1)
    renderer = PdfRenderer(TemplateSet([unreadable_font_folder(tmp_path / "team")]))
    rendered = renderer.render_noted(document)
    assert len(rendered.notes) == 1
    (note,) = rendered.notes
    assert "\n" not in note
    assert note.startswith("font 'Contract Serif' could not be subset (")
    assert "'post' table format" in note and "embedded whole" in note
    # Whole, yet the same bytes every time.
    with caplog.at_level(logging.WARNING, logger="dealflow.rendering"):
        again = renderer.render(document)
    assert again == rendered.pdf
    logged = [r for r in caplog.records if r.name == "dealflow.rendering"]
    assert [(r.levelno, r.getMessage()) for r in logged] == [(logging.WARNING, note)]
    sizes = sorted(len(program) for program in embedded_fonts(rendered.pdf).values())
    assert sizes[-1] > 300_000  # the regular font, whole


def test_the_command_line_prints_the_fallback_in_one_line(tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "dealflow", "--store", str(tmp_path / "deals.db"), *args],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
            cwd=tmp_path,
        )

    assert run("demo", "-o", str(tmp_path)).returncode == 0
    store = dealflow.SQLiteEventStore(tmp_path / "deals.db")
    try:
        (deal_id,) = store.deal_ids()
    finally:
        store.close()
    team = unreadable_font_folder(tmp_path / "team")
    result = run("--templates", str(team), "contract", deal_id, "--lang", "en", "-o", "en.pdf")
    assert result.returncode == 0, result.stderr
    # One line, wherever the command puts it: a note with the result, or the warning logged.
    said = (result.stdout + result.stderr).splitlines()
    lines = [line for line in said if "could not be subset" in line]
    assert len(lines) == 1, said
    assert lines[0].removeprefix("Note: ").startswith("font 'Contract Serif' could not be subset")
    assert [line for line in result.stderr.splitlines() if line.strip()] in ([], lines)
    assert (tmp_path / "en.pdf").read_bytes().startswith(b"%PDF-")


def test_a_render_with_the_built_in_fonts_has_no_notes(
    signed_deal: tuple[dealflow.DealService, dealflow.Deal], caplog: pytest.LogCaptureFixture
) -> None:
    _, deal = signed_deal
    with caplog.at_level(logging.WARNING, logger="dealflow.rendering"):
        rendered = PdfRenderer().render_noted(contract_document(deal, 1))
    assert rendered.notes == ()
    assert not [r for r in caplog.records if r.name == "dealflow.rendering"]


def test_a_font_fonttools_cannot_read_is_refused_with_the_reason() -> None:
    with pytest.raises(FontSubsetError) as caught:
        subset_font(b"not a font at all", [1, 2, 3])
    assert str(caught.value)
    assert "\n" not in str(caught.value)


def test_stamping_leaves_what_is_not_a_single_font_alone() -> None:
    when = datetime(2026, 11, 2, 9, tzinfo=UTC)
    for data in (b"", b"wOFF" + bytes(40), b"ttcf" + bytes(40), b"\x00\x01\x00\x00\x00\x00"):
        assert stamp_font_times(data, when) == data


def test_stamping_gives_the_same_font_for_the_same_time() -> None:
    font = (builtin_templates() / "fonts" / "LiberationSerif-Bold.ttf").read_bytes()
    when = datetime(2026, 11, 2, 9, tzinfo=UTC)
    stamped = stamp_font_times(font, when)
    assert stamped == stamp_font_times(stamp_font_times(font, START), when)
    assert stamped != font and len(stamped) == len(font)
    head = TTFont(io.BytesIO(stamped), checkChecksums=2)["head"]
    seconds = int((when - datetime(1904, 1, 1, tzinfo=UTC)).total_seconds())
    assert head.modified == head.created == seconds
    assert whole_checksum(stamped) == 0xB1B0AFBA


def test_the_producer_names_each_program_once() -> None:
    assert joined_producer("", "pyHanko 1") == "pyHanko 1"
    assert joined_producer("WeasyPrint 70", "pyHanko 1") == "WeasyPrint 70; pyHanko 1"
    assert joined_producer("WeasyPrint 70; pyHanko 1", "pyHanko 1") == "WeasyPrint 70; pyHanko 1"


def pdf_date(value: str) -> datetime:
    """A PDF date (``D:20261102090000Z`` or with ``+07'00'``) as an aware datetime."""
    text = value.removeprefix("D:").replace("'", "")
    if text.endswith("Z"):
        text = text[:-1] + "+0000"
    return datetime.strptime(text, "%Y%m%d%H%M%S%z")


def test_after_sealing_the_info_dictionary_and_the_xmp_metadata_agree(
    tmp_path: Path,
) -> None:
    sealer = Pkcs12Sealer(make_dev_certificate(tmp_path / "keys"))
    service = staffed(
        dealflow.DealService(
            dealflow.SQLiteEventStore(tmp_path / "deals.db"),
            dealflow.FixedClock(START),
            renderer=PdfRenderer(),
            sealer=sealer,
        )
    )
    try:
        deal = play_demo(service)
        before = datetime.now(UTC).replace(microsecond=0)
        pdf = service.contract(deal.id).pdf
        after = datetime.now(UTC)
        verdict = verify_contract(pdf, service)
    finally:
        service.close()
    assert verdict.ok, verdict.checks  # the seal is still valid

    reader = PdfReader(io.BytesIO(pdf))
    info = reader.metadata
    xmp = reader.xmp_metadata
    assert info is not None and xmp is not None
    assert info["/Producer"] == xmp.pdf_producer
    assert "WeasyPrint" in info["/Producer"] and "pyHanko" in info["/Producer"]
    modified = pdf_date(info["/ModDate"])
    assert modified == xmp.xmp_modify_date.replace(tzinfo=modified.tzinfo)
    assert before <= modified <= after  # the time it was sealed
    assert pdf_date(info["/CreationDate"]) == START
    assert xmp.xmp_create_date.replace(tzinfo=UTC) == START
    assert info["/Title"] == xmp.dc_title["x-default"]
    assert [info["/Author"]] == xmp.dc_creator
    assert info["/Subject"] == xmp.dc_description["x-default"]
    assert info["/Keywords"] == xmp.pdf_keywords
    assert info["/Creator"] == xmp.xmp_creator_tool
    packet = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert 'pdfaid:part="3"' in packet and 'pdfaid:conformance="B"' in packet
