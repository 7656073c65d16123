"""The README's walk-through, followed as a new user would: its files written into a fresh git
repository, its commands run as printed by the installed ``lifecycle-harness`` script (no
``PYTHONPATH``), from the check to a committed failure file that replays, fails in pytest, and
passes once the bug is fixed."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(sys.executable).with_name("lifecycle-harness")


def section() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    return text.split("<!-- section: first-failure -->")[1].split(
        "<!-- /section: first-failure -->"
    )[0]


def blocks(kind: str) -> list[str]:
    found = re.findall(r"^( *)```(\w+)\n(.*?)^\1```", section(), flags=re.S | re.M)
    return [textwrap.dedent(body) for _, lang, body in found if lang == kind]


def run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "CI")}
    env.update(
        LIFECYCLE_HARNESS_PROFILE="dev",
        GIT_AUTHOR_NAME="t",
        GIT_AUTHOR_EMAIL="t@example.com",
        GIT_COMMITTER_NAME="t",
        GIT_COMMITTER_EMAIL="t@example.com",
    )
    return subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=600)


def as_typed(command: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    argv = shlex.split(command)
    if argv[0] == "lifecycle-harness":
        argv[0] = str(SCRIPT)
    return run(argv, cwd)


def test_from_the_check_to_a_committed_failure_that_replays(tmp_path: Path) -> None:
    if shutil.which("git") is None:
        pytest.fail("git is needed for the README's walk-through")
    project = tmp_path / "shop-bot"
    project.mkdir()
    written = []
    for body in blocks("toml") + blocks("python"):
        first, _, rest = body.partition("\n")
        match = re.fullmatch(r"# file: (\S+)", first)
        if match:
            path = project / match.group(1)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(rest, encoding="utf-8")
            written.append(match.group(1))
    assert written == ["pyproject.toml", "shop_bot/integration.py"]
    (project / "shop_bot" / "__init__.py").write_text("")  # "an empty shop_bot/__init__.py"
    assert run(["git", "init", "-q"], project).returncode == 0

    bash = [line for body in blocks("bash") for line in body.splitlines() if line.strip()]
    (
        check,
        commit,
    ) = [line for line in bash if line.startswith(("lifecycle-harness", "git add"))]
    done = as_typed(check, project)
    assert done.returncode == 1, done.stdout + done.stderr
    # The README's sample output is what the check prints (but for the timing).
    (sample,) = blocks("text")
    headline = re.sub(r", [\d.]+ s\)", ")", sample.splitlines()[0])
    # A supervised run opens with the network isolation in force (issue 15); the headline follows.
    lines = [line for line in done.stdout.splitlines() if not line.startswith("network isolation:")]
    assert re.sub(r", [\d.]+ s\)", ")", lines[0]) == headline
    shown = re.findall(r"reproduce: (lifecycle-harness replay \S+)", sample)
    printed = re.findall(r"reproduce: (lifecycle-harness replay \S+)", done.stdout)
    assert set(shown) <= set(printed)

    committed = as_typed(commit.split(" && ")[0], project)
    assert committed.returncode == 0, committed.stderr
    assert run(shlex.split(commit.split(" && ")[1]), project).returncode == 0
    tracked = run(["git", "ls-files", "tests/lifecycle-failures"], project).stdout.split()
    assert len(tracked) == len(printed)  # nothing ignored them

    # Step 5: replay (fails while the bug is there), pytest collects the files and fails too.
    replay = as_typed("lifecycle-harness replay tests/lifecycle-failures/", project)
    assert replay.returncode == 1, replay.stdout + replay.stderr
    assert as_typed(printed[0], project).returncode == 1
    tests = run([sys.executable, "-m", "pytest", "-q", "-p", "no:randomly", "tests"], project)
    assert tests.returncode == 1, tests.stdout
    assert f"{len(printed)} failed" in tests.stdout

    # The fix: unregister deletes every topic; the committed files now pass.
    source = project / "shop_bot" / "integration.py"
    fixed = source.read_text().replace(
        """    with _shopify(ctx) as http:
        found = http.get("/webhooks.json", params={"topic": TOPICS[0], "address": webhook_url})
        for webhook in found.raise_for_status().json()["webhooks"]:
            http.delete(f"/webhooks/{webhook['id']}.json")""",
        """    with _shopify(ctx) as http:
        for topic in TOPICS:
            found = http.get("/webhooks.json", params={"topic": topic, "address": webhook_url})
            for webhook in found.raise_for_status().json()["webhooks"]:
                http.delete(f"/webhooks/{webhook['id']}.json")""",
    )
    assert fixed != source.read_text()
    source.write_text(fixed)
    replay = as_typed("lifecycle-harness replay tests/lifecycle-failures/", project)
    assert replay.returncode == 0, replay.stdout + replay.stderr
