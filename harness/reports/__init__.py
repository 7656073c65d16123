"""Reports of a run: ``render`` (the :class:`~harness.reports.render.CheckReport`, plain text and
JSON) and ``markdown`` (the Markdown report with Mermaid sequence diagrams).

Imports: the core, ``harness.scenarios`` (replay commands and step descriptions), the runtime and
``harness.common``; never the command line or the plugin.
"""
