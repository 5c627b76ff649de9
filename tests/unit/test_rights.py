"""Who may do what: every action in the rights table against every member role, the approval
limits, separation of duties, the roster's own rules, the buyer's acts a member records, and
the scans of wet-ink signatures.

The table runs on the memory, SQLite and PostgreSQL stores. On PostgreSQL one login is one
member, so there the acting member is the login's own, its roles cut down to ``admin`` and the
role under test (admin holds no deal role, so what it may do is the other role's); the cases
that need several people (separation of duties, someone else's limits, roster changes by a
non-admin) run on the memory and SQLite stores, and the database's own guard is tested with a
login per member in ``tests/contract/test_postgres_rights.py``.

A refused action appends nothing: neither the deal's history, nor the feed, nor the roster,
nor a kept file changes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from functools import partial
from pathlib import Path

import pytest

import dealflow
from dealflow import Actor, Identified, Member, MemberRole, Role, SellerPolicy, Stage, TermsChange
from dealflow.application.demo import sample_deal_spec
from dealflow.domain.events import ContractSigned
from dealflow.domain.members import fold_roster
from dealflow.domain.rights import RIGHTS
from dealflow.domain.scans import MAX_SCAN_BYTES
from dealflow.files.clauses import clause_standards
from dealflow.ports import EventStore
from tests.conftest import BUYER, LEGAL, MANAGER, SELLER, SERVICE, START, staffed
from tests.paths import CUSTOM, drive_to

SPEC = sample_deal_spec()
SYSTEM = Actor(name="dealflow", role=Role.SYSTEM)
PDF = b"%PDF-1.7\n% the signed page\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)
JPEG = b"\xff\xd8\xff\xe0" + bytes(64)


# Stores and services ------------------------------------------------------------------------


def _open_store(kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> EventStore:
    if kind == "memory":
        return dealflow.MemoryEventStore()
    if kind == "sqlite":
        return dealflow.SQLiteEventStore(tmp_path / "deals.db")
    return dealflow.PostgresEventStore(request.getfixturevalue("postgres_url"))


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EventStore]:
    """Every store (a one-member store on PostgreSQL: one login is one member)."""
    opened = _open_store(request.param, tmp_path, request)
    yield opened
    opened.close()


@pytest.fixture(params=["memory", "sqlite"])
def team_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[EventStore]:
    """A store where one service may act as several members (not PostgreSQL's one login)."""
    opened = _open_store(request.param, tmp_path, request)
    yield opened
    opened.close()


def team(store: EventStore, policy: SellerPolicy | None = None) -> dealflow.DealService:
    """The service acting as budi on a store staffed with the conftest's TEAM."""
    return staffed(
        dealflow.DealService(store, dealflow.FixedClock(START), policy, clauses=clause_standards())
    )


def member(id: str, *roles: str, **limits: str) -> Member:
    return Member(id=id, name=id.replace("-", " ").title(), title="Staff", roles=roles, **limits)


@dataclass(frozen=True)
class Snapshot:
    """Everything an action could have written."""

    history: int
    feed: list[int]
    artifacts: list[str]
    roster: int


def snapshot(service: dealflow.DealService, deal_id: str | None = None) -> Snapshot:
    store = service.store
    return Snapshot(
        history=len(store.load(deal_id)) if deal_id else 0,
        feed=[position for position, _ in store.feed(0, 1_000_000)],
        artifacts=store.artifacts(deal_id) if deal_id else [],
        roster=len(service.members_log()),
    )


def refused(
    service: dealflow.DealService,
    deal_id: str | None,
    attempt: Callable[[], object],
    says: str,
) -> dealflow.NotPermittedError:
    """Run ``attempt``; it must raise NotPermittedError saying ``says`` and write nothing."""
    before = snapshot(service, deal_id)
    with pytest.raises(dealflow.NotPermittedError) as caught:
        attempt()
    assert says in str(caught.value)
    assert isinstance(caught.value, PermissionError)
    assert isinstance(caught.value, dealflow.ActionRefusedError)
    assert snapshot(service, deal_id) == before
    return caught.value


# Setups: a deal where the action is the next one the lifecycle allows -------------------------


def at(stage: Stage) -> Callable[[dealflow.DealService], str]:
    return lambda s: drive_to(s, SPEC, stage)


def _for_manager(s: dealflow.DealService) -> str:
    """A deal pending a manager's approval (a 15% discount, above a prospect's 10%)."""
    deal_id = s.open_deal(SPEC).id
    s.present(deal_id, SELLER)
    s.offer(deal_id, SELLER, TermsChange(discount=dealflow.Discount.parse("15%")))
    s.accept(deal_id, BUYER)
    deal = s.agree(deal_id, SELLER)
    assert deal.approvals_pending == (Role.MANAGER,)
    return deal_id


def _for_legal(s: dealflow.DealService) -> str:
    deal_id = drive_to(s, SPEC, Stage.PENDING_APPROVAL)
    assert s.get(deal_id).approvals_pending == (Role.LEGAL,)
    return deal_id


def _lapsed(s: dealflow.DealService) -> str:
    deal_id = drive_to(s, SPEC, Stage.OFFERED)
    s.clock.advance(timedelta(days=30))  # type: ignore[attr-defined]
    return deal_id


def _with_complaint(s: dealflow.DealService) -> str:
    deal_id = drive_to(s, SPEC, Stage.SIGNED)
    s.open_claim(deal_id, BUYER, kind="complaint", note="The conveyor is noisy")
    return deal_id


def _expire(s: dealflow.DealService, deal_id: str) -> object:
    assert s.expire_due() == [deal_id]
    return None


SetUp = Callable[[dealflow.DealService], str]
Act = Callable[[dealflow.DealService, str, Actor], object]
_CHANGE = TermsChange(discount=dealflow.Discount.parse("6%"))

#: For each action of the rights table and each role that may take it: a deal in the stage
#: where the action is due, and the action itself.
HOW: dict[tuple[str, Role], tuple[SetUp, Act]] = {
    ("present", Role.SELLER): (at(Stage.DRAFT), lambda s, i, a: s.present(i, a)),
    ("offer", Role.SELLER): (at(Stage.PRESENTED), lambda s, i, a: s.offer(i, a, _CHANGE)),
    ("counter", Role.BUYER): (at(Stage.OFFERED), lambda s, i, a: s.counter(i, a, _CHANGE)),
    ("counter", Role.SELLER): (at(Stage.NEGOTIATING), lambda s, i, a: s.counter(i, a, _CHANGE)),
    ("accept", Role.BUYER): (at(Stage.OFFERED), lambda s, i, a: s.accept(i, a)),
    ("accept", Role.SELLER): (at(Stage.NEGOTIATING), lambda s, i, a: s.accept(i, a)),
    ("reject", Role.BUYER): (at(Stage.OFFERED), lambda s, i, a: s.reject(i, a, "too dear")),
    ("reject", Role.SELLER): (at(Stage.NEGOTIATING), lambda s, i, a: s.reject(i, a, "no")),
    ("expire", Role.SYSTEM): (_lapsed, lambda s, i, a: _expire(s, i)),
    ("withdraw", Role.SELLER): (at(Stage.PRESENTED), lambda s, i, a: s.withdraw(i, a, "stock")),
    ("propose_special", Role.BUYER): (
        at(Stage.TERMS_ACCEPTED),
        lambda s, i, a: s.propose_special(i, a, CUSTOM),
    ),
    ("propose_special", Role.SELLER): (
        at(Stage.TERMS_ACCEPTED),
        lambda s, i, a: s.propose_special(i, a, CUSTOM),
    ),
    ("revise_special", Role.BUYER): (
        at(Stage.SPECIAL_AGREEMENT),
        lambda s, i, a: s.revise_special(i, a, dealflow.SpecialTerms(purpose="Plant 3")),
    ),
    ("revise_special", Role.SELLER): (
        at(Stage.SPECIAL_AGREEMENT),
        lambda s, i, a: s.revise_special(i, a, dealflow.SpecialTerms(purpose="Plant 3")),
    ),
    ("agree", Role.BUYER): (at(Stage.TERMS_ACCEPTED), lambda s, i, a: s.agree(i, a)),
    ("agree", Role.SELLER): (at(Stage.TERMS_ACCEPTED), lambda s, i, a: s.agree(i, a)),
    ("approve", Role.MANAGER): (_for_manager, lambda s, i, a: s.approve(i, a, "fine")),
    ("approve", Role.LEGAL): (_for_legal, lambda s, i, a: s.approve(i, a, "fine")),
    ("decline", Role.MANAGER): (_for_manager, lambda s, i, a: s.decline(i, a, "too low")),
    ("decline", Role.LEGAL): (_for_legal, lambda s, i, a: s.decline(i, a, "clause")),
    ("sign", Role.SELLER): (at(Stage.AWAITING_SIGNATURES), lambda s, i, a: s.sign(i, a)),
    ("sign", Role.BUYER): (
        at(Stage.AWAITING_SIGNATURES),
        lambda s, i, a: s.sign(i, a, title="Procurement Manager"),
    ),
    ("start_service", Role.SELLER): (at(Stage.SIGNED), lambda s, i, a: s.start_service(i, a)),
    ("start_service", Role.SERVICE): (at(Stage.SIGNED), lambda s, i, a: s.start_service(i, a)),
    ("amend", Role.BUYER): (
        at(Stage.IN_SERVICE),
        lambda s, i, a: s.amend(i, a, TermsChange(payment_days=60), reason="scope"),
    ),
    ("amend", Role.SELLER): (
        at(Stage.IN_SERVICE),
        lambda s, i, a: s.amend(i, a, TermsChange(payment_days=60), reason="scope"),
    ),
    ("complete", Role.SELLER): (at(Stage.IN_SERVICE), lambda s, i, a: s.complete(i, a)),
    ("complete", Role.SERVICE): (at(Stage.IN_SERVICE), lambda s, i, a: s.complete(i, a)),
    **{
        ("log", role): (
            at(Stage.OFFERED),
            lambda s, i, a: s.log_interaction(i, a, channel="phone", kind="contact", note="hi"),
        )
        for role in (Role.SELLER, Role.BUYER, Role.MANAGER, Role.LEGAL, Role.SERVICE)
    },
    **{
        ("claim", role): (
            at(Stage.SIGNED),
            lambda s, i, a: s.open_claim(i, a, kind="complaint", note="Noisy"),
        )
        for role in (Role.SELLER, Role.BUYER, Role.MANAGER, Role.LEGAL, Role.SERVICE)
    },
    **{
        ("respond", role): (
            _with_complaint,
            lambda s, i, a: s.respond_claim(i, "complaint-1", a, "Technician booked"),
        )
        for role in (Role.SELLER, Role.SERVICE, Role.MANAGER)
    },
    **{
        ("resolve", role): (
            _with_complaint,
            lambda s, i, a: s.resolve_claim(i, "complaint-1", a, "Bearing replaced"),
        )
        for role in (Role.SELLER, Role.SERVICE, Role.MANAGER)
    },
    **{
        ("fulfil", role): (
            at(Stage.IN_SERVICE),
            lambda s, i, a: s.fulfil(i, "installation-1", a, note="Commissioned"),
        )
        for role in (Role.SELLER, Role.SERVICE, Role.MANAGER)
    },
    **{
        ("waive", role): (
            at(Stage.IN_SERVICE),
            lambda s, i, a: s.waive(i, "training-1", a, reason="Own staff"),
        )
        for role in (Role.MANAGER, Role.LEGAL)
    },
}
ACTORS = {
    Role.SELLER: SELLER,
    Role.BUYER: BUYER.model_copy(update={"channel": dealflow.Via.MEETING}),
    Role.MANAGER: MANAGER,
    Role.LEGAL: LEGAL,
    Role.SERVICE: SERVICE,
    Role.SYSTEM: SYSTEM,
}
PAIRS = sorted(HOW, key=lambda pair: ([r.action for r in RIGHTS].index(pair[0]), pair[1].value))


def test_the_table_covers_every_action_and_every_role_that_may_take_it() -> None:
    assert set(HOW) == {(right.action, role) for right in RIGHTS for role in right.roles}


def needed(role: Role) -> MemberRole | None:
    """The member role that lets a member take an action in this actor role (a buyer's act is
    recorded by a seller; the engine's own acts by any active member)."""
    if role is Role.SYSTEM:
        return None
    return MemberRole.SELLER if role is Role.BUYER else MemberRole(role.value)


def one_role(service: dealflow.DealService, role: MemberRole) -> dealflow.DealService:
    """The service acting as a member who holds ``role`` and no other deal role.

    On the team's store: a new member ``only-<role>``. On PostgreSQL the login's own member,
    its roles cut to ``admin`` and ``role`` (admin takes no deal action)."""
    if service.store.login is None:
        service.add_member(member(f"only-{role.value}", role.value))
        return service.acting_as(f"only-{role.value}")
    me = service.whoami()
    service.update_member(me.id, roles=tuple({MemberRole.ADMIN, role}))
    return service


@pytest.mark.parametrize("role", list(MemberRole), ids=lambda r: f"by-{r.value}")
@pytest.mark.parametrize("pair", PAIRS, ids=lambda p: f"{p[0]}-as-{p[1].value}")
def test_an_action_is_recorded_only_for_a_member_holding_its_role(
    store: EventStore, pair: tuple[str, Role], role: MemberRole
) -> None:
    action, as_role = pair
    set_up, act = HOW[pair]
    service = team(store)
    deal_id = set_up(service)
    acting = one_role(service, role)
    me = acting.whoami().id
    before = snapshot(service, deal_id)
    if needed(as_role) in (None, role):
        act(acting, deal_id, ACTORS[as_role])
        new = service.history(deal_id)[before.history :]
        assert new, f"{action} recorded nothing"
        held = acting.whoami()
        for event in new:
            actor = event.actor
            if actor.role is Role.SYSTEM:
                assert actor.member is None and actor.recorded_by is None
            elif actor.role is Role.BUYER:
                assert (actor.recorded_by, actor.member) == (me, None)
                assert held.holds(MemberRole.SELLER)
            else:
                assert (actor.member, actor.recorded_by) == (me, None)
                assert held.holds(actor.role.value)
    else:
        want = needed(as_role)
        assert want is not None
        error = refused(
            service,
            deal_id,
            lambda: act(acting, deal_id, ACTORS[as_role]),
            f"{me} ({acting.whoami().name}) does not hold the {want.value} role",
        )
        assert f"{want.value} here: " in str(error)


def test_a_member_without_the_seller_role_cannot_open_a_deal(team_store: EventStore) -> None:
    service = team(team_store)
    before = snapshot(service)
    with pytest.raises(dealflow.NotPermittedError, match=r"maya .* does not hold the seller"):
        service.acting_as("maya").open_deal(SPEC)
    assert snapshot(service) == before
    assert service.deals() == []


def test_refusal_names_who_holds_the_role(team_store: EventStore) -> None:
    service = team(team_store)
    service.add_member(member("rina", "seller"))
    deal_id = drive_to(service, SPEC, Stage.OFFERED)
    error = refused(
        service,
        deal_id,
        lambda: service.acting_as("lukas").accept(deal_id, BUYER),
        "lukas (Lukas Legal) does not hold the seller role needed to record the buyer's acts",
    )
    assert str(error).endswith("seller here: budi (Budi Santoso), rina (Rina)")


# Identity: not a member, inactive ------------------------------------------------------------


def test_someone_not_on_the_roster_can_do_nothing(store: EventStore) -> None:
    service = team(store)
    deal_id = drive_to(service, SPEC, Stage.OFFERED)
    if store.login is None:
        stranger = service.acting_as("nobody")
        says = "nobody is not a member of this store; an admin adds them"
    else:  # the login is the identity: another member cannot be claimed
        stranger = service.acting_as("nobody")
        says = "it cannot act as nobody"
    refused(service, deal_id, lambda: stranger.accept(deal_id, BUYER), says)
    refused(service, deal_id, lambda: stranger.withdraw(deal_id, SELLER), says)
    refused(service, None, lambda: stranger.open_deal(SPEC), says)
    refused(service, None, stranger.whoami, says)
    refused(service, None, lambda: stranger.add_member(member("eve", "admin")), says)


def test_connect_as_a_stranger_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'deals.db'}"
    owner = staffed(dealflow.connect(url, clock=dealflow.FixedClock(START)))
    deal_id = owner.open_deal(SPEC).id
    stranger = dealflow.connect(url, clock=dealflow.FixedClock(START), member="nobody")
    refused(owner, deal_id, lambda: stranger.present(deal_id, SELLER), "nobody is not a member")
    stranger.close()
    owner.close()


