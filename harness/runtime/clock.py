"""What the runtime reads time from: the :class:`Clock` protocol (``VirtualTime`` and
fake_shopify's clocks fit), and a fixed clock for stores made without one."""

from __future__ import annotations

import datetime as _dt
from typing import Protocol


class Clock(Protocol):
    """What the store reads time from (``VirtualTime`` and fake_shopify's clocks fit)."""

    def now(self) -> _dt.datetime: ...


class _FixedClock:
    def __init__(self) -> None:
        self._now = _dt.datetime(2026, 1, 5, 9, 0, 0, tzinfo=_dt.UTC)

    def now(self) -> _dt.datetime:
        return self._now
