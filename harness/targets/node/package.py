"""Find and check a TypeScript integration package (a folder with ``package.json``).

A target is a Node target when it names a folder holding a ``package.json``, or a ``.ts``/``.js``
entry file inside such a package. Everything that would stop the run later is checked here, with
one message naming what to run: ``node`` missing or too old, the package not built on
``@botpress/sdk``, ``node_modules`` missing, an SDK version outside the supported range.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.targets.node.errors import NodeTargetError

__all__ = [
    "ENTRY_SUFFIXES",
    "MIN_NODE",
    "SDK_RANGE",
    "NodePackage",
    "find_node",
    "is_node_target",
    "load_package",
]

ENTRY_SUFFIXES = (".ts", ".tsx", ".mts", ".cts", ".js", ".mjs", ".cjs")
SDK_RANGE = ((5, 0, 0), (5, 5, 0))
"""``@botpress/sdk`` versions whose runtime protocol the harness speaks: 5.0.0 <= v < 5.5.0.
The protocol facts were read from 5.4.3 (the newest whose dependencies install from the public
registry); newer SDKs moved context parsing and changed some statuses."""
MIN_NODE = (18, 0, 0)
DEFAULT_ENTRIES = ("src/index.ts", "src/index.js", "index.ts", "index.js")


@dataclass(frozen=True)
class NodePackage:
    """A checked integration package."""

    root: Path  # the folder with package.json
    entry: Path  # the source file whose default export is the Integration
    name: str  # package.json "name" (or the folder's name)
    sdk_version: str  # the installed @botpress/sdk version
    node: str  # the node executable
    node_version: str


def is_node_target(target: object) -> bool:
    """Whether ``target`` names a TypeScript/JavaScript integration (folder or entry file)."""
    if not isinstance(target, str | Path):
        return False
    path = Path(target)
    if path.suffix in ENTRY_SUFFIXES:
        return True
    return path.is_dir() and (path / "package.json").is_file()


def find_node() -> tuple[str, str]:
    """The ``node`` executable and its version; :class:`NodeTargetError` if it is unusable."""
    node = shutil.which("node")
    if node is None:
        raise NodeTargetError(
            "cannot check a TypeScript integration: `node` was not found on PATH. Install "
            "Node.js 18 or newer (the harness is tested on node 20), then run the check again"
        )
    try:
        out = subprocess.run(
            [node, "--version"], capture_output=True, text=True, timeout=30, check=True
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError) as exc:
        raise NodeTargetError(f"cannot run `{node} --version`: {exc}") from exc
    version = _version(out.lstrip("v"))
    if version is None or version < MIN_NODE:
        raise NodeTargetError(
            f"`{node}` is Node.js {out}; the harness needs Node.js "
            f"{'.'.join(map(str, MIN_NODE))} or newer: install a newer node"
        )
    return node, out


def load_package(target: str | Path) -> NodePackage:
    """Check the package ``target`` names and return where its parts are."""
    path = Path(target)
    if not path.exists():
        raise NodeTargetError(
            f"cannot load integration {str(target)!r}: no such file or folder (looked in "
            f"{Path.cwd()}); expected a folder with a package.json, or its entry .ts file"
        )
    if path.is_dir():
        root = path.resolve()
        if not (root / "package.json").is_file():
            raise NodeTargetError(
                f"cannot load integration {str(target)!r}: {root} has no package.json; "
                f"expected the folder of a @botpress/sdk integration package"
            )
        entry = None
    else:
        entry = path.resolve()
        found = next((p for p in entry.parents if (p / "package.json").is_file()), None)
        if found is None:
            raise NodeTargetError(
                f"cannot load integration {str(target)!r}: no package.json in {entry.parent} or "
                f"above; the entry file must be inside an npm package that depends on "
                f"@botpress/sdk"
            )
        root = found
    manifest = _manifest(root)
    name = str(manifest.get("name") or root.name)
    deps = {**manifest.get("devDependencies", {}), **manifest.get("dependencies", {})}
    if "@botpress/sdk" not in deps:
        raise NodeTargetError(
            f"cannot load integration {str(target)!r}: {root / 'package.json'} does not depend "
            f"on @botpress/sdk; expected a platform integration package (run "
            f"`npm install @botpress/sdk@5.4.3` in {root} if it is one)"
        )
    if entry is None:
        entry = _entry(root, manifest, str(target))
    node, node_version = find_node()
    sdk_version = _installed_sdk(root)
    return NodePackage(
        root=root,
        entry=entry,
        name=name,
        sdk_version=sdk_version,
        node=node,
        node_version=node_version,
    )


def _manifest(root: Path) -> dict[str, Any]:
    try:
        data = json.loads((root / "package.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise NodeTargetError(f"cannot read {root / 'package.json'}: {exc}") from exc
    if not isinstance(data, dict):
        raise NodeTargetError(f"{root / 'package.json'} is not a JSON object")
    return data


def _entry(root: Path, manifest: dict[str, Any], target: str) -> Path:
    main = manifest.get("main")
    candidates = []
    if (
        isinstance(main, str)
        and Path(main).suffix in ENTRY_SUFFIXES
        and "dist" not in Path(main).parts
    ):
        candidates.append(main)
    candidates.extend(DEFAULT_ENTRIES)
    for candidate in candidates:
        if (root / candidate).is_file():
            return (root / candidate).resolve()
    raise NodeTargetError(
        f"cannot load integration {target!r}: no entry file in {root} (looked for "
        f"{', '.join(candidates)}); pass the entry file itself, e.g. {target}/src/index.ts"
    )


def _installed_sdk(root: Path) -> str:
    """The @botpress/sdk version Node would load from ``root`` (node_modules up the tree)."""
    lock = "package-lock.json" if (root / "package-lock.json").is_file() else None
    run = f"npm ci` in {root}" if lock else f"npm install` in {root}"
    for folder in (root, *root.parents):
        manifest = folder / "node_modules" / "@botpress" / "sdk" / "package.json"
        if manifest.is_file():
            break
    else:
        missing = "node_modules" if not (root / "node_modules").is_dir() else "@botpress/sdk"
        raise NodeTargetError(
            f"cannot load integration {root.name!r}: {missing} is not installed in {root}; "
            f"run `{run}, then check again"
        )
    try:
        version = str(json.loads(manifest.read_text(encoding="utf-8"))["version"])
    except (OSError, ValueError, KeyError) as exc:
        raise NodeTargetError(f"cannot read the installed SDK version ({manifest}): {exc}") from exc
    parsed = _version(version)
    low, high = SDK_RANGE
    if parsed is None or not low <= parsed < high:
        raise NodeTargetError(
            f"integration {root.name!r} uses @botpress/sdk {version}; the harness speaks the "
            f"runtime protocol of @botpress/sdk {'.'.join(map(str, low))} up to (not including) "
            f"{'.'.join(map(str, high))}: run `npm install @botpress/sdk@5.4.3` in {root}"
        )
    return version


def _version(text: str) -> tuple[int, int, int] | None:
    match = re.match(r"(\d+)\.(\d+)\.(\d+)", text)
    if match is None:
        return None
    return int(match[1]), int(match[2]), int(match[3])
