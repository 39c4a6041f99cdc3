"""ERP lines carried to the CRM: the lines of a quote the ERP approved or rejected (with the
edits made there) onto the CRM quote, and the lines of a posted ERP invoice onto its CRM
invoice.

The reverse of `documents.erp_lines`: an item line becomes a line of the CRM product coupled
to the item (ITEM-PRODUCT), a resource line one of the product coupled to the resource
(RESOURCE-PRODUCT); a line of the write-in item, or of an item or resource no CRM product is
coupled to, becomes a write-in line with the ERP's description, so that the CRM document
shows every line and the ERP's totals. Comment lines after a line carry its full description.
Quantities, unit prices and (where the ERP has them) line discounts are the ERP's.

Carrying writes only what differs, line by line in order: a line of the same product has its
changed values updated, any other is replaced, lines beyond the ERP's are removed.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from adapters.base import Record
from gateway.mappings.translate import values_equal
from gateway.workflows.documents import (
    ERP_DESCRIPTION_LENGTH,
    ITEM_MAPPING,
    RESOURCE_MAPPING,
    lines_of,
)
from gateway.workflows.steps import Result, Steps, WorkflowContext

CRM_DESCRIPTION_LENGTH = 500  # Dataverse's productdescription on a document line
# The CRM line entity of each document, and the lookup naming the document.
CRM_LINES = {
    "quote": ("quote_line", "_quoteid_value"),
    "invoice": ("invoice_line", "_invoiceid_value"),
}
PRODUCT = "_productid_value"
WRITE_IN = "isproductoverridden"
DISCOUNT = "manualdiscountamount"


async def crm_lines_for(
    ctx: WorkflowContext, erp_lines: Sequence[Mapping[str, Any]]
) -> list[Result]:
    """The CRM lines that hold what the ERP lines (common words, in order) say."""
    items = await ctx.couplings.by_ids(
        ITEM_MAPPING,
        "erp",
        [
            str(line["itemId"])
            for line in erp_lines
            if line.get("lineType") == "Item" and line.get("itemId")
        ],
    )
    resources = await ctx.couplings.by_keys(
        RESOURCE_MAPPING,
        "erp",
        [
            str(line["lineObjectNumber"])
            for line in erp_lines
            if line.get("lineType") == "Resource" and line.get("lineObjectNumber")
        ],
    )
    wanted: list[Result] = []
    for line, comments in _grouped(erp_lines):
        values: Result = {"quantity": float(line.get("quantity") or 0)}
        product = None if _is_write_in(ctx, line) else _coupled_product(line, items, resources)
        if product is not None:
            values.update({PRODUCT: product, WRITE_IN: False})
        else:
            text = _full_description(line, comments)[:CRM_DESCRIPTION_LENGTH]
            values.update({WRITE_IN: True, "productdescription": text})
        if line.get("unitPrice") is not None:
            values["priceperunit"] = float(line["unitPrice"])
        if "discountAmount" in line:
            values[DISCOUNT] = float(line.get("discountAmount") or 0)
        wanted.append(values)
    return wanted


async def carry_lines_step(
    ctx: WorkflowContext,
    steps: Steps,
    name: str,
    *,
    document: str,
    crm_id: str,
    wanted: Sequence[Result],
) -> None:
    """Make the CRM document's lines hold `wanted`, writing only what differs; a resumed
    step compares again, so nothing is written twice."""
    entity, parent = CRM_LINES[document]
    key = ctx.crm.entities()[entity].key_field

    async def carry() -> Result:
        found = await lines_of(ctx, "crm", entity, parent, crm_id)
        current = sorted(found, key=lambda line: line.values.get("lineitemnumber") or 0)
        updated = created = removed = 0
        for position, want in enumerate(wanted):
            have = current[position] if position < len(current) else None
            if have is not None and _same_product(have, want):
                changes = {k: v for k, v in want.items() if _differs(have.values, k, v)}
                if changes:
                    await ctx.crm.update(entity, have.id, changes)
                    updated += 1
                continue
            if have is not None:
                await ctx.crm.delete(entity, have.id)
                removed += 1
            body = {
                **want,
                parent: crm_id,
                "lineitemnumber": position + 1,
                key: steps.derived_id(name, str(position)),
            }
            await ctx.crm.create(entity, body)
            created += 1
        for extra in current[len(wanted) :]:
            await ctx.crm.delete(entity, extra.id)
            removed += 1
        return {"lines": len(wanted), "updated": updated, "created": created, "removed": removed}

    await steps.step(name, carry)


def _grouped(
    erp_lines: Sequence[Mapping[str, Any]],
) -> list[tuple[Mapping[str, Any], list[Mapping[str, Any]]]]:
    """Each line with the comment lines after it (comments before any line are dropped)."""
    groups: list[tuple[Mapping[str, Any], list[Mapping[str, Any]]]] = []
    for line in erp_lines:
        if line.get("lineType") == "Comment":
            if groups:
                groups[-1][1].append(line)
            continue
        groups.append((line, []))
    return groups


def _full_description(line: Mapping[str, Any], comments: Sequence[Mapping[str, Any]]) -> str:
    """A description cut into comment lines is joined again; comments a person wrote are kept
    apart by a space."""
    if not comments:
        return str(line.get("description") or "")
    text = ""
    for comment in comments:
        chunk = str(comment.get("description") or "")
        cut = len(text) % ERP_DESCRIPTION_LENGTH == 0  # the previous chunk was cut off mid-text
        text += chunk if (not text or cut) else f" {chunk}"
    return text


def _is_write_in(ctx: WorkflowContext, line: Mapping[str, Any]) -> bool:
    settings = ctx.settings
    kind = "Item" if settings.write_in_product_type == "item" else "Resource"
    return bool(
        settings.write_in_product_number
        and line.get("lineType") == kind
        and line.get("lineObjectNumber") == settings.write_in_product_number
    )


def _coupled_product(
    line: Mapping[str, Any], items: Mapping[str, Any], resources: Mapping[str, Any]
) -> str | None:
    if line.get("lineType") == "Item" and str(line.get("itemId")) in items:
        return str(items[str(line["itemId"])].crm.id)
    number = str(line.get("lineObjectNumber"))
    if line.get("lineType") == "Resource" and number in resources:
        return str(resources[number].crm.id)
    return None


def _differs(have: Mapping[str, Any], name: str, value: Any) -> bool:
    if name == WRITE_IN:  # the identity, compared by `_same_product`
        return False
    if name == DISCOUNT:  # no discount reads as none or as 0
        return float(have.get(name) or 0) != float(value or 0)
    return not values_equal(have.get(name), value)


def _same_product(have: Record, want: Mapping[str, Any]) -> bool:
    if want.get(WRITE_IN):
        return bool(have.values.get(WRITE_IN)) or not have.values.get(PRODUCT)
    return not have.values.get(WRITE_IN) and have.values.get(PRODUCT) == want.get(PRODUCT)
