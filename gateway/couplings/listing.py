"""Pages of CRM accounts or ERP customers, optionally only the coupled or uncoupled ones.

Pages follow the records' keys (`key gt <last key> orderby key`): every row has a position a
client can resume after, and no server-side cursor has to outlive the request.

- Without a coupling filter: one query of the system for the page, one MongoDB query for the
  page's couplings.
- `coupled: true`: the couplings drive (MongoDB, in id order), the records are read by id in
  one batch, and a search is applied to what was read.
- `coupled: false`: the system's pages are read and coupled records dropped, until the page
  is full. Reading stops after a few rounds; the page may then be short, and the end cursor
  says where the next one resumes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from adapters.base import Connector, Page, Record
from adapters.filters import Compare, Filter, all_of
from gateway.couplings.problems import plain_errors
from gateway.store.couplings import Coupling, CouplingRepository, SideName

MAX_ROUNDS = 5  # reads of one system per page when a coupling filter drops rows
MAX_READ = 5000  # the largest page either Microsoft API serves


@dataclass(frozen=True, slots=True)
class Source:
    """One entity of one system, as a listing reads it."""

    connector: Connector
    entity: str
    key_field: str
    integer_keys: bool = False

    def after(self, key: str | None) -> Filter | None:
        if key is None:
            return None
        return Compare(self.key_field, "gt", int(key) if self.integer_keys else key)


@dataclass(frozen=True, slots=True)
class Listed:
    record: Record
    coupling: Coupling | None


@dataclass(frozen=True, slots=True)
class ListingPage:
    rows: list[Listed]
    has_next: bool
    # Where the next page resumes: the last row returned, or further on when rows were read
    # and dropped after it.
    end_key: str | None


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
            return ListingPage([], has_next=False, end_key=after)
        if coupled is True:
            return await self._coupled(size, after, matches)
        return await self._scanned(size, after, coupled, search)

    async def _scanned(
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
            found = await self.couplings.by_ids(
                self.mapping, self.side, [record.id for record in result.records]
            )
            more = result.next_cursor is not None
            for index, record in enumerate(result.records):
                cursor = record.id
                coupling = found.get(record.id)
                if coupled is False and coupling is not None:
                    continue
                rows.append(Listed(record, coupling))
                if len(rows) > size:
                    more = more or index < len(result.records) - 1
                    break
            if len(rows) > size or not more:
                break
        return _finish(rows, size, more, cursor)

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
                rows.append(Listed(record, found.get(record_id)))
                if len(rows) > size:
                    more = more or index < len(ids) - 1
                    break
            if len(rows) > size or not more:
                break
        return _finish(rows, size, more, cursor)


def _finish(rows: list[Listed], size: int, more: bool, cursor: str | None) -> ListingPage:
    if len(rows) > size:
        kept = rows[:size]
        return ListingPage(kept, has_next=True, end_key=kept[-1].record.id)
    return ListingPage(rows, has_next=more, end_key=cursor)
