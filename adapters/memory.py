"""A connector over in-process dicts, for engine unit tests and "backends from memory" benchmarks.

It keeps the promises of the protocol that the engine relies on: ETags change on every write
and are checked (`ConflictError`), `changes` tokens resume exactly after what was read and
report deletions, `query` honours `Filter`, `order_by`, paging and counts. Every call is
counted in `calls`, so tests can assert how many round trips a feature costs.
"""

from __future__ import annotations

import copy
import itertools
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

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
from adapters.business_central import BusinessCentralConnector
from adapters.capabilities import Capabilities, IdKind
from adapters.dataverse_entities import CRM_STATISTICS
from adapters.errors import ConflictError, ConnectorError, NotFoundError, ValidationError
from adapters.filters import And, Compare, Contains, Filter, In, Not, Or, StartsWith
from adapters.statistics import CrmAccountStatistics, ErpCustomerStatistics
from adapters.systems import BUSINESS_CENTRAL, DATAVERSE, MEMORY, TRYTON, system_label
from adapters.tryton import TrytonConnector

CHANGE_TOKEN_PREFIX = "memory:"  # noqa: S105 - a prefix of change tokens, not a secret


@dataclass(slots=True)
class _Row:
    values: dict[str, Any]
    version: int
    modified_on: datetime
    sequence: int


@dataclass(slots=True)
class _Table:
    rows: dict[str, _Row] = field(default_factory=dict)
    deleted: dict[str, int] = field(default_factory=dict)  # id -> sequence of the deletion


def imitated(system: str) -> Capabilities:
    """What a memory connector named after a real system declares: that system's id shape,
    paging and customer fields, so the core treats the double as it would the system."""
    if system == TRYTON:
        return TrytonConnector.capabilities
    fields = BusinessCentralConnector.customer_fields if system == BUSINESS_CENTRAL else None
    real = system in (BUSINESS_CENTRAL, DATAVERSE)
    return Capabilities(
        label=system_label(system),
        id_kind=IdKind.GUID if real else IdKind.TEXT,
        keyed_paging=real,
        caller_ids=True,
        customer_fields=fields,
    )


