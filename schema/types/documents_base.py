"""What every document of the read API shows, whichever its kind: both systems' ids, its number
and name, its state in each system's words and in the common words, its account and customer,
its coupling and the workflow instances that acted on it; and, for quotes, orders and
invoices, its currency, totals and lines.

A document is a `gateway.documents.merged.Merged` (the CRM's record, the ERP's, their
coupling); its node id is `<crm|erp>:<record id>` of its origin's record. Every hop to a
system goes through the request's document loaders (`schema.document_loaders`): one read per
hop for the whole page.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from adapters.base import Record
from adapters.documents import DocumentKind, Ref
from gateway.documents.kinds import other
from gateway.documents.lifecycle import LifecycleState as CoreLifecycleState
from gateway.documents.lifecycle import PaymentStatus as CorePaymentStatus
from gateway.documents.merged import NODE_SEPARATOR, Merged
from gateway.documents.views import ArchiveView, DocumentView, LineView, amount, text
from gateway.security.inputs import InputRejectedError, record_id
from gateway.types import SideName
from schema.context import Info
from schema.loaders import CRM_ACCOUNTS, CRM_USERS, ERP_CUSTOMERS, load
from schema.types.couplings import Coupling
from schema.types.lifecycles import WorkflowInstance
from schema.types.users import CrmUser

if TYPE_CHECKING:
    from schema.types.accounts import Account
    from schema.types.customers import Customer

LifecycleState = strawberry.enum(
    CoreLifecycleState,
    name="LifecycleState",
    description="Where a document is in its lifecycle across both systems, derived from the "
    "state each system gives it (see docs/lifecycles.md). Quotes: DRAFT, SUBMITTED, APPROVED, "
    "REJECTED, ACTIVE, WON, LOST, CANCELED, REVISED; sales orders: DRAFT, SUBMITTED, OPEN, "
    "SHIPPED, INVOICED, CANCELED; invoices: DRAFT, OPEN, PARTIALLY_PAID, PAID, CANCELED; "
    "projects: PLANNING, OPEN, COMPLETED; opportunities: OPEN, WON, LOST.",
)
PaymentStatus = strawberry.enum(
    CorePaymentStatus,
    name="PaymentStatus",
    description="UNPAID: nothing paid yet; PARTIAL: partly paid; PAID: nothing remains.",
)


@strawberry.type(description="One line of a quote, sales order or invoice.")
class DocumentLine:
    line_number: int | None = strawberry.field(description="Its position on the document.")
    product_number: str | None = strawberry.field(
        description="The item's or product's number; for a write-in line, the item it is "
        "sold as in the ERP, or none."
    )
    description: str | None
    quantity: float | None
    unit_of_measure: str | None
    unit_price: float | None
    discount_amount: float | None
    discount_percent: float | None
    amount: float | None = strawberry.field(description="The line amount, after discount.")
    write_in: bool = strawberry.field(
        description="A product written in on the document rather than one of the catalogue."
    )
    shipped_quantity: float | None = strawberry.field(
        description="How much of it was shipped (where the ERP says it)."
    )
    invoiced_quantity: float | None
    system: str = strawberry.field(description="The system whose lines these are.")


@strawberry.type(description="A version of a quote the ERP archived before changing it.")
class ArchivedVersion:
    version: int
    archived_at: datetime | None
    net_amount: float | None
    total_amount: float | None


def parse_key(key: str) -> tuple[SideName, str] | None:
    """(side, record id) of a document's node id, or None if it is not one."""
    side, separator, record = key.partition(NODE_SEPARATOR)
    if not separator or side not in ("crm", "erp") or not record:
        return None
    return ("crm" if side == "crm" else "erp"), record


