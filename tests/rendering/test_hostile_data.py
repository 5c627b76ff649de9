"""Hostile deal data renders safely, and user templates stay inside the template folders.

Deal data (descriptions, names, addresses, the special agreement) is printed as text: markup
is not parsed, Jinja syntax is not evaluated, URLs and paths are not fetched. Each PDF is read
back with pypdf: the hostile text is on the page as written, ``terms.json`` is the only embedded
file, and a loopback HTTP server started by the test saw no request. A user template folder
may override a partial, but its templates cannot include files outside the folders, reach
Python internals, or fetch anything but files inside the template folders (symlinks followed)
and ``data:`` URLs. Over-long texts are refused in one line before layout; the longest allowed
ones print in full. WeasyPrint may log no warning in any of these tests.
"""

from __future__ import annotations

import base64
import io
import logging
import re
import struct
import threading
import urllib.error
import urllib.request
import zlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from jinja2 import TemplateNotFound
from pydantic import ValidationError
from pypdf import PdfReader

import dealflow
from dealflow import SpecialTerms
from dealflow.adapters.rendering.pdf import PdfRenderer
from dealflow.adapters.rendering.templates import (
    MAX_FIELD_CHARS,
    TemplateSet,
    check_printable,
    printed,
)
from dealflow.application.demo import sample_deal_spec
from dealflow.domain.contract import ContractDocument, contract_document
from dealflow.errors import FetchRefusedError, RenderError, TemplateProblemError
from dealflow.files.clauses import builtin_templates, clause_standards
from tests.conftest import BUYER, SELLER, staffed

#: What /etc/passwd starts with: it must never reach a contract.
PASSWD_LINE = "root:x:0:0"


# Fixtures -----------------------------------------------------------------------------------


