"""Business rules of Business Central documents that the integration runs into.

- A sales quote can be changed while its status is Draft or Sent and it is not approved
  (approval releases it). An accepted (confirmed) quote is final.
- A sales invoice can be changed only while it is a draft; posted invoices are read-only and
  cannot be deleted. Payments reduce the remaining amount of the invoice they apply to; an
  invoice with nothing remaining is Paid.
- A customer with unpaid posted invoices cannot be deleted.
"""

from __future__ import annotations

from typing import Any

from sandbox.bc import finance
from sandbox.bc.catalogue import COMPANY_SETS, LINES
from sandbox.bc.context import BusinessCentral
from sandbox.errors import ErrorKind, SandboxError
from sandbox.model import COMPANY, EntitySet
from sandbox.odata.values import now
from sandbox.store.database import Doc, Journal

FIELD_VALIDATION = "Application_FieldValidationException"


def _rule(message: str, code: str = "Application_DialogException") -> SandboxError:
    return SandboxError(ErrorKind.BUSINESS_RULE, message, code=code)


def check_quote_editable(quote: Doc) -> None:
    if quote.get("status") == "Accepted":
        raise _rule(f"The sales quote {quote.get('number')} is accepted and cannot be changed.")
    if quote.get("approvalStatus") in ("Approved", "Pending Approval"):
        current = "Released" if quote.get("approvalStatus") == "Approved" else "Pending Approval"
        raise _rule(
            f"Status must be equal to 'Open'  in Sales Header: Document Type=Quote, "
            f"No.={quote.get('number')}. Current value is '{current}'.",
            FIELD_VALIDATION,
        )


def check_invoice_editable(invoice: Doc) -> None:
    if invoice.get("status") != "Draft":
        raise _rule(
            f"You cannot change the sales invoice {invoice.get('number')} because it is posted."
        )


async def check_update(
    ctx: BusinessCentral, company: str, entity_set: EntitySet, before: Doc, values: dict[str, Any]
) -> None:
    name = entity_set.name
    if name == "salesQuotes":
        check_quote_editable(before)
    elif name == "salesInvoices":
        check_invoice_editable(before)
    elif name in LINES:
        await check_line_parent(ctx, company, entity_set, before.get("documentId") or "")
        if values.get("documentId") not in (None, before.get("documentId")):
            raise _rule("A line cannot be moved to another document.")
    elif name == "customerPayments":
        changed = {
            "amount",
            "customerId",
            "customerNumber",
            "appliesToInvoiceId",
            "appliesToInvoiceNumber",
        } & set(values)
        if changed:
            raise _rule(
                f"The payment {before.get('documentNumber')} is posted; its "
                f"{', '.join(sorted(changed))} cannot be changed. Delete it and create another."
            )


async def check_delete(
    ctx: BusinessCentral, company: str, entity_set: EntitySet, before: Doc
) -> None:
    name = entity_set.name
    if name == "salesQuotes":
        check_quote_editable(before)
    elif name == "salesInvoices" and before.get("status") != "Draft":
        raise _rule(f"You cannot delete the posted sales invoice {before.get('number')}.")
    elif name in LINES:
        await check_line_parent(ctx, company, entity_set, before.get("documentId") or "")
    elif name == "customers":
        unpaid = await ctx.db.collection(COMPANY_SETS["salesInvoices"]).find_one(
            {"customerId": before["_id"], COMPANY: company, "status": "Open"}, {"_id": 1}
        )
        if unpaid is not None:
            raise _rule(
                f"You cannot delete Customer {before.get('number')} because there are one or "
                "more outstanding transactions for this customer."
            )


async def check_line_parent(
    ctx: BusinessCentral, company: str, lines: EntitySet, document_id: str
) -> None:
    header_set = COMPANY_SETS[LINES[lines.name]]
    header = await ctx.get(header_set, company, document_id)
    if header is None:
        raise SandboxError(
            ErrorKind.REFERENCE_NOT_FOUND,
            f"The {header_set.entity} does not exist. Identification fields and values: "
            f"Id='{document_id}'",
        )
    if header_set.name == "salesQuotes":
        check_quote_editable(header)
    elif header_set.name == "salesInvoices":
        check_invoice_editable(header)


async def prepare_payment(ctx: BusinessCentral, company: str, values: dict[str, Any]) -> None:
    if not values.get("customerId"):
        raise _rule("A customerNumber or a customerId must be provided.")
    amount = float(values.get("amount") or 0.0)
    if amount <= 0:
        raise SandboxError(ErrorKind.BAD_PAYLOAD, 'The "amount" should be a positive number.')
    invoices = COMPANY_SETS["salesInvoices"]
    invoice: Doc | None = None
    if values.get("appliesToInvoiceId"):
        invoice = await ctx.get(invoices, company, values["appliesToInvoiceId"])
    elif values.get("appliesToInvoiceNumber"):
        invoice = await ctx.find_by(invoices, company, number=values["appliesToInvoiceNumber"])
    if (
        values.get("appliesToInvoiceId") or values.get("appliesToInvoiceNumber")
    ) and invoice is None:
        raise SandboxError(
            ErrorKind.REFERENCE_NOT_FOUND,
            "The posted sales invoice the payment applies to does not exist.",
        )
    if invoice is not None:
        if invoice.get("status") not in ("Open", "Paid"):
            raise _rule(f"The sales invoice {invoice.get('number')} is not posted.")
        if invoice.get("customerId") != values["customerId"]:
            raise _rule(f"The sales invoice {invoice.get('number')} belongs to another customer.")
        values["appliesToInvoiceId"] = invoice["_id"]
        values["appliesToInvoiceNumber"] = invoice.get("number")
    if not values.get("documentNumber"):
        values["documentNumber"] = (await ctx.next_number(company, "customerPayments"))[0]
    values.setdefault("postingDate", now().date().isoformat())
    values.setdefault("lineNumber", 10000)
    values["journalDisplayName"] = "CUSTPAYM"


async def apply_payment(
    ctx: BusinessCentral, company: str, payment: Doc, amount: float, journal: Journal | None
) -> None:
    """Apply `amount` (negative to reverse) of a payment to the invoice it names, and count it
    in the customer's figures."""
    invoices = COMPANY_SETS["salesInvoices"]
    invoice_id = payment.get("appliesToInvoiceId")
    invoice = await ctx.get(invoices, company, invoice_id) if invoice_id else None
    if invoice is not None and amount:
        total = float(invoice.get("totalAmountIncludingTax") or 0.0)
        remaining = float(invoice.get("remainingAmount") or 0.0)
        remaining = round(min(total, max(0.0, remaining - amount)), 2)
        changes = {
            "remainingAmount": remaining,
            "status": "Paid" if remaining <= 0 else "Open",
            "lastModifiedDateTime": now(),
        }
        invoice = await ctx.db.update(invoices, invoice, changes, journal)
    await finance.payment_made(ctx, company, {**payment, "amount": amount}, invoice, journal)
