"""Pages of CRM accounts or ERP customers, optionally only the coupled or uncoupled ones.

Every row carries the position right after it, so a client can resume after any row:

- Keyed sources (Dataverse, Business Central) page by key: `key gt <last key> orderby key`;
  the position is the record's key, and no server-side cursor has to outlive the request.
- Other sources (Tryton, whose records are read in its own order with its own cursors) page
  with the connector's cursor; the position is `<rows to skip>:<cursor of that page>`.

- Without a coupling filter: one query of the system, one MongoDB query for the couplings.
- `coupled: true`: the couplings drive (MongoDB, in id order), the records are read by id in
  one batch, and a search is applied to what was read.
- `coupled: false`: the system's pages are read and coupled records dropped until the page is
  full. Reading stops after a few rounds; the page may then be short, and the end position
  says where the next one resumes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from adapters.base import Connector, Page, Record
from adapters.filters import Compare, Filter, all_of
from gateway.refusals import plain_errors
from gateway.store.couplings import Coupling, CouplingRepository
from gateway.types import SideName

MAX_ROUNDS = 5  # reads of one system per page when a coupling filter drops rows
MAX_READ = 5000  # the largest page either Microsoft API serves
# Systems whose APIs filter and sort by key (OData `$filter=id gt ...&$orderby=id`).


class PositionError(ValueError):
    """A position that no listing of this source produced."""


@dataclass(frozen=True, slots=True)
class Source:
    """One entity of one system, as a listing reads it."""

    connector: Connector
    entity: str
    key_field: str
    keyed: bool = True  # False: page with the connector's own cursors

    def after(self, key: str | None) -> Filter | None:
        return None if key is None else Compare(self.key_field, "gt", key)


@dataclass(frozen=True, slots=True)
class Listed:
    record: Record
    coupling: Coupling | None
    position: str  # where a listing resumes to continue right after this row


@dataclass(frozen=True, slots=True)
class ListingPage:
    rows: list[Listed]
    has_next: bool
    # Where the next page resumes: after the last row returned, or further on when rows
    # were read and dropped after it.
    end: str | None


def source_for(connector: Connector, entity: str) -> Source:
    spec = connector.entities()[entity]
    return Source(connector, entity, spec.key_field, keyed=connector.capabilities.keyed_paging)


def cursor_position(skip: int, cursor: str | None) -> str:
    return f"{skip}:{cursor or ''}"


def parse_cursor_position(position: str) -> tuple[int, str | None]:
    skip, _, cursor = position.partition(":")
    if not skip.isascii() or not skip.isdigit() or len(skip) > 6:
        raise PositionError("not a position of this listing")
    return int(skip), cursor or None


@dataclass(frozen=True, slots=True)
class Listing:
    source: Source
    couplings: CouplingRepository
    mapping: str
    side: SideName

    @plain_errors
    async def page(
        self,
        *,
        size: int,
        after: str | None = None,
        coupled: bool | None = None,
        search: Filter | None = None,
        matches: Callable[[Record], bool] | None = None,
    ) -> ListingPage:
        """`search` is sent to the system; `matches` applies the same test to records read by
        id (the coupled listing), where no filter can be sent."""
        if size <= 0:
            return ListingPage([], has_next=False, end=after)
        if coupled is True:
            return await self._coupled(size, after, matches)
        if self.source.keyed:
            return await self._keyed(size, after, coupled, search)
        return await self._paged(size, after, coupled, search)

    async def _couplings_of(self, records: list[Record]) -> list[Coupling | None]:
        found = await self.couplings.by_ids(self.mapping, self.side, [r.id for r in records])
        return [found.get(record.id) for record in records]

    async def _keyed(
        self, size: int, after: str | None, coupled: bool | None, search: Filter | None
    ) -> ListingPage:
        source = self.source
        rows: list[Listed] = []
        cursor, more = after, False
        for _ in range(MAX_ROUNDS):
            wanted = size + 1 - len(rows)
            # Dropping coupled rows: read more than the page needs, to need fewer rounds.
            batch = min(MAX_READ, wanted if coupled is None else max(2 * wanted, 50))
            result = await source.connector.query(
                source.entity,
                all_of(search, source.after(cursor)),
                Page(size=batch),
                order_by=[f"{source.key_field} asc"],
            )
            couplings = await self._couplings_of(result.records)
            more = result.next_cursor is not None
            for index, (record, coupling) in enumerate(zip(result.records, couplings, strict=True)):
                cursor = record.id
                if coupled is False and coupling is not None:
                    continue
                rows.append(Listed(record, coupling, record.id))
                if len(rows) > size:
                    more = more or index < len(result.records) - 1
                    break
            if len(rows) > size or not more:
                break
        return _finish(rows, size, more, cursor)

    async def _paged(
        self, size: int, after: str | None, coupled: bool | None, search: Filter | None
    ) -> ListingPage:
        source = self.source
        skip, cursor = parse_cursor_position(after) if after else (0, None)
        rows: list[Listed] = []
        end, more = after, False
        for _ in range(MAX_ROUNDS):
            wanted = size + 1 - len(rows)
            batch = min(MAX_READ, skip + (wanted if coupled is None else max(2 * wanted, 50)))
            result = await source.connector.query(
                source.entity, search, Page(size=batch, cursor=cursor)
            )
            records = result.records[skip:]
            couplings = await self._couplings_of(records)
            more = result.next_cursor is not None
            full = False
            for offset, (record, coupling) in enumerate(
                zip(records, couplings, strict=True), start=skip
            ):
                end = cursor_position(offset + 1, cursor)
                if coupled is False and coupling is not None:
                    continue
                rows.append(Listed(record, coupling, end))
                if len(rows) > size:
                    full = True
                    more = more or offset + 1 < len(result.records)
                    break
            if full or not more:
                break
            cursor, skip = result.next_cursor, 0
            end = cursor_position(0, cursor)
        return _finish(rows, size, more, end)

    async def _coupled(
        self, size: int, after: str | None, matches: Callable[[Record], bool] | None
    ) -> ListingPage:
        source = self.source
        rows: list[Listed] = []
        cursor, more = after, False
        for _ in range(MAX_ROUNDS):
            wanted = size + 1 - len(rows)
            batch = wanted if matches is None else max(2 * wanted, 50)
            ids, more = await self.couplings.side_ids_page(
                self.mapping, self.side, after=cursor, size=min(batch, MAX_READ)
            )
            if not ids:
                break
            records = await source.connector.get_many(source.entity, ids)
            found = await self.couplings.by_ids(self.mapping, self.side, ids)
            for index, record_id in enumerate(ids):
                cursor = record_id
                record = records.get(record_id)
                if record is None or (matches is not None and not matches(record)):
                    continue  # deleted in the system since it was coupled, or not searched for
                rows.append(Listed(record, found.get(record_id), record_id))
                if len(rows) > size:
                    more = more or index < len(ids) - 1
                    break
            if len(rows) > size or not more:
                break
        return _finish(rows, size, more, cursor)


def _finish(rows: list[Listed], size: int, more: bool, end: str | None) -> ListingPage:
    if len(rows) > size:
        kept = rows[:size]
        return ListingPage(kept, has_next=True, end=kept[-1].position)
    return ListingPage(rows, has_next=more, end=end)
