"""The ``lifecycle`` fixture's runner and the zero-code suite (no pytest here; see the plugin).

Both are thin layers over the harness's checking API (``harness.simulator``,
``harness.exploration``, ``harness.scenarios``, ``harness.reports.render``): the plugin adds where the
settings come from, how a failure reads in pytest, and where minimal failing scenarios are
recorded. Nothing here is process-global: a runner or suite holds its own integration, settings
and seed, so xdist workers share nothing.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from harness.common.project import TABLE, shown_path
from harness.plugin import config as cfg

if TYPE_CHECKING:
    from harness.options import Options
    from harness.profiles import Profile
    from harness.properties import Violation
    from harness.reports.render import CheckReport
    from harness.scenarios import Scenario
    from harness.scenarios.replay import ScenarioResult
    from harness.simulator import RunResult, Simulator
    from harness.steps import Step
    from harness.targets.python import Integration
    from harness.world import WorldSpec

MARKER_KEYS: tuple[str, ...] = ("configuration", "examples", "integration")
"""The ``lifecycle`` marker's own keys."""

WORLD_KEYS: tuple[str, ...] = ("bots", "crowd", "other_apps", "shop_key", "shops", "token_key")
"""Marker keys passed to ``harness.world.default_world``; every other key is a field of
``harness.options.Options``."""


class LifecycleFailure(AssertionError):
    """A lifecycle check failed; ``report`` is the violation report pytest shows as is."""

    def __init__(self, report: str) -> None:
        super().__init__(report)
        self.report = report


class ScenarioLoadFailure(Exception):
    """A scenario file cannot be loaded (the message names file, line and column)."""


# --------------------------------------------------------------------------- profiles


def register_profiles() -> None:
    """Register the harness's Hypothesis profiles (``lifecycle-dev``, ``lifecycle-ci``,
    ``lifecycle-nightly``) from the one place that defines them, shared with the CLI."""
    from harness import profiles

    profiles.register_profiles()


def profile_names() -> tuple[str, ...]:
    """The harness's profile names, for error messages."""
    from harness import profiles

    return tuple(sorted(profiles.PROFILES))


def lifecycle_profile(name: str) -> Profile | None:
    """The exploration profile a profile name stands for: ``dev``/``ci``/``nightly`` or their
    Hypothesis names ``lifecycle-<name>``; any other registered Hypothesis profile lends its
    ``max_examples`` and ``stateful_step_count``. None for an unknown name."""
    from hypothesis import settings
    from hypothesis.errors import InvalidArgument

    from harness import profiles

    base = name.removeprefix("lifecycle-")
    if base in profiles.PROFILES:
        return profiles.PROFILES[base]
    try:
        chosen = settings.get_profile(name)
    except InvalidArgument:
        return None
    return profiles.Profile(examples=chosen.max_examples, max_steps=chosen.stateful_step_count)


def is_profile(name: str) -> bool:
    return lifecycle_profile(name) is not None


# --------------------------------------------------------------------------- options


def option_fields() -> tuple[str, ...]:
    """The fields of ``harness.options.Options`` (the marker's other keyword options)."""
    from harness.options import Options

    return tuple(f.name for f in dataclasses.fields(Options))


def check_lifecycle_options(options: Mapping[str, object]) -> None:
    """Raise ``ValueError`` naming the valid keys if the ``lifecycle`` marker has an unknown one."""
    valid = sorted({*MARKER_KEYS, *WORLD_KEYS, *option_fields()})
    unknown = sorted(set(options) - set(valid))
    if unknown:
        raise ValueError(
            f"unknown lifecycle marker option(s): {', '.join(unknown)}; "
            f"valid options: {', '.join(valid)}"
        )


def _options(overrides: Mapping[str, object]) -> Options:
    from harness.options import Options, OptionsError

    fields: dict[str, Any] = {
        k: v for k, v in overrides.items() if k not in (*MARKER_KEYS, *WORLD_KEYS)
    }
    raw = fields.get("properties")
    if isinstance(raw, str):
        fields["properties"] = frozenset([raw])
    elif isinstance(raw, (list, tuple, set)):
        # a marker naturally says properties=["clean"]; Options holds a frozenset
        fields["properties"] = frozenset(raw)
    try:
        return Options(**fields)
    except OptionsError as e:
        raise ValueError(str(e)) from None


def resolve_target(target: str, rootpath: Path) -> str:
    """A file target (``path/to/file.py[:attr]``) relative to the rootdir, as the user wrote it
    in pyproject.toml; module targets are left to the import system."""
    path_part, sep, attr = target.partition(":") if ".py:" in target else (target, "", "")
    if path_part.endswith(".py") and not Path(path_part).is_absolute():
        return f"{rootpath / path_part}{sep}{attr}"
    return target


