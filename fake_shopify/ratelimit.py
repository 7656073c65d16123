"""Rate limits: the REST leaky bucket and the GraphQL calculated-cost bucket.

REST (shopify.dev/docs/api/admin-rest/usage/rate-limits): a bucket of 40 requests per app and
shop that leaks 2 per second (Shopify Plus: 400 and 20). A request that does not fit is answered
429 with ``Retry-After: 2.0``; it is not queued and does not fill the bucket. Every response
reports ``X-Shopify-Shop-Api-Call-Limit: used/size``. GraphQL spends query cost from a bucket of
2000 points restored at 100 per second (Plus: 20000 and 1000 [U]). Time is the fake's clock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

__all__ = ["CostBucket", "LeakyBucket", "RateLimiter", "RateLimits"]


@dataclass(frozen=True, slots=True)
class RateLimits:
    """Bucket sizes and leak rates of one plan."""

    rest_size: int = 40
    rest_leak: float = 2.0
    graphql_size: float = 2000.0
    graphql_restore: float = 100.0


PLAN_LIMITS: dict[str, RateLimits] = {
    "basic": RateLimits(),
    "plus": RateLimits(rest_size=400, rest_leak=20.0, graphql_size=20000.0, graphql_restore=1000.0),
}


class LeakyBucket:
    """A leaky bucket measured in requests; ``level`` leaks continuously with the clock."""

    __slots__ = ("last", "leak", "level", "size")

    def __init__(self, size: int, leak: float, now: float) -> None:
        self.size = size
        self.leak = leak
        self.level = 0.0
        self.last = now

    def _drain(self, now: float) -> None:
        if now > self.last:
            self.level = max(0.0, self.level - (now - self.last) * self.leak)
            self.last = now

    def take(self, now: float) -> bool:
        """Add one request if it fits; ``False`` means answer 429."""
        self._drain(now)
        if self.level + 1 > self.size:
            return False
        self.level += 1
        return True

    def used(self, now: float) -> int:
        """The ``used`` figure of ``X-Shopify-Shop-Api-Call-Limit`` at ``now``."""
        self._drain(now)
        return min(self.size, math.ceil(self.level - 1e-9))

    def header(self, now: float) -> str:
        return f"{self.used(now)}/{self.size}"


class CostBucket:
    """GraphQL's calculated-cost bucket: spend points, restored continuously."""

    __slots__ = ("available", "last", "maximum", "restore")

    def __init__(self, maximum: float, restore: float, now: float) -> None:
        self.maximum = maximum
        self.restore = restore
        self.available = maximum
        self.last = now

    def _restore(self, now: float) -> None:
        if now > self.last:
            self.available = min(self.maximum, self.available + (now - self.last) * self.restore)
            self.last = now

    def spend(self, cost: float, now: float) -> bool:
        """Spend ``cost`` points if available; ``False`` means THROTTLED."""
        self._restore(now)
        if cost > self.available:
            return False
        self.available -= cost
        return True

    def currently_available(self, now: float) -> float:
        self._restore(now)
        return self.available


class RateLimiter:
    """One REST bucket and one GraphQL bucket per (shop, app); ``enabled=False`` never throttles."""

    def __init__(self, *, enabled: bool = True) -> None:
        self.enabled = enabled
        self._rest: dict[tuple[str, str], LeakyBucket] = {}
        self._graphql: dict[tuple[str, str], CostBucket] = {}

    def rest(self, shop: str, app: str, plan: str, now: float) -> LeakyBucket:
        """The REST bucket of ``app`` on ``shop`` (created on first use, empty)."""
        key = (shop, app)
        bucket = self._rest.get(key)
        if bucket is None:
            limits = PLAN_LIMITS.get(plan, PLAN_LIMITS["basic"])
            bucket = self._rest[key] = LeakyBucket(limits.rest_size, limits.rest_leak, now)
        return bucket

    def graphql(self, shop: str, app: str, plan: str, now: float) -> CostBucket:
        """The GraphQL cost bucket of ``app`` on ``shop`` (created on first use, full)."""
        key = (shop, app)
        bucket = self._graphql.get(key)
        if bucket is None:
            limits = PLAN_LIMITS.get(plan, PLAN_LIMITS["basic"])
            bucket = self._graphql[key] = CostBucket(
                limits.graphql_size, limits.graphql_restore, now
            )
        return bucket
