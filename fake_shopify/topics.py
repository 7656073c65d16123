"""Webhook topics: REST name, GraphQL enum value, and the access scope they need.

The table follows Shopify's topic list (https://shopify.dev/docs/api/webhooks/latest). The REST -> GraphQL mapping is mechanical
(upper-case, ``/`` and ``.`` become ``_``), but the reverse is not (underscores inside resource
names), hence the explicit table. Scope requirements for resources other than carts, checkouts
and channels are inferred from resource names [I]; ``read_X`` or ``write_X`` grants topic ``X``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

__all__ = [
    "TOPICS",
    "Topic",
    "allowed_topics",
    "graphql_enum_values",
    "graphql_topic",
    "is_allowed",
    "rest_topic",
    "topic",
]


@dataclass(frozen=True, slots=True)
class Topic:
    """One webhook topic.

    ``scopes``: resources any one of which grants the topic (``("orders",)`` means
    ``read_orders`` or ``write_orders``); empty means every app may subscribe.
    ``graphql``: the ``WebhookSubscriptionTopic`` enum value, ``None`` for the compliance topics
    that only the Partner Dashboard or app TOML configure (REST lists them as allowed).
    """

    rest: str
    graphql: str | None
    scopes: tuple[str, ...] = ()

    def allowed_for(self, scopes: Iterable[str]) -> bool:
        """Whether an app holding ``scopes`` may subscribe to this topic."""
        if not self.scopes:
            return True
        granted = set(scopes)
        return any(
            f"read_{resource}" in granted or f"write_{resource}" in granted
            for resource in self.scopes
        )


def _enum(rest: str) -> str:
    return rest.replace("/", "_").replace(".", "_").upper()


def _group(
    resource: str, verbs: str, scopes: tuple[str, ...], *, rest_resource: str = ""
) -> list[Topic]:
    prefix = rest_resource or resource
    return [Topic(f"{prefix}/{verb}", _enum(f"{prefix}/{verb}"), scopes) for verb in verbs.split()]


_TABLE: list[Topic] = [
    Topic("app/uninstalled", "APP_UNINSTALLED"),
    Topic("app/scopes_update", "APP_SCOPES_UPDATE"),
    Topic("app_subscriptions/update", "APP_SUBSCRIPTIONS_UPDATE"),
    Topic("app_purchases_one_time/update", "APP_PURCHASES_ONE_TIME_UPDATE"),
    Topic("bulk_operations/finish", "BULK_OPERATIONS_FINISH"),
    *_group("carts", "create update", ("orders",)),
    *_group("checkouts", "create update delete", ("orders",)),
    *_group("collections", "create update delete", ("products",)),
    *_group("customers", "create update delete enable disable", ("customers",)),
    Topic("customer.tags_added", "CUSTOMER_TAGS_ADDED", ("customers",)),
    Topic("customer.tags_removed", "CUSTOMER_TAGS_REMOVED", ("customers",)),
    *_group("draft_orders", "create update delete", ("draft_orders",)),
    *_group("fulfillments", "create update", ("fulfillments", "orders")),
    *_group("inventory_items", "create update delete", ("inventory",)),
    *_group("inventory_levels", "connect update disconnect", ("inventory",)),
    *_group("locations", "create update delete activate deactivate", ("locations",)),
    *_group(
        "orders",
        "create updated paid cancelled fulfilled partially_fulfilled delete edited",
        ("orders",),
    ),
    Topic("order_transactions/create", "ORDER_TRANSACTIONS_CREATE", ("orders",)),
    *_group("products", "create update delete", ("products",)),
    Topic("refunds/create", "REFUNDS_CREATE", ("orders",)),
    Topic("shop/update", "SHOP_UPDATE"),
    *_group("themes", "create update publish delete", ("themes",)),
    # Compliance topics: in REST's allowed list, absent from the GraphQL enum.
    Topic("customers/data_request", None),
    Topic("customers/redact", None),
    Topic("shop/redact", None),
]

TOPICS: dict[str, Topic] = {t.rest: t for t in _TABLE}
"""Every known topic by REST name, in the table's order (the order of the 422 allowed list)."""

_BY_GRAPHQL: dict[str, Topic] = {t.graphql: t for t in _TABLE if t.graphql is not None}


def topic(rest: str) -> Topic | None:
    """The topic named ``rest`` (REST spelling), or ``None``."""
    return TOPICS.get(rest)


def allowed_topics(scopes: Iterable[str]) -> list[str]:
    """REST names of the topics an app holding ``scopes`` may subscribe to, in table order."""
    granted = frozenset(scopes)
    return [t.rest for t in _TABLE if t.allowed_for(granted)]


def is_allowed(rest: str, scopes: Iterable[str]) -> bool:
    """Whether ``rest`` is a known topic that ``scopes`` grant."""
    if isinstance(scopes, frozenset):
        return _is_allowed(rest, scopes)
    found = TOPICS.get(rest)
    return found is not None and found.allowed_for(scopes)


@lru_cache(maxsize=1024)
def _is_allowed(rest: str, scopes: frozenset[str]) -> bool:
    # Memoised: seeding thousands of subscriptions asks the same few questions.
    found = TOPICS.get(rest)
    return found is not None and found.allowed_for(scopes)


def graphql_topic(rest: str) -> str | None:
    """``orders/create`` -> ``ORDERS_CREATE``; ``None`` if unknown or not in the GraphQL enum."""
    found = TOPICS.get(rest)
    return found.graphql if found is not None else None


def rest_topic(graphql: str) -> str | None:
    """``ORDERS_CREATE`` -> ``orders/create``; ``None`` if not a known enum value."""
    found = _BY_GRAPHQL.get(graphql)
    return found.rest if found is not None else None


def graphql_enum_values() -> list[str]:
    """Every GraphQL enum value in the table, in table order."""
    return [t.graphql for t in _TABLE if t.graphql is not None]
