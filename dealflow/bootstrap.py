"""The one place that picks concrete adapters: a store from a URL, the system clock, the
contract renderer over the template folders (``--templates DIR`` or ``$DEALFLOW_TEMPLATES``,
searched before the built-ins), the seal certificate (``--cert FILE`` or ``$DEALFLOW_CERT``) and
the timestamp authority that makes seals long-term (``--tsa URL`` or ``$DEALFLOW_TSA``).
It also wires the use cases that run without a store of their own: :func:`verify_contract`
(the PDF inspector and the seal judge) and :func:`check_templates` (the templates under check
and a service on an in-memory store whose clock stands still).
The command line reaches the adapters it needs beyond a service through it too: a fixed clock
for ``--now`` (:func:`fixed_clock`), the trust files, a seal's new timestamp and a development
seal certificate.

Store URLs:

- ``memory://`` — in process memory, gone when the process ends;
- ``sqlite:///relative/path.db`` or ``sqlite:////absolute/path.db`` (SQLAlchemy's
  convention), or a plain file path — a SQLite file;
- ``postgresql://user:password@host:port/database`` — a PostgreSQL database shared by a team
  (needs the ``postgres`` extra: ``pip install "dealflow[postgres]"``);
- nothing — ``$DEALFLOW_STORE`` if set, else ``deals.db`` in the user data directory.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from dealflow.adapters.clock import SystemClock
from dealflow.adapters.memory import MemoryEventStore
from dealflow.adapters.sqlite import SQLiteEventStore
from dealflow.application.service import DEFAULT_CLOCK_SKEW, DealService
from dealflow.domain.policy import SellerPolicy
from dealflow.errors import StoreError
from dealflow.ports import (
    Clock,
    ContractInspector,
    EventStore,
    Renderer,
    Sealer,
    SealJudge,
    TrustSource,
)

if TYPE_CHECKING:  # loaded when a contract is verified or the templates checked
    from dealflow.application.template_check import CheckReport
    from dealflow.application.verification import Verdict

STORE_ENV = "DEALFLOW_STORE"
TEMPLATES_ENV = "DEALFLOW_TEMPLATES"
CERT_ENV = "DEALFLOW_CERT"
CERT_PASSWORD_ENV = "DEALFLOW_CERT_PASSWORD"
TSA_ENV = "DEALFLOW_TSA"


def user_data_dir() -> Path:
    """Where dealflow keeps its default store on this platform."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
    return base / "dealflow"


def default_store_url() -> str:
    """``$DEALFLOW_STORE``, or the SQLite file in the user data directory."""
    return os.environ.get(STORE_ENV) or f"sqlite:///{user_data_dir() / 'deals.db'}"


def open_store(url: str | None = None) -> EventStore:
    """The event store a URL names (see the module docstring). The folder of a SQLite file
    must exist, except the user data directory of the default store, which is made."""
    if not url and not os.environ.get(STORE_ENV):
        folder = user_data_dir()
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create the folder for the default store {folder}: "
                f"{exc.strerror or exc}; give --store (or DEALFLOW_STORE)"
            ) from exc
    url = url or default_store_url()
    if url in {"memory://", "memory:"}:
        return MemoryEventStore()
    if url.startswith("sqlite://"):
        rest = url.removeprefix("sqlite://")
        if not rest.startswith("/") or rest == "/":
            raise StoreError(f"{url!r} names no file; write sqlite:///deals.db")
        return SQLiteEventStore(rest[1:])
    if url.startswith(("postgresql://", "postgres://")):
        from dealflow.adapters.postgres import PostgresEventStore

        return PostgresEventStore(url)
    if "://" in url:
        scheme = url.split("://", 1)[0]
        raise StoreError(
            f"unknown store {scheme}://; use sqlite:///FILE, postgresql://..., memory:// "
            "or a file path"
        )
    return SQLiteEventStore(Path(url).expanduser())


def template_dirs(given: Sequence[Path | str] | None = None) -> tuple[Path, ...]:
    """The user template folders: those given, else those ``$DEALFLOW_TEMPLATES`` names
    (separated by ``os.pathsep``), else none (the built-in templates alone)."""
    if given:
        return tuple(Path(folder).expanduser() for folder in given)
    value = os.environ.get(TEMPLATES_ENV, "")
    return tuple(Path(part).expanduser() for part in value.split(os.pathsep) if part)


def make_renderer(folders: Sequence[Path] = ()) -> Renderer:
    """The PDF renderer over the user template folders and the built-ins. Imports Jinja2
    here, and WeasyPrint when the first contract is rendered."""
    from dealflow.adapters.rendering.pdf import PdfRenderer
    from dealflow.adapters.rendering.templates import TemplateSet

    return PdfRenderer(TemplateSet(folders))


def tsa_url(tsa: str | None = None) -> str | None:
    """The timestamp authority's URL: ``tsa``, else ``$DEALFLOW_TSA``, else None."""
    return tsa or os.environ.get(TSA_ENV) or None


