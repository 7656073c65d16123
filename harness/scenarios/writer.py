"""Write scenarios as YAML in the format the loader reads, secrets replaced by placeholders.

Only what differs from a default is written, so a recorded scenario reads like a hand-written
one: ``- register`` rather than ``- register: {bot: bot1}``. Every secret (each configuration
value under a key named like token, secret, password or key, plus any extra secret the caller
names) is replaced wherever it appears, raw or URL-encoded, by ``<name>``; the finished text is
checked once more and a secret that survived is an error, never a file.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

import yaml

from fake_shopify.faults import (
    Always,
    FaultEffect,
    HttpError,
    Latency,
    LostResponse,
    Match,
    Next,
    Nth,
    Probability,
    Schedule,
    TransportError,
)
from harness.common.redaction import MIN_SECRET_LENGTH, Redactor
from harness.scenarios.model import (
    FORMAT_VERSION,
    PROPERTY_IDS,
    SUFFIX,
    Scenario,
    ScenarioError,
    SeedState,
    SeedSubscription,
    WorldDecl,
    is_secret_key,
    placeholder,
)
from harness.steps import Advance, Concurrently, ShopifyFault, Step, step_kind


class ScenarioWriteError(ScenarioError):
    """The scenario cannot be written (a step with no file form, or a secret that would leak)."""


class _Dumper(yaml.SafeDumper):
    """Block style for multi-line text (descriptions), flow style for small mappings."""


def _represent_str(dumper: yaml.SafeDumper, data: str) -> yaml.Node:
    style = "|" if "\n" in data else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", data, style=style)


_Dumper.add_representer(str, _represent_str)


def scenario_secrets(scenario: Scenario, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Placeholder name -> secret value: the configuration's secrets and ``extra`` ones."""
    secrets: dict[str, str] = {}
    for key, value in (scenario.configuration or {}).items():
        if is_secret_key(key) and isinstance(value, str):
            secrets[key] = value
    secrets.update(extra or {})
    # A value this short is no credential, and replacing it would mangle ordinary words.
    return {name: value for name, value in secrets.items() if len(value) >= MIN_SECRET_LENGTH}


def dumps_scenario(
    scenario: Scenario,
    *,
    secrets: Mapping[str, str] | None = None,
    header: str | None = None,
) -> str:
    """The scenario as YAML text; ``secrets`` adds secrets beyond the configuration's own
    (e.g. ``{"access_token:bot2": "shpat_..."}`` for a derived tenant's token)."""
    every_secret = scenario_secrets(scenario, secrets)
    data = _scrub(scenario_data(scenario), every_secret)
    text = yaml.dump(
        data,
        Dumper=_Dumper,
        sort_keys=False,
        default_flow_style=None,
        width=100,
        allow_unicode=True,
    )
    if header:
        comment = "".join(f"# {line}".rstrip() + "\n" for line in header.splitlines())
        text = comment + text
    leaks = _redactor(every_secret).find(text)
    if leaks:
        raise ScenarioWriteError(
            f"refusing to write scenario {scenario.name!r}: the secret "
            f"{placeholder(leaks[0].name)} would appear in it"
        )
    return text


def write_scenario(
    scenario: Scenario,
    directory: str | Path,
    *,
    secrets: Mapping[str, str] | None = None,
    header: str | None = None,
) -> Path:
    """Write ``<directory>/<name>.scenario.yaml`` (creating the directory) and return its path."""
    text = dumps_scenario(scenario, secrets=secrets, header=header)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{scenario.name}{SUFFIX}"
    path.write_text(text, encoding="utf-8")
    return path


def _redactor(secrets: Mapping[str, str]) -> Redactor:
    # Every encoding of harness.common.redaction.ENCODERS, as in every other artifact.
    return Redactor.shared(sorted(secrets.items()))


def _scrub(value: object, secrets: Mapping[str, str]) -> Any:
    return _redactor(secrets).redact_data(value) if secrets else value


