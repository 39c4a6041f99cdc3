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
  becomes Accepted, the customer's confirmation), `reopen` (an approved or rejected quote is
  Open again and editable, as Business Central's Reopen does) and `makeProject` (creates a
  project from an accepted quote and records its id and number on the quote).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable

from sandbox.bc import finance
from sandbox.bc.catalogue import COMPANY_SETS
from sandbox.bc.context import BusinessCentral
from sandbox.bc.transfers import (
    archive,
    copy_document,
    lines_of,
    plus_days,
    remove_document,
    rule,
    set_fields,
    today,
)
from sandbox.errors import ErrorKind, SandboxError
from sandbox.model import COMPANY, EntitySet
from sandbox.odata.values import now
from sandbox.store.database import Doc, Journal

Action = Callable[[BusinessCentral, str, Doc, Journal | None], Awaitable[None]]


async def quote_send(
    ctx: BusinessCentral, company: str, quote: Doc, journal: Journal | None
) -> None:
    if quote.get("status") not in ("Draft", "Sent"):
        raise rule(
            f"The sales quote {quote.get('number')} cannot be sent in status {quote.get('status')}."
        )
    await set_fields(
        ctx, COMPANY_SETS["salesQuotes"], quote, {"status": "Sent", "sentDate": now()}, journal
    )


async def quote_make(
    ctx: BusinessCentral, company: str, quote: Doc, journal: Journal | None, target: str
) -> None:
    if quote.get("approvalStatus") == "Rejected":
        raise rule(f"The sales quote {quote.get('number')} was rejected.")
    day = today()
    if target == "salesOrders":
        extra = {
            "orderDate": day,
            "status": "Draft",
            "quoteNumber": quote.get("number"),
            "fullyShipped": False,
            "partialShipping": False,
            "pricesIncludeTax": False,
        }
    else:
        extra = {
            "invoiceDate": day,
            "dueDate": plus_days(day, 30),
            "status": "Draft",
            "remainingAmount": quote.get("totalAmountIncludingTax") or 0.0,
            "pricesIncludeTax": False,
        }
    await copy_document(
        ctx, company, "salesQuotes", quote, target_set=target, extra=extra, journal=journal
    )
    await archive(ctx, company, quote, journal)
    latest = await ctx.require(COMPANY_SETS["salesQuotes"], company, quote["_id"])
    await remove_document(ctx, company, "salesQuotes", latest, journal)


async def quote_approve(
    ctx: BusinessCentral, company: str, quote: Doc, journal: Journal | None
) -> None:
    if quote.get("status") in ("Accepted",) or quote.get("approvalStatus") == "Approved":
        raise rule(f"The sales quote {quote.get('number')} is already approved.")
    await set_fields(
        ctx, COMPANY_SETS["salesQuotes"], quote, {"approvalStatus": "Approved"}, journal
    )


async def quote_reject(
    ctx: BusinessCentral, company: str, quote: Doc, journal: Journal | None
) -> None:
    if quote.get("status") == "Accepted":
        raise rule(f"The sales quote {quote.get('number')} is accepted and cannot be rejected.")
    await set_fields(
        ctx, COMPANY_SETS["salesQuotes"], quote, {"approvalStatus": "Rejected"}, journal
    )


async def quote_reopen(
    ctx: BusinessCentral, company: str, quote: Doc, journal: Journal | None
) -> None:
    if quote.get("status") == "Accepted":
        raise rule(f"The sales quote {quote.get('number')} is accepted and cannot be reopened.")
    if quote.get("approvalStatus") == "Open":
        raise rule(f"The sales quote {quote.get('number')} is already open.")
    await set_fields(ctx, COMPANY_SETS["salesQuotes"], quote, {"approvalStatus": "Open"}, journal)


async def quote_archive(
    ctx: BusinessCentral, company: str, quote: Doc, journal: Journal | None
) -> None:
    await archive(ctx, company, quote, journal)


async def quote_confirm(
    ctx: BusinessCentral, company: str, quote: Doc, journal: Journal | None
) -> None:
    if quote.get("approvalStatus") != "Approved":
        raise rule(
            f"The sales quote {quote.get('number')} must be approved before it can be confirmed."
        )
    if quote.get("status") == "Accepted":
        raise rule(f"The sales quote {quote.get('number')} is already confirmed.")
    await set_fields(
        ctx,
        COMPANY_SETS["salesQuotes"],
        quote,
        {"status": "Accepted", "acceptedDate": today()},
        journal,
    )


async def quote_make_project(
    ctx: BusinessCentral, company: str, quote: Doc, journal: Journal | None
) -> None:
    if quote.get("status") != "Accepted":
        raise rule(
            f"A project can only be created from a confirmed quote; {quote.get('number')} is "
            f"{quote.get('status')}."
        )
    if quote.get("projectId"):
        raise rule(
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
    await set_fields(
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
    if not await lines_of(ctx, company, "salesOrders", order["_id"]):
        raise rule(f"There is nothing to post for the sales order {order.get('number')}.")
    day = today()
    extra = {
        "invoiceDate": day,
        "dueDate": plus_days(day, 30),
        "status": "Open",
        "orderId": order["_id"],
        "orderNumber": order.get("number"),
        "remainingAmount": order.get("totalAmountIncludingTax") or 0.0,
        "pricesIncludeTax": False,
    }
    posted = await copy_document(
        ctx, company, "salesOrders", order, target_set="salesInvoices", extra=extra, journal=journal
    )
    await finance.invoice_posted(ctx, company, posted, journal)
    await remove_document(ctx, company, "salesOrders", order, journal)


async def invoice_post(
    ctx: BusinessCentral, company: str, invoice: Doc, journal: Journal | None
) -> None:
    if invoice.get("status") != "Draft":
        raise rule(f"The sales invoice {invoice.get('number')} is already posted.")
    if not await lines_of(ctx, company, "salesInvoices", invoice["_id"]):
        raise rule(f"There is nothing to post for the sales invoice {invoice.get('number')}.")
    changes = {
        "status": "Open",
        "number": (await ctx.next_number(company, "postedSalesInvoices"))[0],
        "postingDate": today(),
        "remainingAmount": invoice.get("totalAmountIncludingTax") or 0.0,
    }
    if not invoice.get("dueDate"):
        changes["dueDate"] = plus_days(today(), 30)
    posted = await set_fields(ctx, COMPANY_SETS["salesInvoices"], invoice, changes, journal)
    await finance.invoice_posted(ctx, company, posted, journal)


async def invoice_send(
    ctx: BusinessCentral, company: str, invoice: Doc, journal: Journal | None
) -> None:
    if invoice.get("status") == "Draft":
        await invoice_post(ctx, company, invoice, journal)


async def invoice_cancel(
    ctx: BusinessCentral, company: str, invoice: Doc, journal: Journal | None
) -> None:
    if invoice.get("status") != "Open":
        raise rule(
            f"Only an open posted invoice can be canceled; {invoice.get('number')} is "
            f"{invoice.get('status')}."
        )
    if float(invoice.get("remainingAmount") or 0.0) < float(
        invoice.get("totalAmountIncludingTax") or 0.0
    ):
        raise rule(
            f"The sales invoice {invoice.get('number')} is partly paid and cannot be canceled."
        )
    await set_fields(
        ctx,
        COMPANY_SETS["salesInvoices"],
        invoice,
        {"status": "Canceled", "remainingAmount": 0.0},
        journal,
    )
    await finance.invoice_canceled(ctx, company, invoice, journal)


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
        "reopen": quote_reopen,
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
