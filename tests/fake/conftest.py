"""Fixtures for the fake's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fake_world import World, make_world

from fake_shopify.graphql import engine as graphql_engine

EXECUTORS = ("plan", "graphql-core")


@pytest.fixture
def world() -> Iterator[World]:
    w = make_world()
    yield w
    w.client.close()
    w.other.close()


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    # Every GraphQL test runs on both executors: the compiled plans (the default) and
    # graphql-core's executor, which the plans must match byte for byte.
    module = metafunc.module.__name__.rsplit(".", 1)[-1]
    if module.startswith("test_graphql") and "graphql_executor" in metafunc.fixturenames:
        metafunc.parametrize("graphql_executor", EXECUTORS, indirect=True)


@pytest.fixture(autouse=True)
def graphql_executor(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """The executor engines without an explicit one use in this test (default: the plans)."""
    executor: str = getattr(request, "param", "plan")
    monkeypatch.setattr(graphql_engine, "DEFAULT_EXECUTOR", executor)
    return executor