def test_an_inactive_member_can_do_nothing_until_an_admin_brings_them_back(
    team_store: EventStore,
) -> None:
    service = team(team_store)
    service.add_member(member("rina", "seller"))
    deal_id = drive_to(service, SPEC, Stage.OFFERED)
    deactivated = service.deactivate_member("rina")
    assert not deactivated.active
    rina = service.acting_as("rina")
    says = "rina (Rina) is no longer an active member"
    refused(service, deal_id, lambda: rina.accept(deal_id, BUYER), says)
    refused(service, None, lambda: rina.open_deal(SPEC), says)
    refused(service, None, rina.whoami, says)
    # Deactivating again changes nothing and records nothing.
    log = len(service.members_log())
    assert service.deactivate_member("rina") == deactivated
    assert len(service.members_log()) == log
    service.update_member("rina", active=True)
    rina.accept(deal_id, BUYER)  # the same service that was refused: it reads the roster again
    assert service.history(deal_id)[-1].actor.recorded_by == "rina"


def test_a_member_brought_back_by_another_service_may_act_at_once(tmp_path: Path) -> None:
    path = tmp_path / "deals.db"
    admin = team(dealflow.SQLiteEventStore(path))
    admin.add_member(member("rina", "seller"))
    rina = dealflow.DealService(
        dealflow.SQLiteEventStore(path), dealflow.FixedClock(START), member="rina"
    )
    deal_id = rina.open_deal(SPEC).id
    admin.deactivate_member("rina")
    refused(admin, deal_id, lambda: rina.present(deal_id, SELLER), "no longer an active member")
    admin.update_member("rina", active=True)
    try:
        assert rina.present(deal_id, SELLER).stage is Stage.PRESENTED
    finally:
        rina.close()
        admin.close()


