"""The commands: what someone asks to do to a deal, one frozen class per lifecycle action.

A command names its actor and carries what its action needs (a change of terms, a reason, a
signatory's title...); :func:`dealflow.domain.decisions.decide` turns it into events or refuses
it. :data:`COMMANDS` gives the command class of each :class:`~dealflow.domain.lifecycle.Action`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar

from dealflow.domain.deal import SignatureMethod
from dealflow.domain.lifecycle import Action
from dealflow.domain.parties import SYSTEM_ACTOR, Actor
from dealflow.domain.terms import SpecialTerms, TermsChange


@dataclass(frozen=True, slots=True)
class Command:
    """An action someone asks for; subclasses carry what the action needs."""

    action: ClassVar[Action]
    actor: Actor


@dataclass(frozen=True, slots=True)
class NewTerms(Command):
    """Terms put on the table (an offer or a counter-offer): a change of the terms now on it,
    and a note."""

    change: TermsChange = field(default_factory=TermsChange)
    note: str | None = None


@dataclass(frozen=True, slots=True)
class NewSpecialTerms(Command):
    """Buyer-specific terms put on the table (proposed or revised), and a note."""

    special: SpecialTerms = field(default_factory=SpecialTerms)
    note: str | None = None


@dataclass(frozen=True, slots=True)
class WithReason(Command):
    """An action that may say why (a rejection, a withdrawal, an approval...)."""

    reason: str | None = None


@dataclass(frozen=True, slots=True)
class Present(Command):
    action = Action.PRESENT
    note: str | None = None


@dataclass(frozen=True, slots=True)
class MakeOffer(NewTerms):
    action = Action.OFFER


@dataclass(frozen=True, slots=True)
class Counter(NewTerms):
    action = Action.COUNTER


@dataclass(frozen=True, slots=True)
class Accept(Command):
    action = Action.ACCEPT


@dataclass(frozen=True, slots=True)
class Reject(WithReason):
    action = Action.REJECT


@dataclass(frozen=True, slots=True)
class Expire(Command):
    action = Action.EXPIRE
    actor: Actor = SYSTEM_ACTOR


@dataclass(frozen=True, slots=True)
class Withdraw(WithReason):
    action = Action.WITHDRAW


@dataclass(frozen=True, slots=True)
class ProposeSpecial(NewSpecialTerms):
    action = Action.PROPOSE_SPECIAL


@dataclass(frozen=True, slots=True)
class ReviseSpecial(NewSpecialTerms):
    action = Action.REVISE_SPECIAL


@dataclass(frozen=True, slots=True)
class Agree(Command):
    action = Action.AGREE


@dataclass(frozen=True, slots=True)
class Approve(WithReason):
    action = Action.APPROVE


@dataclass(frozen=True, slots=True)
class Decline(WithReason):
    action = Action.DECLINE


@dataclass(frozen=True, slots=True)
class Sign(Command):
    action = Action.SIGN
    title: str = ""
    method: SignatureMethod = SignatureMethod.TYPED
    terms_hash: str | None = None
    #: The SHA-256 of the scan of a wet-ink signature recorded for the buyer.
    scan_sha256: str | None = None


@dataclass(frozen=True, slots=True)
class StartService(Command):
    action = Action.START_SERVICE
    note: str | None = None


@dataclass(frozen=True, slots=True)
class Amend(Command):
    action = Action.AMEND
    reason: str = ""
    change: TermsChange = field(default_factory=TermsChange)


@dataclass(frozen=True, slots=True)
class Complete(WithReason):
    action = Action.COMPLETE


#: The command class for each action.
COMMANDS: dict[Action, type[Command]] = {
    cls.action: cls
    for cls in (
        Present,
        MakeOffer,
        Counter,
        Accept,
        Reject,
        Expire,
        Withdraw,
        ProposeSpecial,
        ReviseSpecial,
        Agree,
        Approve,
        Decline,
        Sign,
        StartService,
        Amend,
        Complete,
    )
}
