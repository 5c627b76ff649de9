"""The PostgreSQL event store, for teams that share deals across machines (psycopg 3).

The schema is created on first use under an advisory lock (several processes may start at
once) and records its version; a newer library migrates it forward, an older one refuses it.
An append runs in one transaction: it checks the deal's latest version, inserts the events
(the primary key ``(deal_id, version)`` refuses a second writer on the same version) and
upserts the deal's read-model row. The database itself links each event into its deal's hash
chain as it is inserted (see :data:`_CHAIN`), so that a login that bypasses dealflow cannot
store an event without its link. psycopg's exceptions become dealflow errors here, each saying
what to do; psycopg itself is imported only when a PostgreSQL store is opened.

The reads, the artifacts, the schema version runner and the read model's tables are shared
with the SQLite store (:mod:`dealflow.adapters.sql`); this module holds PostgreSQL's own: the
store URL's checks and messages, the connection, the later schema steps (the feed's counter,
the rights guard and the chain triggers) and the append.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from dealflow.adapters.postgres_url import bad_url, check_url, explain, scrub, where_to
from dealflow.adapters.rows import row_values, upsert_statement
from dealflow.adapters.sql.base import SqlEventStore, Statements
from dealflow.adapters.sql.event_rows import EventRow
from dealflow.adapters.sql.migrations import (
    Schema,
    Step,
    fill_read_model,
    migrate,
    recorded_version,
)
from dealflow.adapters.sql.schema import event_tables, read_model_tables
from dealflow.domain.listing import DealRow
from dealflow.errors import ConcurrencyConflictError, NotPermittedError, StoreError

if TYPE_CHECKING:
    import psycopg

#: Any fixed number: the advisory lock that serialises schema creation and migration.
_SCHEMA_LOCK = 0x6465616C
#: Schema 4: the roster's read model and the guard every appended event passes. The guard
#: runs as the schema's owner (SECURITY DEFINER) and says no with SQLSTATE 42501 and a message
#: starting ``dealflow:``. What it checks is what dealflow's own write path checks
#: (:func:`dealflow.domain.rights.authorize`), from the events alone: the login's member is on
#: the roster and active; the event names that member (``actor.member``, or ``recorded_by``
#: for a buyer's act, which needs ``seller``) and a role they hold; only an admin changes the
#: roster, and the first member is the login itself; an approval is within the member's limits
#: (net total and discount of the terms on the table, to the currency unit) and, unless the
#: owner set ``separation_of_duties`` to ``off`` in ``dealflow_meta``, not by the deal's owner,
#: the maker of its latest seller offer, or someone who approved these terms in another role.
#: ``recorded_by`` is filled with the login by the database itself.
_GUARD = """
ALTER TABLE events ADD COLUMN IF NOT EXISTS recorded_by TEXT;
CREATE TABLE IF NOT EXISTS members (
    id           TEXT    PRIMARY KEY,
    login        TEXT    NOT NULL UNIQUE,
    roles        TEXT[]  NOT NULL,
    active       BOOLEAN NOT NULL,
    max_discount NUMERIC,
    max_total    NUMERIC
);
CREATE OR REPLACE FUNCTION dealflow_keep_roster() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $guard$
DECLARE
    m jsonb := NEW.data::jsonb -> 'member';
BEGIN
    INSERT INTO members (id, login, roles, active, max_discount, max_total)
    VALUES (
        m ->> 'id', coalesce(m ->> 'login', m ->> 'id'),
        ARRAY(SELECT jsonb_array_elements_text(m -> 'roles')), (m ->> 'active')::boolean,
        rtrim(m ->> 'max_discount', '%')::numeric, (m ->> 'max_total')::numeric
    )
    ON CONFLICT (id) DO UPDATE SET login = excluded.login, roles = excluded.roles,
        active = excluded.active, max_discount = excluded.max_discount,
        max_total = excluded.max_total;
    RETURN NULL;
