"""Loading a Python integration: ``package.module``, ``package.module:attribute`` or a path to a
``.py`` file, checked for ``register`` and ``unregister`` hooks whose parameters the harness can
provide (docs/runtime.md).

Loading::

    IntegrationLoadError                 what was found, what was expected
     ├── TargetImportError               the module or file failed to import (with its traceback)
     ├── HookMissingError                no ``register`` or no ``unregister``
     ├── HookNotCallableError            a hook that is not callable
     └── HookSignatureError              a parameter the harness cannot provide
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import inspect
import os
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any, Literal

from harness.targets.python.locations import _short_repr, _where

Operation = Literal["register", "unregister"]
HOOK_NAMES: tuple[Operation, Operation] = ("register", "unregister")
ALLOWED_PARAMETERS: tuple[str, ...] = ("ctx", "client", "logger", "webhook_url")


# --------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------


class IntegrationLoadError(Exception):
    """The target could not be loaded as an integration; the message says why."""


class TargetImportError(IntegrationLoadError):
    pass


class HookMissingError(IntegrationLoadError):
    pass


class HookNotCallableError(IntegrationLoadError):
    pass


class HookSignatureError(IntegrationLoadError):
    pass


@dataclass(frozen=True)
class Hook:
    """One lifecycle hook, inspected."""

    name: str
    func: Callable[..., Any]
    is_async: bool
    parameters: tuple[str, ...]  # the names the harness passes
    where: str  # "file.py:12" for messages


@dataclass(frozen=True)
class Integration:
    """An integration under test: any object with ``register`` and ``unregister`` hooks."""

    name: str  # the target as given, or the object's qualified name
    obj: object
    register: Hook
    unregister: Hook

    def hook(self, operation: str) -> Hook:
        if operation == "register":
            return self.register
        if operation == "unregister":
            return self.unregister
        raise ValueError(f"unknown operation {operation!r}; expected one of {HOOK_NAMES}")


def load_integration(target: str | object) -> Integration:
    """Load ``package.module``, ``package.module:attr``, ``path/file.py`` or ``file.py:attr``.

    An object that is not a string is inspected as is.
    """
    if not isinstance(target, str):
        return inspect_integration(target, name=_object_name(target))
    spec, attr = _split_target(target)
    module = _import_file(spec, target) if _is_path(spec) else _import_module(spec, target)
    obj: object = module
    if attr:
        for part in attr.split("."):
            if not hasattr(obj, part):
                found = sorted(n for n in dir(obj) if not n.startswith("_"))
                raise IntegrationLoadError(
                    f"cannot load integration {target!r}: {_describe(obj)} has no attribute "
                    f"{part!r}; found: {', '.join(found) or 'nothing public'}; expected "
                    f"{attr!r} to name an object with register and unregister hooks"
                )
            obj = getattr(obj, part)
    return inspect_integration(obj, name=target)


def inspect_integration(obj: object, *, name: str) -> Integration:
    """Check that ``obj`` has callable ``register``/``unregister`` hooks the harness can call."""
    missing = [h for h in HOOK_NAMES if not hasattr(obj, h)]
    if missing:
        present = [h for h in HOOK_NAMES if h not in missing]
        public = sorted(n for n in dir(obj) if not n.startswith("_"))
        raise HookMissingError(
            f"integration {name!r} ({_describe(obj)}) has no {' and no '.join(missing)} hook; "
            f"found: {', '.join(present) or 'neither hook'} (public names: "
            f"{', '.join(public[:20]) or 'none'}); expected an object with callable register "
            f"and unregister attributes: a module, a class instance or a namespace"
        )
    hooks = [_inspect_hook(obj, hook_name, name) for hook_name in HOOK_NAMES]
    return Integration(name=name, obj=obj, register=hooks[0], unregister=hooks[1])


def _inspect_hook(obj: object, hook_name: str, integration: str) -> Hook:
    func = getattr(obj, hook_name)
    if not callable(func):
        raise HookNotCallableError(
            f"hook {hook_name!r} of integration {integration!r} is "
            f"{type(func).__name__} {_short_repr(func)}, not a callable; expected a function "
            f"(plain or async def) taking any of {', '.join(ALLOWED_PARAMETERS)}, **kwargs"
        )
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError) as exc:
        raise HookSignatureError(
            f"hook {hook_name!r} of integration {integration!r}: cannot read its signature "
            f"({exc}); expected a Python function"
        ) from exc
    where = _where(func)
    names: list[str] = []
    takes_kwargs = False
    for param in signature.parameters.values():
        if param.kind is inspect.Parameter.VAR_KEYWORD:
            takes_kwargs = True
        elif param.kind is inspect.Parameter.VAR_POSITIONAL:
            continue
        elif param.name in ALLOWED_PARAMETERS:
            if param.kind is inspect.Parameter.POSITIONAL_ONLY:
                raise HookSignatureError(
                    f"hook {hook_name!r} of integration {integration!r} ({where}) takes "
                    f"{param.name!r} as positional-only; the harness passes arguments by "
                    f"keyword: remove the '/'"
                )
            names.append(param.name)
        elif param.default is inspect.Parameter.empty:
            hint = ""
            if param.name == "self":
                hint = " (it looks like a method of a class: pass an instance, not the class)"
            elif param.name in ("webhookUrl", "webhookurl"):
                hint = " (did you mean 'webhook_url'?)"
            raise HookSignatureError(
                f"hook {hook_name!r} of integration {integration!r} ({where}) takes parameter "
                f"{param.name!r}, which the harness cannot provide{hint}; allowed: "
                f"{', '.join(ALLOWED_PARAMETERS)}, **kwargs (parameters with defaults are "
                f"left alone)"
            )
    if takes_kwargs:
        names = list(ALLOWED_PARAMETERS)
    return Hook(
        name=hook_name,
        func=func,
        is_async=_is_async(func),
        parameters=tuple(names),
        where=where,
    )


def _is_async(func: Callable[..., Any]) -> bool:
    if inspect.iscoroutinefunction(func):
        return True
    call = getattr(func, "__call__", None)  # noqa: B004 - an object with an async __call__
    return call is not None and inspect.iscoroutinefunction(call)


def _split_target(target: str) -> tuple[str, str]:
    # "C:\\x.py" has a colon that is not an attribute separator: split only when the rest is a
    # dotted identifier.
    head, sep, tail = target.rpartition(":")
    if sep and head and all(part.isidentifier() for part in tail.split(".")):
        return head, tail
    return target, ""


def _is_path(spec: str) -> bool:
    return spec.endswith(".py") or os.sep in spec or "/" in spec


def _import_module(spec: str, target: str) -> ModuleType:
    try:
        return importlib.import_module(spec)
    except ModuleNotFoundError as exc:
        if (
            exc.name
            and spec.startswith(exc.name)
            and spec.split(".")[: len(exc.name.split("."))] == exc.name.split(".")
        ):
            raise TargetImportError(
                f"cannot load integration {target!r}: no module named {exc.name!r} on sys.path "
                f"(is the project directory the current directory, or on PYTHONPATH?); "
                f"expected 'package.module', 'package.module:attribute' or a path to a .py file"
            ) from exc
        raise TargetImportError(_import_failure(target, exc)) from exc
    except BaseException as exc:
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise TargetImportError(_import_failure(target, exc)) from exc


def _import_file(spec: str, target: str) -> ModuleType:
    path = Path(spec)
    if not path.is_file():
        raise TargetImportError(
            f"cannot load integration {target!r}: no file {str(path)!r} (looked in "
            f"{str(Path.cwd())!r}); expected a path to a .py file, 'package.module' or "
            f"'package.module:attribute'"
        )
    resolved = path.resolve()
    # A stable, unique module name per file: the same file loads as one module (so dataclasses
    # and pickling work, and two integrations named "main.py" do not collide).
    digest = hashlib.sha1(str(resolved).encode(), usedforsecurity=False).hexdigest()[:12]
    module_name = f"_lifecycle_target_{resolved.stem}_{digest}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    module_spec = importlib.util.spec_from_file_location(module_name, resolved)
    if module_spec is None or module_spec.loader is None:
        raise TargetImportError(f"cannot load integration {target!r}: not an importable file")
    module = importlib.util.module_from_spec(module_spec)
    sys.modules[module_name] = module
    # Let the file import its siblings, now and lazily inside hooks, as `python file.py` would
    # (its directory stays on sys.path).
    directory = str(resolved.parent)
    if directory not in sys.path:
        sys.path.insert(0, directory)
    try:
        module_spec.loader.exec_module(module)
    except BaseException as exc:
        del sys.modules[module_name]
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise TargetImportError(_import_failure(target, exc)) from exc
    return module


def _import_failure(target: str, exc: BaseException) -> str:
    tb = "".join(traceback.format_exception(exc)).rstrip()
    return (
        f"cannot load integration {target!r}: importing it raised "
        f"{type(exc).__name__}: {exc}\n\nThe import's traceback:\n{tb}"
    )


def _describe(obj: object) -> str:
    if isinstance(obj, ModuleType):
        return f"module {obj.__name__!r}"
    if isinstance(obj, type):
        return f"class {obj.__qualname__!r}"
    return f"{type(obj).__name__} object"


def _object_name(obj: object) -> str:
    if isinstance(obj, ModuleType):
        return obj.__name__
    name = getattr(obj, "__qualname__", None) or type(obj).__qualname__
    module = getattr(obj, "__module__", None) or type(obj).__module__
    return f"{module}:{name}"
