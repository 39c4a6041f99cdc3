"""Checks of a whole HTTP request, every operation of a batch at once, before any of it runs.

- Which operation: a document of several operations names the one to run (`operationName`),
  as the GraphQL specification requires; none is picked for the client.
- Roles: every field any operation selects (fragments included) that declares a role the
  caller lacks refuses the whole request: nothing runs, not even the allowed fields before it.
- Cost: how many objects the answers may hold (`schema.extensions.shape`), summed over the
  batch, within `GRAPHQL_MAX_COST`; the per-key rate limit is charged by cost, one point per
  `OBJECTS_PER_POINT` objects and at least one per operation (the gate took the first).

Documents that do not parse, or name an operation they lack, pass through: the execution
reports those as usual. Everything here costs time linear in the size of the documents.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from graphql import GraphQLError, GraphQLSchema, OperationDefinitionNode
from redis.exceptions import RedisError

from gateway.auth.roles import Caller
from gateway.security.ratelimit import RateLimiter
from gateway.services import Services
from gateway.settings import Settings
from schema.extensions.audit import record_refusals
from schema.extensions.limits import parse_document
from schema.extensions.shape import Shape, measure, operations
from schema.pagination import DEFAULT_PAGE_SIZE
from schema.permissions import role_refusal

log = logging.getLogger(__name__)

OBJECTS_PER_POINT = 100
COST_LIMIT_EXCEEDED = "COST_LIMIT_EXCEEDED"
OPERATION_NAME_REQUIRED = "OPERATION_NAME_REQUIRED"


@dataclass(frozen=True, slots=True)
class PlannedOperation:
    """One operation of the request as the client sent it."""

    query: object
    variables: Mapping[str, Any] | None
    operation_name: object


@dataclass
class Refusal:
    """Why the request runs nothing: one error per operation of the request, and the HTTP
    status for each media type (`application/json` answers GraphQL errors with 200)."""

    code: str
    errors: list[str]
    status: int
    json_status: int = 200
    extensions: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)

    def bodies(self) -> list[dict[str, Any]]:
        return [
            {"errors": [{"message": message, "extensions": {"code": self.code, **self.extensions}}]}
            for message in self.errors
        ]


@dataclass(frozen=True, slots=True)
class _Measured:
    operation: OperationDefinitionNode | None
    shape: Shape | None
    problem: str | None = None


async def preflight(
    schema: GraphQLSchema,
    settings: Settings,
    requested: Sequence[PlannedOperation],
    *,
    services: Services,
    caller: Caller | None,
    limiter: RateLimiter | None,
) -> Refusal | None:
    measured = [_measure(schema, settings, item) for item in requested]
    problems = [m.problem for m in measured]
    if any(problems):
        return Refusal(
            OPERATION_NAME_REQUIRED,
            [p or _not_run(problems) for p in problems],
            status=400,
            json_status=400,
        )
    forbidden = await _roles(schema, services, caller, requested, measured)
    if forbidden is not None:
        return forbidden
    cost = sum(max(1, m.shape.cost if m.shape else 1) for m in measured)
    if cost > settings.graphql_max_cost:
        message = (
            f"This request may answer with {cost} objects (page sizes x hops x aliases x "
            f"operations); at most {settings.graphql_max_cost} are allowed: ask for smaller "
            "pages or fewer of them."
        )
        return Refusal(
            COST_LIMIT_EXCEEDED,
            [message] * len(requested),
            status=400,
            extensions={"cost": cost, "maxCost": settings.graphql_max_cost},
        )
    return await _charge(caller, limiter, cost, len(requested), settings)


def _measure(schema: GraphQLSchema, settings: Settings, item: PlannedOperation) -> _Measured:
    if not isinstance(item.query, str) or not item.query:
        return _Measured(None, None)
    try:
        document = parse_document(item.query, settings.graphql_max_tokens)
    except GraphQLError:
        return _Measured(None, None)
    found = operations(document)
    if item.operation_name is None and len(found) > 1:
        names = ", ".join(op.name.value if op.name else "(anonymous)" for op in found)
        return _Measured(
            None,
            None,
            f"The document holds {len(found)} operations ({names}): "
            "say which one to run with operationName.",
        )
    operation = _selected(found, item.operation_name)
    if operation is None:
        return _Measured(None, None)
    variables = item.variables if isinstance(item.variables, Mapping) else None
    shape = measure(schema, document, operation, variables, default_page_size=DEFAULT_PAGE_SIZE)
    return _Measured(operation, shape)


def _selected(found: list[OperationDefinitionNode], name: object) -> OperationDefinitionNode | None:
    if name is None:
        return found[0] if found else None
    return next((op for op in found if op.name is not None and op.name.value == name), None)


def _not_run(problems: Sequence[str | None]) -> str:
    culprits = ", ".join(str(i) for i, problem in enumerate(problems) if problem)
    return f"Not run: the batch was refused for its operation(s) {culprits}."


async def _roles(
    schema: GraphQLSchema,
    services: Services,
    caller: Caller | None,
    requested: Sequence[PlannedOperation],
    measured: Sequence[_Measured],
) -> Refusal | None:
    refusals: list[GraphQLError | None] = []
    mutation_root = schema.mutation_type.name if schema.mutation_type else None
    for item, m in zip(requested, measured, strict=True):
        refusal = None
        refused_mutations: list[str] = []
        for coordinate, role in m.shape.roles.items() if m.shape else ():
            error = role_refusal(caller, role)
            if error is None:
                continue
            refusal = refusal or error
            parent, _, name = coordinate.partition(".")
            if parent == mutation_root:
                refused_mutations.append(name)
        refusals.append(refusal)
        if refused_mutations and m.operation is not None:
            await record_refusals(
                services,
                caller,
                refused_mutations,
                operation_name=m.operation.name.value if m.operation.name else None,
                variables=item.variables if isinstance(item.variables, Mapping) else None,
                code="FORBIDDEN",
            )
    first = next((r for r in refusals if r is not None), None)
    if first is None:
        return None
    code = str((first.extensions or {}).get("code", "FORBIDDEN"))
    culprits = [None if r is None else r.message for r in refusals]
    return Refusal(
        code,
        [message or _not_run(culprits) for message in culprits],
        status=401 if code == "UNAUTHENTICATED" else 403,
    )


async def _charge(
    caller: Caller | None,
    limiter: RateLimiter | None,
    cost: int,
    operations_count: int,
    settings: Settings,
) -> Refusal | None:
    if limiter is None or caller is None or not limiter.enabled:
        return None
    points = max(operations_count, math.ceil(cost / OBJECTS_PER_POINT))
    if points <= 1:  # the gate took the request's first point
        return None
    try:
        decision = await limiter.hit(caller.key_id, points - 1)
    except RedisError as exc:
        log.warning("rate limit not applied: Redis failed (%s)", type(exc).__name__)
        return None
    if decision.allowed:
        return None
    log.info("rate limit reached for API key '%s'", caller.name)
    message = (
        f"The API key '{caller.name}' used more than {decision.limit} points in "
        f"{settings.api_rate_window_seconds}s (this request costs {points}); retry after "
        f"{decision.retry_after_seconds}s."
    )
    return Refusal(
        "RATE_LIMITED",
        [message] * operations_count,
        status=429,
        json_status=429,
        extensions={"cost": cost},
        headers={"Retry-After": str(decision.retry_after_seconds)},
    )