def test_an_act_carries_the_members_name_as_the_roster_has_it_now(tmp_path: Path) -> None:
    path = tmp_path / "deals.db"
    admin = team(dealflow.SQLiteEventStore(path))
    admin.add_member(member("rina", "seller"))
    rina = dealflow.DealService(
        dealflow.SQLiteEventStore(path), dealflow.FixedClock(START), member="rina"
    )
    deal_id = rina.open_deal(SPEC).id
    admin.update_member("rina", name="Rina Kusuma")
    try:
        rina.present(deal_id, SELLER)
        assert rina.history(deal_id)[-1].actor.name == "Rina Kusuma"
    finally:
        rina.close()
        admin.close()


def test_a_deactivated_members_past_acts_stay_theirs(team_store: EventStore) -> None:
    service = team(team_store)
    service.add_member(member("rina", "seller"))
    rina = service.acting_as("rina")
    deal_id = rina.open_deal(SPEC).id
    rina.present(deal_id, SELLER)
    service.deactivate_member("rina")
    assert [e.actor.member for e in service.history(deal_id)] == ["rina", "rina"]
    assert service.get(deal_id).owner == "rina"


# Approvals: limits ----------------------------------------------------------------------------


def _pending(service: dealflow.DealService, discount: str, special: bool = False) -> str:
    """budi opens, offers ``discount``, the buyer accepts, budi agrees: pending approval."""
    deal_id = service.open_deal(SPEC).id
    service.present(deal_id, SELLER)
    service.offer(deal_id, SELLER, TermsChange(discount=dealflow.Discount.parse(discount)))
    service.accept(deal_id, BUYER)
    if special:
        service.propose_special(deal_id, BUYER, CUSTOM)
    deal = service.agree(deal_id, SELLER)
    assert deal.stage is Stage.PENDING_APPROVAL
    return deal_id


