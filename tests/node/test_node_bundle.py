"""The bundle cache: an unchanged package is not bundled again; a changed source is."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path

from harness.targets.node.bundle import bundle
from harness.targets.node.helpers import ensure_helpers
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
