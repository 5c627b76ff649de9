"""The two organisations in a deal and the people who act for them."""

from __future__ import annotations

import unicodedata
from enum import StrEnum
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo

_FROZEN = ConfigDict(frozen=True, extra="forbid")


#: The validation context the stores read events with: what was recorded is read back as it
#: was, even where a later dealflow refuses it when written (a blank name, a date out of range).
STORED = {"stored": True}


def written(info: ValidationInfo) -> bool:
    """True unless the value is read back from a store (rules for new input apply)."""
    return not (isinstance(info.context, dict) and info.context.get("stored"))


#: Characters that print nothing in these categories: spaces and separators, control and
#: format characters (zero-width space and joiners U+200B-U+200D, word joiner U+2060, BOM
#: U+FEFF, bidi marks, tags...), and combining marks, which have nothing to sit on alone.
_BLANK_CATEGORIES = frozenset({"Zs", "Zl", "Zp", "Cc", "Cf", "Mn", "Mc", "Me"})
#: Letters and symbols drawn as empty space: the Hangul fillers and the blank braille cell.
_BLANK_CHARACTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def is_blank(text: str) -> bool:
    """True when a text shows nothing to read: empty, or only spaces, invisible characters
    (zero-width, format, filler) and combining marks without a letter to sit on."""
    return all(c in _BLANK_CHARACTERS or unicodedata.category(c) in _BLANK_CATEGORIES for c in text)


def not_blank(text: str, info: ValidationInfo) -> str:
    """A validator: refuse a new text that shows nothing to read (:func:`is_blank`); a text a
    store reads back is taken as it was recorded."""
    if written(info) and is_blank(text):
        if text.strip():
            raise ValueError("cannot be blank: it has only invisible characters")
        raise ValueError("cannot be blank")
    return text


#: A person's or an organisation's name, a title: something to read, not only spaces or
#: invisible characters (checked when written; a store reads back what it recorded).
Name = Annotated[str, Field(min_length=1, max_length=200), AfterValidator(not_blank)]
#: An address: something to read too, and longer.
Address = Annotated[str, Field(min_length=1, max_length=1000), AfterValidator(not_blank)]


class Side(StrEnum):
    """The two sides of a deal."""

    SELLER = "seller"
    BUYER = "buyer"

    @property
    def other(self) -> Side:
        """The opposite side."""
        return Side.BUYER if self is Side.SELLER else Side.SELLER


class Role(StrEnum):
    """Who may act on a deal. ``system`` is the engine itself (an offer lapsing); ``admin``
    changes the roster, never a deal."""

    SELLER = "seller"
    BUYER = "buyer"
    MANAGER = "manager"
    LEGAL = "legal"
    SERVICE = "service"
    SYSTEM = "system"
    ADMIN = "admin"

    @property
    def side(self) -> Side | None:
        """The side a seller or buyer acts for; None for internal roles."""
        return Side(self.value) if self in (Role.SELLER, Role.BUYER) else None


class Via(StrEnum):
    """How a buyer's act reached the member who recorded it."""

    MEETING = "meeting"
    EMAIL = "email"
    PHONE = "phone"
    LETTER = "letter"


#: A member's id as events carry it (see :mod:`dealflow.domain.members`).
MemberId = Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9._-]{0,31}$")]


class Identified(StrEnum):
    """How the member who acted (or recorded a buyer's act) was known to be who they are."""

    #: The system user's login name, on a machine whose store is a local file.
    OS_LOGIN = "os-login"
    #: Named by the host: ``--user`` / ``DEALFLOW_USER`` / ``connect(member=)`` / an
    #: application that authenticated the person itself (``acting_as``).
    NAMED = "named"
    #: The PostgreSQL login, which the database itself checks.
    DATABASE_LOGIN = "database-login"


class Actor(BaseModel):
    """A person (or the engine) taking an action, with the role they act in.

    On the seller's side ``member`` is the roster's id of the person who acted (the service
    fills it from the member it acts as). A buyer is never a member: a buyer's act recorded
    by a member names that member in ``recorded_by`` and how it came in ``channel``. Events
    recorded before the roster existed have neither.
    """

    model_config = _FROZEN

    name: Name
    role: Role
    member: MemberId | None = None
    recorded_by: MemberId | None = None
    channel: Via | None = None
    #: How that member was identified (None in events recorded before this was kept).
    identified: Identified | None = None

    @property
    def who(self) -> str:
        """``Budi Santoso (seller, budi)``; a recorded buyer's act says by whom and how."""
        if self.recorded_by:
            via = f" via {self.channel.value}" if self.channel else ""
            return f"{self.name} ({self.role.value}, recorded by {self.recorded_by}{via})"
        if self.member:
            return f"{self.name} ({self.role.value}, {self.member})"
        return f"{self.name} ({self.role.value})"


SYSTEM_ACTOR = Actor(name="dealflow", role=Role.SYSTEM)


class Representative(BaseModel):
    """The person who represents a party and signs for it."""

    model_config = _FROZEN

    name: Name
    title: Name
    email: Annotated[str, Field(max_length=320, pattern=r"^[^@\s]+@[^@\s]+$")] | None = None


class Party(BaseModel):
    """An organisation on one side of a deal."""

    model_config = _FROZEN

    name: Name
    address: Address
    tax_id: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    representative: Representative
    segment: dict[Annotated[str, Field(max_length=64)], Annotated[str, Field(max_length=200)]] = (
        Field(default_factory=dict, max_length=20)
    )
