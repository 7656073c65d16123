"""The command line, ``lifecycle-harness`` (also ``python -m harness``).

``main`` owns the parser, the ``check`` and ``demo`` commands and the exit codes (0 nothing
violated, 1 something is, 2 bad usage); ``replay`` adds the ``replay`` command and the Markdown
report. The command line sits above everything but the plugin: it may import the whole package
except ``harness.plugin``; nothing but ``harness.__main__`` and the console script imports it.
"""

from __future__ import annotations

from harness.cli.main import DEMO_TARGET, main

__all__ = ["DEMO_TARGET", "main"]
