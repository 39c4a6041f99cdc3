"""What every operation of the schema goes through: limits, error masking, the mutation audit.

`build_schema` applies all of it; a schema built in a test with `schema_options(settings)`
behaves as the product's does."""

from __future__ import annotations

from typing import Any

from strawberry.schema.config import StrawberryConfig

from gateway.settings import Settings
from schema.execution import planned_executor
from schema.extensions.audit import MutationAudit, audit_mutations
from schema.extensions.limits import PageSizeLimit, limit_extensions
from schema.extensions.masking import GatewaySchema, is_ours_to_show
from schema.extensions.observability import OperationObserver


def schema_config(settings: Settings) -> StrawberryConfig:
    return StrawberryConfig(
        # "Did you mean ...?" reveals the schema as introspection would.
        disable_field_suggestions=not settings.introspection_enabled,
        batching_config={"max_operations": settings.graphql_max_batch_operations},
        relay_max_results=settings.graphql_max_page_size,
    )


def schema_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments of `GatewaySchema` that carry the security settings, and the
    executor: with a cache of execution plans of its own, unless they are turned off."""
    options: dict[str, Any] = {
        # The observer first: it times and traces everything the others do.
        "extensions": [OperationObserver, *limit_extensions(settings)],
        "config": schema_config(settings),
        "mask_errors": not settings.is_dev,
        "suggestions": settings.introspection_enabled,
    }
    if settings.graphql_execution_plans:
        options["execution_context_class"] = planned_executor()
    return options


__all__ = [
    "GatewaySchema",
    "MutationAudit",
    "OperationObserver",
    "PageSizeLimit",
    "audit_mutations",
    "is_ours_to_show",
    "schema_config",
    "schema_options",
]
