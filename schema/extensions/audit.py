"""Every mutation call goes to the integration log: who, which mutation, with what (secrets
redacted), how it ended (ok, the user error codes, or the error code) and how long it took.

The entry is written before the call runs and completed after it: a call whose entry cannot
be written does not run (an audit that can be skipped is no audit). What is recorded is
bounded in depth and size, whatever the client sent.

`audit_mutations` attaches `MutationAudit` to every field of the Mutation type when the schema
is built, so a mutation added later is audited without its author doing anything. Wrapping
the field (outside its permission check) rather than every resolver of every request costs
queries nothing, and sees the payload's `userErrors` whether or not the client selected them.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from enum import Enum
from typing import Any

from graphql import GraphQLError
from strawberry.extensions import FieldExtension
from strawberry.types.base import has_object_definition
from strawberry.utils.await_maybe import await_maybe

from gateway.auth.roles import Caller
from gateway.security.redaction import redact, secret_values
from gateway.services import Services
from gateway.store.integration_log import (
    EntryKind,
    IntegrationLog,
    LogEntry,
    Outcome,
    ResultStatus,
)
from schema.context import Info
from schema.extensions.inputs import MAX_INPUT_DEPTH

log = logging.getLogger(__name__)

ANONYMOUS = "(anonymous)"
AUDIT_UNAVAILABLE = "AUDIT_UNAVAILABLE"
# What one entry keeps of the call's values: deeper levels, longer texts and further items
# are cut (inputs deeper than MAX_INPUT_DEPTH are refused before anything runs).
MAX_RECORDED_DEPTH = MAX_INPUT_DEPTH + 8
MAX_RECORDED_TEXT = 10_000
MAX_RECORDED_ITEMS = 1_000
TRUNCATED = "[TRUNCATED]"


class MutationAudit(FieldExtension):
    async def resolve_async(
        self, next_: Callable[..., Awaitable[Any]], source: Any, info: Info, **kwargs: Any
    ) -> Any:
        started = time.perf_counter()
        entry_id = await _open(info, kwargs)
        try:
            result = await await_maybe(next_(source, info, **kwargs))
        except Exception as exc:
            await _finish(info, entry_id, _failure(exc), started)
            raise
        await _finish(info, entry_id, _outcome(result), started)
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


def _entry(
    services: Services,
    caller: Caller | None,
    *,
    operation: str,
    operation_name: str | None,
    arguments: Mapping[str, Any] | None,
    variables: Mapping[str, Any] | None,
    result: Outcome,
) -> LogEntry:
    secrets = secret_values(services.settings)
    return LogEntry(
        kind=EntryKind.MUTATION,
        actor=caller.name if caller else ANONYMOUS,
        operation=operation,
        result=result,
        details={
            "operationName": operation_name,
            "role": caller.role.value if caller else None,
            "arguments": redact(to_document(arguments), secrets),
            "variables": redact(to_document(variables), secrets),
        },
    )


async def _open(info: Info, arguments: dict[str, Any]) -> str:
    """The entry of a call about to run; refuses the call when the entry cannot be written."""
    context = info.context
    operation = info.operation
    try:
        entry = _entry(
            context.services,
            context.caller,
            operation=info.field_name,
            operation_name=operation.name.value if operation.name else None,
            arguments=arguments,
            variables=info.variable_values,
            result=Outcome(ResultStatus.STARTED),
        )
        return await IntegrationLog(context.services.db).append(entry)
    except Exception:
        log.exception("could not write the integration log entry of a mutation call")
        raise GraphQLError(
            "The call was not made: its integration log entry could not be written.",
            extensions={"code": AUDIT_UNAVAILABLE},
        ) from None


async def _finish(info: Info, entry_id: str, outcome: Outcome, started: float) -> None:
    duration_ms = round((time.perf_counter() - started) * 1000, 3)
    try:
        await IntegrationLog(info.context.services.db).finish(entry_id, outcome, duration_ms)
    except Exception:
        # The call is done and its entry says it started; losing its outcome must be loud,
        # not a second failure.
        log.exception("could not record how a mutation call ended in the integration log")


async def record_refusals(
    services: Services,
    caller: Caller | None,
    fields: list[str],
    *,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    code: str,
) -> None:
    """Entries for mutation calls refused before anything ran (a role the caller lacks)."""
    if not fields:
        return
    try:
        await IntegrationLog(services.db).append_many(
            _entry(
                services,
                caller,
                operation=name,
                operation_name=operation_name,
                arguments=None,
                variables=variables,
                result=Outcome(ResultStatus.ERROR, (code,)),
            )
            for name in fields
        )
    except Exception:
        log.exception("could not write the integration log entries of refused mutation calls")


def to_document(value: Any, depth: int = 0) -> Any:
    """Coerced GraphQL values as plain data MongoDB stores: enums by value, inputs as dicts;
    cut at `MAX_RECORDED_DEPTH` levels, `MAX_RECORDED_ITEMS` items, `MAX_RECORDED_TEXT`."""
    if depth >= MAX_RECORDED_DEPTH:
        return TRUNCATED
    below = depth + 1
    if isinstance(value, Mapping):
        items = list(value.items())[:MAX_RECORDED_ITEMS]
        converted: Any = {str(key): to_document(item, below) for key, item in items}
    elif isinstance(value, list | tuple | set | frozenset):
        converted = [to_document(item, below) for item in list(value)[:MAX_RECORDED_ITEMS]]
    elif isinstance(value, Enum):
        converted = to_document(value.value, depth)
    elif isinstance(value, str):
        converted = value if len(value) <= MAX_RECORDED_TEXT else value[:MAX_RECORDED_TEXT] + "…"
    elif value is None or isinstance(value, int | float | bool | datetime):
        converted = value
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        converted = {
            f.name: to_document(getattr(value, f.name), below) for f in dataclasses.fields(value)
        }
    else:  # dates, decimals, UUIDs, global ids
        converted = str(value)
    return converted
