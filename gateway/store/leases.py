"""Leases: at most one holder of a named piece of work at a time, across processes.

A lease is a document `{_id: name, owner, expires_at}`. Taking it is one atomic upsert that
matches only a free lease (expired, or already ours); when another owner holds it, the upsert
collides with the existing `_id` and the taker learns it lost. The holder renews it as it makes
progress; a holder that dies simply lets it expire. No process keeps any of this in memory.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from gateway.types import Document

log = logging.getLogger(__name__)

COLLECTION = "leases"


def sync_lease(mapping: str) -> str:
    """The lease that serializes every synchronization run of one mapping."""
    return f"sync:{mapping}"


@dataclass(frozen=True, slots=True)
class Lease:
    name: str
    owner: str
    expires_at: datetime


class LeaseRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._collection: AsyncCollection[Document] = db[COLLECTION]

    async def acquire(self, name: str, owner: str, *, seconds: float) -> bool:
        """Take the lease (or extend it if `owner` already holds it); False if held elsewhere."""
        now = datetime.now(UTC)
        try:
            doc = await self._collection.find_one_and_update(
                {"_id": name, "$or": [{"owner": owner}, {"expires_at": {"$lte": now}}]},
                {
                    "$set": {
                        "owner": owner,
                        "expires_at": now + timedelta(seconds=seconds),
                        "taken_at": now,
                    }
                },
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
        except DuplicateKeyError:
            return False
        return doc is not None and doc.get("owner") == owner

    async def renew(self, name: str, owner: str, *, seconds: float) -> bool:
        """Push the expiry back; False when the lease is no longer ours."""
        result = await self._collection.update_one(
            {"_id": name, "owner": owner},
            {"$set": {"expires_at": datetime.now(UTC) + timedelta(seconds=seconds)}},
        )
        return result.matched_count == 1

    async def release(self, name: str, owner: str) -> None:
        await self._collection.delete_one({"_id": name, "owner": owner})

    async def holder(self, name: str) -> Lease | None:
        """The current holder, if the lease is held and not expired."""
        doc = await self._collection.find_one({"_id": name})
        if doc is None or doc["expires_at"] <= datetime.now(UTC):
            return None
        return Lease(name=name, owner=doc["owner"], expires_at=doc["expires_at"])


def kept_renewed(
    leases: LeaseRepository, name: str, owner: str, *, seconds: float
) -> contextlib.AbstractAsyncContextManager[None]:
    """Renew a held lease every third of its life while the block runs, so that a slow
    batch never lets it lapse while a crashed holder's lapses within `seconds`."""

    async def renew() -> bool:
        return await leases.renew(name, owner, seconds=seconds)

    return renewed_while(renew, seconds=seconds, name=name)


@contextlib.asynccontextmanager
async def renewed_while(
    renew: Callable[[], Awaitable[bool]], *, seconds: float, name: str
) -> AsyncIterator[None]:
    """Call `renew` every third of `seconds` while the block runs. If it says the claim was
    taken by another holder (this one stalled past its expiry), the block is cancelled: the
    work is that holder's now."""
    work = asyncio.current_task()
    assert work is not None

    async def beat() -> None:
        while True:
            await asyncio.sleep(seconds / 3)
            try:
                held = await renew()
            except Exception as exc:  # MongoDB unreachable: try again at the next beat
                log.warning("could not renew %s (%s)", name, type(exc).__name__)
                continue
            if not held:
                log.warning("%s was taken over by another holder; stopping here", name)
                work.cancel()
                return

    heart = asyncio.create_task(beat(), name=f"lease-{name}")
    try:
        yield
    finally:
        heart.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await heart
