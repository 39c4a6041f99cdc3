"""Every mutation call goes to the integration log: who, which mutation, with what (secrets
redacted), how it ended (ok, the user error codes, or the error code) and how long it took.

`audit_mutations` attaches `MutationAudit` to every field of the Mutation type when the schema
is built, so a mutation added later is audited without its author doing anything. Wrapping
the field (outside its permission check) rather than every resolver of every request costs
queries nothing, and sees the payload's `userErrors` whether or not the client selected them.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable
from datetime import datetime
from enum import Enum
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import FieldExtension
from strawberry.types.base import has_object_definition
from strawberry.utils.await_maybe import await_maybe

from gateway.security.redaction import redact, secret_values
from gateway.store.integration_log import (
    EntryKind,
    IntegrationLog,
    LogEntry,
    Outcome,
    ResultStatus,
)
from schema.context import Info

log = logging.getLogger(__name__)

ANONYMOUS = "(anonymous)"


class MutationAudit(FieldExtension):
    async def resolve_async(
        self, next_: Callable[..., Awaitable[Any]], source: Any, info: Info, **kwargs: Any
    ) -> Any:
        started = time.perf_counter()
        try:
            result = await await_maybe(next_(source, info, **kwargs))
        except Exception as exc:
            await _record(info, kwargs, _failure(exc), started)
            raise
        await _record(info, kwargs, _outcome(result), started)
        return result


def audit_mutations(mutation: type) -> None:
    """Attach the audit to each field of `mutation` that does not have it yet."""
    if not has_object_definition(mutation):
        raise TypeError(f"{mutation!r} is not a strawberry type")
    for field in mutation.__strawberry_definition__.fields:
        if not any(isinstance(extension, MutationAudit) for extension in field.extensions):
            field.extensions = [*field.extensions, MutationAudit()]


def _outcome(payload: Any) -> Outcome:
    user_errors = getattr(payload, "user_errors", None) or ()
    codes = sorted({_code_name(getattr(error, "code", "UNKNOWN")) for error in user_errors})
    if codes:
        return Outcome(ResultStatus.USER_ERRORS, tuple(codes))
    return Outcome(ResultStatus.OK)


def _failure(exc: Exception) -> Outcome:
    code = "INTERNAL"
    if isinstance(exc, GraphQLError) and exc.extensions and exc.extensions.get("code"):
        code = str(exc.extensions["code"])
    return Outcome(ResultStatus.ERROR, (code,))


def _code_name(code: Any) -> str:
    return str(code.value) if isinstance(code, Enum) else str(code)


async def _record(info: Info, arguments: dict[str, Any], outcome: Outcome, started: float) -> None:
    duration_ms = round((time.perf_counter() - started) * 1000, 3)
    try:
        context = info.context
        caller = context.caller
        operation = info.operation
        secrets = secret_values(context.services.settings)
        entry = LogEntry(
            kind=EntryKind.MUTATION,
            actor=caller.name if caller else ANONYMOUS,
            operation=info.field_name,
            result=outcome,
            details={
                "operationName": operation.name.value if operation.name else None,
                "role": caller.role.value if caller else None,
                "arguments": redact(to_document(arguments), secrets),
                "variables": redact(to_document(info.variable_values), secrets),
            },
            duration_ms=duration_ms,
        )
        await IntegrationLog(context.services.db).append(entry)
    except Exception:
        # The call itself is done; losing its audit line must be loud, not a second failure.
        log.exception("could not write the integration log entry of a mutation call")


def to_document(value: Any) -> Any:
    """Coerced GraphQL values as plain data MongoDB stores: enums by value, inputs as dicts."""
    if isinstance(value, dict):
        converted: Any = {str(key): to_document(item) for key, item in value.items()}
    elif isinstance(value, list | tuple | set | frozenset):
        converted = [to_document(item) for item in value]
    elif isinstance(value, Enum):
        converted = to_document(value.value)
    elif value is None or isinstance(value, str | int | float | bool | datetime):
        converted = value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        converted = {f.name: to_document(getattr(value, f.name)) for f in dataclasses.fields(value)}
    else:  # dates, decimals, UUIDs, global ids
        converted = str(value)
    return converted
