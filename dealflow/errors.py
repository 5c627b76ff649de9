"""Every exception dealflow raises, in one tree.

Messages are written for a sales rep; the attributes carry the same facts for a developer.
Where a builtin exception means the same thing, the dealflow error inherits it too, so that
``except LookupError`` still works for code that does not know dealflow::

    DealflowError
    ├── FileProblemsError (ValueError)       a file could not be read or is invalid
    │   ├── DealFileError                    … a deal file
    │   ├── PolicyFileError                  … a seller policy file
    │   └── ClauseFileError                  … a clause of the clause library
    ├── InvalidTermsError (ValueError)       a change to the terms is not possible
    ├── DealNotFoundError (LookupError)      no deal with that id in the store
    ├── VersionNotFoundError (LookupError)   the deal has no terms version with that number
    ├── ItemNotFoundError (LookupError)      the deal has no commitment or claim with that id
    ├── BuyerNotFoundError (LookupError)     no deal in the store is with that buyer
    ├── ActionRefusedError                   the engine refused an action on a deal
    │   ├── IllegalTransitionError           the action is not possible in the deal's stage
    │   ├── WrongRoleError (PermissionError) the actor's role may not take this action
    │   ├── NotPermittedError (PermissionError) the member may not: roster, role, limits, duties
    │   ├── NotYourTurnError                 the other side is expected to move
    │   ├── OfferExpiredError                the offer acted upon has lapsed
    │   ├── BelowFloorError                  a seller offer below the seller's price floor
    │   ├── TermsHashMismatchError           a signature or approval names other terms
    │   └── ClockBehindError                 the action's time is before the deal's last event
    ├── ConcurrencyConflictError             another writer changed the deal first
    ├── ArtifactConflictError                a kept file would be replaced by other bytes
    ├── RenderError                          a contract could not be rendered
    │   ├── TemplateProblemError             a template is missing, invalid or unsafe
    │   └── FetchRefusedError                a template asked for a file it may not have
    ├── SealError                            the seal certificate cannot be used
    ├── DamagedPdfError (ValueError)         a PDF cannot be read where it was asked
    ├── LocalFileError (OSError)             a named file is not regular, is a link, or too big
    └── StoreError (OSError)                 the event store failed; nothing was written
        ├── StoreSchemaError                 the store was written by another dealflow version
        └── ReplayError (ValueError)         a deal's log is not a valid history: a damaged or
                                             foreign store
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


class DealflowError(Exception):
    """The root of every error dealflow raises on purpose."""


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a file: where (a field path) and what."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class FileProblemsError(DealflowError, ValueError):
    """A file could not be read, or its content is not valid; every problem is listed."""

    def __init__(self, source: str, problems: Sequence[Problem]) -> None:
        self.source = source
        self.problems = tuple(problems)
        count = len(self.problems)
        listed = "; ".join(str(p) for p in self.problems)
        noun = "problem" if count == 1 else "problems"
        super().__init__(f"{source}: {count} {noun}: {listed}")


class DealFileError(FileProblemsError):
    """A deal file could not be read, or it does not describe a valid deal."""


class PolicyFileError(FileProblemsError):
    """A seller policy file could not be read, or it is not a valid policy."""


class ClauseFileError(FileProblemsError):
    """A clause file of the clause library is not valid."""


class InvalidTermsError(DealflowError, ValueError):
    """A proposed change to the terms cannot be applied (unknown item, bad value...)."""


class DealNotFoundError(DealflowError, LookupError):
    """No deal with this id exists in the store."""

    def __init__(self, deal_id: str) -> None:
        self.deal_id = deal_id
        super().__init__(f"no deal with id {deal_id!r} in this store")


class VersionNotFoundError(DealflowError, LookupError):
    """The deal has no terms version with this number."""


class ItemNotFoundError(DealflowError, LookupError):
    """The deal has no commitment or claim with this id."""


class BuyerNotFoundError(DealflowError, LookupError):
    """No deal in the store is with this buyer."""


class ActionRefusedError(DealflowError):
    """The engine refused an action; the deal is unchanged."""


class IllegalTransitionError(ActionRefusedError):
    """The action is not possible in the deal's current stage."""

    def __init__(self, stage: str, action: str, allowed: Sequence[str]) -> None:
        self.stage = stage
        self.action = action
        self.allowed = tuple(allowed)
        allowed_text = ", ".join(self.allowed) if self.allowed else "nothing (the deal is closed)"
        super().__init__(f"cannot {action} a deal in stage {stage!r}; allowed now: {allowed_text}")


class WrongRoleError(ActionRefusedError, PermissionError):
    """The actor's role may not take this action."""

    def __init__(self, action: str, role: str, allowed_roles: Sequence[str]) -> None:
        self.action = action
        self.role = role
        self.allowed_roles = tuple(allowed_roles)
        super().__init__(
            f"a {role} cannot {action} this deal now; only {' or '.join(self.allowed_roles)} can"
        )


class NotPermittedError(ActionRefusedError, PermissionError):
    """The member acting may not do this: not on the roster or inactive, without the role,
    above their approval limits, kept out by separation of duties, or not an admin."""


class NotYourTurnError(ActionRefusedError):
    """The side that acted is not the side expected to move."""

    def __init__(self, action: str, side: str, expected: str | None, why: str = "") -> None:
        self.action = action
        self.side = side
        self.expected = expected
        reason = why or (
            f"it is the {expected}'s turn" if expected else "no side is expected to move"
        )
        super().__init__(f"the {side} cannot {action} now: {reason}")


