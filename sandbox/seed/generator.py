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

from sandbox import reference
from sandbox.bc.context import format_number
from sandbox.bc.finance import FIGURES
from sandbox.model import COMPANY, LOOKUP_TARGETS
from sandbox.seed import activities, documents
from sandbox.seed.plan import SeedPlan
from sandbox.seed.pools import Pools

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

    def next(self, series: str) -> int:
        """The next plain ordinal of a series (ledger entry numbers)."""
        return self._ordinal(series)

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
        self.figures: dict[str, dict[str, Any]] = {}  # customer id -> figures (bc/finance.py)
        self.workers: list[tuple[str, str, float]] = []  # BC resources: number, name, unit cost
        self.pools = Pools(plan.seed, max(self.sizes.values()))

    # -- helpers --------------------------------------------------------------------------

    def rng(self, kind: str) -> random.Random:
        return random.Random(f"{self.seed}:{kind}")  # noqa: S311 - demo data, not security

    @staticmethod
    def new_id(rng: random.Random) -> str:
        return str(uuid.UUID(int=rng.getrandbits(128), version=4))

    def times(self, rng: random.Random) -> tuple[dt.datetime, dt.datetime]:
        created = self.anchor - dt.timedelta(seconds=rng.randrange(1, _DAYS_BACK * 86400))
        span = int((self.anchor - created).total_seconds())
        modified = created + dt.timedelta(seconds=rng.randrange(0, max(span, 1)))
        return created, modified

    def crm_times(self, rng: random.Random) -> dict[str, dt.datetime]:
        created, modified = self.times(rng)
        return {"createdon": created, "modifiedon": modified}

    def bc_time(self, rng: random.Random) -> dict[str, Any]:
        _, modified = self.times(rng)
        return {
            "lastModifiedDateTime": modified + dt.timedelta(milliseconds=rng.randrange(1000)),
            COMPANY: self.company,
        }

    def owner(self, rng: random.Random) -> str:
        return rng.choice(self.users)[0] if self.users else reference.CALLER_ID

    def day(self, rng: random.Random, back: int = _DAYS_BACK) -> str:
        return (self.anchor - dt.timedelta(days=rng.randrange(0, back))).date().isoformat()

    # -- the stream -----------------------------------------------------------------------

    def records(self) -> Iterator[Record]:
        yield from self._users()
        yield from self._items()
        yield from self._parties()
        yield from self._contacts()
        yield from documents.opportunities(self)
        yield from documents.crm_documents(self, "quotes", self.sizes["quotes"])
        yield from documents.bc_quotes(self)
        yield from documents.bc_documents(self, "salesOrders", self.sizes["orders"])
        yield from documents.crm_documents(self, "salesorders", self.sizes["orders"] // 2)
        yield from documents.bc_invoices(self)
        yield from documents.crm_documents(self, "invoices", self.sizes["invoices"] // 2)
        yield from documents.cases(self)
        yield from activities.resources(self)
        yield from documents.projects(self)
        yield from self._customers()

    def _users(self) -> Iterator[Record]:
        rng, fake = self.rng("users"), self.pools
        codes: set[str] = set()
        for _ in range(self.sizes["users"]):
            first, last = fake.first_name(rng), fake.last_name(rng)
            email = f"{first}.{last}@contoso.example".lower()
            code = (first[0] + last[0]).upper()
            suffix = 1
            while code in codes:
                suffix += 1
                code = f"{first[0]}{last[0]}{suffix}".upper()
            codes.add(code)
            user_id = self.new_id(rng)
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
                    "title": fake.job(rng)[:128],
                    "isdisabled": False,
                    **self.crm_times(rng),
                },
            )
            yield (
                "bc",
                "salespeople",
                {
                    "_id": self.new_id(rng),
                    "code": code,
                    "displayName": f"{first} {last}"[:50],
                    "email": email,
                    "jobTitle": "Sales Representative",
                    "phoneNo": fake.phone(rng)[:30],
                    "commisionPercent": float(rng.choice([0, 2.5, 5, 7.5])),
                    "privacyBlocked": False,
                    "blocked": False,
                    **self.bc_time(rng),
                },
            )

    def _items(self) -> Iterator[Record]:
        rng, fake = self.rng("items"), self.pools
        for _ in range(self.sizes["items"]):
            number = self.numbers.bc("items")
            service = rng.random() < 0.25
            name = (f"{fake.phrase(rng)} service" if service else fake.phrase(rng)).title()[:100]
            price = round(rng.uniform(5, 2000), 2)
            tax = "TAXABLE" if rng.random() < 0.8 else "NONTAXABLE"
            unit = "HOUR" if service else "PCS"
            product = Product(self.new_id(rng), self.new_id(rng), number, name, price, tax)
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
                    **self.bc_time(rng),
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
                    **self.crm_times(rng),
                },
            )

    def _parties(self) -> Iterator[Record]:
        rng, fake = self.rng("parties"), self.pools
        sizes = self.sizes
        matched, n_accounts, n_customers = sizes["matched"], sizes["accounts"], sizes["customers"]
        name_only = min(n_accounts, n_customers) - matched
        name_only = max(0, min(name_only, (n_accounts - matched) // 6))
        shared_names = [fake.company(rng) for _ in range(matched + name_only)]
        for index in range(n_customers):
            name = shared_names[index] if index < len(shared_names) else fake.company(rng)
            customer = Customer(
                id=self.new_id(rng),
                number=self.numbers.bc("customers"),
                name=name[:100],
                salesperson=rng.choice(self.users)[1] if self.users else "",
                city=fake.city(rng)[:30],
                email=f"info@{fake.domain(rng)}{index}.example",
            )
            self.customers.append(customer)
        for index in range(n_accounts):
            account_id = self.new_id(rng)
            self.accounts.append(account_id)
            if index < matched:
                customer = self.customers[index]
                name, number, email = customer.name, customer.number, customer.email
                self.account_of_customer[customer.id] = account_id
            elif index < matched + name_only:
                name, number = shared_names[index], None
                email = f"contact@{fake.domain(rng)}{index}.example"
            else:
                name, number = fake.company(rng), None
                email = f"hello@{fake.domain(rng)}{index}.example"
            yield (
                "dataverse",
                "accounts",
                {
                    "_id": account_id,
                    "name": name[:160],
                    "accountnumber": number,
                    "emailaddress1": email,
                    "telephone1": fake.phone(rng)[:50],
                    "websiteurl": f"https://www.{email.split('@')[1]}",
                    "address1_city": fake.city(rng),
                    "address1_country": "United States",
                    "revenue": float(rng.randrange(10, 5000) * 1000),
                    "numberofemployees": rng.randrange(1, 5000),
                    "customertypecode": 3,
                    "_ownerid_value": self.owner(rng),
                    "_transactioncurrencyid_value": reference.USD_ID,
                    "statecode": 0,
                    "statuscode": 1,
                    **self.crm_times(rng),
                },
            )

    def _customers(self) -> Iterator[Record]:
        """Customers last: their financial figures sum up the invoices and payments generated
        before them (see `bc/finance.py`)."""
        rng, fake = self.rng("customers"), self.pools
        for customer in self.customers:
            doc: dict[str, Any] = {
                "_id": customer.id,
                "number": customer.number,
                "displayName": customer.name,
                "type": "Company",
                "addressLine1": fake.street_address(rng)[:100],
                "city": customer.city,
                "state": fake.state(rng),
                "country": "US",
                "postalCode": fake.postcode(rng),
                "phoneNumber": fake.phone(rng)[:30],
                "email": customer.email,
                "website": f"www.{customer.email.split('@')[1]}",
                "salespersonCode": customer.salesperson,
                "creditLimit": float(rng.choice([0, 5000, 10000, 50000])),
                "taxLiable": True,
                "currencyCode": "EUR" if rng.random() < 0.1 else "",
                "blocked": " ",
                **self.bc_time(rng),
            }
            figures = self.figures.pop(customer.id, None)
            if figures is not None:
                doc[FIGURES] = figures
            yield "bc", "customers", doc

    def _contacts(self) -> Iterator[Record]:
        rng, fake = self.rng("contacts"), self.pools
        for index in range(self.sizes["contacts"]):
            first, last = fake.first_name(rng), fake.last_name(rng)
            contact_id = self.new_id(rng)
            self.crm_contacts.append(contact_id)
            record: dict[str, Any] = {
                "_id": contact_id,
                "firstname": first,
                "lastname": last,
                "fullname": f"{first} {last}",
                "emailaddress1": f"{first}.{last}{index}@example.net".lower(),
                "telephone1": fake.phone(rng)[:50],
                "jobtitle": fake.job(rng)[:100],
                "_ownerid_value": self.owner(rng),
                "statecode": 0,
                "statuscode": 1,
                **self.crm_times(rng),
            }
            if self.accounts:
                record["_parentcustomerid_value"] = rng.choice(self.accounts)
                record[LOOKUP_TARGETS] = {"_parentcustomerid_value": "accounts"}
            yield "dataverse", "contacts", record
        for index in range(self.sizes["contacts"] // 2):
            first, last = fake.first_name(rng), fake.last_name(rng)
            customer = rng.choice(self.customers) if self.customers else None
            yield (
                "bc",
                "contacts",
                {
                    "_id": self.new_id(rng),
                    "number": self.numbers.bc("contacts"),
                    "type": "Person",
                    "displayName": f"{first} {last}",
                    "companyNumber": customer.number if customer else None,
                    "companyName": customer.name if customer else None,
                    "contactBusinessRelation": "Customer" if customer else "None",
                    "email": f"{first}.{last}{index}@example.org".lower(),
                    "phoneNumber": fake.phone(rng)[:30],
                    "privacyBlocked": False,
                    **self.bc_time(rng),
                },
            )

    def customer_lookup(self, rng: random.Random) -> dict[str, Any]:
        account = rng.choice(self.accounts)
        return {"_customerid_value": account, LOOKUP_TARGETS: {"_customerid_value": "accounts"}}


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
        "resources": sizes["resources"],
        "projectLedgerEntries": sizes["projects"] * activities.LEDGER_LINES_PER_PROJECT,
    }
    crm = {
        "quotes": sizes["quotes"],
        "salesorders": sizes["orders"] // 2,
        "invoices": sizes["invoices"] // 2,
        "incidents": sizes["cases"],
    }
    return bc, crm