def test_a_manager_may_not_approve_a_discount_above_their_limit_and_hears_who_may(
    team_store: EventStore,
) -> None:
    service = team(team_store)
    service.update_member("maya", max_discount="12%")
    service.add_member(member("arif", "manager", max_discount="15%"))
    service.add_member(member("dewi", "manager", max_discount="14.99%"))
    service.add_member(member("joko", "manager"))
    deal_id = _pending(service, "15%")
    error = refused(
        service,
        deal_id,
        lambda: service.acting_as("maya").approve(deal_id, MANAGER),
        "maya may approve a discount up to 12%; this deal has a discount of 15%",
    )
    # Who may: managers whose limits cover it (15% itself is within "up to 15%"), by id.
    assert str(error).endswith("who may approve it: arif (Arif), joko (Joko)")
    refused(
        service,
        deal_id,
        lambda: service.acting_as("dewi").approve(deal_id, MANAGER),
        "dewi may approve a discount up to 14.99%",
    )
    deal = service.acting_as("arif").approve(deal_id, MANAGER)
    assert deal.stage is Stage.AWAITING_SIGNATURES
    assert deal.approvals[-1].member == "arif"


def test_a_manager_may_not_approve_a_total_above_their_limit(team_store: EventStore) -> None:
    service = team(team_store)
    deal_id = _pending(service, "15%")
    net = service.get(deal_id).terms.totals.net.amount
    service.update_member("maya", max_total=str(net - 1))
    service.add_member(member("arif", "manager", max_total=str(net)))
    error = refused(
        service,
        deal_id,
        lambda: service.acting_as("maya").approve(deal_id, MANAGER),
        f"maya may approve a total up to {net - 1:,f}; this deal has a discount of 15% and a "
        f"total of {net:,f}",
    )
    assert str(error).endswith("who may approve it: arif (Arif)")
    assert service.acting_as("arif").approve(deal_id, MANAGER).approvals[-1].member == "arif"


