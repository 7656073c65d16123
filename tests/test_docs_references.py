"""The documentation points only at what the repository contains, or at public sources."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SKIP = {".venv", ".venv-ci", "node_modules", ".git", ".mypy_cache", ".ruff_cache", ".hypothesis"}
# Notes of the project's authors that never shipped with it; a reader cannot open them.
UNSHIPPED = re.compile(
    r"DESIGN\.md|STYLE\.md|shopify-admin-api\.md|platform-lifecycle\.md|"
    r"botpress-runtime-protocol\.md|\.\./shared|shared/reference"
)


def shipped(*suffixes: str) -> list[Path]:
    return sorted(
        p
        for p in ROOT.rglob("*")
        if p.suffix in suffixes and p.is_file() and not SKIP & set(p.relative_to(ROOT).parts)
    )


@pytest.mark.parametrize("path", shipped(".md", ".py", ".yaml", ".toml"), ids=str)
def test_no_reference_to_unshipped_notes(path: Path) -> None:
    if path == Path(__file__):
        return
    found = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1)
        if UNSHIPPED.search(line)
    ]
    assert found == []


@pytest.mark.parametrize("path", shipped(".md"), ids=str)
def test_relative_markdown_links_resolve(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
        if re.match(r"[a-z]+:", target):
            continue  # https:, mailto:
        assert (path.parent / target).exists(), f"{path.relative_to(ROOT)} links to {target}"