END
$guard$;
CREATE OR REPLACE FUNCTION dealflow_guard() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $guard$
DECLARE
    body     jsonb := NEW.data::jsonb;
    actor    jsonb := body -> 'actor';
    role     text  := actor ->> 'role';
    me       members%ROWTYPE;
    terms    jsonb;
    subtotal numeric;
    cut      numeric;
    percent  numeric;
    duties   boolean;
    other    text;
BEGIN
    NEW.recorded_by := session_user;
    IF NEW.deal_id = '@roster' AND NEW.version = 1 THEN
        IF coalesce(body -> 'member' ->> 'login', body -> 'member' ->> 'id') <> session_user THEN
            RAISE EXCEPTION 'dealflow: the first member of this store must be the login %',
                session_user USING ERRCODE = '42501';
        END IF;
        RETURN NEW;
    END IF;
    SELECT * INTO me FROM members WHERE login = session_user;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'dealflow: the login % is not a member of this store', session_user
            USING ERRCODE = '42501';
    END IF;
    IF NOT me.active THEN
        RAISE EXCEPTION 'dealflow: % is no longer an active member', me.id
            USING ERRCODE = '42501';
    END IF;
    IF NEW.deal_id = '@roster' THEN
        IF NOT 'admin' = ANY (me.roles) OR actor ->> 'member' IS DISTINCT FROM me.id THEN
            RAISE EXCEPTION 'dealflow: % is not an admin and cannot change the roster', me.id
                USING ERRCODE = '42501';
        END IF;
        RETURN NEW;
    END IF;
    IF role = 'system' THEN
        RETURN NEW;
    ELSIF role = 'buyer' THEN
        IF NOT 'seller' = ANY (me.roles) OR actor ->> 'recorded_by' IS DISTINCT FROM me.id THEN
            RAISE EXCEPTION 'dealflow: % cannot record the buyer''s acts', me.id
                USING ERRCODE = '42501';
        END IF;
    ELSIF NOT role = ANY (me.roles) OR actor ->> 'member' IS DISTINCT FROM me.id THEN
        RAISE EXCEPTION 'dealflow: % does not hold the % role, or the event names another member',
            me.id, role USING ERRCODE = '42501';
    END IF;
    IF coalesce(actor ->> 'identified', 'database-login') <> 'database-login' THEN
        RAISE EXCEPTION 'dealflow: the login is the identity here; an event cannot say its member '
            'was identified by %', actor ->> 'identified' USING ERRCODE = '42501';
    END IF;
    IF NEW.type <> 'ApprovalGranted' THEN
        RETURN NEW;
    END IF;
    SELECT coalesce(e.data::jsonb -> 'offer' -> 'terms', e.data::jsonb -> 'proposal') INTO terms
    FROM events e
    WHERE e.deal_id = NEW.deal_id
      AND (e.data::jsonb ? 'offer' OR e.data::jsonb ? 'proposal')
    ORDER BY e.version DESC LIMIT 1;
    SELECT coalesce(sum((i ->> 'quantity')::numeric * (i ->> 'unit_price')::numeric), 0)
    INTO subtotal FROM jsonb_array_elements(terms -> 'items') AS i;
    cut := CASE
        WHEN terms -> 'discount' ->> 'percent' IS NOT NULL
            THEN subtotal * rtrim(terms -> 'discount' ->> 'percent', '%')::numeric / 100
        ELSE coalesce((terms -> 'discount' ->> 'amount')::numeric, 0)
    END;
    percent := CASE WHEN subtotal > 0 THEN round(cut * 100 / subtotal, 2) ELSE 0 END;
    IF (me.max_discount IS NOT NULL AND percent > me.max_discount)
       OR (me.max_total IS NOT NULL AND subtotal - cut > me.max_total + 1) THEN
        RAISE EXCEPTION 'dealflow: % may not approve a discount of % percent and a total of %',
            me.id, percent, round(subtotal - cut) USING ERRCODE = '42501';
    END IF;
    SELECT value <> 'off' INTO duties FROM dealflow_meta WHERE key = 'separation_of_duties';
    IF NOT coalesce(duties, true) THEN
        RETURN NEW;
    END IF;
    SELECT e.data::jsonb -> 'actor' ->> 'member' INTO other
    FROM events e WHERE e.deal_id = NEW.deal_id AND e.version = 1;
    IF other = me.id THEN
        RAISE EXCEPTION 'dealflow: % owns deal % and cannot approve it', me.id, NEW.deal_id
            USING ERRCODE = '42501';
    END IF;
    SELECT e.data::jsonb -> 'actor' ->> 'member' INTO other
    FROM events e
    WHERE e.deal_id = NEW.deal_id AND e.data::jsonb -> 'offer' ->> 'side' = 'seller'
    ORDER BY e.version DESC LIMIT 1;
    IF other = me.id THEN
        RAISE EXCEPTION 'dealflow: % made the latest seller offer and cannot approve it', me.id
            USING ERRCODE = '42501';
    END IF;
    IF EXISTS (
        SELECT 1 FROM events e
        WHERE e.deal_id = NEW.deal_id AND e.type = 'ApprovalGranted'
          AND e.data::jsonb ->> 'terms_hash' = body ->> 'terms_hash'
          AND e.data::jsonb -> 'actor' ->> 'member' = me.id
          AND e.data::jsonb -> 'actor' ->> 'role' <> role
    ) THEN
        RAISE EXCEPTION 'dealflow: % already approved these terms in another role', me.id
            USING ERRCODE = '42501';
    END IF;
    RETURN NEW;
