"""Hostile integrations cannot take the harness down (issue 15): each is run through the command
line, which runs the target in a supervised worker, and each case asserts its exact outcome:
the stop's kind and cause, the hook, bot and step it names, the exit code, and the reports
written at the paths given before the run."""

from __future__ import annotations

import json
import mmap
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from harness.cli import main

ROOT = Path(__file__).resolve().parents[2]
ONE_SCENARIO = str(ROOT / "scenarios" / "register-five-times.scenario.yaml")

HOSTILE: dict[str, str] = {
    "exit3": """
import os
def register(ctx):
    os._exit(3)
""",
    "alarm_reset": """
import signal
def register(ctx):
    signal.signal(signal.SIGALRM, signal.SIG_DFL)
    while True:
        pass
""",
    "alarm_ignore_spin": """
import signal
def register(ctx):
    signal.signal(signal.SIGALRM, signal.SIG_IGN)
    while True:
        pass
""",
    "alarm_ignore_c_regex": """
import re, signal
def register(ctx):
    signal.signal(signal.SIGALRM, signal.SIG_IGN)
    re.match(r"(a+)+$", "a" * 64 + "b")
""",
    "async_c_spin": """
import re
async def register(ctx):
    re.match(r"(a+)+$", "a" * 64 + "b")
""",
    "thread_left": """
import threading
def register(ctx):
    threading.Thread(target=threading.Event().wait, name="left-behind").start()
""",
    "child_left": """
import subprocess
def register(ctx):
    subprocess.Popen(["sleep", "1000"])
""",
    "keyboard_interrupt": """
def register(ctx):
    raise KeyboardInterrupt
""",
    "memory_hog": """
def register(ctx):
    hog = bytearray(16 * 1024 ** 3)
    return len(hog)
""",
}

# (kind, start of the cause); every one names register of bot1 at step 1.
EXPECTED: dict[str, tuple[str, str]] = {
    "exit3": ("exit", "the worker exited with code 3"),
    "alarm_reset": ("signal", "the worker was killed by SIGALRM"),
    "alarm_ignore_spin": ("hang", "hung: no answer in"),
    "alarm_ignore_c_regex": ("hang", "hung: no answer in"),
    "async_c_spin": ("hang", "hung: no answer in"),
    "thread_left": ("threads", "the hook left 1 non-daemon thread(s) running: 'left-behind'"),
    "child_left": ("children", "the hook left 1 child process(es) behind: "),
    "keyboard_interrupt": ("hook-interrupt", "the hook raised KeyboardInterrupt"),
    "memory_hog": ("memory", "the hook ran out of memory (limit 512 MiB): MemoryError"),
}

UNREGISTER = "\ndef unregister(ctx):\n    pass\n"


