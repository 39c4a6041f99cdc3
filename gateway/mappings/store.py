"""The `table_mappings` collection: read, save (validated) and seed the defaults."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from gateway.mappings.model import TableMapping
from gateway.mappings.validation import Catalogue, validate_mappings

Document = dict[str, Any]
COLLECTION = "table_mappings"


class MappingRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._collection: AsyncCollection[Document] = db[COLLECTION]

    async def all(self) -> list[TableMapping]:
        cursor = self._collection.find({}).sort("name", ASCENDING)
        return [TableMapping.from_doc(doc) async for doc in cursor]

    async def get(self, name: str) -> TableMapping | None:
        doc = await self._collection.find_one({"name": name})
        return TableMapping.from_doc(doc) if doc else None

    async def save(self, mapping: TableMapping, *, erp: Catalogue, crm: Catalogue) -> TableMapping:
        """Validate `mapping` together with every other stored mapping, then write it."""
        others = [m for m in await self.all() if m.name != mapping.name]
        validate_mappings([*others, mapping], erp=erp, crm=crm)
        await self._collection.replace_one(
            {"name": mapping.name},
            {**mapping.to_doc(), "updated_at": datetime.now(UTC)},
            upsert=True,
        )
        return mapping

    async def ensure_defaults(self, defaults: Iterable[TableMapping]) -> list[str]:
        """Insert the default mappings that are missing; never overwrite a stored one.
        Returns the names inserted."""
        inserted: list[str] = []
        for mapping in defaults:
            result = await self._collection.update_one(
                {"name": mapping.name},
                {"$setOnInsert": {**mapping.to_doc(), "updated_at": datetime.now(UTC)}},
                upsert=True,
            )
            if result.upserted_id is not None:
                inserted.append(mapping.name)
        return inserted
