"""Declared topics (property ``subscribed``) and runs that checked nothing (issue 15)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from harness.check import check
from harness.cli import main
from harness.history import Coverage
from harness.options import Options, OptionsError
from harness.reports.markdown import render_markdown
from harness.reports.render import render_json, render_text
from harness.simulator import Simulator
from harness.steps import Register, Unregister
from harness.targets.python import load_integration

FIND_OR_CREATE = "harness.examples.correct.find_or_create"
NONCE_URLS = "harness.examples.graphql_nonce_urls"

SILENT = """\
def register(ctx):
    pass
def unregister(ctx):
    pass
"""

LISTS_ONLY = """\
import httpx
def register(ctx):
    c = ctx.configuration
    httpx.get(f"https://{c['shopName']}.myshopify.com/admin/api/2025-10/webhooks.json",
              headers={"X-Shopify-Access-Token": c["access_token"]})
def unregister(ctx):
    pass
"""


def _subscribed(target: str, *topics: str) -> list[str]:
    options = Options(topics=topics)
    sim = Simulator(load_integration(target), options=options)
    result = sim.run([Register(), Register(), Unregister()])
    return [v.message for v in result.violations if v.property == "subscribed"]


def test_declared_topics_that_register_subscribes_hold() -> None:
    assert _subscribed(FIND_OR_CREATE, "orders/create", "CUSTOMERS_CREATE") == []


def test_a_declared_topic_register_leaves_missing_is_a_violation() -> None:
    messages = _subscribed(FIND_OR_CREATE, "orders/create", "products/update")
    assert (
        messages
        == [
            "after a fault-free register of bot1, declared topics are not subscribed at its "
            "webhook_url (shop acme): products/update is not subscribed"
        ]
        * 2
    )


def test_a_declared_topic_pointing_elsewhere_is_a_violation() -> None:
    messages = _subscribed(NONCE_URLS, "ORDERS_CREATE")
    assert messages[0] == (
        "after a fault-free register of bot1, declared topics are not subscribed at its "
        "webhook_url (shop acme): orders/create points to "
        "https://webhook.botpress.cloud/bot1-webhook?v=1 instead of "
        "https://webhook.botpress.cloud/bot1-webhook"
    )


def test_no_topics_declared_means_nothing_is_required() -> None:
    assert _subscribed(NONCE_URLS) == []


@pytest.mark.parametrize("bad", ["orders/explode", "ORDERS_EXPLODE"])
def test_unknown_topics_are_refused(bad: str) -> None:
    with pytest.raises(OptionsError, match=f"unknown webhook topic '{bad}'"):
        Options(topics=(bad,))


def test_topics_are_normalised_to_rest_names() -> None:
    assert Options(topics=("ORDERS_PAID", "orders/create")).topics == (
        "orders/create",
        "orders/paid",
    )


def test_coverage_notices() -> None:
    assert Coverage().notices() == ["nothing was checked: register was never called"]
    assert (
        Coverage(registers=3)
        .notices()[0]
        .startswith(
            "nothing about Shopify was checked: register ran 3 times and never made a Shopify request"
        )
    )
    assert (
        Coverage(registers=3, requests=5)
        .notices()[0]
        .startswith(
            "little was checked: register ran 3 times and never left a webhook subscription"
        )
    )
    assert Coverage(registers=3, requests=5, subscribed=1).notices() == []


@pytest.mark.parametrize(
    ("source", "start"),
    [
        (SILENT, "nothing about Shopify was checked: register ran"),
        (LISTS_ONLY, "little was checked: register ran"),
    ],
)
def test_a_check_that_checked_nothing_says_so_at_the_top_of_every_report(
    tmp_path: Path, source: str, start: str
) -> None:
    target = tmp_path / "idle.py"
    target.write_text(source, encoding="utf-8")
    report = check(str(target), examples=3, library=False)
    assert len(report.notices) == 1
    assert report.notices[0].startswith(start)
    assert render_text(report).startswith(f"NOTE: {start}")
    assert json.loads(render_json(report))["notices"] == report.notices
    markdown = render_markdown(report).splitlines()
    assert markdown[2].startswith(f"> **Note:** {start}")


def test_a_check_of_a_working_register_has_no_notice() -> None:
    report = check(FIND_OR_CREATE, examples=2, library=False)
    assert report.notices == []


def test_cli_topics_option(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    out, err = io.StringIO(), io.StringIO()
    scenario = Path(__file__).resolve().parents[2] / "scenarios/register-five-times.scenario.yaml"
    argv = ["replay", str(scenario), "--integration", FIND_OR_CREATE, "--report-json", "r.json"]
    code = main([*argv, "--topics", "orders/create,products/update"], out=out, err=err)
    assert code == 1, out.getvalue() + err.getvalue()
    data = json.loads((tmp_path / "r.json").read_text())
    assert {v["property"] for v in data["violations"]} == {"subscribed"}
    assert "products/update is not subscribed" in out.getvalue()
    code = main([*argv, "--topics", "orders/explode"], out=out, err=err)
    assert code == 2
    assert "--topics: unknown webhook topic 'orders/explode'" in err.getvalue()