def make_sealer(cert: Path | str | None = None, tsa: str | None = None) -> Sealer | None:
    """The seal of signed contracts: the PKCS#12 file ``cert`` or ``$DEALFLOW_CERT`` names,
    opened with ``$DEALFLOW_CERT_PASSWORD`` (never a command-line argument); None without
    one. With a timestamp authority (``tsa`` or ``$DEALFLOW_TSA``) seals are long-term
    (PAdES-B-T, B-LTA when revocation answers are reachable), their chains built to the
    certificate file's own roots and those ``$DEALFLOW_TRUST`` names. Imports pyHanko
    here."""
    path = cert or os.environ.get(CERT_ENV)
    if not path:
        return None
    from dealflow.adapters.seal_validation import trust_files_from_env, trust_roots
    from dealflow.adapters.signing import Pkcs12Sealer

    url = tsa_url(tsa)
    roots = trust_roots(trust_files_from_env()) if url else ()
    password = os.environ.get(CERT_PASSWORD_ENV, "")
    return Pkcs12Sealer(
        Path(path).expanduser(), password.encode("utf-8") or None, tsa=url, trust=roots
    )


def connect(
    url: str | None = None,
    *,
    clock: Clock | None = None,
    policy: SellerPolicy | None = None,
    templates: Sequence[Path | str] | None = None,
    cert: Path | str | None = None,
    tsa: str | None = None,
    clock_skew: timedelta = DEFAULT_CLOCK_SKEW,
    member: str | None = None,
) -> DealService:
    """A :class:`DealService` on the store a URL names: the system clock, the default seller
    policy, the clause library and contract templates (built-ins, after the user folders
    ``templates`` or ``$DEALFLOW_TEMPLATES`` names), and the seal certificate ``cert`` or
    ``$DEALFLOW_CERT`` names (none: contracts are unsealed) with the timestamp authority
    ``tsa`` or ``$DEALFLOW_TSA`` names (none: seals are PAdES-B-B), unless told otherwise.
    ``clock_skew`` is how far an action may be dated before a deal's last event; ``member``
    is the roster id of who acts (default: the system user's login name; on PostgreSQL the
    database login's member, which ``member`` may not contradict)."""
    folders = template_dirs(templates)

    def clauses() -> dict[str, bool]:
        from dealflow.files.clauses import clause_standards  # reads YAML: only when a deal needs it

        return clause_standards(folders)

    return DealService(
        open_store(url),
        clock or SystemClock(),
        policy or SellerPolicy(),
        clauses=clauses,
        renderer=lambda: make_renderer(folders),
        sealer=lambda: make_sealer(cert, tsa),
        clock_skew=clock_skew,
        member=member,
    )


def make_inspector() -> ContractInspector:
    """The contract inspector verification reads PDFs with (pypdf, imported on first read)."""
    from dealflow.adapters.pdf_inspection import PypdfInspector

    return PypdfInspector()


def make_seal_judge() -> SealJudge:
    """The seal judge verification judges seals with (pyHanko, imported on first use)."""
    from dealflow.adapters.seal_validation import PyhankoSealJudge

    return PyhankoSealJudge()


def fixed_clock(at: datetime) -> Clock:
    """A clock that always reads ``at``: the command line's ``--now``."""
    from dealflow.adapters.clock import FixedClock

    return FixedClock(at)


def trust_files(given: Sequence[Path] = ()) -> tuple[Path, ...]:
    """The trust files legal names (``--trust``), else those ``$DEALFLOW_TRUST`` names."""
    from dealflow.adapters.seal_validation import trust_files_from_env

    return tuple(given) if given else trust_files_from_env()


def refresh_seal_timestamp(data: bytes, tsa: str, roots: Sequence[object] = ()) -> bytes:
    """The sealed contract ``data`` with a new document timestamp from the authority at ``tsa``
    and fresh validation data for the last one, chains built to ``roots``
    (:func:`dealflow.adapters.signing.refresh_timestamp`; pyHanko). Raises SealError."""
    from dealflow.adapters.signing import refresh_timestamp

    return refresh_timestamp(data, tsa, roots)


def make_dev_seal(folder: Path) -> Path:
    """Write a self-signed development seal certificate, ``folder/dev-seal.p12``, and the
    certificate to trust, ``folder/dev-seal.pem``
    (:func:`dealflow.adapters.signing.make_dev_certificate`); the ``.p12``'s path."""
    from dealflow.adapters.signing import make_dev_certificate

    return make_dev_certificate(folder)


def verify_contract(
    data: bytes,
    service: DealService | None = None,
    *,
    trust: Sequence[TrustSource] = (),
    at: datetime | None = None,
) -> Verdict:
    """Verify a contract file (:func:`dealflow.application.verification.verify_contract`)
    with the installed PDF inspector and seal judge: never raises for a bad file; with
    ``service``, checks it against that store too; ``trust`` the roots legal trusts, ``at`` the
    moment judged (default now). A trust entry that is not a certificate raises SealError."""
    from dealflow.application import verification

    return verification.verify_contract(
        data, service, trust=trust, at=at, inspector=make_inspector(), judge=make_seal_judge()
    )


def check_templates(user_dirs: Sequence[Path] = (), *, layout: bool = True) -> CheckReport:
    """Check the templates of ``user_dirs`` over the built-ins
    (:func:`dealflow.application.template_check.check_templates`): the samples made on an
    in-memory store at a fixed time, each rendered and, with ``layout``, laid out as a PDF."""
    from dealflow.adapters.clock import FixedClock
    from dealflow.adapters.rendering.template_check import TemplatesUnderCheck
    from dealflow.application import template_check

    templates = TemplatesUnderCheck(user_dirs)
    samples = DealService(MemoryEventStore(), FixedClock(template_check.SAMPLE_TIME))
    return template_check.check_templates(templates, samples, layout=layout)
