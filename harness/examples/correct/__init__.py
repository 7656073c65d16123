"""Correct example integrations: idempotent, convergent, clean, reporting, tenant-safe."""
