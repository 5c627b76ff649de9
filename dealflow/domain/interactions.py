"""The interaction log: contacts with the buyer at any stage, which feed relationship health.

A rep records each meeting, call or message: its channel, what kind of contact it was
(a plain contact, a complaint, feedback, a competitor's quote used as pressure), a note, and
optionally the buyer's satisfaction on a 1-5 scale. Logging never moves the deal's stage.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from dealflow.domain.parties import Role


class Channel(StrEnum):
    """How the contact happened."""

    MEETING = "meeting"
    PHONE = "phone"
    EMAIL = "email"
    CHAT = "chat"
    VIDEO = "video"
    SOCIAL = "social"
    WEB = "web"


class InteractionKind(StrEnum):
    """What the contact was about."""

    CONTACT = "contact"
    COMPLAINT = "complaint"
    FEEDBACK = "feedback"
    COMPETITOR_QUOTE = "competitor-quote"


Satisfaction = Annotated[int, Field(ge=1, le=5, strict=True)]


class Interaction(BaseModel):
    """One logged contact."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    at: AwareDatetime
    by: str
    role: Role
    channel: Channel
    kind: InteractionKind
    note: Annotated[str, Field(min_length=1, max_length=5000)]
    csat: Satisfaction | None = None
