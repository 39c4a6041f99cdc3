"""Bound actions: `POST …/salesQuotes(<id>)/Microsoft.NAV.<action>` and friends; 204 on success.

Standard (API v2.0 reference):
- salesQuotes: `send` (status Sent), `makeOrder` and `makeInvoice` (the quote becomes a sales
  order / draft invoice with the same lines; the quote is archived and deleted, as Business
  Central does);
- salesOrders: `shipAndInvoice` (a posted invoice is created with the order's lines; the fully
  invoiced order is deleted);
- salesInvoices: `post` (Draft -> Open, a posted number PS-INV…, remaining amount = total),
  `postAndSend`, `send`, `cancel` and `cancelAndSend` (an unpaid posted invoice -> Canceled).

Sandbox extensions (Business Central has no approval API in v2.0; these stand in for the
approval workflow and the quote archive of the ERP side of cross-system lifecycles):
- salesQuotes: `approve` (approvalStatus Approved: the quote is released and read-only),
  `reject` (approvalStatus Rejected: editable again), `archive` (stores a version in
  `salesQuoteArchives` and counts it in `archivedVersions`), `confirm` (an approved quote
  becomes Accepted, the customer's confirmation) and `makeProject` (creates a project from an
  accepted quote and records its id and number on the quote).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from sandbox.bc.catalogue import COMPANY_SETS, DOCUMENTS
from sandbox.bc.context import BusinessCentral
from sandbox.errors import ErrorKind, SandboxError
from sandbox.model import COMPANY, SEQ, VERSION, EntitySet
from sandbox.odata.values import now
from sandbox.store.database import Doc, Journal
from sandbox.store.reader import find_all

Action = Callable[[BusinessCentral, str, Doc, Journal | None], Awaitable[None]]

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


def _rule(message: str) -> SandboxError:
    return SandboxError(ErrorKind.BUSINESS_RULE, message, code="Application_DialogException")


def _today() -> str:
    return dt.datetime.now(dt.UTC).date().isoformat()


async def _set(
    ctx: BusinessCentral,
    entity_set: EntitySet,
    doc: Doc,
    changes: dict[str, Any],
    journal: Journal | None,
) -> Doc:
    changes["lastModifiedDateTime"] = now()
    return await ctx.db.update(entity_set, doc, changes, journal)


async def _lines(ctx: BusinessCentral, company: str, header_set: str, header_id: str) -> list[Doc]:
    lines = await find_all(
        ctx.db.collection(COMPANY_SETS[DOCUMENTS[header_set]]),
        {"documentId": header_id, COMPANY: company},
        None,
    )
    return sorted(lines, key=lambda line: line.get("sequence") or 0)


async def _copy_document(
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
        postingDate=_today(),
        lastModifiedDateTime=now(),
        **{COMPANY: company},
        **extra,
    )
    created = await ctx.db.insert(target, header, journal)
    lines_set = COMPANY_SETS[DOCUMENTS[target_set]]
    for line in await _lines(ctx, company, source_set, source["_id"]):
        copy = {k: v for k, v in line.items() if k not in _LINE_SKIP}
        copy.update(_id=str(uuid.uuid4()), documentId=created["_id"])
        await ctx.db.insert(lines_set, copy, journal)
    return created


async def _archive(ctx: BusinessCentral, company: str, quote: Doc, journal: Journal | None) -> Doc:
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
            for line in await _lines(ctx, company, "salesQuotes", quote["_id"])
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
    return await _set(
        ctx, COMPANY_SETS["salesQuotes"], quote, {"archivedVersions": version}, journal
    )


async def _remove_document(
    ctx: BusinessCentral, company: str, set_name: str, doc: Doc, journal: Journal | None
) -> None:
    lines_set = COMPANY_SETS[DOCUMENTS[set_name]]
    for line in await _lines(ctx, company, set_name, doc["_id"]):
        await ctx.db.delete(lines_set, line, journal, tombstone=False)
    await ctx.db.delete(COMPANY_SETS[set_name], doc, journal, tombstone=False)


# -- sales quotes -------------------------------------------------------------------------


async def quote_send(
    ctx: BusinessCentral, company: str, quote: Doc, journal: Journal | None
) -> None:
    if quote.get("status") not in ("Draft", "Sent"):
        raise _rule(
            f"The sales quote {quote.get('number')} cannot be sent in status {quote.get('status')}."
        )
    await _set(
        ctx, COMPANY_SETS["salesQuotes"], quote, {"status": "Sent", "sentDate": now()}, journal
    )


async def quote_make(
    ctx: BusinessCentral, company: str, quote: Doc, journal: Journal | None, target: str
) -> None:
    if quote.get("approvalStatus") == "Rejected":
        raise _rule(f"The sales quote {quote.get('number')} was rejected.")
    today = _today()
    if target == "salesOrders":
        extra = {
            "orderDate": today,
            "status": "Draft",
            "quoteNumber": quote.get("number"),
            "fullyShipped": False,
            "partialShipping": False,
            "pricesIncludeTax": False,
        }
    else:
        extra = {
            "invoiceDate": today,
            "dueDate": _plus(today, 30),
            "status": "Draft",
            "remainingAmount": quote.get("totalAmountIncludingTax") or 0.0,
            "pricesIncludeTax": False,
        }
    await _copy_document(
        ctx, company, "salesQuotes", quote, target_set=target, extra=extra, journal=journal
    )
    await _archive(ctx, company, quote, journal)
    latest = await ctx.require(COMPANY_SETS["salesQuotes"], company, quote["_id"])
    await _remove_document(ctx, company, "salesQuotes", latest, journal)


async def quote_approve(
    ctx: BusinessCentral, company: str, quote: Doc, journal: Journal | None
) -> None:
    if quote.get("status") in ("Accepted",) or quote.get("approvalStatus") == "Approved":
        raise _rule(f"The sales quote {quote.get('number')} is already approved.")
    await _set(ctx, COMPANY_SETS["salesQuotes"], quote, {"approvalStatus": "Approved"}, journal)


async def quote_reject(
    ctx: BusinessCentral, company: str, quote: Doc, journal: Journal | None
) -> None:
    if quote.get("status") == "Accepted":
        raise _rule(f"The sales quote {quote.get('number')} is accepted and cannot be rejected.")
    await _set(ctx, COMPANY_SETS["salesQuotes"], quote, {"approvalStatus": "Rejected"}, journal)


async def quote_archive(
    ctx: BusinessCentral, company: str, quote: Doc, journal: Journal | None
) -> None:
    await _archive(ctx, company, quote, journal)


async def quote_confirm(
    ctx: BusinessCentral, company: str, quote: Doc, journal: Journal | None
) -> None:
    if quote.get("approvalStatus") != "Approved":
        raise _rule(
            f"The sales quote {quote.get('number')} must be approved before it can be confirmed."
        )
    if quote.get("status") == "Accepted":
        raise _rule(f"The sales quote {quote.get('number')} is already confirmed.")
    await _set(
        ctx,
        COMPANY_SETS["salesQuotes"],
        quote,
        {"status": "Accepted", "acceptedDate": _today()},
        journal,
    )


async def quote_make_project(
    ctx: BusinessCentral, company: str, quote: Doc, journal: Journal | None
) -> None:
    if quote.get("status") != "Accepted":
        raise _rule(
            f"A project can only be created from a confirmed quote; {quote.get('number')} is "
            f"{quote.get('status')}."
        )
    if quote.get("projectId"):
        raise _rule(
            f"The project {quote.get('projectNumber')} was already created from the sales quote "
            f"{quote.get('number')}."
        )
    projects = COMPANY_SETS["projects"]
    project = {
        "_id": str(uuid.uuid4()),
        COMPANY: company,
        "number": (await ctx.next_number(company, "projects"))[0],
        "displayName": quote.get("externalDocumentNumber")
        or f"Project for {quote.get('customerName')}",
        "customerId": quote.get("customerId"),
        "customerNumber": quote.get("customerNumber"),
        "quoteId": quote["_id"],
        "quoteNumber": quote.get("number"),
        "status": "Open",
        "lastModifiedDateTime": now(),
    }
    created = await ctx.db.insert(projects, project, journal)
    await _set(
        ctx,
        COMPANY_SETS["salesQuotes"],
        quote,
        {"projectId": created["_id"], "projectNumber": created["number"]},
        journal,
    )


# -- sales orders and invoices ------------------------------------------------------------


async def order_ship_and_invoice(
    ctx: BusinessCentral, company: str, order: Doc, journal: Journal | None
) -> None:
    if not await _lines(ctx, company, "salesOrders", order["_id"]):
        raise _rule(f"There is nothing to post for the sales order {order.get('number')}.")
    today = _today()
    extra = {
        "invoiceDate": today,
        "dueDate": _plus(today, 30),
        "status": "Open",
        "orderId": order["_id"],
        "orderNumber": order.get("number"),
        "remainingAmount": order.get("totalAmountIncludingTax") or 0.0,
        "pricesIncludeTax": False,
    }
    await _copy_document(
        ctx, company, "salesOrders", order, target_set="salesInvoices", extra=extra, journal=journal
    )
    await _remove_document(ctx, company, "salesOrders", order, journal)


async def invoice_post(
    ctx: BusinessCentral, company: str, invoice: Doc, journal: Journal | None
) -> None:
    if invoice.get("status") != "Draft":
        raise _rule(f"The sales invoice {invoice.get('number')} is already posted.")
    if not await _lines(ctx, company, "salesInvoices", invoice["_id"]):
        raise _rule(f"There is nothing to post for the sales invoice {invoice.get('number')}.")
    changes = {
        "status": "Open",
        "number": (await ctx.next_number(company, "postedSalesInvoices"))[0],
        "postingDate": _today(),
        "remainingAmount": invoice.get("totalAmountIncludingTax") or 0.0,
    }
    if not invoice.get("dueDate"):
        changes["dueDate"] = _plus(_today(), 30)
    await _set(ctx, COMPANY_SETS["salesInvoices"], invoice, changes, journal)


async def invoice_send(
    ctx: BusinessCentral, company: str, invoice: Doc, journal: Journal | None
) -> None:
    if invoice.get("status") == "Draft":
        await invoice_post(ctx, company, invoice, journal)


async def invoice_cancel(
    ctx: BusinessCentral, company: str, invoice: Doc, journal: Journal | None
) -> None:
    if invoice.get("status") != "Open":
        raise _rule(
            f"Only an open posted invoice can be canceled; {invoice.get('number')} is "
            f"{invoice.get('status')}."
        )
    if float(invoice.get("remainingAmount") or 0.0) < float(
        invoice.get("totalAmountIncludingTax") or 0.0
    ):
        raise _rule(
            f"The sales invoice {invoice.get('number')} is partly paid and cannot be canceled."
        )
    await _set(
        ctx,
        COMPANY_SETS["salesInvoices"],
        invoice,
        {"status": "Canceled", "remainingAmount": 0.0},
        journal,
    )


def _plus(date: str, days: int) -> str:
    return (dt.date.fromisoformat(date) + dt.timedelta(days=days)).isoformat()


async def _make_order(
    ctx: BusinessCentral, company: str, quote: Doc, journal: Journal | None
) -> None:
    await quote_make(ctx, company, quote, journal, "salesOrders")


async def _make_invoice(
    ctx: BusinessCentral, company: str, quote: Doc, journal: Journal | None
) -> None:
    await quote_make(ctx, company, quote, journal, "salesInvoices")


ACTIONS: dict[str, dict[str, Action]] = {
    "salesQuotes": {
        "send": quote_send,
        "makeOrder": _make_order,
        "makeInvoice": _make_invoice,
        "approve": quote_approve,
        "reject": quote_reject,
        "archive": quote_archive,
        "confirm": quote_confirm,
        "makeProject": quote_make_project,
    },
    "salesOrders": {"shipAndInvoice": order_ship_and_invoice},
    "salesInvoices": {
        "post": invoice_post,
        "postAndSend": invoice_post,
        "send": invoice_send,
        "cancel": invoice_cancel,
        "cancelAndSend": invoice_cancel,
    },
}


async def run(
    ctx: BusinessCentral,
    company: str,
    entity_set: EntitySet,
    doc: Doc,
    *,
    name: str,
    journal: Journal | None,
) -> None:
    action = ACTIONS.get(entity_set.name, {}).get(name)
    if action is None:
        raise SandboxError(
            ErrorKind.UNKNOWN_RESOURCE,
            f"The bound action 'Microsoft.NAV.{name}' does not exist on '{entity_set.name}'.",
            code="BadRequest_MethodNotImplemented",
        )
    await action(ctx, company, doc, journal)
