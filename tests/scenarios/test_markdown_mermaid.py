"""The Markdown report renders as meant on a code-hosting site: every diagram passes Mermaid's own
parser (the ``mermaid`` npm package, pinned in ``.ci/mermaid/package-lock.json``, run by node),
text that a renderer would take for HTML is escaped, each shop has its lifeline and the leaked
secret's placeholder is in the diagram.

The parser is installed by ``npm ci`` into ``.ci/mermaid/node_modules`` the first time (``.ci/run``
does it up front); without node and npm these tests fail, they are not skipped.
"""

from __future__ import annotations

import fcntl
import json
import random
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from harness.check import check
from harness.cli.replay import write_markdown
from harness.properties import Evidence, Violation
from harness.reports.markdown import render_markdown
from harness.reports.render import CheckReport
from harness.steps import Concurrently, Register, Unregister
from harness.targets.python import load_integration
from harness.world import default_world

MERMAID = Path(__file__).resolve().parents[2] / ".ci" / "mermaid"


@pytest.fixture(scope="session")
def mermaid_parse() -> object:
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.fail("node and npm are needed to check the Mermaid diagrams (Node 20 or later)")
    # One install for every xdist worker: the first takes the lock, the others wait for it.
    with (MERMAID / ".install.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (MERMAID / "node_modules" / "mermaid" / "package.json").is_file():
            subprocess.run(
                [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=MERMAID,
                check=True,
                timeout=600,
            )

    def parse(markdown: str) -> list[dict[str, object]]:
        done = subprocess.run(
            [node, str(MERMAID / "check.mjs")],
            input=markdown,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert done.returncode in (0, 1), done.stderr
        return [json.loads(line) for line in done.stdout.splitlines()]

    return parse


def _outside_code(markdown: str) -> str:
    return re.sub(r"^```.*?^```", "", markdown, flags=re.M | re.S)


def test_the_reports_of_a_buggy_integration_parse_and_read_as_meant(
    mermaid_parse: object, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # the project root: no pyproject.toml above it
    target = "harness.examples.buggy.shopify_docs_port"
    report = check(target, examples=0, record_dir=tmp_path / "tests" / "lifecycle-failures")
    path = tmp_path / "report.md"
    write_markdown(path, report, integration=load_integration(target))
    markdown = path.read_text()

    results = mermaid_parse(markdown)  # type: ignore[operator]
    assert len(results) == len(report.violations)
    assert all(r["ok"] and r["type"] == "sequence" for r in results), results

    # No raw placeholder where a renderer would read an HTML tag.
    prose = _outside_code(markdown)
    assert "<access_token>" not in prose
    assert "leaked &lt;access_token&gt;" in prose
    # Cross-shop traffic: bot1's register reaches bot2's shop on a lifeline of its own.
    (isolation,) = [
        block
        for block in re.findall(r"```mermaid\n(.*?)```", markdown, flags=re.S)
        if "participant S2 as Shopify acme-2.myshopify.com (bot2)" in block
        and "bot1 register" in block
    ][:1]
    bot1 = isolation.split("and bot2 register")[0]
    assert "participant S1 as Shopify acme.myshopify.com (bot1)" in isolation
    assert re.search(r"I->>S2: POST /admin/api/\S+/webhooks.json", bot1)
    # The leak: the diagram shows the placeholder where the secret went.
    (leak,) = [
        block
        for block in re.findall(r"```mermaid\n(.*?)```", markdown, flags=re.S)
        if "I->>P: " in block and "#60;access_token#62;" in block
    ][:1]
    assert "x-shopify-access-token" in leak
    # Replay commands are relative (nothing from this machine's paths).
    assert "lifecycle-harness replay tests/lifecycle-failures/" in markdown
    assert str(tmp_path) not in markdown


TRICKY = [
    ";",
    "#",
    "<",
    ">",
    "%",
    ":",
    "-->>",
    "->>",
    "`",
    "|",
    "&",
    "\\",
    "\n",
    "end",
    "par",
    "Note over",
    "participant",
    "{",
    "}",
    "[",
    "]",
    '"',
    "'",
    "é",
    "→",
    "%%",
    "#35;",
    "<br/>",
    "alt",
    "loop",
    "+",
    "-",
    "=",
    "x",
    "A",
    " ",
    "\t",
    "()",
    "http://a.b/c?d=e&f=g",
]


def _tricky(rng: random.Random) -> str:
    return "".join(rng.choice(TRICKY) for _ in range(rng.randint(1, 14)))


def test_hostile_text_in_messages_evidence_and_names_still_parses(mermaid_parse: object) -> None:
    """Seeded fuzzing of every text that reaches a diagram: one report of 60 violations, one
    parser run; each block must parse."""
    rng = random.Random(13)
    world = default_world(bots=2, shops=2)
    violations = []
    for _ in range(60):
        step = rng.choice(
            [Register(), Unregister(), Concurrently((Register("bot1"), Register("bot2")))]
        )
        host = rng.choice(["acme.myshopify.com", "acme-2.myshopify.com", "evil.example"])
        evidence = Evidence(
            exchanges=(f"POST https://{host}/{_tricky(rng)} -> 201 {_tricky(rng)}",),
            logs=(f"[error] {_tricky(rng)}",),
            outcomes=(f"status {_tricky(rng)}",),
        )
        violations.append(
            Violation(
                rng.choice(["clean", "no_secret_leak", "tenant_isolation"]),
                f"leaked <access_token> {_tricky(rng)}",
                0,
                (step,),
                fix_hint=_tricky(rng),
                evidence=evidence,
                world=world,
            )
        )
    report = CheckReport(integration=f"pkg.mod:{'x'}", seed=1, examples=1, violations=violations)
    markdown = render_markdown(report)
    results = mermaid_parse(markdown)  # type: ignore[operator]
    assert len(results) == 60
    bad = [r for r in results if not r["ok"]]
    assert bad == [], bad[:3]
    assert "<access_token>" not in _outside_code(markdown)


def test_the_checker_itself_rejects_a_broken_diagram(mermaid_parse: object) -> None:
    results = mermaid_parse("```mermaid\nsequenceDiagram\n    A->>B: x;y\n```\n")  # type: ignore[operator]
    assert [r["ok"] for r in results] == [False]
