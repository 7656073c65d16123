"""The package's layers: imports run one way (docs/architecture.md, "Layers").

Every ``import`` and ``from ... import`` in ``harness/`` and ``fake_shopify/`` is read with
:mod:`ast` (function-level and ``TYPE_CHECKING`` imports included: a lazy import is still a
dependency), and each must point at the importing module's own layer or one below it:

====  =====================================================================================
rank  layer
====  =====================================================================================
0     ``fake_shopify`` (knows nothing of ``harness``)
1     ``harness.common`` (helpers below every wing: secret redaction)
2     ``harness.runtime`` (the simulated platform)
3     ``harness.targets``, ``harness.platform`` (how integrations are loaded and called; the
      public module for integration authors)
4     the core: ``harness.steps``, ``options``, ``profiles``, ``world``, ``history``,
      ``properties``, ``simulator``, ``exploration``
5     ``harness.scenarios``
6     ``harness.reports``
7     ``harness.check``
8     ``harness.cli``, ``harness.__main__``
====  =====================================================================================

``harness.plugin`` is imported by nothing in the package (pytest loads it through the entry
point); ``harness.examples`` are integrations like any user's and may import only
``harness.platform``, each other and ``fake_shopify``; ``harness/__init__.py`` is the front door
and exempt (its exports load lazily).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

CORE = (
    "steps",
    "options",
    "profiles",
    "world",
    "history",
    "properties",
    "simulator",
    "exploration",
)

RANKS: dict[str, int] = {
    "fake_shopify": 0,
    "harness.common": 1,
    "harness.runtime": 2,
    "harness.targets": 3,
    "harness.platform": 3,
    **{f"harness.{name}": 4 for name in CORE},
    "harness.scenarios": 5,
    "harness.reports": 6,
    "harness.check": 7,
    "harness.cli": 8,
    "harness.__main__": 8,
}

PLUGIN = "harness.plugin"
EXAMPLES = "harness.examples"
EXAMPLES_MAY_IMPORT = ("harness.platform", EXAMPLES, "fake_shopify")
FRONT_DOOR = "harness"


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer(module: str) -> str | None:
    """The layer a ``harness``/``fake_shopify`` module belongs to (longest matching prefix)."""
    best = None
    for prefix in (*RANKS, PLUGIN, EXAMPLES):
        if (module == prefix or module.startswith(prefix + ".")) and (
            best is None or len(prefix) > len(best)
        ):
            best = prefix
    return best


def imported_modules(source: str, module: str, *, is_package: bool) -> list[tuple[int, str]]:
    """``(line, module)`` of every import of ``harness`` or ``fake_shopify`` in ``source``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.extend((node.lineno, alias.name) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the importing module's package
                base = module.split(".")
                base = base if is_package else base[:-1]
                base = base[: len(base) - (node.level - 1)]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            if node.module is None or target in (FRONT_DOOR, "fake_shopify"):
                # ``from harness import runtime``: each name may be a submodule
                found.extend((node.lineno, f"{target}.{alias.name}") for alias in node.names)
            else:
                found.append((node.lineno, target))
    return [(line, m) for line, m in found if m.split(".")[0] in (FRONT_DOOR, "fake_shopify")]


def forbidden_imports(root: Path) -> list[str]:
    """Every import in ``root``'s ``harness`` and ``fake_shopify`` that breaks the layers."""
    problems = []
    for package in ("harness", "fake_shopify"):
        for path in sorted((root / package).rglob("*.py")):
            module = module_name(path, root)
            if module == FRONT_DOOR:
                continue
            own = layer(module)
            if own is None:
                problems.append(f"{path.relative_to(root)}: not in any layer; add it to RANKS")
                continue
            source = path.read_text(encoding="utf-8")
            for line, target in imported_modules(
                source, module, is_package=path.stem == "__init__"
            ):
                if target == FRONT_DOOR or target == f"{FRONT_DOOR}.__init__":
                    problems.append(
                        f"{path.relative_to(root)}:{line}: imports the front door `harness`; "
                        "import the module that defines the name"
                    )
                    continue
                theirs = layer(target)
                where = f"{path.relative_to(root)}:{line}: {module} imports {target}"
                if theirs is None:
                    continue  # a name that is not a module (``from harness import x`` of a value)
                if theirs == PLUGIN and own != PLUGIN:
                    problems.append(f"{where}: nothing but pytest imports the plugin")
                elif own == EXAMPLES:
                    if not target.startswith(EXAMPLES_MAY_IMPORT):
                        problems.append(
                            f"{where}: examples are integrations; they import only "
                            "harness.platform, other examples and fake_shopify"
                        )
                elif theirs == EXAMPLES:
                    continue  # the demo names an example; tests load them by name
                elif own != PLUGIN and RANKS[theirs] > RANKS[own]:
                    problems.append(
                        f"{where}: {own} (layer {RANKS[own]}) may not import {theirs} "
                        f"(layer {RANKS[theirs]})"
                    )
    return problems


def test_the_package_imports_run_one_way() -> None:
    problems = forbidden_imports(ROOT)
    assert not problems, "imports against the layers:\n" + "\n".join(problems)


@pytest.mark.parametrize(
    ("path", "source", "expected"),
    [
        (
            "harness/runtime/bad.py",
            "from harness.simulator import Simulator\n",
            "harness.runtime (layer 2) may not import harness.simulator (layer 4)",
        ),
        (
            "harness/runtime/bad.py",
            "def f():\n    from harness.reports.render import render_text\n",
            "harness.runtime (layer 2) may not import harness.reports (layer 6)",
        ),
        (
            "harness/targets/python/bad.py",
            "from harness import world\n",
            "harness.targets (layer 3) may not import harness.world (layer 4)",
        ),
        (
            "harness/scenarios/bad.py",
            "from harness.cli.main import main\n",
            "harness.scenarios (layer 5) may not import harness.cli (layer 8)",
        ),
        ("harness/check_extra.py", "import harness.plugin.hooks\n", "not in any layer"),
        ("harness/cli/bad.py", "from harness.plugin import hooks\n", "nothing but pytest"),
        (
            "fake_shopify/bad.py",
            "from harness.runtime import StateStore\n",
            "fake_shopify (layer 0) may not import harness.runtime (layer 2)",
        ),
        (
            "harness/examples/bad.py",
            "from harness.runtime.store import StateStore\n",
            "examples are integrations",
        ),
        ("harness/reports/bad.py", "from . import markdown\nfrom .. import cli\n", "harness.cli"),
        ("harness/world_extra.py", "from harness import check\n", "not in any layer"),
    ],
)
def test_a_forbidden_import_is_named(tmp_path: Path, path: str, source: str, expected: str) -> None:
    """The check is not vacuous: each forbidden import, planted in a copy of the layout, is
    reported with the file, the line and the rule it breaks."""
    for package in ("harness", "fake_shopify"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    target = tmp_path / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(source)
    problems = forbidden_imports(tmp_path)
    assert any(expected in p and path in p for p in problems), problems


def test_allowed_imports_pass(tmp_path: Path) -> None:
    for package in ("harness", "fake_shopify"):
        (tmp_path / package).mkdir()
        (tmp_path / package / "__init__.py").write_text("")
    files = {
        "harness/simulator.py": "from harness.runtime import StateStore\nfrom harness import steps\n",
        "harness/scenarios/replay.py": "from harness.simulator import Simulator\n",
        "harness/cli/main.py": "from harness.check import check\nimport fake_shopify\n",
        "harness/plugin/hooks.py": "from harness.cli import main\nfrom harness.plugin import config\n",
        "harness/examples/ex.py": "from harness.platform import RuntimeError\n",
        "harness/runtime/store.py": "from harness.common.redaction import Redactor\n",
    }
    for path, source in files.items():
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text(source)
    assert forbidden_imports(tmp_path) == []
