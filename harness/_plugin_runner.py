"""The ``lifecycle`` fixture's runner and the zero-code suite (no pytest here; see the plugin).

Both are thin layers over the harness's checking API (``harness.simulator``,
``harness.exploration``, ``harness.scenarios``, ``harness.report``): the plugin adds where the
settings come from, how a failure reads in pytest, and where minimal failing scenarios are
recorded. Nothing here is process-global: a runner or suite holds its own integration, settings
and seed, so xdist workers share nothing.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from harness import _plugin_config as cfg

if TYPE_CHECKING:
    from harness.options import Options
    from harness.properties import Violation
    from harness.simulator import RunResult
    from harness.steps import Step
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
    """Register the harness's Hypothesis profiles (dev, ci, nightly): one place, shared with the
    CLI (``harness.profiles``)."""
    from harness import profiles

    profiles.register_profiles()


def profile_names() -> tuple[str, ...]:
    """The harness's profile names, for error messages."""
    from harness import profiles

    return tuple(sorted(profiles.PROFILES))


def is_profile(name: str) -> bool:
    """Whether ``name`` is a registered Hypothesis profile (the harness's, or one the user's
    conftest registered)."""
    from hypothesis import settings
    from hypothesis.errors import InvalidArgument

    try:
        settings.get_profile(name)
    except InvalidArgument:
        return False
    return True


def profile_examples(name: str) -> int:
    """The ``max_examples`` of the Hypothesis profile ``name``."""
    from hypothesis import settings

    return int(settings.get_profile(name).max_examples)


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

    fields = {k: v for k, v in overrides.items() if k not in (*MARKER_KEYS, *WORLD_KEYS)}
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


def header_lines(settings: cfg.PluginSettings, *, seed: int | None) -> list[str]:
    """What ``pytest_report_header`` prints: what is in force, and how to reproduce the run."""
    examples = settings.examples or profile_examples(settings.profile)
    where = settings.sources
    lines = [
        f"lifecycle-harness: integration {settings.integration} ({where['integration']})",
        "lifecycle-harness: profile {} ({}), examples {} ({}), configuration {}".format(
            settings.profile,
            where.get("profile", "default"),
            examples,
            where.get("examples", "profile"),
            where.get("configuration", "default: provisioned by the harness"),
        ),
        f"lifecycle-harness: failing scenarios recorded in {settings.record_dir}",
    ]
    reproduce = ["pytest", f"--lifecycle-integration={settings.integration}"]
    reproduce.append(f"--hypothesis-profile={settings.profile}")
    if settings.examples is not None:
        reproduce.append(f"--lifecycle-examples={settings.examples}")
    if seed is not None:
        reproduce.append(f"--hypothesis-seed={seed}")
        lines.append(f"lifecycle-harness: reproduce with: {' '.join(reproduce)}")
    else:
        lines.append(
            "lifecycle-harness: seed chosen by Hypothesis; failures replay first from its example "
            "database and are recorded as scenario files; for a fixed run: "
            f"{' '.join(reproduce)} --hypothesis-seed=N"
        )
    return lines


# --------------------------------------------------------------------------- runner