# --------------------------------------------------------------------------- header


def _profile_text(name: str) -> str:
    chosen = lifecycle_profile(name)
    if chosen is None:
        return name
    return f"{name} ({chosen.examples} examples, {chosen.max_steps} steps at most)"


def header_lines(settings: cfg.PluginSettings, *, seed: int | None) -> list[str]:
    """What ``pytest_report_header`` prints: what is in force, and how to reproduce the run."""
    where = settings.sources
    lines = [
        f"lifecycle-harness: integration {settings.integration} ({where['integration']})",
        "lifecycle-harness: profile {} [{}], examples {} [{}], configuration {}".format(
            _profile_text(settings.profile),
            where.get("profile", "default"),
            settings.examples if settings.examples is not None else "from the profile",
            where.get("examples", "default"),
            where.get("configuration", "provisioned by the harness"),
        ),
        f"lifecycle-harness: failing scenarios recorded in {shown_path(settings.record_dir)}",
    ]
    reproduce = ["pytest", f"--lifecycle-integration={settings.integration}"]
    base = settings.profile.removeprefix("lifecycle-")
    # the name Hypothesis knows the profile by (the harness's are registered as lifecycle-<name>)
    registered = f"lifecycle-{base}" if base in profile_names() else settings.profile
    reproduce.append(f"--hypothesis-profile={registered}")
    if settings.examples is not None:
        reproduce.append(f"--lifecycle-examples={settings.examples}")
    if seed is not None:
        reproduce.append(f"--hypothesis-seed={seed}")
        lines.append(f"lifecycle-harness: reproduce with: {' '.join(reproduce)}")
    else:
        lines.append(
            "lifecycle-harness: seed chosen by Hypothesis (failures are recorded as scenario "
            f"files); for a fixed run: {' '.join(reproduce)} --hypothesis-seed=N"
        )
    return lines


# --------------------------------------------------------------------------- runner


