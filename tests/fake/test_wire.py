"""Wire tests: real httpx requests through ``fake.transport()``, exact JSON and headers."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fake_world import BASE, VERSION, World, make_world

from fake_shopify import FakeShopify, ManualClock
from fake_shopify.state import invalid_topic_message

UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
INVALID_TOKEN = {
    "errors": "[API] Invalid API key or access token (unrecognized login or wrong password)"
}
NOT_FOUND = {"errors": "Not Found"}


def create(
    client: httpx.Client,
    topic: str = "orders/create",
    address: str = "https://h.example/a",
    **extra: object,
) -> httpx.Response:
    return client.post(
        "/webhooks.json", json={"webhook": {"topic": topic, "address": address, **extra}}
    )


def test_create_returns_201_with_shopify_shape_and_headers(world: World) -> None:
    response = create(world.client, fields=["id", "note"])
    assert response.status_code == 201
    webhook_id = response.json()["webhook"]["id"]
    assert response.json() == {
        "webhook": {
            "id": webhook_id,
            "address": "https://h.example/a",
            "topic": "orders/create",
            "created_at": "2026-11-28T07:00:00-05:00",
            "updated_at": "2026-11-28T07:00:00-05:00",
            "format": "json",
            "fields": ["id", "note"],
            "metafield_namespaces": [],
            "api_version": VERSION,
            "private_metafield_namespaces": [],
            "metafield_identifiers": [],
        }
    }
    assert isinstance(webhook_id, int)
    assert webhook_id > 2**31
    headers = response.headers
    assert headers["content-type"] == "application/json; charset=utf-8"
    assert headers["x-shopify-api-version"] == VERSION
    assert headers["x-shopify-shop-api-call-limit"] == "1/40"
    assert UUID.match(headers["x-request-id"])
    assert headers["location"] == f"{BASE}/webhooks/{webhook_id}.json"
    # Each response has its own request id.
    assert (
        create(world.client, address="https://h.example/b").headers["x-request-id"]
        != headers["x-request-id"]
    )


def test_request_origin_is_recorded(world: World) -> None:
    response = create(world.client)
    webhook = world.fake.webhooks()[0]
    assert webhook.origin.app == "bot"
    assert webhook.origin.token == world.token
    assert webhook.origin.request_id == response.headers["x-request-id"]
    assert webhook.origin.kind == "request"


def test_older_versions_omit_metafield_identifiers() -> None:
    # metafield_identifiers appears in 2026-01 responses, not in 2025-10 ones.
    fake = FakeShopify(clock=ManualClock(datetime(2025, 12, 1, tzinfo=UTC)))
    fake.add_shop("acme")
    fake.add_app("bot")
    token = fake.install("acme", "bot").access_token
    with httpx.Client(transport=fake.transport(), headers={"X-Shopify-Access-Token": token}) as c:
        response = c.post(
            "https://acme.myshopify.com/admin/api/2025-10/webhooks.json",
            json={"webhook": {"topic": "orders/create", "address": "https://h.example/"}},
        )
    assert response.status_code == 201
    assert "metafield_identifiers" not in response.json()["webhook"]
    assert response.headers["x-shopify-api-version"] == "2025-10"


def test_blank_create_gives_the_documented_422(world: World) -> None:
    response = world.client.post("/webhooks.json", json={"webhook": {"body": "foobar"}})
    assert response.status_code == 422
    scopes = world.fake.backend.installation("acme", "bot").scopes
    assert response.json() == {
        "errors": {
            "topic": [invalid_topic_message("", scopes), "can't be blank"],
            "address": ["can't be blank"],
        }
    }
    assert world.fake.webhooks() == []


def test_topic_outside_the_apps_scopes_is_invalid(world: World) -> None:
    response = create(world.client, topic="customers/create")
    assert response.status_code == 422
    message = response.json()["errors"]["topic"][0]
    assert message.startswith("Invalid topic specified: customers/create. Does it exist?")
    assert "orders/create" in message
    # The other app has read_customers (default scopes): the same topic is fine for it.
    assert create(world.other, topic="customers/create").status_code == 201


@pytest.mark.parametrize(
    ("address", "errors"),
    [
        ("http://h.example/", ["protocol http:// is not supported"]),
        ("https://localhost:8000/x", ["cannot be a Shopify or an internal domain"]),
        ("https://acme.myshopify.com/x", ["cannot be a Shopify or an internal domain"]),
        ("not a url", ["is invalid"]),
    ],
)
def test_invalid_address_422(world: World, address: str, errors: list[str]) -> None:
    response = create(world.client, address=address)
    assert response.status_code == 422
    assert response.json() == {"errors": {"address": errors}}


def test_duplicate_topic_and_address_422(world: World) -> None:
    assert create(world.client).status_code == 201
    response = create(world.client)
    assert response.status_code == 422
    assert response.json() == {"errors": {"address": ["for this topic has already been taken"]}}
    assert len(world.fake.webhooks()) == 1


def test_list_filters_and_fields(world: World) -> None:
    ids = [
        create(world.client, topic=t, address=a).json()["webhook"]["id"]
        for t, a in [
            ("orders/create", "https://h.example/1"),
            ("orders/paid", "https://h.example/1"),
            ("orders/create", "https://h.example/2"),
        ]
    ]
    create(world.other, topic="orders/create", address="https://h.example/1")

    def listed(**params: str) -> list[int]:
        response = world.client.get("/webhooks.json", params=params)
        assert response.status_code == 200
        return [w["id"] for w in response.json()["webhooks"]]

    assert listed() == ids  # ascending ids; the other app's subscription is invisible
    assert listed(topic="orders/create") == [ids[0], ids[2]]
    assert listed(address="https://h.example/1") == ids[:2]
    assert listed(since_id=str(ids[0])) == ids[1:]
    assert listed(created_at_min="2026-11-28T07:00:00-05:00") == ids
    assert listed(created_at_max="2026-11-28T06:59:59-05:00") == []
    assert listed(updated_at_max="2026-11-28T12:00:00Z") == ids
    response = world.client.get("/webhooks.json", params={"fields": "id,topic"})
    assert response.json()["webhooks"][0] == {"id": ids[0], "topic": "orders/create"}


def test_count(world: World) -> None:
    create(world.client, topic="orders/create")
    create(world.client, topic="orders/paid")
    create(world.other, topic="orders/paid")
    assert world.client.get("/webhooks/count.json").json() == {"count": 2}
    response = world.client.get("/webhooks/count.json", params={"topic": "orders/paid"})
    assert response.json() == {"count": 1}
    assert world.client.get(
        "/webhooks/count.json", params={"address": "https://x.example/"}
    ).json() == {"count": 0}


def test_pagination_walks_forward_and_back_with_link_headers(world: World) -> None:
    fake = world.fake
    ids = [
        fake.add_webhook("acme", "bot", topic="orders/create", address=f"https://h.example/{i}").id
        for i in range(7)
    ]
    first = world.client.get("/webhooks.json", params={"limit": "3", "fields": "id"})
    assert [w["id"] for w in first.json()["webhooks"]] == ids[:3]
    assert 'rel="previous"' not in first.headers["link"]
    pages = [ids[:3]]
    response = first
    while "next" in response.links:
        url = response.links["next"]["url"]
        assert url.startswith(f"{BASE}/webhooks.json?limit=3&page_info=")
        query = parse_qs(urlsplit(url).query)
        assert set(query) == {"limit", "page_info", "fields"}
        response = world.client.get(url)
        assert response.status_code == 200
        pages.append([w["id"] for w in response.json()["webhooks"]])
    assert pages == [ids[:3], ids[3:6], ids[6:]]
    assert response.json()["webhooks"][0] == {"id": ids[6]}  # fields carried by the link
    back = world.client.get(response.links["previous"]["url"])
    assert [w["id"] for w in back.json()["webhooks"]] == ids[3:6]
    assert set(back.links) == {"previous", "next"}


def test_no_link_header_when_one_page_holds_everything(world: World) -> None:
    create(world.client)
    assert "link" not in world.client.get("/webhooks.json").headers


def test_default_and_maximum_limit(world: World) -> None:
    for i in range(251):
        world.fake.add_webhook(
            "acme", "bot", topic="orders/create", address=f"https://h.example/{i}"
        )
    assert len(world.client.get("/webhooks.json").json()["webhooks"]) == 50
    assert (
        len(world.client.get("/webhooks.json", params={"limit": "250"}).json()["webhooks"]) == 250
    )
    for bad in ("251", "0", "x"):
        response = world.client.get("/webhooks.json", params={"limit": bad})
        assert response.status_code == 400
        assert response.json() == {"errors": {"limit": "limit must be between 1 and 250"}}


def test_page_info_with_another_filter_is_400(world: World) -> None:
    for i in range(3):
        create(world.client, address=f"https://h.example/{i}")
    link = world.client.get("/webhooks.json", params={"limit": "1"}).links["next"]["url"]
    response = world.client.get(link + "&topic=orders%2Fcreate")
    assert response.status_code == 400
    assert response.json() == {
        "errors": {
            "topic": "topic cannot be passed when page_info is present. See "
            "https://shopify.dev/api/usage/pagination-rest for more information."
        }
    }
    garbage = world.client.get("/webhooks.json", params={"page_info": "not-a-cursor"})
    assert garbage.status_code == 400
    assert garbage.json() == {"errors": {"page_info": "Invalid value."}}
    page = world.client.get("/webhooks.json", params={"page": "2"})
    assert page.status_code == 400
    assert list(page.json()["errors"]) == ["page"]


def test_page_info_keeps_the_original_filters(world: World) -> None:
    ids = [
        create(world.client, topic=t, address=f"https://h.example/{i}").json()["webhook"]["id"]
        for i, t in enumerate(["orders/create", "orders/paid", "orders/create", "orders/create"])
    ]
    first = world.client.get("/webhooks.json", params={"limit": "2", "topic": "orders/create"})
    assert [w["id"] for w in first.json()["webhooks"]] == [ids[0], ids[2]]
    second = world.client.get(first.links["next"]["url"])
    assert [w["id"] for w in second.json()["webhooks"]] == [ids[3]]


def test_get_update_delete(world: World) -> None:
    webhook_id = create(world.client).json()["webhook"]["id"]
    got = world.client.get(f"/webhooks/{webhook_id}.json")
    assert got.status_code == 200
    assert got.json()["webhook"]["address"] == "https://h.example/a"
    only = world.client.get(f"/webhooks/{webhook_id}.json", params={"fields": "id,address"})
    assert only.json() == {"webhook": {"id": webhook_id, "address": "https://h.example/a"}}

    world.clock.advance(90)
    updated = world.client.put(
        f"/webhooks/{webhook_id}.json",
        json={"webhook": {"id": webhook_id, "address": "https://somewhere-else.example/"}},
    )
    assert updated.status_code == 200
    body = updated.json()["webhook"]
    assert body["address"] == "https://somewhere-else.example/"
    assert body["topic"] == "orders/create"
    assert body["created_at"] == "2026-11-28T07:00:00-05:00"
    assert body["updated_at"] == "2026-11-28T07:01:30-05:00"

    deleted = world.client.delete(f"/webhooks/{webhook_id}.json")
    assert deleted.status_code == 200
    assert deleted.content == b"{}"
    for response in (
        world.client.get(f"/webhooks/{webhook_id}.json"),
        world.client.delete(f"/webhooks/{webhook_id}.json"),
        world.client.put(
            f"/webhooks/{webhook_id}.json", json={"webhook": {"address": "https://x.example/"}}
        ),
    ):
        assert response.status_code == 404
        assert response.json() == NOT_FOUND


def test_update_validation_422_and_unchanged(world: World) -> None:
    webhook_id = create(world.client).json()["webhook"]["id"]
    response = world.client.put(
        f"/webhooks/{webhook_id}.json", json={"webhook": {"address": "http://x.example/"}}
    )
    assert response.status_code == 422
    assert response.json() == {"errors": {"address": ["protocol http:// is not supported"]}}
    assert world.fake.webhooks()[0].address == "https://h.example/a"


def test_topic_update_policy_reject() -> None:
    world = make_world(topic_update="reject")
    webhook_id = create(world.client).json()["webhook"]["id"]
    response = world.client.put(
        f"/webhooks/{webhook_id}.json", json={"webhook": {"topic": "orders/paid"}}
    )
    assert response.status_code == 422
    assert response.json() == {"errors": {"topic": ["cannot be changed"]}}


def test_another_apps_subscription_is_404(world: World) -> None:
    theirs = create(world.other).json()["webhook"]["id"]
    assert world.client.get(f"/webhooks/{theirs}.json").json() == NOT_FOUND
    assert world.client.delete(f"/webhooks/{theirs}.json").status_code == 404
    assert (
        world.client.put(
            f"/webhooks/{theirs}.json", json={"webhook": {"address": "https://x.example/"}}
        ).status_code
        == 404
    )
    assert [w.id for w in world.fake.webhooks()] == [theirs]


def test_shop_and_access_scopes(world: World) -> None:
    shop = world.client.get("/shop.json")
    assert shop.status_code == 200
    body = shop.json()["shop"]
    assert body["myshopify_domain"] == "acme.myshopify.com"
    assert body["domain"] == "acme.myshopify.com"
    assert body["id"] == world.fake.backend.shop("acme").id
    assert body["plan_name"] == "basic"
    assert body["iana_timezone"] == "Etc/GMT+5"
    assert world.client.get("/shop.json", params={"fields": "id,name"}).json() == {
        "shop": {"id": body["id"], "name": "Acme"}
    }
    scopes = world.client.get("https://acme.myshopify.com/admin/oauth/access_scopes.json")
    assert scopes.status_code == 200
    assert scopes.json() == {
        "access_scopes": [{"handle": "read_orders"}, {"handle": "write_products"}]
    }


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"X-Shopify-Access-Token": "shpat_00000000000000000000000000000000"},
        {"Authorization": "Bearer TOKEN"},
    ],
)
def test_missing_or_invalid_token_is_401(world: World, headers: dict[str, str]) -> None:
    headers = {k: v.replace("TOKEN", world.token) for k, v in headers.items()}
    with httpx.Client(transport=world.fake.transport(), base_url=BASE, headers=headers) as client:
        response = client.get("/webhooks.json")
    assert response.status_code == 401
    assert response.json() == INVALID_TOKEN
    assert UUID.match(response.headers["x-request-id"])
    assert response.headers["x-shopify-shop-api-call-limit"] == "0/40"


def test_rotated_and_revoked_tokens_are_401(world: World) -> None:
    assert world.client.get("/webhooks.json").status_code == 200
    new = world.fake.rotate_token("acme", "bot")
    assert world.client.get("/webhooks.json").json() == INVALID_TOKEN
    with httpx.Client(
        transport=world.fake.transport(), base_url=BASE, headers={"X-Shopify-Access-Token": new}
    ) as client:
        assert client.get("/webhooks.json").status_code == 200
        world.fake.revoke_token(new)
        assert client.get("/webhooks.json").status_code == 401


def test_token_of_another_shop_is_401(world: World) -> None:
    world.fake.add_shop("beta")
    response = world.client.get("https://beta.myshopify.com/admin/api/2026-10/webhooks.json")
    assert response.status_code == 401


def test_missing_scope_is_403(world: World) -> None:
    world.fake.require_scope("list_webhooks", "read_themes")
    response = world.client.get("/webhooks.json")
    assert response.status_code == 403
    assert response.json() == {
        "errors": "[API] This action requires merchant approval for read_themes scope."
    }
    assert world.client.get("/webhooks/count.json").status_code == 200


def test_versions_fall_forward_unstable_and_malformed(world: World) -> None:
    old = world.client.get("https://acme.myshopify.com/admin/api/2024-01/webhooks.json")
    assert old.status_code == 200
    assert old.headers["x-shopify-api-version"] == "2026-01"  # oldest supported on 2026-11-28
    rc = world.client.get("https://acme.myshopify.com/admin/api/2027-01/webhooks.json")
    assert rc.headers["x-shopify-api-version"] == "2027-01"
    unstable = world.client.get("https://acme.myshopify.com/admin/api/unstable/webhooks.json")
    assert unstable.headers["x-shopify-api-version"] == "unstable"
    legacy = world.client.get("https://acme.myshopify.com/admin/webhooks.json")
    assert legacy.status_code == 200
    assert legacy.headers["x-shopify-api-version"] == "2026-01"
    for bad in ("2024-13", "foo", "2030-01"):
        response = world.client.get(f"https://acme.myshopify.com/admin/api/{bad}/webhooks.json")
        assert response.status_code == 404
        assert response.json() == NOT_FOUND


def test_malformed_version_fall_forward_option() -> None:
    world = make_world(malformed_version="fall_forward")
    response = world.client.get("https://acme.myshopify.com/admin/api/foo/webhooks.json")
    assert response.status_code == 200
    assert response.headers["x-shopify-api-version"] == "2026-01"


def test_versions_follow_the_clock(world: World) -> None:
    world.clock.advance(86400 * 40)  # 2027-01-07: 2027-01 released, 2026-01 expired
    response = world.client.get("https://acme.myshopify.com/admin/api/2026-01/webhooks.json")
    assert response.headers["x-shopify-api-version"] == "2026-04"


def test_rest_leaky_bucket(world: World) -> None:
    for i in range(40):
        response = world.client.get("/webhooks/count.json")
        assert response.headers["x-shopify-shop-api-call-limit"] == f"{i + 1}/40"
    throttled = world.client.get("/webhooks/count.json")
    assert throttled.status_code == 429
    assert throttled.headers["retry-after"] == "2.0"
    assert throttled.headers["x-shopify-shop-api-call-limit"] == "40/40"
    assert throttled.json() == {
        "errors": "Exceeded 2 calls per second for api client. "
        "Reduce request rates to resume uninterrupted service."
    }
    # Another app on the same shop has its own bucket.
    assert world.other.get("/webhooks/count.json").status_code == 200
    world.clock.advance(1)  # leaks 2 requests
    assert (
        world.client.get("/webhooks/count.json").headers["x-shopify-shop-api-call-limit"] == "39/40"
    )
    assert world.client.get("/webhooks/count.json").status_code == 200
    assert world.client.get("/webhooks/count.json").status_code == 429
    world.clock.advance(10)  # the documented example: 39/40, ten seconds later 19/40
    assert (
        world.client.get("/webhooks/count.json").headers["x-shopify-shop-api-call-limit"] == "21/40"
    )


def test_plus_bucket_is_ten_times_larger() -> None:
    world = make_world()
    world.fake.add_shop("big", plan="plus")
    token = world.fake.install("big", "bot").access_token
    with httpx.Client(
        transport=world.fake.transport(), headers={"X-Shopify-Access-Token": token}
    ) as client:
        url = "https://big.myshopify.com/admin/api/2026-10/webhooks/count.json"
        for _ in range(400):
            assert client.get(url).status_code == 200
        assert client.get(url).status_code == 429


def test_rate_limits_can_be_disabled() -> None:
    world = make_world(rate_limits=False)
    for _ in range(60):
        assert world.client.get("/webhooks/count.json").status_code == 200


def test_malformed_requests_get_shopify_shaped_4xx(world: World) -> None:
    bad_json = world.client.post(
        "/webhooks.json", content=b"{not json", headers={"Content-Type": "application/json"}
    )
    assert bad_json.status_code == 400
    assert bad_json.json() == {"errors": "Bad Request: the request body is not valid JSON"}
    missing_root = world.client.post("/webhooks.json", json={"topic": "orders/create"})
    assert missing_root.status_code == 400
    assert missing_root.json() == {"errors": {"webhook": "Required parameter missing or invalid"}}
    wrong_type = world.client.post(
        "/webhooks.json", content=b'{"webhook":{}}', headers={"Content-Type": "text/plain"}
    )
    assert wrong_type.status_code == 400
    assert wrong_type.json() == {"errors": {"webhook": "Required parameter missing or invalid"}}
    bad_fields = create(world.client, fields="id")
    assert bad_fields.status_code == 422
    assert bad_fields.json() == {"errors": {"fields": ["is invalid"]}}
    wrong_method = world.client.patch("/webhooks.json")
    assert wrong_method.status_code == 405
    assert wrong_method.headers["allow"] == "GET, POST"
    assert wrong_method.json() == {"errors": "Method Not Allowed"}
    unknown = world.client.get("/no_such_thing.json")
    assert unknown.status_code == 404
    assert unknown.json() == NOT_FOUND
    not_admin = world.client.get("https://acme.myshopify.com/products/shirt")
    assert not_admin.status_code == 404
    xml = world.client.get("/webhooks.json", headers={"Accept": "application/xml"})
    assert xml.status_code == 406
    assert world.fake.webhooks() == []


def test_real_but_unimplemented_endpoints_say_so(world: World) -> None:
    response = world.client.get("/products.json")
    assert response.status_code == 501
    message = response.json()["errors"]
    assert "does not implement GET /admin/api/2026-10/products.json" in message
    assert response.headers["x-fake-shopify-not-implemented"] == "products"
    nested = world.client.post("/orders/1/fulfillments.json", json={})
    assert nested.status_code == 501


def test_unknown_shop_is_404(world: World) -> None:
    response = world.client.get("https://nope.myshopify.com/admin/api/2026-10/webhooks.json")
    assert response.status_code == 404
    assert response.json() == NOT_FOUND


def test_timestamps_use_the_shops_offset() -> None:
    world = make_world()
    world.fake.add_shop("india", utc_offset="+05:30")
    token = world.fake.install("india", "bot").access_token
    with httpx.Client(
        transport=world.fake.transport(), headers={"X-Shopify-Access-Token": token}
    ) as client:
        response = client.post(
            "https://india.myshopify.com/admin/api/2026-10/webhooks.json",
            json={"webhook": {"topic": "orders/create", "address": "https://h.example/"}},
        )
    assert response.json()["webhook"]["created_at"] == "2026-11-28T17:30:00+05:30"


def test_graphql_route_reaches_the_engine_with_the_common_headers(world: World) -> None:
    response = world.client.post("/graphql.json", json={"query": "{ shop { name } }"})
    assert response.status_code == 200
    assert "data" in response.json() or "errors" in response.json()
    assert response.headers["x-shopify-api-version"] == VERSION
    assert UUID.match(response.headers["x-request-id"])
    # GraphQL spends its cost bucket, not the REST one.
    assert response.headers["x-shopify-shop-api-call-limit"] == "0/40"


def test_response_headers_are_plain_httpx_headers(world: World) -> None:
    response = create(world.client)
    # Built without httpx's normalisation: every access path must still agree.
    assert response.headers.get("X-REQUEST-ID") == response.headers["x-request-id"]
    assert dict(response.headers.items())["content-type"] == "application/json; charset=utf-8"
    assert ("Location", response.headers["location"]) in [
        (k.decode(), v.decode()) for k, v in response.headers.raw
    ]
    assert response.headers.encoding == "ascii"