END
$guard$;
DROP TRIGGER IF EXISTS events_guard ON events;
CREATE TRIGGER events_guard BEFORE INSERT ON events
    FOR EACH ROW EXECUTE FUNCTION dealflow_guard();
DROP TRIGGER IF EXISTS events_roster ON events;
CREATE TRIGGER events_roster AFTER INSERT ON events
    FOR EACH ROW WHEN (NEW.deal_id = '@roster') EXECUTE FUNCTION dealflow_keep_roster();
"""

#: Schema 5: the hash chain (:mod:`dealflow.domain.chain`), computed by the database. A trigger
#: running as the schema's owner sets each inserted event's ``previous_hash`` (the hash of the
#: deal's event one version before, which must exist) and ``hash``, with PostgreSQL's own
#: ``sha256()`` over the text stored in ``data`` (a ``text`` column: stored as given, never
#: normalised as ``jsonb`` would be), whatever the insert gave: dealflow's append names neither
#: column, and a raw INSERT cannot set them. The events already stored are linked in version
#: order by the migration, in its transaction. ``convert_to(..., 'UTF8')`` hashes the UTF-8
#: bytes, as dealflow does.
_CHAIN = """
ALTER TABLE events ADD COLUMN IF NOT EXISTS previous_hash TEXT;
ALTER TABLE events ADD COLUMN IF NOT EXISTS hash TEXT;
CREATE OR REPLACE FUNCTION dealflow_link_hash(
    previous TEXT, deal TEXT, version INTEGER, kind TEXT, payload TEXT
) RETURNS TEXT LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $link$
    SELECT encode(sha256(convert_to(
        previous || E'\n' || deal || E'\n' || version::text || E'\n' || kind || E'\n' || payload,
        'UTF8')), 'hex')
$link$;
CREATE OR REPLACE FUNCTION dealflow_chain() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path FROM CURRENT AS $chain$
DECLARE
    before TEXT;
BEGIN
    IF NEW.version = 1 THEN
        before := repeat('0', 64);
    ELSE
        SELECT coalesce(e.hash, '') INTO before
        FROM events e WHERE e.deal_id = NEW.deal_id AND e.version = NEW.version - 1;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'dealflow: event % of deal % does not follow a stored event %',
                NEW.version, NEW.deal_id, NEW.version - 1 USING ERRCODE = '23514';
        END IF;
    END IF;
    NEW.previous_hash := before;
    NEW.hash := dealflow_link_hash(before, NEW.deal_id, NEW.version, NEW.type, NEW.data);
    RETURN NEW;
END
$chain$;
DROP TRIGGER IF EXISTS events_chain ON events;
CREATE TRIGGER events_chain BEFORE INSERT ON events
    FOR EACH ROW EXECUTE FUNCTION dealflow_chain();