def test_both_limits_must_cover_the_deal(team_store: EventStore) -> None:
    service = team(team_store)
    deal_id = _pending(service, "15%")
    net = service.get(deal_id).terms.totals.net.amount
    service.update_member("maya", max_discount="20%", max_total=str(net / 2))
    refused(
        service,
        deal_id,
        lambda: service.acting_as("maya").approve(deal_id, MANAGER),
        f"maya may approve a discount up to 20% and a total up to {net / 2:,f}",
    )


def test_when_nobody_may_approve_the_message_says_so(team_store: EventStore) -> None:
    service = team(team_store)
    service.update_member("maya", max_discount="5%")
    deal_id = _pending(service, "15%")
    error = refused(
        service,
        deal_id,
        lambda: service.acting_as("maya").approve(deal_id, MANAGER),
        "maya may approve a discount up to 5%",
    )
    assert "who may approve it: nobody yet" in str(error)


def test_the_list_of_who_may_approve_leaves_out_those_kept_out_by_separation_of_duties(
    team_store: EventStore,
) -> None:
    service = team(team_store)
    # budi owns the deal: give him the manager role (no limits); he is still not named.
    service.update_member("budi", roles=("seller", "service", "admin", "manager"))
    service.update_member("maya", max_discount="10%")
    service.add_member(member("old-boss", "manager"))
    service.deactivate_member("old-boss")
    deal_id = _pending(service, "15%")
    error = refused(
        service,
        deal_id,
        lambda: service.acting_as("maya").approve(deal_id, MANAGER),
        "maya may approve a discount up to 10%",
    )
    assert "who may approve it: nobody yet" in str(error)


def test_limits_do_not_hold_back_declining(team_store: EventStore) -> None:
    service = team(team_store)
    service.update_member("maya", max_discount="1%")
    deal_id = _pending(service, "15%")
    deal = service.acting_as("maya").decline(deal_id, MANAGER, "too low")
    assert deal.stage is Stage.NEGOTIATING


def test_limits_can_be_removed(team_store: EventStore) -> None:
    service = team(team_store)
    service.update_member("maya", max_discount="1%", max_total="1")
    assert service.roster.get("maya").limits == "a discount up to 1% and a total up to 1"  # type: ignore[union-attr]
    service.update_member("maya", max_discount=None, max_total=None)
    assert service.roster.get("maya").limits == "no limit"  # type: ignore[union-attr]
    deal_id = _pending(service, "15%")
    assert service.acting_as("maya").approve(deal_id, MANAGER).approvals[-1].member == "maya"


# Approvals: separation of duties --------------------------------------------------------------


def test_the_member_who_owns_the_deal_cannot_approve_it(team_store: EventStore) -> None:
    service = team(team_store)
    service.add_member(member("rina", "seller", "manager"))
    rina = service.acting_as("rina")
    deal_id = rina.open_deal(SPEC).id
    service.present(deal_id, SELLER)
    service.offer(deal_id, SELLER, TermsChange(discount=dealflow.Discount.parse("15%")))
    service.accept(deal_id, BUYER)
    service.agree(deal_id, SELLER)
    assert service.get(deal_id).owner == "rina"
    refused(
        service,
        deal_id,
        lambda: rina.approve(deal_id, MANAGER),
        "rina owns this deal and cannot approve it (separation of duties; the policy's "
        "approvals.separation_of_duties)",
    )
    assert service.acting_as("maya").approve(deal_id, MANAGER).stage is Stage.AWAITING_SIGNATURES


def test_the_member_who_made_the_latest_seller_offer_cannot_approve_it(
    team_store: EventStore,
) -> None:
    service = team(team_store)
    service.add_member(member("rina", "seller", "manager"))
    rina = service.acting_as("rina")
    deal_id = service.open_deal(SPEC).id
    service.present(deal_id, SELLER)
    rina.offer(deal_id, SELLER, TermsChange(discount=dealflow.Discount.parse("15%")))
    service.accept(deal_id, BUYER)
    service.agree(deal_id, SELLER)
    assert service.get(deal_id).seller_offer_by == "rina"
    refused(
        service,
        deal_id,
        lambda: rina.approve(deal_id, MANAGER),
        "rina made the latest seller offer and cannot approve it (separation of duties",
    )


def test_only_the_latest_seller_offer_keeps_its_maker_out(team_store: EventStore) -> None:
    service = team(team_store)
    service.add_member(member("rina", "seller", "manager"))
    rina = service.acting_as("rina")
    deal_id = service.open_deal(SPEC).id
    service.present(deal_id, SELLER)
    rina.offer(deal_id, SELLER, TermsChange(discount=dealflow.Discount.parse("12%")))
    service.counter(deal_id, BUYER, TermsChange(discount=dealflow.Discount.parse("18%")))
    service.counter(deal_id, SELLER, TermsChange(discount=dealflow.Discount.parse("15%")))
    service.accept(deal_id, BUYER)
    service.agree(deal_id, SELLER)
    assert service.get(deal_id).seller_offer_by == "budi"
    assert rina.approve(deal_id, MANAGER).approvals[-1].member == "rina"


