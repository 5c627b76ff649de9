"""Stores written before members and rights: no roster, and events whose actors name no member.

Such a store is made here as dealflow wrote it then: events decided with plain actors (a name
and a role) and appended straight to the store, without the service's write path. On
PostgreSQL the store is first taken back to schema 3 (no roster table, no guard, no
``recorded_by``), as a store of that time was, so that opening it migrates it.

Opened with today's service, the store opens, reading it writes nothing, every event and deal
reads back as it was recorded, and the first use makes the store's first member from the
current identity (the system login on SQLite, the database login on PostgreSQL) with every
role and admin, recorded as a ``MemberAdded`` in the feed; after it, the old deals go on under
today's rules.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest

import dealflow
from dealflow import Actor, MemberRole, Role, Stage
from dealflow.application.demo import sample_deal_spec
from dealflow.domain import commands as c
from dealflow.domain import decisions as d
from dealflow.domain.events import Event
from dealflow.domain.listing import DealQuery, deal_row
from dealflow.domain.members import ROSTER, MemberAdded
from dealflow.domain.policy import DEFAULT_POLICY
from dealflow.domain.projection import replay
from dealflow.ports import EventStore
from tests.conftest import START, TEST_USER

SPEC = sample_deal_spec()
#: Actors as events carried them before the roster: a name and a role, nothing more.
REP = Actor(name="Budi Santoso", role=Role.SELLER)
BUYER = Actor(name="Siti Rahmawati", role=Role.BUYER)
MANAGER = Actor(name="Maya Manager", role=Role.MANAGER)
FIVE = dealflow.TermsChange(discount=dealflow.Discount.parse("5%"))
FIFTEEN = dealflow.TermsChange(discount=dealflow.Discount.parse("15%"))

#: What an older dealflow left: a signed deal, one the buyer countered (the seller's turn), and
#: one pending a manager's approval.
SIGNED = [
    c.Present(REP),
    c.MakeOffer(REP, FIVE),
    c.Accept(BUYER),
    c.Agree(REP),
    c.Sign(REP, "Sales Director"),
    c.Sign(BUYER, "Procurement Manager"),
]
COUNTERED = [c.Present(REP), c.MakeOffer(REP, FIVE), c.Counter(BUYER, FIFTEEN)]
PENDING = [c.Present(REP), c.MakeOffer(REP, FIFTEEN), c.Accept(BUYER), c.Agree(REP)]


def record_the_old_way(store: EventStore, deal_id: str, commands: list[c.Command]) -> list[Event]:
    """Open a deal and take these steps, appending each step's events straight to the store,
    as dealflow did before the one write path; the events appended."""
    now = START + timedelta(minutes=len(store.deal_ids()))
    opened = d.open_deal(
        deal_id,
        title=SPEC.title,
        seller=SPEC.seller,
        buyer=SPEC.buyer,
        language=SPEC.language,
        proposal=SPEC.proposal(),
        actor=REP,
        now=now,
    )
    deal = replay([opened])
    store.append(deal_id, 0, [opened], deal_row(deal))
    written: list[Event] = [opened]
    for command in commands:
        now += timedelta(minutes=1)
        events = d.decide(deal, command, now, DEFAULT_POLICY)
        store.append(deal_id, deal.version, events, deal_row(replay(events, deal)))
        deal = replay(events, deal)
        written += events
    return written


@dataclass
class OldStore:
    """A store of before the roster, and how to open it again."""

    reopen: Callable[[], EventStore]
    identity: str
    written: dict[str, list[Event]]


def _fill(store: EventStore) -> dict[str, list[Event]]:
    written = {
        "old-signed": record_the_old_way(store, "old-signed", SIGNED),
        "old-countered": record_the_old_way(store, "old-countered", COUNTERED),
        "old-pending": record_the_old_way(store, "old-pending", PENDING),
    }
    store.close()
    return written


def _sqlite(tmp_path: Path, request: pytest.FixtureRequest) -> OldStore:
    path = tmp_path / "deals.db"
    written = _fill(dealflow.SQLiteEventStore(path))
    return OldStore(lambda: dealflow.SQLiteEventStore(path), TEST_USER, written)


#: Back to schema 3: what the roster and the database's guard added (schema 4) taken away.
TO_SCHEMA_3 = """
DROP FUNCTION IF EXISTS dealflow_guard() CASCADE;
DROP FUNCTION IF EXISTS dealflow_keep_roster() CASCADE;
DROP TABLE IF EXISTS members;
ALTER TABLE events DROP COLUMN IF EXISTS recorded_by;
UPDATE dealflow_meta SET value = '3' WHERE key = 'schema_version';
"""


def _postgres(tmp_path: Path, request: pytest.FixtureRequest) -> OldStore:
    import psycopg

    url = request.getfixturevalue("postgres_url")
    # A store opened now is at today's schema; taken back to schema 3 underneath it, it
    # appends as a store of that time did (its append names no column schema 4 added).
    store = dealflow.PostgresEventStore(url)
    with psycopg.connect(url, autocommit=True) as db:
        db.execute(TO_SCHEMA_3)
        login = db.info.user
    written = _fill(store)
    with psycopg.connect(url) as db:
        found = db.execute("SELECT value FROM dealflow_meta WHERE key = 'schema_version'")
        assert found.fetchone() == ("3",)
    return OldStore(lambda: dealflow.PostgresEventStore(url), login, written)


@pytest.fixture(params=["sqlite", "postgres"])
def old(request: pytest.FixtureRequest, tmp_path: Path) -> OldStore:
    make = {"sqlite": _sqlite, "postgres": _postgres}[request.param]
    return make(tmp_path, request)


@pytest.fixture
def store(old: OldStore) -> Iterator[EventStore]:
    """The old store, opened by today's dealflow."""
    opened = old.reopen()
    yield opened
    opened.close()


