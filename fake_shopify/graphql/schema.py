"""Executable graphql-core schemas built from the SDL of ``sdl.py``, one per version variant."""

from __future__ import annotations

from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from graphql import GraphQLError, GraphQLScalarType, GraphQLSchema, build_schema

from fake_shopify.graphql.sdl import SchemaFeatures, build_sdl
from fake_shopify.graphql.validation import ruby_inspect


def parse_url(value: Any) -> str:
    """Shopify's ``URL`` scalar: a string with a scheme (reference section 4, "Bad URL")."""
    if not isinstance(value, str):
        raise GraphQLError(f"Could not coerce value {ruby_inspect(value)} to URL")
    if not urlsplit(value).scheme:
        raise GraphQLError(f"Invalid url '{value}', missing scheme")
    return value


@lru_cache(maxsize=16)
def schema_for(features: SchemaFeatures, topics: tuple[str, ...]) -> GraphQLSchema:
    """The schema for a version variant and topic enum.

    Cached because building and validating a schema costs milliseconds and fakes are created
    per test and per Hypothesis example; the schema is never mutated after this function, so
    sharing it between fakes shares no state.
    """
    schema = build_schema(build_sdl(features, topics))
    url = schema.type_map["URL"]
    assert isinstance(url, GraphQLScalarType)
    url.parse_value = parse_url  # type: ignore[method-assign]
    return schema
