"""The pytest plugin: lifecycle checks inside an integration's own test suite (the README).

Loaded through the ``pytest11`` entry point ``lifecycle_harness``. It is the only module of the
project that imports pytest. What it adds:

- settings (command line > ini key > ``[tool.lifecycle-harness]`` in pyproject.toml > default,
  resolved in ``harness.plugin.config``); a bad value is a ``pytest.UsageError``;
- the ``lifecycle`` and ``fake_shopify`` markers;
- fixtures: ``fake_shopify`` (a fresh fake with interception active, checked at teardown),
  ``platform`` (the platform fakes) and ``lifecycle`` (a runner bound to the configured
  integration);
- zero-code collection: with an integration configured, one item per property, one per scenario
  of the shipped library, and one per ``*.scenario.yaml`` file of the repository;
- a report header naming the integration, profile and options, and how to reproduce the run.

With no integration configured the plugin only registers its options, markers and fixtures: the
suite of a project that does not use it runs exactly as before.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest

from harness.plugin import config as cfg

if TYPE_CHECKING:
    from fake_shopify import FakeShopify
    from harness.plugin.platform import PlatformFakes
    from harness.plugin.runner import Lifecycle, Suite

_SETTINGS = pytest.StashKey["cfg.PluginSettings"]()
_SUITE = pytest.StashKey["Suite | None"]()

SCENARIO_SUFFIX = ".scenario.yaml"


# --------------------------------------------------------------------------- options and settings


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("lifecycle-harness", "lifecycle checks of a bot-platform integration")
    for setting in cfg.SETTINGS:
        if setting.ini is not None:
            parser.addini(setting.ini, setting.help, type="string", default="")
        if setting.cli.startswith("--hypothesis-"):
            continue  # Hypothesis' own option, read as it is
        group.addoption(setting.cli, dest=setting.dest, default=None, help=setting.help)


def _settings_from(config: pytest.Config) -> cfg.PluginSettings:
    """Resolve the plugin's settings once; every other part of the plugin reads the result."""
    cli: dict[str, object | None] = {}
    ini: dict[str, object | None] = {}
    for setting in cfg.SETTINGS:
        cli[setting.name] = config.getoption(setting.dest, default=None)
        ini[setting.name] = config.getini(setting.ini) if setting.ini else None
    pyproject = config.rootpath / "pyproject.toml"
    try:
        table = cfg.read_pyproject_table(pyproject)
        env = {cfg.PROFILE_ENV: os.environ.get(cfg.PROFILE_ENV, "")}
        given = (cli, ini, {s.name: table.get(s.toml) for s in cfg.SETTINGS})
        named = any(values.get(n) for values in given for n in ("integration", "profile"))
        if named or env[cfg.PROFILE_ENV]:
            # Before Hypothesis' own pytest_configure (ours is tryfirst), so that
            # --hypothesis-profile=ci finds the harness's profiles registered.
            from harness.plugin.runner import is_profile, profile_names, register_profiles

            register_profiles()
            valid: tuple[str, ...] = profile_names()
            known: Callable[[str], bool] | None = is_profile
        else:
            # Inert: no integration, no profile named; do not even import Hypothesis.
            valid, known = (cfg.DEFAULT_PROFILE,), None
        return cfg.resolve(
            cli=cli,
            ini=ini,
            table=table,
            env=env,
            rootpath=config.rootpath,
            pyproject=pyproject if table else None,
            inifile=config.inipath,
            valid_profiles=valid,
            is_profile=known,
        )
    except cfg.SettingsError as e:
        raise pytest.UsageError(f"lifecycle-harness: {e}") from None


def settings_of(config: pytest.Config) -> cfg.PluginSettings:
    """The resolved settings of this run (public for conftest files that want them)."""
    return config.stash[_SETTINGS]


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "lifecycle(*, integration=..., configuration=..., examples=..., **options): "
        "the integration, its configuration and the harness options the `lifecycle` fixture "
        "uses in this test",
    )
    config.addinivalue_line(
        "markers",
        "fake_shopify(*, assert_all_faults_fired=True, assert_all_requests_served=True, "
        "**fake_options): options of the `fake_shopify` fixture in this test",
    )
    config.stash[_SETTINGS] = settings = _settings_from(config)
    if settings.active:
        _seed(config)  # a bad --hypothesis-seed stops the run here, before collection
    config.stash[_SUITE] = None


def pytest_report_header(config: pytest.Config) -> list[str] | None:
    settings = config.stash.get(_SETTINGS, None)
    if settings is None or not settings.active:
        return None
    from harness.plugin.runner import header_lines

    return header_lines(settings, seed=_seed(config))


