"""Validation and variable errors in the shapes Shopify's GraphQL server (graphql-ruby) sends.

graphql-core validates the document; this module replaces the rules whose errors clients see
most often with rules that word and shape them as Shopify does (reference section 4, "GraphQL
transport errors", and the 2025-01/2026-04 captures of the draft proxy):

- ``missingRequiredArguments``: "Field 'x' is missing required arguments: a, b"
- ``argumentLiteralsIncompatible``: "Argument 'a' on Field 'x' has an invalid value (V).
  Expected type 'T'."
- ``undefinedField``: "Field 'x' doesn't exist on type 'T'"
- ``argumentNotAccepted``: "Field 'x' doesn't accept argument 'a'"
- ``selectionMismatch``: missing or forbidden sub-selections
- ``INVALID_VARIABLE``: "Variable $v of type T was provided invalid value", with ``problems``

Each error carries graphql-ruby's ``path``: the operation as ``"mutation Name"`` (or just the
operation type when anonymous), then field names, then the argument name.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from graphql import (
    BooleanValueNode,
    EnumValueNode,
    FieldNode,
    FloatValueNode,
    FragmentDefinitionNode,
    GraphQLEnumType,
    GraphQLError,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
    GraphQLSchema,
    IntValueNode,
    Lexer,
    ListValueNode,
    NullValueNode,
    ObjectValueNode,
    OperationDefinitionNode,
    Source,
    StringValueNode,
    TokenKind,
    ValidationRule,
    ValueNode,
    VariableDefinitionNode,
    VariableNode,
    get_named_type,
    is_leaf_type,
    is_required_argument,
    is_required_input_field,
    print_ast,
    specified_rules,
    type_from_ast,
)
from graphql.validation import (
    ASTValidationRule,
    FieldsOnCorrectTypeRule,
    KnownArgumentNamesRule,
    ProvidedRequiredArgumentsRule,
    ScalarLeafsRule,
    ValuesOfCorrectTypeRule,
)

ErrorDict = dict[str, Any]

MAX_INPUT_ITEMS = 250
"""Shopify's documented bound on input arrays ("Input arguments that accept an array have a
maximum size of 250 for all APIs"): more is ``MAX_INPUT_SIZE_EXCEEDED``."""


def input_size_message(size: int) -> str:
    return (
        f"The input array size of {size} is greater than the maximum allowed of {MAX_INPUT_ITEMS}."
    )


def _oversized_list(value: ValueNode, path: list[str]) -> tuple[int, list[str]] | None:
    """The first list literal in ``value`` longer than 250 items: (its size, its path)."""
    if isinstance(value, ListValueNode):
        if len(value.values) > MAX_INPUT_ITEMS:
            return len(value.values), path
        for item in value.values:
            found = _oversized_list(item, path)
            if found is not None:
                return found
    elif isinstance(value, ObjectValueNode):
        for field in value.fields:
            found = _oversized_list(field.value, [*path, field.name.value])
            if found is not None:
                return found
    return None