class _WarningRecorder(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(autouse=True)
def weasyprint_logs_nothing() -> Iterator[None]:
    """Fails the test if WeasyPrint logs a warning or an error (a missed font, a bad image,
    unknown CSS): a contract that renders with a warning is not a contract we want."""
    logger = logging.getLogger("weasyprint")
    recorder = _WarningRecorder()
    level = logger.level
    logger.setLevel(logging.WARNING)
    logger.addHandler(recorder)
    try:
        yield
    finally:
        logger.removeHandler(recorder)
        logger.setLevel(level)
    logged = [f"{r.levelname}: {r.getMessage()}" for r in recorder.records]
    assert logged == [], f"WeasyPrint logged: {logged}"


class _Recorder(BaseHTTPRequestHandler):
    def _answer(self) -> None:
        server = self.server
        assert isinstance(server, LoopbackServer)
        server.hits.append(f"{self.command} {self.path}")
        self.send_error(404)

    do_GET = do_HEAD = do_POST = do_PUT = do_OPTIONS = _answer

    def log_message(self, *args: Any) -> None:
        """Quiet."""


class LoopbackServer(ThreadingHTTPServer):
    """An HTTP server on 127.0.0.1 that answers 404 and remembers every connection and request."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Recorder)
        self.hits: list[str] = []

    @property
    def port(self) -> int:
        return int(self.server_address[1])

    def url(self, path: str = "/") -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def verify_request(self, request: Any, client_address: Any) -> bool:
        self.hits.append(f"connection from {client_address[0]}")
        return True


@pytest.fixture
def loopback() -> Iterator[LoopbackServer]:
    """A loopback HTTP server, checked to be reachable, with no hit recorded yet."""
    server = LoopbackServer()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        # Proof that a fetch would be seen: without it, "no hit" would prove nothing.
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with pytest.raises(urllib.error.HTTPError) as answer:
            opener.open(server.url("/probe"), timeout=10)
        answer.value.close()
        assert "GET /probe" in server.hits
        server.hits.clear()
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@pytest.fixture
def contracts(clock: dealflow.FixedClock) -> Iterator[dealflow.DealService]:
    """A service on a fresh in-memory store that renders contracts with the built-in templates."""
    svc = staffed(
        dealflow.DealService(
            dealflow.MemoryEventStore(),
            clock,
            clauses=clause_standards(),
            renderer=PdfRenderer(TemplateSet()),
        )
    )
    yield svc
    svc.close()


# Reading PDFs -------------------------------------------------------------------------------


def compact(text: str) -> str:
    """``text`` without whitespace: lines wrap anywhere in a long text."""
    return "".join(text.split())


def page_text(reader: PdfReader) -> str:
    return "\n".join(page.extract_text() for page in reader.pages)


def _resources(reader: PdfReader, kind: str) -> Iterator[Any]:
    for page in reader.pages:
        resources = page.get("/Resources")
        table = resources.get_object().get(kind) if resources is not None else None
        if table is not None:
            yield from (ref.get_object() for ref in table.get_object().values())


def image_sizes(reader: PdfReader) -> set[tuple[int, int]]:
    """Width and height of every image the pages draw."""
    return {
        (int(obj["/Width"]), int(obj["/Height"]))
        for obj in _resources(reader, "/XObject")
        if obj.get("/Subtype") == "/Image"
    }


def font_families(reader: PdfReader) -> set[str]:
    """The embedded fonts, without their subset prefix (``ABCDEF+``)."""
    return {str(obj["/BaseFont"]).split("+")[-1] for obj in _resources(reader, "/Font")}


def png(width: int, height: int) -> bytes:
    """A valid RGB PNG of the given size."""

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body)
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    rows = b"".join(b"\x00" + b"\x20\x40\x80" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


# Deals carrying hostile texts ---------------------------------------------------------------

#: The printed fields a hostile text goes into, in order; more texts go into further custom
#: clauses. ``delivery.place`` is printed through the special agreement's place of delivery
#: too (Article 3 and Annex A).
PRINTED_FIELDS = (
    "items[0].description",
    "seller.name",
    "special.purpose",
    "delivery.place",
    "special.custom_clauses[0]",
    "buyer.representative.name",
    "seller.address",
    "title",
    "items[1].description",
    "buyer.name",
    "buyer.address",
    "seller.representative.name",
)

#: HTML and CSS; PORT is the loopback server's port.
MARKUP = (
    "<b>x</b>",
    '<img src="http://127.0.0.1:PORT/x.png">',
    "<script>alert(1)</script>",
    '<link rel="attachment" href="file:///etc/passwd">',
    "<link rel=stylesheet href=http://127.0.0.1:PORT/s.css>",
    "<style>@import url(http://127.0.0.1:PORT/i.css)</style>",
    '<iframe src="http://127.0.0.1:PORT/frame.html"></iframe>',
    '<p style="background: url(file:///etc/passwd)">css</p>',
    "background-image: url(file:///etc/passwd)",
    '<a rel="attachment" href="http://127.0.0.1:PORT/a.bin">a</a>',
    "</td></tr></table></section><h1>forged</h1>",
    '<object data="http://127.0.0.1:PORT/o.svg"></object>',
    '<svg><image href="http://127.0.0.1:PORT/svg.png"/></svg>',
    "<!-- comment --><![CDATA[x]]>&amp;&lt;",
)
#: Template syntax, Jinja's and others'.
TEMPLATE_SYNTAX = (
    "{{ 7*7 }}",
    "{% include 'x' %}",
    "{{ ''.__class__.__mro__ }}",
    "{# hidden #}",
    "{{ c.seller.name }}{% for i in range(3) %}{{ i }}{% endfor %}",
    "{% raw %}{{ 7*7 }}{% endraw %}",
    "${7*7} #{7*7} <%= 7*7 %>",
)
#: Local and remote URLs, and paths that climb out of a folder.
LOCATIONS = (
    "file:///etc/passwd",
    "http://127.0.0.1:PORT/",
    "../../etc/passwd",
    "..\\..\\..\\windows\\win.ini",
    "%2e%2e%2f%2e%2e%2fetc%2fpasswd",
    "file://localhost/etc/hostname",
    "data:text/html,<script>alert(1)</script>",
    "javascript:alert(1)",
    "\\\\127.0.0.1\\share\\x.png",
    "/etc/passwd",
)


def _set(data: dict[str, Any], where: str, text: str) -> None:
    keys: list[str | int] = [int(k) if k.isdigit() else k for k in re.findall(r"[^.\[\]]+", where)]
    target: Any = data
    for key in keys[:-1]:
        target = target[key]
    if isinstance(target, list) and keys[-1] == len(target):
        target.append(text)
    else:
        target[keys[-1]] = text


@dataclass(frozen=True)
class Rendered:
    """A contract rendered from a deal: the PDF read back, and where each text was put."""

    contract: dealflow.ContractPdf = field(repr=False)
    reader: PdfReader = field(repr=False)
    text: str = field(repr=False)
    placed: dict[str, str]

    def missing(self) -> list[str]:
        """The fields whose text is not on the pages as written."""
        pages = compact(self.text)
        return [
            f"{where}: {text!r}"
            for where, text in self.placed.items()
            if compact(text) not in pages
        ]


def render_hostile(service: dealflow.DealService, texts: Sequence[str]) -> Rendered:
    """A deal with ``texts`` in its printed fields, one each (see PRINTED_FIELDS), driven
    through the service to special terms, and its draft contract rendered.

    Each text is tagged ``[n]`` so that what it printed as can be found: ``[0]{{7*7}}`` on
    the page proves that ``{{ 7*7 }}`` was printed, ``[0]49`` that it was evaluated.
    """
    data: dict[str, Any] = sample_deal_spec().model_dump()
    special: dict[str, Any] = {"custom_clauses": []}
    placed: dict[str, str] = {}
    for index, text in enumerate(texts):
        if index < len(PRINTED_FIELDS):
            where = PRINTED_FIELDS[index]
        else:
            where = f"special.custom_clauses[{len(special['custom_clauses'])}]"
        tagged = f"[{index}]{text}"
        root, _, rest = where.partition(".")
        if root == "special":
            _set(special, rest, tagged)
        else:
            _set(data, where, tagged)
        placed[where] = tagged
    special["delivery_place"] = data["delivery"]["place"]

    deal = service.open_deal(dealflow.DealSpec.model_validate(data))
    service.present(deal.id, SELLER)
    service.offer(deal.id, SELLER)
    service.accept(deal.id, BUYER)
    service.propose_special(deal.id, BUYER, SpecialTerms.model_validate(special))
    contract = service.contract(deal.id)
    reader = PdfReader(io.BytesIO(contract.pdf))
    return Rendered(contract, reader, page_text(reader), placed)


def with_port(texts: Sequence[str], server: LoopbackServer) -> list[str]:
    return [text.replace("PORT", str(server.port)) for text in texts]


def assert_rendered_safely(rendered: Rendered, loopback: LoopbackServer) -> None:
    """Nothing fetched, nothing embedded but the terms, every text printed as written."""
    assert loopback.hits == []
    attachments = rendered.reader.attachments
    assert list(attachments) == ["agreement.json", "terms.json"]
    assert attachments["terms.json"] == [rendered.contract.document.canonical_terms.encode()]
    assert rendered.missing() == []
    assert PASSWD_LINE not in rendered.text


# 1. Hostile deal data -----------------------------------------------------------------------


def test_markup_in_deal_data_prints_as_text_and_loads_nothing(
    contracts: dealflow.DealService, loopback: LoopbackServer
) -> None:
    rendered = render_hostile(contracts, with_port(MARKUP, loopback))

    assert_rendered_safely(rendered, loopback)
    # The document's metadata carries the data as text too (HTML attributes, then XMP).
    metadata = rendered.reader.metadata
    assert metadata is not None
    assert metadata.author == rendered.placed["seller.name"]
    assert metadata.subject == rendered.placed["title"]
    xmp = rendered.reader.xmp_metadata
    assert xmp is not None
    assert xmp.dc_creator == [rendered.placed["seller.name"]]


def test_template_syntax_in_deal_data_prints_as_text_and_is_never_evaluated(
    contracts: dealflow.DealService, loopback: LoopbackServer
) -> None:
    rendered = render_hostile(contracts, TEMPLATE_SYNTAX)

    assert_rendered_safely(rendered, loopback)
    pages = compact(rendered.text)
    assert "[0]{{7*7}}" in pages
    assert "[0]49" not in pages
    assert "[4]{{c.seller.name}}{%foriinrange(3)%}" in pages
    assert "<class" not in rendered.text


def test_urls_and_paths_in_deal_data_print_as_text_and_are_never_fetched(
    contracts: dealflow.DealService, loopback: LoopbackServer
) -> None:
    rendered = render_hostile(contracts, with_port(LOCATIONS, loopback))

    assert_rendered_safely(rendered, loopback)
    assert f"[1]{loopback.url('/')}" in compact(rendered.text)


# 2. User template folders -------------------------------------------------------------------

PARTIAL = "partials/parties.html.j2"


@pytest.fixture
def document(contracts: dealflow.DealService, spec: dealflow.DealSpec) -> ContractDocument:
    """The draft contract of the sample deal, just opened."""
    return contract_document(contracts.open_deal(spec))


@pytest.fixture
def user_folder(tmp_path: Path) -> Path:
    """An empty user template folder, inside tmp_path; a valid PNG and a secret lie next to it,
    outside it."""
    folder = tmp_path / "templates"
    (folder / "partials").mkdir(parents=True)
    (tmp_path / "outside.png").write_bytes(png(5, 4))
    (tmp_path / "secret.txt").write_text("TOP-SECRET-NEXT-TO-THE-TEMPLATES\n")
    return folder


def override_partial(folder: Path, extra: str) -> TemplateSet:
    """The built-in parties partial with ``extra`` appended, as the folder's override."""
    builtin = (builtin_templates() / PARTIAL).read_text("utf-8")
    (folder / PARTIAL).write_text(f"{builtin}\n{extra}\n", "utf-8")
    return TemplateSet([folder])


@pytest.mark.parametrize(
    "name", ["../../../etc/passwd", "../secret.txt", "/etc/passwd", "partials/../../secret.txt"]
)
def test_user_partial_cannot_include_a_file_outside_the_template_folders(
    user_folder: Path, document: ContractDocument, name: str
) -> None:
    templates = override_partial(user_folder, f'{{% include "{name}" %}}')

    with pytest.raises(TemplateProblemError) as problem:
        templates.html(document)

    assert problem.value.template == name
    assert problem.value.problem == "template not found"
    assert PASSWD_LINE not in str(problem.value)
    assert "TOP-SECRET" not in str(problem.value)


@pytest.mark.parametrize(
    "expression",
    [
        "{{ c.__class__ }}",
        "{{ ().__class__.__base__.__subclasses__() }}",
        "{{ money.__globals__ }}",
        "{{ c.terms.__dict__ }}",
    ],
)
def test_user_partial_cannot_reach_python_internals(
    user_folder: Path, document: ContractDocument, expression: str
) -> None:
    templates = override_partial(user_folder, expression)

    with pytest.raises(TemplateProblemError) as problem:
        templates.html(document)

    assert problem.value.template == "parties.html.j2"
    assert problem.value.problem.startswith("refused by the sandbox")


@pytest.mark.parametrize(
    ("markup", "refused"),
    [
        (
            '<link rel="stylesheet" href="http://127.0.0.1:PORT/s.css">',
            "http://127.0.0.1:PORT/s.css",
        ),
        ("<style>@import url(http://127.0.0.1:PORT/i.css);</style>", "http://127.0.0.1:PORT/i.css"),
        ('<img src="http://127.0.0.1:PORT/x.png">', "http://127.0.0.1:PORT/x.png"),
        ('<img src="file:///etc/hostname">', "file:///etc/hostname"),
        ('<link rel="attachment" href="file:///etc/passwd">', "file:///etc/passwd"),
        ('<img src="../outside.png">', "OUTSIDE/outside.png"),
        ('<link rel="stylesheet" href="../secret.txt">', "OUTSIDE/secret.txt"),
    ],
    ids=["stylesheet", "import", "image", "local-image", "attachment", "climb", "climb-css"],
)
def test_user_template_cannot_fetch_outside_the_template_folders(
    user_folder: Path,
    document: ContractDocument,
    loopback: LoopbackServer,
    markup: str,
    refused: str,
) -> None:
    def filled(text: str) -> str:
        outside = user_folder.parent.as_uri()
        return text.replace("PORT", str(loopback.port)).replace("OUTSIDE", outside)

    renderer = PdfRenderer(override_partial(user_folder, filled(markup)))

    with pytest.raises(FetchRefusedError) as refusal:
        renderer.render(document)

    assert refusal.value.url == filled(refused)
    assert loopback.hits == []


@pytest.mark.parametrize("target", ["outside.png", "/etc/hostname"])
def test_a_symlink_in_the_user_folder_to_a_file_outside_is_refused(
    user_folder: Path, document: ContractDocument, target: str
) -> None:
    link = user_folder / "logo.png"
    link.symlink_to(user_folder.parent / target)  # an absolute target stays as it is
    renderer = PdfRenderer(override_partial(user_folder, '<img src="logo.png" alt="">'))

    with pytest.raises(FetchRefusedError) as refusal:
        renderer.render(document)

    assert refusal.value.url == link.as_uri()


def test_files_inside_the_template_folders_and_data_urls_are_still_served(
    user_folder: Path, document: ContractDocument
) -> None:
    (user_folder / "logo.png").write_bytes(png(3, 2))
    (user_folder / "img").mkdir()
    (user_folder / "img" / "seal.png").write_bytes(png(4, 1))
    inline = base64.b64encode(png(2, 5)).decode()
    markup = (
        # contract.css and its fonts are not in the user folder: they come from the built-ins,
        # through the user folder's relative URLs.
        '<link rel="stylesheet" href="contract.css">'
        '<img src="logo.png" alt=""><img src="img/seal.png" alt="">'
        f'<img src="data:image/png;base64,{inline}" alt="">'
    )

    pdf = PdfRenderer(override_partial(user_folder, markup)).render(document)

    reader = PdfReader(io.BytesIO(pdf))
    assert {(3, 2), (4, 1), (2, 5)} <= image_sizes(reader)
    assert "Contract-Serif" in font_families(reader)
    assert list(reader.attachments) == ["agreement.json", "terms.json"]


# 3. Long texts ------------------------------------------------------------------------------


def open_deal_with(service: dealflow.DealService, texts: dict[str, str]) -> dealflow.Deal:
    """The sample deal, opened with ``texts`` in the given fields of the deal file."""
    data: dict[str, Any] = sample_deal_spec().model_dump()
    for where, text in texts.items():
        _set(data, where, text)
    return service.open_deal(dealflow.DealSpec.model_validate(data))


def test_a_megabyte_description_is_refused_in_one_line_naming_the_field(
    contracts: dealflow.DealService,
) -> None:
    description = ("Modular conveyor belt, 200 m. " * 40_000)[:1_048_576]
    assert len(description) == 1_048_576

    # Refused when written, not when the signed contract is printed.
    with pytest.raises(ValidationError) as refusal:
        open_deal_with(contracts, {"items[0].description": description})

    message = refusal.value.errors()[0]["msg"]
    assert "\n" not in message
    assert "items[0].description is 1,048,576 characters" in message
    assert contracts.store.deal_ids() == []


def test_texts_over_the_limits_are_refused_when_written(contracts: dealflow.DealService) -> None:
    with pytest.raises(ValidationError, match=r"items\[1\]\.description is 20,001 "):
        open_deal_with(contracts, {"items[1].description": "x" * (MAX_FIELD_CHARS + 1)})
    # 11 texts of 20,000 characters: each within the limit, too many in all.
    data: dict[str, Any] = sample_deal_spec().model_dump()
    template = data["items"][0]
    data["items"] = [
        {**template, "sku": f"CNV-{n}", "description": "y" * MAX_FIELD_CHARS} for n in range(11)
    ]
    with pytest.raises(ValidationError, match=r"the terms' texts are 2\d\d,\d{3} characters"):
        dealflow.DealSpec.model_validate(data)
    # A free-text clause too long to print is refused by the special agreement itself.
    deal = contracts.open_deal(sample_deal_spec())
    seller = dealflow.Actor(name="Budi", role=dealflow.Role.SELLER)
    buyer = dealflow.Actor(name="Siti", role=dealflow.Role.BUYER)
    contracts.present(deal.id, seller)
    contracts.offer(deal.id, seller)
    contracts.accept(deal.id, buyer)
    long_clause = dealflow.SpecialTerms(custom_clauses=("word " * 6000,))
    with pytest.raises(dealflow.InvalidTermsError, match=r"custom_clauses\[0\] is 30,000"):
        contracts.propose_special(deal.id, buyer, long_clause)
    assert contracts.get(deal.id).terms.special is None


def test_the_renderer_still_refuses_a_document_over_its_limits(document: ContractDocument) -> None:
    too_long = document.model_copy(update={"title": "t" * (MAX_FIELD_CHARS + 1)})
    with pytest.raises(RenderError, match=r"^title is 20,001 characters"):
        check_printable(too_long)


def test_twenty_thousand_character_texts_print_in_full(contracts: dealflow.DealService) -> None:
    run = "A" * MAX_FIELD_CHARS
    tokens = [f"w{n:04d}" for n in range(1, 3334)]
    words = " ".join(tokens)
    words += " " + "z" * (MAX_FIELD_CHARS - len(words) - 1)
    assert len(words) == MAX_FIELD_CHARS
    deal = open_deal_with(contracts, {"items[0].description": run, "items[1].description": words})

    contract = contracts.contract(deal.id)

    reader = PdfReader(io.BytesIO(contract.pdf))
    text = page_text(reader)
    pages = compact(text)
    assert run[:200] in pages
    assert text.count("A") >= MAX_FIELD_CHARS
    assert compact(words[10_000:10_200]) in pages
    assert re.findall(r"\bw\d{4}\b", text) == tokens
    assert list(reader.attachments) == ["agreement.json", "terms.json"]


def test_a_symlinked_template_outside_the_folders_is_not_a_template(
    user_folder: Path, document: ContractDocument
) -> None:
    (user_folder / PARTIAL).symlink_to("/etc/passwd")
    (user_folder / "linked").symlink_to(user_folder.parent, target_is_directory=True)
    templates = TemplateSet([user_folder])

    with pytest.raises(TemplateProblemError) as problem:
        templates.html(document)
    assert problem.value.problem == "template not found"
    assert PASSWD_LINE not in str(problem.value)
    # A linked folder does not open the files next to the templates either.
    with pytest.raises(TemplateNotFound):
        templates.env.get_template("linked/secret.txt")


def test_no_break_spaces_do_not_make_an_unbreakable_run() -> None:
    marked = printed("A\u00a0" * 100)
    assert marked.count("<wbr>") >= 5
    assert str(marked).replace("<wbr>", "") == "A\u00a0" * 100


def test_control_and_bidi_override_characters_print_visibly_not_as_they_act(
    contracts: dealflow.DealService,
) -> None:
    reversed_days = "Price valid for \u202e09\u202c days\x0b\x07 end"
    deal = open_deal_with(contracts, {"items[0].description": reversed_days})

    text = compact(page_text(PdfReader(io.BytesIO(contracts.contract(deal.id).pdf))))

    assert compact("Price valid for \\u202e09\\u202c days\\u000b\\u0007 end") in text
    assert "90days" not in text
