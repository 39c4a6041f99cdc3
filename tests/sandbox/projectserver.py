"""A thin client of the sandbox's Project Server REST API for the sandbox tests: bearer
token, request digest on writes, and polling of queue jobs with a deadline."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from tests.support import eventually
from tests.support_sandbox import PROJECTSERVER_SCOPE, SandboxHandle

JSON = "application/json;odata=nometadata"
SUCCESS, FAILED = 4, 5


class ProjectServerClient:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self._digest: str | None = None

    async def digest(self) -> str:
        if self._digest is None:
            response = await self.http.post("contextinfo")
            response.raise_for_status()
            self._digest = str(response.json()["FormDigestValue"])
        return self._digest

    async def get(self, path: str, **params: Any) -> httpx.Response:
        return await self.http.get(path, params=params or None)

    async def write(self, method: str, path: str, body: Any = None) -> httpx.Response:
        headers = {"X-RequestDigest": await self.digest()}
        return await self.http.request(method, path, json=body, headers=headers)

    async def ok(self, method: str, path: str, body: Any = None) -> Any:
        response = await self.write(method, path, body)
        assert response.status_code < 300, response.text
        return response.json() if response.content else None

    async def wait(self, project_id: str, job: dict[str, Any], state: int = SUCCESS) -> Any:
        async def finished() -> Any:
            found = (
                await self.get(f"ProjectServer/Projects('{project_id}')/QueueJobs('{job['Id']}')")
            ).json()
            return found if found["JobState"] in (SUCCESS, FAILED) else None

        found = await eventually(finished, timeout=60, what=f"queue job {job['Id']}")
        assert found["JobState"] == state, found
        return found

    async def create(self, name: str, **params: Any) -> str:
        project = await self.ok(
            "POST", "ProjectServer/Projects/Add", {"parameters": {"Name": name, **params}}
        )
        return str(project["Id"])

    async def check_out(self, project_id: str) -> Any:
        return await self.ok("POST", f"ProjectServer/Projects('{project_id}')/checkOut()")

    async def add_task(self, project_id: str, **params: Any) -> dict[str, Any]:
        task: dict[str, Any] = await self.ok(
            "POST",
            f"ProjectServer/Projects('{project_id}')/Draft/Tasks/Add",
            {"parameters": params},
        )
        return task

    async def publish(self, project_id: str, check_in: bool = True) -> Any:
        job = await self.ok(
            "POST", f"ProjectServer/Projects('{project_id}')/Draft/publish({str(check_in).lower()})"
        )
        return await self.wait(project_id, job)

    async def tasks(self, project_id: str, *, draft: bool = False) -> list[dict[str, Any]]:
        path = f"ProjectServer/Projects('{project_id}')/" + ("Draft/Tasks" if draft else "Tasks")
        response = await self.get(path, **{"$expand": "Parent"})
        assert response.status_code == 200, response.text
        return list(response.json()["value"])


@asynccontextmanager
async def projectserver_client(
    sandbox: SandboxHandle, accept: str = JSON
) -> AsyncIterator[ProjectServerClient]:
    token = await sandbox.token(PROJECTSERVER_SCOPE)
    headers = {"Authorization": f"Bearer {token}", "Accept": accept}
    async with httpx.AsyncClient(
        base_url=sandbox.projectserver_api, headers=headers, timeout=60
    ) as http:
        yield ProjectServerClient(http)