class ShopifyValidationRule(ValidationRule):
    """The replaced rules in one visitor, because all of them need the graphql-ruby path."""

    def __init__(self, context: Any) -> None:
        super().__init__(context)
        self._path: list[str] = []

    # -- path tracking ---------------------------------------------------------------------
    def enter_operation_definition(self, node: OperationDefinitionNode, *_: Any) -> None:
        kind = node.operation.value
        self._path = [f"{kind} {node.name.value}" if node.name else kind]

    def enter_fragment_definition(self, node: FragmentDefinitionNode, *_: Any) -> None:
        self._path = [f"fragment {node.name.value}"]

    def enter_variable_definition(self, node: VariableDefinitionNode, *_: Any) -> None:
        # graphql-core's ValuesOfCorrectTypeRule (replaced) checked default values; unchecked,
        # a bad one failed at execution as an internal error.
        default = node.default_value
        var_type = type_from_ast(self.context.schema, node.type)
        if default is None or var_type is None:
            return  # an unknown type is KnownTypeNamesRule's to report
        if _literal_problem(default, var_type) is None:  # type: ignore[arg-type]
            return
        named = get_named_type(var_type)
        self._report(
            f"Could not coerce value {print_ast(default)} to {named.name}",
            node,
            {
                "code": "defaultValueInvalidType",
                "variableName": node.variable.name.value,
                "typeName": named.name,
            },
        )

    def enter_field(self, node: FieldNode, *_: Any) -> None:
        self._path.append(node.name.value)
        parent = self.context.get_parent_type()
        field_def = self.context.get_field_def()
        name = node.name.value
        if parent is not None and field_def is None and not name.startswith("__"):
            self._report(
                f"Field '{name}' doesn't exist on type '{parent.name}'",
                node,
                {"code": "undefinedField", "typeName": parent.name, "fieldName": name},
            )
            return
        if field_def is None:
            return
        self._check_arguments(node, field_def)
        self._check_selections(node)

    def leave_field(self, *_: Any) -> None:
        self._path.pop()

    # -- the checks ------------------------------------------------------------------------
    def _check_arguments(self, node: FieldNode, field_def: Any) -> None:
        name = node.name.value
        given = {arg.name.value: arg for arg in node.arguments or ()}
        for arg_name, arg_node in given.items():
            if arg_name not in field_def.args:
                self._report(
                    f"Field '{name}' doesn't accept argument '{arg_name}'",
                    arg_node,
                    {
                        "code": "argumentNotAccepted",
                        "name": name,
                        "typeName": "Field",
                        "argumentName": arg_name,
                    },
                    extra_path=[arg_name],
                )
        missing = [
            arg_name
            for arg_name, arg in field_def.args.items()
            if is_required_argument(arg) and arg_name not in given
        ]
        if missing:
            joined = ", ".join(missing)
            self._report(
                f"Field '{name}' is missing required arguments: {joined}",
                node,
                {
                    "code": "missingRequiredArguments",
                    "className": "Field",
                    "name": name,
                    "arguments": joined,
                },
            )
        for arg_name, arg_node in given.items():
            oversized = _oversized_list(arg_node.value, [arg_name])
            if oversized is not None:
                # The path of the captures: fields from the root, then the argument [I].
                size, where = oversized
                error = GraphQLError(
                    input_size_message(size),
                    arg_node,
                    extensions={"code": "MAX_INPUT_SIZE_EXCEEDED"},
                )
                error.shopify_path = [*self._path[1:], *where]  # type: ignore[attr-defined]
                self.report_error(error)
                continue
            arg = field_def.args.get(arg_name)
            if arg is None:
                continue
            bad = _literal_problem(arg_node.value, arg.type)
            if bad is None:
                continue
            owner, owner_kind, bad_name, bad_type, bad_value, bad_path = bad
            if owner_kind == "Field":
                owner, bad_name, bad_type, bad_value = name, arg_name, arg.type, arg_node.value
            self._report(
                f"Argument '{bad_name}' on {owner_kind} '{owner}' has an invalid value "
                f"({print_ast(bad_value)}). Expected type '{bad_type}'.",
                node,
                {
                    "code": "argumentLiteralsIncompatible",
                    "typeName": owner_kind,
                    "argumentName": bad_name,
                },
                extra_path=[arg_name, *bad_path],
            )

    def _check_selections(self, node: FieldNode) -> None:
        field_type = self.context.get_type()
        if field_type is None:
            return
        named = get_named_type(field_type)
        name = node.name.value
        if is_leaf_type(named) and node.selection_set:
            chosen = ", ".join(
                s.name.value for s in node.selection_set.selections if isinstance(s, FieldNode)
            )
            self._report(
                f"Selections can't be made on scalars (field '{name}' returns {named.name} "
                f"but has selections [{chosen}])",
                node,
                {
                    "code": "selectionMismatch",
                    "nodeName": f"field '{name}'",
                    "typeName": named.name,
                },
            )
        elif not is_leaf_type(named) and not node.selection_set:
            self._report(
                f"Field must have selections (field '{name}' returns {named.name} but has no "
                f"selections. Did you mean '{name} {{ ... }}'?)",
                node,
                {
                    "code": "selectionMismatch",
                    "nodeName": f"field '{name}'",
                    "typeName": named.name,
                },
            )

    def _report(
        self,
        message: str,
        node: Any,
        extensions: dict[str, Any],
        *,
        extra_path: list[str] | None = None,
    ) -> None:
        error = GraphQLError(message, node, extensions=extensions)
        # graphql-core's GraphQLError.path is for execution paths; the graphql-ruby path of a
        # static error travels in an attribute the renderer reads.
        error.shopify_path = [*self._path, *(extra_path or [])]  # type: ignore[attr-defined]
        self.report_error(error)


LiteralProblem = tuple[str, str, str, Any, ValueNode, list[str]]


