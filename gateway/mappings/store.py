"""The `table_mappings` collection: read, save (validated) and seed the defaults."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime

from pymongo import ASCENDING
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from gateway.mappings.model import TableMapping
from gateway.mappings.validation import (
    NO_ENTITIES,
    Catalogue,
    Catalogues,
    MappingValidationError,
    dependency_order,
)
from gateway.types import Document

COLLECTION = "table_mappings"


class MappingRepository:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._collection: AsyncCollection[Document] = db[COLLECTION]

    async def all(self) -> list[TableMapping]:
        cursor = self._collection.find({}).sort("name", ASCENDING)
        return [TableMapping.from_doc(doc) async for doc in cursor]

    async def get(self, name: str) -> TableMapping | None:
        """The mapping named `name`; names are upper case, so "customer" finds CUSTOMER."""
        doc = await self._collection.find_one({"name": name.strip().upper()})
        return TableMapping.from_doc(doc) if doc else None

    async def save(
        self,
        mapping: TableMapping,
        *,
        erp: Catalogue,
        crm: Catalogue,
        projects: Catalogue = NO_ENTITIES,
    ) -> TableMapping:
        """Validate `mapping` together with every other stored mapping, then write it.

        What blocks the save is what this change would break: the mapping's own problems, a
        dependency cycle, and new problems of the mappings that depend on it. A problem
        another mapping already had does not stop unrelated changes."""
        stored = await self.all()
        others = [m for m in stored if m.name != mapping.name]
        after = [*others, mapping]
        catalogues = Catalogues(erp, crm, projects)
        problems = catalogues.validate(mapping, {m.name: m for m in after})
        problems += _new_problems_of_dependents(mapping, stored, after, catalogues)
        if not problems:
            try:
                dependency_order(after)
            except MappingValidationError as exc:
                problems += exc.problems
        if problems:
            raise MappingValidationError(problems)
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


def _new_problems_of_dependents(
    mapping: TableMapping,
    before: list[TableMapping],
    after: list[TableMapping],
    catalogues: Catalogues,
) -> list[str]:
    known_before = {m.name: m for m in before}
    known_after = {m.name: m for m in after}
    problems: list[str] = []
    for dependent in after:
        if mapping.name not in dependent.depends_on or dependent.name == mapping.name:
            continue
        old = set(catalogues.validate(dependent, known_before))
        new = catalogues.validate(dependent, known_after)
        problems += [problem for problem in new if problem not in old]
    return problems