def _seed(config: pytest.Config) -> int | None:
    """Hypothesis' ``--hypothesis-seed``, as an int (the harness's explorations take an int)."""
    raw = config.getoption("hypothesis_seed", default=None)
    if raw is None:
        return None
    try:
        return int(raw)
    except ValueError:
        raise pytest.UsageError(
            f"lifecycle-harness: --hypothesis-seed={raw!r} is not a whole number; "
            "the lifecycle checks need an integer seed, e.g. --hypothesis-seed=1234"
        ) from None


# --------------------------------------------------------------------------- markers


def _marker_kwargs(node: pytest.Item, name: str) -> dict[str, Any]:
    """The merged keyword arguments of every ``name`` marker on ``node`` (closest wins)."""
    merged: dict[str, Any] = {}
    for marker in reversed(list(node.iter_markers(name))):
        if marker.args:
            raise pytest.UsageError(
                f"{node.nodeid}: the {name} marker takes keyword arguments only, "
                f"got positional {marker.args!r}"
            )
        merged.update(marker.kwargs)
    return merged


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> None:
    # tryfirst: the suite is added before -k/-m deselection, so those select lifecycle items as
    # any other.
    _add_suite(session, items)
    # A misspelt marker option fails the run at once, before any test runs.
    from harness.plugin.runner import check_lifecycle_options

    for item in items:
        if item.get_closest_marker("lifecycle") is not None:
            try:
                check_lifecycle_options(_marker_kwargs(item, "lifecycle"))
            except ValueError as e:
                raise pytest.UsageError(f"{item.nodeid}: {e}") from None
        if item.get_closest_marker("fake_shopify") is not None:
            from harness.plugin.platform import check_fake_options

            try:
                check_fake_options(_marker_kwargs(item, "fake_shopify"))
            except ValueError as e:
                raise pytest.UsageError(f"{item.nodeid}: {e}") from None


# --------------------------------------------------------------------------- fixtures


def _fail(message: str) -> NoReturn:
    pytest.fail(message, pytrace=False)


@pytest.fixture
def fake_shopify(request: pytest.FixtureRequest) -> Iterator[FakeShopify]:
    """A fresh fake Shopify with interception active for the test.

    Every request to ``https://*.myshopify.com`` is served by the fake; a request to any other
    host fails at once and is never sent. At teardown the test fails, with the list, if a fault
    armed on the fake never fired or a request went nowhere (options: the ``fake_shopify``
    marker).
    """
    from harness.plugin.platform import fake_session

    options = _marker_kwargs(request.node, "fake_shopify")
    with fake_session(options, fail=_fail) as fake:
        yield fake


@pytest.fixture
def platform(fake_shopify: FakeShopify) -> PlatformFakes:
    """The bot platform's fakes: state store, clients, logger and log sink, contexts, hook calls.

    Shares the clock of ``fake_shopify``.
    """
    from harness.plugin.platform import PlatformFakes

    return PlatformFakes(fake_shopify)


@pytest.fixture
def lifecycle(request: pytest.FixtureRequest) -> Lifecycle:
    """A lifecycle runner bound to the configured integration (or the ``lifecycle`` marker's).

    ``lifecycle.run(steps)``, ``lifecycle.check()``, ``lifecycle.explore()``,
    ``lifecycle.crashes()``, ``lifecycle.replay(path)``; ``lifecycle.assert_holds(steps=None)``
    fails the test with the violation report and records each minimal failing scenario.
    ``await lifecycle.arun(...)``, ``acheck()``, ``aassert_holds()`` in async tests.
    """
    from harness.plugin.runner import Lifecycle

    settings = settings_of(request.config)
    try:
        return Lifecycle.from_settings(
            settings,
            overrides=_marker_kwargs(request.node, "lifecycle"),
            seed=_seed(request.config),
            rootpath=request.config.rootpath,
            fail=_fail,
        )
    except ValueError as e:
        _fail(f"lifecycle fixture: {e}")


# --------------------------------------------------------------------------- zero-code collection


def _suite(config: pytest.Config) -> Suite | None:
    """The lifecycle suite of this run (loaded once), or None when no integration is set."""
    settings = settings_of(config)
    if not settings.active:
        return None
    suite = config.stash[_SUITE]
    if suite is None:
        from harness.plugin.runner import Suite

        try:
            suite = Suite.from_settings(settings, seed=_seed(config), rootpath=config.rootpath)
        except ValueError as e:
            raise pytest.UsageError(f"lifecycle-harness: {e}") from None
        config.stash[_SUITE] = suite
    return suite


def _suite_path(config: pytest.Config) -> Path:
    settings = settings_of(config)
    return settings.config_file or config.inipath or config.rootpath / "pyproject.toml"


