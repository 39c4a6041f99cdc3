"""The running sandbox as tests see it: its URLs, credentials and control-plane helpers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

DATAVERSE_SCOPE = "https://sandbox.crm.dynamics.com/.default"
BC_SCOPE = "https://api.businesscentral.dynamics.com/.default"
PROJECTSERVER_SCOPE = "https://sandbox.sharepoint.com/.default"


@dataclass
class SandboxHandle:
    base_url: str
    client_id: str
    client_secret: str
    token_url: str
    dataverse_url: str  # the organization URL: the Web API is under "api/data/v9.2/"
    bc_url: str  # the Business Central URL: API v2.0 is under "api/v2.0/"
    company_id: str

    @classmethod
    def at(
        cls, base_url: str, client_id: str, client_secret: str, company_id: str
    ) -> SandboxHandle:
        base_url = base_url.rstrip("/")
        return cls(
            base_url=base_url,
            client_id=client_id,
            client_secret=client_secret,
            token_url=f"{base_url}/oauth2/token",
            dataverse_url=f"{base_url}/dataverse/",
            bc_url=f"{base_url}/bc/",
            company_id=company_id,
        )

    @property
    def dataverse_api(self) -> str:
        return f"{self.dataverse_url}api/data/v9.2/"

    @property
    def bc_api(self) -> str:
        return f"{self.bc_url}api/v2.0/"

    @property
    def projectserver_url(self) -> str:
        """The Project Web App site: the REST API is under `_api/ProjectServer/`."""
        return f"{self.base_url}/projectserver/"

    @property
    def projectserver_api(self) -> str:
        return f"{self.projectserver_url}_api/"

    async def check_out_as(self, project_id: str, user: str, name: str | None = None) -> Any:
        """A person in Project Server checks the project out (see sandbox/README.md)."""
        body = {"user": user, **({"name": name} if name else {})}
        return await self._control("POST", f"projectserver/projects/{project_id}/checkout", body)

    async def check_in_as_person(self, project_id: str) -> Any:
        return await self._control("POST", f"projectserver/projects/{project_id}/checkin")

    async def pause_projectserver_queue(self, paused: bool) -> Any:
        return await self._control("PUT", "projectserver/queue", {"paused": paused})

    async def post_project_journal(self, **body: Any) -> list[dict[str, Any]]:
        """Business Central: post project journal lines (see sandbox/README.md)."""
        result = await self._control("POST", "bc/projectJournal", body)
        return list(result["posted"])

    async def seed_projectserver(self, **sizes: int) -> dict[str, Any]:
        result: dict[str, Any] = await self._control("POST", "projectserver/seed", sizes)
        return result

    @property
    def bc_company_api(self) -> str:
        return f"{self.bc_api}companies({self.company_id})/"

    async def _control(self, method: str, path: str, body: Any = None) -> Any:
        async with httpx.AsyncClient(timeout=600) as client:
            response = await client.request(method, f"{self.base_url}/_sandbox/{path}", json=body)
        response.raise_for_status()
        return response.json()

    async def reset(self) -> None:
        await self._control("POST", "reset")

    async def seed(self, **sizes: int) -> dict[str, Any]:
        """`seed(accounts=10, seed=7)`: see `sandbox.seed.plan.SeedPlan` for the sizes."""
        result: dict[str, Any] = await self._control("POST", "seed", sizes)
        return result

    async def set_faults(self, **settings: Any) -> dict[str, Any]:
        """`set_faults(throttle={"limit": 3}, fail_next={"count": 1, "status": 503})`."""
        result: dict[str, Any] = await self._control("PUT", "faults", settings)
        return result

    async def clear_faults(self) -> None:
        await self._control("DELETE", "faults")

    async def set_notifications(self, **settings: Any) -> dict[str, Any]:
        """`set_notifications(delay_ms=200, lose_next=1)`: see `sandbox.notify.settings`."""
        result: dict[str, Any] = await self._control("PUT", "notifications", settings)
        return result

    async def notifications(self) -> dict[str, Any]:
        """The delivery settings, what deliveries did, and the live BC subscriptions."""
        result: dict[str, Any] = await self._control("GET", "notifications")
        return result

    async def stats(self) -> dict[str, Any]:
        result: dict[str, Any] = await self._control("GET", "stats")
        return result

    async def reset_stats(self) -> None:
        await self._control("POST", "stats/reset")

    async def expire_tokens(self) -> None:
        await self._control("PUT", "tokens", {"expire_all": True})

    async def add_clients(self, clients: dict[str, str]) -> None:
        """More application users (client id: secret) the token endpoint accepts."""
        await self._control("PUT", "tokens", {"clients": clients})

    async def set_token_lifetime(self, seconds: int) -> None:
        await self._control("PUT", "tokens", {"lifetime_seconds": seconds})

    async def token(self, scope: str = DATAVERSE_SCOPE) -> str:
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

    def requests_to(self, stats: dict[str, Any], api: str, entity_set: str) -> int:
        """How many requests of any method `stats` counted for one entity set."""
        sets = stats.get("apis", {}).get(api, {}).get("entity_sets", {})
        return sum(sets.get(entity_set, {}).values())
