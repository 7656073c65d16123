"""Bounds on a GraphQL document, checked before it is validated, costed or executed.

graphql-core recurses once per level of nesting when it parses, and validating, costing and
executing a document walk it with every fragment spread expanded in place: a fragment that
spreads itself never ends, and fragments that each spread the next twice double the work per
level (40 levels are 2**40 fields). So, in this order:

1. before parsing, :func:`nesting` bounds the brackets' nesting (``max_nesting``) and the parser
   stops at ``max_tokens`` tokens; both answer graphql-ruby's parse error for a document its
   parser cannot take, "This query is too large to execute.";
2. after parsing, :func:`document_errors` finds fragment cycles (graphql-ruby's
   ``infiniteLoop`` error, one per fragment on a cycle) and, in one pass over the fragments in
   dependency order, the depth and the complexity (fields, spreads and inline fragments) of
   every operation and fragment with spreads expanded, without expanding them (graphql-ruby's
   ``max_depth`` and ``max_complexity`` errors).

Parsing happens before authentication (fault matching reads a request's root fields), bounded
by step 1; the errors of step 2 are answered after authentication, as Shopify answers them.
Shopify documents none of these values (only the single-query cost limit of 1000 and the
250-item input arrays); the defaults live in :class:`fake_shopify.GraphQLOptions`.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, Final

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

__all__ = [
    "TOO_LARGE",
    "DocumentTooLarge",
    "document_errors",
    "nesting",
    "too_large_error",
]

ErrorDict = dict[str, Any]

TOO_LARGE: Final = "This query is too large to execute."
"""graphql-ruby's parse error for a document over its token limit or its parser's stack."""

_SATURATED: Final = 2**62  # field counts stop here: exponential documents stay small integers

# Tokens that matter for nesting: block strings, strings and comments (skipped whole, their
# brackets do not count), and the brackets themselves.
_NESTING_TOKENS: Final = re.compile(
    r'"""(?:[^"\\]+|\\"""|\\|"(?!""))*"""'  # block string (chunks, not one char at a time)
    r'|"[^"\\\n]*(?:\\.[^"\\\n]*)*"'  # string, the unrolled form
    r"|#[^\n\r]*"  # comment
    r"|[{}\[\]]"
)


class DocumentTooLarge(GraphQLError):
    """A document refused before or during parsing; rendered as :data:`TOO_LARGE`."""


def nesting(query: str, limit: int) -> int:
    """How deep the brackets of ``query`` nest, counting stops just past ``limit``.

    A cheap pass (one regex scan) that the recursive parser needs before it can be trusted.
    """
    if query.count("{") + query.count("[") <= limit:
        return 0  # cannot nest deeper than there are brackets
    depth = deepest = 0
    for match in _NESTING_TOKENS.finditer(query):
        token = match.group()
        if token == "{" or token == "[":
            depth += 1
            if depth > deepest:
                deepest = depth
                if deepest > limit:
                    break
        elif token == "}" or token == "]":
            depth -= 1
    return deepest


def too_large_error(error: GraphQLError | None = None) -> ErrorDict:
    """graphql-ruby's "too large" parse error, at the parser's location when there is one."""
    locations = [
        {"line": location.line, "column": location.column}
        for location in ((error.locations or []) if error is not None else [])
    ]
    return {"message": TOO_LARGE, "locations": locations, "extensions": {"code": "PARSE_ERROR"}}


# -- after parsing -------------------------------------------------------------------------------


def _spreads(selection_set: SelectionSetNode | None) -> Iterator[FragmentSpreadNode]:
    stack = [selection_set]
    while stack:
        current = stack.pop()
        if current is None:
            continue
        for selection in current.selections:
            if isinstance(selection, FragmentSpreadNode):
                yield selection
            elif isinstance(selection, FieldNode | InlineFragmentNode):
                stack.append(selection.selection_set)


def _cyclic(graph: dict[str, list[str]]) -> set[str]:
    """The fragments on a cycle (Tarjan's strongly connected components, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    cyclic: set[str] = set()
    counter = 0
    for root in graph:
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, child = work.pop()
            if child == 0:
                index[node] = low[node] = counter
                counter += 1
                stack.append(node)
                on_stack.add(node)
            targets = graph[node]
            if child < len(targets):
                work.append((node, child + 1))
                target = targets[child]
                if target not in index:
                    work.append((target, 0))
                elif target in on_stack:
                    low[node] = min(low[node], index[target])
                continue
            if work:  # return to the caller: propagate the low link
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1 or node in graph[node]:
                    cyclic.update(component)
    return cyclic


def _dependency_order(graph: dict[str, list[str]]) -> list[str]:
    """Fragments after the fragments they spread (an acyclic ``graph``), iteratively."""
    order: list[str] = []
    done: set[str] = set()
    for root in graph:
        if root in done:
            continue
        work: list[tuple[str, bool]] = [(root, False)]
        while work:
            node, expanded = work.pop()
            if expanded:
                if node not in done:
                    done.add(node)
                    order.append(node)
                continue
            if node in done:
                continue
            work.append((node, True))
            work.extend((target, False) for target in graph[node] if target not in done)
    return order


def _measure(
    selection_set: SelectionSetNode | None, known: dict[str, tuple[int, int]]
) -> tuple[int, int]:
    """(depth, selections) of a selection set: its fields, inline fragments and fragment
    spreads, each spread's fragment counted in full from ``known`` (unknown: nothing).

    Recursive over the selection set's own nesting only, which :func:`nesting` bounded.
    """
    if selection_set is None:
        return 0, 0
    depth = fields = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            sub_depth, sub_fields = _measure(selection.selection_set, known)
            depth = max(depth, 1 + sub_depth)
            fields += 1 + sub_fields
        elif isinstance(selection, InlineFragmentNode):
            sub_depth, sub_fields = _measure(selection.selection_set, known)
            depth = max(depth, sub_depth)
            fields += 1 + sub_fields
        elif isinstance(selection, FragmentSpreadNode):
            sub_depth, sub_fields = known.get(selection.name.value, (0, 0))
            depth = max(depth, sub_depth)
            fields += 1 + sub_fields
    return depth, min(fields, _SATURATED)


def _location(node: Any) -> list[dict[str, int]]:
    error = GraphQLError("", node)
    return [{"line": loc.line, "column": loc.column} for loc in error.locations or []]


def document_errors(
    document: DocumentNode, *, max_depth: int, max_complexity: int
) -> list[ErrorDict]:
    """Fragment cycles, then operations or fragments too deep or too large, as graphql-ruby
    reports them; an empty list when the document is within bounds."""
    fragments: dict[str, FragmentDefinitionNode] = {}
    operations: list[OperationDefinitionNode] = []
    for definition in document.definitions:
        if isinstance(definition, FragmentDefinitionNode):
            fragments.setdefault(definition.name.value, definition)
        elif isinstance(definition, OperationDefinitionNode):
            operations.append(definition)
    graph = {
        name: list(
            dict.fromkeys(
                s.name.value for s in _spreads(f.selection_set) if s.name.value in fragments
            )
        )
        for name, f in fragments.items()
    }
    cyclic = _cyclic(graph)
    if cyclic:
        return [
            {
                "message": f"Fragment {name} contains an infinite loop",
                "locations": _location(fragment),
                "path": [f"fragment {name}"],
                "extensions": {"code": "infiniteLoop", "fragmentName": name},
            }
            for name, fragment in fragments.items()
            if name in cyclic
        ]
    known: dict[str, tuple[int, int]] = {}
    for name in _dependency_order(graph):
        known[name] = _measure(fragments[name].selection_set, known)
    depth = fields = 0
    for node in (*operations, *fragments.values()):
        node_depth, node_fields = (
            known[node.name.value]
            if isinstance(node, FragmentDefinitionNode)
            else _measure(node.selection_set, known)
        )
        depth, fields = max(depth, node_depth), max(fields, node_fields)
    errors: list[ErrorDict] = []
    if depth > max_depth:
        errors.append(
            {
                "message": f"Query has depth of {depth}, which exceeds max depth of {max_depth}",
                "extensions": {"code": "MAX_DEPTH_EXCEEDED", "depth": depth, "maxDepth": max_depth},
            }
        )
    if fields > max_complexity:
        shown = str(fields) if fields < _SATURATED else f"more than {_SATURATED}"
        errors.append(
            {
                "message": (
                    f"Query has complexity of {shown}, which exceeds max complexity of {max_complexity}"
                ),
                "extensions": {
                    "code": "MAX_COMPLEXITY_EXCEEDED",
                    "complexity": min(fields, _SATURATED),
                    "maxComplexity": max_complexity,
                },
            }
        )
    return errors
