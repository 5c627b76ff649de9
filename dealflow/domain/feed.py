"""The ordered event feed, for integrations outside the process.

Every stored event has a global position, gap-free per store; a consumer reads
``feed(after=last_position_it_processed)`` and resumes from the last position it handled
(at-least-once delivery). :class:`FeedEntry` is the JSON form of one line of the feed, with the
schema version of the event JSON so that consumers in other languages can check it.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from dealflow.domain.events import StoredEvent

#: The version of the events' JSON form; it changes only when a change would break a reader.
EVENT_SCHEMA_VERSION: Literal[1] = 1


class FeedEntry(BaseModel):
    """One event of the feed, with its position."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    position: Annotated[int, Field(ge=1)]
    schema_version: Literal[1] = EVENT_SCHEMA_VERSION
    event: StoredEvent
