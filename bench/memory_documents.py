"""The documents behind the "account 360" page, answered from memory, for measuring the GraphQL
layer alone: the statistics page's world (`bench.memory_world`) whose connectors also declare
their documents as Dataverse and Business Central do, with per account three CRM quotes of two
lines (one of them coupled to an ERP quote), an ERP quote of its own, unpaid and paid invoices
on both sides and a project on each side.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from adapters.base import Page, QueryResult, Side
from adapters.business_central_documents import BUSINESS_CENTRAL_DOCUMENTS
from adapters.dataverse_documents import DATAVERSE_DOCUMENTS
from adapters.documents import Documents
from adapters.filters import Filter, In
from adapters.memory import MemoryConnector
from bench.memory_world import MemoryWorld, build_world
from gateway.couplings.views import CUSTOMER_MAPPING
from gateway.settings import Settings
from gateway.store.couplings import CoupledRecord, Coupling


class DocumentMemoryConnector(MemoryConnector):
    """A memory connector that declares documents the way one real system does."""

    def __init__(self, system: str, side: Side, documents: Documents) -> None:
        super().__init__(system, side)
        self._documents = documents

    def documents(self) -> Documents:
        return self._documents

    async def query(
        self,
        entity: str,
        filter: Filter | None = None,
        page: Page | None = None,
        *,
        fields: Sequence[str] | None = None,
        order_by: Sequence[str] | None = None,
        count: bool = False,
    ) -> QueryResult:
        """`field in (...)` by a set lookup: the memory connector compares every row with
        every value, which would make the baseline's backends, not the GraphQL layer, the
        cost being measured."""
        if not isinstance(filter, In):
            return await super().query(
                entity, filter, page, fields=fields, order_by=order_by, count=count
            )
        wanted = {str(value).lower() for value in filter.values}
        every = await super().query(entity, None, Page(size=1_000_000), order_by=order_by)
        records = [
            record
            for record in every.records
            if str(record.values.get(filter.field)).lower() in wanted
        ]
        return QueryResult(records=records, total_count=len(records) if count else None)


def _id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def build_documents_world(settings: Settings, rows: int, *, seed: int = 7) -> MemoryWorld:
    crm = DocumentMemoryConnector("dataverse", Side.CRM, DATAVERSE_DOCUMENTS)
    erp = DocumentMemoryConnector("business_central", Side.ERP, BUSINESS_CENTRAL_DOCUMENTS)
    world = build_world(settings, rows, seed=seed, crm=crm, erp=erp)
    rng = random.Random(seed + 1)
    products = [
        {"id": _id(rng), "productnumber": f"P{n:04d}", "name": f"Product {n}"} for n in range(20)
    ]
    crm.seed("product", products)
    pairs = world.couplings.of_mapping(CUSTOMER_MAPPING)
    start = datetime(2026, 1, 1, tzinfo=UTC)
    tables: dict[str, list[dict[str, Any]]] = {}
    quote_couplings: list[Coupling] = []

    def add(table: str, values: dict[str, Any]) -> dict[str, Any]:
        tables.setdefault(table, []).append(values)
        return values

    for index, pair in enumerate(pairs):
        account, customer = pair.crm.id, pair.erp.id
        for n in range(3):
            day = start + timedelta(days=index + 10 * n)
            quote = add(
                "crm quote",
                {
                    "id": _id(rng),
                    "_customerid_value": account,
                    "quotenumber": f"QUO-{index:04d}-{n}",
                    "name": f"Quote {n} of {index}",
                    "createdon": day.isoformat().replace("+00:00", "Z"),
                    "statecode": n % 2,
                    "statuscode": 1 if n % 2 == 0 else 2,
                    "totalamount": 1000.0 * (n + 1),
                },
            )
            for line in range(2):
                product = rng.choice(products)
                add(
                    "crm quote line",
                    {
                        "_quoteid_value": quote["id"],
                        "lineitemnumber": line + 1,
                        "_productid_value": product["id"],
                        "quantity": float(line + 1),
                        "priceperunit": 500.0,
                        "extendedamount": 500.0 * (line + 1),
                    },
                )
            if n == 0:  # submitted to the ERP: coupled to its ERP quote
                erp_quote = _erp_quote(add, rng, customer, f"SQ{index:04d}", day)
                quote_couplings.append(
                    Coupling(
                        id=f"{len(pairs) + len(quote_couplings):024x}",
                        mapping="SALESQUOTE",
                        erp=CoupledRecord("business_central", "quote", erp_quote["id"]),
                        crm=CoupledRecord("dataverse", "quote", quote["id"]),
                    )
                )
        _erp_quote(add, rng, customer, f"SQ{index:04d}-E", start + timedelta(days=index + 5))
        _invoices(add, rng, (account, customer), index, start)
        add(
            "erp project",
            {
                "id": _id(rng),
                "customerId": customer,
                "number": f"PR{index:04d}",
                "displayName": f"Rollout {index}",
                "status": "Open",
            },
        )
        add(
            "crm project",
            {
                "id": _id(rng),
                "_msdyn_customer_value": account,
                "msdyn_subject": f"Pilot {index}",
                "createdon": start.isoformat().replace("+00:00", "Z"),
                "statecode": 0,
            },
        )
    for table, connector, entity in (
        ("crm quote", crm, "quote"),
        ("crm quote line", crm, "quote_line"),
        ("crm invoice", crm, "invoice"),
        ("crm project", crm, "project"),
        ("erp quote", erp, "quote"),
        ("erp quote line", erp, "quote_line"),
        ("erp invoice", erp, "invoice"),
        ("erp project", erp, "project"),
    ):
        connector.seed(entity, tables.get(table, []))
    world.couplings.add(quote_couplings)
    return world


def _erp_quote(
    add: Any, rng: random.Random, customer: str, number: str, day: datetime
) -> dict[str, Any]:
    quote: dict[str, Any] = add(
        "erp quote",
        {
            "id": _id(rng),
            "customerId": customer,
            "number": number,
            "externalDocumentNumber": f"Quote {number}",
            "documentDate": day.date().isoformat(),
            "status": "Draft",
            "approvalStatus": "Open",
            "totalAmountExcludingTax": 1000.0,
            "totalAmountIncludingTax": 1100.0,
        },
    )
    for line in range(2):
        add(
            "erp quote line",
            {
                "documentId": quote["id"],
                "sequence": 10000 * (line + 1),
                "lineType": "Item",
                "itemId": _id(rng),
                "lineObjectNumber": f"P{line:04d}",
                "quantity": float(line + 1),
                "unitPrice": 500.0,
                "amountExcludingTax": 500.0 * (line + 1),
            },
        )
    return quote


def _invoices(
    add: Any, rng: random.Random, party: tuple[str, str], index: int, start: datetime
) -> None:
    account, customer = party
    for n, remaining in enumerate((1210.0, 0.0)):  # one unpaid, one paid
        day = start + timedelta(days=index + n)
        add(
            "erp invoice",
            {
                "id": _id(rng),
                "customerId": customer,
                "number": f"PS-INV{index:04d}{n}",
                "invoiceDate": day.date().isoformat(),
                "dueDate": (day + timedelta(days=30)).date().isoformat(),
                "status": "Open" if remaining else "Paid",
                "totalAmountIncludingTax": 1210.0,
                "remainingAmount": remaining,
            },
        )
    add(
        "crm invoice",
        {
            "id": _id(rng),
            "_customerid_value": account,
            "invoicenumber": f"INV-{index:04d}",
            "createdon": start.isoformat().replace("+00:00", "Z"),
            "duedate": (start + timedelta(days=30)).isoformat().replace("+00:00", "Z"),
            "statecode": 0,
            "statuscode": 4,
            "totalamount": 800.0,
        },
    )
