"""Settings of the pytest plugin, resolved in one place.

Every setting can come from these places; the first that gives a value wins::

    command line  (--lifecycle-integration=...)
    environment   (only the profile: $LIFECYCLE_HARNESS_PROFILE, shared with the CLI)
    ini key       (lifecycle_integration = ... in pytest.ini / [tool.pytest.ini_options] / ...)
    pyproject     ([tool.lifecycle-harness] integration = ...)
    default

This module does not import pytest (only ``harness.plugin.hooks`` may): the plugin reads the raw
values from pytest's config and hands them here; a bad value raises :class:`SettingsError`, which
the plugin turns into ``pytest.UsageError``. Every message names where the bad value came from and
lists the valid values, as pytest-asyncio does for ``asyncio_mode``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from harness.common.project import DEFAULT_RECORD_DIR, TABLE, TABLE_KEYS, ProjectError, read_table

DEFAULT_PROFILE = "ci"  # harness.profiles.DEFAULT_PROFILE, without importing Hypothesis
PROFILE_ENV = "LIFECYCLE_HARNESS_PROFILE"  # harness.profiles.PROFILE_ENV


class SettingsError(Exception):
    """A plugin setting has a value the plugin cannot use."""


@dataclass(frozen=True)
class Setting:
    """One plugin setting and the names it has in each place it can be given."""

    name: str
    cli: str  # the option as typed, e.g. "--lifecycle-integration"
    ini: str | None  # None: no ini key (the profile's command line option is Hypothesis')
    toml: str
    help: str
    env: str | None = None

    @property
    def dest(self) -> str:
        """The argparse destination of the command-line option."""
        return self.cli.lstrip("-").replace("-", "_")


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "integration",
        "--lifecycle-integration",
        "lifecycle_integration",
        "integration",
        "the integration under test: package.module, package.module:attribute or path/to/file.py",
    ),
    Setting(
        "configuration",
        "--lifecycle-config",
        "lifecycle_configuration",
        "configuration",
        "the integration's configuration: a JSON or YAML file (in pyproject.toml also an inline "
        "table)",
    ),
    Setting(
        "examples",
        "--lifecycle-examples",
        "lifecycle_examples",
        "examples",
        "generated lifecycles per property (default: the Hypothesis profile's max_examples)",
    ),
    Setting(
        "record_dir",
        "--lifecycle-record-dir",
        "lifecycle_record_dir",
        "record-dir",
        f"directory minimal failing scenarios are written to (default: {DEFAULT_RECORD_DIR})",
    ),
    # The profile's command-line option is Hypothesis' own --hypothesis-profile: the plugin reads
    # it and never registers a second one (do not reinvent what Hypothesis owns).
    Setting(
        "profile",
        "--hypothesis-profile",
        "lifecycle_profile",
        "profile",
        "Hypothesis settings profile for the lifecycle checks: dev, ci, nightly (registered "
        f"with Hypothesis as lifecycle-<name>) or one of your own (default: {DEFAULT_PROFILE})",
        env=PROFILE_ENV,
    ),
)
SETTINGS_BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}
TOML_KEYS: tuple[str, ...] = tuple(sorted(s.toml for s in SETTINGS))
assert TOML_KEYS == TABLE_KEYS, "the plugin and the command line read the same table"


@dataclass(frozen=True)
class PluginSettings:
    """The settings in force for one pytest run."""

    integration: str | None
    configuration: Mapping[str, object] | None
    examples: int | None
    record_dir: Path
    profile: str
    sources: Mapping[str, str] = field(default_factory=dict)
    """For each setting that did not come from the default: where it came from."""
    config_file: Path | None = None
    """The file that names the integration (pyproject.toml or the ini file), if any."""

    @property
    def active(self) -> bool:
        """Whether an integration is configured (otherwise the plugin only offers fixtures)."""
        return self.integration is not None


def read_pyproject_table(path: Path) -> dict[str, object]:
    """The ``[tool.lifecycle-harness]`` table of ``path`` (empty when absent)."""
    try:
        return read_table(path)
    except ProjectError as e:
        raise SettingsError(str(e)) from e


def resolve(
    *,
    cli: Mapping[str, object | None],
    ini: Mapping[str, object | None],
    table: Mapping[str, object],
    env: Mapping[str, str] | None = None,
    rootpath: Path,
    pyproject: Path | None,
    inifile: Path | None,
    valid_profiles: tuple[str, ...],
    is_profile: Callable[[str], bool] | None = None,
) -> PluginSettings:
    """Resolve every setting: command line > ini > pyproject table > default.

    ``cli`` and ``ini`` map setting names to raw values (``None`` or ``""`` when not given);
    ``table`` is the pyproject table. Relative paths are taken from ``rootpath``.
    ``valid_profiles`` are the harness's Hypothesis profiles; ``is_profile`` accepts others too
    (a profile the user's conftest registered).
    """
    raw: dict[str, object] = {}
    sources: dict[str, str] = {}
    for setting in SETTINGS:
        for place, values, key in (
            (setting.cli, cli, setting.name),
            (f"${setting.env}", env or {}, setting.env or ""),
            (f"ini key {setting.ini}", ini, setting.name),
            (f"[{TABLE}] {setting.toml} in {_shown(pyproject, rootpath)}", table, setting.toml),
        ):
            value = values.get(key)
            if value is not None and value != "":
                raw[setting.name] = value
                sources[setting.name] = place
                break

    def where(name: str) -> str:
        return sources.get(name, "default")

    integration = raw.get("integration")
    if integration is not None and not isinstance(integration, str):
        raise SettingsError(
            f"integration ({where('integration')}) must be a string naming package.module, "
            f"package.module:attribute or path/to/file.py, got {integration!r}"
        )

    configuration = _configuration(raw.get("configuration"), where("configuration"), rootpath)
    examples = _examples(raw.get("examples"), where("examples"))

    record_dir_raw = raw.get("record_dir", DEFAULT_RECORD_DIR)
    if not isinstance(record_dir_raw, str):
        raise SettingsError(
            f"record dir ({where('record_dir')}) must be a path, got {record_dir_raw!r}"
        )
    record_dir = rootpath / record_dir_raw

    profile = raw.get("profile", DEFAULT_PROFILE)
    known = isinstance(profile, str) and (
        profile in valid_profiles or (is_profile is not None and is_profile(profile))
    )
    if not known:
        raise SettingsError(
            f"unknown Hypothesis profile {profile!r} ({where('profile')}); "
            f"valid profiles: {', '.join(sorted(valid_profiles))} "
            "(or one registered with hypothesis.settings.register_profile)"
        )
    assert isinstance(profile, str)

    config_file: Path | None = None
    if "integration" in sources:
        if sources["integration"].startswith("[") and pyproject is not None:
            config_file = pyproject
        elif sources["integration"].startswith("ini") and inifile is not None:
            config_file = inifile
        else:
            config_file = inifile or pyproject
    return PluginSettings(
        integration=integration,
        configuration=configuration,
        examples=examples,
        record_dir=record_dir,
        profile=profile,
        sources=sources,
        config_file=config_file,
    )


def _shown(path: Path | None, rootpath: Path) -> str:
    """``path`` relative to the rootdir when it is inside it (shorter headers and errors)."""
    if path is None:
        return "pyproject.toml"
    try:
        return str(path.relative_to(rootpath))
    except ValueError:
        return str(path)


def _examples(value: object, where: str) -> int | None:
    if value is None:
        return None
    try:
        # bool is an int; "examples = true" is a mistake, not 1
        if isinstance(value, bool):
            raise ValueError
        number = int(value) if isinstance(value, (int, str)) else None
    except ValueError:
        number = None
    if number is None or number < 1:
        raise SettingsError(
            f"examples ({where}) must be a positive whole number, got {value!r}; "
            "valid values: 1, 2, 3, ..."
        )
    return number


def _configuration(value: object, where: str, rootpath: Path) -> Mapping[str, object] | None:
    if value is None:
        return None
    if isinstance(value, dict):
        return dict(value)
    if not isinstance(value, str):
        raise SettingsError(
            f"configuration ({where}) must be a path to a JSON or YAML file"
            f" or (in pyproject.toml) a table, got {value!r}"
        )
    path = rootpath / value
    if not path.is_file():
        raise SettingsError(f"configuration file {path} ({where}) does not exist")
    text = path.read_text(encoding="utf-8")
    try:
        loaded: object = json.loads(text) if path.suffix == ".json" else yaml.safe_load(text)
    except (ValueError, yaml.YAMLError) as e:
        raise SettingsError(f"configuration file {path} ({where}) cannot be read: {e}") from e
    if not isinstance(loaded, dict):
        raise SettingsError(
            f"configuration file {path} ({where}) must hold a mapping of keys to values, "
            f"got {type(loaded).__name__}"
        )
    return {str(k): v for k, v in loaded.items()}