DO $link_stored$
DECLARE
    r        RECORD;
    deal     TEXT;
    previous TEXT;
BEGIN
    FOR r IN SELECT e.deal_id, e.version, e.type, e.data FROM events e
             ORDER BY e.deal_id, e.version LOOP
        IF deal IS DISTINCT FROM r.deal_id THEN
            deal := r.deal_id;
            previous := repeat('0', 64);
        END IF;
        UPDATE events SET previous_hash = previous,
            hash = dealflow_link_hash(previous, r.deal_id, r.version, r.type, r.data)
        WHERE deal_id = r.deal_id AND version = r.version
        RETURNING hash INTO previous;
    END LOOP;
END
$link_stored$;
"""

_SCHEMA: Schema[Any] = Schema(
    meta="dealflow_meta",
    mark="%s",
    first=event_tables(meta="dealflow_meta", time="TIMESTAMPTZ"),
    one_at_a_time=False,
    steps={
        2: Step(
            read_model_tables(
                number="DOUBLE PRECISION", blob="BYTEA", seq="BIGINT GENERATED ALWAYS AS IDENTITY"
            ),
            fill_read_model("%s"),
        ),
        # The feed: a global, gap-free position for every event. Positions come from one
        # counter row, locked by each append until it commits, so no reader ever sees a gap.
        3: Step("""
