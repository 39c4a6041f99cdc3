"""Demo documents: opportunities, quotes, orders, invoices with their lines, payments, cases
and projects, on both sides; each kind from its own random stream of the generator."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from sandbox import reference
from sandbox.bc import documents
from sandbox.model import COMPANY
from sandbox.seed import activities

if TYPE_CHECKING:
    from sandbox.seed.generator import Customer, Generator, Record

UNIT_PCS = "5d6a1f00-0000-4000-8000-000000000201"


def plus_days(day: str, days: int) -> str:
    return (dt.date.fromisoformat(day) + dt.timedelta(days=days)).isoformat()


def opportunities(gen: Generator) -> Iterator[Record]:
    rng, fake = gen.rng("opportunities"), gen.pools
    for _ in range(gen.sizes["opportunities"] if gen.accounts else 0):
        state = rng.choices([0, 1, 2], [70, 20, 10])[0]
        customer = gen.customer_lookup(rng)
        value = float(rng.randrange(1, 500) * 1000)
        yield (
            "dataverse",
            "opportunities",
            {
                "_id": gen.new_id(rng),
                "name": fake.business_talk(rng).capitalize()[:300],
                "_parentaccountid_value": customer["_customerid_value"],
                **customer,
                "estimatedvalue": value,
                "closeprobability": rng.randrange(10, 100, 10),
                "estimatedclosedate": gen.anchor + dt.timedelta(days=rng.randrange(-60, 180)),
                "actualvalue": value if state == 1 else None,
                "statecode": state,
                "statuscode": {0: 1, 1: 3, 2: 4}[state],
                "_ownerid_value": gen.owner(rng),
                "_transactioncurrencyid_value": reference.USD_ID,
                **gen.crm_times(rng),
            },
        )


def crm_documents(gen: Generator, table: str, count: int) -> Iterator[Record]:
    rng, fake = gen.rng(f"crm-{table}"), gen.pools
    if not gen.accounts or not gen.products:
        return
    lines_table, parent = {
        "quotes": ("quotedetails", "_quoteid_value"),
        "salesorders": ("salesorderdetails", "_salesorderid_value"),
        "invoices": ("invoicedetails", "_invoiceid_value"),
    }[table]
    number_field, prefix = {
        "quotes": ("quotenumber", "QUO"),
        "salesorders": ("ordernumber", "ORD"),
        "invoices": ("invoicenumber", "INV"),
    }[table]
    states = {
        "quotes": [((0, 1), 50), ((1, 2), 25), ((2, 4), 15), ((3, 5), 10)],
        "salesorders": [((0, 1), 40), ((1, 3), 30), ((3, 100001), 20), ((4, 100003), 10)],
        "invoices": [((0, 4), 50), ((2, 100001), 35), ((2, 100002), 15)],
    }[table]
    for _ in range(count):
        doc_id = gen.new_id(rng)
        times = gen.crm_times(rng)
        total = 0.0
        lines = []
        for number in range(1, rng.randrange(2, 5)):
            product = rng.choice(gen.products)
            quantity = float(rng.randrange(1, 20))
            base = round(quantity * product.price, 2)
            discount = round(base * rng.choice([0, 0, 0.05, 0.1]), 2)
            total += base - discount
            lines.append(
                {
                    "_id": gen.new_id(rng),
                    parent: doc_id,
                    "_productid_value": product.product_id,
                    "_uomid_value": reference.UNIT_ID,
                    "quantity": quantity,
                    "priceperunit": product.price,
                    "manualdiscountamount": discount,
                    "baseamount": base,
                    "extendedamount": round(base - discount, 2),
                    "lineitemnumber": number,
                    "isproductoverridden": False,
                    **times,
                }
            )
        ((state, status),) = rng.choices([s for s, _ in states], [w for _, w in states])
        record: dict[str, Any] = {
            "_id": doc_id,
            "name": fake.phrase(rng)[:300],
            number_field: gen.numbers.crm(table, prefix, rng),
            **gen.customer_lookup(rng),
            "totallineitemamount": round(total, 2),
            "discountamount": 0.0,
            "totalamountlessfreight": round(total, 2),
            "totaltax": 0.0,
            "totalamount": round(total, 2),
            "statecode": state,
            "statuscode": status,
            "_pricelevelid_value": reference.PRICE_LIST_ID,
            "_transactioncurrencyid_value": reference.USD_ID,
            "_ownerid_value": gen.owner(rng),
            **times,
        }
        if table == "quotes":
            record["revisionnumber"] = 0
            # A quote still open (draft or active) is valid for a month from today, as a sales
            # person's would be; a closed one was valid for a month after it was made.
            start = gen.anchor if state in (0, 1) else times["createdon"]
            record["effectiveto"] = start + dt.timedelta(days=30)
        if table == "invoices":
            record["duedate"] = times["createdon"] + dt.timedelta(days=30)
        yield "dataverse", table, record
        for line in lines:
            yield "dataverse", lines_table, line


def bc_lines(gen: Generator, rng: random.Random, doc_id: str) -> list[dict[str, Any]]:
    lines = []
    for sequence in range(1, rng.randrange(2, 5)):
        product = rng.choice(gen.products)
        line: dict[str, Any] = {
            "_id": gen.new_id(rng),
            "documentId": doc_id,
            "sequence": sequence * 10000,
            "lineType": "Item",
            "itemId": product.item_id,
            "lineObjectNumber": product.number,
            "description": product.name,
            "unitOfMeasureCode": "PCS",
            "unitOfMeasureId": UNIT_PCS,
            "unitPrice": product.price,
            "quantity": float(rng.randrange(1, 20)),
            "taxCode": product.tax,
            "discountPercent": float(rng.choice([0, 0, 5, 10])),
            COMPANY: gen.company,
        }
        line.update(documents.line_amounts(line))
        lines.append(line)
    return lines


def bc_header(gen: Generator, rng: random.Random, series: str) -> tuple[dict[str, Any], Customer]:
    customer = rng.choice(gen.customers)
    return {
        "_id": gen.new_id(rng),
        "number": gen.numbers.bc(series),
        "customerId": customer.id,
        "customerNumber": customer.number,
        "customerName": customer.name,
        "billToName": customer.name,
        "billToCustomerId": customer.id,
        "billToCustomerNumber": customer.number,
        "sellToCity": customer.city,
        "email": customer.email,
        "salesperson": customer.salesperson,
        "currencyCode": "",
        "discountAmount": 0.0,
        **gen.bc_time(rng),
    }, customer


def bc_quotes(gen: Generator) -> Iterator[Record]:
    rng = gen.rng("bc-quotes")
    if not gen.customers or not gen.products:
        return
    for _ in range(gen.sizes["quotes"] // 2):
        header, _customer = bc_header(gen, rng, "salesQuotes")
        lines = bc_lines(gen, rng, header["_id"])
        day = gen.day(rng, 120)
        status, approval = rng.choices(
            [
                ("Draft", "Open"),
                ("Sent", "Open"),
                ("Sent", "Approved"),
                ("Accepted", "Approved"),
            ],
            [40, 30, 15, 15],
        )[0]
        header.update(documents.header_totals(lines, 0.0))
        header.update(
            documentDate=day,
            postingDate=day,
            validUntilDate=plus_days(day, 30),
            dueDate=plus_days(day, 30),
            status=status,
            approvalStatus=approval,
            archivedVersions=0,
            acceptedDate=day if status == "Accepted" else None,
            externalDocumentNumber=f"QUO-{rng.randrange(10000, 99999)}",
        )
        yield "bc", "salesQuotes", header
        for line in lines:
            yield "bc", "salesQuoteLines", line


def bc_documents(gen: Generator, table: str, count: int) -> Iterator[Record]:
    rng = gen.rng(f"bc-{table}")
    if not gen.customers or not gen.products:
        return
    for _ in range(count):
        header, _customer = bc_header(gen, rng, table)
        lines = bc_lines(gen, rng, header["_id"])
        day = gen.day(rng, 90)
        header.update(documents.header_totals(lines, 0.0))
        header.update(
            orderDate=day,
            postingDate=day,
            status=rng.choice(["Draft", "Open"]),
            fullyShipped=False,
            partialShipping=False,
            pricesIncludeTax=False,
        )
        yield "bc", table, header
        for line in lines:
            yield "bc", "salesOrderLines", line


def bc_invoices(gen: Generator) -> Iterator[Record]:
    rng = gen.rng("bc-invoices")
    if not gen.customers or not gen.products:
        return
    count, payments = gen.sizes["invoices"], gen.sizes["payments"]
    paid_share = payments / count if count else 0.0
    made = 0
    for _ in range(count):
        header, customer = bc_header(gen, rng, "postedSalesInvoices")
        lines = bc_lines(gen, rng, header["_id"])
        day = gen.day(rng)
        header.update(documents.header_totals(lines, 0.0))
        total = header["totalAmountIncludingTax"]
        remaining = total
        payment: dict[str, Any] | None = None
        if made < payments and rng.random() < paid_share * 1.2:
            made += 1
            amount = total if rng.random() < 0.7 else round(total * rng.uniform(0.2, 0.8), 2)
            remaining = round(total - amount, 2)
            payment = {
                "_id": gen.new_id(rng),
                "customerId": customer.id,
                "customerNumber": customer.number,
                "postingDate": plus_days(day, rng.randrange(1, 45)),
                "documentNumber": gen.numbers.bc("customerPayments"),
                "amount": amount,
                "appliesToInvoiceId": header["_id"],
                "appliesToInvoiceNumber": header["number"],
                "description": f"Payment {header['number']}",
                "lineNumber": 10000,
                "journalDisplayName": "CUSTPAYM",
                **gen.bc_time(rng),
            }
        header.update(
            invoiceDate=day,
            postingDate=day,
            dueDate=plus_days(day, 30),
            remainingAmount=remaining,
            status="Paid" if remaining <= 0 else "Open",
            pricesIncludeTax=False,
        )
        gen.posted.append((header["_id"], header["number"], customer.id, total))
        _count(gen, customer.id, header, payment)
        yield "bc", "salesInvoices", header
        for line in lines:
            yield "bc", "salesInvoiceLines", line
        if payment is not None:
            yield "bc", "customerPayments", payment


def _count(
    gen: Generator, customer_id: str, invoice: dict[str, Any], payment: dict[str, Any] | None
) -> None:
    """Sum a posted invoice and its payment into the customer's figures."""
    figures = gen.figures.setdefault(
        customer_id, {"invoiced": 0.0, "sales": 0.0, "paid": 0.0, "open": {}}
    )
    figures["invoiced"] = round(figures["invoiced"] + invoice["totalAmountIncludingTax"], 2)
    figures["sales"] = round(figures["sales"] + invoice["totalAmountExcludingTax"], 2)
    if payment is not None:
        figures["paid"] = round(figures["paid"] + payment["amount"], 2)
    if invoice["remainingAmount"] > 0:
        figures["open"][invoice["_id"]] = [invoice["dueDate"], invoice["remainingAmount"]]


