"""Every command the harness prints runs as printed, pasted at the project root.

A throwaway project (a package, a ``pyproject.toml`` with ``[tool.lifecycle-harness]``) is
checked by the installed ``lifecycle-harness`` script in a subprocess, without ``PYTHONPATH``;
each ``reproduce:`` line of the text report, the replay command of the Markdown report, the
``Replay:`` line written into a recorded file and the reproduce line of a pytest failure are then
run exactly as printed (``shlex.split``) from the project root, and must replay the bug (exit 1),
not fail to find the integration (exit 2).
"""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

SCRIPT = Path(sys.executable).with_name("lifecycle-harness")
ROOT = Path(__file__).resolve().parents[2]

INTEGRATION = """
import httpx


def register(ctx, webhook_url):
    shop, token = ctx.configuration["shopName"], ctx.configuration["access_token"]
    with httpx.Client(
        base_url=f"https://{shop}.myshopify.com/admin/api/2025-07",
        headers={"X-Shopify-Access-Token": token},
    ) as http:
        found = http.get("/webhooks.json", params={"address": webhook_url}).json()["webhooks"]
        if not found:
            body = {"webhook": {"topic": "orders/create", "address": webhook_url}}
            http.post("/webhooks.json", json=body).raise_for_status()


def unregister(ctx, webhook_url):
    pass  # the bug: the subscription stays behind
"""


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CI")}
    env["LIFECYCLE_HARNESS_PROFILE"] = "dev"
    return env


def _run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        argv, cwd=cwd, env=_env(), capture_output=True, text=True, timeout=600, check=False
    )


def _pasted(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``command`` as a user pastes it: ``lifecycle-harness`` is the installed script."""
    argv = shlex.split(command)
    assert argv[0] == "lifecycle-harness", command
    return _run([str(SCRIPT), *argv[1:]], cwd)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    if not SCRIPT.is_file():
        pytest.fail(f"the console script {SCRIPT} is not installed (pip install -e .)")
    root = tmp_path / "myproject"
    (root / "myint").mkdir(parents=True)
    (root / "myint" / "__init__.py").write_text("")
    (root / "myint" / "shopify.py").write_text(INTEGRATION)
    (root / "pyproject.toml").write_text(
        '[project]\nname = "myproject"\nversion = "0"\n\n'
        "[tool.pytest.ini_options]\n"
        'pythonpath = ["."]\n'
        "\n[tool.lifecycle-harness]\n"
        'integration = "myint.shopify"\n'
        "examples = 2\n"
    )
    return root


def test_check_alone_works_and_every_printed_command_replays(project: Path) -> None:
    done = _run(
        [str(SCRIPT), "check", "--no-progress", "--report-md", "report.md", "--junit-xml", "j.xml"],
        project,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    out = done.stdout
    assert out.startswith("myint.shopify: ")
    commands = re.findall(r"^ *reproduce: (lifecycle-harness .*)$", out, flags=re.M)
    replays = [c for c in commands if c.startswith("lifecycle-harness replay ")]
    assert replays, out
    # The target came from the table, so the command that repeats the run leaves it there too.
    assert "lifecycle-harness check --seed 0" in commands
    for command in replays:
        path = shlex.split(command)[2]
        assert path.startswith("tests/lifecycle-failures/"), command  # relative to the root
        assert (project / path).is_file()
    # The recorded files are where pytest collects them and nothing ignores them.
    recorded = sorted((project / "tests" / "lifecycle-failures").glob("*.scenario.yaml"))
    assert recorded
    header = recorded[0].read_text().splitlines()[1]
    assert header.startswith("# Replay: lifecycle-harness replay tests/lifecycle-failures/")
    markdown = (project / "report.md").read_text()
    md_commands = re.findall(r"^(lifecycle-harness replay .*)$", markdown, flags=re.M)
    assert md_commands
    assert str(project) not in markdown  # nothing absolute from this machine

    again = _pasted("lifecycle-harness check --seed 0", project)
    assert again.returncode == 1
    assert again.stdout.splitlines()[0].split(" (seed")[0] == out.splitlines()[0].split(" (seed")[0]
    for command in {replays[0], header.removeprefix("# Replay: "), md_commands[0]}:
        replayed = _pasted(command, project)
        assert replayed.returncode == 1, (command, replayed.stdout, replayed.stderr)
        assert "FAILED" in replayed.stdout
    # From a subdirectory too, the project root is found and importable.
    (project / "sub").mkdir()
    replayed = _pasted(f"lifecycle-harness replay ../{shlex.split(replays[0])[2]}", project / "sub")
    assert replayed.returncode == 1, replayed.stderr

    suites = {s.get("name"): s for s in ET.parse(project / "j.xml").getroot()}
    assert set(suites) == {"properties", "scenarios"}
    cases = {c.get("name"): c for c in suites["properties"].iter("testcase")}
    assert cases["clean"].find("failure") is not None
    assert cases["idempotent"].find("failure") is None
    assert len(list(suites["scenarios"].iter("testcase"))) > 20


def test_version_and_module_entry_agree(project: Path) -> None:
    from importlib.metadata import version

    done = _run([str(SCRIPT), "--version"], project)
    assert (done.returncode, done.stdout.strip()) == (
        0,
        f"lifecycle-harness {version('lifecycle-harness')}",
    )
    same = _run([sys.executable, "-m", "harness", "--version"], project)
    assert same.stdout.strip().endswith(version("lifecycle-harness"))


def test_a_plugin_failure_prints_a_replay_command_that_runs(project: Path) -> None:
    tests = project / "tests"
    tests.mkdir()
    (tests / "test_mine.py").write_text(
        "from harness.steps import Register, Unregister\n\n\n"
        "def test_unregister_cleans_up(lifecycle):\n"
        "    lifecycle.assert_holds([Register(), Unregister()])\n"
    )
    done = _run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:randomly",
            "-p",
            "no:cacheprovider",
            "tests/test_mine.py",
        ],
        project,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    commands = re.findall(r"reproduce: (lifecycle-harness replay \S+)", done.stdout)
    assert commands, done.stdout
    for command in commands:
        assert shlex.split(command)[2].startswith("tests/lifecycle-failures/"), command
    replayed = _pasted(commands[0], project)
    assert replayed.returncode == 1, replayed.stdout + replayed.stderr
    # pytest collects what was recorded, as a test that fails while the bug is there.
    collected = _run(
        [sys.executable, "-m", "pytest", "-q", "--co", "tests/lifecycle-failures"], project
    )
    assert ".scenario.yaml::" in collected.stdout, collected.stdout
