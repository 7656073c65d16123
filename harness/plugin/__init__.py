"""The pytest plugin (entry point ``pytest11``: ``lifecycle_harness = harness.plugin.hooks``).

``hooks`` holds pytest's hooks, options, fixtures and scenario-file collection; ``config`` reads
the ini keys and markers into settings; ``platform`` is the platform fixtures' helpers;
``runner`` runs the lifecycle items. Nothing in ``harness`` imports this package: only pytest
does (``tests/test_layout.py`` enforces it).
"""
