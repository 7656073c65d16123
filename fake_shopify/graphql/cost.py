"""Query cost of the GraphQL Admin API, and the bodies of its cost errors.

Shopify's documented model (reference section 3.2): every response carries ``extensions.cost``;
a query whose requested cost exceeds 1000 fails with ``MAX_COST_EXCEEDED``; the bucket per app and
shop (:class:`fake_shopify.ratelimit.CostBucket`: 2000 points, 100 restored per second on
standard plans) answers ``THROTTLED`` at HTTP 200 when the requested cost is not available.

The cost model is calibrated on the captured responses in the reference [I]:

- each mutation root field costs 10, whatever it selects (captures: 10, three mutations 30);
- an object costs 1 plus its selections; scalars, enums, unions and ``PageInfo`` cost 0
  (capture: ``webhookSubscription(id:)`` selecting ``endpoint { ... }`` costs 1);
- a connection costs ``max(first | last, 2)`` times the cost of one item, where ``nodes`` and
  ``edges`` each count one object per item (captures: first 3 -> 6, first 2 -> 4, last 1 -> 4);
  the actual cost uses the number of items returned.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    VariableNode,
    get_named_type,
    is_abstract_type,
    is_leaf_type,
)

from fake_shopify.ratelimit import CostBucket

MUTATION_COST = 10
CONNECTION_MIN_ITEMS = 2
FREE_TYPES = frozenset({"PageInfo"})

MAX_COST_DOCUMENTATION = "https://shopify.dev/api/usage/limits#rate-limits"
THROTTLED_DOCUMENTATION = "https://shopify.dev/api/usage/rate-limits"


@dataclass(frozen=True)
class ConnectionCost:
    """One connection field of a query: how many items it asked for and what one item costs."""

    requested_items: int
    item_cost: int


@dataclass(frozen=True)
class QueryCost:
    """The static cost of an operation, plus what is needed to compute its actual cost."""

    requested: int
    connections: tuple[ConnectionCost, ...] = ()

    def actual(self, returned_items: list[int]) -> int:
        """The actual cost once the connections returned ``returned_items`` items (in order)."""
        cost = self.requested
        for connection, returned in zip(self.connections, returned_items, strict=False):
            asked = max(connection.requested_items, CONNECTION_MIN_ITEMS)
            got = max(min(returned, connection.requested_items), CONNECTION_MIN_ITEMS)
            cost -= (asked - got) * connection.item_cost
        return cost


def operation_cost(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
) -> QueryCost:
    """The requested cost of a validated ``operation``."""
    if operation.operation == OperationType.MUTATION:
        fields = list(_fields(operation.selection_set, fragments))
        return QueryCost(requested=MUTATION_COST * len(fields))
    root = schema.query_type
    assert root is not None
    connections: list[ConnectionCost] = []
    total = _selection_cost(root, operation.selection_set, fragments, variables, connections)
    return QueryCost(requested=total, connections=tuple(connections))


def _fields(
    selection_set: SelectionSetNode | None,
    fragments: Mapping[str, FragmentDefinitionNode],
    visited: set[str] | None = None,
) -> Any:
    """The fields of a selection set, fragments expanded: each fragment once per selection set
    (the spec's CollectFields), so a fragment that spreads itself ends, and spreading one
    fragment twice in the same set does not double its fields."""
    if selection_set is None:
        return
    if visited is None:
        visited = set()
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            yield selection
        elif isinstance(selection, InlineFragmentNode):
            yield from _fields(selection.selection_set, fragments, visited)
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            fragment = fragments.get(name)
            if fragment is not None and name not in visited:
                visited.add(name)
                yield from _fields(fragment.selection_set, fragments, visited)


def _selection_cost(
    parent: GraphQLObjectType,
    selection_set: SelectionSetNode | None,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
    connections: list[ConnectionCost],
) -> int:
    total = 0
    for field in _fields(selection_set, fragments):
        definition = parent.fields.get(field.name.value)
        if definition is None:
            continue
        named = get_named_type(definition.type)
        if is_leaf_type(named) or is_abstract_type(named) or named.name in FREE_TYPES:
            continue
        assert isinstance(named, GraphQLObjectType)
        if named.name.endswith("Connection"):
            item = _connection_item_cost(named, field, fragments, variables, connections)
            size = _size(field, variables)
            connections.append(ConnectionCost(requested_items=size, item_cost=item))
            total += max(size, CONNECTION_MIN_ITEMS) * item
            continue
        total += 1 + _selection_cost(named, field.selection_set, fragments, variables, connections)
    return total


def _connection_item_cost(
    connection: GraphQLObjectType,
    field: FieldNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
    connections: list[ConnectionCost],
) -> int:
    item = 0
    for sub in _fields(field.selection_set, fragments):
        definition = connection.fields.get(sub.name.value)
        if definition is None:
            continue
        named = get_named_type(definition.type)
        if not isinstance(named, GraphQLObjectType) or named.name in FREE_TYPES:
            continue
        if sub.name.value == "edges":
            # The edge is one object; its ``node`` is the item ``nodes`` would count, so only
            # what the node selects beyond itself adds to the cost.
            item += 1
            for edge_field in _fields(sub.selection_set, fragments):
                if edge_field.name.value != "node":
                    continue
                node_type = get_named_type(named.fields["node"].type)
                assert isinstance(node_type, GraphQLObjectType)
                item += _selection_cost(
                    node_type, edge_field.selection_set, fragments, variables, connections
                )
        else:
            item += 1 + _selection_cost(named, sub.selection_set, fragments, variables, connections)
    return item


def _size(field: FieldNode, variables: Mapping[str, Any]) -> int:
    for argument in field.arguments or ():
        if argument.name.value not in ("first", "last"):
            continue
        value = argument.value
        if isinstance(value, IntValueNode):
            # Validation bounds Int literals to 32 bits; the length check keeps int() safe.
            return int(value.value) if len(value.value) <= 11 else 0
        if isinstance(value, VariableNode):
            given = variables.get(value.name.value)
            if isinstance(given, int) and not isinstance(given, bool):
                return given
    return 0


def throttle_status(bucket: CostBucket, now: float) -> dict[str, Any]:
    """The ``throttleStatus`` object of ``extensions.cost`` (whole points, as captured)."""
    return {
        "maximumAvailable": _number(bucket.maximum),
        "currentlyAvailable": math.floor(bucket.currently_available(now)),
        "restoreRate": _number(bucket.restore),
    }


def _number(value: float) -> int | float:
    return int(value) if float(value).is_integer() else value


def cost_extension(
    requested: int, actual: int | None, bucket: CostBucket, now: float
) -> dict[str, Any]:
    """``extensions.cost`` as Shopify sends it (``actualQueryCost`` null when throttled)."""
    return {
        "cost": {
            "requestedQueryCost": requested,
            "actualQueryCost": actual,
            "throttleStatus": throttle_status(bucket, now),
        }
    }


def throttled_error() -> dict[str, Any]:
    """The top-level error of a throttled request (HTTP 200)."""
    return {
        "message": "Throttled",
        "extensions": {"code": "THROTTLED", "documentation": THROTTLED_DOCUMENTATION},
    }


def max_cost_error(cost: int, max_cost: int) -> dict[str, Any]:
    """The top-level error of a query over the single-query limit (reference section 3.2)."""
    return {
        "message": (
            f"Query cost is {cost}, which exceeds the single query max cost limit ({max_cost}).\n\n"
            "See https://shopify.dev/concepts/about-apis/rate-limits for more information on how "
            "the\ncost of a query is calculated.\n\nTo query larger amounts of data with fewer "
            "limits, bulk operations should be used instead.\nSee "
            "https://shopify.dev/tutorials/perform-bulk-operations-with-admin-api for usage "
            "details.\n"
        ),
        "extensions": {
            "code": "MAX_COST_EXCEEDED",
            "cost": cost,
            "maxCost": max_cost,
            "documentation": MAX_COST_DOCUMENTATION,
        },
    }
