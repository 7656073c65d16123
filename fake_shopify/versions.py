"""Admin API versions: quarterly ``YYYY-MM`` releases, a supported window, fall-forward.

Shopify releases a stable version each quarter (January, April, July, October) at 17:00 UTC on
the first of the month and supports each for at least twelve months; the next quarter is
available early as a release candidate; ``unstable`` always exists. A request for an expired
stable version is served by the oldest supported one, and ``X-Shopify-API-Version`` says so
(shopify.dev/docs/api/usage/versioning). The handling of a malformed or not-yet-available
version is unverified [U], so it is configurable (``MalformedVersionPolicy``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

__all__ = [
    "UNSTABLE",
    "MalformedVersionPolicy",
    "ResolvedVersion",
    "latest_stable",
    "parse_version",
    "release_candidate",
    "release_instant",
    "resolve_version",
    "supported_versions",
]

UNSTABLE = "unstable"
SUPPORT_MONTHS = 12
MalformedVersionPolicy = Literal["not_found", "fall_forward"]

_VERSION = re.compile(r"^(\d{4})-(\d{2})$")


def parse_version(handle: str) -> tuple[int, int] | None:
    """``"2026-01"`` -> ``(2026, 1)``; ``None`` unless it names a quarterly release month."""
    m = _VERSION.match(handle)
    if m is None:
        return None
    year, month = int(m.group(1)), int(m.group(2))
    if month not in (1, 4, 7, 10) or year < 2019:
        return None
    return year, month


def _handle(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def release_instant(handle: str) -> datetime:
    """When the stable version ``handle`` was (or will be) released."""
    parsed = parse_version(handle)
    if parsed is None:
        raise ValueError(f"not a stable API version: {handle!r}")
    return datetime(parsed[0], parsed[1], 1, 17, 0, tzinfo=UTC)


def _shift(year: int, month: int, quarters: int) -> tuple[int, int]:
    index = year * 4 + (month - 1) // 3 + quarters
    return index // 4, (index % 4) * 3 + 1


def latest_stable(now: datetime) -> str:
    """The newest stable version released at ``now``."""
    year, month = now.year, ((now.month - 1) // 3) * 3 + 1
    if now < datetime(year, month, 1, 17, 0, tzinfo=UTC):
        year, month = _shift(year, month, -1)
    return _handle(year, month)


def release_candidate(now: datetime) -> str:
    """The next quarter's version, available early as a release candidate."""
    parsed = parse_version(latest_stable(now))
    assert parsed is not None
    return _handle(*_shift(*parsed, 1))


def supported_versions(now: datetime, *, support_months: int = SUPPORT_MONTHS) -> tuple[str, ...]:
    """Stable versions supported at ``now``, oldest first (the latest is last)."""
    parsed = parse_version(latest_stable(now))
    assert parsed is not None
    out: list[str] = []
    for back in range(support_months // 3, -1, -1):
        year, month = _shift(*parsed, -back)
        # Supported for ``support_months`` after release.
        end_year, end_month = _shift(year, month, support_months // 3)
        if now < datetime(end_year, end_month, 1, 17, 0, tzinfo=UTC):
            out.append(_handle(year, month))
    return tuple(out)


@dataclass(frozen=True, slots=True)
class ResolvedVersion:
    """The version a request asked for and the one that serves it."""

    requested: str
    served: str
    fell_forward: bool
    supported: bool  # False for unstable and the release candidate, as ApiVersion.supported


def resolve_version(
    requested: str,
    now: datetime,
    *,
    malformed: MalformedVersionPolicy = "not_found",
    support_months: int = SUPPORT_MONTHS,
) -> ResolvedVersion | None:
    """The version that serves ``requested`` at ``now``; ``None`` means answer 404.

    Expired stable versions fall forward to the oldest supported one. Malformed versions and
    versions newer than the release candidate follow ``malformed`` [U]: ``"not_found"`` (404) or
    ``"fall_forward"`` (served by the oldest supported version).
    """
    if requested == UNSTABLE:
        return ResolvedVersion(requested, UNSTABLE, fell_forward=False, supported=False)
    supported = supported_versions(now, support_months=support_months)
    parsed = parse_version(requested)
    if parsed is not None:
        if requested in supported:
            return ResolvedVersion(requested, requested, fell_forward=False, supported=True)
        if requested == release_candidate(now):
            return ResolvedVersion(requested, requested, fell_forward=False, supported=False)
        if release_instant(requested) < release_instant(supported[0]):
            return ResolvedVersion(requested, supported[0], fell_forward=True, supported=True)
    if malformed == "fall_forward":
        return ResolvedVersion(requested, supported[0], fell_forward=True, supported=True)
    return None
