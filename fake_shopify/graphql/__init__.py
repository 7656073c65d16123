"""The GraphQL Admin API subset of the fake: schema, validation, cost, execution.

Use it through :class:`fake_shopify.FakeShopify` (``POST /admin/api/{version}/graphql.json``);
:class:`GraphQLEngine` is the wire layer behind that route.
"""

from __future__ import annotations

from fake_shopify.graphql.engine import (
    GraphQLEngine,
    GraphQLOptions,
    GraphQLResult,
    gid_to_id,
    render_webhook,
    webhook_gid,
)
from fake_shopify.graphql.sdl import SchemaFeatures, features_for

__all__ = [
    "GraphQLEngine",
    "GraphQLOptions",
    "GraphQLResult",
    "SchemaFeatures",
    "features_for",
    "gid_to_id",
    "render_webhook",
    "webhook_gid",
]
