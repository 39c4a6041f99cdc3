"""Where a system keeps the facts of its sales documents, declared as data.

The read API shows quotes, sales orders, invoices, projects, opportunities and items of both
systems side by side. A connector that serves them (`DocumentSource`) says, per kind of
document, which of its entities hold them and under which field names (`DocumentFields`),
how their lines and archived versions are read, and which fields link one document to
another. Everything above `adapters` reads documents through these declarations only, so a
new ERP declares its own and nothing else changes.

A field is named by a string; a fact the record holds only as a reference to another record
(a Dataverse line's product, a quote's currency) is a `Ref`: the lookup field, the entity it
points to and the field of that record that is shown.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal, Protocol, runtime_checkable


class DocumentKind(StrEnum):
    QUOTE = "quote"
    SALES_ORDER = "sales_order"
    INVOICE = "invoice"
    PROJECT = "project"
    OPPORTUNITY = "opportunity"
    ITEM = "item"


@dataclass(frozen=True, slots=True)
class Ref:
    """A fact held by another record: `field` holds its id, `entity` is read for `shown`."""

    field: str
    entity: str
    shown: str


Shown = str | Ref | None


@dataclass(frozen=True, slots=True)
class Link:
    """The field of a document that names another document.

    `by`: "id" (the other document's id), "number" (its number) or "self" (the same record is
    both, as a Tryton sale is its own order once confirmed). `many`: the field holds a list.
    """

    field: str | None
    by: Literal["id", "number", "self"] = "id"
    many: bool = False


@dataclass(frozen=True, slots=True)
class LineFields:
    """Lines: their own entity with a field naming the document (`entity`, `parent`), or
    embedded in the document's record under `embedded`."""

    entity: str | None = None
    parent: str | None = None
    embedded: str | None = None
    sequence: str | None = None
    product: str | None = None  # the product's id
    product_number: Shown = None
    description: str | None = None
    quantity: str | None = None
    unit: Shown = None
    unit_price: str | None = None
    discount_amount: str | None = None
    discount_percent: str | None = None
    amount: str | None = None
    # A boolean: the line sells a product written in rather than one of the catalogue.
    write_in: str | None = None
    # The line's type, and the types that are text only (comments, titles).
    line_type: str | None = None
    text_types: frozenset[str] = frozenset()
    shipped: str | None = None
    invoiced: str | None = None


@dataclass(frozen=True, slots=True)
class ArchiveFields:
    """Archived versions of a document, in an entity of their own."""

    entity: str
    parent: str
    version: str
    archived_at: str
    net: str | None = None
    gross: str | None = None


@dataclass(frozen=True, slots=True)
class DocumentFields:
    """Where one kind of document lives in one system, and its facts' field names.

    `entities`: the entities a document of this kind may be read as, the first the usual one
    (a Tryton quote becomes a sales order when confirmed). `party`: the field naming the CRM
    account or ERP customer it belongs to. `date`: the document's own date, used to order an
    account's documents newest first and by date filters (`date_is_datetime`: a timestamp).
    `search`: text fields a search looks in; `search_any`: the system can `or` them in one
    filter (otherwise the gateway filters what it read).
    """

    entities: tuple[str, ...]
    party: str | None = None
    number: str | None = None
    name: str | None = None
    owner: str | None = None
    salesperson: str | None = None
    currency: Shown = None
    net: str | None = None
    tax: str | None = None
    gross: str | None = None
    date: str | None = None
    date_is_datetime: bool = False
    valid_until: str | None = None
    requested_delivery: str | None = None
    due_date: str | None = None
    start: str | None = None
    end: str | None = None
    revision: str | None = None
    status: str | None = None
    remaining: str | None = None
    probability: str | None = None
    unit_price: str | None = None
    opportunity: str | None = None
    quote: Link | None = None
    order: Link | None = None
    project: Link | None = None
    lines: LineFields | None = None
    archives: ArchiveFields | None = None
    search: tuple[str, ...] = ()
    search_any: bool = False

    @property
    def entity(self) -> str:
        return self.entities[0]


@dataclass(frozen=True, slots=True)
class Documents:
    """What one system declares: its kinds of documents."""

    kinds: Mapping[DocumentKind, DocumentFields] = field(default_factory=dict)

    def of(self, kind: DocumentKind) -> DocumentFields | None:
        return self.kinds.get(kind)


@runtime_checkable
class DocumentSource(Protocol):
    def documents(self) -> Documents:
        """The kinds of sales documents this system holds, and where their facts live."""
        ...


@dataclass(frozen=True, slots=True)
class ItemAvailability:
    """Stock of an item: on hand, and (where the system knows it) what open sales orders hold
    for customers and have not shipped yet."""

    inventory: float
    on_open_sales_orders: float | None = None

    @property
    def available(self) -> float:
        return self.inventory - (self.on_open_sales_orders or 0.0)


@runtime_checkable
class ItemAvailabilitySource(Protocol):
    async def item_availability(self, item_ids: Sequence[str]) -> dict[str, ItemAvailability]:
        """Availability of every id that names an existing item, in a constant number of
        requests whatever the number of ids."""
        ...
