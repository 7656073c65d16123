"""Incremental observation (issue 14): ``Session.observe`` follows the fake's mutation journal
and re-reads only the subscriptions that changed, yet always gives the world a full rebuild
(``Session._observe_full``) gives."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from fake_shopify.errors import ShopifyError
from harness.simulator import Session, Simulator
from harness.steps import Drift, Register, Unregister
from harness.targets.python import load_integration
from harness.world import CROWD_TOPICS, OTHER_APP_TOPICS, default_world

TARGETS = Path(__file__).with_name("lifecycle_targets.py")
WORLD = default_world(bots=3, shops=2, crowd=6, other_apps=4)


@pytest.fixture(scope="module")
def sim() -> Iterator[Simulator]:
    with Simulator(load_integration(f"{TARGETS}:Good"), world=WORLD) as simulator:
        yield simulator


def _addresses(session: Session) -> list[str]:
    urls = [t.webhook_url for t in session.tenants.values()]
    return [
        *urls,
        *(f"{url}/extra" for url in urls),
        *(f"{url}?q=1" for url in urls),
        "https://webhook.botpress.cloud/crowd-0",
        "https://elsewhere.example/hooks/1",
    ]


operation = st.one_of(
    st.tuples(
        st.just("create"),
        st.integers(0, 1),  # shop
        st.booleans(),  # our app (else the shop's other app)
        st.integers(0, 10),  # address
        st.integers(0, 5),  # topic
    ),
    st.tuples(st.just("update"), st.integers(0, 50), st.integers(0, 10), st.booleans()),
    st.tuples(st.just("delete"), st.integers(0, 50)),
    st.tuples(st.just("move"), st.integers(0, 2), st.integers(0, 1)),
    st.tuples(st.just("state"), st.integers(0, 2), st.integers(0, 50)),
)


def _apply(session: Session, op: tuple[Any, ...]) -> None:
    fake = session.fake
    shops = [s.handle for s in WORLD.shops]
    hooks = fake.webhooks()
    addresses = _addresses(session)
    bots = list(session.tenants.values())
    try:
        if op[0] == "create":
            _, shop, ours, address, topic = op
            app = WORLD.app if ours else f"other-app-{shops[0]}"
            topics = CROWD_TOPICS if ours else OTHER_APP_TOPICS
            fake.add_webhook(
                shops[0] if not ours else shops[shop],
                app,
                topic=topics[topic % len(topics)],
                address=addresses[address % len(addresses)],
            )
        elif op[0] == "update" and hooks:
            _, pick, address, with_fields = op
            hook = hooks[pick % len(hooks)]
            fake.backend.update_webhook(
                hook.shop,
                hook.app,
                hook.id,
                address=addresses[address % len(addresses)],
                fields=("id", "note") if with_fields else (),
            )
        elif op[0] == "delete" and hooks:
            hook = hooks[op[1] % len(hooks)]
            fake.remove_webhook(hook.shop, hook.id)
        elif op[0] == "move":
            bots[op[1]].shop = shops[op[2]]  # what Configure("move_shop") changes
        elif op[0] == "state":
            tenant = bots[op[1]]
            ids = sorted(int(s) for s in session._known_ids if s.isdigit()) or [1]
            picked = ids[op[2] % len(ids)]
            session.store.set(
                tenant.bot_id,
                tenant.integration_id,
                "integration",
                tenant.integration_id,
                "hooks",
                {
                    "ids": [picked, str(picked)],
                    "gid": f"gid://shopify/WebhookSubscription/{picked}",
                },
            )
    except ShopifyError:
        pass  # a duplicate or an invalid change: the fake refused it, nothing changed


@settings(max_examples=60, deadline=None, database=None, suppress_health_check=list(HealthCheck))
@given(ops=st.lists(operation, max_size=25))
# Found by this test: bot1's state names bot2's subscription, whose symbol changes (#2) when
# bot2 gets another one; bot1's states were built before bot2's resources were recomputed.
@example(
    ops=[
        ("create", 0, True, 7, 0),
        ("state", 0, 0),
        ("create", 0, True, 1, 0),
    ]
)
def test_incremental_equals_full_rebuild(sim: Simulator, ops: list[tuple[Any, ...]]) -> None:
    session = sim.session()
    assert session.observe() == session._observe_full()
    for op in ops:
        _apply(session, op)
        incremental = session.observe()
        assert incremental == session._observe_full(), op
        # Observing twice without a change gives the same world again.
        assert session.observe() == incremental


def test_a_step_rereads_only_what_changed(sim: Simulator, monkeypatch: pytest.MonkeyPatch) -> None:
    world = default_world(bots=3, crowd=400, other_apps=400)
    session = sim.session(world)
    session.step(Register("bot1"))
    before = session.history.records[-1].world
    rebuilt: list[str] = []
    original = Session._bot_resources

    def spy(self: Session, tenant: Any, hooks: list[Any]) -> Any:
        rebuilt.append(tenant.name)
        return original(self, tenant, hooks)

    monkeypatch.setattr(Session, "_bot_resources", spy)
    read: list[int] = []
    backend = session.fake.backend
    lookup = backend.webhook

    def counting(webhook_id: int) -> Any:
        read.append(webhook_id)
        return lookup(webhook_id)

    monkeypatch.setattr(backend, "webhook", counting)

    def no_full_listing(*args: object, **kwargs: object) -> Any:
        raise AssertionError("observe listed every subscription")

    monkeypatch.setattr(session.fake, "webhooks", no_full_listing)
    session.step(Register("bot2"))
    after = session.history.records[-1].world
    assert rebuilt == ["bot2"]  # bot1's and bot3's parts are reused
    created = after.bot("bot2").resource_ids
    assert created
    assert {str(i) for i in read} == created  # only bot2's new subscriptions
    assert after.foreign is before.foreign  # 800 foreign subscriptions: the same tuple
    assert after.bot("bot1") == before.bot("bot1")
    rebuilt.clear()
    read.clear()
    session.step(Unregister("bot2"))
    assert rebuilt == ["bot2"]
    assert {str(i) for i in read} == created


def test_drift_and_ownership_changes_stay_exact(sim: Simulator) -> None:
    session = sim.session(default_world(bots=2, shops=2, crowd=5, other_apps=5))
    for step in (
        Register("bot1"),
        Register("bot2"),
        Drift("foreign_subscription", bot="bot1"),
        Drift("remove_subscription", bot="bot2"),
        Register("bot2"),
        Unregister("bot1"),
    ):
        session.step(step)
        assert session.history.records[-1].world == session._observe_full()
    # A new backend (the fake reset) starts the view over.
    session.fake.reset()
    assert session.observe() == session._observe_full()
