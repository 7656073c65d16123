"""world.clock is bounded; an advance past datetime's range is a clear error (review issue 6)."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.cli import main
from harness.runtime.vtime import ClockRangeError, VirtualTime
from harness.scenarios import load_scenario
from harness.scenarios.model import ScenarioError


def _scenario(tmp_path: Path, clock: str, seconds: float) -> Path:
    path = tmp_path / "far.scenario.yaml"
    path.write_text(
        f'version: 1\nname: far\nworld:\n  clock: "{clock}"\n'
        f"steps:\n  - advance: {{seconds: {seconds:g}}}\n  - register\n",
        encoding="utf-8",
    )
    return path


def test_a_clock_near_the_end_of_time_is_a_file_line_col_error(tmp_path: Path) -> None:
    path = _scenario(tmp_path, "9999-12-31T23:59:59Z", 100000)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert f"{path}:4:10: expected world.clock from 2000-01-01T00:00:00Z" in str(info.value)


def test_the_cli_reports_the_bad_clock_with_exit_2(tmp_path: Path) -> None:
    path = _scenario(tmp_path, "9999-12-31T23:59:59Z", 100000)
    err = io.StringIO()
    code = main(["replay", str(path), "--integration", "x.py"], out=io.StringIO(), err=err)
    assert code == 2
    assert "world.clock" in err.getvalue()
    assert "Traceback" not in err.getvalue()


@settings(max_examples=30)
@given(seconds=st.floats(min_value=3e11, max_value=1e15))
def test_advance_past_the_last_datetime_is_a_clock_range_error(seconds: float) -> None:
    vtime = VirtualTime(start=dt.datetime(2999, 12, 31, tzinfo=dt.UTC))
    with pytest.raises(ClockRangeError, match="cannot advance"):
        vtime.advance(seconds)
    assert vtime.now() == dt.datetime(2999, 12, 31, tzinfo=dt.UTC)  # unchanged