class OfferExpiredError(ActionRefusedError):
    """The offer acted upon has passed its validity."""

    def __init__(self, offer_version: int, expired_at: str) -> None:
        self.offer_version = offer_version
        self.expired_at = expired_at
        super().__init__(
            f"offer v{offer_version} expired at {expired_at}; the deal can only expire or be "
            "withdrawn now"
        )


class TermsHashMismatchError(ActionRefusedError):
    """A signature or approval names terms other than the ones on the table."""

    def __init__(self, given: str, expected: str) -> None:
        self.given = given
        self.expected = expected
        super().__init__(
            f"these are not the current terms: got hash {given[:12]}…, "
            f"the terms on the table hash to {expected[:12]}…"
        )


class BelowFloorError(ActionRefusedError):
    """A seller offer would go below the seller's own price floor."""

    def __init__(self, breaches: Sequence[str]) -> None:
        self.breaches = tuple(breaches)
        super().__init__(
            "the seller may not offer below the price floor: "
            + "; ".join(self.breaches)
            + " (a buyer's counter below it needs a manager's approval instead)"
        )


class ClockBehindError(ActionRefusedError):
    """The action's time lies before the deal's last event by more than the clock skew
    allowed between machines: recording it would put the history out of order."""

    def __init__(self, deal_id: str, at: str, last: str, skew_seconds: float) -> None:
        self.deal_id = deal_id
        self.at = at
        self.last = last
        self.skew_seconds = skew_seconds
        super().__init__(
            f"the time of this action, {at}, is before "
            f"{'the roster' if deal_id == '@roster' else 'deal ' + deal_id}'s last event at {last} "
            f"(more than {skew_seconds:g} s of clock skew); check the clock or --now"
        )


class ConcurrencyConflictError(DealflowError):
    """Another writer appended to the deal first; reload it and try again.

    ``changes`` describes what the other writers recorded since ``expected_version``, when
    the service could read it (one short line per event, oldest first).
    """

    def __init__(self, deal_id: str, expected_version: int, changes: Sequence[str] = ()) -> None:
        self.deal_id = deal_id
        self.expected_version = expected_version
        self.changes = tuple(changes)
        shown = "; ".join(self.changes[:3])
        if len(self.changes) > 3:
            shown += f"; and {len(self.changes) - 3} more"
        what = f" ({shown})" if shown else ""
        super().__init__(
            f"deal {deal_id} was changed by someone else after version {expected_version}"
            f"{what}; reload it and try again"
        )


class ArtifactConflictError(DealflowError):
    """A file kept for a deal exists with other bytes; kept files are never replaced."""

    def __init__(self, deal_id: str, name: str) -> None:
        self.deal_id = deal_id
        self.name = name
        super().__init__(
            f"deal {deal_id} already keeps a different {name!r}; kept files are never replaced"
        )


class RenderError(DealflowError):
    """A contract could not be rendered; nothing was written or kept."""


class TemplateProblemError(RenderError):
    """A contract template is missing, does not parse, uses a variable the deal does not have,
    names an unknown clause, or tried something the sandbox forbids."""

    def __init__(self, template: str, problem: str, line: int | None = None) -> None:
        self.template = template
        self.problem = problem
        self.line = line
        where = f"{template}, line {line}" if line else template
        super().__init__(f"template {where}: {problem}")


class FetchRefusedError(RenderError):
    """A template (or data in it) asked for a URL outside the template folders."""

    def __init__(self, url: str) -> None:
        self.url = url
        shown = url if len(url) <= 120 else url[:117] + "..."
        super().__init__(
            f"the contract asked for {shown!r}; only files in the template folders and "
            "data: URLs may be used"
        )


class SealError(DealflowError):
    """The seal certificate is missing, locked by another password, or cannot sign."""


class DamagedPdfError(DealflowError, ValueError):
    """A PDF cannot be read where it was asked: it is truncated or damaged. The message is what
    the PDF library said, on one line of at most 160 characters (pypdf quotes the bytes it
    choked on). Verification reports it as a failed check; it never reaches a user."""

    def __init__(self, said: str) -> None:
        text = " ".join(said.split())
        super().__init__(text if len(text) <= 160 else text[:157] + "...")

    @classmethod
    def of(cls, exc: BaseException) -> DamagedPdfError:
        """What a library raised on a damaged file, as one line (its type, when it says
        nothing)."""
        return cls(" ".join(str(exc).split()) or type(exc).__name__)


class LocalFileError(DealflowError, OSError):
    """A file the user named is not one dealflow may read or write: not a regular file (a
    folder, a FIFO, a device), a symbolic link where a file is to be written, a file that
    exists where a new one is to be made, or a file larger than dealflow reads."""

    def __init__(self, path: str, problem: str, writing: bool = False) -> None:
        self.path = path
        self.problem = problem
        self.writing = writing
        super().__init__(f"cannot write {path}: {problem}" if writing else f"{path}: {problem}")

    def __reduce__(self) -> tuple[type[LocalFileError], tuple[str, str, bool]]:
        # Raised in a worker process of `contract --all`, it crosses back by pickle.
        return type(self), (self.path, self.problem, self.writing)


class StoreError(DealflowError, OSError):
    """The event store failed; nothing of the action was written."""


class StoreSchemaError(StoreError):
    """The store's schema was written by a different dealflow version."""


class ReplayError(StoreError, ValueError):
    """A deal's log in the store is not a valid history (a gap, another deal's event, no
    opening event), so the deal cannot be folded from it: the store was damaged, or written by
    something other than dealflow."""
