"""The property functions over hand-built histories: each catches its bug, each stays quiet on
the correct variant. (End-to-end checks against real integrations live in test_simulator*.)"""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

from hypothesis import given, settings
from hypothesis import strategies as st

from fake_shopify.faults import HttpError
from harness.history import (
    BotWorld,
    CallOutcome,
    History,
    HookCall,
    HttpExchange,
    LogLine,
    StepRecord,
    TenantInfo,
    WorldSnapshot,
)
from harness.options import Options
from harness.properties import (
    PROPERTIES,
    check_all,
    clean,
    convergent,
    idempotent,
    no_secret_leak,
    reported,
    tenant_isolation,
    tolerant_unregister,
)
from harness.steps import Advance, Drift, Register, ShopifyFault, Step, Unregister

TOKEN = "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"
TOKEN_B = "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"
URL = "https://webhook.botpress.cloud/bot1-webhook"
URL_B = "https://webhook.botpress.cloud/bot2-webhook"


def sub(topic: str, address: str = URL, shop: str = "current") -> tuple[tuple[str, object], ...]:
    return (("address", address), ("format", "json"), ("shop", shop), ("topic", topic))


ONE = BotWorld(resources=(sub("orders/create"),), resource_ids=frozenset({"1001"}))
TWO = BotWorld(
    resources=(sub("orders/create"), sub("orders/create")),
    resource_ids=frozenset({"1001", "1002"}),
)
EMPTY = BotWorld()


def call(
    op: str = "register",
    *,
    bot: str = "bot1",
    status: str | None = None,
    exception: str | None = None,
    logs: tuple[LogLine, ...] = (),
    exchanges: tuple[HttpExchange, ...] = (),
    faulted: bool = False,
) -> HookCall:
    if status is None:
        ok = exception is None
        status = (
            ("registered" if ok else "registration_failed")
            if op == "register"
            else ("unregistered" if ok else "unregistration_failed")
        )
    return HookCall(
        bot=bot,
        operation=op,
        configuration={"shopName": "acme", "access_token": TOKEN},
        outcome=CallOutcome(status=status, exception=exception),
        logs=list(logs),
        exchanges=list(exchanges),
        faulted=faulted,
    )


class Builder:
    """Appends step records to a history, threading the world through."""

    def __init__(self, *, bots: int = 1) -> None:
        tenants = {
            "bot1": TenantInfo("bot1", URL, ("acme",), (TOKEN,)),
            "bot2": TenantInfo("bot2", URL_B, ("acme-2",), (TOKEN_B,)),
        }
        self.history = History(
            tenants=dict(list(tenants.items())[:bots]),
            reference={"bot1": ONE, "bot2": ONE},
            secrets=[("access_token", TOKEN), ("access_token", TOKEN_B)][:bots],
        )
        self.world = WorldSnapshot(bots={"bot1": EMPTY})

    def step(
        self,
        step: Step,
        *calls: HookCall,
        world: dict[str, BotWorld] | None = None,
        foreign: tuple[tuple[tuple[str, object], ...], ...] | None = None,
        faulted: bool | None = None,
    ) -> Builder:
        after = WorldSnapshot(
            bots=world if world is not None else dict(self.world.bots),
            foreign=foreign if foreign is not None else self.world.foreign,
        )
        record = StepRecord(
            index=len(self.history.records),
            step=step,
            before=self.world,
            world=after,
            calls=list(calls),
            faulted=any(c.faulted for c in calls) if faulted is None else faulted,
        )
        self.history.records.append(record)
        self.world = after
        return self


OPTS = Options()


def ids(found: list[object]) -> list[str]:
    return [v.property for v in found]  # type: ignore[attr-defined]


# --- idempotent ----------------------------------------------------------------------------


def test_idempotent_catches_a_duplicate_on_the_second_register() -> None:
    b = Builder().step(Register(), call(), world={"bot1": ONE})
    b.step(Register(), call(), world={"bot1": TWO})
    found = idempotent(b.history, OPTS)
    assert ids(found) == ["idempotent"]
    assert "extra subscriptions: orders/create" in found[0].message
    assert found[0].steps == (Register(), Register())
    assert found[0].step_index == 1


