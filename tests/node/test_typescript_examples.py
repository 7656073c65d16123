"""The TypeScript examples: the documented example's bugs are found by the same properties as for
its Python port; the correct ones are quiet."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from fake_shopify.faults import HttpError, Match, Nth
from harness.check import check
from harness.scenarios.runner import replay_library
from harness.simulator import Simulator
from harness.steps import Concurrently, LoseState, Register, ShopifyFault, Step, Unregister
from harness.targets.node import NodeIntegration, load_node_integration
from harness.targets.python import Integration, load_integration
from harness.world import WorldSpec, default_world

PORT = "harness.examples.buggy.shopify_docs_port"


@pytest.fixture(scope="module")
def docs(example_package):
    integration = load_node_integration(str(example_package("shopify-docs")))
    yield integration
    integration.close()


def violated(
    integration: Integration | NodeIntegration, steps: Sequence[Step], world: WorldSpec
) -> set[str]:
    with Simulator(integration, world=world) as sim:
        return {v.property for v in sim.run(steps).violations}


ONE_BOT = default_world({"shopName": "acme"})
TWO_SHOPS = default_world({"shopName": "acme"}, bots=2, shops=2)


@pytest.mark.parametrize(
    ("bug", "steps", "world"),
    [
        # JSON.stringify(AxiosError) carries config.headers with the access token.
        (
            "no_secret_leak",
            [
                ShopifyFault(HttpError(500), match=Match(action="create_webhook"), schedule=Nth(1)),
                Register("bot1"),
            ],
            ONE_BOT,
        ),
        # unregister deletes nothing ("your code continues here...").
        ("clean", [Register("bot1"), Unregister("bot1")], ONE_BOT),
        # an existing subscription returns before the state is written again.
        ("convergent", [Register("bot1"), LoseState("bot1"), Register("bot1")], ONE_BOT),
    ],
    ids=["no_secret_leak", "clean", "convergent"],
)
def test_documented_example_shows_the_bugs_of_its_python_port(docs, bug, steps, world):
    port = load_integration(PORT)
    assert bug in violated(port, steps, world)  # the Python port, for reference
    assert bug in violated(docs, steps, world)


def test_documented_example_sends_one_bots_token_to_the_other_bots_shop(docs):
    # Real concurrency in Node: axios.defaults is shared by the two calls in flight. The calls
    # take turns at their requests (harness.targets.node.overlap): bot2 sets the defaults while
    # bot1's first request is held, so bot1's create goes to bot2's shop every time.
    steps = [Concurrently((Register("bot1"), Register("bot2")))]
    found = [violated(docs, steps, TWO_SHOPS) for _ in range(5)]
    assert all("tenant_isolation" in props for props in found), found
    assert len({frozenset(props) for props in found}) == 1, found


def test_documented_example_check_reports_the_python_ports_bug_classes(docs):
    ts = check(docs, examples=25, library=False)
    port = check(PORT, examples=25, library=False)
    assert {v.property for v in ts.violations} >= {"clean", "convergent", "no_secret_leak"}
    # Every bug class of the port that does not need a lucky interleaving shows for Node too.
    assert {v.property for v in port.violations} - {"tenant_isolation"} <= {
        v.property for v in ts.violations
    } | {"tenant_isolation"}


@pytest.mark.parametrize("name", ["find-or-create", "graphql"])
def test_correct_typescript_examples_are_quiet(example_package, name):
    integration = load_node_integration(str(example_package(name)))
    try:
        results = replay_library(integration)
        failed = [(r.scenario.name, r.violations) for r in results if not r.passed]
        assert failed == []
        report = check(integration, examples=10, library=False)
        assert report.violations == []
    finally:
        integration.close()


def test_a_typescript_check_runs_under_the_supervisor(example_package, tmp_path, capsys):
    """The command line runs the target in a supervised worker with an address-space limit:
    Node (whose V8 and WebAssembly reserve far more address space than they use) must still
    reach the fakes there, so the correct example stays quiet and the documented one is not."""
    from harness.cli import main

    correct = main(
        [
            "check",
            str(example_package("find-or-create")),
            "--examples",
            "0",
            "--no-progress",
            "--record-dir",
            str(tmp_path / "rec"),
        ]
    )
    out = capsys.readouterr().out
    assert correct == 0, out
    assert "never made a Shopify request" not in out
    buggy = main(
        [
            "check",
            str(example_package("shopify-docs")),
            "--examples",
            "0",
            "--no-progress",
            "--record-dir",
            str(tmp_path / "rec2"),
        ]
    )
    out = capsys.readouterr().out
    assert buggy == 1, out
    assert "[no_secret_leak]" in out
    assert "[clean]" in out
