"""On PostgreSQL the database itself holds the rights: each member of the team logs in with a
login of their own, and a login that bypasses dealflow (psql, a script with the rep's
credentials) cannot append an event its member may not record.

The store's owner (the test server's login) makes the store and its first member, creates a
login for a sales rep and one for a manager with the grants the README gives, and adds them to
the roster. Then each acts through dealflow, and tries raw INSERTs with psycopg.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import pytest

import dealflow
from dealflow.application.demo import sample_deal_spec
from tests.conftest import BUYER, SELLER, START


@dataclass(frozen=True)
class Team:
    owner: str  # the store owner's URL
    rep: str  # the rep's URL (login rep_*)
    manager: str  # the manager's URL (login mgr_*)
    schema: str


def _as_login(url: str, login: str) -> str:
    parts = urlsplit(url)
    host = parts.netloc.split("@", 1)[-1]
    return urlunsplit(parts._replace(netloc=f"{login}@{host}"))


#: The grants a store's owner gives each member's login (the README says the same).
GRANTS = """
GRANT USAGE ON SCHEMA {schema} TO {login};
GRANT SELECT, INSERT ON {schema}.events, {schema}.artifacts TO {login};
GRANT SELECT, INSERT, UPDATE ON {schema}.deals, {schema}.dealflow_feed TO {login};
GRANT SELECT ON {schema}.dealflow_meta, {schema}.members TO {login};
"""


@pytest.fixture
def team(postgres_url: str) -> Iterator[Team]:
    import psycopg

    schema = postgres_url.rsplit("search_path%3D", 1)[1]
    suffix = uuid.uuid4().hex[:8]
    rep, manager = f"rep_{suffix}", f"mgr_{suffix}"
    owner = dealflow.connect(postgres_url, clock=dealflow.FixedClock(START))
    admin = owner.whoami()  # the store's first member: the owner's login, an admin
    with psycopg.connect(postgres_url, autocommit=True) as db:
        for login in (rep, manager):
            db.execute(f"CREATE ROLE {login} LOGIN")
            db.execute(GRANTS.format(schema=schema, login=login))
    owner.add_member(
        dealflow.Member(id="rep", name="Budi Santoso", title="Sales", roles=("seller",), login=rep)
    )
    owner.add_member(
        dealflow.Member(
            id="mgr", name="Maya", title="Manager", roles=("manager",), login=manager,
            max_discount="20%",
        )
    )  # fmt: skip
    assert admin.holds("admin")
    owner.close()
    yield Team(postgres_url, _as_login(postgres_url, rep), _as_login(postgres_url, manager), schema)
    with psycopg.connect(postgres_url, autocommit=True) as db:
        for login in (rep, manager):
            db.execute(f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {login}")
            db.execute(f"REVOKE USAGE ON SCHEMA {schema} FROM {login}")
            db.execute(f"DROP ROLE {login}")


def _pending_approval(team: Team, discount: str) -> str:
    """A deal the rep takes to pending_approval (a manager must approve the discount)."""
    rep = dealflow.connect(team.rep, clock=dealflow.FixedClock(START))
    deal_id = rep.open_deal(sample_deal_spec()).id
    rep.present(deal_id, SELLER)
    rep.offer(deal_id, SELLER, dealflow.TermsChange(discount=dealflow.Discount.parse(discount)))
    rep.accept(deal_id, BUYER)
    assert rep.agree(deal_id, SELLER).stage is dealflow.Stage.PENDING_APPROVAL
    rep.close()
    return deal_id


def _raw_approval(url: str, deal_id: str, member: str, role: str = "manager") -> None:
    """An approval INSERTed by hand, as a script with this login's credentials would."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as db:
        (version, data) = db.execute(
            "SELECT version, data FROM events WHERE deal_id = %s ORDER BY version DESC LIMIT 1",
            (deal_id,),
        ).fetchone()
        agreed = json.loads(data)
        event = {
            "type": "ApprovalGranted",
            "deal_id": deal_id,
            "version": version + 1,
            "occurred_at": "2026-11-02T10:00:00Z",
            "actor": {"name": "Anyone", "role": role, "member": member},
            "stage": "awaiting_signatures",
            "terms_hash": agreed["terms_hash"],
        }
        db.execute(
            "WITH counter AS (UPDATE dealflow_feed SET last = last + 1 WHERE id = 1 "
            "RETURNING last) INSERT INTO events (deal_id, version, type, occurred_at, data, "
            "position) SELECT %s, %s, 'ApprovalGranted', now(), %s, counter.last FROM counter",
            (deal_id, version + 1, json.dumps(event)),
        )


def test_each_login_acts_as_its_own_member_and_the_database_names_it(team: Team) -> None:
    import psycopg

    deal_id = _pending_approval(team, "15%")
    manager = dealflow.connect(team.manager, clock=dealflow.FixedClock(START))
    assert manager.whoami().id == "mgr"
    deal = manager.approve(deal_id, dealflow.Actor(name="-", role="manager"))
    assert deal.stage is dealflow.Stage.AWAITING_SIGNATURES
    assert deal.approvals[-1].member == "mgr"
    manager.close()
    with psycopg.connect(team.owner) as db:
        logins = db.execute(
            "SELECT type, recorded_by FROM events WHERE deal_id = %s ORDER BY version", (deal_id,)
        ).fetchall()
    rep_login, manager_login = urlsplit(team.rep).username, urlsplit(team.manager).username
    assert logins[-1] == ("ApprovalGranted", manager_login)
    assert {login for _, login in logins[:-1]} == {rep_login}  # filled by the database


