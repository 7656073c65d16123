"""The GraphQL Admin API schema subset the fake serves, as SDL, per API version.

Written for the fake from Shopify's GraphQL Admin reference
(https://shopify.dev/docs/api/admin-graphql, the 2025-01 ... 2026-07 Admin schemas): only the webhook-subscription roots, ``shop`` and the
installation's access scopes. Root types are named as Shopify names them (``QueryRoot``,
``Mutation``) because validation messages quote them.

Version differences:

- before 2025-10: input ``callbackUrl: URL``; objects expose ``callbackUrl`` and ``endpoint``.
- from 2025-10: ``uri`` (input field, object field, list argument); ``callbackUrl`` and
  ``endpoint`` stay, deprecated ("consolidate webhook GraphQL surfaces" changelog).
- from 2026-04: ``name`` (input and object).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

URI_SINCE = "2025-10"
NAME_SINCE = "2026-04"


@dataclass(frozen=True)
class SchemaFeatures:
    """Which version-dependent parts of the schema a served API version has."""

    uri: bool
    name: bool


@lru_cache(maxsize=64)
def features_for(version: str) -> SchemaFeatures:
    """Features of the schema served for ``version`` (``YYYY-MM`` or ``unstable``)."""
    if version == "unstable":
        return SchemaFeatures(uri=True, name=True)
    # ``YYYY-MM`` strings order lexicographically the same way as chronologically.
    return SchemaFeatures(uri=version >= URI_SINCE, name=version >= NAME_SINCE)


def build_sdl(features: SchemaFeatures, topics: Sequence[str]) -> str:
    """The SDL text for ``features`` with ``topics`` as the ``WebhookSubscriptionTopic`` enum."""
    uri_deprecation = ' @deprecated(reason: "Use `uri` instead.")' if features.uri else ""
    input_uri = "  uri: String\n" if features.uri else ""
    input_name = "  name: String\n" if features.name else ""
    object_uri = "  uri: String!\n" if features.uri else ""
    object_name = "  name: String\n" if features.name else ""
    list_uri_arg = "    uri: String\n" if features.uri else ""
    endpoint_deprecation = ' @deprecated(reason: "Use `uri` instead.")' if features.uri else ""
    callback_deprecation = (
        ' @deprecated(reason: "Use `uri` instead.")'
        if features.uri
        else ' @deprecated(reason: "Use `endpoint` instead.")'
    )
    topic_values = "\n".join(f"  {name}" for name in topics)
    return f"""\
schema {{
  query: QueryRoot
  mutation: Mutation
}}

scalar ARN
scalar DateTime
scalar URL
scalar UnsignedInt64

type QueryRoot {{
  currentAppInstallation: AppInstallation!
  shop: Shop!
  webhookSubscription(id: ID!): WebhookSubscription
  webhookSubscriptions(
    after: String
    before: String
    callbackUrl: URL{uri_deprecation}
    first: Int
    format: WebhookSubscriptionFormat
    last: Int
    query: String
    reverse: Boolean = false
    sortKey: WebhookSubscriptionSortKeys = CREATED_AT
    topics: [WebhookSubscriptionTopic!]
{list_uri_arg}  ): WebhookSubscriptionConnection!
  webhookSubscriptionsCount(limit: Int = 10000, query: String): Count
}}

type Mutation {{
  webhookSubscriptionCreate(
    topic: WebhookSubscriptionTopic!
    webhookSubscription: WebhookSubscriptionInput!
  ): WebhookSubscriptionCreatePayload
  webhookSubscriptionDelete(id: ID!): WebhookSubscriptionDeletePayload
  webhookSubscriptionUpdate(
    id: ID!
    webhookSubscription: WebhookSubscriptionInput!
  ): WebhookSubscriptionUpdatePayload
}}

type AccessScope {{
  description: String!
  handle: String!
}}

type ApiVersion {{
  displayName: String!
  handle: String!
  supported: Boolean!
}}

type App {{
  apiKey: String!
  handle: String
  id: ID!
  title: String!
}}

type AppInstallation {{
  accessScopes: [AccessScope!]!
  app: App!
  id: ID!
}}

type Count {{
  count: Int!
  precision: CountPrecision!
}}

enum CountPrecision {{
  AT_LEAST
  EXACT
}}

type PageInfo {{
  endCursor: String
  hasNextPage: Boolean!
  hasPreviousPage: Boolean!
  startCursor: String
}}

type Shop {{
  currencyCode: String!
  email: String!
  ianaTimezone: String!
  id: ID!
  myshopifyDomain: String!
  name: String!
  plan: ShopPlan!
  timezoneOffset: String!
  url: URL!
}}

type ShopPlan {{
  displayName: String!
  partnerDevelopment: Boolean!
  shopifyPlus: Boolean!
}}

type UserError {{
  field: [String!]
  message: String!
}}

input HasMetafieldsMetafieldIdentifierInput {{
  key: String!
  namespace: String!
}}

type WebhookEventBridgeEndpoint {{
  arn: ARN!
}}

type WebhookHttpEndpoint {{
  callbackUrl: URL!
}}

type WebhookPubSubEndpoint {{
  pubSubProject: String!
  pubSubTopic: String!
}}

type WebhookSubscription {{
  apiVersion: ApiVersion!
  callbackUrl: URL!{callback_deprecation}
  createdAt: DateTime!
  endpoint: WebhookSubscriptionEndpoint!{endpoint_deprecation}
  filter: String
  format: WebhookSubscriptionFormat!
  id: ID!
  includeFields: [String!]!
  legacyResourceId: UnsignedInt64!
  metafieldNamespaces: [String!]!
  metafields: [WebhookSubscriptionMetafieldIdentifier!]!
{object_name}  topic: WebhookSubscriptionTopic!
  updatedAt: DateTime!
{object_uri}}}

type WebhookSubscriptionConnection {{
  edges: [WebhookSubscriptionEdge!]!
  nodes: [WebhookSubscription!]!
  pageInfo: PageInfo!
}}

type WebhookSubscriptionCreatePayload {{
  userErrors: [UserError!]!
  webhookSubscription: WebhookSubscription
}}

type WebhookSubscriptionDeletePayload {{
  deletedWebhookSubscriptionId: ID
  userErrors: [UserError!]!
}}

type WebhookSubscriptionEdge {{
  cursor: String!
  node: WebhookSubscription!
}}

union WebhookSubscriptionEndpoint = WebhookEventBridgeEndpoint | WebhookHttpEndpoint | WebhookPubSubEndpoint

enum WebhookSubscriptionFormat {{
  JSON
  XML
}}

input WebhookSubscriptionInput {{
  callbackUrl: URL{uri_deprecation}
  filter: String
  format: WebhookSubscriptionFormat
  includeFields: [String!]
  metafieldNamespaces: [String!]
  metafields: [HasMetafieldsMetafieldIdentifierInput!]
{input_name}{input_uri}}}

type WebhookSubscriptionMetafieldIdentifier {{
  key: String!
  namespace: String!
}}

enum WebhookSubscriptionSortKeys {{
  CREATED_AT
  ID
}}

enum WebhookSubscriptionTopic {{
{topic_values}
}}

type WebhookSubscriptionUpdatePayload {{
  userErrors: [UserError!]!
  webhookSubscription: WebhookSubscription
}}
"""
