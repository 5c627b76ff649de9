"""The one place that picks concrete adapters: a store from a URL, the system clock.

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
from pathlib import Path

from dealflow.adapters.clock import SystemClock
from dealflow.adapters.memory import MemoryEventStore
from dealflow.adapters.sqlite import SQLiteEventStore
from dealflow.clauses import clause_standards
from dealflow.domain.policy import SellerPolicy
from dealflow.errors import StoreError
from dealflow.ports import Clock, EventStore
from dealflow.services import DealService

STORE_ENV = "DEALFLOW_STORE"


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
    """The event store a URL names (see the module docstring)."""
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


def connect(
    url: str | None = None,
    *,
    clock: Clock | None = None,
    policy: SellerPolicy | None = None,
) -> DealService:
    """A :class:`DealService` on the store a URL names: the system clock, the default seller
    policy and the built-in clause library unless told otherwise."""
    return DealService(
        open_store(url),
        clock or SystemClock(),
        policy or SellerPolicy(),
        clauses=clause_standards,
    )
