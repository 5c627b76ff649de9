"""The deal lifecycle: every stage and every transition, in one table, in one machine.

The machine is built once, at import, with ``transitions`` and shared by every deal: deals are
never attached to it. An action is fired on a small :class:`Cursor` that holds a stage and the
facts the conditional transitions read (does agreement need approval? are all approvals and
signatures in?). Building a machine per deal or attaching each deal as a model costs memory and
time per deal; firing on a cursor costs nothing per deal (see DESIGN.md).

This module only says which stage an action leads to. Who may take it (roles, turns, expiry)
is decided in :mod:`dealflow.domain.decisions`.
"""

from __future__ import annotations

import logging
from enum import StrEnum
from typing import Final

from transitions import Machine, MachineError

from dealflow.domain.parties import Role
from dealflow.domain.rights import RIGHTS
from dealflow.errors import IllegalTransitionError

# At INFO the library logs every transition, which makes firing 2.7x slower.
logging.getLogger("transitions").setLevel(logging.WARNING)


class Stage(StrEnum):
    """Where a deal stands."""

    DRAFT = "draft"
    PRESENTED = "presented"
    OFFERED = "offered"
    NEGOTIATING = "negotiating"
    TERMS_ACCEPTED = "terms_accepted"
    SPECIAL_AGREEMENT = "special_agreement"
    PENDING_APPROVAL = "pending_approval"
    AWAITING_SIGNATURES = "awaiting_signatures"
    SIGNED = "signed"
    IN_SERVICE = "in_service"
    COMPLETED = "completed"
    LOST = "lost"
    WITHDRAWN = "withdrawn"
    EXPIRED = "expired"


class Action(StrEnum):
    """Everything that can be done to a deal after it is opened."""

    PRESENT = "present"
    OFFER = "offer"
    COUNTER = "counter"
    ACCEPT = "accept"
    REJECT = "reject"
    EXPIRE = "expire"
    WITHDRAW = "withdraw"
    PROPOSE_SPECIAL = "propose_special"
    REVISE_SPECIAL = "revise_special"
    AGREE = "agree"
    APPROVE = "approve"
    DECLINE = "decline"
    SIGN = "sign"
    START_SERVICE = "start_service"
    AMEND = "amend"
    COMPLETE = "complete"


S, A = Stage, Action
_NEGOTIATION = [S.OFFERED, S.NEGOTIATING]
_OPEN = [
    S.DRAFT,
    S.PRESENTED,
    S.OFFERED,
    S.NEGOTIATING,
    S.SPECIAL_AGREEMENT,
    S.PENDING_APPROVAL,
    S.AWAITING_SIGNATURES,
]

