"""Settings resolution: command line > ini key > [tool.lifecycle-harness] > default."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.plugin import config as cfg

PROFILES = ("ci", "dev", "nightly")


def resolve(
    tmp_path: Path,
    *,
    cli: dict[str, object | None] | None = None,
    ini: dict[str, object | None] | None = None,
    table: dict[str, object] | None = None,
) -> cfg.PluginSettings:
    return cfg.resolve(
        cli=cli or {},
        ini=ini or {},
        table=table or {},
        rootpath=tmp_path,
        pyproject=tmp_path / "pyproject.toml",
        inifile=None,
        valid_profiles=PROFILES,
    )


SOURCES = st.sampled_from(["cli", "ini", "toml"])


@settings(max_examples=50)
@given(present=st.sets(SOURCES), values=st.lists(st.integers(1, 10_000), min_size=3, max_size=3))
def test_first_place_that_gives_a_value_wins(
    tmp_path_factory: pytest.TempPathFactory, present: set[str], values: list[int]
) -> None:
    tmp_path = tmp_path_factory.mktemp("root")
    cli_v, ini_v, toml_v = values
    settings_ = resolve(
        tmp_path,
        cli={"examples": str(cli_v) if "cli" in present else None, "integration": None},
        # pytest gives "" for an ini key that is not set
        ini={"examples": str(ini_v) if "ini" in present else ""},
        table={"examples": toml_v} if "toml" in present else {},
    )
    expected = next(
        (v for name, v in (("cli", cli_v), ("ini", ini_v), ("toml", toml_v)) if name in present),
        None,
    )
    assert settings_.examples == expected
    if expected is None:
        assert "examples" not in settings_.sources
    else:
        first = next(n for n in ("cli", "ini", "toml") if n in present)
        assert settings_.sources["examples"].startswith(
            {"cli": "--lifecycle-examples", "ini": "ini key", "toml": "[tool.lifecycle-harness]"}[
                first
            ]
        )


def test_defaults_leave_the_plugin_inactive(tmp_path: Path) -> None:
    settings_ = resolve(tmp_path)
    assert not settings_.active
    assert settings_.profile == cfg.DEFAULT_PROFILE
    assert settings_.record_dir == tmp_path / cfg.DEFAULT_RECORD_DIR
    assert settings_.examples is None
    assert settings_.configuration is None


@pytest.mark.parametrize("bad", ["0", "-3", "many", "1.5", True])
def test_bad_examples_name_the_source_and_valid_values(tmp_path: Path, bad: object) -> None:
    with pytest.raises(cfg.SettingsError) as e:
        resolve(tmp_path, ini={"examples": bad})
    assert "ini key lifecycle_examples" in str(e.value)
    assert "positive whole number" in str(e.value)
    assert repr(bad) in str(e.value)


def test_unknown_profile_lists_the_valid_ones(tmp_path: Path) -> None:
    with pytest.raises(cfg.SettingsError) as e:
        resolve(tmp_path, table={"profile": "fast"})
    message = str(e.value)
    assert "'fast'" in message
    assert "valid profiles: ci, dev, nightly" in message


def test_a_profile_registered_elsewhere_is_accepted(tmp_path: Path) -> None:
    settings_ = cfg.resolve(
        cli={"profile": "mine"},
        ini={},
        table={},
        rootpath=tmp_path,
        pyproject=None,
        inifile=None,
        valid_profiles=PROFILES,
        is_profile=lambda name: name == "mine",
    )
    assert settings_.profile == "mine"
    assert settings_.sources["profile"] == "--hypothesis-profile"


def test_unknown_pyproject_key_suggests_the_valid_keys(tmp_path: Path) -> None:
    pyproject = tmp_path / "pyproject.toml"
    pyproject.write_text('[tool.lifecycle-harness]\nintegration = "x"\nexample = 5\n')
    with pytest.raises(cfg.SettingsError) as e:
        cfg.read_pyproject_table(pyproject)
    assert "unknown key(s) in [tool.lifecycle-harness]: example" in str(e.value)
    assert "valid keys: configuration, examples, integration, profile, record-dir" in str(e.value)


def test_configuration_from_files_and_inline_tables(tmp_path: Path) -> None:
    (tmp_path / "conf.json").write_text('{"shopName": "acme", "access_token": "shpat_x"}')
    (tmp_path / "conf.yaml").write_text("shopName: acme\nextra: 3\n")
    assert resolve(tmp_path, cli={"configuration": "conf.json"}).configuration == {
        "shopName": "acme",
        "access_token": "shpat_x",
    }
    assert resolve(tmp_path, ini={"configuration": "conf.yaml"}).configuration == {
        "shopName": "acme",
        "extra": 3,
    }
    inline = resolve(tmp_path, table={"configuration": {"shopName": "inline"}})
    assert inline.configuration == {"shopName": "inline"}


@pytest.mark.parametrize(
    ("content", "expected"),
    [(None, "does not exist"), ("[1, 2]", "must hold a mapping"), ("{", "cannot be read")],
)
def test_bad_configuration_files(tmp_path: Path, content: str | None, expected: str) -> None:
    if content is not None:
        (tmp_path / "conf.json").write_text(content)
    with pytest.raises(cfg.SettingsError) as e:
        resolve(tmp_path, cli={"configuration": "conf.json"})
    assert expected in str(e.value)
    assert "--lifecycle-config" in str(e.value)


def test_config_file_is_the_one_that_names_the_integration(tmp_path: Path) -> None:
    ini = tmp_path / "pytest.ini"
    by_table = cfg.resolve(
        cli={},
        ini={},
        table={"integration": "pkg.mod"},
        rootpath=tmp_path,
        pyproject=tmp_path / "pyproject.toml",
        inifile=ini,
        valid_profiles=PROFILES,
    )
    assert by_table.config_file == tmp_path / "pyproject.toml"
    by_ini = cfg.resolve(
        cli={},
        ini={"integration": "pkg.mod"},
        table={},
        rootpath=tmp_path,
        pyproject=None,
        inifile=ini,
        valid_profiles=PROFILES,
    )
    assert by_ini.config_file == ini
    assert by_ini.active
