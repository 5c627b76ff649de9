"""The header every event in a store's log carries, deal events and roster events alike: the
stream it belongs to (a deal's id, or the roster's ``@roster``), its version in that stream
(the previous one + 1), when it occurred, and who acted.

:class:`~dealflow.domain.events.Event` (a deal's events) and
:class:`~dealflow.domain.members.RosterEvent` derive from :class:`EventHeader`, which is what a
store needs of any event to keep it: its place in the log and its JSON form.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from dealflow.domain.parties import Actor


class EventHeader(BaseModel):
    """Where an event stands in the store's log, when it occurred and who acted.

    Every event also says whether its time was a simulation's (``clock_overridden``), but
    each kind declares that flag itself, after its own header field (a deal event's stage),
    because that is where the JSON the stores keep has always had it.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    deal_id: str
    version: Annotated[int, Field(ge=1)]
    occurred_at: AwareDatetime
    actor: Actor
