"""The "account 360" page: accounts with their last five quotes and their lines, their unpaid
invoices and their projects, each document merged from both systems. Exact results against
the raw tables of the sandbox's seeded tenant, and a cost in backend requests that does not
grow with the number of rows."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime
from typing import Any

import httpx

from adapters.base import Record
from gateway.services import Services
from tests.api.support import couple_customers_by_number, data, table
from tests.api.test_accounts_page import backend_requests
from tests.support_sandbox import SandboxHandle

ACCOUNT_360 = """
query Account360($first: Int!, $after: String) {
  accounts(first: $first, after: $after) {
    pageInfo { hasNextPage endCursor }
    edges { node {
      crmId name accountNumber
      customer { erpId number }
      quotes(first: 5) { edges { node {
        crmId erpId number name crmState erpState state totalAmount currencyCode validUntil
        lines { productNumber description quantity unitOfMeasure unitPrice discountAmount amount
                writeIn }
      } } }
      invoices(paymentStatus: UNPAID, first: 10) { edges { node {
        crmId erpId number crmState erpState state paymentStatus totalAmount remainingAmount
        dueDate overdue
      } } }
      projects(first: 5) { edges { node { crmId erpId number name status state } } }
    } }
  }
}
"""

# The seeded states in each system's words, and the common state they make.
CRM_QUOTES = {(0, 1): "Draft", (1, 2): "Active", (2, 4): "Won", (3, 5): "Lost"}
COMMON = {"Draft": "DRAFT", "Active": "ACTIVE", "Won": "WON", "Lost": "LOST"}
ERP_QUOTES = {"Open": ("Open", "DRAFT"), "Approved": ("Approved", "APPROVED")}
MIDNIGHT = datetime.min.time()


def moment(value: str) -> datetime:
    if "T" not in value:
        return datetime.combine(date.fromisoformat(value), MIDNIGHT, tzinfo=UTC)
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def newest_first(rows: list[tuple[datetime, str, str, dict[str, Any]]]) -> list[dict[str, Any]]:
    return [row[3] for row in sorted(rows, key=lambda row: row[:3], reverse=True)]


class Tenant:
    """The seeded tenant's raw tables, and what the page must show of them."""

    def __init__(self, services: Services, customers: dict[str, Record]) -> None:
        self.services = services
        self.customers = customers  # by account id
        self.tables: dict[str, list[Record]] = {}

    async def load(self) -> None:
        crm, erp = self.services.crm, self.services.erp
        assert crm is not None
        assert erp is not None
        for name, connector, entity in (
            ("account", crm, "account"),
            ("crm quotes", crm, "quote"),
            ("crm quote lines", crm, "quote_line"),
            ("products", crm, "product"),
            ("units", crm, "unit"),
            ("crm invoices", crm, "invoice"),
            ("crm projects", crm, "project"),
            ("erp quotes", erp, "quote"),
            ("erp quote lines", erp, "quote_line"),
            ("erp invoices", erp, "invoice"),
            ("erp projects", erp, "project"),
        ):
            self.tables[name] = await table(connector, entity)

    def by(self, name: str, field: str) -> dict[str, list[Record]]:
        grouped: dict[str, list[Record]] = defaultdict(list)
        for record in self.tables[name]:
            grouped[str(record.values.get(field))].append(record)
        return grouped

    def quotes(self, account: str) -> list[dict[str, Any]]:
        products = {r.id: r.values["productnumber"] for r in self.tables["products"]}
        units = {r.id: r.values["name"] for r in self.tables["units"]}
        crm_lines = self.by("crm quote lines", "_quoteid_value")
        erp_lines = self.by("erp quote lines", "documentId")
        rows = []
        for quote in self.by("crm quotes", "_customerid_value").get(account, []):
            values = quote.values
            words = CRM_QUOTES[(values["statecode"], values["statuscode"])]
            lines = sorted(crm_lines.get(quote.id, []), key=lambda r: r.values["lineitemnumber"])
            shown = {
                "crmId": quote.id,
                "erpId": None,
                "number": values["quotenumber"],
                "name": values["name"],
                "crmState": words,
                "erpState": "absent",
                "state": COMMON[words],
                "totalAmount": values["totalamount"],
                "currencyCode": "USD",
                "validUntil": values["effectiveto"][:10],
                "lines": [
                    {
                        "productNumber": products[line.values["_productid_value"]],
                        "description": None,
                        "quantity": line.values["quantity"],
                        "unitOfMeasure": units[line.values["_uomid_value"]],
                        "unitPrice": line.values["priceperunit"],
                        "discountAmount": line.values["manualdiscountamount"],
                        "amount": line.values["extendedamount"],
                        "writeIn": False,
                    }
                    for line in lines
                ],
            }
            rows.append(
                (moment(values["createdon"]), values["quotenumber"], f"crm:{quote.id}", shown)
            )
        customer = self.customers.get(account)
        for quote in self.by("erp quotes", "customerId").get(customer.id if customer else "", []):
            values = quote.values
            status = "Accepted" if values["status"] == "Accepted" else values["approvalStatus"]
            words, state = ("Accepted", "WON") if status == "Accepted" else ERP_QUOTES[status]
            lines = sorted(erp_lines.get(quote.id, []), key=lambda r: r.values["sequence"])
            shown = {
                "crmId": None,
                "erpId": quote.id,
                "number": values["number"],
                "name": values["externalDocumentNumber"],
                "crmState": "absent",
                "erpState": words,
                "state": state,
                "totalAmount": values["totalAmountIncludingTax"],
                "currencyCode": None,  # the company's own currency
                "validUntil": values["validUntilDate"],
                "lines": [
                    {
                        "productNumber": line.values["lineObjectNumber"],
                        "description": line.values["description"],
                        "quantity": line.values["quantity"],
                        "unitOfMeasure": line.values["unitOfMeasureCode"],
                        "unitPrice": line.values["unitPrice"],
                        "discountAmount": line.values.get("discountAmount"),
                        "amount": line.values["amountExcludingTax"],
                        "writeIn": False,
                    }
                    for line in lines
                ],
            }
            rows.append(
                (moment(values["documentDate"]), values["number"], f"erp:{quote.id}", shown)
            )
        return newest_first(rows)[:5]

    def unpaid_invoices(self, account: str, today: date) -> list[dict[str, Any]]:
        rows = []
        for invoice in self.by("crm invoices", "_customerid_value").get(account, []):
            values = invoice.values
            if values["statecode"] != 0:  # Paid (Partial or Complete)
                continue
            due = values["duedate"][:10]
            shown = {
                "crmId": invoice.id,
                "erpId": None,
                "number": values["invoicenumber"],
                "crmState": "Billed",
                "erpState": "absent",
                "state": "OPEN",
                "paymentStatus": "UNPAID",
                "totalAmount": values["totalamount"],
                "remainingAmount": None,
                "dueDate": due,
                "overdue": date.fromisoformat(due) < today,
            }
            rows.append(
                (moment(values["createdon"]), values["invoicenumber"], f"crm:{invoice.id}", shown)
            )
        customer = self.customers.get(account)
        for invoice in self.by("erp invoices", "customerId").get(
            customer.id if customer else "", []
        ):
            values = invoice.values
            if values["remainingAmount"] < values["totalAmountIncludingTax"]:
                continue
            shown = {
                "crmId": None,
                "erpId": invoice.id,
                "number": values["number"],
                "crmState": "absent",
                "erpState": "Open",
                "state": "OPEN",
                "paymentStatus": "UNPAID",
                "totalAmount": values["totalAmountIncludingTax"],
                "remainingAmount": values["remainingAmount"],
                "dueDate": values["dueDate"],
                "overdue": date.fromisoformat(values["dueDate"]) < today,
            }
            rows.append(
                (moment(values["invoiceDate"]), values["number"], f"erp:{invoice.id}", shown)
            )
        return newest_first(rows)[:10]

    def projects(self, account: str) -> list[dict[str, Any]]:
        rows = []
        for project in self.by("crm projects", "_msdyn_customer_value").get(account, []):
            values = project.values
            shown = {
                "crmId": project.id,
                "erpId": None,
                "number": None,
                "name": values["msdyn_subject"],
                "status": "Active",
                "state": "OPEN",
            }
            rows.append((moment(values["createdon"]), "", f"crm:{project.id}", shown))
        customer = self.customers.get(account)
        states = {"Planning": "PLANNING", "Open": "OPEN", "Completed": "COMPLETED"}
        for project in self.by("erp projects", "customerId").get(
            customer.id if customer else "", []
        ):
            values = project.values
            shown = {
                "crmId": None,
                "erpId": project.id,
                "number": values["number"],
                "name": values["displayName"],
                "status": values["status"],
                "state": states[values["status"]],
            }
            # Business Central's projects carry no date: they sort after dated ones.
            rows.append(
                (datetime(1970, 1, 1, tzinfo=UTC), values["number"], f"erp:{project.id}", shown)
            )
        return newest_first(rows)[:5]


