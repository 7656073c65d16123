"""Hypothesis: random request sequences never crash the fake and keep its invariants.

Invariants (checked after every step, for both apps):
- topic + address (+ format, always json here) is unique among an app's subscriptions;
- ``count.json`` equals the length of the list walked through every ``Link`` page;
- ``webhooks/{id}.json`` agrees with the list for every listed id;
- another app never sees a subscription: its ids are 404 to the other app.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import httpx
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from fake_shopify import FakeShopify, ManualClock

HOST = "https://acme.myshopify.com"
TOPICS = ["orders/create", "orders/paid", "products/update", "customers/create", "", "nope/x"]
ADDRESSES = [
    "https://h.example/a",
    "https://h.example/b",
    "http://h.example/a",
    "https://localhost/x",
    "",
]
REQUIRED_HEADERS = ("x-request-id", "x-shopify-api-version", "x-shopify-shop-api-call-limit")


class RestMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.clock = ManualClock(datetime(2026, 11, 28, 12, tzinfo=UTC))
        self.fake = FakeShopify(clock=self.clock, rate_limits=False, journal_limit=50)
        self.fake.add_shop("acme")
        self.clients: dict[str, httpx.Client] = {}
        for app in ("bot", "other"):
            self.fake.add_app(app)
            token = self.fake.install("acme", app).access_token
            self.clients[app] = httpx.Client(
                transport=self.fake.transport(),
                base_url=f"{HOST}/admin/api/2026-10",
                headers={"X-Shopify-Access-Token": token},
            )
        self.known_ids: list[int] = []

    def teardown(self) -> None:
        for client in self.clients.values():
            client.close()

    def send(self, app: str, method: str, url: str, **kwargs: object) -> httpx.Response:
        response = self.clients[app].request(method, url, **kwargs)  # type: ignore[arg-type]
        assert response.status_code < 500 or response.status_code == 501, response.text
        for name in REQUIRED_HEADERS:
            assert name in response.headers
        assert response.headers["content-type"] == "application/json; charset=utf-8"
        json.loads(response.content)  # always a JSON body
        return response

    @rule(
        app=st.sampled_from(["bot", "other"]),
        topic=st.sampled_from(TOPICS[:2]),
        address=st.sampled_from(ADDRESSES[:2]),
    )
    def create_valid(self, app: str, topic: str, address: str) -> None:
        # Small pools of valid values, so that duplicates are attempted often.
        self.create(app, topic, address)

    @rule(
        app=st.sampled_from(["bot", "other"]),
        topic=st.sampled_from(TOPICS),
        address=st.sampled_from(ADDRESSES),
    )
    def create(self, app: str, topic: str, address: str) -> None:
        response = self.send(
            app, "POST", "/webhooks.json", json={"webhook": {"topic": topic, "address": address}}
        )
        assert response.status_code in (201, 422)
        if response.status_code == 201:
            self.known_ids.append(response.json()["webhook"]["id"])

    @rule(
        app=st.sampled_from(["bot", "other"]),
        pick=st.integers(0, 50),
        address=st.sampled_from(ADDRESSES),
    )
    def update(self, app: str, pick: int, address: str) -> None:
        webhook_id = self.known_ids[pick % len(self.known_ids)] if self.known_ids else 1
        response = self.send(
            app, "PUT", f"/webhooks/{webhook_id}.json", json={"webhook": {"address": address}}
        )
        assert response.status_code in (200, 404, 422)

    @rule(app=st.sampled_from(["bot", "other"]), pick=st.integers(0, 50))
    def delete(self, app: str, pick: int) -> None:
        webhook_id = self.known_ids[pick % len(self.known_ids)] if self.known_ids else 1
        response = self.send(app, "DELETE", f"/webhooks/{webhook_id}.json")
        assert response.status_code in (200, 404)

    @rule(seconds=st.floats(0, 100))
    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)

    @rule(
        method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD"]),
        path=st.sampled_from(
            [
                "/admin/api/2026-10/webhooks.json",
                "/admin/api/2026-10/webhooks/x.json",
                "/admin/api/2026-10/webhooks/count.json",
                "/admin/api/garbage/webhooks.json",
                "/admin/api/2026-10/products.json",
                "/admin/oauth/access_scopes.json",
                "/admin/api/2026-10/shop.json",
                "/nowhere",
            ]
        ),
        body=st.one_of(
            st.binary(max_size=30),
            st.just(b'{"webhook": []}'),
            st.just(b'{"webhook": {"fields": 3}}'),
        ),
        query=st.sampled_from(
            [
                "",
                "limit=0",
                "limit=abc",
                "page_info=zzz",
                "since_id=-1",
                "created_at_min=yesterday",
                "fields=,,",
            ]
        ),
    )
    def garbage(self, method: str, path: str, body: bytes, query: str) -> None:
        url = f"{HOST}{path}" + (f"?{query}" if query else "")
        response = self.send(
            "bot", method, url, content=body, headers={"Content-Type": "application/json"}
        )
        assert 200 <= response.status_code < 500 or response.status_code == 501

    def walk(self, app: str, limit: int) -> list[dict[str, Any]]:
        seen: list[dict[str, Any]] = []
        response = self.send(app, "GET", "/webhooks.json", params={"limit": str(limit)})
        seen.extend(response.json()["webhooks"])
        while "next" in response.links:
            response = self.send(app, "GET", response.links["next"]["url"])
            seen.extend(response.json()["webhooks"])
        return seen

    @invariant()
    def invariants_hold(self) -> None:
        listed: dict[str, list[dict[str, Any]]] = {}
        for app in ("bot", "other"):
            webhooks = self.walk(app, limit=1)
            listed[app] = webhooks
            ids = [w["id"] for w in webhooks]
            assert ids == sorted(set(ids))  # ascending, no page repeats an item
            keys = [(w["topic"], w["address"], w["format"]) for w in webhooks]
            assert len(keys) == len(set(keys))
            count = self.send(app, "GET", "/webhooks/count.json").json()["count"]
            assert count == len(webhooks)
            for webhook in webhooks:
                got = self.send(app, "GET", f"/webhooks/{webhook['id']}.json")
                assert got.json()["webhook"] == webhook
        for app, other in (("bot", "other"), ("other", "bot")):
            for webhook in listed[app]:
                assert self.send(other, "GET", f"/webhooks/{webhook['id']}.json").status_code == 404
            assert not {w["id"] for w in listed[app]} & {w["id"] for w in listed[other]}
        # The fake's own view agrees with what each app sees.
        assert {w.id for w in self.fake.webhooks()} == {
            w["id"] for ws in listed.values() for w in ws
        }


RestMachine.TestCase.settings = settings(
    max_examples=40,
    stateful_step_count=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestRestMachine = RestMachine.TestCase


@settings(max_examples=60, deadline=None)
@given(
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS"]),
    path=st.text(alphabet="/adminpiwebhooks.json0123456789-_?=&%", max_size=60),
    token=st.sampled_from(["valid", "", "shpat_bad"]),
    accept=st.sampled_from(["*/*", "application/json", "text/html", ""]),
    body=st.binary(max_size=40),
)
def test_any_request_gets_a_shopify_shaped_answer(
    method: str, path: str, token: str, accept: str, body: bytes
) -> None:
    fake = FakeShopify(clock=ManualClock(datetime(2026, 11, 28, 12, tzinfo=UTC)))
    fake.add_shop("acme")
    fake.add_app("bot")
    valid = fake.install("acme", "bot").access_token
    headers = {"X-Shopify-Access-Token": valid if token == "valid" else token, "Accept": accept}
    request = httpx.Request(method, HOST + "/" + path.lstrip("/"), headers=headers, content=body)
    response = fake.handle(request)
    assert 200 <= response.status_code < 500 or response.status_code == 501
    assert isinstance(json.loads(response.content), dict)
    for name in REQUIRED_HEADERS:
        assert name in response.headers
