"""API versions, the topic table and the clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fake_shopify import ManualClock
from fake_shopify.topics import (
    TOPICS,
    allowed_topics,
    graphql_enum_values,
    graphql_topic,
    is_allowed,
    rest_topic,
)
from fake_shopify.versions import (
    latest_stable,
    parse_version,
    release_candidate,
    resolve_version,
    supported_versions,
)


def test_supported_window_on_a_known_date() -> None:
    # The docs' version selector on 2026-09-11 listed 2026-07 as latest, 2026-10 as RC.
    now = datetime(2026, 9, 11, tzinfo=UTC)
    assert latest_stable(now) == "2026-07"
    assert release_candidate(now) == "2026-10"
    assert supported_versions(now) == ("2025-10", "2026-01", "2026-04", "2026-07")


def test_release_happens_at_17_utc() -> None:
    assert latest_stable(datetime(2026, 10, 1, 16, 59, tzinfo=UTC)) == "2026-07"
    assert latest_stable(datetime(2026, 10, 1, 17, 0, tzinfo=UTC)) == "2026-10"


def test_resolve_versions() -> None:
    now = datetime(2026, 9, 11, tzinfo=UTC)
    served = resolve_version("2025-01", now)
    assert served is not None
    assert (served.served, served.fell_forward) == ("2025-10", True)
    current = resolve_version("2026-04", now)
    assert current is not None
    assert (current.served, current.fell_forward) == ("2026-04", False)
    rc = resolve_version("2026-10", now)
    assert rc is not None
    assert rc.served == "2026-10"
    assert not rc.supported
    unstable = resolve_version("unstable", now)
    assert unstable is not None
    assert unstable.served == "unstable"
    for bad in ("2024-13", "2024-02", "foo", "2027-04"):
        assert resolve_version(bad, now) is None
        forward = resolve_version(bad, now, malformed="fall_forward")
        assert forward is not None
        assert forward.served == "2025-10"


@settings(max_examples=100)
@given(st.datetimes(min_value=datetime(2021, 1, 1), max_value=datetime(2035, 1, 1)))
def test_window_invariants(naive: datetime) -> None:
    now = naive.replace(tzinfo=UTC)
    window = supported_versions(now)
    assert window[-1] == latest_stable(now)
    assert len(window) in (4, 5)  # at least twelve months of overlap, quarterly releases
    assert all(parse_version(v) is not None for v in window)
    assert list(window) == sorted(window)
    for v in window:
        resolved = resolve_version(v, now)
        assert resolved is not None
        assert resolved.served == v


def test_topic_table_round_trips() -> None:
    for rest, topic in TOPICS.items():
        if topic.graphql is not None:
            assert rest_topic(topic.graphql) == rest
            assert graphql_topic(rest) == rest.replace("/", "_").replace(".", "_").upper()
    assert graphql_topic("orders/updated") == "ORDERS_UPDATED"
    assert rest_topic("CUSTOMER_TAGS_ADDED") == "customer.tags_added"
    assert graphql_topic("shop/redact") is None
    assert rest_topic("NOT_A_TOPIC") is None
    assert len(graphql_enum_values()) == len({t.graphql for t in TOPICS.values() if t.graphql})


def test_allowed_topics_by_scope() -> None:
    none = allowed_topics(())
    assert "app/uninstalled" in none
    assert "shop/update" in none
    assert "orders/create" not in none
    assert "products/update" not in none
    products = allowed_topics({"write_products"})
    assert "products/create" in products
    assert "collections/delete" in products
    assert "orders/create" not in products
    assert is_allowed("fulfillments/create", {"read_orders"})
    assert is_allowed("fulfillments/create", {"read_fulfillments"})
    assert not is_allowed("orders/update", {"read_orders"})  # the real name is orders/updated


def test_manual_clock() -> None:
    clock = ManualClock(datetime(2026, 1, 1))
    assert clock.now() == datetime(2026, 1, 1, tzinfo=UTC)
    clock.advance(1.5)
    assert clock.now() - datetime(2026, 1, 1, tzinfo=UTC) == timedelta(seconds=1.5)
    with pytest.raises(ValueError, match="forward"):
        clock.advance(-1)
    with pytest.raises(ValueError, match="forward"):
        clock.set(datetime(2025, 1, 1, tzinfo=UTC))
    assert ManualClock().now().tzinfo is UTC
