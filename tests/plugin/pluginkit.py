"""Helpers for the plugin's tests: pytest runs, with the plugin loaded, in pytester's directory."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def plugin_installed() -> bool:
    """Whether the ``pytest11`` entry point is installed (CI installs the project; development
    runs from the worktree with PYTHONPATH and loads the plugin with ``-p``)."""
    return any(
        ep.name == "lifecycle_harness" for ep in importlib.metadata.entry_points(group="pytest11")
    )


class Runner:
    """``run(...)`` runs pytest in-process (fast); ``run.subprocess(...)`` in a fresh interpreter,
    for runs that load a Hypothesis profile or start xdist workers: an in-process run that loads
    a profile would change the global Hypothesis settings of the suite running these tests."""

    def __init__(self, pytester: pytest.Pytester) -> None:
        self.pytester = pytester

    @staticmethod
    def args(*args: str) -> list[str]:
        plugin = [] if plugin_installed() else ["-p", "harness.plugin.hooks"]
        # pytest-asyncio warns when this is unset; an in-process run would leak the warning.
        quiet = ["-o", "asyncio_default_fixture_loop_scope=function"]
        return [*plugin, "-p", "no:cacheprovider", *quiet, *args]

    def __call__(self, *args: str) -> pytest.RunResult:
        return self.pytester.runpytest_inprocess(*self.args(*args))

    def subprocess(self, *args: str) -> pytest.RunResult:
        return self.pytester.runpytest_subprocess(*self.args(*args))


GOOD = '''
"""A correct integration: find-or-create by topic and address, tolerant unregister."""
import httpx

TOPICS = ("orders/create", "customers/create")


def _shopify(ctx):
    shop, token = ctx.configuration["shopName"], ctx.configuration["access_token"]
    return httpx.Client(
        base_url=f"https://{shop}.myshopify.com/admin/api/2025-07",
        headers={"X-Shopify-Access-Token": token},
    )


def _mine(http, topic, webhook_url):
    r = http.get("/webhooks.json", params={"topic": topic, "address": webhook_url})
    r.raise_for_status()
    return r.json()["webhooks"]


def register(ctx, webhook_url):
    with _shopify(ctx) as http:
        for topic in TOPICS:
            if not _mine(http, topic, webhook_url):
                body = {"webhook": {"topic": topic, "address": webhook_url, "format": "json"}}
                http.post("/webhooks.json", json=body).raise_for_status()


def unregister(ctx, webhook_url):
    with _shopify(ctx) as http:
        for topic in TOPICS:
            for webhook in _mine(http, topic, webhook_url):
                r = http.delete(f"/webhooks/{webhook['id']}.json")
                if r.status_code != 404:
                    r.raise_for_status()
'''

BUGGY = (
    GOOD.replace(
        '"""A correct integration: find-or-create by topic and address, tolerant unregister."""',
        '"""A buggy integration: unregister forgets the webhooks register created."""',
    ).split("def unregister")[0]
    + """def unregister(ctx, webhook_url):
    pass  # the bug: nothing is deleted
"""
)


def write_repo(pytester: pytest.Pytester, *, integration: str, extra: str = "") -> None:
    """A small integration repository: both integrations, and the named one configured."""
    pytester.makepyfile(**{"integrations/good": GOOD, "integrations/buggy": BUGGY})
    pytester.makepyprojecttoml(
        f"""
[tool.pytest.ini_options]
filterwarnings = ["error"]

[tool.lifecycle-harness]
integration = "{integration}"
examples = 5
{extra}
"""
    )
