"""Example integrations, correct and buggy, for the harness's own tests, benchmarks and demo.

Each example is a module with ``register`` and ``unregister`` hooks (docs/runtime.md) and a
docstring saying which style it shows or which bug it carries and where that bug comes from
(the integrations of https://github.com/botpress/botpress/tree/master/integrations). ``docs/examples.md`` describes them all.

``EXAMPLES`` maps a short name to an :class:`Example`: the target string to load it with, and the
property ids (README, "The hook contract") a check must report for it. Correct examples violate nothing;
a buggy one may violate more than the properties listed (the list names those it is built to
break, which a check must find), e.g. ``orphaned_partial`` breaks ``clean``.
"""

from __future__ import annotations

from typing import NamedTuple


class Example(NamedTuple):
    """One example integration: how to load it and what a check must find in it."""

    target: str
    violates: frozenset[str]

    @property
    def correct(self) -> bool:
        return not self.violates


def _example(module: str, *violates: str) -> Example:
    return Example(target=f"harness.examples.{module}", violates=frozenset(violates))


EXAMPLES: dict[str, Example] = {
    # Correct, in several styles: nothing may be violated.
    "find_or_create": _example("correct.find_or_create"),
    "state_tracked": _example("correct.state_tracked"),
    "delete_and_recreate": _example("correct.delete_and_recreate"),
    "sync_backoff": _example("correct.sync_backoff"),
    # Buggy, one bug class of docs/examples.md each, plus the documented example's port.
    "duplicate_webhooks": _example("buggy.duplicate_webhooks", "idempotent"),
    "overwritten_ids": _example("buggy.overwritten_ids", "idempotent", "clean"),
    "swallowed_errors": _example("buggy.swallowed_errors", "reported"),
    "leaky_error_log": _example("buggy.leaky_error_log", "no_secret_leak"),
    "stale_state": _example("buggy.stale_state", "convergent"),
    "orphaned_partial": _example("buggy.orphaned_partial", "clean"),
    "shared_client": _example("buggy.shared_client", "tenant_isolation"),
    "intolerant_unregister": _example("buggy.intolerant_unregister", "tolerant_unregister"),
    "shopify_docs_port": _example(
        "buggy.shopify_docs_port", "clean", "convergent", "no_secret_leak", "tenant_isolation"
    ),
}
"""Every bundled example by name; the demo checks ``shopify_docs_port``."""

GRAPHQL_EXAMPLES: dict[str, Example] = {
    # Integrations that manage their subscriptions through the GraphQL Admin API (issue 6).
    "graphql_correct": _example("graphql_correct"),
    "graphql_nonce_urls": _example(
        "graphql_nonce_urls", "exactly_once", "idempotent", "clean", "convergent"
    ),
    "graphql_double_path": _example("graphql_double_path", "exactly_once"),
}
"""The GraphQL examples; ``graphql_double_path`` breaks nothing but ``exactly_once``."""

STACK_EXAMPLES: dict[str, Example] = {
    # The same lifecycle on HTTP stacks other than httpx (issue 10), served at socket level.
    "requests_correct": _example("stacks.requests_correct"),
    "requests_blind_create": _example("stacks.requests_blind_create", "idempotent"),
    "urllib3_correct": _example("stacks.urllib3_correct"),
    "urllib3_strict_unregister": _example(
        "stacks.urllib3_strict_unregister", "tolerant_unregister"
    ),
    "urllib_correct": _example("stacks.urllib_correct"),
    "urllib_logged_headers": _example("stacks.urllib_logged_headers", "no_secret_leak"),
    "http_client_correct": _example("stacks.http_client_correct"),
    "http_client_swallowed": _example("stacks.http_client_swallowed", "reported"),
    "aiohttp_correct": _example("stacks.aiohttp_correct"),
    "aiohttp_blind_create": _example("stacks.aiohttp_blind_create", "idempotent"),
    "shopifyapi_correct": _example("stacks.shopifyapi_correct"),
    "shopifyapi_blind_create": _example("stacks.shopifyapi_blind_create", "idempotent"),
}
"""One correct and one buggy example per HTTP stack; their modules import ``requests``,
``urllib3``, ``aiohttp`` or ``ShopifyAPI`` (the ``test`` extra)."""

__all__ = ["EXAMPLES", "GRAPHQL_EXAMPLES", "STACK_EXAMPLES", "Example"]