async def documents_by_keys(
    info: Info, kind: DocumentKind, keys: Iterable[str]
) -> list[Merged | None]:
    """Documents by node id; a key that is not one, or names nothing, is None."""
    documents = info.context.loaders.documents
    found: list[Merged | None] = []
    for key in keys:
        parsed = parse_key(key)
        connector = None
        if parsed is not None:
            services = documents.services
            connector = services.crm if parsed[0] == "crm" else services.erp
        if parsed is None or connector is None:
            found.append(None)
            continue
        try:
            record = str(record_id(connector.capabilities.id_kind, parsed[1], "id"))
        except InputRejectedError:
            found.append(None)
            continue
        found.append(await document_by_id(info, kind, parsed[0], record))
    return found


async def document_by_id(info: Info, kind: DocumentKind, side: SideName, key: str) -> Merged | None:
    documents = info.context.loaders.documents
    return await documents.found(info, documents.by_id(kind, side).load(key))


@strawberry.type
class DocumentBase:
    """Fields every kind of document has (not a GraphQL type of its own)."""

    doc: strawberry.Private[Merged]
    # Plain values, set when the node is made (`document_facts`): cheaper to serve than
    # resolvers, and each is computed once per document anyway.
    crm_id: strawberry.ID | None = strawberry.field(
        description="Its id in the CRM (null when the CRM has no such document)."
    )
    erp_id: strawberry.ID | None = strawberry.field(
        description="Its id in the ERP (null when the ERP has no such document)."
    )
    number: str | None = strawberry.field(description="Its number, in the system it started in.")
    crm_number: str | None = strawberry.field(description="The CRM's number of it.")
    erp_number: str | None = strawberry.field(description="The ERP's number of it.")
    name: str | None
    crm_state: str | None = strawberry.field(
        description="Its state in the CRM's own words (Draft, Submitted, Approved in ERP, Active, "
        "Won, ...); 'absent' when the CRM has none; null when the CRM did not answer (or no "
        "longer has the coupled record)."
    )
    erp_state: str | None = strawberry.field(
        description="Its state in the ERP's own words (Open, Pending Approval, Approved, "
        "Accepted, ...); 'absent' when the ERP has none; null when the ERP did not answer (or "
        "no longer has the coupled record, as an order it fully invoiced)."
    )
    state: LifecycleState = strawberry.field(  # type: ignore[valid-type]
        description="The common lifecycle state derived from both systems' states."
    )
    document_date: date | None = strawberry.field(
        description="Its own date (created, document or order date)."
    )

    @strawberry.field(description="The coupling of its two records, if they are coupled.")
    def coupling(self) -> Coupling | None:
        return None if self.doc.coupling is None else Coupling.of(self.doc.coupling)

    @strawberry.field(description="Its owner in the CRM.")
    async def owner(self, info: Info) -> CrmUser | None:
        crm = self.doc.crm
        owner = crm.text(crm.fields.owner) if crm is not None else None
        if owner is None:
            return None
        loaders = info.context.loaders
        view = await load(loaders, loaders.users, owner, CRM_USERS)
        return None if view is None else CrmUser.of(view)

    @strawberry.field(description="The CRM account it is for.")
    async def account(
        self, info: Info
    ) -> Annotated[Account, strawberry.lazy("schema.types.accounts")] | None:
        from schema.types.accounts import Account

        account_id = await party_id(info, self.doc, "crm")
        if account_id is None:
            return None
        loaders = info.context.loaders
        view = await load(loaders, loaders.accounts, account_id, CRM_ACCOUNTS)
        if view is None:
            return None
        return Account.of(view, await loaders.account_couplings.load(view.id))

    @strawberry.field(description="The ERP customer it is for.")
    async def customer(
        self, info: Info
    ) -> Annotated[Customer, strawberry.lazy("schema.types.customers")] | None:
        from schema.types.customers import Customer

        customer_id = await party_id(info, self.doc, "erp")
        if customer_id is None:
            return None
        loaders = info.context.loaders
        view = await load(loaders, loaders.customers, customer_id, ERP_CUSTOMERS)
        if view is None:
            return None
        return Customer.of(view, await loaders.customer_couplings.load(view.id))

    @strawberry.field(description="The lifecycle operations that acted on it, newest first.")
    async def workflow_instances(self, info: Info) -> list[WorkflowInstance]:
        documents = info.context.loaders.documents
        loader = documents.workflows(self.doc.kind)
        ids = [key for side in ("crm", "erp") if (key := self.doc.side_id(side)) is not None]
        found: dict[str, WorkflowInstance] = {}
        for instances in await loader.load_many(ids):
            for instance in instances:
                if instance.id is not None:
                    found.setdefault(instance.id, WorkflowInstance.from_instance(instance))
        return sorted(found.values(), key=lambda item: item.instance_id, reverse=True)