def test_one_person_cannot_approve_the_same_terms_as_manager_and_legal(
    team_store: EventStore,
) -> None:
    service = team(team_store)
    service.add_member(member("ratna", "manager", "legal"))
    deal_id = _pending(service, "15%", special=True)
    assert set(service.get(deal_id).approvals_pending) == {Role.MANAGER, Role.LEGAL}
    ratna = service.acting_as("ratna")
    ratna.approve(deal_id, MANAGER)
    refused(
        service,
        deal_id,
        lambda: ratna.approve(deal_id, LEGAL),
        "ratna already approved these terms as manager and cannot approve it",
    )
    deal = service.acting_as("lukas").approve(deal_id, LEGAL)
    assert deal.stage is Stage.AWAITING_SIGNATURES
    assert {(a.role, a.member) for a in deal.approvals} == {
        (Role.MANAGER, "ratna"),
        (Role.LEGAL, "lukas"),
    }


def test_separation_of_duties_keeps_a_one_person_store_from_approving_its_own_deal(
    tmp_path: Path,
) -> None:
    solo = dealflow.DealService(
        dealflow.SQLiteEventStore(tmp_path / "deals.db"),
        dealflow.FixedClock(START),
        clauses=clause_standards(),
        member="solo",
    )
    assert set(solo.whoami().roles) == set(MemberRole)
    deal_id = _pending(solo, "15%", special=True)
    refused(solo, deal_id, lambda: solo.approve(deal_id, MANAGER), "solo owns this deal")
    solo.close()


def _policy_without_separation() -> SellerPolicy:
    policy = SellerPolicy()
    approvals = policy.approvals.model_copy(update={"separation_of_duties": False})
    return policy.model_copy(update={"approvals": approvals})


def test_with_separation_of_duties_off_a_one_person_store_approves_its_own_deal(
    store: EventStore,
) -> None:
    policy = _policy_without_separation()
    # The store's first member: solo, or on PostgreSQL the login (the identity there).
    who = "solo" if store.login is None else None
    solo = dealflow.DealService(
        store, dealflow.FixedClock(START), policy, clauses=clause_standards(), member=who
    )
    if store.login is not None:
        # PostgreSQL's own guard: the store's owner turns the rule off for the store.
        solo = staffed(solo)
    assert set(solo.whoami().roles) == set(MemberRole)
    deal_id = _pending(solo, "15%", special=True)
    solo.approve(deal_id, MANAGER)
    deal = solo.approve(deal_id, LEGAL)
    assert deal.stage is Stage.AWAITING_SIGNATURES
    me = solo.whoami().id
    assert {(a.role, a.member) for a in deal.approvals} == {
        (Role.MANAGER, me),
        (Role.LEGAL, me),
    }


def test_with_separation_of_duties_off_the_limits_still_hold(team_store: EventStore) -> None:
    service = team(team_store, _policy_without_separation())
    service.update_member("budi", roles=("seller", "admin", "manager"), max_discount="10%")
    deal_id = _pending(service, "15%")
    refused(
        service,
        deal_id,
        lambda: service.approve(deal_id, MANAGER),
        "budi may approve a discount up to 10%",
    )


# The roster's own rules ------------------------------------------------------------------------


def test_only_an_admin_changes_the_roster(team_store: EventStore) -> None:
    service = team(team_store)
    says = "does not hold the admin role needed to change the roster"
    changes: list[Callable[[dealflow.DealService, str], object]] = [
        lambda other, _: other.add_member(member("eve", "admin")),
        lambda other, _: other.update_member("budi", roles=("seller",)),
        lambda other, me: other.update_member(me, roles=("admin",)),
        lambda other, _: other.deactivate_member("budi"),
    ]
    for who in ("maya", "lukas", "desk"):
        for change in changes:
            refused(service, None, partial(change, service.acting_as(who), who), says)
    assert service.roster.get("eve") is None
    assert set(service.roster.get("maya").roles) == {MemberRole.MANAGER}  # type: ignore[union-attr]


def test_a_roster_change_that_changes_nothing_is_still_refused_to_a_non_admin(
    team_store: EventStore,
) -> None:
    service = team(team_store)
    service.add_member(member("rina", "seller"))
    service.deactivate_member("rina")
    says = "does not hold the admin role needed to change the roster"
    maya = service.acting_as("maya")
    refused(service, None, lambda: maya.update_member("maya", roles=("manager",)), says)
    refused(service, None, lambda: maya.deactivate_member("rina"), says)
    refused(service, None, lambda: service.acting_as("nobody").update_member("budi"), "nobody")


