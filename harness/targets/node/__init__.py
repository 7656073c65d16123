"""The Node target: check a real TypeScript ``@botpress/sdk`` integration package, unmodified.

``load_node_integration("path/to/pkg")`` checks the package (node, node_modules, SDK version),
installs the harness's Node helpers on first use, bundles the integration as the platform does,
and returns a :class:`NodeIntegration` the simulator drives over the runtime protocol.
"""

from __future__ import annotations

from harness.targets.node.errors import (
    BundleError,
    HelperInstallError,
    NodeStartError,
    NodeTargetError,
)
from harness.targets.node.package import SDK_RANGE, NodePackage, is_node_target, load_package
from harness.targets.node.target import NodeCall, NodeIntegration, load_node_integration

__all__ = [
    "SDK_RANGE",
    "BundleError",
    "HelperInstallError",
    "NodeCall",
    "NodeIntegration",
    "NodePackage",
    "NodeStartError",
    "NodeTargetError",
    "is_node_target",
    "load_node_integration",
    "load_package",
]