@strawberry.type
class PricedDocument(DocumentBase):
    """Fields of quotes, orders and invoices (not a GraphQL type of its own)."""

    salesperson_code: str | None = strawberry.field(description="The ERP's salesperson code on it.")
    net_amount: float | None = strawberry.field(
        description="The total before tax (the ERP's figure when it has one)."
    )
    tax_amount: float | None = strawberry.field(description="The tax on it.")
    total_amount: float | None = strawberry.field(description="The total including tax.")

    @strawberry.field(
        description="Its currency's ISO code; null for the ERP company's own currency."
    )
    async def currency_code(self, info: Info) -> str | None:
        erp = self.doc.erp
        if erp is not None:  # the ERP's code; none: its company's own currency
            value, ref = _held(erp, erp.fields.currency)
            if ref is None:
                return value
            return None if value is None else await referenced(info, "erp", ref, value)
        crm = self.doc.crm
        if crm is None:
            return None
        value, ref = _held(crm, crm.fields.currency)
        if ref is None or value is None:
            return value
        return await referenced(info, "crm", ref, value)

    @strawberry.field(
        description="Its lines, from the system it started in (the other's when that one has "
        "none or did not answer); comment lines are left out."
    )
    async def lines(self, info: Info) -> list[DocumentLine]:
        return await document_lines(info, self.doc)


def id_of(doc: Merged, side: SideName) -> strawberry.ID | None:
    found = doc.side_id(side)
    return None if found is None else strawberry.ID(found)


def document_facts(doc: Merged) -> dict[str, Any]:
    """The plain values of `DocumentBase`."""
    return {
        "doc": doc,
        "crm_id": id_of(doc, "crm"),
        "erp_id": id_of(doc, "erp"),
        "number": doc.number,
        "crm_number": doc.crm.number if doc.crm is not None else None,
        "erp_number": doc.erp.number if doc.erp is not None else None,
        "name": doc.name,
        "crm_state": doc.crm_state,
        "erp_state": doc.erp_state,
        "state": doc.state,
        "document_date": doc.document_date,
    }


def priced_facts(doc: Merged) -> dict[str, Any]:
    """The plain values of `PricedDocument`."""
    erp = doc.erp
    return {
        **document_facts(doc),
        "salesperson_code": erp.text(erp.fields.salesperson) if erp is not None else None,
        "net_amount": doc.erp_first(lambda view: view.amount(view.fields.net)),
        "tax_amount": doc.erp_first(lambda view: view.amount(view.fields.tax)),
        "total_amount": doc.erp_first(lambda view: view.amount(view.fields.gross)),
    }


def _held(view: DocumentView, shown: str | Ref | None) -> tuple[str | None, Ref | None]:
    if isinstance(shown, Ref):
        return view.text(shown.field), shown
    return view.text(shown), None


async def referenced(info: Info, side: SideName, ref: Ref, value: str) -> str | None:
    """The shown field of the record a reference points to."""
    documents = info.context.loaders.documents
    record = await documents.attempt(
        info, side, f"{ref.entity} records", documents.records(side, ref.entity).load(value), None
    )
    return None if record is None else text(record.values, ref.shown)


async def party_id(info: Info, doc: Merged, side: SideName) -> str | None:
    """The account ("crm") or customer ("erp") of a document: its record's, or the coupled
    counterpart of its other record's."""
    own = doc.side(side)
    if own is not None:
        return own.party
    theirs = doc.side(other(side))
    if theirs is None or theirs.party is None:
        return None
    loaders = info.context.loaders
    coupling = await (
        loaders.customer_couplings if side == "crm" else loaders.account_couplings
    ).load(theirs.party)
    return None if coupling is None else coupling.side(side).id


