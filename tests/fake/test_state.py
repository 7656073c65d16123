"""State-layer tests: shops, apps, tokens and webhooks without any HTTP."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fake_shopify import (
    AuthenticationError,
    FakeShopify,
    FakeUsageError,
    ManualClock,
    NotFoundError,
    Origin,
    ValidationError,
)
from fake_shopify.state import ID_START, ShopifyBackend, invalid_topic_message
from fake_shopify.topics import allowed_topics

START = datetime(2026, 3, 10, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
def backend() -> ShopifyBackend:
    b = ShopifyBackend(ManualClock(START))
    b.add_shop("acme")
    b.add_app("bot", scopes={"read_orders", "write_products"})
    b.install("acme", "bot")
    return b


def test_ids_come_from_one_int64_counter(backend: ShopifyBackend) -> None:
    w1 = backend.create_webhook("acme", "bot", topic="orders/create", address="https://a.example/1")
    w2 = backend.create_webhook("acme", "bot", topic="orders/create", address="https://a.example/2")
    assert w2.id == w1.id + 1
    assert w1.id > ID_START  # shop, app and installation took earlier ids
    assert w1.id > 2**31  # needs int64, as real Shopify ids do
    assert w1.gid == f"gid://shopify/WebhookSubscription/{w1.id}"


def test_two_fakes_are_deterministic() -> None:
    def build() -> tuple[str, str, int]:
        b = ShopifyBackend(ManualClock(START))
        b.add_shop("acme")
        app = b.add_app("bot")
        inst = b.install("acme", "bot")
        return inst.access_token, app.client_secret, b.next_id()

    first, second = build(), build()
    assert first == second
    assert first[0].startswith("shpat_")
    assert len(first[0]) == 38
    assert first[1].startswith("shpss_")
    assert len(first[1]) == 38


def test_create_applies_defaults_and_origin(backend: ShopifyBackend) -> None:
    origin = Origin(app="bot", token="t", request_id="r-1")
    w = backend.create_webhook(
        "acme", "bot", topic="orders/create", address=" https://a.example/h ", origin=origin
    )
    assert (w.format, w.fields, w.metafield_namespaces) == ("json", (), ())
    assert w.address == "https://a.example/h"  # surrounding whitespace trimmed
    assert w.created_at == w.updated_at == START
    assert w.api_version == backend.app("bot").api_version == "2026-01"
    assert w.origin == origin
    assert (w.shop, w.app) == ("acme", "bot")


def test_blank_topic_and_address_give_shopify_messages(backend: ShopifyBackend) -> None:
    with pytest.raises(ValidationError) as info:
        backend.create_webhook("acme", "bot", topic="", address="")
    scopes = backend.installation("acme", "bot").scopes
    assert info.value.errors == {
        "topic": [invalid_topic_message("", scopes), "can't be blank"],
        "address": ["can't be blank"],
    }
    assert info.value.errors["topic"][0].startswith(
        "Invalid topic specified: . Does it exist? Is there a missing access scope? Topics allowed: "
    )
    assert backend.webhooks() == []


def test_allowed_topics_depend_on_scopes(backend: ShopifyBackend) -> None:
    # read_orders and write_products grant orders and products topics, not customers.
    backend.create_webhook("acme", "bot", topic="orders/create", address="https://a.example/")
    backend.create_webhook("acme", "bot", topic="products/update", address="https://a.example/")
    with pytest.raises(ValidationError) as info:
        backend.create_webhook(
            "acme", "bot", topic="customers/create", address="https://a.example/"
        )
    message = info.value.errors["topic"][0]
    assert "Invalid topic specified: customers/create." in message
    assert "orders/create" in message
    assert "customers/create, " not in message
    assert message.endswith(", ".join(allowed_topics({"read_orders", "write_products"})))


@pytest.mark.parametrize("topic", ["orders/update", "ORDERS_CREATE", "nope"])
def test_unknown_topics_are_invalid(backend: ShopifyBackend, topic: str) -> None:
    with pytest.raises(ValidationError) as info:
        backend.create_webhook("acme", "bot", topic=topic, address="https://a.example/")
    assert list(info.value.errors) == ["topic"]


@pytest.mark.parametrize(
    ("address", "messages"),
    [
        ("http://a.example/", ["protocol http:// is not supported"]),
        ("ftp://a.example/", ["protocol ftp:// is not supported"]),
        ("https://", ["is invalid"]),
        ("a.example/hook", ["is invalid"]),
        ("https://localhost/hook", ["cannot be a Shopify or an internal domain"]),
        ("https://127.0.0.1/hook", ["cannot be a Shopify or an internal domain"]),
        ("https://10.1.2.3/hook", ["cannot be a Shopify or an internal domain"]),
        ("https://billing.internal/hook", ["cannot be a Shopify or an internal domain"]),
        ("https://acme.myshopify.com/hook", ["cannot be a Shopify or an internal domain"]),
        ("https://admin.shopify.com/x", ["cannot be a Shopify or an internal domain"]),
        (
            "pubsub://project:",
            [
                "protocol pubsub:// is not supported",
                "is not a valid GCP pub/sub format. Format should be pubsub://project:topic",
            ],
        ),
        ("https://a.example/" + "x" * 65_536, ["is too big (maximum is 64 KB)"]),
    ],
)
def test_invalid_addresses(backend: ShopifyBackend, address: str, messages: list[str]) -> None:
    with pytest.raises(ValidationError) as info:
        backend.create_webhook("acme", "bot", topic="orders/create", address=address)
    assert info.value.errors == {"address": messages}


@pytest.mark.parametrize(
    "address",
    [
        "https://hooks.example.com/shopify?x=1",
        "pubsub://my-project:my-topic",
        "arn:aws:events:us-east-1::event-source/aws.partner/shopify.com/123/source",
    ],
)
def test_valid_addresses(backend: ShopifyBackend, address: str) -> None:
    assert (
        backend.create_webhook("acme", "bot", topic="orders/create", address=address).address
        == address
    )


def test_duplicate_topic_address_format(backend: ShopifyBackend) -> None:
    backend.create_webhook("acme", "bot", topic="orders/create", address="https://a.example/")
    with pytest.raises(ValidationError) as info:
        backend.create_webhook("acme", "bot", topic="orders/create", address="https://a.example/")
    assert info.value.errors == {"address": ["for this topic has already been taken"]}
    assert info.value.full_messages() == [
        ("address", "Address for this topic has already been taken")
    ]
    # Another format, another topic, another app or another shop is not a duplicate.
    backend.create_webhook(
        "acme", "bot", topic="orders/create", address="https://a.example/", format="xml"
    )
    backend.create_webhook("acme", "bot", topic="orders/paid", address="https://a.example/")
    backend.add_app("other")
    backend.create_webhook("acme", "other", topic="orders/create", address="https://a.example/")
    backend.add_shop("beta")
    backend.create_webhook("beta", "bot", topic="orders/create", address="https://a.example/")
    assert len(backend.webhooks()) == 5


def test_app_scoped_visibility(backend: ShopifyBackend) -> None:
    backend.add_app("other")
    mine = backend.create_webhook(
        "acme", "bot", topic="orders/create", address="https://a.example/"
    )
    theirs = backend.create_webhook(
        "acme", "other", topic="orders/create", address="https://a.example/"
    )
    assert backend.list_webhooks("acme", "bot") == [mine]
    assert backend.count_webhooks("acme", "other") == 1
    with pytest.raises(NotFoundError):
        backend.get_webhook("acme", "bot", theirs.id)
    with pytest.raises(NotFoundError):
        backend.update_webhook("acme", "bot", theirs.id, address="https://b.example/")
    with pytest.raises(NotFoundError):
        backend.delete_webhook("acme", "bot", theirs.id)
    assert theirs.address == "https://a.example/"
    assert backend.webhooks("acme") == [mine, theirs]


def test_update_changes_fields_and_bumps_updated_at(backend: ShopifyBackend) -> None:
    w = backend.create_webhook("acme", "bot", topic="orders/create", address="https://a.example/")
    assert isinstance(backend.clock, ManualClock)
    backend.clock.advance(61)
    updated = backend.update_webhook(
        "acme",
        "bot",
        w.id,
        address="https://b.example/",
        fields=["id", "note"],
        topic="orders/paid",
    )
    assert updated.address == "https://b.example/"
    assert updated.fields == ("id", "note")
    assert updated.topic == "orders/create"  # topic_update="ignore"
    assert updated.created_at == START
    assert (updated.updated_at - START).total_seconds() == 61


def test_topic_update_reject_policy() -> None:
    b = ShopifyBackend(ManualClock(START), topic_update="reject")
    b.add_shop("acme")
    b.add_app("bot")
    w = b.create_webhook("acme", "bot", topic="orders/create", address="https://a.example/")
    with pytest.raises(ValidationError) as info:
        b.update_webhook("acme", "bot", w.id, topic="orders/paid", address="https://c.example/")
    assert info.value.errors == {"topic": ["cannot be changed"]}
    assert (w.topic, w.address) == ("orders/create", "https://a.example/")  # unchanged
    assert b.update_webhook("acme", "bot", w.id, topic="orders/create").topic == "orders/create"


def test_failed_update_leaves_record_unchanged(backend: ShopifyBackend) -> None:
    a = backend.create_webhook("acme", "bot", topic="orders/create", address="https://a.example/")
    b = backend.create_webhook("acme", "bot", topic="orders/create", address="https://b.example/")
    with pytest.raises(ValidationError) as info:
        backend.update_webhook("acme", "bot", b.id, address="https://a.example/", fields=["id"])
    assert info.value.errors == {"address": ["for this topic has already been taken"]}
    assert (b.address, b.fields, b.updated_at) == ("https://b.example/", (), START)
    with pytest.raises(ValidationError):
        backend.update_webhook("acme", "bot", a.id, address="http://x.example/")
    assert a.address == "https://a.example/"


def test_delete_and_remove(backend: ShopifyBackend) -> None:
    a = backend.create_webhook("acme", "bot", topic="orders/create", address="https://a.example/")
    b = backend.create_webhook("acme", "bot", topic="orders/paid", address="https://a.example/")
    assert backend.delete_webhook("acme", "bot", a.id) is a
    with pytest.raises(NotFoundError):
        backend.get_webhook("acme", "bot", a.id)
    with pytest.raises(NotFoundError):
        backend.delete_webhook("acme", "bot", a.id)
    backend.remove_webhook("acme", b.id)
    assert backend.list_webhooks("acme", "bot") == []
    with pytest.raises(FakeUsageError):
        backend.remove_webhook("acme", b.id)


def test_list_filters(backend: ShopifyBackend) -> None:
    clock = backend.clock
    assert isinstance(clock, ManualClock)
    made = []
    for i, topic in enumerate(["orders/create", "orders/paid", "orders/create"]):
        made.append(
            backend.create_webhook("acme", "bot", topic=topic, address=f"https://a.example/{i}")
        )
        clock.advance(10)
    w0, w1, w2 = made
    assert backend.list_webhooks("acme", "bot", topic="orders/create") == [w0, w2]
    assert backend.list_webhooks("acme", "bot", address="https://a.example/1") == [w1]
    assert backend.list_webhooks("acme", "bot", since_id=w0.id) == [w1, w2]
    assert backend.list_webhooks("acme", "bot", created_at_min=w1.created_at) == [w1, w2]
    assert backend.list_webhooks("acme", "bot", created_at_max=w1.created_at) == [w0, w1]
    backend.update_webhook("acme", "bot", w0.id, fields=["id"])
    assert backend.list_webhooks("acme", "bot", updated_at_min=clock.now()) == [w0]
    assert backend.list_webhooks("acme", "bot", updated_at_max=w2.updated_at) == [w1, w2]
    assert backend.count_webhooks("acme", "bot", topic="orders/create") == 2


def test_tokens_authenticate_rotate_and_revoke(backend: ShopifyBackend) -> None:
    inst = backend.installation("acme", "bot")
    old = inst.access_token
    assert backend.authenticate("acme", old) is inst
    backend.add_shop("beta")
    with pytest.raises(AuthenticationError):
        backend.authenticate("beta", old)  # a token is valid on its own shop only
    new = backend.rotate_token("acme", "bot")
    assert new != old
    assert inst.access_token == new
    with pytest.raises(AuthenticationError) as info:
        backend.authenticate("acme", old)
    assert info.value.body == {
        "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
    }
    backend.revoke_token(new)
    for token in (new, None, ""):
        with pytest.raises(AuthenticationError):
            backend.authenticate("acme", token)
    assert inst.revoked_tokens == [old, new]


def test_uninstall_removes_subscriptions(backend: ShopifyBackend) -> None:
    backend.create_webhook("acme", "bot", topic="orders/create", address="https://a.example/")
    token = backend.installation("acme", "bot").access_token
    backend.uninstall("acme", "bot")
    assert backend.webhooks() == []
    with pytest.raises(AuthenticationError):
        backend.authenticate("acme", token)


def test_usage_errors_name_what_is_known(backend: ShopifyBackend) -> None:
    with pytest.raises(FakeUsageError, match=r"unknown shop 'nope'.*acme"):
        backend.shop("nope")
    with pytest.raises(FakeUsageError, match="unknown app"):
        backend.app("nope")
    with pytest.raises(FakeUsageError, match="already installed"):
        backend.install("acme", "bot")
    with pytest.raises(FakeUsageError, match="already exists"):
        backend.add_shop("acme.myshopify.com")
    with pytest.raises(FakeUsageError, match="utc_offset"):
        backend.add_shop("x", utc_offset="EST")


def test_name_validation(backend: ShopifyBackend) -> None:
    backend.create_webhook(
        "acme", "bot", topic="orders/create", address="https://a.example/", name="Sync-1"
    )
    with pytest.raises(ValidationError) as info:
        backend.create_webhook(
            "acme", "bot", topic="orders/paid", address="https://a.example/", name="sync-1"
        )
    assert info.value.full_messages() == [("name", "Name already exists, no duplicate allowed")]
    with pytest.raises(ValidationError) as info:
        backend.create_webhook(
            "acme", "bot", topic="orders/paid", address="https://a.example/", name="a b"
        )
    assert info.value.errors["name"] == [
        "name field can only contain alphanumeric characters, underscores, and hyphens"
    ]


def test_snapshot_normalises_ids_and_times() -> None:
    def world(order: list[str], step: float) -> tuple[FakeShopify, list[int]]:
        fake = FakeShopify(clock=ManualClock(START))
        fake.add_shop("acme")
        fake.add_app("bot")
        fake.add_app("other")
        fake.add_webhook("acme", "other", topic="orders/paid", address="https://o.example/")
        ids = []
        for topic in order:
            ids.append(
                fake.add_webhook("acme", "bot", topic=topic, address="https://a.example/").id
            )
            fake.clock.advance(step)
        return fake, ids

    one, ids_one = world(["orders/create", "products/update"], 5)
    two, _ = world(["orders/paid", "orders/create", "products/update"], 7)
    two.remove_webhook("acme", two.webhooks("acme", "bot")[0].id)
    snap_one, snap_two = one.snapshot("acme", "bot"), two.snapshot("acme", "bot")
    assert [r["topic"] for r in snap_one.resources] == ["orders/create", "products/update"]
    assert [r["id"] for r in snap_one.resources] == ["webhook#1", "webhook#2"]
    assert {r["created_at"] for r in snap_one.resources} == {"time"}
    ordinal = one.snapshot("acme", "bot", timestamps="ordinal")
    assert [r["created_at"] for r in ordinal.resources] == ["time#1", "time#2"]
    assert ordinal == two.snapshot("acme", "bot", timestamps="ordinal")
    # Another world with other ids and times but the same content compares equal.
    assert snap_one == snap_two
    assert snap_one.symbols[ids_one[1]] == "webhook#2"
    assert snap_one.symbols[str(ids_one[1])] == "webhook#2"
    assert snap_one.symbols[f"gid://shopify/WebhookSubscription/{ids_one[1]}"] == "webhook#2"
    # A no-op update bumps updated_at: equal when timestamps are erased, not when ordinal.
    webhook = one.webhooks("acme", "bot")[0]
    one.clock.advance(1)
    one.backend.update_webhook("acme", "bot", webhook.id, address=webhook.address)
    assert one.snapshot("acme", "bot") == snap_two
    assert one.snapshot("acme", "bot", timestamps="ordinal") != ordinal
    one.add_webhook("acme", "bot", topic="orders/paid", address="https://a.example/")
    assert one.snapshot("acme", "bot") != snap_two


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["orders/create", "orders/paid", "products/update"]),
            st.sampled_from(["https://a.example/", "https://b.example/"]),
            st.sampled_from(["json", "xml"]),
        ),
        max_size=12,
    )
)
def test_create_never_breaks_uniqueness(
    attempts: list[tuple[str, str, str]],
) -> None:
    b = ShopifyBackend(ManualClock(START))
    b.add_shop("acme")
    b.add_app("bot")
    accepted: set[tuple[str, str, str]] = set()
    for topic, address, fmt in attempts:
        if (topic, address, fmt) in accepted:
            with pytest.raises(ValidationError) as info:
                b.create_webhook("acme", "bot", topic=topic, address=address, format=fmt)
            assert info.value.errors == {"address": ["for this topic has already been taken"]}
        else:
            b.create_webhook("acme", "bot", topic=topic, address=address, format=fmt)
            accepted.add((topic, address, fmt))
    keys = [(w.topic, w.address, w.format) for w in b.webhooks()]
    assert sorted(keys) == sorted(accepted)
