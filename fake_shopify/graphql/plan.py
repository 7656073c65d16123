"""Compiled execution plans: the fake's fast GraphQL executor, graphql-core's answers.

graphql-core's executor is general: per field it builds resolve info, looks up definitions,
calls the default resolver and completes the value through several layers of functions. The
fake's schema is small and fixed, so for one document and operation the work can be decided
once: :func:`compile_plan` turns the operation into nested closures that read exactly the
selected fields (with aliases, fragments, inline fragments on the endpoint union and
``__typename``) and complete them as graphql-core completes them (non-null, lists, leaf
coercion).

The plan never decides an answer graphql-core would give differently. Whatever it does not
cover is left to graphql-core:

- at compile time (:func:`compile_plan` returns ``None``): directives (``@skip``/``@include``),
  introspection (``__schema``, ``__type``), subscriptions, unknown fields;
- at run time (:class:`Fallback`): a variable graphql-core would reject, an argument that does
  not coerce, a resolver that raises, a null in a non-null position, a value a leaf type would
  not coerce, an unresolvable union member. The caller then runs graphql-core with a root
  value that *replays* what the plan's resolvers already did (:class:`Replay`), so every
  resolver runs exactly once and in graphql-core's order: mutations are never applied twice.

Sources: a field's value is read from a ``dict`` by key (graphql-core's default resolver), or
from a *native* object (a state-layer record, a connection page) through a getter per field
(:class:`Natives`); the reference path renders the same natives into dicts with the same
getters, so both paths see the same values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLEnumType,
    GraphQLError,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    Undefined,
)
from graphql.execution.values import VariableValues, get_argument_values, get_variable_values

__all__ = ["Fallback", "Natives", "Plan", "Replay", "compile_plan"]

Getter = Callable[[Any, Any], Any]  # (native source, request context) -> field value
Complete = Callable[[Any, Any], Any]  # (value, request context) -> response value


class Fallback(Exception):
    """The plan cannot answer this request as graphql-core would: let graphql-core answer."""


class _NotCovered(Exception):
    """Raised while compiling: the operation uses something the plan does not cover."""


@dataclass(frozen=True)
class Natives:
    """Native sources per GraphQL object type: the Python class and a getter per field."""

    types: Mapping[str, tuple[type, Mapping[str, Getter]]]


@dataclass(frozen=True)
class RootField:
    """One root field of the operation: its response key and how to complete its value."""

    key: str
    name: str
    node: FieldNode
    definition: Any  # GraphQLField
    static_args: dict[str, Any] | None  # coerced once when the arguments use no variables
    complete: Complete


@dataclass(frozen=True)
class Plan:
    """A compiled operation: the root fields in graphql-core's collection order."""

    operation: OperationDefinitionNode
    root_type: str
    fields: tuple[RootField, ...]
    has_variables: bool

    def variables(self, schema: GraphQLSchema, values: dict[str, Any]) -> VariableValues | None:
        """The coerced variable values, as graphql-core coerces them (or :class:`Fallback`)."""
        if not self.has_variables:
            return None
        coerced = get_variable_values(schema, self.operation.variable_definitions or (), values)
        if isinstance(coerced, list):
            raise Fallback  # graphql-core answers with its own variable errors
        return coerced

    def arguments(self, field: RootField, variables: VariableValues | None) -> dict[str, Any]:
        """The field's coerced arguments (graphql-core's ``get_argument_values``)."""
        if field.static_args is not None:
            return field.static_args
        return get_argument_values(field.definition, field.node, variables)


class Replay:
    """graphql-core's root value after a fallback: replays what the plan's resolvers did.

    ``outcomes`` holds, in call order, ``(field name, value or exception)`` of every root
    resolver the plan already called (already rendered for graphql-core); later root fields
    are resolved by ``root`` as usual.
    """

    def __init__(self, root: object, outcomes: list[tuple[str, object, bool]]) -> None:
        self._root = root
        self._outcomes = outcomes

    def __getattr__(self, name: str) -> Any:
        if self._outcomes and self._outcomes[0][0] == name:
            _, outcome, raised = self._outcomes.pop(0)

            def replayed(_info: Any, **_args: Any) -> object:
                if raised:
                    assert isinstance(outcome, BaseException)
                    raise outcome
                return outcome

            return replayed
        return getattr(self._root, name)


