"""Unwritable report and record paths are refused before the run starts (review issue 7)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from harness.cli import main

MARKS_CALLS = """\
from pathlib import Path
def register(ctx):
    Path({marker!r}).write_text("called")
def unregister(ctx):
    pass
"""


CASES = [
    (flag, where)
    for flag in ("--report-json", "--report-md")
    for where in ("missing-parent", "under-a-file", "a-directory")
] + [("--record-dir", "under-a-file")]  # a missing record dir is created; a directory is right


@pytest.mark.parametrize(("flag", "where"), CASES)
def test_unwritable_output_exits_2_before_any_hook_runs(
    tmp_path: Path, flag: str, where: str
) -> None:
    marker = tmp_path / "called.txt"
    target = tmp_path / "t.py"
    target.write_text(MARKS_CALLS.format(marker=str(marker)), encoding="utf-8")
    a_file = tmp_path / "plain.txt"
    a_file.write_text("x", encoding="utf-8")
    a_dir = tmp_path / "adir"
    a_dir.mkdir()
    path = {
        "missing-parent": tmp_path / "no" / "such" / "out",
        "under-a-file": a_file / "out",
        "a-directory": a_dir,
    }[where]
    args = ["check", str(target), "--no-progress", "--examples", "1", flag, str(path)]
    if flag != "--record-dir":
        args += ["--record-dir", str(tmp_path / "rec")]
    err = io.StringIO()
    code = main(args, out=io.StringIO(), err=err)
    assert code == 2
    assert f"cannot write {flag} {path}" in err.getvalue()
    assert not marker.exists()  # the run never started


def test_writable_outputs_are_left_as_they_were(tmp_path: Path) -> None:
    target = tmp_path / "t.py"
    target.write_text(MARKS_CALLS.format(marker=str(tmp_path / "m")), encoding="utf-8")
    report = tmp_path / "r.json"
    code = main(
        [
            "check",
            str(target),
            "--no-progress",
            "--examples",
            "1",
            "--report-json",
            str(report),
            "--record-dir",
            str(tmp_path / "rec"),
        ],
        out=io.StringIO(),
        err=io.StringIO(),
    )
    assert code in (0, 1)
    assert report.read_text(encoding="utf-8").startswith("{")
