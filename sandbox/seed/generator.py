"""Deterministic demo data for both systems, generated as a stream of records.

Each kind of record draws from its own random stream (seeded by the plan's seed and the kind),
so the same seed gives the same data on a fresh sandbox. Only the ids of records that later
kinds refer to are kept in memory, never the records themselves.

Pairs that an integration couples: systemusers and salespeople share name and e-mail; products
and items share number and name; the first `matched` accounts and customers share name and
number (accountnumber = customer number), a few more share the name only, and the rest exist
on one side alone.
"""

from __future__ import annotations

import datetime as dt
import random
import uuid
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from faker import Faker

from sandbox import reference
from sandbox.bc import documents
from sandbox.bc.context import format_number
from sandbox.model import COMPANY, LOOKUP_TARGETS
from sandbox.seed.plan import SeedPlan

Record = tuple[str, str, dict[str, Any]]  # (api, entity set, stored document)

UNITS = {
    "PCS": "5d6a1f00-0000-4000-8000-000000000201",
    "HOUR": "5d6a1f00-0000-4000-8000-000000000202",
}
_DAYS_BACK = 730


@dataclass
class Numbers:
    """Number blocks reserved for one seeding run: series -> first ordinal."""

    starts: dict[str, int]
    used: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def _ordinal(self, series: str) -> int:
        ordinal = self.starts[series] + self.used[series]
        self.used[series] += 1
        return ordinal

    def bc(self, series: str) -> str:
        return format_number(series, self._ordinal(series))

    def crm(self, table: str, prefix: str, rng: random.Random) -> str:
        suffix = "".join(rng.choices("ABCDEFGHJKLMNPQRSTUVWXYZ23456789", k=6))
        return f"{prefix}-{1000 + self._ordinal(table):05d}-{suffix}"


@dataclass(frozen=True)
class Product:
    product_id: str
    item_id: str
    number: str
    name: str
    price: float
    tax: str


@dataclass(frozen=True)
class Customer:
    id: str
    number: str
    name: str
    salesperson: str
    city: str
    email: str


