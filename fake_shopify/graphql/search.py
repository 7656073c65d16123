"""Shopify search syntax for ``webhookSubscriptions(query:)`` and ``webhookSubscriptionsCount``.

The subset the fake understands: space-separated terms joined by AND (``AND`` itself allowed),
``field:value``, comparisons ``field:>v``, ``>=``, ``<``, ``<=``, quoted values, and ``-field:v``
or ``NOT field:v`` negation. Fields: ``id``, ``created_at``, ``updated_at`` (list and count),
plus ``topic`` and ``endpoint`` (count only, per the 2026-04 schema's argument docs). Shopify
ignores terms on fields it does not know rather than failing; so does the fake [I].
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

LIST_FIELDS = frozenset({"id", "created_at", "updated_at"})
COUNT_FIELDS = frozenset({"id", "created_at", "updated_at", "topic", "endpoint"})

_TERM = re.compile(r'(-)?([a-z_]+):(>=|<=|>|<)?("([^"]*)"|\S+)')


@dataclass(frozen=True)
class Term:
    """One ``field:value`` term of a search query."""

    field: str
    op: str  # "=", ">", ">=", "<", "<="
    value: str
    negated: bool = False


def parse_query(query: str | None, *, fields: frozenset[str]) -> tuple[Term, ...]:
    """The terms of ``query`` on ``fields`` (terms on other fields are ignored)."""
    if not query:
        return ()
    terms: list[Term] = []
    negate_next = False
    for token in _tokens(query):
        if token == "AND":
            continue
        if token == "NOT":
            negate_next = True
            continue
        match = _TERM.fullmatch(token)
        if match is None:
            negate_next = False
            continue
        minus, field, op, raw, quoted = match.groups()
        value = quoted if quoted is not None else raw
        if field in fields:
            terms.append(Term(field, op or "=", value, negated=bool(minus) or negate_next))
        negate_next = False
    return tuple(terms)


def _tokens(query: str) -> list[str]:
    return re.findall(r'-?[a-z_]+:(?:>=|<=|>|<)?"[^"]*"|\S+', query)


def matches(terms: tuple[Term, ...], values: Callable[[str], Any]) -> bool:
    """Whether a record whose field values ``values(field)`` returns satisfies every term."""
    return all(_term_matches(term, values(term.field)) != term.negated for term in terms)


def _term_matches(term: Term, actual: Any) -> bool:
    if isinstance(actual, datetime):
        wanted = _parse_time(term.value)
        if wanted is None:
            return False
        return _compare(actual, wanted, term.op)
    if isinstance(actual, int):
        try:
            wanted_int = int(term.value.rsplit("/", 1)[-1])
        except ValueError:
            return False
        return _compare(actual, wanted_int, term.op)
    text = str(actual)
    if term.op == "=":
        return text.lower() == term.value.lower()
    return _compare(text, term.value, term.op)


def _compare(left: Any, right: Any, op: str) -> bool:
    if op == ">":
        return bool(left > right)
    if op == ">=":
        return bool(left >= right)
    if op == "<":
        return bool(left < right)
    if op == "<=":
        return bool(left <= right)
    return bool(left == right)


def _parse_time(value: str) -> datetime | None:
    text = value.replace("Z", "+00:00")
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)
