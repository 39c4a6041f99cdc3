"""The MongoDB client of a process and the start-up work on its database."""

from __future__ import annotations

from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from gateway.store.indexes import COLLECTION_INDEXES
from gateway.types import Document


def connect_mongo(url: str, *, app_name: str = "erp-crm-gateway") -> AsyncMongoClient[Document]:
    """One client per process; it connects lazily, so creating it never blocks or fails."""
    return AsyncMongoClient(
        url,
        appname=app_name,
        tz_aware=True,
        serverSelectionTimeoutMS=5_000,
        connectTimeoutMS=5_000,
    )


async def ensure_indexes(db: AsyncDatabase[Document]) -> None:
    """Create every collection's indexes; running it again changes nothing."""
    for collection, indexes in COLLECTION_INDEXES.items():
        if indexes:
            await db[collection].create_indexes(indexes)


async def ping_mongo(db: AsyncDatabase[Document]) -> None:
    await db.command("ping")