def service(store: EventStore, member: str | None = None) -> dealflow.DealService:
    return dealflow.DealService(
        store, dealflow.FixedClock(START + timedelta(hours=1)), member=member
    )


def feed(store: EventStore) -> list[tuple[int, str, str]]:
    return [(p, e.deal_id, type(e).__name__) for p, e in store.feed(0, 1000)]


def test_the_old_store_opens_and_reads_back_as_it_was_recorded(
    old: OldStore, store: EventStore
) -> None:
    before = feed(store)
    assert len(before) == sum(len(events) for events in old.written.values())
    assert [p for p, _, _ in before] == list(range(1, len(before) + 1))
    assert all(deal_id != ROSTER for _, deal_id, _ in before)
    svc = service(store)
    for deal_id, written in old.written.items():
        history = svc.history(deal_id)
        assert history == written
        assert all(e.actor.member is None and e.actor.recorded_by is None for e in history)
        deal = svc.get(deal_id)
        assert deal == replay(written)
        assert deal.owner is None and deal.seller_offer_by is None
    assert svc.get("old-signed").stage is Stage.SIGNED
    assert [row.id for row in svc.list_deals(DealQuery())] == list(old.written)
    assert svc.deals() == [replay(events) for events in old.written.values()]
    # Reading writes nothing, not even the first member.
    assert feed(store) == before
    assert store.load(ROSTER) == []


def test_the_first_use_makes_the_first_member_with_every_role(
    old: OldStore, store: EventStore
) -> None:
    before = feed(store)
    svc = service(store)
    me = svc.whoami()
    assert me.id == old.identity
    assert set(me.roles) == set(MemberRole)
    assert me.active and me.max_discount is None and me.max_total is None
    assert me.title == "Administrator"
    after = feed(store)
    assert after[: len(before)] == before
    assert after[len(before) :] == [(len(before) + 1, ROSTER, "MemberAdded")]
    (added,) = svc.members_log()
    assert isinstance(added, MemberAdded)
    assert added.version == 1
    assert added.member == me
    assert added.actor == Actor(name=me.name, role=Role.ADMIN, member=me.id)
    # Once only: another service on the store finds the member made.
    again = service(store)
    assert again.whoami() == me
    assert feed(store) == after


def test_the_first_action_makes_the_first_member_then_is_recorded_for_them(
    old: OldStore, store: EventStore
) -> None:
    before = feed(store)
    svc = service(store)
    deal = svc.accept("old-countered", REP)  # the buyer countered: the seller's turn
    assert deal.stage is Stage.TERMS_ACCEPTED
    n = len(before)
    assert feed(store)[n:] == [
        (n + 1, ROSTER, "MemberAdded"),
        (n + 2, "old-countered", "TermsAccepted"),
    ]
    accepted = svc.history("old-countered")[-1].actor
    assert (accepted.member, accepted.recorded_by) == (old.identity, None)
    # The earlier acts keep their plain actors.
    assert svc.history("old-countered")[:-1] == old.written["old-countered"]


def test_an_old_deal_goes_on_under_todays_rules(old: OldStore, store: EventStore) -> None:
    svc = service(store)
    me = svc.whoami().id
    # The old deal has no recorded owner or offer maker: nothing keeps the first member from
    # approving it, but the approval now names them.
    approved = svc.approve("old-pending", MANAGER)
    assert approved.stage is Stage.AWAITING_SIGNATURES
    assert approved.approvals[-1].member == me
    if store.login is None:  # a second person on the embedded store, without the role
        svc.add_member(dealflow.Member(id="rina", name="Rina", title="Sales", roles=("seller",)))
        with pytest.raises(dealflow.NotPermittedError, match=r"rina .* does not hold the service"):
            svc.acting_as("rina").start_service("old-signed", Actor(name="x", role=Role.SERVICE))
    started = svc.start_service("old-signed", Actor(name="x", role=Role.SERVICE))
    assert started.stage is Stage.IN_SERVICE
    assert svc.history("old-signed")[-1].actor.member == me


def test_the_first_member_can_be_named_on_the_embedded_store(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    old = _sqlite(tmp_path, request)  # on PostgreSQL the database login is the first member
    store = old.reopen()
    svc = service(store, member="siti.r")
    made = svc.first_member(name="Siti Rahayu", title="Head of Sales")
    assert (made.id, made.name, made.title) == ("siti.r", "Siti Rahayu", "Head of Sales")
    assert set(made.roles) == set(MemberRole)
    # Only the first: the system login is not a member until an admin adds it.
    with pytest.raises(dealflow.NotPermittedError, match=f"{TEST_USER} is not a member"):
        service(store).whoami()
    store.close()


def test_postgresql_migrates_the_old_store_and_names_the_login_of_new_events_only(
    tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    import psycopg

    old = _postgres(tmp_path, request)
    store = old.reopen()
    service(store).withdraw("old-countered", REP)
    store.close()
    with psycopg.connect(request.getfixturevalue("postgres_url")) as db:
        version = db.execute("SELECT value FROM dealflow_meta WHERE key = 'schema_version'")
        assert version.fetchone() == ("5",)
        logins = db.execute(
            "SELECT deal_id, type, recorded_by FROM events ORDER BY position"
        ).fetchall()
        members = db.execute("SELECT id, login, roles, active FROM members").fetchall()
    recorded = sum(len(events) for events in old.written.values())
    assert all(login is None for _, _, login in logins[:recorded])
    assert logins[recorded:] == [
        (ROSTER, "MemberAdded", old.identity),
        ("old-countered", "DealWithdrawn", old.identity),
    ]
    assert members == [(old.identity, old.identity, [r.value for r in MemberRole], True)]