def pytest_collect_file(file_path: Path, parent: pytest.Collector) -> pytest.Collector | None:
    config = parent.config
    settings = config.stash.get(_SETTINGS, None)
    if settings is None or not settings.active:
        return None
    if file_path.name.endswith(SCENARIO_SUFFIX):
        return ScenarioFile.from_parent(parent, path=file_path)
    if file_path == _suite_path(config):
        # Named on the command line (``pytest pyproject.toml``) or met while walking the rootdir
        # (pytest also lists the rootdir's files on the way to testpaths, then drops them).
        return LifecycleSuite.from_parent(parent, path=file_path)
    return None


def _add_suite(session: pytest.Session, items: list[pytest.Item]) -> None:
    """Add the lifecycle suite to a run that names no paths (``pytest`` alone, or testpaths)."""
    config = session.config
    if config.args_source == pytest.Config.ArgsSource.ARGS or _suite(config) is None:
        # ``pytest tests/test_x.py`` runs what it names; ``pytest pyproject.toml`` the suite.
        return
    if any(item.getparent(LifecycleSuite) is not None for item in items):
        return  # already collected: pytest walked the rootdir and met the file
    suite_node = LifecycleSuite.from_parent(session, path=_suite_path(config))
    # genitems reports collection as pytest does (collection errors count and show as such).
    items.extend(session.genitems(suite_node))


class LifecycleSuite(pytest.File):
    """The lifecycle suite of the configured integration: properties and shipped scenarios."""

    def collect(self) -> Iterator[pytest.Item | pytest.Collector]:
        suite = _suite(self.config)
        assert suite is not None
        yield PropertyGroup.from_parent(self, name="properties")
        yield LibraryGroup.from_parent(self, name="scenarios")


class PropertyGroup(pytest.Collector):
    def collect(self) -> Iterator[pytest.Item]:
        suite = _suite(self.config)
        assert suite is not None
        for property_id in suite.property_ids():
            yield PropertyItem.from_parent(self, name=property_id)


class LibraryGroup(pytest.Collector):
    """The shipped scenario library, one item per scenario, each pointing at its file."""

    def collect(self) -> Iterator[pytest.Item]:
        from harness.plugin.runner import ScenarioLoadFailure

        suite = _suite(self.config)
        assert suite is not None
        try:
            paths = suite.library_paths()
        except ScenarioLoadFailure as e:
            raise self.CollectError(str(e)) from None
        for path in paths:
            try:
                scenario = suite.load_scenario(path)
            except ScenarioLoadFailure as e:
                raise self.CollectError(str(e)) from None
            yield ScenarioItem.from_parent(self, name=scenario.name, path=path, scenario=scenario)


class LifecycleItem(pytest.Item):
    """A check whose failure is a violation report, not a Python traceback."""

    def add_report_section(self, when: str, key: str, content: str) -> None:
        # The simulated runs log every request (httpx at INFO); the violation report already
        # holds the exchanges and log records of the failing step, secrets redacted. Captured
        # logs would repeat them by the thousand, unredacted.
        if key == "log":
            return
        super().add_report_section(when, key, content)

    def repr_failure(
        self,
        excinfo: pytest.ExceptionInfo[BaseException],
        style: Any = None,
    ) -> str | Any:
        from harness.plugin.runner import LifecycleFailure

        if isinstance(excinfo.value, LifecycleFailure):
            return excinfo.value.report
        return super().repr_failure(excinfo, style=style)


class PropertyItem(LifecycleItem):
    """One property (README, "The hook contract"), explored with Hypothesis and by crash enumeration."""

    def runtest(self) -> None:
        suite = _suite(self.config)
        assert suite is not None
        suite.check_property(self.name)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        suite = _suite(self.config)
        line = suite.config_line() if suite is not None else None
        return self.path, line, f"lifecycle property {self.name}"


class ScenarioFile(pytest.File):
    """A ``*.scenario.yaml`` file: one item, the scenario replayed against the integration."""

    def collect(self) -> Iterator[pytest.Item]:
        from harness.plugin.runner import ScenarioLoadFailure

        suite = _suite(self.config)
        assert suite is not None
        try:
            scenario = suite.load_scenario(self.path)
        except ScenarioLoadFailure as e:
            raise self.CollectError(str(e)) from None
        yield ScenarioItem.from_parent(self, name=scenario.name, scenario=scenario)


class ScenarioItem(LifecycleItem):
    def __init__(self, *, scenario: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scenario = scenario

    def runtest(self) -> None:
        suite = _suite(self.config)
        assert suite is not None
        suite.check_scenario(self.scenario, self.path)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        from harness.plugin.runner import key_line

        return self.path, key_line(self.path, "steps"), f"scenario {self.name}"


__all__ = [
    "LifecycleItem",
    "LifecycleSuite",
    "PropertyItem",
    "ScenarioFile",
    "ScenarioItem",
    "settings_of",
]