def test_idempotent_quiet_when_world_unchanged_even_across_arming_steps() -> None:
    b = Builder().step(Register(), call(), world={"bot1": ONE})
    b.step(Advance(5)).step(ShopifyFault(HttpError(500)))
    b.step(Register(), call(), world={"bot1": ONE})
    assert idempotent(b.history, OPTS) == []


def test_idempotent_ignores_a_register_after_drift() -> None:
    b = Builder().step(Register(), call(), world={"bot1": ONE})
    b.step(Drift(), world={"bot1": EMPTY})
    b.step(Register(), call(), world={"bot1": TWO})
    assert idempotent(b.history, OPTS) == []


def test_idempotent_catches_error_log_and_strict_level_catches_mutation() -> None:
    post = HttpExchange(
        "POST",
        "https://acme.myshopify.com/admin/api/2025-07/webhooks.json",
        "acme.myshopify.com",
        status=422,
        shop="acme",
        action="create_webhook",
    )
    b = Builder().step(Register(), call(), world={"bot1": ONE})
    b.step(
        Register(),
        call(logs=(LogLine("error", "webhook exists"),), exchanges=(post,)),
        world={"bot1": ONE},
    )
    assert ids(idempotent(b.history, OPTS)) == ["idempotent"]
    strict = idempotent(b.history, Options(idempotent_level="requests"))
    assert len(strict) == 2
    assert "mutating request" in strict[1].message


# --- convergent ----------------------------------------------------------------------------


def test_convergent_catches_a_stale_id_that_is_never_recreated() -> None:
    b = Builder().step(Register(), call(), world={"bot1": ONE})
    b.step(Drift(), world={"bot1": EMPTY})
    b.step(Register(), call(), world={"bot1": EMPTY})
    found = convergent(b.history, OPTS)
    assert ids(found) == ["convergent"]
    assert "missing subscriptions: orders/create" in found[0].message


def test_convergent_quiet_when_register_repairs_and_defers_to_idempotent() -> None:
    b = Builder().step(Register(), call(), world={"bot1": ONE})
    b.step(Drift(), world={"bot1": EMPTY})
    b.step(Register(), call(), world={"bot1": ONE})
    assert convergent(b.history, OPTS) == []
    b.step(Register(), call(), world={"bot1": TWO})
    assert convergent(b.history, OPTS) == []  # idempotent's case
    assert ids(idempotent(b.history, OPTS)) == ["idempotent"]


def test_convergent_skips_faulted_registers() -> None:
    b = Builder().step(Register(), call(faulted=True), world={"bot1": EMPTY})
    assert convergent(b.history, OPTS) == []


# --- clean ---------------------------------------------------------------------------------


def test_clean_catches_leftover_subscription_and_state() -> None:
    left = BotWorld(resources=ONE.resources, states=(("integration/bot1-integration/ids", "{}"),))
    b = Builder().step(Register(), call(), world={"bot1": left})
    b.step(Unregister(), call("unregister"), world={"bot1": left})
    found = clean(b.history, OPTS)
    assert ids(found) == ["clean"]
    assert "orders/create" in found[0].message
    assert "integration/bot1-integration/ids" in found[0].message
    allow = Options(clean_allowlist=("ids",))
    b2 = Builder().step(Register(), call(), world={"bot1": left})
    b2.step(Unregister(), call("unregister"), world={"bot1": BotWorld(states=left.states)})
    assert clean(b2.history, allow) == []
    assert ids(clean(b2.history, OPTS)) == ["clean"]


def test_clean_catches_a_deleted_foreign_subscription() -> None:
    crowd = (sub("orders/create", "https://webhook.botpress.cloud/crowd-0"),)
    b = Builder().step(Drift("foreign_subscription"), foreign=crowd)
    b.step(Register(), call(), world={"bot1": ONE})
    b.step(Unregister(), call("unregister"), world={"bot1": EMPTY}, foreign=())
    found = clean(b.history, OPTS)
    assert ids(found) == ["clean"]
    assert "removed orders/create -> https://webhook.botpress.cloud/crowd-0" in found[0].message


