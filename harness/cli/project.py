"""What the command line takes from the project it runs in.

``lifecycle-harness`` finds the project root (the nearest ``pyproject.toml`` upwards), puts it on
``sys.path`` as pytest's ``pythonpath = ["."]`` and ``python -m`` do, and reads
``[tool.lifecycle-harness]``: ``integration``, ``configuration`` (a file or an inline table),
``examples``, ``record-dir`` and ``profile``, the table the pytest plugin reads too. A command-line
value wins over the table; paths in the table are relative to the root.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness.common.project import (
    DEFAULT_RECORD_DIR,
    TABLE,
    ProjectError,
    find_root,
    put_on_sys_path,
    read_table,
    shown_path,
)
from harness.profiles import PROFILE_ENV, PROFILES


class ProjectSettingError(ProjectError):
    """A value of ``[tool.lifecycle-harness]`` the command line cannot use (exit 2)."""


@dataclass(frozen=True)
class Project:
    """The project the command runs in."""

    root: Path
    table: dict[str, object] = field(default_factory=dict)

    @property
    def pyproject(self) -> Path:
        return self.root / "pyproject.toml"

    def where(self, key: str) -> str:
        return f"[{TABLE}] {key} in {shown_path(self.pyproject, self.root)}"

    def integration(self) -> str | None:
        """The table's target; a file path in it is taken from the root."""
        value = self.table.get("integration")
        if value is None:
            return None
        if not isinstance(value, str) or not value.strip():
            raise ProjectSettingError(
                f"{self.where('integration')} must name package.module, "
                f"package.module:attribute or path/to/file.py, got {value!r}"
            )
        head, sep, tail = value.rpartition(":")
        if not (sep and head and all(p.isidentifier() for p in tail.split("."))):
            head, sep, tail = value, "", ""
        if (head.endswith(".py") or "/" in head) and not Path(head).is_absolute():
            path = self.root / head
            # Printed as written when the command runs at the root; absolute from elsewhere.
            shown = head if Path.cwd().resolve() == self.root else str(path)
            return shown + sep + tail
        return value

    def configuration_source(self) -> tuple[str, Any] | None:
        """``("file", path)`` or ``("table", mapping)``, or None when the table has none."""
        value = self.table.get("configuration")
        if value is None:
            return None
        if isinstance(value, dict):
            return ("table", value)
        if isinstance(value, str):
            return ("file", str(self.root / value))
        raise ProjectSettingError(
            f"{self.where('configuration')} must be a path to a JSON or YAML file or an inline "
            f"table, got {value!r}"
        )

    def examples(self) -> int | None:
        value = self.table.get("examples")
        if value is None:
            return None
        # As the plugin reads it: a positive whole number (--examples 0 is for the command line).
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ProjectSettingError(
                f"{self.where('examples')} must be a positive whole number, got {value!r}"
            )
        return value

    def record_dir(self) -> Path:
        value = self.table.get("record-dir", DEFAULT_RECORD_DIR)
        if not isinstance(value, str) or not value.strip():
            raise ProjectSettingError(f"{self.where('record-dir')} must be a path, got {value!r}")
        return self.root / value

    def profile(self) -> str | None:
        """The table's profile, unless ``$LIFECYCLE_HARNESS_PROFILE`` names one (it comes first,
        as in the plugin)."""
        if os.environ.get(PROFILE_ENV):
            return None
        value = self.table.get("profile")
        if value is None:
            return None
        if not isinstance(value, str) or value.removeprefix("lifecycle-") not in PROFILES:
            raise ProjectSettingError(
                f"unknown profile {value!r} ({self.where('profile')}); valid: "
                f"{', '.join(sorted(PROFILES))}"
            )
        return value.removeprefix("lifecycle-")


def open_project(start: Path | None = None) -> Project:
    """Find the project root, make it importable and read its table (``ProjectError``)."""
    root = find_root(start)
    put_on_sys_path(root)
    return Project(root=root, table=read_table(root / "pyproject.toml"))
