"""Errors of the Node target."""

from __future__ import annotations

from harness.targets.python.loading import IntegrationLoadError

__all__ = ["BundleError", "HelperInstallError", "NodeStartError", "NodeTargetError"]


class NodeTargetError(IntegrationLoadError):
    """A TypeScript integration cannot be checked; the message says what to run."""


class HelperInstallError(NodeTargetError):
    """The harness's own Node helpers could not be installed."""


class BundleError(NodeTargetError):
    """The integration did not bundle (as the platform's bundler would refuse it)."""


class NodeStartError(NodeTargetError):
    """The bundled integration did not start serving."""
