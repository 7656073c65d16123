"""Bundle an integration package as the platform does, cached by content hash.

esbuild, platform node, target es2020, CommonJS, keepNames, one file (the platform CLI's bundle
step); imports of ``.botpress`` get a runtime stand-in when the CLI's generated code is missing
(``js/bundle.cjs``). The bundle lands in ``<cache>/bundles/<digest>/index.cjs``, where the digest
covers the package's files (``node_modules`` by its installed lock), the entry and the helpers:
an unchanged package is not bundled again.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness.targets.node.errors import BundleError
from harness.targets.node.helpers import Helpers, cache_dir
from harness.targets.node.package import NodePackage

__all__ = ["Bundle", "bundle", "package_digest"]

_SKIP_DIRS = frozenset({"node_modules", ".git", "dist", ".lifecycle-harness", "coverage"})
_MAX_FILES = 20_000


@dataclass(frozen=True)
class Bundle:
    path: Path
    digest: str
    cached: bool  # reused from an earlier run
    shim: bool  # the .botpress stand-in was used
    seconds: float  # bundling time (0 when cached)


def package_digest(package: NodePackage, helpers: Helpers) -> str:
    h = hashlib.sha256()
    h.update(helpers.digest.encode())
    h.update(str(package.entry.relative_to(package.root)).encode())
    count = 0
    for folder, dirs, files in os.walk(package.root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
        for name in sorted(files):
            path = Path(folder) / name
            count += 1
            if count > _MAX_FILES:
                raise BundleError(
                    f"{package.root} holds more than {_MAX_FILES} files outside node_modules; "
                    f"point the harness at the integration package's own folder"
                )
            h.update(str(path.relative_to(package.root)).encode())
            h.update(path.read_bytes())
    for parent in (package.root, *package.root.parents):
        installed = parent / "node_modules" / ".package-lock.json"
        if installed.is_file():
            h.update(installed.read_bytes())
            break
    return h.hexdigest()[:20]


def bundle(package: NodePackage, helpers: Helpers) -> Bundle:
    digest = package_digest(package, helpers)
    folder = cache_dir() / "bundles" / digest
    outfile = folder / "index.cjs"
    meta = folder / "bundle.json"
    if outfile.is_file() and meta.is_file():
        shim = bool(json.loads(meta.read_text()).get("shim"))
        return Bundle(path=outfile, digest=digest, cached=True, shim=shim, seconds=0.0)
    folder.mkdir(parents=True, exist_ok=True)
    spec = {"dir": str(package.root), "entry": str(package.entry), "outfile": str(outfile)}
    env = {**os.environ, "NODE_PATH": str(helpers.node_modules)}
    try:
        result = subprocess.run(
            [package.node, str(helpers.bundler), json.dumps(spec)],
            capture_output=True,
            text=True,
            timeout=300,
            env=env,
            cwd=package.root,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise BundleError(f"bundling {package.root} failed: {exc}") from exc
    report = _last_json(result.stdout)
    if report is None or not report.get("ok"):
        errors = "\n".join(report.get("errors", [])) if report else ""
        detail = errors or (result.stderr or result.stdout).strip()[-3000:]
        raise BundleError(
            f"cannot bundle integration {package.name!r} ({package.entry}) the way the "
            f"platform bundles it (esbuild, platform node, CommonJS):\n{detail}\n"
            f"Fix the error above (the platform's `bp bundle` would fail the same way), or run "
            f"`npm ci` in {package.root} if a dependency is missing"
        )
    meta.write_text(json.dumps({"shim": bool(report.get("shim")), "entry": str(package.entry)}))
    return Bundle(
        path=outfile,
        digest=digest,
        cached=False,
        shim=bool(report.get("shim")),
        seconds=float(report.get("ms", 0)) / 1000.0,
    )


def _last_json(text: str) -> dict[str, Any] | None:
    for line in reversed(text.strip().splitlines()):
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    return None
