"""A hook that hangs in wall time is stopped, named, and ends the whole run (review issue 1)."""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest

from harness.check import check
from harness.cli import main
from harness.options import Options
from harness.simulator import HookHungError, Simulator
from harness.steps import Register, Unregister
from harness.targets.python import load_integration

BLOCKED = """\
import threading
def register(ctx):
    threading.Event().wait()  # no timeout: blocked in C for ever (a timeout would be virtual)
def unregister(ctx):
    pass
"""

SPINNING = """\
def register(ctx):
    while True:
        pass
def unregister(ctx):
    pass
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("name", "text", "line"),
    [("blocked.py", BLOCKED, 3), ("spinning.py", SPINNING, 2)],
    ids=["blocked-in-C", "spinning"],
)
def test_simulator_stops_a_hanging_hook_and_names_it(
    tmp_path: Path, name: str, text: str, line: int
) -> None:
    integration = load_integration(str(_write(tmp_path, name, text)))
    sim = Simulator(integration, options=Options(hook_wall_seconds=0.2))
    started = time.monotonic()
    with pytest.raises(HookHungError) as info:
        sim.run([Register(), Unregister()])
    assert time.monotonic() - started < 5
    exc = info.value
    assert exc.operation == "register"
    assert exc.bot == "bot1"
    assert exc.steps == (Register(),)  # the run stopped at the hang: unregister never ran
    text_out = str(exc)
    assert f"{name}:{line} in register" in text_out
    assert "register of" in text_out
    assert "hung" in text_out
    assert "1. register bot=bot1  <- hung here" in text_out


def test_check_stops_at_the_first_hang(tmp_path: Path) -> None:
    integration = load_integration(str(_write(tmp_path, "blocked.py", BLOCKED)))
    started = time.monotonic()
    with pytest.raises(HookHungError):
        check(integration, examples=5, options=Options(hook_wall_seconds=0.2))
    # One hang, not one per lifecycle: a 0.2 s timeout per call would add up far beyond this.
    assert time.monotonic() - started < 5


def test_cli_check_on_a_hanging_integration_ends_promptly(tmp_path: Path) -> None:
    target = _write(tmp_path, "blocked.py", BLOCKED)
    out, err = io.StringIO(), io.StringIO()
    started = time.monotonic()
    code = main(
        [
            "check",
            str(target),
            "--wall-timeout",
            "0.2",
            "--no-progress",
            "--record-dir",
            str(tmp_path / "rec"),
        ],
        out=out,
        err=err,
    )
    assert time.monotonic() - started < 5
    assert code == 1
    text = out.getvalue()
    assert "blocked.py:3 in register" in text
    assert "hung" in text
    assert "register bot=bot1" in text


def test_alarm_is_restored_after_a_fast_hook(tmp_path: Path) -> None:
    import signal

    before = signal.getsignal(signal.SIGALRM)
    integration = load_integration(
        str(
            _write(
                tmp_path, "ok.py", "def register(ctx):\n    pass\ndef unregister(ctx):\n    pass\n"
            )
        )
    )
    result = Simulator(integration, options=Options(hook_wall_seconds=0.2)).run([Register()])
    assert result.history.records[0].calls[0].outcome.ok
    assert signal.getsignal(signal.SIGALRM) is before
    assert signal.getitimer(signal.ITIMER_REAL) == (0.0, 0.0)


def test_wall_timeout_rejects_nonsense(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["check", "x.py", "--wall-timeout", "0"], out=io.StringIO()) == 2
    assert "--wall-timeout" in capsys.readouterr().err  # argparse writes to sys.stderr