class MemoryConnector:
    """In-memory stand-in for any system. Without `specs`, any entity name is accepted."""

    def __init__(
        self,
        system: str = MEMORY,
        side: Side = Side.CRM,
        *,
        specs: Mapping[str, EntitySpec] | None = None,
        transitions: Mapping[str, Mapping[str, Mapping[str, Any]]] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        capabilities: Capabilities | None = None,
    ) -> None:
        self.system = system
        self.side = side
        self.capabilities = capabilities or imitated(system)
        self._specs = dict(specs) if specs is not None else None
        self._transitions = {
            entity: dict(actions) for entity, actions in (transitions or {}).items()
        }
        self._clock = clock
        self._tables: dict[str, _Table] = {}
        self._sequence = itertools.count(1)
        self._last_sequence = 0
        self.calls: Counter[str] = Counter()

    # ---- helpers --------------------------------------------------------------------------------

    def entities(self) -> Mapping[str, EntitySpec]:
        if self._specs is not None:
            return dict(self._specs)
        return {
            name: EntitySpec(name=name, native_name=name, key_field="id") for name in self._tables
        }

    def _table(self, entity: str) -> _Table:
        if self._specs is not None and entity not in self._specs:
            raise NotFoundError(f"unknown entity {entity!r}", system=self.system)
        return self._tables.setdefault(entity, _Table())

    def _next(self) -> int:
        self._last_sequence = next(self._sequence)
        return self._last_sequence

    def _record(self, entity: str, id: str, row: _Row) -> Record:
        return Record(
            system=self.system,
            entity=entity,
            id=id,
            values=dict(row.values),
            modified_on=row.modified_on,
            etag=f'W/"{row.version}"',
        )

    def _check(self, entity: str, values: Mapping[str, Any]) -> dict[str, Any]:
        if not isinstance(values, Mapping) or not all(isinstance(k, str) for k in values):
            raise ValidationError(
                f"{entity}: values must map field names to values", system=self.system
            )
        return dict(values)

    def seed(self, entity: str, rows: Iterable[Mapping[str, Any]]) -> list[Record]:
        """Insert rows directly (ids from an `id` value, or new ones); not counted as calls."""
        table = self._table(entity)
        records = []
        for values in rows:
            id = str(values.get("id") or uuid.uuid4())
            row = _Row({**values, "id": id}, 1, self._clock(), self._next())
            table.rows[id] = row
            records.append(self._record(entity, id, row))
        return records

    # ---- reads ----------------------------------------------------------------------------------

    async def get_many(
        self, entity: str, ids: Sequence[str], *, fields: Sequence[str] | None = None
    ) -> dict[str, Record]:
        self.calls["get_many"] += 1
        table = self._table(entity)
        return {i: self._record(entity, i, table.rows[i]) for i in ids if i in table.rows}

    async def get_where(
        self,
        entity: str,
        field: str,
        values: Sequence[Any],
        *,
        fields: Sequence[str] | None = None,
    ) -> list[Record]:
        self.calls["get_where"] += 1
        wanted = {_caseless(value) for value in values if value not in (None, "")}
        return [
            self._record(entity, id, row)
            for id, row in self._table(entity).rows.items()
            if _caseless(row.values.get(field)) in wanted
        ]

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
        self.calls["query"] += 1
        page = page or Page()
        table = self._table(entity)
        rows = [
            (id, row)
            for id, row in table.rows.items()
            if filter is None or matches(filter, row.values)
        ]
        for item in reversed(order_by or []):
            name, _, direction = item.strip().partition(" ")
            rows.sort(
                key=lambda pair: sort_key(pair[1].values.get(name)),
                reverse=direction.strip().lower() == "desc",
            )
        start = int(page.cursor.removeprefix("offset:")) if page.cursor else 0
        chosen = rows[start : start + page.size]
        more = start + page.size < len(rows)
        return QueryResult(
            records=[self._record(entity, id, row) for id, row in chosen],
            next_cursor=f"offset:{start + page.size}" if more else None,
            total_count=len(rows) if count else None,
        )

    async def changes(
        self, entity: str, token: str | None, *, page_size: int = 500
    ) -> AsyncIterator[ChangeBatch]:
        self.calls["changes"] += 1
        if token is not None and not token.startswith(CHANGE_TOKEN_PREFIX):
            raise ValidationError(
                f"{token[:40]!r} is not a token of this connector", system=self.system
            )
        since = int(token.removeprefix(CHANGE_TOKEN_PREFIX)) if token else 0
        table = self._table(entity)
        events = sorted(
            [(row.sequence, id, False) for id, row in table.rows.items() if row.sequence > since]
            + (
                [(seq, id, True) for id, seq in table.deleted.items() if seq > since]
                if token
                else []
            )
        )
        if not events:
            yield ChangeBatch(
                [],
                [],
                f"{CHANGE_TOKEN_PREFIX}{self._last_sequence if token is None else since}",
                True,
            )
            return
        for start in range(0, len(events), page_size):
            chunk = events[start : start + page_size]
            upserts = [
                self._record(entity, id, table.rows[id]) for _, id, gone in chunk if not gone
            ]
            deleted = [id for _, id, gone in chunk if gone]
            done = start + page_size >= len(events)
            yield ChangeBatch(upserts, deleted, f"{CHANGE_TOKEN_PREFIX}{chunk[-1][0]}", done)

    # ---- writes ---------------------------------------------------------------------------------

    async def create(self, entity: str, values: Mapping[str, Any]) -> Record:
        self.calls["create"] += 1
        return self._create(entity, values)

    def _create(self, entity: str, values: Mapping[str, Any]) -> Record:
        body = self._check(entity, values)
        table = self._table(entity)
        id = str(body.get("id") or uuid.uuid4())
        if id in table.rows:
            raise ConflictError(
                f"create {entity}: {id} already exists", system=self.system, status=412
            )
        row = _Row({**body, "id": id}, 1, self._clock(), self._next())
        table.rows[id] = row
        table.deleted.pop(id, None)
        return self._record(entity, id, row)

    async def update(
        self, entity: str, id: str, values: Mapping[str, Any], etag: str | None = None
    ) -> Record:
        self.calls["update"] += 1
        return self._update(entity, id, values, etag)

    def _update(self, entity: str, id: str, values: Mapping[str, Any], etag: str | None) -> Record:
        body = self._check(entity, values)
        row = self._existing(entity, id, etag, "update")
        row.values.update({k: v for k, v in body.items() if k != "id"})
        row.version += 1
        row.modified_on = self._clock()
        row.sequence = self._next()
        return self._record(entity, id, row)

    async def delete(self, entity: str, id: str, etag: str | None = None) -> None:
        self.calls["delete"] += 1
        self._delete(entity, id, etag)

    def _delete(self, entity: str, id: str, etag: str | None) -> None:
        self._existing(entity, id, etag, "delete")
        table = self._table(entity)
        del table.rows[id]
        table.deleted[id] = self._next()

    def _existing(self, entity: str, id: str, etag: str | None, doing: str) -> _Row:
        row = self._table(entity).rows.get(id)
        if row is None:
            raise NotFoundError(f"{doing} {entity} {id}: not found", system=self.system, status=404)
        if etag is not None and etag not in ("*", f'W/"{row.version}"'):
            raise ConflictError(
                f"{doing} {entity} {id}: the record changed since it was read",
                system=self.system,
                status=412,
            )
        return row

    async def write_many(
        self, operations: Sequence[Operation], *, atomic: bool = False
    ) -> list[OperationResult]:
        self.calls["write_many"] += 1
        saved = (copy.deepcopy(self._tables), self._last_sequence) if atomic else None
        results: list[OperationResult] = []
        for operation in operations:
            try:
                if isinstance(operation, Create):
                    results.append(
                        OperationResult(
                            operation, record=self._create(operation.entity, operation.values)
                        )
                    )
                elif isinstance(operation, Update):
                    record = self._update(
                        operation.entity, operation.id, operation.values, operation.etag
                    )
                    results.append(OperationResult(operation, record=record))
                elif isinstance(operation, Delete):
                    self._delete(operation.entity, operation.id, operation.etag)
                    results.append(OperationResult(operation))
            except ConnectorError as error:
                if saved is not None:
                    self._tables, self._last_sequence = saved
                    return [OperationResult(op, error=error) for op in operations]
                results.append(OperationResult(operation, error=error))
        return results

    async def transition(
        self, entity: str, id: str, action: str, params: Mapping[str, Any] | None = None
    ) -> Record | None:
        self.calls["transition"] += 1
        values = self._transitions.get(entity, {}).get(action)
        if values is None:
            raise ValidationError(f"{action!r} is not an action of {entity}", system=self.system)
        return self._update(entity, id, {**values, **(params or {})}, None)

    # ---- statistics -----------------------------------------------------------------------------

    async def crm_statistics(self, account_ids: Sequence[str]) -> dict[str, CrmAccountStatistics]:
        self.calls["crm_statistics"] += 1
        counts: dict[str, dict[str, int]] = {i: {} for i in account_ids}
        for rule in CRM_STATISTICS:
            for row in self._tables.get(rule.entity, _Table()).rows.values():
                account = row.values.get(rule.account_field)
                if account in counts and matches(rule.open, row.values):
                    counts[account][rule.figure] = counts[account].get(rule.figure, 0) + 1
        return {i: CrmAccountStatistics(**figures) for i, figures in counts.items()}

    async def customer_statistics(
        self, customer_ids: Sequence[str]
    ) -> dict[str, ErpCustomerStatistics]:
        self.calls["customer_statistics"] += 1
        details = self._tables.get("customer_statistics", _Table()).rows
        customers = self._tables.get("customer", _Table()).rows
        result = {}
        for i in customer_ids:
            if i in details:
                values = details[i].values
                currency = customers[i].values.get("currencyCode") if i in customers else None
                result[i] = ErpCustomerStatistics(
                    balance=float(values.get("balance") or 0),
                    total_sales=float(values.get("totalSalesExcludingTax") or 0),
                    overdue_amount=float(values.get("overdueAmount") or 0),
                    currency_code=currency or None,
                )
        return result

    async def aclose(self) -> None:
        return None


