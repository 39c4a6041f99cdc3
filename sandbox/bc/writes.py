"""Creating, updating and deleting Business Central records.

Bodies are validated in full before the first write. References are resolved the way the API
pages do it: a document takes `customerId` or `customerNumber` and fills in the other, the
customer's name, addresses, currency and salesperson; a line takes `itemId` or
`lineObjectNumber` and fills in description, unit price, unit of measure and tax code;
`salespersonCode`, `currencyCode` and `baseUnitOfMeasureCode` must exist in their tables.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sandbox.bc import documents, projects, rules
from sandbox.bc.catalogue import COMPANY_SETS, DOCUMENTS, LINES, NAMESPACE
from sandbox.bc.context import BusinessCentral
from sandbox.errors import ErrorKind, SandboxError
from sandbox.model import COMPANY, EntitySet
from sandbox.odata.values import from_json, now
from sandbox.store.database import Doc, Journal
from sandbox.store.reader import find_all

_NUMBERED = ("customers", "contacts", "items", "projects", "resources", "employees")
_UNIQUE_CODES = ("salespeople", "currencies", "unitsOfMeasure", "customerPriceGroups")


def today() -> str:
    return dt.datetime.now(dt.UTC).date().isoformat()


def parse_body(
    entity_set: EntitySet, body: dict[str, Any], *, creating: bool
) -> tuple[dict[str, Any], str | None]:
    values: dict[str, Any] = {}
    key: str | None = None
    for name, value in body.items():
        if "@" in name:
            continue  # @odata.etag and other annotations carry no data
        field = entity_set.fields.get(name)
        if field is None:
            raise SandboxError(
                ErrorKind.BAD_PAYLOAD,
                f"The property '{name}' does not exist on type '{NAMESPACE}.{entity_set.entity}'. "
                "Make sure to only use property names that are defined by the type.",
            )
        if name == "id":
            if creating and value is not None:
                key = from_json(field, value)
            continue
        if field.read_only:
            raise SandboxError(ErrorKind.READ_ONLY, f"The property '{name}' is read-only.")
        values[name] = from_json(field, value)
    return values, key


def _missing(entity: str, field: str, value: Any, table: str) -> SandboxError:
    return SandboxError(
        ErrorKind.REFERENCE_NOT_FOUND,
        f"The field {field} of table {entity} contains a value ({value}) that cannot be found in "
        f"the related table ({table}).",
    )


async def create(
    ctx: BusinessCentral,
    company: str,
    entity_set: EntitySet,
    body: dict[str, Any],
    journal: Journal | None,
    *,
    document_id: str | None = None,
) -> Doc:
    values, key = parse_body(entity_set, body, creating=True)
    if document_id is not None:
        values["documentId"] = document_id
    for name, default in entity_set.defaults.items():
        values.setdefault(name, default)
    for field in entity_set.fields.values():
        if field.required and values.get(field.name) is None:
            raise SandboxError(
                ErrorKind.BAD_PAYLOAD,
                f"Field '{field.name}' must not be blank or empty.",
                code="BadRequest_RequiredParamNotProvided",
            )
    await resolve(ctx, company, entity_set, values, {})
    await _initial(ctx, company, entity_set, values)
    doc = {"_id": key or str(uuid.uuid4()), COMPANY: company, **values}
    if entity_set.modified_field:
        doc[entity_set.modified_field] = now()
    doc = await ctx.db.insert(entity_set, doc, journal)
    if entity_set.name == "customerPayments":
        await rules.apply_payment(ctx, company, doc, float(doc.get("amount") or 0.0), journal)
    await after_write(ctx, company, entity_set, doc, journal)
    return doc


async def update(
    ctx: BusinessCentral,
    company: str,
    entity_set: EntitySet,
    before: Doc,
    body: dict[str, Any],
    *,
    journal: Journal | None,
) -> Doc:
    values, _ = parse_body(entity_set, body, creating=False)
    await rules.check_update(ctx, company, entity_set, before, values)
    await resolve(ctx, company, entity_set, values, before)
    return await write_values(ctx, company, entity_set, before, values, journal=journal)


async def write_values(
    ctx: BusinessCentral,
    company: str,
    entity_set: EntitySet,
    before: Doc,
    values: dict[str, Any],
    *,
    journal: Journal | None,
) -> Doc:
    if entity_set.name in LINES:
        values.update(documents.line_amounts({**before, **values}))
    if entity_set.name in DOCUMENTS and "discountAmount" in values:
        lines = await _lines(ctx, company, entity_set, before["_id"])
        values.update(documents.header_totals(lines, values["discountAmount"]))
    if entity_set.modified_field:
        values[entity_set.modified_field] = now()
    doc = await ctx.db.update(entity_set, before, values, journal)
    await after_write(ctx, company, entity_set, doc, journal)
    return doc


async def delete(
    ctx: BusinessCentral, company: str, entity_set: EntitySet, before: Doc, journal: Journal | None
) -> None:
    await rules.check_delete(ctx, company, entity_set, before)
    if entity_set.name in DOCUMENTS:
        lines_set = COMPANY_SETS[DOCUMENTS[entity_set.name]]
        for line in await _lines(ctx, company, entity_set, before["_id"]):
            await ctx.db.delete(lines_set, line, journal, tombstone=False)
    await ctx.db.delete(entity_set, before, journal, tombstone=False)
    if entity_set.name == "customerPayments":
        await rules.apply_payment(
            ctx, company, before, -float(before.get("amount") or 0.0), journal
        )
    await after_write(ctx, company, entity_set, before, journal)


async def _lines(
    ctx: BusinessCentral, company: str, header_set: EntitySet, header_id: str
) -> list[Doc]:
    lines_set = COMPANY_SETS[DOCUMENTS[header_set.name]]
    return await find_all(
        ctx.db.collection(lines_set), {"documentId": header_id, COMPANY: company}, None
    )


async def after_write(
    ctx: BusinessCentral, company: str, entity_set: EntitySet, doc: Doc, journal: Journal | None
) -> None:
    """Keep a document's totals equal to the sum of its lines, and a project's task tree
    indented."""
    if entity_set.name == "projectTasks":
        await projects.reindent(ctx, company, doc["projectId"], journal)
        return
    if entity_set.name not in LINES:
        return
    header_set = COMPANY_SETS[LINES[entity_set.name]]
    header = await ctx.get(header_set, company, doc.get("documentId") or "")
    if header is None:
        return
    lines = await _lines(ctx, company, header_set, header["_id"])
    totals: dict[str, Any] = dict(documents.header_totals(lines, header.get("discountAmount")))
    if header_set.name == "salesInvoices" and header.get("status") == "Draft":
        totals["remainingAmount"] = totals["totalAmountIncludingTax"]
    totals[header_set.modified_field or "lastModifiedDateTime"] = now()
    await ctx.db.update(header_set, header, totals, journal)


async def _initial(
    ctx: BusinessCentral, company: str, entity_set: EntitySet, values: dict[str, Any]
) -> None:
    name = entity_set.name
    if name in _NUMBERED and not values.get("number"):
        values["number"] = (await ctx.next_number(company, name))[0]
    if name in _UNIQUE_CODES and (
        await ctx.find_by(entity_set, company, code=values["code"]) is not None
    ):
        raise SandboxError(
            ErrorKind.DUPLICATE,
            f"The {entity_set.entity} already exists. Identification fields and values: "
            f"Code='{values['code']}'",
        )
    if name in DOCUMENTS:
        await _initial_document(ctx, company, entity_set, values)
    if name in LINES:
        if not values.get("documentId"):
            raise SandboxError(
                ErrorKind.BAD_PAYLOAD,
                "Field 'documentId' must not be blank or empty.",
                code="BadRequest_RequiredParamNotProvided",
            )
        await rules.check_line_parent(ctx, company, entity_set, values["documentId"])
        if values.get("sequence") is None:
            siblings = await find_all(
                ctx.db.collection(entity_set),
                {"documentId": values["documentId"], COMPANY: company},
                {"sequence": 1},
            )
            values["sequence"] = max((s.get("sequence") or 0 for s in siblings), default=0) + 10000
        values.update(documents.line_amounts(values))
    if name == "customerPayments":
        await rules.prepare_payment(ctx, company, values)


async def _initial_document(
    ctx: BusinessCentral, company: str, entity_set: EntitySet, values: dict[str, Any]
) -> None:
    name = entity_set.name
    if not values.get("customerId"):
        raise SandboxError(
            ErrorKind.BUSINESS_RULE, "A customerNumber or a customerID must be provided."
        )
    values["number"] = (await ctx.next_number(company, name))[0]
    day = today()
    values.update(totalAmountExcludingTax=0.0, totalTaxAmount=0.0, totalAmountIncludingTax=0.0)
    values.setdefault("postingDate", day)
    values.setdefault("discountAmount", 0.0)
    values["status"] = "Draft"
    if name == "salesQuotes":
        values.setdefault("documentDate", day)
        values.setdefault("validUntilDate", _plus_days(values["documentDate"], 30))
        values.setdefault("dueDate", values["validUntilDate"])
        values.update(approvalStatus="Open", archivedVersions=0)
    elif name == "salesOrders":
        values.setdefault("orderDate", day)
        values.update(fullyShipped=False, pricesIncludeTax=False)
        values.setdefault("partialShipping", False)
    else:
        values.setdefault("invoiceDate", day)
        values.setdefault("dueDate", _plus_days(values["invoiceDate"], 30))
        values.update(remainingAmount=0.0, pricesIncludeTax=False)


def _plus_days(date: str, days: int) -> str:
    return (dt.date.fromisoformat(date) + dt.timedelta(days=days)).isoformat()


async def resolve(
    ctx: BusinessCentral, company: str, entity_set: EntitySet, values: dict[str, Any], before: Doc
) -> None:
    name = entity_set.name
    if name in DOCUMENTS or name in ("customerPayments", "projects"):
        await _customer(ctx, company, entity_set, values, before)
    if name == "customers" or name in DOCUMENTS:
        code_field = "salespersonCode" if name == "customers" else "salesperson"
        if values.get(code_field) and (
            await ctx.find_by(COMPANY_SETS["salespeople"], company, code=values[code_field]) is None
        ):
            raise _missing(
                entity_set.entity, code_field, values[code_field], "Salesperson/Purchaser"
            )
        await _code_and_id(
            ctx,
            company,
            table="currencies",
            values=values,
            code_field="currencyCode",
            id_field="currencyId",
            entity_set=entity_set,
        )
    if name == "items":
        await _code_and_id(
            ctx,
            company,
            table="unitsOfMeasure",
            values=values,
            code_field="baseUnitOfMeasureCode",
            id_field="baseUnitOfMeasureId",
            entity_set=entity_set,
        )
    if name in LINES:
        await _item(ctx, company, values, before)
    if name == "projectTasks":
        await projects.prepare_task(ctx, company, values, before)
    if name == "employees":
        given = values.get("givenName", before.get("givenName")) or ""
        values["displayName"] = f"{given} {values.get('surname', before.get('surname')) or ''}"


async def _code_and_id(
    ctx: BusinessCentral,
    company: str,
    *,
    table: str,
    values: dict[str, Any],
    code_field: str,
    id_field: str,
    entity_set: EntitySet,
) -> None:
    target = COMPANY_SETS[table]
    if values.get(id_field):
        found = await ctx.get(target, company, values[id_field])
        if found is None:
            raise _missing(entity_set.entity, id_field, values[id_field], target.entity)
        values[code_field] = found["code"]
    elif values.get(code_field):
        found = await ctx.find_by(target, company, code=values[code_field])
        if found is None:
            raise _missing(entity_set.entity, code_field, values[code_field], target.entity)
        values[id_field] = found["_id"]
    elif code_field in values:
        values[id_field] = None


async def _customer(
    ctx: BusinessCentral, company: str, entity_set: EntitySet, values: dict[str, Any], before: Doc
) -> None:
    customers = COMPANY_SETS["customers"]
    customer: Doc | None = None
    if values.get("customerId"):
        customer = await ctx.get(customers, company, values["customerId"])
        if customer is None:
            raise _missing(entity_set.entity, "customerId", values["customerId"], "Customer")
    elif values.get("customerNumber"):
        customer = await ctx.find_by(customers, company, number=values["customerNumber"])
        if customer is None:
            raise SandboxError(
                ErrorKind.REFERENCE_NOT_FOUND,
                f"The Customer does not exist. Identification fields and values: "
                f"No.='{values['customerNumber']}'",
            )
    if customer is None:
        return
    if before.get("customerId") == customer["_id"] and "customerNumber" not in values:
        return
    values["customerId"] = customer["_id"]
    values["customerNumber"] = customer.get("number")
    if entity_set.name in DOCUMENTS:
        values["customerName"] = customer.get("displayName")
        values["billToName"] = customer.get("displayName")
        values["billToCustomerId"] = customer["_id"]
        values["billToCustomerNumber"] = customer.get("number")
        for prefix in ("sellTo", "billTo"):
            values.setdefault(f"{prefix}AddressLine1", customer.get("addressLine1"))
            values.setdefault(f"{prefix}City", customer.get("city"))
            values.setdefault(f"{prefix}Country", customer.get("country"))
            values.setdefault(f"{prefix}PostCode", customer.get("postalCode"))
        values.setdefault("phoneNumber", customer.get("phoneNumber"))
        values.setdefault("email", customer.get("email"))
        values.setdefault("currencyCode", customer.get("currencyCode"))
        if not values.get("salesperson") and customer.get("salespersonCode"):
            values["salesperson"] = customer.get("salespersonCode")


async def _item(ctx: BusinessCentral, company: str, values: dict[str, Any], before: Doc) -> None:
    items = COMPANY_SETS["items"]
    item: Doc | None = None
    line_type = values.get("lineType", before.get("lineType"))
    if values.get("itemId"):
        item = await ctx.get(items, company, values["itemId"])
        if item is None:
            raise _missing("Sales Line", "itemId", values["itemId"], "Item")
    elif values.get("lineObjectNumber") and line_type in (None, "Item"):
        item = await ctx.find_by(items, company, number=values["lineObjectNumber"])
        if item is None:
            raise _missing("Sales Line", "No.", values["lineObjectNumber"], "Item")
    if item is None:
        if not before:
            values.setdefault("lineType", "Comment")
        return
    values["lineType"] = "Item"
    values["itemId"] = item["_id"]
    values["lineObjectNumber"] = item.get("number")
    if not values.get("description"):
        values["description"] = item.get("displayName")
    if values.get("unitPrice") is None:
        values["unitPrice"] = item.get("unitPrice") or 0.0
    if not values.get("unitOfMeasureCode"):
        values["unitOfMeasureCode"] = item.get("baseUnitOfMeasureCode")
        values["unitOfMeasureId"] = item.get("baseUnitOfMeasureId")
    if values.get("taxCode") is None:
        values["taxCode"] = item.get("taxGroupCode")
    values.setdefault("quantity", 1.0 if not before else before.get("quantity"))
