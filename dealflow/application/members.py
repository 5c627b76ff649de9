"""The roster use cases of :class:`~dealflow.DealService`: who the service acts as,
the store's members, and changing them.

Identity comes from the host. A service acts as one member: the id given to
``connect(member=...)`` (the command line's ``--user``), else the login name of the operating
system's user; :meth:`MembershipUseCases.acting_as` gives a sibling service for another member
(a web application authenticates a person per request and acts as them). On PostgreSQL the
database login is the identity: the member whose ``login`` it is, and no other.

The first use of a store with no roster (a new store, or one written before rosters) makes its
first member from the current identity, with every role and ``admin``, recorded like any roster
change, so a one-person store and ``dealflow demo`` need no setup.
"""

from __future__ import annotations

import contextlib
import copy
import getpass
from collections.abc import Sequence
from datetime import UTC
from typing import TYPE_CHECKING, Any, Self

from dealflow.domain.members import (
    HANDLE,
    ROSTER,
    AnyRosterEvent,
    Member,
    MemberAdded,
    MemberDeactivated,
    MemberRole,
    MemberUpdated,
    Roster,
    fold_roster,
)
from dealflow.domain.parties import Actor, Identified, Role
from dealflow.domain.rights import acting_member, authorize, require_role
from dealflow.errors import ClockBehindError, ConcurrencyConflictError, NotPermittedError

if TYPE_CHECKING:
    from datetime import timedelta

    from dealflow.domain.deal import Deal
    from dealflow.domain.events import Event
    from dealflow.domain.policy import SellerPolicy
    from dealflow.ports import Clock, EventStore


def os_login() -> str:
    """The operating system user's login name, as a member id would be written."""
    try:
        return getpass.getuser().strip().lower()
    except (KeyError, OSError):  # no name for this uid (a container without /etc/passwd)
        return ""


def _full_name(login: str) -> str:
    """The user's full name from the system's account (its GECOS field), else the login."""
    try:
        import pwd

        gecos = pwd.getpwnam(login).pw_gecos.split(",")[0].strip()
    except (ImportError, KeyError, OSError):
        gecos = ""
    return gecos or login


