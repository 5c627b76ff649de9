"""The tables both SQL stores create in the same shape: the event log with its meta table
(the first schema), and the ``deals`` read model with the ``artifacts`` table (schema 2).

Only a few type names differ between the backends (a time, a float, bytes) and PostgreSQL
numbers the read model's rows with ``seq``, the order SQLite's ``rowid`` gives for free; each
store passes its own. The later steps of each schema are the backend's own DDL.
"""

from __future__ import annotations

_EVENTS = """
CREATE TABLE IF NOT EXISTS {meta} (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
    deal_id     TEXT    NOT NULL,
    version     INTEGER NOT NULL CHECK (version >= 1),
    type        TEXT    NOT NULL,
    occurred_at {time} NOT NULL,
    data        TEXT    NOT NULL,
    PRIMARY KEY (deal_id, version)
);
"""

_READ_MODEL = """
CREATE TABLE deals (
    {seq}id             TEXT    PRIMARY KEY,
    title          TEXT    NOT NULL,
    stage          TEXT    NOT NULL,
    seller         TEXT    NOT NULL,
    buyer          TEXT    NOT NULL,
    buyer_search   TEXT    NOT NULL,
    buyer_tax      TEXT,
    buyer_name_key TEXT    NOT NULL,
    owner          TEXT    NOT NULL,
    owner_key      TEXT    NOT NULL,
    total_amount   TEXT    NOT NULL,
    total_value    {number} NOT NULL,
    currency       TEXT    NOT NULL,
    turn           TEXT,
    expires_at     TEXT,
    opened_at      TEXT    NOT NULL,
    updated_at     TEXT    NOT NULL,
    signed_at      TEXT,
    version        INTEGER NOT NULL
);
CREATE INDEX deals_stage ON deals (stage, opened_at);
CREATE INDEX deals_buyer_tax ON deals (buyer_tax);
CREATE INDEX deals_buyer_name ON deals (buyer_name_key);
CREATE INDEX deals_owner ON deals (owner_key);
CREATE INDEX deals_value ON deals (total_value);
CREATE INDEX deals_expiry ON deals (expires_at) WHERE expires_at IS NOT NULL;
{order}CREATE TABLE artifacts (
    deal_id TEXT NOT NULL,
    name    TEXT NOT NULL,
    sha256  TEXT NOT NULL,
    data    {blob} NOT NULL,
    PRIMARY KEY (deal_id, name)
);
"""


def event_tables(*, meta: str, time: str) -> str:
    """The meta table (``meta``: its name) and the event log, created if missing on every
    opening; ``time`` is the type of ``occurred_at``."""
    return _EVENTS.format(meta=meta, time=time)


def read_model_tables(*, number: str, blob: str, seq: str | None = None) -> str:
    """The ``deals`` read model, its indexes and the ``artifacts`` table: ``number`` is the
    type of ``total_value`` (a float), ``blob`` that of a file's bytes, and ``seq`` (if given)
    the type of a first column that numbers rows in the order they were first written, with
    a unique index (where the backend has no ``rowid`` to order by)."""
    return _READ_MODEL.format(
        number=number,
        blob=blob,
        seq=f"seq            {seq},\n    " if seq else "",
        order="CREATE UNIQUE INDEX deals_order ON deals (seq);\n" if seq else "",
    )