def _target(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / f"{name}.py"
    path.write_text(body.lstrip() + UNREGISTER, encoding="utf-8")
    return path


def _run(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main(args)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_hook_stops_the_run_with_a_finding_and_the_reports(
    name: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    target = _target(tmp_path, name, HOSTILE[name])
    started = time.monotonic()
    code, out, err = _run(
        [
            "check",
            str(target),
            "--examples",
            "0",
            "--no-progress",
            "--wall-timeout",
            "1.0",
            "--memory-limit",
            "512",
            "--report-json",
            "report.json",
            "--report-md",
            "report.md",
        ],
        capsys,
    )
    assert time.monotonic() - started < 30
    assert code == 1
    kind, cause = EXPECTED[name]
    report: dict[str, Any] = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    stopped = report["stopped"]
    assert report["ok"] is False
    assert stopped["kind"] == kind
    assert stopped["cause"].startswith(cause)
    assert stopped["hook"] == "register"
    assert stopped["bot"] == "bot1-id"
    assert stopped["step"] == "1 (register bot=bot1)"
    # The first hook call of a check is the fault-free run that counts the crash points.
    assert stopped["phase"] == "counting crash points" or stopped["phase"].startswith("scenario: ")
    assert report["isolation"].startswith("network isolation: ")
    assert f"STOPPED: {stopped['text']}" in out
    assert "register of bot1-id at step 1 (register bot=bot1)" in stopped["text"]
    assert "Stopped early" in (tmp_path / "report.md").read_text(encoding="utf-8")
    assert "Traceback" not in out + err


@pytest.mark.parametrize(("name", "kind"), [("thread_left", "threads"), ("memory_hog", "memory")])
def test_the_memory_limit_counts_from_the_size_the_worker_starts_with(
    name: str,
    kind: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The worker is a fork of the command: in a pytest process that has run hundreds of tests,
    its address space is already larger than the limit. The limit is room to grow, so a hook
    there can still start a thread, and a runaway is still stopped."""
    monkeypatch.chdir(tmp_path)
    target = _target(tmp_path, name, HOSTILE[name])
    reserved = mmap.mmap(-1, 384 * 1024 * 1024)  # address space only: never touched
    try:
        code, _, _ = _run(
            [
                "check",
                str(target),
                "--examples",
                "0",
                "--no-progress",
                "--memory-limit",
                "256",
                "--report-json",
                "report.json",
            ],
            capsys,
        )
    finally:
        reserved.close()
    report: dict[str, Any] = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert code == 1
    assert report["stopped"]["kind"] == kind
    assert report["stopped"]["cause"].startswith(EXPECTED[name][1].replace("512", "256"))


def test_what_was_found_before_a_crash_is_kept_and_recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The worker dies in the middle of the library; the violations of the scenarios before
    are in the report and recorded as scenario files."""
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "late_crash.py"
    target.write_text(
        "import os\n"
        "from harness.examples.buggy.shopify_docs_port import register\n"
        "from harness.examples.buggy.shopify_docs_port import unregister as _unregister\n"
        "calls = 0\n"
        "def unregister(ctx, client, logger):\n"
        "    global calls\n"
        "    calls += 1\n"
        "    if calls == 12:\n"
        "        os._exit(5)\n"
        "    return _unregister(ctx, client, logger)\n",
        encoding="utf-8",
    )
    code, out, _ = _run(
        ["check", str(target), "--examples", "0", "--no-progress", "--report-json", "r.json"],
        capsys,
    )
    assert code == 1
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert report["stopped"]["kind"] == "exit"
    assert report["stopped"]["cause"] == "the worker exited with code 5"
    assert report["stopped"]["hook"] == "unregister"
    assert report["violations"], "the violations found before the crash are lost"
    for violation in report["violations"]:
        recorded = violation["scenario"]
        assert recorded.startswith("tests/lifecycle-failures/")  # the default record directory
        assert (tmp_path / recorded).is_file()
    assert "the run was stopped early" in out


BENIGN: dict[str, str] = {
    "stdout_closed": "import sys\ndef register(ctx):\n    sys.stdout.close()\n",
    "fd1_closed": (
        "import os\ndef register(ctx):\n    try:\n        os.close(1)\n"
        "    except OSError:\n        pass\n"
    ),
    "chdir": "import os, tempfile\ndef register(ctx):\n    os.chdir(tempfile.mkdtemp())\n",
    "non_daemon_thread_joined": (
        "import threading\ndef register(ctx):\n    t = threading.Thread(target=lambda: None)\n"
        "    t.start()\n    t.join()\n"
    ),
}


@pytest.mark.parametrize("name", sorted(BENIGN))
def test_hooks_that_touch_the_process_do_not_move_or_break_the_reports(
    name: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    target = _target(tmp_path, name, BENIGN[name])
    code, out, err = _run(
        [
            "replay",
            ONE_SCENARIO,
            "--integration",
            str(target),
            "--report-json",
            "report.json",
            "--report-md",
            "report.md",
        ],
        capsys,
    )
    assert code == 0, out + err
    assert "1 of 1 scenario passed" in out
    assert out.startswith("network isolation: ")
    report = json.loads((tmp_path / "report.json").read_text(encoding="utf-8"))
    assert report["ok"] is True
    assert report["stopped"] is None
    assert (tmp_path / "report.md").is_file()
    assert Path.cwd() == tmp_path
    assert "Traceback" not in out + err


def test_an_exception_whose_str_raises_is_a_finding_not_a_crash(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    target = _target(
        tmp_path,
        "bad_str",
        "class Bad(Exception):\n    def __str__(self):\n        raise ValueError('no')\n"
        "def register(ctx):\n    raise Bad()\n",
    )
    code, out, err = _run(
        ["replay", ONE_SCENARIO, "--integration", str(target), "--report-json", "r.json"],
        capsys,
    )
    assert code == 1
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert report["stopped"] is None
    assert report["violations"]
    assert "raised Bad: <str() of Bad failed>" in report["violations"][0]["message"]
    assert "<str() of Bad failed>" in out
    assert "Traceback (most recent call last)" not in err


def test_a_200_mb_exception_message_is_cut_with_a_marker(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    target = _target(
        tmp_path,
        "huge",
        "def register(ctx):\n    raise RuntimeError('x' * 200_000_000)\n",
    )
    code, out, _ = _run(
        [
            "replay",
            ONE_SCENARIO,
            "--integration",
            str(target),
            "--report-json",
            "r.json",
            "--wall-timeout",
            "30",
        ],
        capsys,
    )
    assert code == 1
    text = (tmp_path / "r.json").read_text(encoding="utf-8")
    assert len(text) < 200_000
    assert "truncated by lifecycle-harness: 199998000 more characters" in text
    assert len(out) < 200_000


def test_ctrl_c_stops_the_run_and_still_writes_the_reports(tmp_path: Path) -> None:
    target = _target(
        tmp_path,
        "blocked",
        "import pathlib, threading\ndef register(ctx):\n"
        f"    pathlib.Path({str(tmp_path / 'started')!r}).touch()\n"
        "    threading.Event().wait(3600)\n",
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "harness",
            "check",
            str(target),
            "--examples",
            "0",
            "--no-progress",
            "--wall-timeout",
            "60",
            "--report-json",
            "r.json",
        ],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        # A shell without job control starts background commands with SIGINT ignored, and a
        # Python started so keeps ignoring it: give the command the terminal's default.
        preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
    )
    deadline = time.monotonic() + 60
    while not (tmp_path / "started").exists() and time.monotonic() < deadline:
        time.sleep(0.05)  # until the worker is in the first register (which sleeps an hour)
    time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 130, out + err
    report = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert report["stopped"]["kind"] == "interrupt"
    assert report["stopped"]["cause"] == "interrupted (Ctrl-C); stopped by the supervisor"
    assert report["stopped"]["hook"] == "register"
    assert "Traceback" not in err


def test_bodies_are_kept_at_a_bounded_size(tmp_path: Path) -> None:
    from harness.simulator import BODY_LIMIT, Simulator
    from harness.steps import Register
    from harness.targets.python import load_integration

    target = _target(
        tmp_path,
        "big_body",
        "import httpx\n"
        "def register(ctx):\n"
        "    shop = ctx.configuration['shopName']\n"
        "    httpx.post(f'https://{shop}.myshopify.com/admin/api/2025-07/webhooks.json',\n"
        "               content=b'y' * 3_000_000)\n",
    )
    with Simulator(load_integration(str(target))) as sim:
        result = sim.run([Register()])
    (exchange,) = result.history.records[0].calls[0].exchanges
    assert len(exchange.request_body) < BODY_LIMIT + 100
    assert exchange.request_body.endswith(
        f"[truncated by lifecycle-harness: {3_000_000 - BODY_LIMIT} more bytes]"
    )


def test_a_child_the_harness_owns_is_not_left_behind(tmp_path: Path) -> None:
    """Room for a target with a process of its own (the Node target): a child declared with
    ``harness.runtime.watch.own_child`` outlives hook calls without stopping the run."""
    from harness.supervise import Limits, supervise

    target = _target(
        tmp_path,
        "owned_child",
        "import subprocess\n"
        "from harness.runtime import watch\n"
        "def register(ctx):\n"
        "    watch.own_child(subprocess.Popen(['sleep', '30']).pid)\n",
    )
    stray = _target(tmp_path, "stray_child", HOSTILE["child_left"])

    def job(path: Path) -> Any:
        from harness.simulator import Simulator
        from harness.steps import Register
        from harness.targets.python import load_integration

        def run(_channel: object) -> bool:
            with Simulator(load_integration(str(path))) as sim:
                return bool(sim.run([Register()]).history.records)

        return run

    owned = supervise(job(target), limits=Limits())
    assert owned.stop is None
    assert owned.result is True
    left = supervise(job(stray), limits=Limits())
    assert left.stop is not None
    assert left.stop.kind == "children"
