"""Who may do what: one table of rights, and the check every write passes.

:data:`RIGHTS` has a named row per action: the roles that may take it and whether a member may
record it for the buyer. The lifecycle's role rules, the command line's ``--as`` choices and
the rights table in the README come from it.

:func:`authorize` is the rule of the one write path: before anything is appended, the member
who acts must be on the roster and active, hold the role of every event they record (a buyer's
act is recorded by a member who holds ``seller``), and, for an approval, have limits that cover
the deal's discount and total and not be kept out by separation of duties: the member who owns
the deal or made the latest seller offer does not approve it, and one person does not approve
the same terms in two roles. The engine's own consequences of an action (a completion, an
offer lapsing, the calendar's review) are recorded for whichever active member ran it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Final

from dealflow.domain.members import Member, MemberRole, Roster
from dealflow.domain.parties import Role
from dealflow.errors import NotPermittedError

if TYPE_CHECKING:
    from dealflow.domain.deal import Deal
    from dealflow.domain.events import Event


@dataclass(frozen=True)
class Right:
    """One action: who may take it, and what it is."""

    action: str
    roles: tuple[Role, ...]
    what: str

    @property
    def for_buyer(self) -> bool:
        """True when a member may record this action for the buyer's representative."""
        return Role.BUYER in self.roles

    @property
    def member_roles(self) -> tuple[MemberRole, ...]:
        """The member roles that may take it (a buyer's act: recorded by a seller)."""
        held = {MemberRole.SELLER} if self.for_buyer else set()
        held |= {MemberRole(r.value) for r in self.roles if r.value in set(MemberRole)}
        return tuple(r for r in MemberRole if r in held)


_B, _S, _M, _L, _V, _Y = (
    Role.BUYER,
    Role.SELLER,
    Role.MANAGER,
    Role.LEGAL,
    Role.SERVICE,
    Role.SYSTEM,
)
_PEOPLE = (_S, _B, _M, _L, _V)

#: Every action and who may take it. ``admin`` keeps the roster (``members``).
RIGHTS: Final[tuple[Right, ...]] = (
    Right("present", (_S,), "present products, value and credentials"),
    Right("offer", (_S,), "make the formal offer"),
    Right("counter", (_B, _S), "answer the other side's latest offer with changed terms"),
    Right("accept", (_B, _S), "accept the other side's latest offer"),
    Right("reject", (_B, _S), "reject the other side's latest offer (the deal is lost)"),
    Right("expire", (_Y,), "let a lapsed offer expire (the engine)"),
    Right("withdraw", (_S,), "withdraw from the deal"),
    Right("propose_special", (_B, _S), "propose buyer-specific terms"),
    Right("revise_special", (_B, _S), "revise the special terms"),
    Right("agree", (_B, _S), "agree the terms"),
    Right("approve", (_M, _L), "approve agreed terms, within one's limits"),
    Right("decline", (_M, _L), "decline agreed terms"),
    Right("sign", (_B, _S), "sign the frozen terms for one's side"),
    Right("start_service", (_S, _V), "start after-sales service"),
    Right("amend", (_B, _S), "open an amendment of a signed contract"),
    Right("complete", (_S, _V), "close the deal"),
    Right("log", _PEOPLE, "log a contact with the buyer"),
    Right("claim", _PEOPLE, "open a warranty claim or a complaint"),
    Right("respond", (_S, _V, _M), "answer a claim"),
    Right("resolve", (_S, _V, _M), "resolve a claim"),
    Right("fulfil", (_S, _V, _M), "record a commitment as kept"),
    Right("waive", (_M, _L), "release the owner from a commitment"),
)

#: The rights by action name.
RIGHT: Final[dict[str, Right]] = {right.action: right for right in RIGHTS}


