"""Dynamics 365 Business Central through its API v2.0, scoped to one company.

- Every resource is read under `<bc_url>/api/v2.0/companies(<id>)/`; without a configured
  company the first one `GET companies` returns is used (asked once, on first use).
- `changes` compares `lastModifiedDateTime` (the token carries the watermark). The API has no
  feed of deletions, so deleted records are never reported by it; webhooks
  (`business_central_webhooks`, with a public callback URL) report them.
- Updates and deletes require `If-Match` (Business Central refuses them without one). By
  default the caller must pass the ETag it read; with `read_etag_when_missing=True` the
  connector reads the record first, which gives up the protection against lost updates.
- `write_many` sends JSON `$batch` requests (at most 100 operations each); `atomic` adds
  `Isolation: snapshot` so the whole batch is one transaction.
- `transition` calls bound actions (`salesQuotes(<id>)/Microsoft.NAV.makeOrder`, ...).
- `customer_statistics` reads `customers?$filter=...&$expand=customerFinancialDetail`: one
  request per chunk of ids.
- `documents` declares its sales documents (`adapters.business_central_documents`);
  `item_availability` reads items' inventory and their open sales order lines.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

import httpx

from adapters.base import EntitySpec, Record, Side
from adapters.business_central_documents import BUSINESS_CENTRAL_DOCUMENTS, item_availability
from adapters.business_central_entities import ACTIONS, RESOURCES
from adapters.business_central_webhooks import BusinessCentralWebhooks, support
from adapters.capabilities import CustomerFields
from adapters.concurrency import run_concurrently
from adapters.documents import Documents, ItemAvailability
from adapters.errors import FatalError, NotFoundError, ValidationError
from adapters.odata.batch import BatchRequest, BatchResponse, build_json_batch, parse_json_batch
from adapters.odata.client import ODataClient
from adapters.odata.connector import ConnectorLimits, ODataConnector, entity_id
from adapters.odata.paging import iter_pages
from adapters.odata.query import chunk_ids, is_guid, with_query
from adapters.statistics import ErpCustomerStatistics
from adapters.systems import BUSINESS_CENTRAL

API_PATH = "api/v2.0/"
MAX_BATCH = 100  # Business Central's limit of operations per $batch


class BusinessCentralConnector(BusinessCentralWebhooks, ODataConnector):
    system = BUSINESS_CENTRAL
    side = Side.ERP
    label = "Business Central"
    customer_fields = CustomerFields(
        number="number",
        name="displayName",
        email="email",
        phone="phoneNumber",
        website="website",
        city="city",
        salesperson_code="salespersonCode",
        search_across_fields=False,
    )

    def __init__(
        self,
        client: ODataClient,
        *,
        company_id: str | None = None,
        read_etag_when_missing: bool = False,
        resources: Mapping[str, EntitySpec] | None = None,
        limits: ConnectorLimits | None = None,
        owns_http: bool = False,
    ) -> None:
        limits = limits or ConnectorLimits(batch_size=MAX_BATCH)
        if limits.batch_size > MAX_BATCH:
            raise ValueError(f"Business Central takes at most {MAX_BATCH} operations per batch")
        super().__init__(client, resources or RESOURCES, limits=limits, owns_http=owns_http)
        if company_id is not None and not is_guid(company_id):
            raise ValueError("company_id must be the company's id (a GUID)")
        self._company = company_id
        self._company_lock = asyncio.Lock()
        self.notifications = support({n: s.native_name for n, s in self._specs.items()})
        self.read_etag_when_missing = read_etag_when_missing

    async def company_id(self) -> str:
        if self._company is None:
            async with self._company_lock:
                if self._company is None:
                    data = await self.client.get_json("companies", doing="list companies")
                    companies = data.get("value") or []
                    if not companies or not is_guid(str(companies[0].get("id", ""))):
                        raise FatalError(
                            "list companies: the environment has no company", system=self.system
                        )
                    self._company = str(companies[0]["id"])
        return self._company

    async def local_currency_code(self) -> str | None:
        """The company's local currency (LCY), which has no currency record."""
        company = await self.company_id()
        data = await self.client.get_json(
            f"companies({company})/companyInformation?$select=currencyCode",
            doing="read the company information",
        )
        found = data.get("value") or []
        code = found[0].get("currencyCode") if found else None
        return str(code) if code else None

    # ---- hooks ----------------------------------------------------------------------------------

    async def collection_url(self, spec: EntitySpec) -> str:
        return self.client.url(f"companies({await self.company_id()})/{spec.native_name}")

    def is_guid_field(self, spec: EntitySpec, name: str) -> bool:
        return name == spec.key_field or name.endswith("Id")

    async def if_match(self, spec: EntitySpec, id: str, etag: str | None) -> str | None:
        if etag:
            return etag
        if not self.read_etag_when_missing:
            raise ValidationError(
                f"{spec.name} {id}: etag is required (Business Central changes a record only "
                "with If-Match); pass the etag read with the record",
                system=self.system,
            )
        return (await self.get(spec.name, id)).etag or "*"

    def batch_url(self, url: str) -> str:
        return url.removeprefix(self.client.base_url)

    async def send_batch(
        self, requests: Sequence[BatchRequest], *, atomic: bool
    ) -> list[BatchResponse | None]:
        headers = {"Isolation": "snapshot"} if atomic else {"Prefer": "odata.continue-on-error"}
        response = await self.client.send(
            "POST",
            "$batch",
            doing=f"write {len(requests)} records in a batch",
            json=build_json_batch(requests),
            headers=headers,
            replay_safe=all(r.method != "POST" for r in requests),
            keep_error=keeps_batch_answer,
        )
        return parse_json_batch(self.client.json(response, "read the batch answer"), len(requests))

    # ---- statistics -----------------------------------------------------------------------------

    async def customer_statistics(
        self, customer_ids: Sequence[str]
    ) -> dict[str, ErpCustomerStatistics]:
        ids = list(dict.fromkeys(i for i in customer_ids if is_guid(i)))
        if not ids:
            return {}
        base = await self.collection_url(self.spec("customer"))
        prefix = with_query(base, [("$expand", "customerFinancialDetail")])
        chunks = chunk_ids(
            ids,
            clause=lambda item: f"id eq {item}",
            budget=max(200, self.limits.max_url_length - len(prefix) - len("&$filter=()")),
            max_ids=self.limits.max_ids_per_request,
        )
        found: dict[str, ErpCustomerStatistics] = {}

        async def read(chunk: list[str]) -> None:
            url = with_query(
                prefix, [("$filter", "(" + " or ".join(f"id eq {i}" for i in chunk) + ")")]
            )
            async for page in iter_pages(
                self.client,
                url,
                doing=f"read statistics of {len(chunk)} customers",
                page_size=len(chunk),
            ):
                for customer in page.values:
                    found[str(customer.get("id", "")).lower()] = figures(customer)

        await run_concurrently(read(chunk) for chunk in chunks)
        return {i: found[i.lower()] for i in ids if i.lower() in found}

    # ---- documents ------------------------------------------------------------------------------

    def documents(self) -> Documents:
        return BUSINESS_CENTRAL_DOCUMENTS

    async def item_availability(self, item_ids: Sequence[str]) -> dict[str, ItemAvailability]:
        ids = [i for i in item_ids if is_guid(i)]
        # An `itemId eq <guid> or ` clause takes ~75 encoded characters; the rest of the URL ~700.
        per_request = max(
            1, min(self.limits.max_ids_per_request, (self.limits.max_url_length - 700) // 75)
        )
        return await item_availability(self, ids, ids_per_request=per_request)

    # ---- lifecycle ------------------------------------------------------------------------------

    async def transition(
        self, entity: str, id: str, action: str, params: Mapping[str, Any] | None = None
    ) -> Record | None:
        spec = self.writable(entity)
        self.check_id(spec, id)
        name = action.removeprefix("Microsoft.NAV.")
        actions = ACTIONS.get(spec.name, {})
        if name not in actions:
            known = ", ".join(sorted(actions)) or "none"
            raise ValidationError(
                f"{action!r} is not an action of {spec.name} (known: {known})", system=self.system
            )
        url = f"{await self.collection_url(spec)}({id})/Microsoft.NAV.{name}"
        response = await self.client.send(
            "POST",
            url,
            doing=f"{name} {spec.name} {id}",
            json=dict(params) if params else None,
            replay_safe=False,
        )
        created, result = (
            actions[name],
            entity_id(response.headers.get("Location") or response.headers.get("OData-EntityId")),
        )
        if created and result and result.lower() != id.lower():
            return await self.get(created, result)
        if response.content.strip():
            data = self.client.json(response, f"{name} {spec.name} {id}")
            if "id" in data:
                return self.record(
                    self.spec(created) if created and data["id"] != id else spec, data
                )
        try:
            return await self.get(spec.name, id)
        except NotFoundError:  # e.g. makeOrder turns the quote into the order
            return None


def keeps_batch_answer(response: httpx.Response) -> bool:
    return (
        response.status_code < 500
        and response.status_code != 429
        and b'"responses"' in response.content
    )


def figures(customer: Mapping[str, Any]) -> ErpCustomerStatistics:
    detail = customer.get("customerFinancialDetail")
    if isinstance(detail, list):
        detail = detail[0] if detail else None
    detail = detail if isinstance(detail, Mapping) else {}
    return ErpCustomerStatistics(
        balance=float(detail.get("balance") or customer.get("balanceDue") or 0),
        total_sales=float(detail.get("totalSalesExcludingTax") or 0),
        overdue_amount=float(detail.get("overdueAmount") or 0),
        currency_code=customer.get("currencyCode") or None,
    )
