"""The Tryton ERP connector: canonical entities over Tryton's JSON-RPC.

- `get_many` sends the ids in batches of `TrytonConfig.batch_size`, one `search_read` per batch
  (plus one per batch for an entity's computed values: a customer's address, a sale's lines),
  and finds archived records too. Unknown ids are absent.
- `query` translates `adapters.filters` to a domain and pages with offset and limit.
- `changes` follows `last_modified_at` watermarks (see `adapters.tryton.changes`; Tryton keeps
  no trace of deletions).
- A record's etag is Tryton's `_timestamp`: `update` and `delete` with an etag send it in the
  `_timestamp` context, and Tryton refuses the change (ConflictError) if the record moved on.
- `transition` clicks a workflow button (`quote`, `confirm`, `process`, `cancel`, `draft` on
  sales; `validate_invoice`, `post`, `cancel`, `draft` on invoices).
- `documents` declares its sales documents (`adapters.tryton.documents`); `item_availability`
  reads stock in the warehouses and what open sales will take from it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import httpx

from adapters.base import (
    ChangeBatch,
    Create,
    Delete,
    EntitySpec,
    Operation,
    OperationResult,
    Page,
    QueryResult,
    Record,
    Side,
    Update,
)
from adapters.budget import UNLIMITED, RequestBudget
from adapters.capabilities import Capabilities, CustomerFields, IdKind
from adapters.documents import Documents, ItemAvailability
from adapters.errors import ConflictError, ConnectorError, NotFoundError, ValidationError
from adapters.filters import Filter, In
from adapters.statistics import ErpCustomerStatistics
from adapters.systems import TRYTON
from adapters.transport import client_transport
from adapters.tryton.catalogue import CUSTOMER_STATISTICS, ENTITIES
from adapters.tryton.changes import snapshot_changes, watermark_changes
from adapters.tryton.config import TrytonConfig
from adapters.tryton.documents import TRYTON_DOCUMENTS, TrytonAvailability
from adapters.tryton.domains import to_domain
from adapters.tryton.entities import EntityDef
from adapters.tryton.fields import Write, parse_id, to_tryton
from adapters.tryton.reader import WITH_ARCHIVED, Reader
from adapters.tryton.rpc import Sleep, TrytonRPC
from adapters.tryton.tokens import decode_cursor, encode_cursor


class TrytonConnector:
    """One Tryton database, as the ERP side of the gateway."""

    side = Side.ERP
    # Tryton numbers its records itself and pages by offset.
    capabilities = Capabilities(
        label="Tryton",
        id_kind=IdKind.INTEGER,
        max_ids_per_request=1000,
        customer_fields=CustomerFields(
            number="code",
            name="name",
            email="email",
            phone="phone",
            website="website",
            city="city",
            salesperson_code=None,
            search_across_fields=True,
        ),
    )

    def __init__(
        self,
        config: TrytonConfig,
        client: httpx.AsyncClient | None = None,
        *,
        system: str = TRYTON,
        sleep: Sleep = asyncio.sleep,
        budget: RequestBudget = UNLIMITED,
    ) -> None:
        """With `client`, that HTTP client is used and left open; without, the connector
        makes its own and closes it in `aclose`. `sleep` waits between tries."""
        self.system = system
        self._config = config
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(
            timeout=config.timeout, transport=client_transport(config.wrap_transport)
        )
        self._rpc = TrytonRPC(config, self._client, system=system, sleep=sleep, budget=budget)
        self._reader = Reader(self._rpc, system=system)
        self._availability = TrytonAvailability(self._rpc)

    @property
    def rpc(self) -> TrytonRPC:
        """The JSON-RPC session, for calls the canonical entities do not cover."""
        return self._rpc

    def entities(self) -> Mapping[str, EntitySpec]:
        return {name: entity.spec() for name, entity in ENTITIES.items()}

    async def login(self) -> None:
        """Log in now rather than at the first call (checks the URL and the credentials)."""
        await self._rpc.login()

    async def aclose(self) -> None:
        """End the session on the server, and close the HTTP client if it is ours."""
        try:
            await self._rpc.logout()
        finally:
            if self._owns_client:
                await self._client.aclose()

    def documents(self) -> Documents:
        return TRYTON_DOCUMENTS

    async def item_availability(self, item_ids: Sequence[str]) -> dict[str, ItemAvailability]:
        return await self._availability.read(item_ids)

    async def customer_statistics(
        self, customer_ids: Sequence[str]
    ) -> dict[str, ErpCustomerStatistics]:
        """Balance, sales and overdue amount of every id that names an existing party."""
        found = await self.get_many(
            CUSTOMER_STATISTICS.name,
            customer_ids,
            fields=("balance", "totalSales", "overdueAmount", "currencyCode"),
        )
        return {
            record_id: ErpCustomerStatistics(
                balance=record.get("balance") or 0.0,
                total_sales=record.get("totalSales") or 0.0,
                overdue_amount=record.get("overdueAmount") or 0.0,
                currency_code=record.get("currencyCode"),
            )
            for record_id, record in found.items()
        }

    # --- reads -------------------------------------------------------------------------

    async def get_many(
        self, entity: str, ids: Sequence[str], *, fields: Sequence[str] | None = None
    ) -> dict[str, Record]:
        definition = self._entity(entity)
        wanted = self._wanted(definition, fields)
        numbers: list[int] = []
        for raw in dict.fromkeys(ids):
            try:
                numbers.append(parse_id(raw))
            except (TypeError, ValueError):
                continue  # not a Tryton id: no such record
        found: dict[str, Record] = {}
        size = self._config.batch_size
        for start in range(0, len(numbers), size):
            domain = [*definition.membership(), ["id", "in", numbers[start : start + size]]]
            records = await self._reader.search(definition, domain, wanted, context=WITH_ARCHIVED)
            found.update((record.id, record) for record in records)
        return found

    async def get_where(
        self,
        entity: str,
        field: str,
        values: Sequence[Any],
        *,
        fields: Sequence[str] | None = None,
    ) -> list[Record]:
        wanted = list(dict.fromkeys(v for v in values if v not in (None, "")))
        found: list[Record] = []
        size = self._config.batch_size
        for start in range(0, len(wanted), size):
            condition = In(field, tuple(wanted[start : start + size]))
            cursor: str | None = None
            while True:
                page = await self.query(
                    entity, condition, Page(size=size, cursor=cursor), fields=fields
                )
                found += page.records
                cursor = page.next_cursor
                if cursor is None:
                    break
        return found

    async def query(
        self,
        entity: str,
        filter: Filter | None = None,
        page: Page | None = None,
        *,
        fields: Sequence[str] | None = None,
        order_by: Sequence[str] | None = None,
        count: bool = False,
    ) -> QueryResult:
        definition = self._entity(entity)
        page = page or Page()
        if page.size < 1:
            raise ValidationError("page.size: must be at least 1", system=self.system)
        wanted = self._wanted(definition, fields)
        offset = decode_cursor(page.cursor) if page.cursor else 0
        domain = definition.membership()
        if filter is not None:
            domain.extend(to_domain(filter, definition.name, definition.field))
        order = self._order(definition, order_by)
        # One row more than the page says whether another page follows.
        records = await self._reader.search(
            definition, domain, wanted, offset=offset, limit=page.size + 1, order=order
        )
        total = None
        if count:
            total = int(await self._rpc.model(definition.model, "search_count", domain))
        return QueryResult(
            records=records[: page.size],
            next_cursor=encode_cursor(offset + page.size) if len(records) > page.size else None,
            total_count=total,
        )

    async def changes(
        self, entity: str, token: str | None, *, page_size: int = 500
    ) -> AsyncIterator[ChangeBatch]:
        definition = self._entity(entity)
        if page_size < 1:
            raise ValidationError("page_size: must be at least 1", system=self.system)
        if definition.tracked:
            batches = watermark_changes(self._reader, definition, token, page_size)
        else:
            batches = snapshot_changes(self._reader, definition, page_size)
        async for batch in batches:
            yield batch

    # --- writes ------------------------------------------------------------------------

    async def create(self, entity: str, values: Mapping[str, Any]) -> Record:
        definition = self._writable(entity)
        tryton, shaped = self._split(definition, values)
        tryton = {**definition.defaults, **tryton}
        await definition.shape.prepare_create(self._rpc, definition, shaped, tryton)
        created = await self._rpc.model(definition.model, "create", [tryton])
        record_id = int(created[0])
        await definition.shape.after_create(self._rpc, definition, record_id)
        return await self._reader.fetch(definition, record_id)

    async def update(
        self, entity: str, id: str, values: Mapping[str, Any], etag: str | None = None
    ) -> Record:
        definition = self._writable(entity)
        record_id = self._id(definition, id)
        tryton, shaped = self._split(definition, values)
        if definition.domain:
            await self._reader.ensure_member(definition, record_id)
        try:
            await definition.shape.prepare_write(self._rpc, definition, record_id, shaped, tryton)
            if tryton:
                await self._rpc.model(
                    definition.model,
                    "write",
                    [record_id],
                    tryton,
                    context=_timestamp(definition, record_id, etag),
                )
        except (ValidationError, NotFoundError) as exc:
            await self._reader.raise_if_missing(definition, record_id, exc)
            raise
        record = await self._reader.fetch(definition, record_id)
        if not tryton and etag is not None and record.etag != etag:
            raise ConflictError(
                f"{definition.name} {record_id} changed since it was read", system=self.system
            )
        return record

    async def delete(self, entity: str, id: str, etag: str | None = None) -> None:
        definition = self._writable(entity)
        record_id = self._id(definition, id)
        # Tryton deletes missing ids without a word: say it, as other systems answer 404.
        await self._reader.ensure_member(definition, record_id)
        await self._rpc.model(
            definition.model,
            "delete",
            [record_id],
            context=_timestamp(definition, record_id, etag),
        )

    async def write_many(self, operations: Sequence[Operation]) -> list[OperationResult]:
        """One call per operation, in order: Tryton has no batch endpoint, and one refused
        operation must not take the others down with it."""
        results: list[OperationResult] = []
        for operation in operations:
            try:
                match operation:
                    case Create(entity=entity, values=values):
                        record: Record | None = await self.create(entity, values)
                    case Update(entity=entity, id=record_id, values=values, etag=etag):
                        record = await self.update(entity, record_id, values, etag)
                    case Delete(entity=entity, id=record_id, etag=etag):
                        await self.delete(entity, record_id, etag)
                        record = None
            except ConnectorError as exc:
                results.append(OperationResult(operation, error=exc))
            else:
                results.append(OperationResult(operation, record=record))
        return results

    async def transition(
        self, entity: str, id: str, action: str, params: Mapping[str, Any] | None = None
    ) -> Record | None:
        definition = self._entity(entity)
        if action not in definition.actions:
            allowed = ", ".join(sorted(definition.actions)) or "none"
            raise ValidationError(
                f"{definition.name}: unknown action {action!r} (allowed: {allowed})",
                system=self.system,
            )
        if params:
            raise ValidationError(
                f"{definition.name}.{action}: Tryton's buttons take no parameters",
                system=self.system,
            )
        record_id = self._id(definition, id)
        if definition.domain:
            await self._reader.ensure_member(definition, record_id)
        try:
            await self._rpc.model(definition.model, action, [record_id])
        except (ValidationError, NotFoundError) as exc:
            await self._reader.raise_if_missing(definition, record_id, exc)
            raise
        return await self._reader.fetch(definition, record_id)

    # --- checks before any call --------------------------------------------------------

    def _entity(self, name: str) -> EntityDef:
        try:
            return ENTITIES[name]
        except KeyError:
            raise NotFoundError(
                f"entity {name!r} is not served (known: {', '.join(ENTITIES)})",
                system=self.system,
            ) from None

    def _writable(self, name: str) -> EntityDef:
        definition = self._entity(name)
        if definition.read_only:
            raise ValidationError(f"{definition.name}: read-only entity", system=self.system)
        return definition

    def _id(self, definition: EntityDef, raw: str) -> int:
        try:
            return parse_id(raw)
        except (TypeError, ValueError) as exc:
            raise ValidationError(f"{definition.name}.id: {exc}", system=self.system) from None

    def _wanted(self, definition: EntityDef, fields: Sequence[str] | None) -> frozenset[str]:
        if fields is None:
            return frozenset(definition.value_names)
        return frozenset(definition.field(name).name for name in fields)

    def _split(
        self, definition: EntityDef, values: Mapping[str, Any]
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        """Checked Tryton values of plain fields, and values the entity's shape writes."""
        tryton: dict[str, Any] = {}
        shaped: dict[str, Any] = {}
        for name, value in values.items():
            field = definition.field(name)
            if field.write is Write.NONE:
                raise ValidationError(f"{definition.name}.{name}: read-only", system=self.system)
            converted = to_tryton(definition.name, field, value)
            if field.write is Write.SHAPE:
                shaped[name] = converted
            else:
                tryton[field.tryton] = converted
        return tryton, shaped

    def _order(self, definition: EntityDef, order_by: Sequence[str] | None) -> list[list[str]]:
        if not order_by:
            return [list(item) for item in definition.order]
        order: list[list[str]] = []
        for item in order_by:
            name, direction = _parse_order(definition, item)
            field = definition.field(name)
            if field.computed or "." in field.tryton:
                raise ValidationError(
                    f"{definition.name}.{name}: cannot be sorted on", system=self.system
                )
            order.append([field.tryton, direction])
        if not any(path == "id" for path, _ in order):  # a stable order for paging
            order.append(["id", "ASC"])
        return order


def _timestamp(definition: EntityDef, record_id: int, etag: str | None) -> dict[str, Any] | None:
    if etag is None:
        return None
    return {"_timestamp": {f"{definition.model},{record_id}": etag}}


def _parse_order(definition: EntityDef, item: str) -> tuple[str, str]:
    text = item.strip()
    if text.startswith("-"):
        return text[1:].strip(), "DESC"
    parts = text.split()
    if len(parts) == 2 and parts[1].lower() in {"asc", "desc"}:
        return parts[0], parts[1].upper()
    if len(parts) == 1:
        return parts[0], "ASC"
    raise ValidationError(
        f"{definition.name}: cannot sort by {item!r} (use 'field', '-field' or 'field desc')",
        system="tryton",
    )