@dataclasses.dataclass
class Lifecycle:
    """A lifecycle runner bound to one integration, configuration and set of options.

    The ``lifecycle`` fixture builds one per test:

    - ``run(steps)`` executes given steps once (``RunResult``: ``history``, ``violations``);
    - ``check()`` does what ``lifecycle-harness check`` does (fixed probes, crash enumeration,
      Hypothesis exploration) and returns the ``CheckReport``;
    - ``explore()`` and ``crashes()`` are those two phases alone;
    - ``replay(path)`` replays a scenario file against this integration;
    - ``assert_holds(steps=None)`` runs the steps (or ``check()``), and fails the test with the
      violation report, each minimal failing scenario recorded in ``record_dir``;
    - ``arun``, ``acheck``, ``aassert_holds`` are the same for async tests.
    """

    integration: Integration
    configuration: Mapping[str, object] | None
    world: WorldSpec
    options: Options
    profile: Profile
    examples: int
    seed: int | None
    record_dir: Path
    fail: Callable[[str], NoReturn]
    library: bool = True
    """Whether ``check`` replays the shipped scenario library first (the zero-code suite has an
    item per scenario instead)."""

    @classmethod
    def from_settings(
        cls,
        settings: cfg.PluginSettings,
        *,
        overrides: Mapping[str, Any],
        seed: int | None,
        rootpath: Path,
        fail: Callable[[str], NoReturn],
    ) -> Lifecycle:
        from harness.targets.python import IntegrationLoadError, load_integration
        from harness.world import WorldError, default_world

        check_lifecycle_options(overrides)
        target = overrides.get("integration", settings.integration)
        if target is None:
            raise ValueError(
                "no integration configured; name one with @pytest.mark.lifecycle(integration=...),"
                " --lifecycle-integration, the ini key lifecycle_integration or "
                f"[{TABLE}] integration in pyproject.toml"
            )
        try:
            integration = load_integration(
                resolve_target(target, rootpath) if isinstance(target, str) else target
            )
        except IntegrationLoadError as e:
            raise ValueError(str(e)) from None
        if isinstance(target, str):
            # Reports and recorded scenarios name the target as the user wrote it (relative to
            # the rootdir), not the absolute path it was loaded from.
            integration = dataclasses.replace(integration, name=target)
        configuration = overrides.get("configuration", settings.configuration)
        try:
            world = default_world(
                configuration, **{k: overrides[k] for k in WORLD_KEYS if k in overrides}
            )
        except WorldError as e:
            raise ValueError(str(e)) from None
        profile = lifecycle_profile(settings.profile)
        assert profile is not None  # validated with the settings
        examples = overrides.get("examples", settings.examples)
        return cls(
            integration=integration,
            configuration=configuration,
            world=world,
            options=_options(overrides),
            profile=profile,
            examples=int(examples) if examples is not None else profile.examples,
            seed=seed,
            record_dir=settings.record_dir,
            fail=fail,
        )

    def simulator(self) -> Simulator:
        """A simulator of this integration, world and options (use it as a context manager)."""
        from harness.simulator import Simulator

        return Simulator(self.integration, world=self.world, options=self.options)

    # -- running

    def run(self, steps: Iterable[Step]) -> RunResult:
        """Execute ``steps`` once, checking every enabled property after each step."""
        with self.simulator() as sim:
            return sim.run(tuple(steps))

    def check(self, *, examples: int | None = None) -> CheckReport:
        """Probes, crash enumeration and Hypothesis exploration, as ``lifecycle-harness check``
        does; every violation is recorded as a minimal scenario file in ``record_dir``."""
        from harness.check import check

        report = check(
            self.integration,
            configuration=self.configuration,
            shop_key=self.world.shop_key,
            token_key=self.world.token_key,
            examples=self.examples if examples is None else examples,
            seed=self.seed,
            # Without a seed, Hypothesis' example database replays earlier failures first (as
            # for any Hypothesis test); with one, the run is fixed and the database stays out.
            database=self.seed is None,
            max_steps=self.profile.max_steps,
            options=self.options,
            record_dir=self.record_dir,
            library=self.library,
        )
        return record_missing(report, self)

    def explore(self, *, examples: int | None = None) -> list[Violation]:
        """Hypothesis exploration alone; each violation comes with its minimal steps."""
        from harness.exploration import explore

        with self.simulator() as sim:
            return explore(
                sim,
                options=self.options,
                examples=self.examples if examples is None else examples,
                seed=self.seed,
                database=self.seed is None,
                max_steps=self.profile.max_steps,
            )

    def crashes(self) -> list[Violation]:
        """Crash enumeration alone: every hook aborted before each of its requests in turn."""
        from harness.exploration import enumerate_crashes

        with self.simulator() as sim:
            return enumerate_crashes(sim, options=self.options)

    def replay(self, path: str | Path) -> ScenarioResult:
        """Replay a scenario file against this runner's integration."""
        from harness.scenarios import load_scenario
        from harness.scenarios.replay import replay

        return replay(
            load_scenario(Path(path)),
            integration=self.integration,
            configuration=self.configuration,
        )

    async def arun(self, steps: Iterable[Step]) -> RunResult:
        """``run`` for async tests. The simulator runs async hooks on an event loop of its own,
        so it runs in a worker thread while the test's loop waits (pytest-asyncio and anyio)."""
        import anyio.to_thread

        frozen = tuple(steps)
        return await anyio.to_thread.run_sync(lambda: self.run(frozen))

    async def acheck(self, *, examples: int | None = None) -> CheckReport:
        import anyio.to_thread

        return await anyio.to_thread.run_sync(lambda: self.check(examples=examples))

    # -- asserting

    def assert_holds(self, steps: Iterable[Step] | None = None) -> None:
        """Fail the test with the violation report if a property is violated.

        With ``steps``: those steps, once. Without: ``check()``.
        """
        if steps is None:
            report = self.check()
            if report.violations:
                self.fail(render_check(report))
            return
        violations = self.run(steps).violations
        if violations:
            recorded = [record(v, self) for v in violations]
            self.fail(report_text(violations, recorded))

    async def aassert_holds(self, steps: Iterable[Step] | None = None) -> None:
        import anyio.to_thread

        frozen = None if steps is None else tuple(steps)
        await anyio.to_thread.run_sync(lambda: self.assert_holds(frozen))


# --------------------------------------------------------------------------- reports, recording


def render_check(report: CheckReport) -> str:
    from harness.reports.render import render_text

    return render_text(report).rstrip("\n")


def report_text(violations: Sequence[Violation], recorded: Sequence[Path | None]) -> str:
    """Each violation's report, then the scenario file that replays it."""
    from harness.reports.render import render_violation

    parts = []
    for number, (violation, path) in enumerate(zip(violations, recorded, strict=True), start=1):
        parts.append(render_violation(violation, number))
        if path is not None:
            parts.append(f"   reproduce: lifecycle-harness replay {shown_path(path)}")
        parts.append("")
    return "\n".join(parts).rstrip("\n")


def record_missing(report: CheckReport, runner: Lifecycle) -> CheckReport:
    """Record every violation of ``report`` that ``check`` has not written a scenario file for
    (so the plugin's promise holds whatever ``check`` records by itself)."""
    scenarios = dict(report.scenarios)
    for index, violation in enumerate(report.violations):
        if index not in scenarios:
            path = record(violation, runner)
            if path is not None:
                scenarios[index] = str(path)
    return dataclasses.replace(report, scenarios=scenarios)


