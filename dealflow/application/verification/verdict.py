"""The verdict on a contract file: each check run (:class:`Check`), all of them with the facts
found (:class:`Verdict`), and :class:`Findings`, where the checks record what they find as
they run, each guarded so that a damaged file fails the check reading it instead of raising."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from dealflow.errors import DamagedPdfError
from dealflow.ports import PARSER_ERRORS

T = TypeVar("T")

#: What reading a damaged file raises: an adapter's DamagedPdfError, or a builtin that parsing
#: what the file embeds (JSON, an agreement) lets escape.
DAMAGE: tuple[type[Exception], ...] = (DamagedPdfError, *PARSER_ERRORS)


@dataclass(frozen=True)
class Check:
    """One check: its name, whether it holds, and what was found."""

    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class Verdict:
    """Every check run on a contract file; it verifies when all of them hold."""

    checks: tuple[Check, ...]
    #: Who sealed it, when a seal was found.
    signer: str | None = None
    contract_number: str | None = None
    #: The SHA-256 fingerprint of the seal's certificate (lower-case hex).
    fingerprint: str | None = None
    #: The seal's PAdES level: "B-B", "B-T", "B-LT" or "B-LTA".
    seal_level: str | None = None
    #: The trusted signing time (the signature timestamp's); None: no trusted time.
    signing_time: datetime | None = None
    #: Whether the seal's chain reaches a trusted root; None: no roots were given.
    trusted: bool | None = None

    @property
    def ok(self) -> bool:
        """True when every check holds."""
        return bool(self.checks) and all(check.ok for check in self.checks)

    @property
    def failed(self) -> list[str]:
        """The names of the checks that do not hold."""
        return [check.name for check in self.checks if not check.ok]


@dataclass
class Findings:
    """The checks recorded so far and the facts found, until they make the :class:`Verdict`."""

    checks: list[Check] = field(default_factory=list)
    signer: str | None = None
    number: str | None = None
    fingerprint: str | None = None
    seal_level: str | None = None
    signing_time: datetime | None = None
    trusted: bool | None = None

    def add(self, name: str, ok: bool, detail: str) -> bool:
        self.checks.append(Check(name, ok, detail))
        return ok

    def verdict(self) -> Verdict:
        return Verdict(
            tuple(self.checks), self.signer, self.number, self.fingerprint, self.seal_level,
            self.signing_time, self.trusted,
        )  # fmt: skip

    def guarded(self, names: tuple[str, ...], step: Callable[[], T]) -> T | None:
        """``step()``, or None when reading the file fails on damage: then the first of the
        checks ``names`` it was making that is not recorded yet fails, saying why."""
        try:
            return step()
        except DAMAGE as exc:
            done = {check.name for check in self.checks}
            name = next((n for n in names if n not in done), names[-1])
            said = DamagedPdfError.of(exc)
            self.add(name, False, f"the PDF is damaged where this check reads it: {said}")
            return None
