"""Reading lifecycle documents on both sides, and translating a CRM document into what the
ERP needs to hold it: a header through the document's table mapping, and sales lines.

Lines: a line with a coupled product becomes an item (ITEM-PRODUCT) or resource
(RESOURCE-PRODUCT) line; a write-in product (no product, or an overridden one) becomes a line
of the configured write-in item or resource; a description longer than the ERP's line
description (Business Central: 100 characters) is cut there, and comment lines after it carry
the full text. Everything is checked before the first write: an uncoupled customer or product
is refused naming what to couple first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from adapters.base import Page, Record
from adapters.filters import eq
from gateway.mappings.model import Direction, TableMapping
from gateway.mappings.translate import resolve_lookups
from gateway.refusals import RefusalCode, refuse
from gateway.store.couplings import CoupledRecord, Coupling
from gateway.sync.pairs import coupled_record
from gateway.sync.plan import plan_create
from gateway.workflows.steps import Result, WorkflowContext
from gateway.workflows.wording import names_of, not_carried

ERP_DESCRIPTION_LENGTH = 100  # Business Central's Description on a sales line
ERP_EXTERNAL_NUMBER_LENGTH = 35  # Business Central's External Document No.
ITEM_MAPPING, RESOURCE_MAPPING = "ITEM-PRODUCT", "RESOURCE-PRODUCT"
_LINES_PAGE = 1000


async def mapping_named(ctx: WorkflowContext, name: str) -> TableMapping:
    mapping = await ctx.services.mappings.get(name)
    if mapping is None or not mapping.enabled:
        state = "does not exist" if mapping is None else "is disabled"
        raise refuse(RefusalCode.NOT_FOUND, f"the table mapping {name} {state}")
    return mapping


async def read_one(ctx: WorkflowContext, side: str, entity: str, record_id: str) -> Record | None:
    connector = ctx.erp if side == "erp" else ctx.crm
    return (await connector.get_many(entity, [record_id])).get(record_id)


async def coupling_of(
    ctx: WorkflowContext, mapping: str, side: str, record_id: str
) -> Coupling | None:
    found = await ctx.couplings.by_ids(mapping, "erp" if side == "erp" else "crm", [record_id])
    return found.get(record_id)


async def lines_of(
    ctx: WorkflowContext, side: str, entity: str, parent_field: str, parent_id: str
) -> list[Record]:
    connector = ctx.erp if side == "erp" else ctx.crm
    found: list[Record] = []
    cursor: str | None = None
    while True:
        page = await connector.query(
            entity, eq(parent_field, parent_id), Page(size=_LINES_PAGE, cursor=cursor)
        )
        found += page.records
        cursor = page.next_cursor
        if cursor is None:
            return found


def summary(record: Record | None, state: str, *, number_field: str) -> Result:
    """What a workflow remembers and answers about a document."""
    if record is None:
        return {"state": state}
    number = record.values.get(number_field)
    return {
        "system": record.system,
        "entity": record.entity,
        "id": record.id,
        "number": None if number is None else str(number),
        "state": state,
    }


async def erp_header(
    ctx: WorkflowContext,
    mapping: TableMapping,
    crm_values: Mapping[str, Any],
    *,
    document: str,
    field: str,
) -> dict[str, Any]:
    """The ERP document's header values from the CRM document, through the mapping; a
    reference that is not coupled is refused naming the record (`document`: "quote")."""
    lookups = await resolve_lookups(mapping, Direction.FROM_CRM, [crm_values], ctx.couplings)
    plan = plan_create(mapping, Direction.FROM_CRM, crm_values, lookups)
    if not plan.ok:
        raise await not_carried(
            ctx,
            mapping,
            Direction.FROM_CRM,
            crm_values,
            plan.problems,
            document=document,
            field=(field,),
        )
    values = dict(plan.values)
    number = values.get("externalDocumentNumber")
    if isinstance(number, str):
        values["externalDocumentNumber"] = number[:ERP_EXTERNAL_NUMBER_LENGTH]
    return values


async def erp_lines(
    ctx: WorkflowContext, crm_lines: Sequence[Mapping[str, Any]], *, field: str
) -> list[Result]:
    """The ERP sales lines for the CRM lines, in order, comment lines included. A refusal
    names the line by its position and the input `field` that named the document."""
    products = [
        str(line["_productid_value"])
        for line in crm_lines
        if line.get("_productid_value") and not line.get("isproductoverridden")
    ]
    items = await ctx.couplings.by_ids(ITEM_MAPPING, "crm", products)
    resources = await ctx.couplings.by_ids(
        RESOURCE_MAPPING, "crm", [p for p in products if p not in items]
    )
    uncoupled = [
        p for p in products if p not in items and not (p in resources and resources[p].erp.key)
    ]
    names = await names_of(ctx.crm, "product", uncoupled)
    planned: list[Result] = []
    for position, line in enumerate(ordered(crm_lines), start=1):
        product = line.get("_productid_value")
        if product and not line.get("isproductoverridden"):
            product = str(product)
            if product in uncoupled:
                raise refuse(
                    RefusalCode.DEPENDENCY_NOT_COUPLED,
                    f"line {position}: the CRM product {names.get(product, product)} is not "
                    f"coupled to an ERP item or resource: couple it in {ITEM_MAPPING} or "
                    f"{RESOURCE_MAPPING} first",
                    field,
                )
            base = _product_line(product, items, resources)
        else:
            base = _write_in_line(ctx, position, field)
        text = str(line.get("productdescription") or "").strip()
        values: Result = {**base, "quantity": float(line.get("quantity") or 0)}
        if line.get("priceperunit") is not None:
            values["unitPrice"] = float(line["priceperunit"])
        if line.get("manualdiscountamount"):
            values["discountAmount"] = float(line["manualdiscountamount"])
        if text:
            values["description"] = text[:ERP_DESCRIPTION_LENGTH]
        planned.append(values)
        if len(text) > ERP_DESCRIPTION_LENGTH:
            planned += [
                {"lineType": "Comment", "description": text[i : i + ERP_DESCRIPTION_LENGTH]}
                for i in range(0, len(text), ERP_DESCRIPTION_LENGTH)
            ]
    return planned


def ordered(lines: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return sorted(lines, key=lambda line: line.get("lineitemnumber") or 0)


def _product_line(
    product: str, items: Mapping[str, Coupling], resources: Mapping[str, Coupling]
) -> Result:
    if product in items:
        return {"lineType": "Item", "itemId": items[product].erp.id}
    return {"lineType": "Resource", "lineObjectNumber": resources[product].erp.key}


def _write_in_line(ctx: WorkflowContext, position: int, field: str) -> Result:
    settings = ctx.settings
    if not settings.write_in_product_number:
        raise refuse(
            RefusalCode.INVALID_INPUT,
            f"line {position} is a write-in product: set WRITE_IN_PRODUCT_NUMBER to the ERP "
            f"{settings.write_in_product_type} that write-in products are sold as",
            field,
        )
    line_type = "Item" if settings.write_in_product_type == "item" else "Resource"
    return {"lineType": line_type, "lineObjectNumber": settings.write_in_product_number}


async def write_erp_lines(
    ctx: WorkflowContext,
    entity: str,
    document_id: str,
    planned: Sequence[Mapping[str, Any]],
    ids: Sequence[str],
) -> Result:
    """Make the ERP document's lines exactly `planned` (with these ids): lines of another
    version go, lines already written (a resumed run) stay, the rest are created."""
    existing = await lines_of(ctx, "erp", entity, "documentId", document_id)
    wanted = set(ids)
    removed = 0
    for line in existing:
        if line.id not in wanted:
            await ctx.erp.delete(entity, line.id, etag=line.etag)
            removed += 1
    have = {line.id for line in existing}
    created = 0
    for position, (line_id, values) in enumerate(zip(ids, planned, strict=True), start=1):
        if line_id in have:
            continue
        body = {k: v for k, v in values.items() if v is not None}
        body.update(id=line_id, documentId=document_id, sequence=position * 10000)
        await ctx.erp.create(entity, body)
        created += 1
    return {"lines": len(planned), "created": created, "removed": removed}


def side_record(mapping: TableMapping, side: str, record: Record) -> CoupledRecord:
    return coupled_record(mapping, "erp" if side == "erp" else "crm", record)
