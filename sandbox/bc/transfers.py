"""Moving sales documents between stages: copying a document with its lines, archiving a
quote version, removing a document with its lines; shared by the bound actions."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from sandbox.bc.catalogue import COMPANY_SETS, DOCUMENTS
from sandbox.bc.context import BusinessCentral
from sandbox.errors import ErrorKind, SandboxError
from sandbox.model import COMPANY, SEQ, VERSION, EntitySet
from sandbox.odata.values import now
from sandbox.store.database import Doc, Journal
from sandbox.store.reader import find_all

_HEADER_COPY = (
    "externalDocumentNumber",
    "customerId",
    "customerNumber",
    "customerName",
    "billToName",
    "billToCustomerId",
    "billToCustomerNumber",
    "shipToName",
    "shipToContact",
    "sellToAddressLine1",
    "sellToAddressLine2",
    "sellToCity",
    "sellToCountry",
    "sellToState",
    "sellToPostCode",
    "billToAddressLine1",
    "billToAddressLine2",
    "billToCity",
    "billToCountry",
    "billToState",
    "billToPostCode",
    "shipToAddressLine1",
    "shipToAddressLine2",
    "shipToCity",
    "shipToCountry",
    "shipToState",
    "shipToPostCode",
    "currencyId",
    "currencyCode",
    "paymentTermsId",
    "shipmentMethodId",
    "salesperson",
    "discountAmount",
    "totalAmountExcludingTax",
    "totalTaxAmount",
    "totalAmountIncludingTax",
    "phoneNumber",
    "email",
)
_LINE_SKIP = ("_id", SEQ, VERSION, "documentId")


def rule(message: str) -> SandboxError:
    return SandboxError(ErrorKind.BUSINESS_RULE, message, code="Application_DialogException")


def today() -> str:
    return dt.datetime.now(dt.UTC).date().isoformat()


async def set_fields(
    ctx: BusinessCentral,
    entity_set: EntitySet,
    doc: Doc,
    changes: dict[str, Any],
    journal: Journal | None,
) -> Doc:
    changes["lastModifiedDateTime"] = now()
    return await ctx.db.update(entity_set, doc, changes, journal)


async def lines_of(
    ctx: BusinessCentral, company: str, header_set: str, header_id: str
) -> list[Doc]:
    lines = await find_all(
        ctx.db.collection(COMPANY_SETS[DOCUMENTS[header_set]]),
        {"documentId": header_id, COMPANY: company},
        None,
    )
    return sorted(lines, key=lambda line: line.get("sequence") or 0)


async def copy_document(
    ctx: BusinessCentral,
    company: str,
    source_set: str,
    source: Doc,
    *,
    target_set: str,
    extra: dict[str, Any],
    journal: Journal | None,
) -> Doc:
    target = COMPANY_SETS[target_set]
    series = "postedSalesInvoices" if extra.get("status") == "Open" else target_set
    header = {name: source.get(name) for name in _HEADER_COPY}
    header.update(
        _id=str(uuid.uuid4()),
        number=(await ctx.next_number(company, series))[0],
        postingDate=today(),
        lastModifiedDateTime=now(),
        **{COMPANY: company},
        **extra,
    )
    created = await ctx.db.insert(target, header, journal)
    lines_set = COMPANY_SETS[DOCUMENTS[target_set]]
    for line in await lines_of(ctx, company, source_set, source["_id"]):
        copy = {k: v for k, v in line.items() if k not in _LINE_SKIP}
        copy.update(_id=str(uuid.uuid4()), documentId=created["_id"])
        await ctx.db.insert(lines_set, copy, journal)
    return created


async def archive(ctx: BusinessCentral, company: str, quote: Doc, journal: Journal | None) -> Doc:
    version = int(quote.get("archivedVersions") or 0) + 1
    snapshot = {
        "_id": str(uuid.uuid4()),
        COMPANY: company,
        "quoteId": quote["_id"],
        "quoteNumber": quote.get("number"),
        "versionNumber": version,
        "archivedDateTime": now(),
        "lastModifiedDateTime": now(),
        "lines": [
            {k: v for k, v in line.items() if k not in (SEQ, VERSION, COMPANY)}
            for line in await lines_of(ctx, company, "salesQuotes", quote["_id"])
        ],
    }
    for name in (
        "customerId",
        "customerNumber",
        "customerName",
        "externalDocumentNumber",
        "status",
        "approvalStatus",
        "validUntilDate",
        "totalAmountExcludingTax",
        "totalAmountIncludingTax",
    ):
        snapshot[name] = quote.get(name)
    await ctx.db.insert(COMPANY_SETS["salesQuoteArchives"], snapshot, journal)
    return await set_fields(
        ctx, COMPANY_SETS["salesQuotes"], quote, {"archivedVersions": version}, journal
    )


async def remove_document(
    ctx: BusinessCentral, company: str, set_name: str, doc: Doc, journal: Journal | None
) -> None:
    lines_set = COMPANY_SETS[DOCUMENTS[set_name]]
    for line in await lines_of(ctx, company, set_name, doc["_id"]):
        await ctx.db.delete(lines_set, line, journal, tombstone=False)
    await ctx.db.delete(COMPANY_SETS[set_name], doc, journal, tombstone=False)


# -- sales quotes -------------------------------------------------------------------------


def plus_days(date: str, days: int) -> str:
    return (dt.date.fromisoformat(date) + dt.timedelta(days=days)).isoformat()
