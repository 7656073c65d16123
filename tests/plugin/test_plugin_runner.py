"""The runner behind the ``lifecycle`` fixture, without a pytest run around it."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NoReturn

import pytest

import harness.check
from harness.plugin import config as cfg
from harness.plugin.runner import Lifecycle, resolve_target
from harness.reports.render import CheckReport

TARGET = "harness.examples.correct.find_or_create"


def settings(tmp_path: Path, **table: object) -> cfg.PluginSettings:
    return cfg.resolve(
        cli={},
        ini={},
        table={"integration": TARGET, **table},
        rootpath=tmp_path,
        pyproject=tmp_path / "pyproject.toml",
        inifile=None,
        valid_profiles=("ci", "dev", "nightly"),
    )


def fail(message: str) -> NoReturn:
    raise AssertionError(message)


def runner(tmp_path: Path, *, seed: int | None, **overrides: Any) -> Lifecycle:
    return Lifecycle.from_settings(
        settings(tmp_path), overrides=overrides, seed=seed, rootpath=tmp_path, fail=fail
    )


def test_example_database_only_without_a_seed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[dict[str, Any]] = []

    def fake_check(target: object, **kwargs: Any) -> CheckReport:
        calls.append(kwargs)
        return CheckReport(integration=TARGET, seed=kwargs["seed"], examples=kwargs["examples"])

    monkeypatch.setattr(harness.check, "check", fake_check)
    runner(tmp_path, seed=None).check()
    runner(tmp_path, seed=7).check()
    assert [(c["seed"], c["database"]) for c in calls] == [(None, True), (7, False)]
    # the profile's numbers reach check: ci explores 200 lifecycles of 10 steps at most
    assert [(c["examples"], c["max_steps"]) for c in calls] == [(200, 10), (200, 10)]


def test_marker_overrides_reach_options_world_and_examples(tmp_path: Path) -> None:
    lifecycle = runner(
        tmp_path,
        seed=1,
        examples=3,
        bots=2,
        properties=["clean"],
        idempotent_level="requests",
    )
    assert lifecycle.examples == 3
    assert lifecycle.world.bot_names == ("bot1", "bot2")
    assert lifecycle.options.properties == frozenset({"clean"})
    assert lifecycle.options.idempotent_level == "requests"


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"idempotent_level": "strictest"}, "unknown idempotent level 'strictest'"),
        ({"properties": ["cleanliness"]}, "unknown property id(s) cleanliness"),
        ({"bots": 0}, "at least one bot"),
        ({"integration": "no_such_module_here"}, "no_such_module_here"),
    ],
)
def test_bad_overrides_are_value_errors(
    tmp_path: Path, overrides: dict[str, object], expected: str
) -> None:
    with pytest.raises(ValueError, match=expected.replace("(", r"\(").replace(")", r"\)")):
        runner(tmp_path, seed=1, **overrides)


def test_file_targets_resolve_against_the_rootdir(tmp_path: Path) -> None:
    assert resolve_target("integrations/good.py", tmp_path) == str(
        tmp_path / "integrations" / "good.py"
    )
    assert resolve_target("integrations/good.py:hooks", tmp_path) == (
        f"{tmp_path / 'integrations' / 'good.py'}:hooks"
    )
    assert resolve_target("/abs/good.py", tmp_path) == "/abs/good.py"
    assert resolve_target("pkg.module:attr", tmp_path) == "pkg.module:attr"


def test_configuration_setting_reaches_the_world(tmp_path: Path) -> None:
    (tmp_path / "conf.yaml").write_text("shopName: zeta\nregion: eu\n")
    lifecycle = Lifecycle.from_settings(
        settings(tmp_path, configuration="conf.yaml"),
        overrides={},
        seed=1,
        rootpath=tmp_path,
        fail=fail,
    )
    assert lifecycle.configuration == {"shopName": "zeta", "region": "eu"}
    assert lifecycle.world.template["shopName"] == "zeta"
    assert lifecycle.world.template["region"] == "eu"
    # the marker's configuration wins over the setting
    marked = runner(tmp_path, seed=1, configuration={"shopName": "omega"})
    assert marked.world.template["shopName"] == "omega"