def test_the_last_active_admin_cannot_be_removed(team_store: EventStore) -> None:
    service = team(team_store)
    says = "budi is the last active admin; make another member admin first"
    refused(service, None, lambda: service.deactivate_member("budi"), says)
    refused(service, None, lambda: service.update_member("budi", active=False), says)
    refused(service, None, lambda: service.update_member("budi", roles=("seller",)), says)
    # With a second admin, either may go, but not both.
    service.add_member(member("ani", "admin"))
    service.deactivate_member("budi")
    ani = service.acting_as("ani")
    refused(
        service,
        None,
        lambda: ani.deactivate_member("ani"),
        "ani is the last active admin",
    )
    refused(service, None, lambda: ani.update_member("ani", roles=("manager",)), "last active")
    refused(
        service,
        None,
        lambda: service.add_member(member("x", "seller")),
        "is no longer an active member",
    )
    ani.update_member("budi", active=True)
    assert {m.id for m in service.roster.admins} == {"ani", "budi"}


def test_the_last_admin_cannot_remove_themselves_on_any_store(store: EventStore) -> None:
    service = team(store)
    me = service.whoami().id
    if store.login is None:
        # The team's admin is budi (the other members hold no admin role).
        assert me == "budi"
    says = f"{me} is the last active admin"
    refused(service, None, lambda: service.deactivate_member(me), says)
    refused(service, None, lambda: service.update_member(me, roles=("seller",)), says)


def test_roster_changes_are_refused_for_what_is_not_there_or_already_taken(
    team_store: EventStore,
) -> None:
    service = team(team_store)
    refused(service, None, lambda: service.add_member(member("maya", "seller")), "maya is already")
    refused(
        service,
        None,
        lambda: service.add_member(member("mia", "seller", login="maya")),
        "the login maya already acts as a member",
    )
    refused(service, None, lambda: service.update_member("ghost", name="G"), "ghost is not")
    refused(service, None, lambda: service.deactivate_member("ghost"), "ghost is not a member")


def test_every_roster_change_is_in_the_log_and_the_feed_and_folds_back(
    team_store: EventStore,
) -> None:
    service = team(team_store)
    service.update_member("maya", max_discount="25%")
    service.deactivate_member("desk")
    log = service.members_log()
    assert [type(e).__name__ for e in log] == [
        "MemberAdded",  # budi, the first member
        "MemberUpdated",  # budi's name, title and roles from the TEAM
        "MemberAdded",
        "MemberAdded",
        "MemberAdded",
        "MemberUpdated",
        "MemberDeactivated",
    ]
    assert [e.version for e in log] == list(range(1, len(log) + 1))
    assert all(e.actor.member == "budi" and e.actor.role is Role.ADMIN for e in log)
    assert fold_roster(log) == service.roster
    fed = [e for _, e in service.store.feed(0, 1000) if e.deal_id == "@roster"]
    assert fed == log


# The buyer's acts, recorded by a member -------------------------------------------------------


def test_a_buyers_act_names_the_member_who_recorded_it_and_the_channel(store: EventStore) -> None:
    service = team(store)
    me = service.whoami().id
    deal_id = drive_to(service, SPEC, Stage.OFFERED)
    by_email = Actor(name="Siti Rahmawati", role=Role.BUYER, channel="email")
    service.counter(deal_id, by_email, TermsChange(payment_days=45))
    event = service.history(deal_id)[-1]
    assert event.actor == Actor(
        name="Siti Rahmawati",
        role=Role.BUYER,
        recorded_by=me,
        channel=dealflow.Via.EMAIL,
        identified=Identified.NAMED if store.login is None else Identified.DATABASE_LOGIN,
    )
    assert event.actor.who.startswith(f"Siti Rahmawati (buyer, recorded by {me} ")
    assert event.actor.who.endswith(" email)")
    # Without a channel it says only who recorded it.
    service.counter(deal_id, SELLER, TermsChange(payment_days=40))
    service.accept(deal_id, BUYER)
    accepted = service.history(deal_id)[-1].actor
    assert (accepted.recorded_by, accepted.channel, accepted.member) == (me, None, None)


def test_an_actor_cannot_forge_who_recorded_or_took_an_act(team_store: EventStore) -> None:
    service = team(team_store)
    deal_id = drive_to(service, SPEC, Stage.DRAFT)
    how = Identified.NAMED if team_store.login is None else Identified.DATABASE_LOGIN
    forged = Identified.DATABASE_LOGIN if how is Identified.NAMED else Identified.OS_LOGIN
    forged_seller = Actor(name="Someone Else", role=Role.SELLER, member="maya", identified=forged)
    service.present(deal_id, forged_seller)
    presented = service.history(deal_id)[-1].actor
    assert presented == Actor(name="Budi Santoso", role=Role.SELLER, member="budi", identified=how)
    service.offer(deal_id, SELLER, _CHANGE)
    forged_buyer = Actor(
        name="Siti", role=Role.BUYER, recorded_by="maya", member="maya", identified=forged
    )
    service.accept(deal_id, forged_buyer)
    accepted = service.history(deal_id)[-1].actor
    assert accepted == Actor(name="Siti", role=Role.BUYER, recorded_by="budi", identified=how)


# Scans of wet-ink signatures -------------------------------------------------------------------


def _awaiting_buyer(service: dealflow.DealService) -> str:
    deal_id = drive_to(service, SPEC, Stage.AWAITING_SIGNATURES)
    service.sign(deal_id, SELLER)
    return deal_id


def _sign_with(service: dealflow.DealService, deal_id: str, scan: bytes) -> dealflow.Deal:
    letter = BUYER.model_copy(update={"channel": dealflow.Via.LETTER})
    return service.sign(deal_id, letter, title="Procurement Manager", method="wet-ink", scan=scan)


