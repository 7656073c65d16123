"""The lifecycle harness: simulate the platform, explore lifecycles, check properties."""

from __future__ import annotations

__all__: list[str] = []
