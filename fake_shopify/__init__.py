"""An in-process, stateful fake of the Shopify Admin API."""

from __future__ import annotations

__all__: list[str] = []
