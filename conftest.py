"""Top-level pytest configuration shared by the whole test suite."""

from __future__ import annotations

# pytester drives the pytest plugin's tests (tests/plugin); pytest only honours pytest_plugins
# in the top-level conftest.
pytest_plugins = ("pytester",)
