"""Pointing failures at the scenario file's lines."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from harness.plugin.runner import key_line, step_line

KINDS = st.sampled_from(["register", "unregister", "lose_state", "{advance: {seconds: 5}}"])


@settings(max_examples=30)
@given(
    kinds=st.lists(KINDS, min_size=1, max_size=8),
    blank=st.lists(st.integers(0, 2), min_size=8, max_size=8),
)
def test_each_step_is_found_on_its_own_line(
    tmp_path_factory: pytest.TempPathFactory, kinds: list[str], blank: list[int]
) -> None:
    lines = ["version: 1", "name: demo", "description: |", "  two", "  lines", "steps:"]
    expected = []
    for kind, gap in zip(kinds, blank, strict=False):
        lines.extend([""] * gap)
        expected.append(len(lines))
        lines.append(f"  - {kind}")
    path = tmp_path_factory.mktemp("s") / "demo.scenario.yaml"
    path.write_text("\n".join(lines) + "\n")
    assert [step_line(path, i) for i in range(len(kinds))] == expected
    assert step_line(path, len(kinds)) is None
    assert key_line(path, "steps") == 5
    assert key_line(path, "name") == 1


def test_unreadable_files_have_no_lines(tmp_path: Path) -> None:
    path = tmp_path / "bad.scenario.yaml"
    path.write_text("steps: [unclosed\n")
    assert step_line(path, 0) is None
    assert key_line(path, "steps") is None
    assert step_line(tmp_path / "missing.yaml", 0) is None
