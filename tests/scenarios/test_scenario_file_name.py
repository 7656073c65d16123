"""A <name>.scenario.yaml file must hold scenario `name` (review issue 8)."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.scenarios import load_scenario, loads_scenario
from harness.scenarios.model import ScenarioSchemaError

TEXT = "version: 1\nname: {name}\nsteps: [register]\n"


def test_a_name_that_differs_from_the_file_is_an_error_with_position(tmp_path: Path) -> None:
    path = tmp_path / "first.scenario.yaml"
    path.write_text(TEXT.format(name="second"), encoding="utf-8")
    with pytest.raises(ScenarioSchemaError) as info:
        load_scenario(path)
    assert f"{path}:2:7: the scenario name 'second' differs from its file name" in str(info.value)


def test_matching_names_and_other_file_names_load(tmp_path: Path) -> None:
    path = tmp_path / "same.scenario.yaml"
    path.write_text(TEXT.format(name="same"), encoding="utf-8")
    assert load_scenario(path).name == "same"
    other = tmp_path / "anything.yaml"  # not a scenario file name: nothing to compare
    other.write_text(TEXT.format(name="free"), encoding="utf-8")
    assert load_scenario(other).name == "free"
    assert loads_scenario(TEXT.format(name="text")).name == "text"
