"""One finding per root cause (issue 12; docs/decisions.md, "One finding per root cause").

A bug is often seen by several properties: a missing existence check makes the second register
change the world (``idempotent``) and any later register diverge (``convergent``); an unregister
that leaves subscriptions behind is ``clean``'s leftover and ``exactly_once``'s late delivery.
Violations that share a cause — the same failing step (its kind and bot) and the same world
difference, exception or request (``Violation.cause``) — form one :class:`Finding`, named by its
most specific property, the others listed under it. Findings are ordered by severity: secret
leaks and tenant isolation first.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from harness.properties import Violation
from harness.steps import Concurrently, step_kind

SEVERITY: tuple[str, ...] = (
    "no_secret_leak",
    "tenant_isolation",
    "clean",
    "reported",
    "convergent",
    "idempotent",
    "exactly_once",
    "tolerant_unregister",
)
"""Report order: what hurts most (a leaked token, another tenant touched) first."""

SPECIFICITY: tuple[str, ...] = (
    "no_secret_leak",
    "tenant_isolation",
    "tolerant_unregister",
    "idempotent",
    "reported",
    "clean",
    "convergent",
    "exactly_once",
)
"""Which property names a group: the narrowest statement of the bug first (``idempotent``: two
registers; ``convergent``: any history; ``exactly_once``: a consequence of the world)."""


@dataclass(frozen=True)
class Finding:
    """One root cause: the violation that names it and the others that share its cause."""

    primary: Violation
    related: tuple[Violation, ...] = field(default_factory=tuple)

    @property
    def properties(self) -> tuple[str, ...]:
        return (self.primary.property, *(v.property for v in self.related))

    def headline(self) -> str:
        """What broke, in one line: ``clean: after a fault-free unregister of bot1, ...``."""
        text = self.primary.message
        if len(text) > 120:
            text = text[:117] + "..."
        also = f" (also {', '.join(v.property for v in self.related)})" if self.related else ""
        return f"{self.primary.property}: {text}{also}"


def cause_key(v: Violation) -> tuple[str, ...]:
    """The root-cause identity of a violation: failing step kind and bot, and the cause."""
    step = v.steps[v.step_index] if 0 <= v.step_index < len(v.steps) else None
    if step is None:
        kind = ""
    elif isinstance(step, Concurrently):
        kind = "concurrently"
    else:
        kind = step_kind(step)
    cause = "".join("#" if ch.isdigit() else ch for ch in (v.cause or v.message))
    return (kind, v.bot or "", cause)


def group(violations: Sequence[Violation]) -> list[Finding]:
    """Violations grouped by root cause, each group named by its most specific property, the
    groups in severity order (then in the order found)."""
    groups: dict[tuple[str, ...], list[Violation]] = {}
    for v in violations:
        groups.setdefault(cause_key(v), []).append(v)
    findings: list[Finding] = []
    for members in groups.values():
        ordered = sorted(members, key=lambda v: _rank(SPECIFICITY, v.property))
        findings.append(Finding(ordered[0], tuple(ordered[1:])))
    order = {id(f): i for i, f in enumerate(findings)}
    return sorted(findings, key=lambda f: (_rank(SEVERITY, f.primary.property), order[id(f)]))


def _rank(order: tuple[str, ...], prop: str) -> int:
    return order.index(prop) if prop in order else len(order)


__all__ = ["SEVERITY", "SPECIFICITY", "Finding", "cause_key", "group"]
