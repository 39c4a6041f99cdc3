"""A system's request budget shared with other processes: how a connector asks for a slot
before each request and tells the others when the system said to slow down.

A system's limits hold for all of its clients together (Business Central processes five
requests of a user at a time; Dataverse allows 6,000 per five minutes), so several workers and
API replicas must draw on one budget. Connectors only know this protocol; the gateway provides
an implementation kept in Redis. `UNLIMITED` leaves each process to its own limits.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from typing import Protocol


class RequestBudget(Protocol):
    def slot(self) -> contextlib.AbstractAsyncContextManager[None]:
        """Held while one request is out: waits while the system's budget is spent or paused."""
        ...

    async def pause(self, seconds: float) -> None:
        """The system asked to wait `seconds` (a 429 with Retry-After): nobody sends before."""
        ...


class _Unlimited:
    @contextlib.asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        yield

    async def pause(self, seconds: float) -> None:
        del seconds


UNLIMITED: RequestBudget = _Unlimited()


# The budget of each identity (client id) a connector sends requests as: the services' limits
# hold per user, so two application users of one system have a budget each.
BudgetOf = Callable[[str], RequestBudget]


def unlimited(identity: str) -> RequestBudget:
    del identity
    return UNLIMITED