# ---- lines ------------------------------------------------------------------------------------


async def document_lines(info: Info, doc: Merged) -> list[DocumentLine]:
    documents = info.context.loaders.documents
    for view in doc.views():
        fields = view.fields.lines
        if fields is None:
            continue
        side: SideName = "crm" if view is doc.crm else "erp"
        embedded = view.embedded_lines()
        if embedded is not None:
            values: Sequence[Any] | None = embedded
        else:
            values = await documents.attempt(
                info,
                side,
                f"{documents.plural(doc.kind).removesuffix('s')} lines",
                documents.lines(doc.kind, side).load(view.id),
                None,
            )
        if values is None:
            continue  # the system did not answer: the other system's lines, if any
        return await _lines(info, view, side, [LineView(line, fields) for line in values])
    return []


async def _lines(
    info: Info, view: DocumentView, side: SideName, lines: list[LineView]
) -> list[DocumentLine]:
    wanted = info.context.loaders.documents.selected(info)
    fields = view.fields.lines
    assert fields is not None
    shown = [line for line in lines if not line.is_text]
    shown.sort(key=lambda line: line.sequence)
    numbers = await _references(info, side, shown, fields.product_number, "productNumber" in wanted)
    units = await _references(info, side, shown, fields.unit, "unitOfMeasure" in wanted)
    write_in_number = info.context.services.settings.write_in_product_number
    result = []
    for position, line in enumerate(shown, start=1):
        values = line.values
        number = numbers[position - 1]
        write_in = line.write_in or (
            side == "erp" and write_in_number is not None and number == write_in_number
        )
        result.append(
            DocumentLine(
                line_number=position,
                product_number=number,
                description=text(values, fields.description),
                quantity=amount(values, fields.quantity),
                unit_of_measure=units[position - 1],
                unit_price=amount(values, fields.unit_price),
                discount_amount=amount(values, fields.discount_amount),
                discount_percent=amount(values, fields.discount_percent),
                amount=amount(values, fields.amount),
                write_in=write_in,
                shipped_quantity=amount(values, fields.shipped),
                invoiced_quantity=amount(values, fields.invoiced),
                system=view.record.system,
            )
        )
    return result


async def _references(
    info: Info, side: SideName, lines: list[LineView], shown: str | Ref | None, wanted: bool
) -> list[str | None]:
    """A fact of each line, held on the line or (read only when asked for) by reference."""
    if not isinstance(shown, Ref):
        return [text(line.values, shown) for line in lines]
    if not wanted:
        return [None] * len(lines)
    ids = [text(line.values, shown.field) for line in lines]
    documents = info.context.loaders.documents
    loader = documents.records(side, shown.entity)
    keys = [key for key in ids if key is not None]
    nothing: list[Record | None] = [None] * len(keys)
    records = await documents.attempt(
        info, side, f"{shown.entity} records", loader.load_many(keys), nothing
    )
    by_id = dict(zip(keys, records, strict=True))
    return [
        text(found.values, shown.shown) if key and (found := by_id.get(key)) else None
        for key in ids
    ]


async def archived_versions(info: Info, doc: Merged) -> list[ArchivedVersion]:
    erp = doc.erp
    archive = erp.fields.archives if erp is not None else None
    if erp is None or archive is None:
        return []
    documents = info.context.loaders.documents
    found = await documents.attempt(
        info,
        "erp",
        "archived quote versions",
        documents.archives(doc.kind).load(erp.id),
        [],
    )
    versions = [ArchiveView(values, archive) for values in found]
    return [
        ArchivedVersion(
            version=item.version,
            archived_at=item.archived_at,
            net_amount=amount(item.values, archive.net),
            total_amount=amount(item.values, archive.gross),
        )
        for item in sorted(versions, key=lambda item: item.version)
    ]