def nodes(connection: dict[str, Any]) -> list[dict[str, Any]]:
    return [edge["node"] for edge in connection["edges"]]


async def test_a_page_of_accounts_shows_each_ones_quotes_invoices_and_projects_exactly(
    sandbox: SandboxHandle, store: Services, api: httpx.AsyncClient
) -> None:
    await sandbox.seed(accounts=40, quotes=120, invoices=120, projects=40)
    customers = await couple_customers_by_number(store)
    tenant = Tenant(store, customers)
    await tenant.load()
    today = datetime.now(UTC).date()

    page = (await data(api, ACCOUNT_360, first=40))["accounts"]

    accounts = nodes(page)
    assert len(accounts) == 40
    for account in accounts:
        crm_id = account["crmId"]
        assert nodes(account["quotes"]) == tenant.quotes(crm_id), account["name"]
        assert nodes(account["invoices"]) == tenant.unpaid_invoices(crm_id, today)
        assert nodes(account["projects"]) == tenant.projects(crm_id)
    # Both systems' documents are on the page, and the page is not trivially empty.
    shown = [quote for account in accounts for quote in nodes(account["quotes"])]
    assert {quote["crmId"] is None for quote in shown} == {True, False}
    assert any(len(quote["lines"]) > 1 for quote in shown)
    invoices = [invoice for account in accounts for invoice in nodes(account["invoices"])]
    assert {invoice["erpId"] is None for invoice in invoices} == {True, False}
    assert any(invoice["overdue"] for invoice in invoices)
    assert any(nodes(account["projects"]) for account in accounts)


