"""Overlapping registers of a plain (sync) integration give the same result every time."""

from __future__ import annotations

from pathlib import Path

from harness.scenarios.loader import load_scenario
from harness.scenarios.replay import replay

LIBRARY = Path(__file__).resolve().parents[2] / "scenarios"

# Check-then-create with a real-time sleep and some CPU work between the check and the create:
# on real threads the two overlapping registers would race differently from run to run.
SYNC_DUP = """\
import time
import httpx
def register(ctx, webhook_url):
    c = ctx.configuration
    h = {"X-Shopify-Access-Token": c["access_token"]}
    base = f"https://{c['shopName']}.myshopify.com/admin/api/2025-07"
    r = httpx.get(base + "/webhooks.json", params={"topic": "orders/create"}, headers=h)
    time.sleep(0.001)
    if not r.json()["webhooks"]:
        x = 0
        for i in range(2000):
            x += i
        body = {"webhook": {"topic": "orders/create", "address": webhook_url}}
        httpx.post(base + "/webhooks.json", headers=h, json=body)
def unregister(ctx):
    c = ctx.configuration
    h = {"X-Shopify-Access-Token": c["access_token"]}
    base = f"https://{c['shopName']}.myshopify.com/admin/api/2025-07"
    for w in httpx.get(base + "/webhooks.json", headers=h).json()["webhooks"]:
        httpx.delete(base + f"/webhooks/{w['id']}.json", headers=h)
"""


def test_overlapping_sync_registers_are_deterministic_100_of_100(tmp_path: Path) -> None:
    target = tmp_path / "sync_dup.py"
    target.write_text(SYNC_DUP, encoding="utf-8")
    scenario = load_scenario(LIBRARY / "overlapping-registers.scenario.yaml")
    outcomes = set()
    for _ in range(100):
        result = replay(scenario, integration=str(target))
        outcomes.add(
            (result.passed, tuple(sorted((v.property, v.message) for v in result.violations)))
        )
    assert len(outcomes) == 1, outcomes