#: (action, source stages, destination, condition on the cursor or None, unless or None)
TRANSITIONS: Final = [
    (A.PRESENT, [S.DRAFT], S.PRESENTED, None, None),
    (A.OFFER, [S.PRESENTED], S.OFFERED, None, None),
    (A.COUNTER, _NEGOTIATION, S.NEGOTIATING, None, None),
    (A.ACCEPT, _NEGOTIATION, S.TERMS_ACCEPTED, None, None),
    # While an amendment is negotiated, the signed contract stays in force: ending the
    # amendment's negotiation returns the deal to service instead of closing it.
    (A.REJECT, _NEGOTIATION, S.LOST, None, "amending"),
    (A.REJECT, _NEGOTIATION, S.IN_SERVICE, "amending", None),
    (A.EXPIRE, _NEGOTIATION, S.EXPIRED, None, "amending"),
    (A.EXPIRE, _NEGOTIATION, S.IN_SERVICE, "amending", None),
    (A.WITHDRAW, _OPEN, S.WITHDRAWN, None, "amending"),
    (A.WITHDRAW, _OPEN, S.IN_SERVICE, "amending", None),
    (A.PROPOSE_SPECIAL, [S.TERMS_ACCEPTED], S.SPECIAL_AGREEMENT, None, None),
    (A.REVISE_SPECIAL, [S.SPECIAL_AGREEMENT], S.SPECIAL_AGREEMENT, None, None),
    (A.AGREE, [S.TERMS_ACCEPTED, S.SPECIAL_AGREEMENT], S.PENDING_APPROVAL, "needs_approval", None),
    (
        A.AGREE,
        [S.TERMS_ACCEPTED, S.SPECIAL_AGREEMENT],
        S.AWAITING_SIGNATURES,
        None,
        "needs_approval",
    ),
    (A.APPROVE, [S.PENDING_APPROVAL], S.AWAITING_SIGNATURES, "approvals_complete", None),
    (A.APPROVE, [S.PENDING_APPROVAL], S.PENDING_APPROVAL, None, "approvals_complete"),
    (A.DECLINE, [S.PENDING_APPROVAL], S.NEGOTIATING, None, None),
    (A.SIGN, [S.AWAITING_SIGNATURES], S.SIGNED, "signatures_complete", None),
    (A.SIGN, [S.AWAITING_SIGNATURES], S.AWAITING_SIGNATURES, None, "signatures_complete"),
    (A.START_SERVICE, [S.SIGNED], S.IN_SERVICE, None, None),
    (A.AMEND, [S.IN_SERVICE], S.NEGOTIATING, None, None),
    (A.COMPLETE, [S.IN_SERVICE], S.COMPLETED, None, None),
]

#: The roles that may take each action.
#: The roles that may take each lifecycle action: the lifecycle's rows of the one table of
#: rights (:data:`dealflow.domain.rights.RIGHTS`).
ROLES: Final[dict[Action, tuple[Role, ...]]] = {
    Action(right.action): right.roles for right in RIGHTS if right.action in set(Action)
}

TERMINAL: Final = frozenset({S.COMPLETED, S.LOST, S.WITHDRAWN, S.EXPIRED})


def _build() -> Machine:
    machine = Machine(
        model=None, states=[s.value for s in Stage], initial=None, auto_transitions=False
    )
    for action, sources, dest, condition, unless in TRANSITIONS:
        machine.add_transition(
            action.value,
            [s.value for s in sources],
            dest.value,
            conditions=condition or [],
            unless=unless or [],
        )
    return machine


#: The one machine every deal shares.
MACHINE: Final = _build()


class Cursor:
    """The stage of one deal while an action is fired, and the facts conditions read."""

    __slots__ = (
        "amending",
        "approvals_complete",
        "needs_approval",
        "signatures_complete",
        "state",
    )

    def __init__(
        self,
        stage: Stage,
        *,
        amending: bool = False,
        needs_approval: bool = False,
        approvals_complete: bool = False,
        signatures_complete: bool = False,
    ) -> None:
        self.state: str = stage.value
        self.amending = amending
        self.needs_approval = needs_approval
        self.approvals_complete = approvals_complete
        self.signatures_complete = signatures_complete


def allowed_actions(stage: Stage) -> tuple[str, ...]:
    """The actions possible in a stage, in table order."""
    return _ALLOWED[stage]


_ALLOWED: Final = {
    stage: tuple(dict.fromkeys(a.value for a, src, *_ in TRANSITIONS if stage in src))
    for stage in Stage
}


def fire(cursor: Cursor, action: Action | str) -> Stage:
    """Fire an action on the cursor and return the stage it leads to.

    Raises IllegalTransitionError, naming the stage and the actions allowed now, when the
    action is unknown or not possible in the cursor's stage.
    """
    stage = Stage(cursor.state)
    event = MACHINE.events.get(str(action))
    if event is None:
        raise IllegalTransitionError(stage.value, str(action), allowed_actions(stage))
    try:
        event.trigger(cursor)
    except MachineError:
        raise IllegalTransitionError(stage.value, str(action), allowed_actions(stage)) from None
    return Stage(cursor.state)
