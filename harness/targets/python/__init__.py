"""The Python target: an integration is a module, ``module:attribute`` or ``.py`` file with
``register`` and ``unregister`` (DESIGN.md section 2), called in-process."""

from __future__ import annotations

from harness.targets.python.integration import *  # noqa: F403
from harness.targets.python.integration import __all__ as __all__
