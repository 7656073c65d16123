"""Hypothesis strategies for steps and scenarios (test helpers of tests/scenarios)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import cast, get_args

from hypothesis import strategies as st

from fake_shopify.faults import (
    Always,
    FaultEffect,
    HttpError,
    Latency,
    LostResponse,
    LostResponseKind,
    Match,
    Next,
    Nth,
    Probability,
    Schedule,
    TransportError,
    TransportErrorKind,
)
from harness.scenarios.model import (
    PROPERTY_IDS,
    Expect,
    Scenario,
    ScenarioOptions,
    SeedState,
    SeedSubscription,
    WorldDecl,
    placeholder_value,
)
from harness.steps import (
    Advance,
    Concurrently,
    Configure,
    ConfigureChange,
    Crash,
    Drift,
    DriftChange,
    HookStep,
    LoseState,
    Operation,
    PlatformFault,
    PlatformMethod,
    Register,
    ShopifyFault,
    Step,
    Unregister,
)

# Text that YAML must keep as text: it includes words YAML 1.1 reads as booleans or numbers.
texts = st.one_of(
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=20),
    st.sampled_from(["yes", "no", "on", "null", "~", "1e3", "0x10", "2026-01", "- a", "a: b"]),
)
finite = st.floats(min_value=0, max_value=1e6, allow_nan=False, allow_infinity=False)
json_data = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | finite | texts,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(texts, inner, max_size=3),
    max_leaves=8,
)


def schedules() -> st.SearchStrategy[Schedule]:
    return st.one_of(
        st.builds(Nth, st.integers(1, 50)),
        st.builds(Next, st.integers(1, 50)),
        st.just(Always()),
        st.builds(Probability, st.floats(0, 1), st.integers(0, 2**32)),
    )


def fault_effects() -> st.SearchStrategy[FaultEffect]:
    return st.one_of(
        st.builds(
            HttpError,
            status=st.integers(100, 599),
            retry_after=st.none() | finite,
            body=st.none() | json_data.filter(lambda b: b is not None),
        ),
        st.builds(TransportError, st.sampled_from(get_args(TransportErrorKind))),
        st.builds(LostResponse, st.sampled_from(get_args(LostResponseKind))),
        st.builds(Latency, finite),
    )


def matches() -> st.SearchStrategy[Match]:
    maybe = st.none() | st.text(st.characters(codec="ascii", categories=("L", "N")), min_size=1)
    return st.builds(
        Match,
        method=st.none() | st.sampled_from(["GET", "POST", "PUT", "DELETE"]),
        path=maybe,
        action=maybe,
        shop=maybe,
    )


def bots_of(count: int) -> st.SearchStrategy[str]:
    return st.integers(1, count).map(lambda i: f"bot{i}")


def hook_steps(bots: int) -> st.SearchStrategy[HookStep]:
    bot = bots_of(bots)
    return st.one_of(
        st.builds(Register, bot),
        st.builds(Unregister, bot),
        st.builds(Configure, bot, st.sampled_from(get_args(ConfigureChange))),
    )


def steps(bots: int = 3) -> st.SearchStrategy[Step]:
    bot = bots_of(bots)
    return st.one_of(
        hook_steps(bots),
        st.builds(Drift, st.sampled_from(get_args(DriftChange)), bot, st.integers(0, 20)),
        st.builds(LoseState, bot),
        st.builds(ShopifyFault, fault_effects(), matches(), schedules()),
        st.builds(
            PlatformFault,
            st.integers(400, 599),
            st.sampled_from(get_args(PlatformMethod)),
            schedules(),
        ),
        st.builds(Crash, bot, st.sampled_from(get_args(Operation)), st.integers(1, 30)),
        st.builds(Advance, finite),
        st.builds(Concurrently, st.lists(hook_steps(bots), min_size=2, max_size=3).map(tuple)),
    )


names = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9._-]{0,30}\Z")
shop_handles = st.from_regex(r"\A[A-Za-z0-9][A-Za-z0-9-]{0,30}\Z")  # the loader checks shopName


@st.composite
def worlds(draw: st.DrawFn) -> WorldDecl:
    bots = draw(st.integers(1, 3))
    shops = draw(st.integers(1, bots))
    shop = st.integers(1, shops).map(lambda i: f"shop{i}")
    return WorldDecl(
        bots=bots,
        shops=shops,
        crowd=draw(st.integers(0, 600)),
        other_apps=draw(st.integers(0, 3)),
        subscriptions=tuple(
            draw(
                st.lists(
                    st.builds(
                        SeedSubscription,
                        shop=shop,
                        app=st.sampled_from(["same", "other"]),
                        topic=st.sampled_from(["orders/create", "products/update"]),
                        address=st.sampled_from(
                            ["https://example.com/x", f"<webhook_url:bot{bots}>"]
                        ),
                    ),
                    max_size=2,
                )
            )
        ),
        states=tuple(
            draw(
                st.lists(
                    st.builds(
                        SeedState,
                        name=names,
                        payload=st.dictionaries(texts, json_data, max_size=3),
                        bot=bots_of(bots),
                        type=st.sampled_from(["integration", "conversation", "user"]),
                        id=st.none() | names,
                    ),
                    max_size=2,
                )
            )
        ),
        clock=draw(
            st.none()
            | st.datetimes(
                min_value=datetime(2000, 1, 1),
                max_value=datetime(2100, 1, 1),
                timezones=st.just(UTC),
            ).map(lambda d: d.replace(microsecond=0))
        ),
    )


@st.composite
def expects(draw: st.DrawFn) -> Expect:
    properties = tuple(draw(st.lists(st.sampled_from(PROPERTY_IDS), min_size=1, unique=True)))
    if draw(st.booleans()):
        properties = PROPERTY_IDS
    violated = tuple(draw(st.lists(st.sampled_from(properties), unique=True, max_size=2)))
    return Expect(properties=properties, violated=violated)


options = st.builds(
    ScenarioOptions,
    strictness=st.sampled_from([(), (("idempotent", "requests"),)]),
    clean_allowlist=st.lists(names, max_size=2).map(tuple),
    malformed_version=st.sampled_from(["not_found", "fall_forward"]),
    topic_update=st.sampled_from(["ignore", "reject"]),
)

# Secret values as the loader produces them (placeholders mapped back), so a round trip is exact.
configurations = st.none() | st.fixed_dictionaries(
    {"shopName": shop_handles, "access_token": st.just(placeholder_value("access_token"))},
    optional={"api_key": st.just(placeholder_value("api_key")), "region": texts},
)


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    world = draw(worlds())
    return Scenario(
        name=draw(names),
        description=draw(st.sampled_from(["", "One line.\n", "Two\nlines.\n"])),
        integration=draw(st.none() | st.just("harness.examples.correct:integration")),
        configuration=cast("dict[str, object] | None", draw(configurations)),
        world=world,
        expect=draw(expects()),
        options=draw(options),
        steps=tuple(draw(st.lists(steps(world.bots), min_size=1, max_size=8))),
    )
