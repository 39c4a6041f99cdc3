"""The sandbox as the benchmarks drive it: its URLs, its control plane (reset, seed, request
statistics) and tokens for raw calls to its APIs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

DATAVERSE_SCOPE = "https://sandbox.crm.dynamics.com/.default"
BC_SCOPE = "https://api.businesscentral.dynamics.com/.default"

# Seed sizes that leave every kind of record out; scenarios add what they need.
NOTHING = {
    "accounts": 0,
    "customers": 0,
    "matched": 0,
    "contacts": 0,
    "opportunities": 0,
    "quotes": 0,
    "orders": 0,
    "invoices": 0,
    "payments": 0,
    "cases": 0,
    "projects": 0,
    "items": 5,
    "users": 10,
}


@dataclass(frozen=True)
class SandboxClient:
    base_url: str
    client_id: str
    client_secret: str
    company_id: str

    @classmethod
    def at(cls, base_url: str, client_id: str, client_secret: str) -> SandboxClient:
        info = httpx.get(f"{base_url}/_sandbox/", timeout=30).json()
        return cls(base_url.rstrip("/"), client_id, client_secret, str(info["company_id"]))

    @property
    def token_url(self) -> str:
        return f"{self.base_url}/oauth2/token"

    @property
    def dataverse_url(self) -> str:
        return f"{self.base_url}/dataverse/"

    @property
    def dataverse_api(self) -> str:
        return f"{self.dataverse_url}api/data/v9.2/"

    @property
    def bc_url(self) -> str:
        return f"{self.base_url}/bc/"

    @property
    def bc_company_api(self) -> str:
        return f"{self.bc_url}api/v2.0/companies({self.company_id})/"

    async def _control(self, method: str, path: str, body: Any = None) -> Any:
        async with httpx.AsyncClient(timeout=1800) as client:
            response = await client.request(method, f"{self.base_url}/_sandbox/{path}", json=body)
        response.raise_for_status()
        return response.json()

    async def reset(self) -> None:
        await self._control("POST", "reset")

    async def seed(self, **sizes: int) -> dict[str, Any]:
        """Demo data (see the sandbox README); sizes not given follow from `accounts`."""
        result: dict[str, Any] = await self._control("POST", "seed", {**NOTHING, **sizes})
        return result

    async def stats(self) -> dict[str, Any]:
        result: dict[str, Any] = await self._control("GET", "stats")
        return result

    async def reset_stats(self) -> None:
        await self._control("POST", "stats/reset")

    async def set_notifications(self, **settings: Any) -> dict[str, Any]:
        """The sandbox's notification switches (`delay_ms`, ...; see the sandbox README)."""
        result: dict[str, Any] = await self._control("PUT", "notifications", settings)
        return result

    async def notifications(self) -> dict[str, Any]:
        result: dict[str, Any] = await self._control("GET", "notifications")
        return result

    async def set_faults(self, **settings: Any) -> None:
        """`set_faults(latency_ms=100)`: see the sandbox README's control plane."""
        await self._control("PUT", "faults", settings)

    async def token(self, scope: str) -> str:
        async with httpx.AsyncClient(timeout=30) as client:
            response = await client.post(
                self.token_url,
                data={
                    "grant_type": "client_credentials",
                    "client_id": self.client_id,
                    "client_secret": self.client_secret,
                    "scope": scope,
                },
            )
        response.raise_for_status()
        return str(response.json()["access_token"])


def api_requests(stats: dict[str, Any], *apis: str) -> int:
    """Requests counted for the given APIs ("dataverse", "bc", "token"); all when none."""
    counted = stats.get("apis", {})
    return sum(
        int(entry.get("requests", 0)) for name, entry in counted.items() if not apis or name in apis
    )


def write_requests(stats: dict[str, Any], *apis: str) -> int:
    """Requests that could change something (any method but GET) to the given APIs."""
    total = 0
    for name, entry in stats.get("apis", {}).items():
        if name == "token" or (apis and name not in apis):
            continue
        for methods in entry.get("entity_sets", {}).values():
            total += sum(count for method, count in methods.items() if method != "GET")
    return total


def by_entity_set(stats: dict[str, Any], api: str) -> dict[str, dict[str, int]]:
    sets: dict[str, dict[str, int]] = stats.get("apis", {}).get(api, {}).get("entity_sets", {})
    return sets
