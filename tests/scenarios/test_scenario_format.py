"""The scenario-file format: loading every field, errors with positions, writing, round trips."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scenario_strategies import scenarios, steps

from fake_shopify.faults import (
    Always,
    HttpError,
    Latency,
    LostResponse,
    Match,
    Next,
    Nth,
    Probability,
    Raise,
    TransportError,
)
from harness.scenarios import (
    FORMAT_VERSION,
    PROPERTY_IDS,
    STRICTNESS_LEVELS,
    Expect,
    Scenario,
    ScenarioError,
    ScenarioOptions,
    ScenarioSchemaError,
    ScenarioSyntaxError,
    ScenarioVersionError,
    ScenarioWriteError,
    SeedState,
    SeedSubscription,
    WorldDecl,
    discover,
    dumps_scenario,
    load_scenario,
    loads_scenario,
    placeholder_value,
    write_scenario,
)
from harness.steps import (
    Advance,
    Concurrently,
    Configure,
    Crash,
    Drift,
    LoseState,
    PlatformFault,
    Register,
    ShopifyFault,
    Unregister,
)


def load(text: str, source: str = "s.scenario.yaml") -> Scenario:
    return loads_scenario(textwrap.dedent(text), source=source)


def problems(text: str) -> list[str]:
    with pytest.raises(ScenarioSchemaError) as info:
        load(text)
    return [str(p) for p in info.value.problems]


FULL = """\
    version: 1
    name: full
    description: |
      Every field.
    integration: pkg.mod:integration
    configuration: {shopName: acme, access_token: <access_token>, note: "uses <access_token>"}
    world:
      bots: 3
      shops: 2
      crowd: 260
      other_apps: 2
      clock: 2031-01-15T09:00:00Z
      subscriptions:
        - {shop: shop2, app: same, topic: orders/create, address: "<webhook_url:bot2>"}
      states:
        - {bot: bot3, type: user, id: u1, name: settings, payload: {ids: [1, 2], token: <access_token>}}
    options:
      strictness: {idempotent: requests}
      clean_allowlist: [settings]
      malformed_version: fall_forward
      topic_update: reject
    expect:
      properties: [idempotent, clean]
      violated: [clean]
    steps:
      - register
      - register: {bot: bot2}
      - unregister: {bot: bot3}
      - configure: {bot: bot2, change: move_shop}
      - drift: {change: foreign_subscription, bot: bot2, index: 3}
      - lose_state
      - fault:
          effect: {http_error: {status: 429, retry_after: 2, body: {errors: slow down}}}
          match: {method: POST, path: "/admin/api/*/webhooks.json", action: create_webhook, shop: acme}
          schedule: {nth: 2}
      - fault: {effect: transport_error, schedule: always}
      - fault: {effect: {lost_response: {kind: remote_protocol_error}}, schedule: {probability: {p: 0.5, seed: 9}}}
      - fault: {effect: {latency: {seconds: 1.5}}, schedule: {next: 2}}
      - platform_fault: {status: 503, method: get_state}
      - crash: {bot: bot2, operation: unregister, at: 3}
      - advance: {seconds: 2}
      - concurrently: [register, {register: {bot: bot2}}, {configure: {bot: bot3}}]
    """


def test_every_field_is_read() -> None:
    scenario = load(FULL)
    token = placeholder_value("access_token")
    assert scenario.name == "full"
    assert scenario.description == "Every field.\n"
    assert scenario.integration == "pkg.mod:integration"
    assert scenario.configuration == {
        "shopName": "acme",
        "access_token": token,
        "note": f"uses {token}",
    }
    assert scenario.world == WorldDecl(
        bots=3,
        shops=2,
        crowd=260,
        other_apps=2,
        clock=datetime(2031, 1, 15, 9, tzinfo=UTC),
        subscriptions=(
            SeedSubscription(
                shop="shop2", app="same", topic="orders/create", address="<webhook_url:bot2>"
            ),
        ),
        states=(
            SeedState(
                bot="bot3",
                type="user",
                id="u1",
                name="settings",
                payload={"ids": [1, 2], "token": token},
            ),
        ),
    )
    assert scenario.options == ScenarioOptions(
        strictness=(("idempotent", "requests"),),
        clean_allowlist=("settings",),
        malformed_version="fall_forward",
        topic_update="reject",
    )
    assert scenario.options.level("idempotent") == "requests"
    assert scenario.expect == Expect(properties=("idempotent", "clean"), violated=("clean",))
    assert scenario.steps == (
        Register(),
        Register("bot2"),
        Unregister("bot3"),
        Configure("bot2", "move_shop"),
        Drift("foreign_subscription", "bot2", 3),
        LoseState(),
        ShopifyFault(
            HttpError(429, retry_after=2.0, body={"errors": "slow down"}),
            Match(
                method="POST",
                path="/admin/api/*/webhooks.json",
                action="create_webhook",
                shop="acme",
            ),
            Nth(2),
        ),
        ShopifyFault(TransportError("connect_error"), Match(), Always()),
        ShopifyFault(LostResponse("remote_protocol_error"), Match(), Probability(0.5, 9)),
        ShopifyFault(Latency(1.5), Match(), Next(2)),
        PlatformFault(503, "get_state", Next(1)),
        Crash("bot2", "unregister", 3),
        Advance(2.0),
        Concurrently((Register(), Register("bot2"), Configure("bot3"))),
    )


def test_defaults_of_a_minimal_scenario() -> None:
    scenario = load("version: 1\nname: m\nsteps: [register]\n")
    assert scenario == Scenario(name="m", steps=(Register(),))
    assert scenario.configuration is None  # the run's configuration is used
    assert scenario.expect.properties == PROPERTY_IDS
    assert scenario.expect.violated == ()
    assert scenario.options.level("idempotent") == "world"


def test_the_full_example_round_trips_through_the_writer() -> None:
    scenario = load(FULL)
    assert loads_scenario(dumps_scenario(scenario)) == scenario


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(scenarios())
def test_written_scenarios_load_back_equal(scenario: Scenario) -> None:
    text = dumps_scenario(scenario)
    assert loads_scenario(text) == scenario
    # The same text again: writing is deterministic.
    assert dumps_scenario(loads_scenario(text)) == text


@settings(max_examples=50)
@given(st.lists(steps(), min_size=1, max_size=10).map(tuple))
def test_generated_steps_round_trip(generated: tuple[object, ...]) -> None:
    scenario = Scenario(name="steps", steps=generated, world=WorldDecl(bots=3))  # type: ignore[arg-type]
    assert loads_scenario(dumps_scenario(scenario)).steps == generated


def test_defaults_are_not_written() -> None:
    text = dumps_scenario(
        Scenario(name="d", steps=(Register(), ShopifyFault(TransportError()), Advance(1)))
    )
    assert yaml.safe_load(text) == {
        "version": FORMAT_VERSION,
        "name": "d",
        "steps": [
            "register",
            {"fault": {"effect": {"transport_error": {"kind": "connect_error"}}}},
            {"advance": {"seconds": 1}},
        ],
    }


# -- secrets and placeholders ----------------------------------------------------------------


@settings(max_examples=50)
@given(
    token=st.text(st.characters(codec="ascii", categories=("L", "N")), min_size=6, max_size=40),
    where=st.sampled_from(["description", "body", "payload", "match"]),
)
def test_secrets_are_never_written(token: str, where: str) -> None:
    token = "shpat_" + token
    steps_: tuple[object, ...] = (Register(),)
    world = WorldDecl()
    description = ""
    if where == "description":
        description = f"token was {token}\n"
    elif where == "body":
        steps_ = (
            ShopifyFault(HttpError(401, body={"sent": token, "url": f"https://x/?t={token}"})),
        )
    elif where == "payload":
        world = WorldDecl(states=(SeedState(name="creds", payload={"token": token}),))
    else:
        steps_ = (ShopifyFault(TransportError(), Match(path=f"/x/{token}")),)
    scenario = Scenario(
        name="s",
        description=description,
        configuration={"shopName": "acme", "access_token": token, "client_secret": "s3cr3t-value"},
        world=world,
        steps=steps_,  # type: ignore[arg-type]
    )
    text = dumps_scenario(scenario)
    assert token not in text
    assert "s3cr3t-value" not in text
    assert "access_token: <access_token>" in text
    assert "client_secret: <client_secret>" in text
    reloaded = loads_scenario(text)
    assert reloaded.configuration is not None
    assert reloaded.configuration["access_token"] == placeholder_value("access_token")
    assert reloaded.configuration["client_secret"] == placeholder_value("client_secret")


def test_extra_secrets_such_as_derived_tenants_tokens_are_replaced() -> None:
    scenario = Scenario(name="s", description="bot2 used shpat_bot2token\n", steps=(Register(),))
    text = dumps_scenario(scenario, secrets={"access_token:bot2": "shpat_bot2token"})
    assert "shpat_bot2token" not in text
    assert "<access_token:bot2>" in text


def test_placeholders_map_to_deterministic_token_shaped_values() -> None:
    token = placeholder_value("access_token")
    assert token == placeholder_value("access_token")
    assert token.startswith("shpat_")
    assert len(token) == 38
    assert placeholder_value("client_secret") != token


def test_a_raise_fault_is_not_written() -> None:
    effect = Raise(lambda request: KeyboardInterrupt())
    with pytest.raises(ScenarioWriteError, match="crash step"):
        dumps_scenario(Scenario(name="r", steps=(ShopifyFault(effect),)))
    assert httpx  # the factory takes an httpx.Request; the import documents the type


def test_write_scenario_creates_the_directory_and_names_the_file(tmp_path: Path) -> None:
    scenario = Scenario(name="written", steps=(Register(), Unregister()))
    path = write_scenario(scenario, tmp_path / "deep" / "dir", header="Recorded.\nSecond line.")
    assert path == tmp_path / "deep" / "dir" / "written.scenario.yaml"
    text = path.read_text()
    assert text.startswith("# Recorded.\n# Second line.\n")
    loaded = load_scenario(path)
    assert loaded == scenario
    assert loaded.source == path


def test_discover_files_and_directories(tmp_path: Path) -> None:
    for name in ("b", "a"):
        write_scenario(Scenario(name=name, steps=(Register(),)), tmp_path / "lib")
    (tmp_path / "lib" / "notes.yaml").write_text("not a scenario")
    single = write_scenario(Scenario(name="c", steps=(Register(),)), tmp_path)
    found = discover([tmp_path / "lib", single, tmp_path / "lib" / "a.scenario.yaml"])
    assert [p.name for p in found] == ["a.scenario.yaml", "b.scenario.yaml", "c.scenario.yaml"]
    with pytest.raises(ScenarioError, match="no such scenario file"):
        discover([tmp_path / "missing.scenario.yaml"])


# -- errors ----------------------------------------------------------------------------------


def test_unknown_keys_name_position_and_closest_key() -> None:
    found = problems(
        """\
        version: 1
        name: x
        descripton: typo
        steps:
          - fault:
              effect: transport_error
              schedul: {next: 2}
        """
    )
    assert found == [
        "s.scenario.yaml:3:1: unknown key 'descripton' in the scenario; did you mean "
        "'description'? (valid keys: version, name, steps, description, integration, "
        "configuration, world, options, expect)",
        "s.scenario.yaml:7:7: unknown key 'schedul' in a fault step; did you mean 'schedule'? "
        "(valid keys: effect, match, schedule)",
    ]


def test_every_mistake_is_reported_at_once_in_file_order() -> None:
    found = problems(
        """\
        version: 1
        name: bad name
        world: {bots: 2, crowd: -1}
        expect: {violated: [idempotant]}
        steps:
          - registr
          - register: {bot: bot3}
          - fault: {effect: {http_eror: {status: 429}}}
          - fault: {effect: {http_error: {status: 999}}, schedule: {next: 0}}
          - advance
          - advance: {seconds: abc}
          - concurrently: [register]
          - concurrently: [register, lose_state]
          - crash: {at: 0, operation: deploy}
          - {register: {}, unregister: {}}
        """
    )
    assert [p.split(": ", 1)[0] for p in found] == [
        "s.scenario.yaml:2:7",
        "s.scenario.yaml:3:25",
        "s.scenario.yaml:4:21",
        "s.scenario.yaml:6:5",
        "s.scenario.yaml:7:21",
        "s.scenario.yaml:8:22",
        "s.scenario.yaml:9:43",
        "s.scenario.yaml:9:67",
        "s.scenario.yaml:10:5",
        "s.scenario.yaml:11:24",
        "s.scenario.yaml:12:19",
        "s.scenario.yaml:13:30",
        "s.scenario.yaml:14:17",
        "s.scenario.yaml:14:31",
        "s.scenario.yaml:15:5",
    ]
    text = "\n".join(found)
    assert "did you mean 'idempotent'?" in text
    assert "did you mean 'register'?" in text
    assert "did you mean 'http_error'?" in text
    assert "name a bot of the world (bot1, bot2); got 'bot3'" in text
    assert "expected the HTTP status from 100 to 599, got 999" in text
    assert "a step 'advance' needs its fields" in text
    assert "expected at least two hook calls" in text
    assert "got a mapping with 2 keys" in text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("name: x\nsteps: [register]\n", "1:1: the scenario is missing the required key 'version'"),
        (
            "version: one\nname: x\nsteps: [register]\n",
            "1:10: expected `version: 1` (a whole number)",
        ),
        ("version: 0\nname: x\nsteps: [register]\n", "1:10: expected `version: 1`, got 0"),
        ("version: 1\nname: x\nsteps: []\n", "3:8: expected at least one step"),
        ("version: 1\nname: x\nsteps: register\n", "3:8: expected the steps as a list"),
        ("- just a list\n", "1:1: expected the scenario as a mapping, got a list"),
        ("version: 1\nname: x\nname: y\nsteps: [register]\n", "3:1: duplicate key 'name'"),
        (
            "version: 1\nname: x\nsteps: [register]\nworld: {bots: 1, shops: 2}\n",
            "4:25: world.shops (2) is more than world.bots (1)",
        ),
        (
            "version: 1\nname: x\nsteps: [register]\nworld: {clock: soon}\n",
            "4:16: expected world.clock as an ISO 8601 time",
        ),
        (
            "version: 1\nname: x\nsteps: [register]\nexpect: {properties: [clean], violated: [reported]}\n",
            "4:41: expect.violated names reported, which expect.properties does not check",
        ),
        (
            "version: 1\nname: x\nsteps: [{register: !!python/object/apply:os.system [ls]}]\n",
            "unsupported YAML tag 'tag:yaml.org,2002:python/object/apply:os.system'",
        ),
        (
            "version: 1\nname: x\nsteps: [register]\nworld: {subscriptions: [{topic: t, address: '<webhook_url:bot9>'}]}\n",
            "<webhook_url:bot9> names no bot of the world (bot1)",
        ),
        (
            "version: 1\nname: x\nsteps: [{fault: {effect: {http_error: {status: 500}}, match: {method: post}}}]\n",
            "expected the matched method to be one of: GET, POST",
        ),
        ("", "1:1: the file is empty"),
        (
            "version: 1\nname: x\nsteps: [register]\nworld: {states: [{name: s, payload: [1]}]}\n",
            "4:37: expected the state's payload as a mapping, got a list",
        ),
    ],
)
def test_schema_errors(text: str, expected: str) -> None:
    found = problems(text)
    assert any(expected in p for p in found), found
    assert all(p.startswith("s.scenario.yaml:") for p in found)


def test_a_newer_version_says_so_before_anything_else() -> None:
    with pytest.raises(ScenarioVersionError) as info:
        load("version: 3\nname: x\nsome_future_key: 1\nsteps: [teleport]\n")
    assert info.value.version == 3
    assert str(info.value) == (
        "s.scenario.yaml:1:10: this scenario file is format version 3, but the installed "
        "lifecycle-harness reads versions up to 1; upgrade lifecycle-harness to replay it"
    )


def test_yaml_syntax_errors_have_a_position() -> None:
    with pytest.raises(ScenarioSyntaxError) as info:
        load("version: 1\nname: x\nsteps: [register\n")
    assert info.value.problem.line == 4
    assert str(info.value).startswith("s.scenario.yaml:4:1: not valid YAML:")


def test_load_scenario_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.scenario.yaml"
    path.write_text("version: 1\nname: broken\nsteps: [registr]\n")
    with pytest.raises(ScenarioSchemaError) as info:
        load_scenario(path)
    assert str(info.value).splitlines()[1].strip().startswith(f"{path}:3:9: expected a step")
    path.write_bytes(b"\xff\xfe\x00bad")
    with pytest.raises(ScenarioSyntaxError, match=r"broken\.scenario\.yaml:1:1: not UTF-8"):
        load_scenario(path)


def test_loading_never_half_applies() -> None:
    # A file whose only mistake is in its last step yields no scenario at all; the good parts
    # before it are not returned or kept anywhere.
    text = "version: 1\nname: x\nsteps: [register, register, {advance: {seconds: -1}}]\n"
    with pytest.raises(ScenarioSchemaError) as info:
        load(text)
    assert len(info.value.problems) == 1
    assert "expected the seconds to advance at least 0, got -1" in str(info.value)
    assert info.value.__traceback__ is not None


def test_property_ids_and_levels_agree_with_the_simulators_options() -> None:
    from typing import get_args

    from harness import options

    assert PROPERTY_IDS == options.PROPERTY_IDS
    assert set(STRICTNESS_LEVELS["idempotent"]) == set(get_args(options.IdempotentLevel))
    assert STRICTNESS_LEVELS["idempotent"][0] == options.Options().idempotent_level


def test_a_misspelt_fault_action_is_an_error_at_its_line() -> None:
    """Not a fault that silently never fires: the loader names the line, the column and the
    closest action the fake knows (fake_shopify.faults.unknown_action_message)."""
    found = problems(
        """\
        version: 1
        name: x
        steps:
          - fault:
              effect: {http_error: {status: 500}}
              match: {action: create_webhok}
          - register
        """
    )
    assert len(found) == 1
    assert found[0].startswith("s.scenario.yaml:6:23: ")
    assert "create_webhok" in found[0]
    assert "create_webhook" in found[0]