def _literal_problem(value: ValueNode, type_: GraphQLInputType) -> LiteralProblem | None:
    """Why the literal ``value`` does not fit ``type_``, or ``None`` when it does.

    Returns (owner name, owner kind "Field" | "InputObject", argument name, expected type,
    offending value, path below the argument). Variables are checked at execution time.
    """
    if isinstance(value, VariableNode):
        return None
    if isinstance(type_, GraphQLNonNull):
        if isinstance(value, NullValueNode):
            return ("", "Field", "", type_, value, [])
        return _literal_problem(value, type_.of_type)
    if isinstance(value, NullValueNode):
        return None
    if isinstance(type_, GraphQLList):
        items = value.values if isinstance(value, ListValueNode) else (value,)
        for item in items:
            problem = _literal_problem(item, type_.of_type)
            if problem is not None:
                return problem
        return None
    if isinstance(type_, GraphQLInputObjectType):
        if not isinstance(value, ObjectValueNode):
            return ("", "Field", "", type_, value, [])
        given = {f.name.value: f for f in value.fields}
        for field_name, field_node in given.items():
            field_def = type_.fields.get(field_name)
            if field_def is None:
                return ("", "Field", "", type_, value, [])
            inner = _literal_problem(field_node.value, field_def.type)
            if inner is not None:
                _, kind, _, _, _, sub_path = inner
                if kind == "Field":
                    return (
                        type_.name,
                        "InputObject",
                        field_name,
                        field_def.type,
                        field_node.value,
                        [field_name],
                    )
                return (*inner[:5], [field_name, *sub_path])
        for field_name, field_def in type_.fields.items():
            if is_required_input_field(field_def) and field_name not in given:
                return ("", "Field", "", type_, value, [])
        return None
    if isinstance(type_, GraphQLEnumType):
        if isinstance(value, EnumValueNode) and value.value in type_.values:
            return None
        return ("", "Field", "", type_, value, [])
    if isinstance(type_, GraphQLScalarType):
        if _scalar_literal_ok(value, type_):
            return None
        return ("", "Field", "", type_, value, [])


def _scalar_literal_ok(value: ValueNode, type_: GraphQLScalarType) -> bool:
    name = type_.name
    if name == "Int":
        # The length first: int() refuses strings past Python's int-string conversion limit.
        return (
            isinstance(value, IntValueNode)
            and len(value.value) <= 11
            and -(2**31) <= int(value.value) < 2**31
        )
    if name == "Float":
        return isinstance(value, IntValueNode | FloatValueNode)
    if name == "Boolean":
        return isinstance(value, BooleanValueNode)
    if name == "ID":
        return isinstance(value, StringValueNode | IntValueNode)
    if not isinstance(value, StringValueNode):
        return False
    try:
        type_.parse_value(value.value)
    except (GraphQLError, ValueError, TypeError):
        return False
    return True


REPLACED_RULES = (
    FieldsOnCorrectTypeRule,
    KnownArgumentNamesRule,
    ProvidedRequiredArgumentsRule,
    ScalarLeafsRule,
    ValuesOfCorrectTypeRule,
)

VALIDATION_RULES: tuple[type[ASTValidationRule], ...] = (
    ShopifyValidationRule,
    *(rule for rule in specified_rules if rule not in REPLACED_RULES),
)
"""graphql-core's specified rules, with the ones Shopify words differently replaced."""


def render_static_error(error: GraphQLError) -> ErrorDict:
    """A validation or parse error as Shopify renders it."""
    rendered: ErrorDict = {"message": error.message}
    if error.locations:
        rendered["locations"] = [
            {"line": loc.line, "column": loc.column} for loc in error.locations
        ]
    path = getattr(error, "shopify_path", None)
    if path is not None:
        rendered["path"] = list(path)
    if error.extensions:
        rendered["extensions"] = dict(error.extensions)
    return rendered


def render_parse_error(error: GraphQLError, source: str) -> ErrorDict:
    """A syntax error in graphql-ruby's words (``syntax error, unexpected ... at [l, c]``).

    At the end of the document graphql-ruby points at the last token it read, not past it.
    """
    line, column = (
        (error.locations[0].line, error.locations[0].column) if error.locations else (1, 1)
    )
    detail = error.message.removeprefix("Syntax Error: ")
    if "<EOF>" in detail:
        unexpected = "end of file"
        last = _last_token(source)
        if last is not None:
            line, column = last
    else:
        unexpected = detail.removeprefix("Unexpected ").removeprefix("Expected ").rstrip(".")
    return {
        "message": f"syntax error, unexpected {unexpected} at [{line}, {column}]",
        "locations": [{"line": line, "column": column}],
        "extensions": {"code": "PARSE_ERROR"},
    }


def _last_token(source: str) -> tuple[int, int] | None:
    lexer = Lexer(Source(source))
    last: tuple[int, int] | None = None
    try:
        token = lexer.advance()
        while token.kind != TokenKind.EOF:
            last = (token.line, token.column)
            token = lexer.advance()
    except GraphQLError:
        pass
    return last


# -- variables -----------------------------------------------------------------------------


class VariableProblem(Exception):
    """One variable's value does not fit its declared type (graphql-ruby ``problems``)."""

    def __init__(self, problems: list[dict[str, Any]]) -> None:
        super().__init__(problems)
        self.problems = problems