def test_clean_quiet_on_a_clean_unregister() -> None:
    b = Builder().step(Register(), call(), world={"bot1": ONE})
    b.step(Unregister(), call("unregister"), world={"bot1": EMPTY})
    assert clean(b.history, OPTS) == []


# --- reported ------------------------------------------------------------------------------


def test_reported_catches_a_swallowed_fault_and_an_info_only_mention() -> None:
    b = Builder().step(Register(), call(faulted=True), world={"bot1": EMPTY})
    assert ids(reported(b.history, OPTS)) == ["reported"]
    b2 = Builder().step(
        Register(), call(faulted=True, logs=(LogLine("info", "oops"),)), world={"bot1": EMPTY}
    )
    found = reported(b2.history, OPTS)
    assert "only at info/debug" in found[0].message


def test_reported_quiet_when_warned_raised_or_recovered() -> None:
    warned = call(faulted=True, logs=(LogLine("warn", "could not create"),))
    raised = call(faulted=True, exception="RuntimeError: boom")
    for c, world in ((warned, EMPTY), (raised, EMPTY), (call(faulted=True), ONE)):
        b = Builder().step(Register(), c, world={"bot1": world})
        assert reported(b.history, OPTS) == []


def test_reported_unregister_leaving_resources_silently() -> None:
    b = Builder().step(Register(), call(), world={"bot1": ONE})
    b.step(Unregister(), call("unregister", faulted=True), world={"bot1": ONE})
    assert ids(reported(b.history, OPTS)) == ["reported"]


# --- tolerant_unregister -------------------------------------------------------------------


def test_tolerant_unregister_catches_failure_with_nothing_to_clean() -> None:
    b = Builder().step(
        Unregister(), call("unregister", exception="ResourceNotFoundError: No State found")
    )
    found = tolerant_unregister(b.history, OPTS)
    assert ids(found) == ["tolerant_unregister"]
    assert "nothing to clean" in found[0].message


def test_tolerant_unregister_catches_error_log_on_second_call() -> None:
    b = Builder().step(Register(), call(), world={"bot1": ONE})
    b.step(Unregister(), call("unregister"), world={"bot1": ONE})
    b.step(Unregister(), call("unregister", logs=(LogLine("error", "404"),)), world={"bot1": ONE})
    found = tolerant_unregister(b.history, OPTS)
    assert "called twice" in found[0].message


def test_tolerant_unregister_quiet_on_quiet_call_and_ignores_real_cleanup() -> None:
    b = Builder().step(Unregister(), call("unregister", logs=(LogLine("warn", "nothing"),)))
    assert tolerant_unregister(b.history, OPTS) == []
    b2 = Builder().step(Register(), call(), world={"bot1": ONE})
    b2.step(Unregister(), call("unregister", exception="X: y"), world={"bot1": EMPTY})
    assert tolerant_unregister(b2.history, OPTS) == []


# --- no_secret_leak ------------------------------------------------------------------------

ENCODINGS = {
    "raw": lambda s: s,
    "url": lambda s: quote(s, safe=""),
    "json": lambda s: json.dumps({"headers": {"X-Shopify-Access-Token": s}}),
    "base64": lambda s: base64.b64encode(f"user:{s}".encode()).decode(),
}


@settings(max_examples=40, deadline=None)
@given(
    encoding=st.sampled_from(sorted(ENCODINGS)),
    where=st.sampled_from(["log", "traceback", "exception", "other_host", "url"]),
    prefix=st.text(alphabet='abc {}:"', max_size=5),
)
def test_no_secret_leak_finds_every_form_everywhere(encoding: str, where: str, prefix: str) -> None:
    leaked = prefix + ENCODINGS[encoding](TOKEN)
    logs: tuple[LogLine, ...] = ()
    exchanges: tuple[HttpExchange, ...] = ()
    exception = None
    if where == "log":
        logs = (LogLine("error", f"failed {leaked}"),)
    elif where == "traceback":
        logs = (LogLine("error", "failed", exc_text=f"Traceback...\n{leaked}"),)
    elif where == "exception":
        exception = f"HTTPStatusError: {leaked}"
    elif where == "other_host":
        exchanges = (
            HttpExchange(
                "POST", "https://logs.example/x", "logs.example", request_body=leaked, served=False
            ),
        )
    else:
        exchanges = (
            HttpExchange(
                "GET",
                f"https://acme.myshopify.com/a?t={quote(leaked)}",
                "acme.myshopify.com",
                status=200,
                shop="acme",
            ),
        )
    b = Builder().step(Register(), call(logs=logs, exchanges=exchanges, exception=exception))
    found = no_secret_leak(b.history, OPTS)
    assert found
    assert {v.property for v in found} == {"no_secret_leak"}
    # The report itself never carries the secret.
    text = repr(found)
    assert TOKEN not in text
    assert quote(TOKEN, safe="") not in text


