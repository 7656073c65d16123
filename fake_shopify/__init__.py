"""An in-process, stateful fake of the Shopify Admin API."""

from __future__ import annotations

from fake_shopify.bodies import BodyLimits
from fake_shopify.clock import Clock, ManualClock
from fake_shopify.core import FakeShopify
from fake_shopify.delivery import Delivery, Event, Recorder, RetryPolicy
from fake_shopify.errors import (
    AuthenticationError,
    BadRequestError,
    FakeShopifyError,
    FakeUsageError,
    ForbiddenError,
    NotFoundError,
    NotImplementedByFakeError,
    ShopifyError,
    ThrottledError,
    UnservedRequestError,
    ValidationError,
)
from fake_shopify.faults import (
    Always,
    ArmedFault,
    FaultPlan,
    FiredFault,
    HttpError,
    Latency,
    LostResponse,
    Match,
    Next,
    Nth,
    Probability,
    Raise,
    TransportError,
)
from fake_shopify.graphql import GraphQLOptions
from fake_shopify.journal import Exchange, Journal
from fake_shopify.state import (
    DEFAULT_SCOPES,
    App,
    Installation,
    Origin,
    Shop,
    ShopifyBackend,
    Snapshot,
    Webhook,
)

__all__ = [
    "DEFAULT_SCOPES",
    "Always",
    "App",
    "ArmedFault",
    "AuthenticationError",
    "BadRequestError",
    "BodyLimits",
    "Clock",
    "Delivery",
    "Event",
    "Exchange",
    "FakeShopify",
    "FakeShopifyError",
    "FakeUsageError",
    "FaultPlan",
    "FiredFault",
    "ForbiddenError",
    "GraphQLOptions",
    "HttpError",
    "Installation",
    "Journal",
    "Latency",
    "LostResponse",
    "ManualClock",
    "Match",
    "Next",
    "NotFoundError",
    "NotImplementedByFakeError",
    "Nth",
    "Origin",
    "Probability",
    "Raise",
    "Recorder",
    "RetryPolicy",
    "Shop",
    "ShopifyBackend",
    "ShopifyError",
    "Snapshot",
    "ThrottledError",
    "TransportError",
    "UnservedRequestError",
    "ValidationError",
    "Webhook",
]