def coerce_variables(
    schema: GraphQLSchema,
    definitions: tuple[VariableDefinitionNode, ...],
    inputs: Mapping[str, Any],
) -> tuple[dict[str, Any], list[ErrorDict]]:
    """Check ``inputs`` against the operation's variable definitions, as graphql-ruby does.

    Returns the values to execute with (as given: graphql-core coerces them again) and the
    Shopify-shaped errors, one per invalid variable.
    """
    errors: list[ErrorDict] = []
    values: dict[str, Any] = {}
    for definition in definitions:
        name = definition.variable.name.value
        var_type = type_from_ast(schema, definition.type)
        if var_type is None:
            continue  # unknown type: validation already reported it
        present = name in inputs
        value = inputs.get(name)
        if not present and definition.default_value is not None:
            continue
        problems = _value_problems(value, var_type, [])
        if not problems:
            if present:
                values[name] = value
            continue
        message = (
            f"Variable ${name} of type {print_ast(definition.type)} was provided invalid value"
        )
        named = [p for p in problems if p["path"]]
        if named:
            message += " for " + ", ".join(
                f"{'.'.join(str(s) for s in p['path'])} ({p['explanation']})" for p in named
            )
        errors.append(
            {
                "message": message,
                "locations": [
                    {"line": loc.line, "column": loc.column}
                    for loc in (GraphQLError("", definition).locations or [])
                ],
                "extensions": {"code": "INVALID_VARIABLE", "value": value, "problems": problems},
            }
        )
    return values, errors


def _value_problems(value: Any, type_: Any, path: list[str | int]) -> list[dict[str, Any]]:
    if isinstance(type_, GraphQLNonNull):
        if value is None:
            return [{"path": path, "explanation": "Expected value to not be null"}]
        return _value_problems(value, type_.of_type, path)
    if value is None:
        return []
    if isinstance(type_, GraphQLList):
        items = value if isinstance(value, list) else [value]
        if len(items) > MAX_INPUT_ITEMS:  # before walking them: a body may hold millions
            return [{"path": path, "explanation": input_size_message(len(items))}]
        out: list[dict[str, Any]] = []
        for index, item in enumerate(items):
            out.extend(
                _value_problems(
                    item, type_.of_type, [*path, index] if isinstance(value, list) else path
                )
            )
        return out
    if isinstance(type_, GraphQLInputObjectType):
        if not isinstance(value, Mapping):
            return [
                {
                    "path": path,
                    "explanation": f"Expected {ruby_inspect(value)} to be a key-value object.",
                }
            ]
        out = []
        for key in value:
            if key not in type_.fields:
                out.append(
                    {"path": [*path, key], "explanation": f"Field is not defined on {type_.name}"}
                )
        for field_name, field in type_.fields.items():
            out.extend(_value_problems(value.get(field_name), field.type, [*path, field_name]))
        return out
    if isinstance(type_, GraphQLEnumType):
        if isinstance(value, str) and value in type_.values:
            return []
        allowed = ", ".join(type_.values)
        return [
            {
                "path": path,
                "explanation": f"Expected {ruby_inspect(value)} to be one of: {allowed}",
            }
        ]
    if isinstance(type_, GraphQLScalarType):
        return _scalar_problems(value, type_, path)
    return []


def _scalar_problems(
    value: Any, type_: GraphQLScalarType, path: list[str | int]
) -> list[dict[str, Any]]:
    name = type_.name
    ok: bool
    if name == "Int":
        ok = isinstance(value, int) and not isinstance(value, bool) and -(2**31) <= value < 2**31
    elif name == "Float":
        ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    elif name == "Boolean":
        ok = isinstance(value, bool)
    elif name == "ID":
        ok = isinstance(value, str) or (isinstance(value, int) and not isinstance(value, bool))
    elif name == "String":
        ok = isinstance(value, str)
    else:
        try:
            type_.parse_value(value)
        except GraphQLError as error:
            return [{"path": path, "explanation": error.message}]
        except (ValueError, TypeError):
            ok = False
        else:
            ok = True
    if ok:
        return []
    return [
        {"path": path, "explanation": f"Could not coerce value {ruby_inspect(value)} to {name}"}
    ]


def ruby_inspect(value: Any) -> str:
    """Values in explanations are printed as Ruby's ``inspect`` would (strings quoted)."""
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        inner = ", ".join(f"{ruby_inspect(k)}=>{ruby_inspect(v)}" for k, v in value.items())
        return "{" + inner + "}"
    if isinstance(value, list):
        return "[" + ", ".join(ruby_inspect(v) for v in value) + "]"
    return repr(value)
