"""Several secrets leaking in one place are each named (review issue 5)."""

from __future__ import annotations

from pathlib import Path

from harness.exploration import dedupe
from harness.simulator import Simulator
from harness.steps import Register
from harness.targets.python import load_integration
from harness.world import default_world

LOGS_BOTH = """\
def register(ctx, logger):
    c = ctx.configuration
    logger.info("token %s secret %s", c["access_token"], c["apiSecret"])
def unregister(ctx):
    pass
"""


def test_each_leaked_secret_survives_dedupe(tmp_path: Path) -> None:
    target = tmp_path / "both.py"
    target.write_text(LOGS_BOTH, encoding="utf-8")
    world = default_world(
        {"shopName": "acme", "access_token": "shpat_abcdef123", "apiSecret": "verysecret456"}
    )
    result = Simulator(load_integration(str(target)), world=world).run([Register()])
    leaks = dedupe([v for v in result.violations if v.property == "no_secret_leak"])
    messages = [v.message for v in leaks]
    assert any("<access_token>" in m and "log record" in m for m in messages)
    assert any("<apiSecret>" in m and "log record" in m for m in messages)
