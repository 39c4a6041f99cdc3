"""The data and gateway state the synchronization scenarios start from.

The sandbox holds `customers` Business Central customers (with their salespeople and users)
and no accounts. The gateway's store has the default mappings, with CUSTOMER set to TO_CRM (the
scenario measures customers → accounts; the CRM side is then not read back), and SALESPEOPLE
and CURRENCY already synchronized, so that every customer's references are coupled.
"""

from __future__ import annotations

from typing import Any

from bench.environment import Environment
from bench.raw_api import RawApi
from gateway.mappings.model import MappingDirection
from gateway.mappings.store import COLLECTION as MAPPINGS
from gateway.services import open_services
from gateway.store.sync_runs import RunStatus
from gateway.sync.full import run_full_synchronization, start_full_synchronization

CUSTOMER = "CUSTOMER"
REFERENCES = ["SALESPEOPLE", "CURRENCY"]
SEED = 11


async def seed_customers(environment: Environment, customers: int) -> None:
    await environment.sandbox.reset()
    await environment.sandbox.seed(seed=SEED, accounts=0, customers=customers, users=10)


async def prepare_gateway(environment: Environment, values: dict[str, str]) -> None:
    async with open_services(environment.settings(values), wait_for_store=True) as services:
        mapping = await services.mappings.get(CUSTOMER)
        assert mapping is not None
        changed = mapping.model_copy(update={"direction": MappingDirection.TO_CRM})
        await services.db[MAPPINGS].replace_one({"name": CUSTOMER}, changed.to_doc())
        run = await start_full_synchronization(services, REFERENCES, actor="bench-setup")
        assert run.id is not None
        done = await run_full_synchronization(services, run.id)
        if done.status is not RunStatus.SUCCEEDED:
            raise RuntimeError(f"synchronizing {REFERENCES} failed: {done.message}")


async def change_customers(environment: Environment, count: int) -> list[str]:
    """Change the phone number of `count` customers through the ERP's API; their ids."""
    erp = await RawApi.business_central(environment.sandbox)
    changed: list[str] = []
    try:
        response = await erp.client.get(
            f"{erp.base}customers?$top={count}&$select=id,phoneNumber&$orderby=number"
        )
        response.raise_for_status()
        rows: list[dict[str, Any]] = response.json()["value"]
        for index, row in enumerate(rows):
            patched = await erp.client.patch(
                f"{erp.base}customers({row['id']})",
                json={"phoneNumber": f"+1 206 555 {index:04d}"},
                headers={"If-Match": row["@odata.etag"]},
            )
            patched.raise_for_status()
            changed.append(row["id"])
    finally:
        await erp.aclose()
    return changed
