"""Fixtures for the fake's tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fake_world import World, make_world


@pytest.fixture
def world() -> Iterator[World]:
    w = make_world()
    yield w
    w.client.close()
    w.other.close()
