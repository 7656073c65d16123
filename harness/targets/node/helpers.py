"""The harness's own Node helpers: installed from the npm registry into a cache on first use.

``js/`` holds the preload, the runner and the bundler script, with a ``package.json`` and a
``package-lock.json`` pinning ``esbuild`` and ``@sinonjs/fake-timers``. The first check of a
TypeScript integration runs ``npm ci`` for them into ``<cache>/node-helpers/<lock digest>/``
(a message says so while it happens); later runs reuse it. Nothing is downloaded but through npm.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from harness.targets.node.errors import HelperInstallError

__all__ = ["EXAMPLES_DIR", "JS_DIR", "Helpers", "cache_dir", "ensure_helpers", "installed_example"]

JS_DIR = Path(__file__).resolve().parent / "js"
_LOCK_FILES = ("package.json", "package-lock.json")


@dataclass(frozen=True)
class Helpers:
    """Where the helper scripts and their installed dependencies are."""

    scripts: Path  # preload.cjs, runner.cjs, bundle.cjs
    node_modules: Path  # esbuild, @sinonjs/fake-timers
    digest: str  # of the lock file and the scripts: part of every bundle's cache key

    @property
    def preload(self) -> Path:
        return self.scripts / "preload.cjs"

    @property
    def runner(self) -> Path:
        return self.scripts / "runner.cjs"

    @property
    def bundler(self) -> Path:
        return self.scripts / "bundle.cjs"

    @property
    def fake_timers(self) -> Path:
        return self.node_modules / "@sinonjs" / "fake-timers"


def cache_dir() -> Path:
    """``$LIFECYCLE_HARNESS_CACHE``, else ``$XDG_CACHE_HOME/lifecycle-harness``, else
    ``~/.cache/lifecycle-harness``."""
    explicit = os.environ.get("LIFECYCLE_HARNESS_CACHE")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "lifecycle-harness"


def _digest() -> str:
    h = hashlib.sha256()
    for name in (*_LOCK_FILES, "preload.cjs", "runner.cjs", "bundle.cjs"):
        h.update(name.encode())
        h.update((JS_DIR / name).read_bytes())
    return h.hexdigest()[:16]


def _lock_digest() -> str:
    h = hashlib.sha256()
    for name in _LOCK_FILES:
        h.update((JS_DIR / name).read_bytes())
    return h.hexdigest()[:16]


def ensure_helpers(*, npm: str | None = None, stream: IO[str] | None = None) -> Helpers:
    """The installed helpers, running ``npm ci`` for them the first time."""
    target = cache_dir() / "node-helpers" / _lock_digest()
    helpers = Helpers(scripts=JS_DIR, node_modules=target / "node_modules", digest=_digest())
    if (target / ".installed").is_file():
        return helpers
    npm = npm or shutil.which("npm")
    if npm is None:
        raise HelperInstallError(
            "cannot install the harness's Node helpers: `npm` was not found on PATH; install "
            "Node.js with npm (node 20 ships npm), then run the check again"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # one installer at a time (parallel test workers)
        if (target / ".installed").is_file():
            return helpers
        out = stream if stream is not None else sys.stderr
        print(
            f"lifecycle-harness: installing its Node helpers (esbuild, @sinonjs/fake-timers) "
            f"with `npm ci` into {target} (first use only)...",
            file=out,
            flush=True,
        )
        work = Path(tempfile.mkdtemp(prefix=".install-", dir=target.parent))
        try:
            for name in _LOCK_FILES:
                shutil.copy2(JS_DIR / name, work / name)
            failed = _npm_ci(npm, work)
            if failed is not None:
                code, output = failed
                raise HelperInstallError(
                    f"`npm ci` for the harness's Node helpers failed (exit {code}) in {work}:\n"
                    f"{output}\nCheck that the npm registry is reachable (`npm ping`), then run "
                    "again"
                )
            (work / ".installed").write_text("ok\n")
            if target.exists():
                shutil.rmtree(target)
            work.rename(target)
        except subprocess.TimeoutExpired as exc:
            raise HelperInstallError(
                f"`npm ci` for the harness's Node helpers timed out: {exc}"
            ) from exc
        finally:
            if work.exists():
                shutil.rmtree(work, ignore_errors=True)
        print("lifecycle-harness: Node helpers installed.", file=out, flush=True)
    return helpers


def _npm_ci(npm: str, folder: Path) -> tuple[int, str] | None:
    """Run ``npm ci`` (no audit, no scripts) in ``folder``; ``None``, or the exit code and the
    end of npm's output. A timeout propagates."""
    result = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if result.returncode == 0:
        return None
    return result.returncode, (result.stderr or result.stdout).strip()[-2000:]


EXAMPLES_DIR = Path(__file__).resolve().parents[2] / "examples" / "typescript"


def installed_example(name: str, *, npm: str | None = None, stream: IO[str] | None = None) -> Path:
    """A shipped TypeScript example, copied to the cache and installed there with ``npm ci``
    (once; the package's own folder may be read-only, as in an installed wheel)."""
    source = EXAMPLES_DIR / name
    if not (source / "package.json").is_file():
        known = sorted(p.name for p in EXAMPLES_DIR.iterdir() if (p / "package.json").is_file())
        raise HelperInstallError(f"no TypeScript example {name!r}; examples: {', '.join(known)}")
    digest = hashlib.sha256()
    for path in sorted(source.rglob("*")):
        if path.is_file() and "node_modules" not in path.parts and path.name != ".npm-ci.lock":
            digest.update(str(path.relative_to(source)).encode())
            digest.update(path.read_bytes())
    target = cache_dir() / "examples" / f"{name}-{digest.hexdigest()[:12]}"
    if (target / ".installed").is_file():
        return target
    npm = npm or shutil.which("npm")
    if npm is None:
        raise HelperInstallError(
            f"cannot install the TypeScript example {name!r}: `npm` was not found on PATH; "
            f"install Node.js with npm, then run again"
        )
    out = stream if stream is not None else sys.stderr
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / ".install.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if (target / ".installed").is_file():
            return target
        print(
            f"lifecycle-harness: installing the TypeScript example {name!r} with `npm ci` "
            f"into {target} (first use only)...",
            file=out,
            flush=True,
        )
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(source, target, ignore=shutil.ignore_patterns("node_modules"))
        failed = _npm_ci(npm, target)
        if failed is not None:
            code, output = failed
            raise HelperInstallError(
                f"`npm ci` for the TypeScript example {name!r} failed (exit {code}) in "
                f"{target}:\n{output}"
            )
        (target / ".installed").write_text("ok\n")
    return target
