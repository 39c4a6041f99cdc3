"""Helpers for synchronization tests against the sandbox: GraphQL calls with variables,
waiting for a run with a deadline, and reading or changing records over the systems' APIs."""

from __future__ import annotations

from typing import Any

import httpx

from tests.support import eventually
from tests.support_sandbox import BC_SCOPE, DATAVERSE_SCOPE, SandboxHandle

# Demo data with customers, accounts, users and salespeople only.
PARTIES_ONLY = {
    "contacts": 0,
    "opportunities": 0,
    "quotes": 0,
    "orders": 0,
    "invoices": 0,
    "payments": 0,
    "cases": 0,
    "projects": 0,
    "items": 5,
}

RUN_FIELDS = """
    id status mapping mappings trigger direction progress message
    inserted modified deleted unchanged skipped failed coupled uncoupled
    checkpoint { stage stages mapping side pages }
"""


async def gql(
    client: httpx.AsyncClient, query: str, variables: dict[str, Any] | None = None
) -> dict[str, Any]:
    response = await client.post("/graphql", json={"query": query, "variables": variables or {}})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body.get("errors") is None, body["errors"]
    data: dict[str, Any] = body["data"]
    return data


async def wait_for_run(
    client: httpx.AsyncClient, run_id: str, *, timeout: float = 600.0
) -> dict[str, Any]:
    """Poll `syncRun(id)` until the run has finished, or fail the test."""
    query = f"query ($id: ID!) {{ syncRun(id: $id) {{ {RUN_FIELDS} }} }}"

    async def finished() -> dict[str, Any] | None:
        run: dict[str, Any] = (await gql(client, query, {"id": run_id}))["syncRun"]
        return run if run["status"] in ("SUCCEEDED", "FAILED", "CANCELLED") else None

    return await eventually(finished, timeout=timeout, what=f"run {run_id} finishing", interval=0.2)


async def full_synchronization(client: httpx.AsyncClient, mappings: list[str]) -> dict[str, Any]:
    started = await gql(
        client,
        f"""mutation ($input: RunFullSynchronizationInput!) {{
            runFullSynchronization(input: $input) {{
                syncRun {{ {RUN_FIELDS} }} userErrors {{ code message field }}
            }}
        }}""",
        {"input": {"mappings": mappings}},
    )
    payload = started["runFullSynchronization"]
    assert payload["userErrors"] == [], payload
    assert payload["syncRun"]["status"] in ("QUEUED", "RUNNING", "SUCCEEDED")
    return await wait_for_run(client, payload["syncRun"]["id"])


class Systems:
    """The sandbox's Dataverse and Business Central APIs, as a person editing records."""

    def __init__(self, sandbox: SandboxHandle) -> None:
        self.sandbox = sandbox

    async def _client(self, scope: str, base: str) -> httpx.AsyncClient:
        token = await self.sandbox.token(scope)
        return httpx.AsyncClient(
            base_url=base, headers={"Authorization": f"Bearer {token}"}, timeout=60
        )

    async def crm(self, method: str, path: str, body: Any = None) -> Any:
        async with await self._client(DATAVERSE_SCOPE, self.sandbox.dataverse_api) as client:
            headers = {"If-Match": "*"} if method in ("PATCH", "DELETE") else {}
            response = await client.request(method, path, json=body, headers=headers)
        response.raise_for_status()
        return response.json() if response.content else None

    async def erp(self, method: str, path: str, body: Any = None) -> Any:
        async with await self._client(BC_SCOPE, self.sandbox.bc_company_api) as client:
            headers: dict[str, str] = {}
            if method in ("PATCH", "DELETE"):
                current = await client.get(path)
                current.raise_for_status()
                headers["If-Match"] = current.json()["@odata.etag"]
            response = await client.request(method, path, json=body, headers=headers)
        response.raise_for_status()
        return response.json() if response.content else None

    async def all_crm(self, entity_set: str, select: str) -> list[dict[str, Any]]:
        return await self._all(DATAVERSE_SCOPE, self.sandbox.dataverse_api, entity_set, select)

    async def all_erp(self, entity_set: str) -> list[dict[str, Any]]:
        return await self._all(BC_SCOPE, self.sandbox.bc_company_api, entity_set, None)

    async def _all(
        self, scope: str, base: str, entity_set: str, select: str | None
    ) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        async with await self._client(scope, base) as client:
            url: str | None = entity_set + (f"?$select={select}" if select else "")
            while url:
                response = await client.get(url, headers={"Prefer": "odata.maxpagesize=5000"})
                response.raise_for_status()
                body = response.json()
                rows.extend(body["value"])
                url = body.get("@odata.nextLink")
        return rows


def writes(stats: dict[str, Any]) -> int:
    """Requests that could change something (anything but GET) to either system."""
    return sum(
        count
        for api in ("bc", "dataverse")
        for methods in stats.get("apis", {}).get(api, {}).get("entity_sets", {}).values()
        for method, count in methods.items()
        if method != "GET"
    )