def record(violation: Violation, runner: Lifecycle) -> Path | None:
    """Write ``violation`` as a minimal scenario file in the runner's record directory; None when
    the scenario format cannot express it (the report still shows the steps)."""
    from harness.scenarios.replay import record_violation
    from harness.scenarios.writer import ScenarioWriteError

    try:
        return record_violation(
            violation,
            runner.record_dir,
            integration=runner.integration.name,
            options=runner.options,
            world=runner.world,
        )
    except ScenarioWriteError:
        return None


def step_line(path: Path, index: int) -> int | None:
    """The 0-based line of step ``index`` in the scenario file ``path`` (for pointing a failure
    at the step that fails); None when the file has no such step."""
    import yaml

    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (OSError, yaml.YAMLError):
        return None
    if not isinstance(root, yaml.MappingNode):
        return None
    for key, value in root.value:
        if key.value == "steps" and isinstance(value, yaml.SequenceNode):
            if 0 <= index < len(value.value):
                return int(value.value[index].start_mark.line)
            return None
    return None


def key_line(path: Path, key: str) -> int | None:
    """The 0-based line of the top-level ``key`` of a YAML file, if present."""
    import yaml

    try:
        root = yaml.compose(path.read_text(encoding="utf-8"), Loader=yaml.SafeLoader)
    except (OSError, yaml.YAMLError):
        return None
    if isinstance(root, yaml.MappingNode):
        for k, _ in root.value:
            if k.value == key:
                return int(k.start_mark.line)
    return None


# --------------------------------------------------------------------------- zero-code suite


@dataclasses.dataclass
class Suite:
    """What zero-code collection runs: every property, the shipped library, the repo's files.

    Built once per pytest process (each xdist worker builds its own)."""

    settings: cfg.PluginSettings
    runner: Lifecycle
    rootpath: Path

    @classmethod
    def from_settings(
        cls, settings: cfg.PluginSettings, *, seed: int | None, rootpath: Path
    ) -> Suite:
        def fail(message: str) -> NoReturn:
            raise LifecycleFailure(message)

        runner = Lifecycle.from_settings(
            settings, overrides={}, seed=seed, rootpath=rootpath, fail=fail
        )
        return cls(settings=settings, runner=runner, rootpath=rootpath)

    def property_ids(self) -> list[str]:
        """The properties the harness checks, in the documented order."""
        return sorted(self.runner.options.properties, key=_property_order)

    def library_paths(self) -> list[Path]:
        from harness.scenarios import ScenarioError, discover, library_dir

        try:
            return discover([library_dir()])
        except ScenarioError as e:
            raise ScenarioLoadFailure(str(e)) from None

    def config_line(self) -> int | None:
        """The 0-based line of the setting that names the integration, for ``reportinfo``."""
        path = self.settings.config_file
        if path is None or not path.is_file():
            return None
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines()):
            if re.match(r"\s*(lifecycle_)?integration\s*[=:]", line):
                return number
        return None

    def check_property(self, property_id: str) -> None:
        """Probes, crash enumeration and exploration with only ``property_id`` enabled."""
        runner = dataclasses.replace(
            self.runner, options=self.runner.options.only(property_id), library=False
        )
        report = runner.check()
        if report.violations:
            raise LifecycleFailure(render_check(report))

    def load_scenario(self, path: Path) -> Scenario:
        from harness.scenarios import ScenarioError, load_scenario

        try:
            return load_scenario(path)
        except ScenarioError as e:
            raise ScenarioLoadFailure(str(e)) from None

    def check_scenario(self, scenario: Scenario, path: Path) -> None:
        """Replay ``scenario`` (its own integration if it names one, else the configured one)."""
        from harness.scenarios.replay import replay

        integration: object = self.runner.integration
        if scenario.integration is not None:
            integration = resolve_target(scenario.integration, self.rootpath)
        result = replay(scenario, integration=integration, configuration=self.runner.configuration)
        if result.passed:
            return
        shown = shown_path(path, self.rootpath)
        lines = [f"scenario {scenario.name} ({shown}) did not replay as expected"]
        for violation in result.violations:
            line = step_line(path, violation.step_index)
            where = f"{shown}:{line + 1}" if line is not None else shown
            lines.append(f"{where}: step {violation.step_index + 1} violates {violation.property}")
        for missing in result.missing:
            lines.append(f"expected violation of {missing} did not happen")
        lines.append("")
        lines.append(report_text(result.violations, [None] * len(result.violations)))
        lines.append(f"reproduce: lifecycle-harness replay {shown}")
        raise LifecycleFailure("\n".join(lines).rstrip("\n"))


def _property_order(property_id: str) -> int:
    from harness.options import PROPERTY_IDS

    return PROPERTY_IDS.index(property_id)
