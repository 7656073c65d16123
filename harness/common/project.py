"""The user's project: its root, its ``[tool.lifecycle-harness]`` table, paths shown from it.

The command line and the pytest plugin read the same table and print paths the same way: every
path a report or a recorded file prints is relative to the project root, so the command it is
part of runs as printed when pasted at the root (``lifecycle-harness replay
tests/lifecycle-failures/clean-1a2b3c4d.scenario.yaml``), in a terminal, a CI log or a
pull-request comment alike.

The project root is the nearest directory, from the current one upwards, that holds a
``pyproject.toml`` (pytest's rootdir rule for the common case); without one, the current
directory. Like pytest's ``pythonpath = ["."]`` and ``python -m``, the command line puts the root
on ``sys.path`` so ``lifecycle-harness check mypkg.integration`` finds ``mypkg``.
"""

from __future__ import annotations

import os
import sys
import tomllib
from pathlib import Path

TABLE = "tool.lifecycle-harness"
"""The pyproject.toml table the command line and the pytest plugin read."""

TABLE_KEYS: tuple[str, ...] = ("configuration", "examples", "integration", "profile", "record-dir")
"""Every key the table may hold (sorted)."""

DEFAULT_RECORD_DIR = "tests/lifecycle-failures"
"""Where minimal failing scenarios are recorded unless configured otherwise, relative to the
project root: a visible folder under ``tests/``, which pytest collects (the plugin runs each
``*.scenario.yaml`` file there as a test) and no usual ``.gitignore`` ignores. Commit the files
in it: each fails while its bug is there and passes once it is fixed."""


class ProjectError(Exception):
    """The project's ``pyproject.toml`` cannot be read, or its table has a bad key."""


def find_root(start: Path | None = None) -> Path:
    """The nearest directory from ``start`` (default: the current one) upwards with a
    ``pyproject.toml``; ``start`` itself when there is none."""
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        if (directory / "pyproject.toml").is_file():
            return directory
    return here


def read_table(pyproject: Path) -> dict[str, object]:
    """The ``[tool.lifecycle-harness]`` table of ``pyproject`` (empty when absent); an unknown
    key is an error naming the valid ones."""
    if not pyproject.is_file():
        return {}
    try:
        with pyproject.open("rb") as f:
            data = tomllib.load(f)
    except tomllib.TOMLDecodeError as e:
        raise ProjectError(f"{pyproject}: not valid TOML: {e}") from e
    except OSError as e:
        raise ProjectError(f"cannot read {pyproject}: {e.strerror or e}") from e
    tool = data.get("tool", {})
    table = tool.get("lifecycle-harness", {}) if isinstance(tool, dict) else {}
    if not isinstance(table, dict):
        raise ProjectError(f"{pyproject}: [{TABLE}] must be a table, got {type(table).__name__}")
    unknown = sorted(set(table) - set(TABLE_KEYS))
    if unknown:
        raise ProjectError(
            f"{pyproject}: unknown key(s) in [{TABLE}]: {', '.join(unknown)}; "
            f"valid keys: {', '.join(TABLE_KEYS)}"
        )
    return dict(table)


def put_on_sys_path(root: Path) -> None:
    """The project root (and the current directory, as ``python -m`` has it) importable first."""
    for directory in (str(root), os.getcwd()):
        if directory not in sys.path:
            sys.path.insert(0, directory)


def shown_path(path: str | Path, root: Path | None = None) -> str:
    """``path`` as a report prints it: relative to the project root when it is inside it
    (``root`` defaults to :func:`find_root`), absolute otherwise; always with ``/``."""
    resolved = Path(path).resolve() if not Path(path).is_absolute() else Path(path)
    base = (root or find_root()).resolve()
    try:
        return resolved.relative_to(base).as_posix()
    except ValueError:
        return resolved.as_posix()


def shown_target(target: str, root: Path | None = None) -> str:
    """An integration target as a report prints it: a path to a ``.py`` file (with an optional
    ``:attribute``) relative to the project root; a module name as it is."""
    head, sep, tail = target.rpartition(":")
    if not (sep and head and all(part.isidentifier() for part in tail.split("."))):
        head, sep, tail = target, "", ""
    if head.endswith(".py") or "/" in head or os.sep in head:
        return shown_path(head, root) + sep + tail
    return target
