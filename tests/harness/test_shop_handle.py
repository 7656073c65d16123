"""An invalid shop handle is a one-line usage error, not a traceback (review issue 3)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.cli import main
from harness.scenarios import load_scenario
from harness.scenarios.model import ScenarioError
from harness.world import WorldError, default_world, shop_handle_problem

BAD = ['"Acme Store"', "42", "acme.myshopify.com", "https://acme.myshopify.com/admin", "[a]"]


@pytest.mark.parametrize("value", BAD)
def test_cli_config_with_a_bad_shop_handle_exits_2_with_one_line(
    tmp_path: Path, value: str
) -> None:
    config = tmp_path / "c.yaml"
    config.write_text(f"shopName: {value}\naccess_token: shpat_abcdef\n", encoding="utf-8")
    target = tmp_path / "t.py"
    target.write_text("def register(ctx):\n    pass\ndef unregister(ctx):\n    pass\n")
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["check", str(target), "--config", str(config), "--no-progress", "--examples", "0"],
        out=out,
        err=err,
    )
    assert code == 2
    lines = err.getvalue().splitlines()
    assert len(lines) == 1
    assert "shopName" in lines[0]
    assert "shop handle" in lines[0]
    assert "Traceback" not in err.getvalue()


@pytest.mark.parametrize("value", BAD)
def test_scenario_with_a_bad_shop_handle_names_file_line_col(tmp_path: Path, value: str) -> None:
    path = tmp_path / "x.scenario.yaml"
    path.write_text(
        f"version: 1\nname: x\nconfiguration:\n  shopName: {value}\nsteps: [register]\n",
        encoding="utf-8",
    )
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert f"{path}:4:13: configuration.shopName" in str(info.value)


def test_a_domain_gets_a_hint_with_its_handle() -> None:
    problem = shop_handle_problem("acme.myshopify.com")
    assert problem is not None
    assert "write 'acme'" in problem


@settings(max_examples=50)
@given(st.from_regex(r"[a-z0-9][a-z0-9-]{0,20}", fullmatch=True))
def test_valid_handles_pass_and_build_a_world(handle: str) -> None:
    assert shop_handle_problem(handle) is None
    assert default_world({"shopName": handle}).shops[0].handle == handle


@settings(max_examples=50)
@given(st.text(min_size=1, max_size=12).filter(lambda t: not t.isalnum()))
def test_invalid_handles_are_refused_by_the_world(text: str) -> None:
    if shop_handle_problem(text) is None:
        return  # e.g. digits only: a valid handle
    with pytest.raises(WorldError, match="shopName"):
        default_world({"shopName": text})