def rights_table() -> str:
    """Who may do what, as the Markdown table the README shows (a test keeps them equal)."""
    lines = ["| action | who may take it | what it is |", "|---|---|---|"]
    for right in RIGHTS:
        who = ", ".join(
            "buyer (recorded by a seller)" if role is Role.BUYER else role.value
            for role in right.roles
        )
        lines.append(f"| `{right.action}` | {who} | {right.what} |")
    lines.append("| `members` | admin | add, change or deactivate members |")
    return "\n".join(lines)


def _percent(deal: Deal) -> Decimal:
    totals = deal.terms.totals
    if not totals.subtotal.amount:
        return Decimal(0)
    return (totals.discount.amount * 100 / totals.subtotal.amount).quantize(Decimal("0.01"))


def _names(members: Sequence[Member]) -> str:
    shown = ", ".join(f"{m.id} ({m.name})" for m in members[:5])
    return shown or "nobody yet (an admin adds one with dealflow members)"


def acting_member(roster: Roster, member_id: str | None) -> Member:
    """The active member with this id; raises NotPermittedError naming what is wrong."""
    member = roster.get(member_id) if member_id else None
    if member is None:
        raise NotPermittedError(
            f"{member_id or 'nobody'} is not a member of this store; an admin adds them "
            f"(dealflow members add {member_id or 'ID'} ...)"
        )
    if not member.active:
        raise NotPermittedError(f"{member.id} ({member.name}) is no longer an active member")
    return member


def require_role(roster: Roster, member: Member, role: str, doing: str) -> None:
    """Refuse unless the member holds ``role`` (naming who does)."""
    if not member.holds(role):
        raise NotPermittedError(
            f"{member.id} ({member.name}) does not hold the {role} role needed to {doing}; "
            f"{role} here: {_names(roster.holding(role))}"
        )


def authorize(
    roster: Roster,
    member_id: str | None,
    deal: Deal | None,
    events: Sequence[Event],
    *,
    separation_of_duties: bool = True,
) -> Member:
    """The member if they may record ``events`` on ``deal``; raises NotPermittedError."""
    from dealflow.domain.events import ApprovalGranted

    member = acting_member(roster, member_id)
    for event in events:
        actor = event.actor
        role = actor.role
        if role is Role.SYSTEM:
            continue
        if role is Role.BUYER:
            require_role(roster, member, MemberRole.SELLER, "record the buyer's acts")
            named = actor.recorded_by
        else:
            require_role(roster, member, role.value, f"act as {role.value}")
            named = actor.member
        if named != member.id:
            raise NotPermittedError(
                f"{member.id} cannot record an act of {named or 'nobody'}: an event names the "
                "member who acted"
            )
        if isinstance(event, ApprovalGranted) and deal is not None:
            _approval(roster, member, deal, role, separation_of_duties)
    return member


def _approval(roster: Roster, member: Member, deal: Deal, role: Role, separation: bool) -> None:
    discount, total = _percent(deal), deal.terms.totals.net.amount
    if not member.covers(discount, total):
        able = [
            m
            for m in roster.holding(role.value)
            if m.covers(discount, total) and not (separation and _kept_out(m, deal, role))
        ]
        raise NotPermittedError(
            f"{member.id} may approve {member.limits}; this deal has a discount of "
            f"{discount.normalize():f}% and a total of {total:,f}: who may approve it: "
            f"{_names(able)}"
        )
    if separation:
        reason = _kept_out(member, deal, role)
        if reason:
            raise NotPermittedError(
                f"{member.id} {reason} and cannot approve it (separation of duties; the "
                "policy's approvals.separation_of_duties)"
            )


def _kept_out(member: Member, deal: Deal, role: Role) -> str | None:
    """Why separation of duties keeps this member from approving, or None."""
    if deal.owner == member.id:
        return "owns this deal"
    if deal.seller_offer_by == member.id:
        return "made the latest seller offer"
    for approval in deal.approvals:
        if approval.member == member.id and approval.role is not role:
            return f"already approved these terms as {approval.role.value}"
    return None