@dataclasses.dataclass
class Lifecycle:
    """A lifecycle runner bound to one integration, configuration and set of options.

    The ``lifecycle`` fixture builds one per test. ``run`` executes given steps; ``explore``
    generates lifecycles with Hypothesis; ``crashes`` enumerates crash points; ``replay`` runs a
    scenario file. ``assert_holds`` does one of those and fails the test with the violation
    report, recording each minimal failing scenario in ``record_dir``.
    """

    target: str
    integration: object
    world: WorldSpec
    options: Options
    examples: int
    profile: str
    seed: int | None
    record_dir: Path
    test_name: str
    fail: Callable[[str], NoReturn]

    @classmethod
    def from_settings(
        cls,
        settings: cfg.PluginSettings,
        *,
        overrides: Mapping[str, Any],
        seed: int | None,
        rootpath: Path,
        test_name: str,
        fail: Callable[[str], NoReturn],
    ) -> Lifecycle:
        from harness.integration import IntegrationLoadError, load_integration
        from harness.world import default_world

        check_lifecycle_options(overrides)
        target = overrides.get("integration", settings.integration)
        if target is None:
            raise ValueError(
                "no integration configured; name one with @pytest.mark.lifecycle(integration=...),"
                " --lifecycle-integration, the ini key lifecycle_integration or "
                f"[{cfg.TABLE}] integration in pyproject.toml"
            )
        if not isinstance(target, str):
            # an integration object passed to the marker directly
            integration: object = target
            target_name = getattr(target, "__name__", repr(target))
        else:
            target_name = target
            try:
                integration = load_integration(resolve_target(target, rootpath))
            except IntegrationLoadError as e:
                raise ValueError(str(e)) from None
        configuration = overrides.get("configuration", settings.configuration)
        examples = overrides.get("examples", settings.examples)
        return cls(
            target=target_name,
            integration=integration,
            world=default_world(
                configuration, **{k: overrides[k] for k in WORLD_KEYS if k in overrides}
            ),
            options=_options(overrides),
            examples=int(examples or profile_examples(settings.profile)),
            profile=settings.profile,
            seed=seed,
            record_dir=settings.record_dir,
            test_name=test_name,
            fail=fail,
        )

    # -- running

    def run(self, steps: Iterable[Step]) -> RunResult:
        """Execute ``steps`` once, checking every property after each step."""
        from harness.simulator import Simulator

        sim = Simulator(self.integration, world=self.world, options=self.options)
        return sim.run(tuple(steps))

    def explore(self, *, examples: int | None = None) -> list[Violation]:
        """Generate lifecycles with Hypothesis; each violation comes with its minimal steps."""
        from harness.exploration import explore

        return list(
            explore(
                self.integration,
                world=self.world,
                options=self.options,
                examples=examples or self.examples,
                seed=self.seed,
            )
        )

    def crashes(self) -> list[Violation]:
        """Abort every hook before each of its requests in turn, and lose each response."""
        from harness.exploration import enumerate_crashes

        return list(enumerate_crashes(self.integration, world=self.world, options=self.options))

    def replay(self, path: str | Path) -> RunResult:
        """Replay a scenario file against this runner's integration."""
        from harness.scenarios import load_scenario, replay

        return replay(load_scenario(Path(path)), integration=self.integration)

    async def arun(self, steps: Iterable[Step]) -> RunResult:
        """``run`` for async tests: the simulator runs its own event loop, so it runs in a worker
        thread while the test's loop waits (works under pytest-asyncio and anyio)."""
        import anyio.to_thread

        frozen = tuple(steps)
        return await anyio.to_thread.run_sync(lambda: self.run(frozen))

    async def aexplore(self, *, examples: int | None = None) -> list[Violation]:
        import anyio.to_thread

        return await anyio.to_thread.run_sync(lambda: self.explore(examples=examples))

    # -- asserting

    def assert_holds(self, steps: Iterable[Step] | None = None) -> None:
        """Fail the test with the violation report if a property is violated.

        With ``steps``: those steps once. Without: Hypothesis exploration and crash enumeration.
        """
        if steps is not None:
            violations = list(self.run(steps).violations)
        else:
            violations = self.explore() + self.crashes()
        self.fail_on(violations)

    async def aassert_holds(self, steps: Iterable[Step] | None = None) -> None:
        import anyio.to_thread

        frozen = None if steps is None else tuple(steps)
        await anyio.to_thread.run_sync(lambda: self.assert_holds(frozen))

    def fail_on(self, violations: Sequence[Violation]) -> None:
        """Record each violation's minimal scenario and fail with the report, if any."""
        if not violations:
            return
        recorded = record(violations, self.record_dir, stem=self.test_name, target=self.target)
        self.fail(report_text(violations, recorded, target=self.target))


# --------------------------------------------------------------------------- reports, recording


def report_text(violations: Sequence[Violation], recorded: Sequence[Path], *, target: str) -> str:
    """The violation report, then where each minimal scenario was written and how to replay it."""
    from harness.report import render_violations

    lines = [render_violations(violations)]
    for path in recorded:
        lines.append(f"minimal scenario recorded: {path}")
        lines.append(f"  replay: lifecycle-harness replay {path} --integration {target}")
    return "\n".join(lines)


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "-", text).strip("-") or "test"


def record(
    violations: Sequence[Violation], record_dir: Path, *, stem: str, target: str
) -> list[Path]:
    """Write each violation as a minimal scenario file; names are stable per violation (property
    and steps), so xdist workers and reruns never overwrite one another's different findings."""
    from harness.scenarios import scenario_for_violation, write_scenario

    record_dir.mkdir(parents=True, exist_ok=True)
    paths = []
    for violation in violations:
        scenario = scenario_for_violation(violation, integration=target)
        digest = hashlib.sha256(repr(violation.steps).encode()).hexdigest()[:8]
        path = record_dir / f"{_slug(stem)}-{violation.property}-{digest}.scenario.yaml"
        write_scenario(scenario, path)
        paths.append(path)
    return paths


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
    """What zero-code collection runs: every property, the shipped library, the repo's files."""

    settings: cfg.PluginSettings
    runner: Lifecycle

    @classmethod
    def from_settings(
        cls, settings: cfg.PluginSettings, *, seed: int | None, rootpath: Path
    ) -> Suite:
        def fail(message: str) -> NoReturn:
            raise LifecycleFailure(message)

        runner = Lifecycle.from_settings(
            settings, overrides={}, seed=seed, rootpath=rootpath, test_name="suite", fail=fail
        )
        return cls(settings=settings, runner=runner)

    def property_ids(self) -> list[str]:
        from harness.properties import PROPERTIES

        return list(PROPERTIES)

    def library_paths(self) -> list[Path]:
        from harness.scenarios import library_paths

        return sorted(library_paths())

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
        runner = dataclasses.replace(
            self.runner, options=self.runner.options.only(property_id), test_name=property_id
        )
        violations = [v for v in runner.explore() + runner.crashes() if v.property == property_id]
        runner.fail_on(violations)

    def load_scenario(self, path: Path) -> Any:
        from harness.scenarios import ScenarioError, load_scenario

        try:
            return load_scenario(path)
        except ScenarioError as e:
            raise ScenarioLoadFailure(str(e)) from None

    def check_scenario(self, scenario: Any, path: Path) -> None:
        from harness.scenarios import replay

        result = replay(scenario, integration=self.runner.integration)
        if not result.ok:
            raise LifecycleFailure(
                f"scenario {scenario.name} ({path}):\n"
                + report_text(result.violations, [], target=self.runner.target)
            )
