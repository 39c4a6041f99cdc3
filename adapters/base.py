"""The connector protocol: one async, batch-first interface for every external system.

Everything above `adapters` (sync engine, GraphQL, jobs) speaks to ERPs and CRMs only through
`Connector`, with `Record`s whose `values` use the system's own field names (the field mappings
translate between the two sides). No URL, token or wire format leaks out of a connector.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable

from adapters.capabilities import Capabilities
from adapters.errors import ConnectorError
from adapters.filters import Filter


class Side(StrEnum):
    """Which role a system plays in an integration."""

    ERP = "erp"
    CRM = "crm"
    PROJECT = "project"  # a project-management system (Project Server)


class Entity(StrEnum):
    """Canonical entity names. Where both sides hold the same thing (a contact, a currency, a
    sales order) they use the same name; where they differ (a CRM account, an ERP customer),
    the name says which one it is."""

    # CRM (Dynamics 365 Sales)
    ACCOUNT = "account"
    USER = "user"
    UNIT_GROUP = "unit_group"
    PRODUCT = "product"
    PRICE_LIST = "price_list"
    OPPORTUNITY = "opportunity"
    CASE = "case"
    # ERP (Business Central, Tryton)
    CUSTOMER = "customer"
    SALESPERSON = "salesperson"
    UNIT_OF_MEASURE = "unit_of_measure"
    ITEM = "item"
    RESOURCE = "resource"
    CUSTOMER_PRICE_GROUP = "customer_price_group"
    PAYMENT = "payment"
    CUSTOMER_STATISTICS = "customer_statistics"
    ACTIVITY = "activity"  # a node of a project's activity tree (BC project task, Tryton work)
    WORKER = "worker"  # who posts hours on projects (BC resource, Tryton employee)
    PROJECT_ACTUAL = "project_actual"  # posted hours and expenses (BC project ledger entry)
    # Project management (Project Server)
    TASK = "task"
    ASSIGNMENT = "assignment"
    # Both sides
    CONTACT = "contact"
    CURRENCY = "currency"
    QUOTE = "quote"
    QUOTE_LINE = "quote_line"
    SALES_ORDER = "sales_order"
    SALES_ORDER_LINE = "sales_order_line"
    INVOICE = "invoice"
    INVOICE_LINE = "invoice_line"
    PROJECT = "project"
    # ERP: an archived version of a sales quote
    QUOTE_ARCHIVE = "quote_archive"


@dataclass(frozen=True, slots=True)
class Record:
    """One record of an external system, as that system names its fields."""

    system: str
    entity: str
    id: str
    values: Mapping[str, Any]
    modified_on: datetime | None = None
    etag: str | None = None

    def get(self, field_name: str, default: Any = None) -> Any:
        return self.values.get(field_name, default)


@dataclass(frozen=True, slots=True)
class Page:
    """Which page of a query to read: its size and the cursor a previous page returned."""

    size: int = 100
    cursor: str | None = None


@dataclass(frozen=True, slots=True)
class QueryResult:
    records: list[Record]
    next_cursor: str | None = None
    total_count: int | None = None


@dataclass(frozen=True, slots=True)
class ChangeBatch:
    """One page of changes. `token` resumes reading right after this batch: persist it only once
    the batch has been applied, so that a crash re-reads the batch instead of losing it."""

    upserts: list[Record]
    deleted_ids: list[str]
    token: str
    done: bool


@dataclass(frozen=True, slots=True)
class Create:
    entity: str
    values: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class Update:
    entity: str
    id: str
    values: Mapping[str, Any]
    etag: str | None = None


@dataclass(frozen=True, slots=True)
class Delete:
    entity: str
    id: str
    etag: str | None = None


Operation = Create | Update | Delete


@dataclass(frozen=True, slots=True)
class OperationResult:
    """The outcome of one operation of a bulk write: the record written, or the error."""

    operation: Operation
    record: Record | None = None
    error: ConnectorError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True, slots=True)
class EntitySpec:
    """What a connector knows about one entity: its native name, key and fields, and how it
    reports changes. Declared as data so the engine can plan without asking the wire."""

    name: str
    native_name: str
    key_field: str
    fields: frozenset[str] = field(default_factory=frozenset)
    modified_field: str | None = None
    change_tracking: bool = False
    # Lookup fields and the entity they point to (e.g. "_ownerid_value" -> "user").
    lookups: Mapping[str, str] = field(default_factory=dict)
    read_only: bool = False
    # Fields the system computes (totals from lines, numbers from a series): read, never written.
    computed: frozenset[str] = field(default_factory=frozenset)


@runtime_checkable
class Connector(Protocol):
    """One external system. Every method is async and batch-first; errors are `ConnectorError`
    subclasses classified by what the caller must do (see `adapters.errors`)."""

    system: str
    side: Side

    @property
    def capabilities(self) -> Capabilities:
        """What the core may rely on: id shape, paging, caller-chosen ids, batch sizes."""
        ...

    def entities(self) -> Mapping[str, EntitySpec]:
        """The entities this connector serves, by canonical name."""
        ...

    async def get_many(
        self, entity: str, ids: Sequence[str], *, fields: Sequence[str] | None = None
    ) -> dict[str, Record]:
        """Records by id, in as few requests as the system allows; unknown ids are absent."""
        ...

    async def get_where(
        self,
        entity: str,
        field: str,
        values: Sequence[Any],
        *,
        fields: Sequence[str] | None = None,
    ) -> list[Record]:
        """Every record whose `field` holds one of `values`, in as few requests as the
        system's limits allow (the connector splits the list itself)."""
        ...

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
        """One page of records matching `filter`, with the cursor of the next page."""
        ...

    def changes(
        self, entity: str, token: str | None, *, page_size: int = 500
    ) -> AsyncIterator[ChangeBatch]:
        """Changes since `token` (None: every record, then a token for what follows)."""
        ...

    async def create(self, entity: str, values: Mapping[str, Any]) -> Record: ...

    async def update(
        self, entity: str, id: str, values: Mapping[str, Any], etag: str | None = None
    ) -> Record:
        """Change `values`; with `etag`, only if the record is still that version."""
        ...

    async def delete(self, entity: str, id: str, etag: str | None = None) -> None: ...

    async def write_many(self, operations: Sequence[Operation]) -> list[OperationResult]:
        """Bulk writes (`$batch` where the system has it); one result per operation, in order."""
        ...

    async def transition(
        self, entity: str, id: str, action: str, params: Mapping[str, Any] | None = None
    ) -> Record | None:
        """A lifecycle action (bound action, workflow button); returns the record after it."""
        ...

    async def aclose(self) -> None: ...
