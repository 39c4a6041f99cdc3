"""The GraphQL schema of the gateway: types, queries, mutations, loaders and errors."""

from __future__ import annotations

import copy

import strawberry
from strawberry.tools import merge_types

from gateway.settings import Settings
from schema.extensions import GatewaySchema, audit_mutations, schema_options
from schema.extensions.partial_results import PartialResults
from schema.mutations.api_keys import ApiKeyMutation
from schema.mutations.couplings import CouplingMutation
from schema.mutations.jobs import JobQueueMutation
from schema.mutations.lifecycles import LifecycleMutation
from schema.mutations.mappings import MappingMutation
from schema.mutations.matching import MatchingMutation
from schema.mutations.sync import SyncMutation
from schema.queries.accounts import AccountQuery
from schema.queries.api_keys import ApiKeyQuery
from schema.queries.couplings import CouplingQuery
from schema.queries.customers import CustomerQuery
from schema.queries.documents import DocumentQuery
from schema.queries.integration_log import IntegrationLogQuery
from schema.queries.jobs import JobQueueQuery
from schema.queries.lifecycles import LifecycleQuery
from schema.queries.mappings import MappingQuery
from schema.queries.node import NodeQuery
from schema.queries.sync import SyncQuery
from schema.queries.system import SystemQuery
from schema.queries.viewer import ViewerQuery
from schema.subscriptions import Subscription

# Each domain area contributes one query class; adding an area is one line here.
QUERY_TYPES: tuple[type, ...] = (
    SystemQuery,
    ViewerQuery,
    ApiKeyQuery,
    IntegrationLogQuery,
    NodeQuery,
    AccountQuery,
    CustomerQuery,
    CouplingQuery,
    MappingQuery,
    SyncQuery,
    LifecycleQuery,
    JobQueueQuery,
    DocumentQuery,
)
MUTATION_TYPES: tuple[type, ...] = (
    ApiKeyMutation,
    CouplingMutation,
    MatchingMutation,
    MappingMutation,
    SyncMutation,
    LifecycleMutation,
    JobQueueMutation,
)


def build_schema(
    settings: Settings,
    *,
    query_types: tuple[type, ...] = QUERY_TYPES,
    mutation_types: tuple[type, ...] = MUTATION_TYPES,
    subscription: type | None = Subscription,
) -> strawberry.Schema:
    """The schema with the security settings applied: limits, error masking, and an audit
    entry for every mutation call. Tests may add types to see the same treatment."""
    query = _merge("Query", query_types)
    mutation = _merge("Mutation", mutation_types) if mutation_types else None
    if mutation is not None:
        audit_mutations(mutation)
    options = schema_options(settings)
    # The errors of systems that did not answer, beside the fields that did (documents).
    options["extensions"] = [*options["extensions"], PartialResults]
    return GatewaySchema(query=query, mutation=mutation, subscription=subscription, **options)


def _merge(name: str, types: tuple[type, ...]) -> type:
    """One root type of `types`' fields, as copies: building a schema changes its fields
    (relay's `node` field gets its resolver, mutations their audit), and a process may build
    several schemas (tests do)."""
    merged = merge_types(name, types)
    definition = merged.__strawberry_definition__  # type: ignore[attr-defined]
    definition.fields = [copy.copy(field) for field in definition.fields]
    return merged
