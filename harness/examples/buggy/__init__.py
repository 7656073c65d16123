"""Buggy example integrations: each carries one bug class of DESIGN.md section 1 on purpose."""
