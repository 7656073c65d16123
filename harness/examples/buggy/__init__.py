"""Buggy example integrations: each carries one bug class of docs/examples.md on purpose."""