def compile_plan(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    natives: Natives,
) -> Plan | None:
    """The plan of a validated ``operation``, or ``None`` when it uses what plans don't cover."""
    try:
        return _compile(schema, operation, fragments, natives)
    except _NotCovered:
        return None


def _compile(
    schema: GraphQLSchema,
    operation: OperationDefinitionNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    natives: Natives,
) -> Plan:
    if operation.directives:
        raise _NotCovered
    if operation.operation == OperationType.QUERY:
        root = schema.query_type
    elif operation.operation == OperationType.MUTATION:
        root = schema.mutation_type
    else:
        raise _NotCovered
    if root is None:
        raise _NotCovered
    compiler = _Compiler(schema, fragments, natives)
    fields: list[RootField] = []
    for key, nodes in compiler.collect(root, [operation.selection_set]).items():
        name = nodes[0].name.value
        if name == "__typename":
            raise _NotCovered  # rare at the root; graphql-core answers it
        definition = root.fields.get(name)
        if definition is None:
            raise _NotCovered
        uses_variables = any(_has_variable(arg.value) for arg in nodes[0].arguments or ())
        static_args = None
        if not uses_variables:
            try:
                static_args = get_argument_values(definition, nodes[0], None)
            except GraphQLError as exc:
                raise _NotCovered from exc
        complete = compiler.complete(definition.type, nodes)
        fields.append(RootField(key, name, nodes[0], definition, static_args, complete))
    return Plan(
        operation=operation,
        root_type=root.name,
        fields=tuple(fields),
        has_variables=bool(operation.variable_definitions),
    )


def _has_variable(value: Any) -> bool:
    kind = getattr(value, "kind", "")
    if kind == "variable":
        return True
    if kind == "list_value":
        return any(_has_variable(v) for v in value.values)
    if kind == "object_value":
        return any(_has_variable(f.value) for f in value.fields)
    return False


class _Compiler:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        natives: Natives,
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.natives = natives

    # -- field collection, as graphql-core's collect_fields (without directives) -------------
    def collect(
        self, runtime: GraphQLObjectType, selection_sets: Sequence[SelectionSetNode | None]
    ) -> dict[str, list[FieldNode]]:
        fields: dict[str, list[FieldNode]] = {}
        for selection_set in selection_sets:
            self._collect(runtime, selection_set, fields, set())
        return fields

    def _collect(
        self,
        runtime: GraphQLObjectType,
        selection_set: SelectionSetNode | None,
        fields: dict[str, list[FieldNode]],
        visited: set[str],
    ) -> None:
        if selection_set is None:
            return
        for selection in selection_set.selections:
            if selection.directives:
                raise _NotCovered
            if isinstance(selection, FieldNode):
                key = selection.alias.value if selection.alias else selection.name.value
                fields.setdefault(key, []).append(selection)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                if condition is not None and not self._applies(condition.name.value, runtime):
                    continue
                self._collect(runtime, selection.selection_set, fields, visited)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name in visited:
                    continue
                visited.add(name)
                fragment = self.fragments.get(name)
                if fragment is None:
                    continue
                if fragment.directives:
                    raise _NotCovered
                if not self._applies(fragment.type_condition.name.value, runtime):
                    continue
                self._collect(runtime, fragment.selection_set, fields, visited)
            else:  # pragma: no cover - no other selection kinds exist
                raise _NotCovered

    def _applies(self, condition: str, runtime: GraphQLObjectType) -> bool:
        if condition == runtime.name:
            return True
        condition_type = self.schema.type_map.get(condition)
        if isinstance(condition_type, GraphQLUnionType):
            return any(t.name == runtime.name for t in condition_type.types)
        return False

    # -- completion ------------------------------------------------------------------------
    # One closure per position, with its non-null check fused in (no wrapper call per value).
    def complete(self, type_: GraphQLOutputType, nodes: list[FieldNode]) -> Complete:
        if isinstance(type_, GraphQLNonNull):
            return self._complete(type_.of_type, nodes, required=True)
        return self._complete(type_, nodes, required=False)

    def _complete(self, type_: Any, nodes: list[FieldNode], *, required: bool) -> Complete:
        if isinstance(type_, GraphQLList):
            item = self.complete(type_.of_type, nodes)

            def listed(value: Any, ctx: Any) -> Any:
                cls = value.__class__
                if cls is list or cls is tuple:
                    return [item(v, ctx) for v in value]
                if value is None and not required:
                    return None
                raise Fallback  # null in a non-null position, or not a list

            return listed
        if isinstance(type_, GraphQLScalarType | GraphQLEnumType):
            return _leaf(type_, required=required)
        if isinstance(type_, GraphQLObjectType):
            return self._object(type_, nodes, required=required)
        if isinstance(type_, GraphQLUnionType):
            return self._union(type_, nodes, required=required)
        raise _NotCovered  # interfaces: none in the fake's schema

    def _object(
        self, type_: GraphQLObjectType, nodes: list[FieldNode], *, required: bool
    ) -> Complete:
        selections = [node.selection_set for node in nodes]
        native_class, getters = self.natives.types.get(type_.name, (None, {}))
        from_dict: list[tuple[str, Callable[[Any], Any], Complete]] = []
        from_native: list[tuple[str, Getter, Complete]] = []
        type_name = type_.name
        for key, field_nodes in self.collect(type_, selections).items():
            name = field_nodes[0].name.value
            if name == "__typename":
                from_dict.append((key, lambda _source: type_name, _identity))
                from_native.append((key, lambda _source, _ctx: type_name, _identity))
                continue
            definition = type_.fields.get(name)
            if definition is None or definition.args:
                raise _NotCovered  # introspection, or arguments below the root: none here
            sub = self.complete(definition.type, field_nodes)
            from_dict.append((key, _dict_getter(name), sub))
            getter = getters.get(name)
            if native_class is not None:
                if getter is None:
                    raise _NotCovered
                from_native.append((key, getter, sub))
        dict_fields = tuple(from_dict)
        native_fields = tuple(from_native)

        def complete_object(source: Any, ctx: Any) -> Any:
            cls = source.__class__
            if cls is native_class:
                return {key: sub(get(source, ctx), ctx) for key, get, sub in native_fields}
            if cls is dict:
                return {key: sub(get(source), ctx) for key, get, sub in dict_fields}
            if source is None and not required:
                return None
            raise Fallback

        return complete_object

    def _union(
        self, type_: GraphQLUnionType, nodes: list[FieldNode], *, required: bool
    ) -> Complete:
        members = {
            member.name: self._object(member, nodes, required=True) for member in type_.types
        }

        def complete_union(source: Any, ctx: Any) -> Any:
            if source.__class__ is dict:
                member = members.get(source.get("__typename"))  # graphql-core's default
                if member is not None:
                    return member(source, ctx)
            elif source is None and not required:
                return None
            raise Fallback

        return complete_union


