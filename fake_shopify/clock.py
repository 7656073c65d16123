"""The one clock the fake reads.

Everything time-dependent in the fake (timestamps, the rate-limit bucket, the supported API
versions, fault latency) asks a :class:`Clock`. The harness drives one clock together with
freezegun so that an integration's sleeps and the fake's notion of time agree.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Protocol, runtime_checkable

__all__ = ["Clock", "ManualClock"]


@runtime_checkable
class Clock(Protocol):
    """What the fake needs from a clock: read it, and move it forward."""

    def now(self) -> datetime:
        """The current instant, an aware UTC datetime."""
        ...

    def advance(self, seconds: float) -> None:
        """Move the clock forward by ``seconds`` (latency faults, ``Retry-After`` waits)."""
        ...


def _aware_utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        # A naive datetime is read as UTC, as freezegun and most test code mean it.
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


class ManualClock:
    """A clock that only moves when told to.

    ``start`` defaults to the wall-clock time at construction, truncated to the second, so that
    the supported API versions are the ones a developer expects today (and, under freezegun, the
    frozen time). Pass ``start`` for fully reproducible timestamps.
    """

    __slots__ = ("_now",)

    def __init__(self, start: datetime | None = None) -> None:
        if start is None:
            start = datetime.now(UTC).replace(microsecond=0)
        self._now = _aware_utc(start)

    def now(self) -> datetime:
        return self._now

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError(f"a clock only moves forward; got advance({seconds!r})")
        self._now += timedelta(seconds=seconds)

    def set(self, moment: datetime) -> None:
        """Jump to ``moment`` (forward only)."""
        moment = _aware_utc(moment)
        if moment < self._now:
            raise ValueError(f"a clock only moves forward; {moment.isoformat()} is in its past")
        self._now = moment

    def __repr__(self) -> str:
        return f"ManualClock({self._now.isoformat()!r})"