def sort_key(value: Any) -> tuple[int, Any]:
    return (0, "") if value is None else (1, value)


def matches(node: Filter, values: Mapping[str, Any]) -> bool:  # noqa: PLR0911 - one case per node
    """Whether `values` satisfy `node`, with Dataverse's case-insensitive text matching."""
    if isinstance(node, Compare):
        return compare(values.get(node.field), node.op, node.value)
    if isinstance(node, In):
        return any(compare(values.get(node.field), "eq", item) for item in node.values)
    if isinstance(node, Contains | StartsWith):
        actual = values.get(node.field)
        if not isinstance(actual, str):
            return False
        text, wanted = actual.lower(), node.value.lower()
        return wanted in text if isinstance(node, Contains) else text.startswith(wanted)
    if isinstance(node, And):
        return all(matches(part, values) for part in node.parts)
    if isinstance(node, Or):
        return any(matches(part, values) for part in node.parts)
    if isinstance(node, Not):
        return not matches(node.part, values)
    raise ValidationError(f"unknown filter node {type(node).__name__}", system="memory")


def _caseless(value: Any) -> Any:
    """Text as Dataverse compares it for equality: without case."""
    return value.lower() if isinstance(value, str) else value


def compare(actual: Any, op: str, expected: Any) -> bool:
    if isinstance(actual, str) and isinstance(expected, str) and op in ("eq", "ne"):
        actual, expected = actual.lower(), expected.lower()  # GUIDs and text compare caselessly
    if op == "eq":
        return bool(actual == expected)
    if op == "ne":
        return bool(actual != expected)
    if actual is None or expected is None:
        return False
    try:
        outcome = {
            "gt": lambda: actual > expected,
            "ge": lambda: actual >= expected,
            "lt": lambda: actual < expected,
            "le": lambda: actual <= expected,
        }[op]()
    except TypeError:
        return False
    return bool(outcome)
