"""The README's fake section runs: its examples are executed, and their tests called."""

from __future__ import annotations

import re
from pathlib import Path
from types import FunctionType

README = Path(__file__).resolve().parents[2] / "README.md"


def _fake_section_code() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("<!-- section: fake -->", 1)[1].split("<!-- /section: fake -->", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)


def test_readme_fake_examples_run() -> None:
    blocks = _fake_section_code()
    assert blocks, "the README's fake section has no python example"
    called = []
    for block in blocks:
        namespace: dict[str, object] = {"__name__": "readme_example"}
        exec(compile(block, str(README), "exec"), namespace)
        for name, value in namespace.items():
            if name.startswith("test_") and isinstance(value, FunctionType):
                value()
                called.append(name)
    assert called == ["test_registers_a_webhook", "test_survives_a_flaky_shopify"]
