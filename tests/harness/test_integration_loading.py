"""Loading an integration: targets, and an error message for each way it can be wrong."""

from __future__ import annotations

import sys
import textwrap
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.targets.python import (
    HookMissingError,
    HookNotCallableError,
    HookSignatureError,
    IntegrationLoadError,
    TargetImportError,
    load_integration,
)

GOOD = """
def register(ctx, client, logger, webhook_url):
    pass

async def unregister(ctx, **kwargs):
    pass
"""


def write(directory: Path, name: str, source: str) -> Path:
    path = directory / name
    path.write_text(textwrap.dedent(source))
    return path


@pytest.fixture
def on_path(tmp_path: Path) -> Iterator[Path]:
    sys.path.insert(0, str(tmp_path))
    before = set(sys.modules)
    try:
        yield tmp_path
    finally:
        sys.path.remove(str(tmp_path))
        for name in set(sys.modules) - before:
            del sys.modules[name]


def test_load_a_file_path(tmp_path: Path) -> None:
    path = write(tmp_path, "good_integration.py", GOOD)
    integration = load_integration(str(path))
    assert integration.name == str(path)
    assert not integration.register.is_async
    assert integration.unregister.is_async
    assert integration.register.parameters == ("ctx", "client", "logger", "webhook_url")
    # **kwargs receives everything the harness offers.
    assert integration.unregister.parameters == ("ctx", "client", "logger", "webhook_url")
    assert integration.register.where.endswith("good_integration.py:2")
    # Loading the same file twice gives the same module.
    assert load_integration(str(path)).obj is integration.obj


def test_load_a_file_attribute_and_siblings_import(tmp_path: Path) -> None:
    write(tmp_path, "helpers_for_test.py", "PREFIX = 'from a sibling'\n")
    path = write(
        tmp_path,
        "with_class.py",
        """
        from helpers_for_test import PREFIX

        class Shopify:
            prefix = PREFIX
            def register(self, ctx):
                pass
            def unregister(self, logger):
                pass

        integration = Shopify()
        """,
    )
    integration = load_integration(f"{path}:integration")
    assert type(integration.obj).__name__ == "Shopify"
    assert integration.obj.prefix == "from a sibling"  # type: ignore[attr-defined]
    assert integration.register.parameters == ("ctx",)
    sys.modules.pop("helpers_for_test", None)


def test_load_a_module_and_module_attribute(on_path: Path) -> None:
    pkg = on_path / "acme_pkg"
    pkg.mkdir()
    write(pkg, "__init__.py", "")
    write(
        pkg,
        "hooks.py",
        GOOD
        + "\nimport types\nns = types.SimpleNamespace(register=register, unregister=unregister)\n",
    )
    assert isinstance(load_integration("acme_pkg.hooks").obj, types.ModuleType)
    assert isinstance(load_integration("acme_pkg.hooks:ns").obj, types.SimpleNamespace)


def test_load_an_object() -> None:
    ns = types.SimpleNamespace(register=lambda ctx: None, unregister=lambda: None)
    integration = load_integration(ns)
    assert integration.obj is ns
    assert integration.unregister.parameters == ()


def test_missing_hook_says_what_was_found(tmp_path: Path) -> None:
    path = write(tmp_path, "half.py", "def register(ctx):\n    pass\ndef setup():\n    pass\n")
    with pytest.raises(HookMissingError) as info:
        load_integration(str(path))
    message = str(info.value)
    assert "has no unregister hook" in message
    assert "found: register" in message
    assert "setup" in message  # the public names, to spot a misnamed hook
    assert "expected an object with callable register and unregister" in message


def test_hook_not_callable(tmp_path: Path) -> None:
    path = write(
        tmp_path, "notcallable.py", "register = 'https://x'\ndef unregister():\n    pass\n"
    )
    with pytest.raises(HookNotCallableError) as info:
        load_integration(str(path))
    assert "hook 'register'" in str(info.value)
    assert "is str 'https://x', not a callable" in str(info.value)


def test_unknown_parameter(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "badparam.py",
        "def register(ctx, webhookUrl):\n    pass\ndef unregister():\n    pass\n",
    )
    with pytest.raises(HookSignatureError) as info:
        load_integration(str(path))
    message = str(info.value)
    assert "takes parameter 'webhookUrl'" in message
    assert "did you mean 'webhook_url'?" in message
    assert "allowed: ctx, client, logger, webhook_url, **kwargs" in message
    assert "badparam.py:1" in message


def test_class_instead_of_instance_is_explained(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "klass.py",
        "class I:\n    def register(self, ctx):\n        pass\n    def unregister(self):\n        pass\n",
    )
    with pytest.raises(HookSignatureError, match="pass an instance, not the class"):
        load_integration(f"{path}:I")


def test_parameters_with_defaults_are_left_alone(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "defaults.py",
        "def register(ctx, retries=3):\n    pass\ndef unregister():\n    pass\n",
    )
    assert load_integration(str(path)).register.parameters == ("ctx",)


def test_import_failure_carries_the_traceback(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "broken.py",
        """
        import json

        def helper():
            raise KeyError("SHOPIFY_API_VERSION")

        VERSION = helper()
        """,
    )
    with pytest.raises(TargetImportError) as info:
        load_integration(str(path))
    message = str(info.value)
    assert "importing it raised KeyError: 'SHOPIFY_API_VERSION'" in message
    assert "The import's traceback:" in message
    assert 'broken.py", line 5, in helper' in message
    # A failed import leaves no half-initialised module behind.
    assert not [m for m in sys.modules if m.startswith("_lifecycle_target_broken_")]


def test_syntax_error_is_an_import_failure(tmp_path: Path) -> None:
    path = write(tmp_path, "syntax.py", "def register(:\n")
    with pytest.raises(TargetImportError, match="SyntaxError"):
        load_integration(str(path))


def test_missing_module_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(TargetImportError, match=r"no module named 'no_such_pkg_xyz' on sys\.path"):
        load_integration("no_such_pkg_xyz.hooks:integration")
    with pytest.raises(TargetImportError, match="no file"):
        load_integration(str(tmp_path / "absent.py"))


def test_a_module_whose_own_import_fails_shows_that_import(on_path: Path) -> None:
    write(on_path, "needs_dep.py", "import not_installed_dep_xyz\n")
    with pytest.raises(TargetImportError) as info:
        load_integration("needs_dep")
    assert "ModuleNotFoundError: No module named 'not_installed_dep_xyz'" in str(info.value)
    assert "The import's traceback:" in str(info.value)


def test_missing_attribute_lists_what_exists(tmp_path: Path) -> None:
    path = write(tmp_path, "attrs.py", GOOD)
    with pytest.raises(IntegrationLoadError) as info:
        load_integration(f"{path}:integraton")
    assert "has no attribute 'integraton'" in str(info.value)
    assert "found: register, unregister" in str(info.value)
