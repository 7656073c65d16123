"""Integration targets: how an integration is loaded and its hooks are called."""
