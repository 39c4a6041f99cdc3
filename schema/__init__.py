"""The GraphQL schema of the gateway: types, queries, mutations, loaders and errors."""

from __future__ import annotations

import strawberry
from strawberry.tools import merge_types

from gateway.settings import Settings
from schema.queries.system import SystemQuery

# Each domain area contributes one query class; adding an area is one line here.
QUERY_TYPES: tuple[type, ...] = (SystemQuery,)
MUTATION_TYPES: tuple[type, ...] = ()


def build_schema(settings: Settings) -> strawberry.Schema:
    query = merge_types("Query", QUERY_TYPES)
    mutation = merge_types("Mutation", MUTATION_TYPES) if MUTATION_TYPES else None
    return strawberry.Schema(query=query, mutation=mutation)
