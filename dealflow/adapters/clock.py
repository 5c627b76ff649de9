"""Clocks: the system's UTC time, and a fixed clock for tests, demos and replays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta


def _utc(at: datetime) -> datetime:
    if at.tzinfo is None or at.utcoffset() is None:
        raise ValueError(f"{at.isoformat()} has no timezone; write it like 2027-01-15T09:00Z")
    return at.astimezone(UTC)


class SystemClock:
    """The machine's time, in UTC."""

    overridden = False

    def now(self) -> datetime:
        """The current UTC time."""
        return datetime.now(UTC)


class FixedClock:
    """A clock that stands still until moved; times must be timezone-aware."""

    overridden = True

    def __init__(self, at: datetime) -> None:
        self._at = _utc(at)

    def now(self) -> datetime:
        """The time the clock is set to."""
        return self._at

    def advance(self, delta: timedelta) -> None:
        """Move the clock forward (or back, with a negative delta)."""
        self._at += delta

    def set(self, at: datetime) -> None:
        """Set the clock to another timezone-aware time."""
        self._at = _utc(at)
