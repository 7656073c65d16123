"""Targets: how an integration is loaded and how its hooks are called.

A target kind hands the simulator the same things whatever the kind: an
:class:`~harness.targets.python.Integration` with a name, and for each hook call a
:class:`~harness.targets.python.HookOutcome` with the log records of the call (the HTTP
exchanges come from the fakes, not from the target). ``python/`` loads a module, a
``module:attribute`` or a ``.py`` file and calls its hooks in-process; ``node/`` (a TypeScript
package on ``@botpress/sdk``) drives a Node process over the platform's runtime protocol.

Imports: ``harness.runtime``, ``harness.common`` and ``fake_shopify``; never the core (world,
simulator, properties, ...), scenarios, reports, the command line or the plugin.
"""