ALTER TABLE events ADD COLUMN position BIGINT;
UPDATE events SET position = numbered.position
FROM (
    SELECT deal_id, version,
           row_number() OVER (ORDER BY occurred_at, deal_id, version) AS position
    FROM events
) AS numbered
WHERE events.deal_id = numbered.deal_id AND events.version = numbered.version;
CREATE UNIQUE INDEX events_position ON events (position);
CREATE TABLE dealflow_feed (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    last BIGINT  NOT NULL
);
INSERT INTO dealflow_feed (id, last) SELECT 1, coalesce(max(position), 0) FROM events;
"""),
        # Members and rights in the database itself: the roster's read model, kept by a
        # trigger from the roster's events, and a guard on every event appended, keyed on the
        # login (session_user), so that a login that bypasses dealflow meets the same rules.
        4: Step(_GUARD),
        # The hash chain, computed by the database on every insert.
        5: Step(_CHAIN),
    },
)
SCHEMA_VERSION = _SCHEMA.version
_INSERT_ROW = upsert_statement("%s")


class PostgresEventStore(SqlEventStore):
    """Events in a PostgreSQL database, shared by every process that connects to it."""

    _sql = Statements(
        "%s",
        deal_ids=(
            "SELECT e.deal_id FROM events e LEFT JOIN deals d ON d.id = e.deal_id "
            "WHERE e.version = 1 AND e.deal_id <> %s "
            "ORDER BY d.seq NULLS LAST, e.occurred_at, e.deal_id"
        ),
        order="seq",
    )

    def __init__(self, url: str) -> None:
        try:
            import psycopg
        except ImportError as exc:
            raise StoreError(
                'PostgreSQL stores need psycopg: pip install "dealflow[postgres]"'
            ) from exc
        self.url = url
        self._psycopg = psycopg
        self._errors = psycopg.Error
        self._lock = threading.Lock()
        check_url(url, psycopg)
        try:
            self._db: psycopg.Connection[Any] = psycopg.connect(
                url, connect_timeout=10, autocommit=True
            )
        except psycopg.Error as exc:
            raise StoreError(explain(exc, url)) from exc
        except ValueError as exc:  # what libpq's parser refuses that the check above let by
            raise StoreError(bad_url(url, scrub(str(exc), url))) from exc
        #: The database login: on PostgreSQL it is the identity of whoever uses the store.
        self.login: str | None = self._db.info.user
        try:
            self._migrate()
        except psycopg.Error as exc:
            self._db.close()
            raise StoreError(explain(exc, url)) from exc
        except BaseException:
            self._db.close()
            raise

    @property
    def _where(self) -> str:
        return f"at {where_to(self.url)}"

    @contextmanager
    def _transaction(self) -> Iterator[psycopg.Connection[Any]]:
        """One transaction on the connection; a lost connection is reopened for the next."""
        with self._lock:
            if self._db.closed or self._db.broken:
                self._reconnect()
            with self._db.transaction():
                yield self._db

    @contextmanager
    def _reading(self) -> Iterator[psycopg.Connection[Any]]:
        """The connection for one read: a single statement needs no transaction around it
        (the connection is in autocommit mode), so a read is one round trip to the server."""
        with self._lock:
            if self._db.closed or self._db.broken:
                self._reconnect()
            yield self._db

    def _reconnect(self) -> None:
        try:
            self._db = self._psycopg.connect(self.url, connect_timeout=10, autocommit=True)
        except self._psycopg.Error as exc:
            raise StoreError(explain(exc, self.url)) from exc

    def _migrate(self) -> None:
        # A store already at this schema needs no DDL: a member's login has no right to make
        # tables (see the grants in the README), only to read and append.
        try:
            with self._reading() as db:
                if recorded_version(db, _SCHEMA) == str(SCHEMA_VERSION):
                    return
        except self._psycopg.errors.UndefinedTable:
            pass  # a new store: made below
        with self._transaction() as db:
            db.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
            migrate(db, _SCHEMA, f"the store at {where_to(self.url)}")

    def _fail(self, exc: Exception) -> StoreError:
        """A driver error as a StoreError; a lost connection says the action was not saved."""
        if isinstance(exc, self._psycopg.OperationalError) and self._db.broken:
            return StoreError(
                f"the connection to PostgreSQL at {where_to(self.url)} was lost; the action "
                "was not saved (check `dealflow history` if the server was mid-commit) and "
                "can be tried again"
            )
        return StoreError(explain(exc, self.url))

    def _append(
        self, deal_id: str, expected_version: int, rows: list[EventRow], row: DealRow | None
    ) -> None:
        """The database links each event into the deal's hash chain as it is inserted."""
        psycopg = self._psycopg
        values = ", ".join(["(%s, %s, %s, %s::timestamptz, %s, %s)"] * len(rows))
        # One statement takes the feed positions from the counter row (locked until commit:
        # positions are gap-free) and inserts the events, only if the deal is still at the
        # expected version (of two writers that both saw it, the primary key refuses the
        # second). The statements are pipelined: an append costs about one round trip.
        insert = (
            "WITH counter AS ("
            " UPDATE dealflow_feed SET last = last + %s WHERE id = 1"
            " AND (SELECT coalesce(max(version), 0) FROM events WHERE deal_id = %s) = %s"
            " RETURNING last) "
            "INSERT INTO events (deal_id, version, type, occurred_at, data, position) "
            "SELECT v.deal_id, v.version, v.type, v.occurred_at, v.data, counter.last - %s + v.n "
            f"FROM (VALUES {values}) AS v (deal_id, version, type, occurred_at, data, n), counter "
            "RETURNING version"
        )
        params = [value for n, event_row in enumerate(rows, start=1) for value in (*event_row, n)]
        try:
            with self._lock:
                if self._db.closed or self._db.broken:
                    self._reconnect()
                db = self._db
                with db.pipeline(), db.transaction():
                    head = [len(rows), deal_id, expected_version, len(rows)]
                    inserted = db.execute(insert, [*head, *params])
                    if row is not None:
                        db.execute(_INSERT_ROW, row_values(row))
                    if len(inserted.fetchall()) != len(rows):
                        raise ConcurrencyConflictError(deal_id, expected_version)
        except psycopg.errors.UniqueViolation as exc:
            raise ConcurrencyConflictError(deal_id, expected_version) from exc
        except psycopg.errors.InsufficientPrivilege as exc:
            # The database's own guard (or a missing grant) said no to this login.
            reason = (exc.diag.message_primary or str(exc)).removeprefix("dealflow: ")
            raise NotPermittedError(f"PostgreSQL refused it: {reason}") from exc
        except psycopg.Error as exc:
            raise self._fail(exc) from exc

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._db.close()