@pytest.mark.parametrize(
    ("scan", "says"),
    [
        (b"GIF89a" + bytes(64), "must be a PDF, PNG or JPEG file"),
        (b"<html>%PDF-1.7</html>", "must be a PDF, PNG or JPEG file"),
        (b"PK\x03\x04 a zip", "must be a PDF, PNG or JPEG file"),
        (b"%PDF", "must be a PDF, PNG or JPEG file"),  # too short for the PDF header
        (b"\x89PNG\r\n", "must be a PDF, PNG or JPEG file"),
        (b"", "the scan of the signed page is empty"),
        (
            b"%PDF-1.7\n" + bytes(MAX_SCAN_BYTES),
            f"the scan of the signed page is {MAX_SCAN_BYTES + 9:,} bytes; at most "
            f"{MAX_SCAN_BYTES:,}",
        ),
    ],
    ids=["gif", "html", "zip", "short-pdf", "short-png", "empty", "over-20-mb"],
)
def test_a_scan_that_is_not_a_pdf_png_or_jpeg_or_is_too_big_is_refused_and_not_kept(
    store: EventStore, scan: bytes, says: str
) -> None:
    service = team(store)
    deal_id = _awaiting_buyer(service)
    before = snapshot(service, deal_id)
    with pytest.raises(dealflow.InvalidTermsError) as caught:
        _sign_with(service, deal_id, scan)
    assert says in str(caught.value)
    assert snapshot(service, deal_id) == before
    assert store.artifacts(deal_id) == []
    assert service.get(deal_id).stage is Stage.AWAITING_SIGNATURES


@pytest.mark.parametrize(
    ("scan", "kind"),
    [(PDF, "pdf"), (PNG, "png"), (JPEG, "jpg"), (b"%PDF-" + bytes(MAX_SCAN_BYTES - 5), "pdf")],
    ids=["pdf", "png", "jpeg", "exactly-20-mb"],
)
def test_a_good_scan_is_kept_its_sha256_recorded_and_the_signature_authenticated(
    store: EventStore, scan: bytes, kind: str
) -> None:
    service = team(store)
    me = service.whoami().id
    deal_id = _awaiting_buyer(service)
    deal = _sign_with(service, deal_id, scan)
    digest = hashlib.sha256(scan).hexdigest()
    name = f"buyer-signature-v1-{digest[:12]}.{kind}"
    assert store.artifacts(deal_id) == [name]
    assert store.get_artifact(deal_id, name) == scan
    assert deal.stage is Stage.SIGNED
    signature = next(s for s in deal.signed_contract.signatures if s.side is dealflow.Side.BUYER)  # type: ignore[union-attr]
    assert signature.scan_sha256 == digest
    assert signature.authenticated
    assert (signature.recorded_by, signature.channel) == (me, dealflow.Via.LETTER)
    assert signature.recorded == f", recorded by {me} (letter), scan {digest[:12]}"
    signed = [e for e in service.history(deal_id) if isinstance(e, ContractSigned)]
    assert [e.scan_sha256 for e in signed] == [None, digest]


def test_a_buyers_signature_recorded_without_a_scan_is_not_authenticated(
    store: EventStore,
) -> None:
    service = team(store)
    me = service.whoami().id
    deal_id = drive_to(service, SPEC, Stage.AWAITING_SIGNATURES)
    service.sign(deal_id, SELLER)
    deal = service.sign(deal_id, BUYER, title="Procurement Manager", method="wet-ink")
    signatures = {s.side: s for s in deal.signed_contract.signatures}  # type: ignore[union-attr]
    buyer, seller = signatures[dealflow.Side.BUYER], signatures[dealflow.Side.SELLER]
    assert not buyer.authenticated
    assert buyer.scan_sha256 is None
    assert buyer.recorded == f", recorded by {me}, not authenticated"
    assert seller.authenticated  # the member signed for their own side
    assert seller.recorded == ""
    assert store.artifacts(deal_id) == []


def test_a_scan_for_a_signature_the_stage_refuses_is_not_kept(store: EventStore) -> None:
    service = team(store)
    deal_id = drive_to(service, SPEC, Stage.OFFERED)
    before = snapshot(service, deal_id)
    with pytest.raises(dealflow.IllegalTransitionError):
        _sign_with(service, deal_id, PDF)
    assert snapshot(service, deal_id) == before


def test_a_scan_from_someone_not_on_the_roster_is_not_kept(team_store: EventStore) -> None:
    service = team(team_store)
    deal_id = _awaiting_buyer(service)
    refused(
        service,
        deal_id,
        lambda: _sign_with(service.acting_as("nobody"), deal_id, PDF),
        "nobody is not a member",
    )


def test_a_scan_from_a_member_who_may_not_record_the_buyers_signature_is_not_kept(
    team_store: EventStore,
) -> None:
    service = team(team_store)
    deal_id = _awaiting_buyer(service)
    refused(
        service,
        deal_id,
        lambda: _sign_with(service.acting_as("maya"), deal_id, PDF),
        "maya (Maya Manager) does not hold the seller role",
    )


def test_amounts_in_the_limit_message_are_plain_digits(team_store: EventStore) -> None:
    service = team(team_store)
    service.update_member("maya", max_discount=Decimal("12.50"), max_total=Decimal("1E+6"))
    deal_id = _pending(service, "15%")
    error = refused(
        service,
        deal_id,
        lambda: service.acting_as("maya").approve(deal_id, MANAGER),
        "maya may approve a discount up to 12.5% and a total up to 1,000,000",
    )
    assert "E+" not in str(error)
