"""The README's served-mode section runs: its Python examples are executed."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[2] / "README.md"


def _served_section_code() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text.split("<!-- section: served -->", 1)[1].split("<!-- /section: served -->", 1)[0]
    return re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)


def test_readme_served_examples_run() -> None:
    blocks = _served_section_code()
    assert len(blocks) == 2
    for block in blocks:
        exec(compile(block, str(README), "exec"), {"__name__": "readme_served"})