def test_a_login_cannot_claim_another_member(team: Team) -> None:
    claimed = dealflow.connect(team.rep, member="mgr")
    with pytest.raises(dealflow.NotPermittedError, match="it cannot act as mgr"):
        claimed.whoami()
    with pytest.raises(dealflow.NotPermittedError, match="it cannot act as mgr"):
        claimed.open_deal(sample_deal_spec())
    assert claimed.store.deal_ids() == []
    claimed.close()


def test_a_reps_raw_insert_of_an_approval_is_refused_by_the_database(team: Team) -> None:
    import psycopg

    deal_id = _pending_approval(team, "15%")
    for member in ("rep", "mgr"):  # without the role, or naming the manager
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match="dealflow: rep"):
            _raw_approval(team.rep, deal_id, member)
    # Nor can the rep make themselves a manager, on the roster or in its read model.
    rep = dealflow.connect(team.rep)
    with pytest.raises(dealflow.NotPermittedError, match="admin"):
        rep.update_member("rep", roles=("seller", "manager"))
    rep.close()
    with psycopg.connect(team.rep, autocommit=True) as db, pytest.raises(psycopg.Error):
        db.execute("UPDATE members SET roles = '{seller,manager}' WHERE id = 'rep'")
    owner = dealflow.connect(team.owner)
    assert owner.get(deal_id).stage is dealflow.Stage.PENDING_APPROVAL
    owner.close()


def test_the_database_holds_the_approval_limits_and_separation_of_duties(team: Team) -> None:
    import psycopg

    deal_id = _pending_approval(team, "25%")  # above the manager's 20%
    manager = dealflow.connect(team.manager)
    with pytest.raises(dealflow.NotPermittedError, match="mgr may approve a discount up to 20%"):
        manager.approve(deal_id, dealflow.Actor(name="-", role="manager"))
    manager.close()
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="may not approve a discount"):
        _raw_approval(team.manager, deal_id, "mgr")
    # The owner's login holds every role, but opened none of these deals; the rep opened it.
    owner_deal = dealflow.connect(team.owner, clock=dealflow.FixedClock(START))
    mine = owner_deal.open_deal(sample_deal_spec()).id
    owner_deal.present(mine, SELLER)
    owner_deal.offer(mine, SELLER, dealflow.TermsChange(discount=dealflow.Discount.parse("15%")))
    owner_deal.accept(mine, BUYER)
    owner_deal.agree(mine, SELLER)
    owner_id = owner_deal.whoami().id
    owner_deal.close()
    with pytest.raises(psycopg.errors.InsufficientPrivilege, match="owns deal"):
        _raw_approval(team.owner, mine, owner_id)


def _raw_interaction(url: str, deal_id: str, identified: str) -> None:
    """The rep's own act, inserted by hand, saying how its member was identified."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as db:
        (version,) = db.execute(
            "SELECT max(version) FROM events WHERE deal_id = %s", (deal_id,)
        ).fetchone()
        event = {
            "type": "InteractionLogged",
            "deal_id": deal_id,
            "version": version + 1,
            "occurred_at": "2026-11-02T10:00:00Z",
            "actor": {"name": "Rep", "role": "seller", "member": "rep", "identified": identified},
            "stage": "pending_approval",
            "channel": "phone",
            "kind": "contact",
            "note": "called",
        }
        db.execute(
            "WITH counter AS (UPDATE dealflow_feed SET last = last + 1 WHERE id = 1 "
            "RETURNING last) INSERT INTO events (deal_id, version, type, occurred_at, data, "
            "position) SELECT %s, %s, 'InteractionLogged', now(), %s, counter.last FROM counter",
            (deal_id, version + 1, json.dumps(event)),
        )


def test_on_postgresql_an_event_cannot_claim_another_way_of_identifying_its_member(
    team: Team,
) -> None:
    import psycopg

    deal_id = _pending_approval(team, "15%")
    for claimed in ("os-login", "named"):
        with pytest.raises(psycopg.errors.InsufficientPrivilege, match=f"identified by {claimed}"):
            _raw_interaction(team.rep, deal_id, claimed)
    _raw_interaction(team.rep, deal_id, "database-login")
    rep = dealflow.connect(team.rep)
    logged = rep.history(deal_id)[-1]
    assert logged.actor.identified is dealflow.Identified.DATABASE_LOGIN
    # What the service records through the same login says so by itself.
    seller = dealflow.Actor(name="-", role="seller")
    rep.log_interaction(deal_id, seller, channel="email", kind="contact", note="sent")
    assert rep.history(deal_id)[-1].actor.identified is dealflow.Identified.DATABASE_LOGIN
    rep.close()