def cases(gen: Generator) -> Iterator[Record]:
    rng, fake = gen.rng("cases"), gen.pools
    for _ in range(gen.sizes["cases"] if gen.accounts else 0):
        state = rng.choices([0, 1, 2], [70, 20, 10])[0]
        yield (
            "dataverse",
            "incidents",
            {
                "_id": gen.new_id(rng),
                "title": fake.sentence(rng)[:200],
                "ticketnumber": gen.numbers.crm("incidents", "CAS", rng),
                **gen.customer_lookup(rng),
                "prioritycode": rng.choice([1, 2, 2, 3]),
                "caseorigincode": rng.choice([1, 2, 3]),
                "statecode": state,
                "statuscode": {0: 1, 1: 5, 2: 6}[state],
                "_ownerid_value": gen.owner(rng),
                **gen.crm_times(rng),
            },
        )


def projects(gen: Generator) -> Iterator[Record]:
    rng, fake = gen.rng("projects"), gen.pools
    if not gen.customers:
        return
    for index in range(gen.sizes["projects"]):
        customer = rng.choice(gen.customers)
        number = gen.numbers.bc("projects")
        name = f"{fake.business_talk(rng).title()}"[:100]
        project = {
            "_id": gen.new_id(rng),
            "number": number,
            "displayName": name,
            "customerId": customer.id,
            "customerNumber": customer.number,
            "status": rng.choice(["Planning", "Open", "Open", "Completed"]),
            **gen.bc_time(rng),
        }
        yield "bc", "projects", project
        yield from activities.tree(gen, gen.rng(f"activities:{number}"), project)
        account = gen.account_of_customer.get(customer.id)
        if index % 2 == 0 and account is not None:
            times = gen.crm_times(rng)
            yield (
                "dataverse",
                "msdyn_projects",
                {
                    "_id": gen.new_id(rng),
                    "msdyn_subject": name,
                    "erp_projectnumber": number,
                    "_msdyn_customer_value": account,
                    "msdyn_scheduledstart": times["createdon"],
                    "msdyn_progress": float(rng.randrange(0, 101)),
                    "statecode": 0,
                    "statuscode": 1,
                    "_ownerid_value": gen.owner(rng),
                    **times,
                },
            )