class MembershipUseCases:
    """Members, roles and identity: the roster's side of the one write path."""

    store: EventStore
    clock: Clock
    clock_skew: timedelta
    policy: SellerPolicy
    _member: str | None
    _roster: Roster

    # Identity ------------------------------------------------------------------------------

    @property
    def member_id(self) -> str:
        """The id of the member this service acts as (on PostgreSQL: its login's member)."""
        login = self.store.login
        if login is None:
            identity = self._member or os_login()
            if not identity:
                raise NotPermittedError(
                    "no user: the system gives no login name; name a member with --user "
                    "(or DEALFLOW_USER)"
                )
            return str(identity)
        mapped = self._known_roster().by_login(login)
        if mapped is None:
            raise NotPermittedError(
                f"the database login {login} is not a member of this store; an admin adds "
                f"it (dealflow members add ID --login {login} ...)"
            )
        if self._member is not None and self._member != mapped.id:
            raise NotPermittedError(
                f"the database login {login} acts as {mapped.id}; it cannot act as "
                f"{self._member} (on PostgreSQL the login is the identity)"
            )
        return str(mapped.id)

    def acting_as(self, member_id: str) -> Self:
        """This service acting as another member (same store, clock, policy and caches):
        for a host that authenticates each person, such as a web application per request."""
        sibling = copy.copy(self)
        sibling._member = member_id
        return sibling

    def whoami(self) -> Member:
        """The member this service acts as; raises NotPermittedError if there is none."""
        member: Member = acting_member(self.roster, self.member_id)
        return member

    # The roster ----------------------------------------------------------------------------

    @property
    def roster(self) -> Roster:
        """The roster as it stands now (read again after any change by another writer); the
        first use of a store without one makes its first member."""
        current: Roster = self._roster
        events = self._roster_events(after=current.version)
        if events:
            current = fold_roster(events, current)
            self._roster = current
        if not current.members:
            current = self._first_member()
        return current

    def _roster_events(self, after: int = 0) -> list[AnyRosterEvent]:
        """The roster's events after a version: the store reads the roster's stream like a
        deal's, and it holds roster events only."""
        stored: list[object] = list(self.store.load(ROSTER, after=after))
        return [e for e in stored if isinstance(e, MemberAdded | MemberUpdated | MemberDeactivated)]

    def _known_roster(self) -> Roster:
        """The roster as last read, read again only when it lacks the acting member: enough
        to say who acts; the write path itself checks rights on a fresh read."""
        known: Roster = self._roster
        if not known.members or (self._member and known.get(self._member) is None):
            known = self.roster
        return known

    def first_member(self, *, name: str | None = None, title: str | None = None) -> Member:
        """The member this service acts as; on a store without a roster, its first member is
        made now from the current identity, with this name and title (else the system's
        account name and "Administrator")."""
        if not self._roster.members and not self.store.load(ROSTER):
            self._first_member(name=name, title=title)
        member: Member = self.whoami()
        return member

    def _first_member(self, *, name: str | None = None, title: str | None = None) -> Roster:
        login = self.store.login
        identity = (login or self._member or os_login()).lower()
        if not HANDLE.fullmatch(identity):
            raise NotPermittedError(
                f"{identity!r} cannot be a member id (lower-case letters, digits and . _ -, "
                "at most 32); name the store's first member with --user (or DEALFLOW_USER)"
            )
        member = Member(
            id=identity,
            name=name or _full_name(login or identity),
            title=title or "Administrator",
            roles=tuple(MemberRole),
            login=login if login and login != identity else None,
        )
        event = MemberAdded(
            version=1,
            occurred_at=self.clock.now(),
            actor=Actor(name=member.name, role=Role.ADMIN, member=member.id),
            member=member,
            clock_overridden=self.clock.overridden,
        )
        # Another process may have made the first member first: theirs stands.
        with contextlib.suppress(ConcurrencyConflictError):
            self.store.append(ROSTER, 0, [event])
        self._roster = fold_roster(self._roster_events())
        roster: Roster = self._roster
        return roster

    def members(self) -> list[Member]:
        """Every member, active or not, by id."""
        roster: Roster = self.roster
        return sorted(roster.members.values(), key=lambda m: m.id)

    def members_log(self) -> list[AnyRosterEvent]:
        """Every change to the roster, oldest first: who added, changed or deactivated whom."""
        self.roster  # noqa: B018 - a store without a roster gets its first member
        events = self._roster_events()
        return events

    def add_member(self, member: Member) -> Member:
        """Add a member (an admin's act); refused if the id or the login is taken."""
        roster: Roster = self.roster
        if roster.get(member.id) is not None:
            raise NotPermittedError(f"{member.id} is already a member; change them with update")
        if roster.by_login(member.login_name) is not None:
            raise NotPermittedError(f"the login {member.login_name} already acts as a member")
        return _change(self, MemberAdded, member)

    def update_member(self, member_id: str, **changes: Any) -> Member:
        """Change a member's name, title, email, roles, limits, login or ``active`` (an
        admin's act); the store keeps at least one active admin."""
        roster: Roster = self.roster
        _admin(self, roster)  # also when nothing would change: a non-admin is told so
        current = roster.get(member_id)
        if current is None:
            raise NotPermittedError(f"{member_id} is not a member of this store")
        updated = Member.model_validate({**current.model_dump(), **changes})
        if updated == current:
            return current
        return _change(self, MemberUpdated, updated)

    def deactivate_member(self, member_id: str) -> Member:
        """Stop a member from acting (an admin's act); their past acts stay theirs."""
        roster: Roster = self.roster
        _admin(self, roster)
        current = roster.get(member_id)
        if current is None:
            raise NotPermittedError(f"{member_id} is not a member of this store")
        if not current.active:
            return current
        return _change(self, MemberDeactivated, current.model_copy(update={"active": False}))

    # The write path ------------------------------------------------------------------------

    def _actor(self, actor: Actor) -> Actor:
        """Who really acts: the engine as itself; for the seller's side, the member this
        service acts as, under the role asked for; for the buyer, their representative as
        recorded by that member (with the channel it came through)."""
        if actor.role is Role.SYSTEM:
            return actor
        # The roster as it is now: an admin elsewhere may have renamed, deactivated or brought
        # back the member since this service last looked.
        member = acting_member(self.roster, self.member_id)
        if self.store.login is not None:
            identified = Identified.DATABASE_LOGIN
        else:
            identified = Identified.NAMED if self._member else Identified.OS_LOGIN
        if actor.role is Role.BUYER:
            return Actor(name=actor.name, role=Role.BUYER, recorded_by=member.id,
                         channel=actor.channel, identified=identified)  # fmt: skip
        return Actor(name=member.name, role=actor.role, member=member.id, identified=identified)

    def _authorize(self, deal: Deal | None, events: Sequence[Event]) -> None:
        """Refuse, before anything is appended, events this service's member may not record."""
        authorize(
            self.roster,
            self.member_id,
            deal,
            events,
            separation_of_duties=self.policy.approvals.separation_of_duties,
        )


def _change(service: MembershipUseCases, kind: type[AnyRosterEvent], member: Member) -> Member:
    """Record a roster change by the acting member, who must be an active admin; the store
    keeps at least one active admin."""
    roster: Roster = service.roster
    admin = _admin(service, roster)
    after = {**roster.members, member.id: member}
    if not any(m.active and m.holds(MemberRole.ADMIN) for m in after.values()):
        raise NotPermittedError(
            f"{member.id} is the last active admin; make another member admin first"
        )
    now = service.clock.now()
    if roster.updated_at is not None and now < roster.updated_at - service.clock_skew:
        raise ClockBehindError(
            ROSTER,
            f"{now.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC",
            f"{roster.updated_at.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC",
            service.clock_skew.total_seconds(),
        )
    event = kind(
        version=roster.version + 1,
        occurred_at=now,
        actor=Actor(name=admin.name, role=Role.ADMIN, member=admin.id),
        member=member,
        clock_overridden=service.clock.overridden,
    )
    service.store.append(ROSTER, roster.version, [event])
    service._roster = fold_roster([event], roster)
    return member


def _admin(service: MembershipUseCases, roster: Roster) -> Member:
    """The acting member, if an active admin; raises NotPermittedError otherwise."""
    admin = acting_member(roster, service.member_id)
    require_role(roster, admin, MemberRole.ADMIN, "change the roster")
    return admin