def test_no_secret_leak_quiet_for_token_in_shopify_header() -> None:
    ex = HttpExchange(
        "GET",
        "https://acme.myshopify.com/admin/api/2025-07/webhooks.json",
        "acme.myshopify.com",
        request_headers=(("X-Shopify-Access-Token", TOKEN),),
        status=200,
        shop="acme",
    )
    b = Builder().step(Register(), call(exchanges=(ex,), logs=(LogLine("error", "status 500"),)))
    assert no_secret_leak(b.history, OPTS) == []


# --- tenant_isolation ----------------------------------------------------------------------


def test_tenant_isolation_catches_foreign_token_and_shop() -> None:
    ex = HttpExchange(
        "GET",
        "https://acme-2.myshopify.com/admin/api/2025-07/webhooks.json",
        "acme-2.myshopify.com",
        request_headers=(("X-Shopify-Access-Token", TOKEN_B),),
        status=200,
        shop="acme-2",
    )
    b = Builder(bots=2).step(Register(), call(exchanges=(ex,)))
    found = tenant_isolation(b.history, OPTS)
    assert [v.message.split(":")[0] for v in found] == [
        "register of bot1 sent bot2's access token and reached bot2's shop acme-2"
    ]
    assert found[0].kind == "shop+token"
    assert all(TOKEN_B not in repr(v) for v in found)


def test_tenant_isolation_catches_deleting_another_bots_subscription() -> None:
    ex = HttpExchange(
        "DELETE",
        "https://acme.myshopify.com/admin/api/2025-07/webhooks/2002.json",
        "acme.myshopify.com",
        request_headers=(("X-Shopify-Access-Token", TOKEN),),
        status=200,
        shop="acme",
    )
    b = Builder(bots=2)
    b.world = WorldSnapshot(
        bots={"bot1": EMPTY, "bot2": BotWorld(resource_ids=frozenset({"2002"}))}
    )
    b.step(Unregister(), call("unregister", exchanges=(ex,)))
    assert [v.message.split(":")[0] for v in tenant_isolation(b.history, OPTS)] == [
        "unregister of bot1 changed a subscription of bot2"
    ]


def test_tenant_isolation_quiet_on_own_requests() -> None:
    ex = HttpExchange(
        "DELETE",
        "https://acme.myshopify.com/admin/api/2025-07/webhooks/1001.json",
        "acme.myshopify.com",
        request_headers=(("X-Shopify-Access-Token", TOKEN),),
        status=200,
        shop="acme",
    )
    b = Builder(bots=2)
    b.world = WorldSnapshot(bots={"bot1": ONE, "bot2": BotWorld(resource_ids=frozenset({"20021"}))})
    b.step(Unregister(), call("unregister", exchanges=(ex,)))
    assert tenant_isolation(b.history, OPTS) == []


def test_every_property_id_has_a_function_and_options_select_them() -> None:
    assert list(PROPERTIES) == [
        "idempotent",
        "convergent",
        "clean",
        "reported",
        "tolerant_unregister",
        "no_secret_leak",
        "tenant_isolation",
        "exactly_once",
        "subscribed",
    ]
    b = Builder().step(Register(), call(logs=(LogLine("error", TOKEN),), faulted=True))
    # The error log reports the fault (no ``reported``) but carries the token.
    assert ids(check_all(b.history, OPTS)) == ["no_secret_leak"]
    assert ids(check_all(b.history, OPTS.only("reported"))) == []
