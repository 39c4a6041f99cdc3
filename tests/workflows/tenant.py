"""A tenant shaped like a real one: the sandbox's demo data (`seed=42, accounts=30`: owners,
currencies, a price list, quotes and orders with discounted lines), its matching customers and
accounts coupled by number, its items and products coupled by number, and the CRM's base
currency coupled to the ERP's local currency.

The CURRENCY mapping's runs couple the local currency themselves (tests/sync/test_demo_data.py
shows it); these tests couple it directly, as they couple the rest, so that they need no run.
"""

from __future__ import annotations

from dataclasses import dataclass

from adapters.base import Page, Record
from adapters.filters import eq
from gateway.services import Services
from gateway.store.couplings import CoupledRecord
from tests.support_sandbox import SandboxHandle
from tests.workflows.support import Connected

LOCAL_CURRENCY = "LCY"  # the ERP side of the base currency's coupling (no ERP record)


@dataclass
class Tenant(Connected):
    base_currency: Record

    async def draft_quotes(self) -> list[Record]:
        """The seeded CRM quotes in Draft (In Progress) whose account is coupled, by number."""
        page = await self.crm.query("quote", eq("statuscode", 1), Page(size=500))
        accounts = await self.services.couplings.ids_coupled(
            "CUSTOMER", "crm", [str(q.values["_customerid_value"]) for q in page.records]
        )
        found = [q for q in page.records if q.values.get("_customerid_value") in accounts]
        return sorted(found, key=lambda q: str(q.values["quotenumber"]))

    async def quote_lines(self, quote_id: str) -> list[Record]:
        page = await self.crm.query("quote_line", eq("_quoteid_value", quote_id), Page(size=100))
        return sorted(page.records, key=lambda line: line.values.get("lineitemnumber") or 0)


async def seeded_tenant(services: Services, sandbox: SandboxHandle) -> Tenant:
    await sandbox.seed(seed=42, accounts=30)
    erp, crm = services.erp, services.crm
    assert erp is not None
    assert crm is not None
    base = await couple_base_currency(services)
    await _couple_by_number(
        services, "CUSTOMER", ("customer", "number"), ("account", "accountnumber")
    )
    await _couple_by_number(
        services, "ITEM-PRODUCT", ("item", "number"), ("product", "productnumber")
    )
    return Tenant(services, base)


async def couple_base_currency(services: Services) -> Record:
    """The CRM's base currency (US Dollar in the demo data) coupled to the ERP's local currency,
    whose code on a document is empty."""
    erp, crm = services.erp, services.crm
    assert erp is not None
    assert crm is not None
    [usd] = (await crm.query("currency", eq("isocurrencycode", "USD"))).records
    await services.couplings.couple(
        "CURRENCY",
        CoupledRecord(erp.system, "currency", LOCAL_CURRENCY, ""),
        CoupledRecord(crm.system, "currency", usd.id, "USD"),
    )
    return usd


async def _couple_by_number(
    services: Services, mapping: str, erp_side: tuple[str, str], crm_side: tuple[str, str]
) -> None:
    erp, crm = services.erp, services.crm
    assert erp is not None
    assert crm is not None
    (erp_entity, erp_field), (crm_entity, crm_field) = erp_side, crm_side
    erp_records = (await erp.query(erp_entity, page=Page(size=1000))).records
    crm_records = (await crm.query(crm_entity, page=Page(size=1000))).records
    by_number = {str(r.values.get(crm_field)): r for r in crm_records if r.values.get(crm_field)}
    for record in erp_records:
        number = str(record.values.get(erp_field))
        match = by_number.get(number)
        if match is not None:
            await services.couplings.couple(
                mapping,
                CoupledRecord(record.system, erp_entity, record.id, number),
                CoupledRecord(match.system, crm_entity, match.id, number),
            )
