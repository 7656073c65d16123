"""The front door: ``fake_shopify.__all__`` is sorted and names exactly the public exports."""

from __future__ import annotations

from types import ModuleType

import fake_shopify


def test_all_is_sorted_and_complete() -> None:
    # ruff's isort-style order (RUF022): constants, then the rest, each alphabetical.
    names = fake_shopify.__all__
    assert names == sorted(names, key=lambda n: (not n.isupper(), n))
    public = {
        name
        for name, value in vars(fake_shopify).items()
        if not name.startswith("_") and not isinstance(value, ModuleType) and name != "annotations"
    }
    assert public == set(names)
    for name in names:
        assert getattr(fake_shopify, name) is not None
