"""A hook's ``print``, ``sys.stderr`` writes and ``warnings`` are log records, judged (issue 15)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from harness.runtime.logs import CONSOLE_LEVELS, set_console_levels
from harness.simulator import Simulator
from harness.steps import Register
from harness.targets.python import load_integration
from harness.world import default_world

CHATTY = """\
import sys, warnings
def register(ctx):
    token = ctx.configuration["access_token"]
    print("stdout says", token)
    sys.stderr.write("stderr says " + token.upper())
    sys.stderr.write(" (end)\\n")
    warnings.warn("warned " + token[::-1][::-1])
def unregister(ctx):
    pass
"""

TOKEN = "shpat_console0123456789"


def _run(tmp_path: Path) -> list[Any]:
    target = tmp_path / "chatty.py"
    target.write_text(CHATTY, encoding="utf-8")
    world = default_world({"shopName": "acme", "access_token": TOKEN})
    result = Simulator(load_integration(str(target)), world=world).run([Register()])
    return [result.history.records[0], result.violations]


def test_console_output_becomes_records_and_is_judged(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    record, violations = _run(tmp_path)
    logs = [(log.source, log.logger, log.level, log.message) for log in record.calls[0].logs]
    assert ("console", "stdout", "info", f"stdout says {TOKEN}") in logs
    assert ("console", "stderr", "error", f"stderr says {TOKEN.upper()} (end)") in logs
    warned = [m for s, lg, lvl, m in logs if lg == "warnings"]
    assert len(warned) == 1
    assert f"UserWarning: warned {TOKEN}" in warned[0]
    messages = sorted(v.message for v in violations if v.property == "no_secret_leak")
    assert messages == [
        "register of bot1 leaked <access_token> in a log record at error level (console)",
        "register of bot1 leaked <access_token> in a log record at info level (console)",
        "register of bot1 leaked <access_token> in a log record at warn level (console)",
    ]
    out, err = capsys.readouterr()
    assert TOKEN not in out + err
    assert TOKEN.upper() not in out + err


def test_the_same_warning_is_recorded_on_every_run(tmp_path: Path) -> None:
    first = _run(tmp_path)[0]
    second = _run(tmp_path)[0]
    assert [log.message for log in first.calls[0].logs] == [
        log.message for log in second.calls[0].logs
    ]


def test_console_levels_are_configurable(tmp_path: Path) -> None:
    old = set_console_levels(stdout="debug", stderr="warning")
    try:
        record = _run(tmp_path)[0]
        levels = {log.logger: log.level for log in record.calls[0].logs}
        assert levels["stdout"] == "debug"
        assert levels["stderr"] == "warn"
    finally:
        set_console_levels(**old)
    assert CONSOLE_LEVELS == {"stdout": "info", "stderr": "error", "warnings": "warn"}
    with pytest.raises(ValueError, match="unknown console stream 'stdin'"):
        set_console_levels(stdin="info")
    with pytest.raises(ValueError, match="unknown log level 'loud'"):
        set_console_levels(stdout="loud")
