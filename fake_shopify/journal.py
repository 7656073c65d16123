"""The journal: every exchange the fake served, in order, optionally bounded."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

import httpx

__all__ = ["Exchange", "Journal"]


@dataclass(slots=True)
class Exchange:
    """One request to the fake and what came of it.

    ``response`` is what the fake produced (also for a lost response, where ``error`` is what
    the client saw instead); ``error`` is the exception raised to the client, if any.
    """

    index: int
    time: datetime
    request: httpx.Request
    response: httpx.Response | None = None
    error: BaseException | None = None
    fault_id: str | None = None
    action: str | None = None
    shop: str | None = None
    app: str | None = None
    request_id: str | None = None
    operations: tuple[str, ...] = ()  # GraphQL: the operation name and root fields


class Journal:
    """Exchanges in order. ``limit`` keeps only the most recent ones (long runs); indexes keep
    counting, so ``mark()``/``since()`` work across the bound."""

    def __init__(self, *, limit: int | None = None) -> None:
        if limit is not None and limit < 0:
            raise ValueError(f"journal limit must be >= 0, got {limit}")
        self.limit = limit
        self._items: deque[Exchange] = deque(maxlen=limit)
        self._next = 0

    def next_index(self) -> int:
        """Reserve the index of the next exchange."""
        index = self._next
        self._next += 1
        return index

    def append(self, exchange: Exchange) -> None:
        self._items.append(exchange)

    @property
    def total(self) -> int:
        """How many exchanges happened, including those the bound dropped."""
        return self._next

    def mark(self) -> int:
        """A position: ``since(mark)`` returns the exchanges after it."""
        return self._next

    def since(self, mark: int) -> list[Exchange]:
        """Exchanges with ``index >= mark`` that the journal still holds, in order."""
        if not self._items or self._items[-1].index < mark:
            return []
        out: list[Exchange] = []
        for exchange in reversed(self._items):
            if exchange.index < mark:
                break
            out.append(exchange)
        out.reverse()
        return out

    def clear(self) -> None:
        """Drop the held exchanges (indexes keep counting)."""
        self._items.clear()

    def __iter__(self) -> Iterator[Exchange]:
        return iter(list(self._items))

    def __len__(self) -> int:
        return len(self._items)

    def __getitem__(self, position: int) -> Exchange:
        return self._items[position]

    def __repr__(self) -> str:
        return f"<Journal {len(self._items)} held of {self._next} (limit={self.limit})>"