def scenario_data(scenario: Scenario) -> dict[str, Any]:
    """The scenario as plain data in file order (secrets not yet replaced)."""
    data: dict[str, Any] = {"version": FORMAT_VERSION, "name": scenario.name}
    if scenario.description:
        data["description"] = scenario.description.rstrip("\n") + "\n"
    if scenario.integration is not None:
        data["integration"] = scenario.integration
    if scenario.configuration is not None:
        data["configuration"] = {
            key: placeholder(key) if is_secret_key(key) and isinstance(value, str) else value
            for key, value in scenario.configuration.items()
        }
    world = _world_data(scenario.world)
    if world:
        data["world"] = world
    options = _options_data(scenario)
    if options:
        data["options"] = options
    expect: dict[str, Any] = {}
    if scenario.expect.properties != PROPERTY_IDS:
        expect["properties"] = list(scenario.expect.properties)
    if scenario.expect.violated:
        expect["violated"] = list(scenario.expect.violated)
    if expect:
        data["expect"] = expect
    data["steps"] = [step_data(step) for step in scenario.steps]
    return data


def _non_defaults(obj: object, default: object) -> dict[str, Any]:
    return {
        f.name: getattr(obj, f.name)
        for f in fields(obj)  # type: ignore[arg-type]
        if getattr(obj, f.name) != getattr(default, f.name)
    }


def _world_data(world: WorldDecl) -> dict[str, Any]:
    data = _non_defaults(world, WorldDecl())
    if "subscriptions" in data:
        data["subscriptions"] = [_subscription_data(s) for s in world.subscriptions]
    if "states" in data:
        data["states"] = [_state_data(s) for s in world.states]
    if world.clock is not None:
        data["clock"] = world.clock.isoformat().replace("+00:00", "Z")
    return data


def _subscription_data(seed: SeedSubscription) -> dict[str, Any]:
    data = _non_defaults(seed, SeedSubscription())
    data["topic"] = seed.topic
    return data


def _state_data(seed: SeedState) -> dict[str, Any]:
    data: dict[str, Any] = {"name": seed.name, "payload": seed.payload}
    if seed.bot != "bot1":
        data["bot"] = seed.bot
    if seed.type != "integration":
        data["type"] = seed.type
    if seed.id is not None:
        data["id"] = seed.id
    return data


def _options_data(scenario: Scenario) -> dict[str, Any]:
    options = scenario.options
    data: dict[str, Any] = {}
    if options.strictness:
        data["strictness"] = dict(options.strictness)
    if options.clean_allowlist:
        data["clean_allowlist"] = list(options.clean_allowlist)
    if options.malformed_version != "not_found":
        data["malformed_version"] = options.malformed_version
    if options.topic_update != "ignore":
        data["topic_update"] = options.topic_update
    if options.burst:
        data["burst"] = True
    return data


def step_data(step: Step) -> Any:
    """One step in its file form: a bare kind, or ``{kind: {non-default fields}}``."""
    kind = step_kind(step)
    if isinstance(step, Concurrently):
        return {kind: [step_data(inner) for inner in step.steps]}
    if isinstance(step, ShopifyFault):
        fault: dict[str, Any] = {"effect": effect_data(step.effect)}
        if step.match != Match():
            fault["match"] = _non_defaults(step.match, Match())
        if step.schedule != Next():
            fault["schedule"] = schedule_data(step.schedule)
        return {kind: fault}
    if isinstance(step, Advance):
        return {kind: {"seconds": step.seconds}}
    changed = _non_defaults(step, type(step)())
    if "schedule" in changed:
        changed["schedule"] = schedule_data(changed["schedule"])
    return {kind: changed} if changed else kind


def effect_data(effect: FaultEffect) -> Any:
    if isinstance(effect, HttpError):
        http: dict[str, Any] = {"status": effect.status}
        if effect.retry_after is not None:
            http["retry_after"] = effect.retry_after
        if effect.body is not None:
            http["body"] = effect.body
        return {"http_error": http}
    if isinstance(effect, TransportError):
        return {"transport_error": {"kind": effect.kind}}
    if isinstance(effect, LostResponse):
        return {"lost_response": {"kind": effect.kind}}
    if isinstance(effect, Latency):
        return {"latency": {"seconds": effect.seconds}}
    raise ScenarioWriteError(
        f"a {type(effect).__name__} fault has no scenario-file form; "
        "an aborted hook is written as a crash step"
    )


def schedule_data(schedule: Schedule) -> Any:
    if isinstance(schedule, Nth):
        return {"nth": schedule.n}
    if isinstance(schedule, Next):
        return {"next": schedule.k}
    if isinstance(schedule, Always):
        return "always"
    if isinstance(schedule, Probability):
        return {"probability": {"p": schedule.p, "seed": schedule.seed}}
    raise ScenarioWriteError(f"unknown schedule {schedule!r}")
