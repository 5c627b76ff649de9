"""The people of a store: its roster of members, their roles and approval limits.

A member is a person on the seller's side with a short handle (``budi``), a name and title to
print, roles (``seller``, ``manager``, ``legal``, ``service``, ``admin``) and, for approvers,
the largest discount and total they may approve. The buyer is never a member.

The roster is the fold of its own events (:class:`MemberAdded`, :class:`MemberUpdated`,
:class:`MemberDeactivated`), kept in the store's one log under the stream :data:`ROSTER`, so
who added whom and when is in the feed like every deal event. Each roster event carries the
member's whole state after the change, so folding is replacing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

from dealflow.domain.header import EventHeader
from dealflow.domain.money import Percent, QuotedAmount
from dealflow.domain.parties import Name

_FROZEN = ConfigDict(frozen=True, extra="forbid")

#: The stream of the roster's events in the store's log: never a deal id (deal ids have no
#: ``@``).
ROSTER = "@roster"

#: A member's handle: lower-case letters, digits and ``. _ -``, 1-32 characters, starting with a
#: letter or digit (a login name such as ``budi`` or ``maya.s``).
HANDLE = re.compile(r"[a-z0-9][a-z0-9._-]{0,31}")
Handle = Annotated[str, Field(pattern=rf"^{HANDLE.pattern}$")]
Email = Annotated[str, Field(max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")]


class MemberRole(StrEnum):
    """What a member may do: act for the seller, approve, serve after the sale, or keep the
    roster (``admin``)."""

    SELLER = "seller"
    MANAGER = "manager"
    LEGAL = "legal"
    SERVICE = "service"
    ADMIN = "admin"


class Member(BaseModel):
    """One person of the seller's organisation, as the roster knows them now."""

    model_config = _FROZEN

    id: Handle
    name: Name
    title: Name
    email: Email | None = None
    roles: Annotated[tuple[MemberRole, ...], Field(min_length=1)]
    active: bool = True
    #: The largest discount this member may approve, in percent of the subtotal; None: any.
    max_discount: Percent | None = None
    #: The largest contract total (before tax) this member may approve; None: any.
    max_total: QuotedAmount | None = None
    #: The database login that acts as this member on PostgreSQL; None: the id itself.
    login: Annotated[str, Field(min_length=1, max_length=63)] | None = None

    @field_validator("roles")
    @classmethod
    def _one_of_each(cls, roles: tuple[MemberRole, ...]) -> tuple[MemberRole, ...]:
        order = list(MemberRole)
        return tuple(sorted(set(roles), key=order.index))

    @property
    def login_name(self) -> str:
        """The database login of this member."""
        return self.login or self.id

    def holds(self, role: str) -> bool:
        """True when the member has this role (a member role's or an actor role's value)."""
        return role in {r.value for r in self.roles}

    def covers(self, discount: Decimal, total: Decimal) -> bool:
        """True when an approval of this discount (percent) and total is within the limits."""
        return (self.max_discount is None or discount <= self.max_discount) and (
            self.max_total is None or total <= self.max_total
        )

    @property
    def limits(self) -> str:
        """The approval limits in words: ``up to 15% and 500,000,000``, or ``no limit``."""
        parts = []
        if self.max_discount is not None:
            parts.append(f"a discount up to {self.max_discount.normalize():f}%")
        if self.max_total is not None:
            parts.append(f"a total up to {self.max_total:,f}")
        return " and ".join(parts) if parts else "no limit"


class RosterEvent(EventHeader):
    """What every roster event has: the header, in the roster's stream, naming the admin who
    made the change as its actor, and whether the clock was a simulation's."""

    deal_id: Literal["@roster"] = "@roster"
    clock_overridden: bool = False
    member: Member


class MemberAdded(RosterEvent):
    """A member joined the roster (the first one made from the store's first identity)."""

    type: Literal["MemberAdded"] = "MemberAdded"


class MemberUpdated(RosterEvent):
    """A member's name, title, email, roles, limits or login changed (or they came back)."""

    type: Literal["MemberUpdated"] = "MemberUpdated"


class MemberDeactivated(RosterEvent):
    """A member may no longer act; their past acts stay theirs."""

    type: Literal["MemberDeactivated"] = "MemberDeactivated"


AnyRosterEvent = MemberAdded | MemberUpdated | MemberDeactivated


class Roster(BaseModel):
    """Every member by id, as the roster's events left them, and the stream's version."""

    model_config = _FROZEN

    members: Mapping[str, Member] = Field(default_factory=dict)
    version: int = 0
    #: When the roster last changed (its latest event), if ever.
    updated_at: AwareDatetime | None = None

    def get(self, member_id: str) -> Member | None:
        """The member with this id, or None."""
        return self.members.get(member_id)

    def by_login(self, login: str) -> Member | None:
        """The member a database login acts as, or None."""
        return next((m for m in self.members.values() if m.login_name == login), None)

    @property
    def admins(self) -> list[Member]:
        """The active admins."""
        return [m for m in self.members.values() if m.active and m.holds(MemberRole.ADMIN)]

    def holding(self, role: str) -> list[Member]:
        """The active members with this role, by id."""
        return sorted(
            (m for m in self.members.values() if m.active and m.holds(role)), key=lambda m: m.id
        )


def fold_roster(events: Iterable[AnyRosterEvent], roster: Roster | None = None) -> Roster:
    """The roster after these events (each carries the member's whole state)."""
    members = dict(roster.members) if roster else {}
    version = roster.version if roster else 0
    updated_at = roster.updated_at if roster else None
    for event in events:
        members[event.member.id] = event.member
        version = event.version
        updated_at = event.occurred_at
    return Roster(members=members, version=version, updated_at=updated_at)
