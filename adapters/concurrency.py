"""Running a connector's requests concurrently without changing what callers catch.

A task group wraps failures in an `ExceptionGroup`; callers of a connector catch
`ConnectorError` subclasses (the protocol's promise), so the first failure is re-raised as
itself, after the other requests have been cancelled.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Iterable
from typing import Any

from adapters.errors import ConnectorError


def _first_failure(group: BaseExceptionGroup[BaseException]) -> BaseException:
    """The first connector error inside `group` (at any depth), else its first exception."""
    leaves: list[BaseException] = []
    pending: list[BaseException] = [group]
    while pending:
        current = pending.pop(0)
        if isinstance(current, BaseExceptionGroup):
            pending[:0] = list(current.exceptions)
        else:
            leaves.append(current)
    return next((e for e in leaves if isinstance(e, ConnectorError)), leaves[0])


async def run_concurrently(requests: Iterable[Coroutine[Any, Any, None]]) -> None:
    """Await every request concurrently; on the first failure cancel the rest and raise it."""
    try:
        async with asyncio.TaskGroup() as group:
            for request in requests:
                group.create_task(request)
    except BaseExceptionGroup as failed:
        raise _first_failure(failed) from None
