"""Warranty claims and complaints recorded against a deal: opened, responded, resolved.

A claim is the buyer asking the seller to act: a warranty claim (something broke) or a
complaint (something went wrong). Each has a promised response time: a warranty claim the
hours the warranty promises, a complaint the policy's complaint response hours. The first
response is measured against that promise; a claim stays open until it is resolved.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class ClaimKind(StrEnum):
    """What the buyer raised."""

    WARRANTY = "warranty"
    COMPLAINT = "complaint"


ClaimNote = Annotated[str, Field(min_length=1, max_length=5000)]


class Claim(BaseModel):
    """One warranty claim or complaint and where it stands."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    kind: ClaimKind
    note: ClaimNote
    opened_at: AwareDatetime
    opened_by: str
    #: The commitment it is raised against (``warranty-1``), if any.
    item: str | None = None
    #: The response time promised, in hours.
    response_hours: int
    responded_at: AwareDatetime | None = None
    response_note: str | None = None
    resolved_at: AwareDatetime | None = None
    resolution_note: str | None = None

    @property
    def open(self) -> bool:
        """True until it is resolved."""
        return self.resolved_at is None

    @property
    def respond_by(self) -> datetime:
        """When the promised response is due."""
        return self.opened_at + timedelta(hours=self.response_hours)

    def response_late(self, now: datetime) -> bool:
        """True if the first response came (or, still missing, is) after the promised time."""
        return (self.responded_at or now) > self.respond_by

    def age_days(self, now: datetime) -> int:
        """Whole days since it was opened, until it was resolved or now."""
        return max(0, ((self.resolved_at or now) - self.opened_at).days)