def _identity(value: Any, _ctx: Any) -> Any:
    return value


def _dict_getter(name: str) -> Callable[[Any], Any]:
    def get(source: Any) -> Any:
        value = source.get(name)
        if callable(value):
            raise Fallback  # graphql-core's default resolver would call it
        return value

    return get


_INT_MIN, _INT_MAX = -(2**31), 2**31 - 1


def _leaf(type_: GraphQLScalarType | GraphQLEnumType, *, required: bool) -> Complete:
    """graphql-core's ``complete_leaf_value``, with the common cases answered directly."""
    coerce = type_.coerce_output_value

    def general(value: Any) -> Any:
        if value is None:
            if required:
                raise Fallback  # graphql-core reports the null and nulls the parent
            return None
        try:
            coerced = coerce(value)
        except (GraphQLError, TypeError, ValueError) as exc:
            raise Fallback from exc
        if coerced is None or coerced is Undefined:
            raise Fallback
        return coerced

    if isinstance(type_, GraphQLEnumType):
        names = frozenset(name for name, value in type_.values.items() if value.value == name)

        def enum(value: Any, _ctx: Any) -> Any:
            if value.__class__ is str and value in names:
                return value
            return general(value)

        return enum
    if type_.name == "Boolean":

        def boolean(value: Any, _ctx: Any) -> Any:
            if value is True or value is False:
                return value
            return general(value)

        return boolean
    if type_.name == "Int":

        def integer(value: Any, _ctx: Any) -> Any:
            if value.__class__ is int and _INT_MIN <= value <= _INT_MAX:
                return value
            return general(value)

        return integer
    # String, ID, and the custom scalars: a Python str is coerced to itself.
    if coerce("fake-shopify") != "fake-shopify":  # pragma: no cover - a str-changing scalar
        return lambda value, _ctx: general(value)

    def text(value: Any, _ctx: Any) -> Any:
        if value.__class__ is str:
            return value
        return general(value)

    return text
