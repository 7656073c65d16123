"""The bundle cache: an unchanged package is not bundled again; a changed source is."""

from __future__ import annotations

import io
import shutil
import uuid
from pathlib import Path

import pytest

from harness.targets.node.bundle import bundle
from harness.targets.node.helpers import HelperInstallError, ensure_helpers, installed_example
from harness.targets.node.package import load_package


def _copy(probe_package: Path, tmp_path: Path) -> Path:
    root = tmp_path / "pkg"
    root.mkdir()
    for name in ("package.json", "package-lock.json", "tsconfig.json"):
        shutil.copy(probe_package / name, root / name)
    shutil.copytree(probe_package / "src", root / "src")
    (root / "node_modules").symlink_to(probe_package / "node_modules")
    # A fresh source, so that the first bundle is built by this test.
    with open(root / "src" / "index.ts", "a") as f:
        f.write(f"\n// {uuid.uuid4().hex}\n")
    return root


def test_an_unchanged_package_is_bundled_once_and_a_changed_one_again(probe_package, tmp_path):
    root = _copy(probe_package, tmp_path)
    helpers = ensure_helpers()
    first = bundle(load_package(root), helpers)
    assert not first.cached
    built = first.path.stat().st_mtime_ns
    again = bundle(load_package(root), helpers)
    assert again.cached
    assert again.seconds == 0.0
    assert (again.path, again.digest) == (first.path, first.digest)
    assert again.path.stat().st_mtime_ns == built  # not written again
    with open(root / "src" / "index.ts", "a") as f:
        f.write("// changed\n")
    changed = bundle(load_package(root), helpers)
    assert not changed.cached
    assert changed.digest != first.digest


def test_a_failing_npm_ci_is_a_clear_error_naming_the_exit_and_npms_words(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An example that cannot be installed says which, where, npm's exit code and the end of
    npm's own output; the next call tries again (nothing is marked installed)."""
    monkeypatch.setenv("LIFECYCLE_HARNESS_CACHE", str(tmp_path / "cache"))
    npm = tmp_path / "npm"
    npm.write_text("#!/bin/sh\necho 'npm ERR! code E404 registry unreachable' >&2\nexit 7\n")
    npm.chmod(0o755)
    for _ in range(2):
        with pytest.raises(HelperInstallError) as info:
            installed_example("find-or-create", npm=str(npm), stream=io.StringIO())
        text = str(info.value)
        assert "`npm ci` for the TypeScript example 'find-or-create' failed (exit 7)" in text
        assert "npm ERR! code E404 registry unreachable" in text
    assert not list((tmp_path / "cache").rglob(".installed"))
