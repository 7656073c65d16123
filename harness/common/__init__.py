"""Helpers below every wing: used by the core, the scenario writer and every report alike.

``redaction`` finds the configured secrets and replaces them by placeholders. Modules here import
only the standard library and ``fake_shopify``; nothing else of ``harness``
(``tests/test_layout.py`` enforces it).
"""