async def calls_for(sandbox: SandboxHandle, api: httpx.AsyncClient, first: int) -> dict[Any, int]:
    await data(api, ACCOUNT_360, first=first)  # tokens and the company id are read once
    await sandbox.reset_stats()
    page = (await data(api, ACCOUNT_360, first=first))["accounts"]
    assert len(page["edges"]) == first
    return backend_requests(await sandbox.stats())


async def test_the_page_costs_the_same_requests_for_10_and_100_accounts(
    sandbox: SandboxHandle, store: Services, api: httpx.AsyncClient
) -> None:
    await sandbox.seed(accounts=200)
    await couple_customers_by_number(store)

    small, large = await calls_for(sandbox, api, 10), await calls_for(sandbox, api, 100)

    assert small == large
    # One request per hop: the accounts; each kind of document of the page's accounts in the
    # CRM and of their customers in the ERP; the CRM quotes' lines, their products, units and
    # currencies; the lines of the quotes only the ERP has.
    assert large == {
        ("dataverse", "accounts", "GET"): 1,
        ("dataverse", "quotes", "GET"): 1,
        ("dataverse", "quotedetails", "GET"): 1,
        ("dataverse", "products", "GET"): 1,
        ("dataverse", "uoms", "GET"): 1,
        ("dataverse", "transactioncurrencies", "GET"): 1,
        ("dataverse", "invoices", "GET"): 1,
        ("dataverse", "msdyn_projects", "GET"): 1,
        ("bc", "customers", "GET"): 1,
        ("bc", "salesQuotes", "GET"): 1,
        ("bc", "salesQuoteLines", "GET"): 1,
        ("bc", "salesInvoices", "GET"): 1,
        ("bc", "projects", "GET"): 1,
    }
