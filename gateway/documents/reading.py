"""Reading documents of one system many at a time: a fixed number of requests per call,
whatever the number of ids (split only where a URL would grow too long).

Each method reads one system once (its `hop`); a system that fails raises its connector's
error (or `NotConfiguredError`), for the caller to report per hop. Ids a system cannot have
are simply not found.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from adapters.base import Connector, Page, Record
from adapters.documents import (
    DocumentFields,
    DocumentKind,
    Documents,
    DocumentSource,
    ItemAvailability,
    ItemAvailabilitySource,
)
from adapters.filters import Filter, In, all_of
from gateway.refusals import plain_errors
from gateway.services import NotConfiguredError, Services
from gateway.types import SideName

MAX_READ = 5000  # the largest page either Microsoft API serves
NO_DOCUMENTS = Documents()


def documents_of(connector: Connector | None) -> Documents:
    """What a connector declares of its documents (nothing, if it serves none)."""
    if isinstance(connector, DocumentSource):
        return connector.documents()
    return NO_DOCUMENTS


@dataclass(frozen=True, slots=True)
class DocumentReader:
    services: Services

    def connector(self, side: SideName) -> Connector:
        connector = self.services.erp if side == "erp" else self.services.crm
        if connector is None:
            raise NotConfiguredError(f"the {side.upper()} connection is not configured")
        return connector

    def system(self, side: SideName) -> str:
        connector = self.services.erp if side == "erp" else self.services.crm
        return connector.system if connector is not None else side

    def fields(self, side: SideName, kind: DocumentKind) -> DocumentFields | None:
        connector = self.services.erp if side == "erp" else self.services.crm
        return documents_of(connector).of(kind)

    # ---- documents ----------------------------------------------------------------------------

    @plain_errors
    async def by_ids(
        self, side: SideName, kind: DocumentKind, ids: Sequence[str]
    ) -> dict[str, Record]:
        """Documents by id, looked for in each entity a document of the kind may be read as."""
        fields = self.fields(side, kind)
        wanted = _unique(ids)
        if fields is None or not wanted:
            return {}
        connector = self.connector(side)
        found: dict[str, Record] = {}
        for entity in fields.entities:
            missing = [key for key in wanted if key not in found]
            if not missing:
                break
            found.update(await connector.get_many(entity, missing))
        return found

    @plain_errors
    async def by_field(
        self,
        side: SideName,
        kind: DocumentKind,
        field: str,
        values: Sequence[str],
        *,
        also: Filter | None = None,
    ) -> dict[str, list[Record]]:
        """Documents whose `field` holds one of `values`, by value (a field holding a list
        files a document under each of its values)."""
        fields = self.fields(side, kind)
        wanted = _unique(values)
        by_value: dict[str, list[Record]] = {value: [] for value in wanted}
        if fields is None or not wanted:
            return by_value
        records = await self.matching(side, fields.entity, field, wanted, also=also)
        lowered = {value.lower(): value for value in wanted}
        for record in records:
            raw = record.values.get(field)
            for item in raw if isinstance(raw, list | tuple) else [raw]:
                key = lowered.get(str(item).lower()) if item is not None else None
                if key is not None:
                    by_value[key].append(record)
        return by_value

    async def matching(
        self,
        side: SideName,
        entity: str,
        field: str,
        values: Sequence[str],
        *,
        also: Filter | None = None,
    ) -> list[Record]:
        """Every record of `entity` whose `field` is one of `values`: one query per chunk of
        values that fits a URL, the chunks read at once, each to its last page."""
        connector = self.connector(side)
        size = connector.capabilities.max_ids_per_request
        chunks = [values[start : start + size] for start in range(0, len(values), size)]

        async def read(chunk: Sequence[str]) -> list[Record]:
            records: list[Record] = []
            cursor: str | None = None
            while True:
                page = await connector.query(
                    entity, all_of(In(field, tuple(chunk)), also), Page(MAX_READ, cursor)
                )
                records += page.records
                cursor = page.next_cursor
                if cursor is None:
                    return records

        found: list[Record] = []
        for records in await asyncio.gather(*(read(chunk) for chunk in chunks)):
            found += records
        return found

    # ---- what hangs off documents -------------------------------------------------------------

    @plain_errors
    async def lines(
        self, side: SideName, kind: DocumentKind, document_ids: Sequence[str]
    ) -> dict[str, list[Mapping[str, Any]]]:
        """The lines of documents whose lines are records of their own, by document id."""
        fields = self.fields(side, kind)
        wanted = _unique(document_ids)
        by_document: dict[str, list[Mapping[str, Any]]] = {key: [] for key in wanted}
        lines = fields.lines if fields is not None else None
        if lines is None or lines.entity is None or lines.parent is None or not wanted:
            return by_document
        lowered = {key.lower(): key for key in wanted}
        for record in await self.matching(side, lines.entity, lines.parent, wanted):
            parent = lowered.get(str(record.values.get(lines.parent) or "").lower())
            if parent is not None:
                by_document[parent].append(record.values)
        return by_document

    @plain_errors
    async def archives(
        self, kind: DocumentKind, document_ids: Sequence[str]
    ) -> dict[str, list[Mapping[str, Any]]]:
        """The ERP's archived versions of documents, by document id."""
        fields = self.fields("erp", kind)
        archive = fields.archives if fields is not None else None
        wanted = _unique(document_ids)
        by_document: dict[str, list[Mapping[str, Any]]] = {key: [] for key in wanted}
        if archive is None or not wanted:
            return by_document
        lowered = {key.lower(): key for key in wanted}
        for record in await self.matching("erp", archive.entity, archive.parent, wanted):
            parent = lowered.get(str(record.values.get(archive.parent) or "").lower())
            if parent is not None:
                by_document[parent].append(record.values)
        return by_document

    @plain_errors
    async def records(self, side: SideName, entity: str, ids: Sequence[str]) -> dict[str, Record]:
        """Records a document refers to (products, units, currencies, users), by id."""
        wanted = _unique(ids)
        return await self.connector(side).get_many(entity, wanted) if wanted else {}

    @plain_errors
    async def availability(self, item_ids: Sequence[str]) -> dict[str, ItemAvailability]:
        erp = self.connector("erp")
        if not isinstance(erp, ItemAvailabilitySource):
            return {}
        return await erp.item_availability(_unique(item_ids))


def _unique(ids: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(ids))