class Generator:
    def __init__(self, plan: SeedPlan, company: str, numbers: Numbers) -> None:
        self.sizes = plan.sizes()
        self.seed = plan.seed
        self.company = company
        self.numbers = numbers
        today = dt.datetime.now(dt.UTC).replace(tzinfo=None)
        self.anchor = today.replace(hour=0, minute=0, second=0, microsecond=0)
        self.users: list[tuple[str, str]] = []  # (systemuserid, salesperson code)
        self.products: list[Product] = []
        self.accounts: list[str] = []
        self.customers: list[Customer] = []
        self.account_of_customer: dict[str, str] = {}
        self.crm_contacts: list[str] = []
        self.posted: list[tuple[str, str, str, float]] = []  # (id, number, customer id, total)

    # -- helpers --------------------------------------------------------------------------

    def _rng(self, kind: str) -> random.Random:
        return random.Random(f"{self.seed}:{kind}")  # noqa: S311 - demo data, not security

    def _faker(self, kind: str) -> Faker:
        fake = Faker("en_US")
        fake.seed_instance(f"{self.seed}:{kind}")
        return fake

    @staticmethod
    def _id(rng: random.Random) -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    def _times(self, rng: random.Random) -> tuple[dt.datetime, dt.datetime]:
        created = self.anchor - dt.timedelta(seconds=rng.randrange(1, _DAYS_BACK * 86400))
        span = int((self.anchor - created).total_seconds())
        modified = created + dt.timedelta(seconds=rng.randrange(0, max(span, 1)))
        return created, modified

    def _crm_times(self, rng: random.Random) -> dict[str, dt.datetime]:
        created, modified = self._times(rng)
        return {"createdon": created, "modifiedon": modified}

    def _bc_time(self, rng: random.Random) -> dict[str, Any]:
        _, modified = self._times(rng)
        return {
            "lastModifiedDateTime": modified + dt.timedelta(milliseconds=rng.randrange(1000)),
            COMPANY: self.company,
        }

    def _owner(self, rng: random.Random) -> str:
        return rng.choice(self.users)[0] if self.users else reference.CALLER_ID

    def _day(self, rng: random.Random, back: int = _DAYS_BACK) -> str:
        return (self.anchor - dt.timedelta(days=rng.randrange(0, back))).date().isoformat()

    # -- the stream -----------------------------------------------------------------------

    def records(self) -> Iterator[Record]:
        yield from self._users()
        yield from self._items()
        yield from self._parties()
        yield from self._contacts()
        yield from self._opportunities()
        yield from self._crm_documents("quotes", self.sizes["quotes"])
        yield from self._bc_quotes()
        yield from self._bc_documents("salesOrders", self.sizes["orders"])
        yield from self._crm_documents("salesorders", self.sizes["orders"] // 2)
        yield from self._bc_invoices()
        yield from self._crm_documents("invoices", self.sizes["invoices"] // 2)
        yield from self._cases()
        yield from self._projects()

    def _users(self) -> Iterator[Record]:
        rng, fake = self._rng("users"), self._faker("users")
        codes: set[str] = set()
        for _ in range(self.sizes["users"]):
            first, last = fake.first_name(), fake.last_name()
            email = f"{first}.{last}@contoso.example".lower()
            code = (first[0] + last[0]).upper()
            suffix = 1
            while code in codes:
                suffix += 1
                code = f"{first[0]}{last[0]}{suffix}".upper()
            codes.add(code)
            user_id = self._id(rng)
            self.users.append((user_id, code))
            yield (
                "dataverse",
                "systemusers",
                {
                    "_id": user_id,
                    "firstname": first,
                    "lastname": last,
                    "fullname": f"{first} {last}",
                    "internalemailaddress": email,
                    "domainname": email,
                    "title": fake.job()[:128],
                    "isdisabled": False,
                    **self._crm_times(rng),
                },
            )
            yield (
                "bc",
                "salespeople",
                {
                    "_id": self._id(rng),
                    "code": code,
                    "displayName": f"{first} {last}"[:50],
                    "email": email,
                    "jobTitle": "Sales Representative",
                    "phoneNo": fake.phone_number()[:30],
                    "commisionPercent": float(rng.choice([0, 2.5, 5, 7.5])),
                    "privacyBlocked": False,
                    "blocked": False,
                    **self._bc_time(rng),
                },
            )

    def _items(self) -> Iterator[Record]:
        rng, fake = self._rng("items"), self._faker("items")
        for _ in range(self.sizes["items"]):
            number = self.numbers.bc("items")
            service = rng.random() < 0.25
            name = (f"{fake.catch_phrase()} service" if service else fake.catch_phrase()).title()[
                :100
            ]
            price = round(rng.uniform(5, 2000), 2)
            tax = "TAXABLE" if rng.random() < 0.8 else "NONTAXABLE"
            unit = "HOUR" if service else "PCS"
            product = Product(self._id(rng), self._id(rng), number, name, price, tax)
            self.products.append(product)
            yield (
                "bc",
                "items",
                {
                    "_id": product.item_id,
                    "number": number,
                    "displayName": name,
                    "type": "Service" if service else "Inventory",
                    "blocked": False,
                    "inventory": 0.0 if service else float(rng.randrange(0, 500)),
                    "unitPrice": price,
                    "unitCost": round(price * rng.uniform(0.4, 0.8), 2),
                    "priceIncludesTax": False,
                    "taxGroupCode": tax,
                    "baseUnitOfMeasureCode": unit,
                    "baseUnitOfMeasureId": UNITS[unit],
                    **self._bc_time(rng),
                },
            )
            yield (
                "dataverse",
                "products",
                {
                    "_id": product.product_id,
                    "name": name,
                    "productnumber": number,
                    "price": price,
                    "standardcost": round(price * 0.6, 2),
                    "quantitydecimal": 2,
                    "productstructure": 1,
                    "producttypecode": 3 if service else 1,
                    "statecode": 0,
                    "statuscode": 1,
                    "_defaultuomscheduleid_value": reference.UNIT_GROUP_ID,
                    "_defaultuomid_value": reference.UNIT_ID,
                    "_pricelevelid_value": reference.PRICE_LIST_ID,
                    "_transactioncurrencyid_value": reference.USD_ID,
                    **self._crm_times(rng),
                },
            )

    def _parties(self) -> Iterator[Record]:
        rng, fake = self._rng("parties"), self._faker("parties")
        sizes = self.sizes
        matched, n_accounts, n_customers = sizes["matched"], sizes["accounts"], sizes["customers"]
        name_only = min(n_accounts, n_customers) - matched
        name_only = max(0, min(name_only, (n_accounts - matched) // 6))
        shared_names = [fake.company() for _ in range(matched + name_only)]
        for index in range(n_customers):
            name = shared_names[index] if index < len(shared_names) else fake.company()
            customer = Customer(
                id=self._id(rng),
                number=self.numbers.bc("customers"),
                name=name[:100],
                salesperson=rng.choice(self.users)[1] if self.users else "",
                city=fake.city()[:30],
                email=f"info@{fake.domain_word()}{index}.example",
            )
            self.customers.append(customer)
            yield (
                "bc",
                "customers",
                {
                    "_id": customer.id,
                    "number": customer.number,
                    "displayName": customer.name,
                    "type": "Company",
                    "addressLine1": fake.street_address()[:100],
                    "city": customer.city,
                    "state": fake.state_abbr(),
                    "country": "US",
                    "postalCode": fake.postcode(),
                    "phoneNumber": fake.phone_number()[:30],
                    "email": customer.email,
                    "website": f"www.{customer.email.split('@')[1]}",
                    "salespersonCode": customer.salesperson,
                    "creditLimit": float(rng.choice([0, 5000, 10000, 50000])),
                    "taxLiable": True,
                    "currencyCode": "EUR" if rng.random() < 0.1 else "",
                    "blocked": " ",
                    **self._bc_time(rng),
                },
            )
        for index in range(n_accounts):
            account_id = self._id(rng)
            self.accounts.append(account_id)
            if index < matched:
                customer = self.customers[index]
                name, number, email = customer.name, customer.number, customer.email
                self.account_of_customer[customer.id] = account_id
            elif index < matched + name_only:
                name, number = shared_names[index], None
                email = f"contact@{fake.domain_word()}{index}.example"
            else:
                name, number = fake.company(), None
                email = f"hello@{fake.domain_word()}{index}.example"
            yield (
                "dataverse",
                "accounts",
                {
                    "_id": account_id,
                    "name": name[:160],
                    "accountnumber": number,
                    "emailaddress1": email,
                    "telephone1": fake.phone_number()[:50],
                    "websiteurl": f"https://www.{email.split('@')[1]}",
                    "address1_city": fake.city(),
                    "address1_country": "United States",
                    "revenue": float(rng.randrange(10, 5000) * 1000),
                    "numberofemployees": rng.randrange(1, 5000),
                    "customertypecode": 3,
                    "_ownerid_value": self._owner(rng),
                    "_transactioncurrencyid_value": reference.USD_ID,
                    "statecode": 0,
                    "statuscode": 1,
                    **self._crm_times(rng),
                },
            )

    def _contacts(self) -> Iterator[Record]:
        rng, fake = self._rng("contacts"), self._faker("contacts")
        for index in range(self.sizes["contacts"]):
            first, last = fake.first_name(), fake.last_name()
            contact_id = self._id(rng)
            self.crm_contacts.append(contact_id)
            record: dict[str, Any] = {
                "_id": contact_id,
                "firstname": first,
                "lastname": last,
                "fullname": f"{first} {last}",
                "emailaddress1": f"{first}.{last}{index}@example.net".lower(),
                "telephone1": fake.phone_number()[:50],
                "jobtitle": fake.job()[:100],
                "_ownerid_value": self._owner(rng),
                "statecode": 0,
                "statuscode": 1,
                **self._crm_times(rng),
            }
            if self.accounts:
                record["_parentcustomerid_value"] = rng.choice(self.accounts)
                record[LOOKUP_TARGETS] = {"_parentcustomerid_value": "accounts"}
            yield "dataverse", "contacts", record
        for index in range(self.sizes["contacts"] // 2):
            first, last = fake.first_name(), fake.last_name()
            customer = rng.choice(self.customers) if self.customers else None
            yield (
                "bc",
                "contacts",
                {
                    "_id": self._id(rng),
                    "number": self.numbers.bc("contacts"),
                    "type": "Person",
                    "displayName": f"{first} {last}",
                    "companyNumber": customer.number if customer else None,
                    "companyName": customer.name if customer else None,
                    "contactBusinessRelation": "Customer" if customer else "None",
                    "email": f"{first}.{last}{index}@example.org".lower(),
                    "phoneNumber": fake.phone_number()[:30],
                    "privacyBlocked": False,
                    **self._bc_time(rng),
                },
            )

    def _customer_lookup(self, rng: random.Random) -> dict[str, Any]:
        account = rng.choice(self.accounts)
        return {"_customerid_value": account, LOOKUP_TARGETS: {"_customerid_value": "accounts"}}

    def _opportunities(self) -> Iterator[Record]:
        rng, fake = self._rng("opportunities"), self._faker("opportunities")
        for _ in range(self.sizes["opportunities"] if self.accounts else 0):
            state = rng.choices([0, 1, 2], [70, 20, 10])[0]
            customer = self._customer_lookup(rng)
            value = float(rng.randrange(1, 500) * 1000)
            yield (
                "dataverse",
                "opportunities",
                {
                    "_id": self._id(rng),
                    "name": fake.bs().capitalize()[:300],
                    "_parentaccountid_value": customer["_customerid_value"],
                    **customer,
                    "estimatedvalue": value,
                    "closeprobability": rng.randrange(10, 100, 10),
                    "estimatedclosedate": self.anchor + dt.timedelta(days=rng.randrange(-60, 180)),
                    "actualvalue": value if state == 1 else None,
                    "statecode": state,
                    "statuscode": {0: 1, 1: 3, 2: 4}[state],
                    "_ownerid_value": self._owner(rng),
                    "_transactioncurrencyid_value": reference.USD_ID,
                    **self._crm_times(rng),
                },
            )

    def _crm_documents(self, table: str, count: int) -> Iterator[Record]:
        rng, fake = self._rng(f"crm-{table}"), self._faker(f"crm-{table}")
        if not self.accounts or not self.products:
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
            doc_id = self._id(rng)
            times = self._crm_times(rng)
            total = 0.0
            lines = []
            for number in range(1, rng.randrange(2, 5)):
                product = rng.choice(self.products)
                quantity = float(rng.randrange(1, 20))
                base = round(quantity * product.price, 2)
                discount = round(base * rng.choice([0, 0, 0.05, 0.1]), 2)
                total += base - discount
                lines.append(
                    {
                        "_id": self._id(rng),
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
                "name": fake.catch_phrase()[:300],
                number_field: self.numbers.crm(table, prefix, rng),
                **self._customer_lookup(rng),
                "totallineitemamount": round(total, 2),
                "discountamount": 0.0,
                "totalamount": round(total, 2),
                "statecode": state,
                "statuscode": status,
                "_pricelevelid_value": reference.PRICE_LIST_ID,
                "_transactioncurrencyid_value": reference.USD_ID,
                "_ownerid_value": self._owner(rng),
                **times,
            }
            if table == "quotes":
                record["revisionnumber"] = 0
                record["effectiveto"] = times["createdon"] + dt.timedelta(days=30)
            if table == "invoices":
                record["duedate"] = times["createdon"] + dt.timedelta(days=30)
            yield "dataverse", table, record
            for line in lines:
                yield "dataverse", lines_table, line

    def _bc_lines(self, rng: random.Random, doc_id: str) -> list[dict[str, Any]]:
        lines = []
        for sequence in range(1, rng.randrange(2, 5)):
            product = rng.choice(self.products)
            line: dict[str, Any] = {
                "_id": self._id(rng),
                "documentId": doc_id,
                "sequence": sequence * 10000,
                "lineType": "Item",
                "itemId": product.item_id,
                "lineObjectNumber": product.number,
                "description": product.name,
                "unitOfMeasureCode": "PCS",
                "unitOfMeasureId": UNITS["PCS"],
                "unitPrice": product.price,
                "quantity": float(rng.randrange(1, 20)),
                "taxCode": product.tax,
                "discountPercent": float(rng.choice([0, 0, 5, 10])),
                COMPANY: self.company,
            }
            line.update(documents.line_amounts(line))
            lines.append(line)
        return lines

    def _bc_header(self, rng: random.Random, series: str) -> tuple[dict[str, Any], Customer]:
        customer = rng.choice(self.customers)
        return {
            "_id": self._id(rng),
            "number": self.numbers.bc(series),
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
            **self._bc_time(rng),
        }, customer

    def _bc_quotes(self) -> Iterator[Record]:
        rng = self._rng("bc-quotes")
        if not self.customers or not self.products:
            return
        for _ in range(self.sizes["quotes"] // 2):
            header, _customer = self._bc_header(rng, "salesQuotes")
            lines = self._bc_lines(rng, header["_id"])
            day = self._day(rng, 120)
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
                validUntilDate=_plus(day, 30),
                dueDate=_plus(day, 30),
                status=status,
                approvalStatus=approval,
                archivedVersions=0,
                acceptedDate=day if status == "Accepted" else None,
                externalDocumentNumber=f"QUO-{rng.randrange(10000, 99999)}",
            )
            yield "bc", "salesQuotes", header
            for line in lines:
                yield "bc", "salesQuoteLines", line

    def _bc_documents(self, table: str, count: int) -> Iterator[Record]:
        rng = self._rng(f"bc-{table}")
        if not self.customers or not self.products:
            return
        for _ in range(count):
            header, _customer = self._bc_header(rng, table)
            lines = self._bc_lines(rng, header["_id"])
            day = self._day(rng, 90)
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

    def _bc_invoices(self) -> Iterator[Record]:
        rng = self._rng("bc-invoices")
        if not self.customers or not self.products:
            return
        count, payments = self.sizes["invoices"], self.sizes["payments"]
        paid_share = payments / count if count else 0.0
        made = 0
        for _ in range(count):
            header, customer = self._bc_header(rng, "postedSalesInvoices")
            lines = self._bc_lines(rng, header["_id"])
            day = self._day(rng)
            header.update(documents.header_totals(lines, 0.0))
            total = header["totalAmountIncludingTax"]
            remaining = total
            payment: dict[str, Any] | None = None
            if made < payments and rng.random() < paid_share * 1.2:
                made += 1
                amount = total if rng.random() < 0.7 else round(total * rng.uniform(0.2, 0.8), 2)
                remaining = round(total - amount, 2)
                payment = {
                    "_id": self._id(rng),
                    "customerId": customer.id,
                    "customerNumber": customer.number,
                    "postingDate": _plus(day, rng.randrange(1, 45)),
                    "documentNumber": self.numbers.bc("customerPayments"),
                    "amount": amount,
                    "appliesToInvoiceId": header["_id"],
                    "appliesToInvoiceNumber": header["number"],
                    "description": f"Payment {header['number']}",
                    "lineNumber": 10000,
                    "journalDisplayName": "CUSTPAYM",
                    **self._bc_time(rng),
                }
            header.update(
                invoiceDate=day,
                postingDate=day,
                dueDate=_plus(day, 30),
                remainingAmount=remaining,
                status="Paid" if remaining <= 0 else "Open",
                pricesIncludeTax=False,
            )
            self.posted.append((header["_id"], header["number"], customer.id, total))
            yield "bc", "salesInvoices", header
            for line in lines:
                yield "bc", "salesInvoiceLines", line
            if payment is not None:
                yield "bc", "customerPayments", payment

    def _cases(self) -> Iterator[Record]:
        rng, fake = self._rng("cases"), self._faker("cases")
        for _ in range(self.sizes["cases"] if self.accounts else 0):
            state = rng.choices([0, 1, 2], [70, 20, 10])[0]
            yield (
                "dataverse",
                "incidents",
                {
                    "_id": self._id(rng),
                    "title": fake.sentence(nb_words=6)[:200],
                    "ticketnumber": self.numbers.crm("incidents", "CAS", rng),
                    **self._customer_lookup(rng),
                    "prioritycode": rng.choice([1, 2, 2, 3]),
                    "caseorigincode": rng.choice([1, 2, 3]),
                    "statecode": state,
                    "statuscode": {0: 1, 1: 5, 2: 6}[state],
                    "_ownerid_value": self._owner(rng),
                    **self._crm_times(rng),
                },
            )

    def _projects(self) -> Iterator[Record]:
        rng, fake = self._rng("projects"), self._faker("projects")
        if not self.customers:
            return
        for index in range(self.sizes["projects"]):
            customer = rng.choice(self.customers)
            number = self.numbers.bc("projects")
            name = f"{fake.bs().title()}"[:100]
            yield (
                "bc",
                "projects",
                {
                    "_id": self._id(rng),
                    "number": number,
                    "displayName": name,
                    "customerId": customer.id,
                    "customerNumber": customer.number,
                    "status": rng.choice(["Planning", "Open", "Open", "Completed"]),
                    **self._bc_time(rng),
                },
            )
            account = self.account_of_customer.get(customer.id)
            if index % 2 == 0 and account is not None:
                times = self._crm_times(rng)
                yield (
                    "dataverse",
                    "msdyn_projects",
                    {
                        "_id": self._id(rng),
                        "msdyn_subject": name,
                        "erp_projectnumber": number,
                        "_msdyn_customer_value": account,
                        "msdyn_scheduledstart": times["createdon"],
                        "msdyn_progress": float(rng.randrange(0, 101)),
                        "statecode": 0,
                        "statuscode": 1,
                        "_ownerid_value": self._owner(rng),
                        **times,
                    },
                )


def _plus(day: str, days: int) -> str:
    return (dt.date.fromisoformat(day) + dt.timedelta(days=days)).isoformat()


def reservations(plan: SeedPlan) -> tuple[dict[str, int], dict[str, int]]:
    """How many numbers of each series one run takes: (Business Central, Dataverse)."""
    sizes = plan.sizes()
    bc = {
        "customers": sizes["customers"],
        "items": sizes["items"],
        "contacts": sizes["contacts"] // 2,
        "salesQuotes": sizes["quotes"] // 2,
        "salesOrders": sizes["orders"],
        "postedSalesInvoices": sizes["invoices"],
        "customerPayments": sizes["payments"],
        "projects": sizes["projects"],
    }
    crm = {
        "quotes": sizes["quotes"],
        "salesorders": sizes["orders"] // 2,
        "invoices": sizes["invoices"] // 2,
        "incidents": sizes["cases"],
    }
    return bc, crm
