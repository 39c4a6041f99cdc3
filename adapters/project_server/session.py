"""Talking to one Project Web App site: `_api/` requests through `ODataClient` (token,
concurrency limit, retries), the request digest SharePoint wants on every write, queue jobs
polled to their end, and the enterprise custom fields by display name.

The digest comes from `POST _api/contextinfo` and is reused until shortly before
`FormDigestTimeoutSeconds`; a write refused for its digest (403, `SPException`) fetches a new
one and is sent again once.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from adapters.errors import ConnectorError, LockedError, RetriableError
from adapters.odata.client import ODataClient

Json = dict[str, Any]
SUCCESS, FAILED, FAILED_NOT_BLOCKING, CANCELED = 4, 5, 6, 9
_DIGEST_ERROR = "SPException"
_DIGEST_MARGIN = 60.0
CHECKED_OUT_TO_OTHER = "CICOCheckedOutToOtherUser"
CHECKED_OUT_IN_OTHER_SESSION = "CICOCheckedOutInOtherSession"


@dataclass(frozen=True, slots=True)
class CustomField:
    name: str
    internal_name: str
    entity: str  # Project, Task or Resource
    field_type: int


class Session:
    def __init__(
        self,
        client: ODataClient,
        *,
        job_timeout: float = 300.0,
        poll: Callable[[float], Awaitable[None]] = asyncio.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.system = client.system
        self.job_timeout = job_timeout
        self._poll = poll
        self._clock = clock
        self._digest: tuple[str, float] | None = None
        self._digest_lock = asyncio.Lock()
        self._fields: dict[str, CustomField] | None = None

    async def digest(self, *, renew: str | None = None) -> str:
        async with self._digest_lock:
            current = self._digest
            if current is None or current[0] == renew or self._clock() >= current[1]:
                response = await self.client.send(
                    "POST", "contextinfo", doing="get a request digest"
                )
                data = self.client.json(response, "get a request digest")
                info = data.get("d", {}).get("GetContextWebInformation", data)
                lifetime = float(info.get("FormDigestTimeoutSeconds") or 1800)
                current = (str(info["FormDigestValue"]), self._clock() + lifetime - _DIGEST_MARGIN)
                self._digest = current
            return current[0]

    async def get(self, path: str, *, doing: str) -> Json:
        return await self.client.get_json(path, doing=doing)

    async def write(
        self, method: str, path: str, *, doing: str, json: Any = None, replay_safe: bool = False
    ) -> Json | None:
        """A state-changing request with the digest; the JSON answer, if any."""
        digest = await self.digest()
        for attempt in (1, 2):
            response = await self.client.send(
                method,
                path,
                doing=doing,
                json=json,
                headers={"X-RequestDigest": digest},
                replay_safe=replay_safe,
                keep_error=_digest_refused if attempt == 1 else None,
            )
            if response.status_code == 403:
                digest = await self.digest(renew=digest)
                continue
            return self.client.json(response, doing) if response.content.strip() else None
        raise AssertionError("unreachable")  # pragma: no cover

    async def wait(self, project_id: str, job: Json, *, doing: str) -> None:
        """Poll a queue job until it ends; a failed or endless one is a `RetriableError`."""
        job_id = job.get("Id")
        state = job.get("JobState")
        deadline = self._clock() + self.job_timeout
        delay = 0.02
        while state not in (SUCCESS, FAILED, FAILED_NOT_BLOCKING, CANCELED):
            if self._clock() > deadline:
                raise RetriableError(
                    f"{doing}: the queue job {job_id} did not finish within "
                    f"{self.job_timeout:.0f}s (state {state})",
                    system=self.system,
                )
            await self._poll(delay)
            delay = min(delay * 2, 1.0)
            found = await self.get(
                f"ProjectServer/Projects('{project_id}')/QueueJobs('{job_id}')", doing=doing
            )
            state = found.get("JobState")
            job = found
        if state != SUCCESS:
            reasons = "; ".join(str(e) for e in job.get("Errors") or []) or f"job state {state}"
            raise RetriableError(f"{doing}: the queue job failed: {reasons}", system=self.system)

    async def custom_fields(self, *, refresh: bool = False) -> dict[str, CustomField]:
        """Enterprise custom fields by display name (read once)."""
        if self._fields is None or refresh:
            data = await self.get(
                "ProjectServer/CustomFields?$expand=EntityType", doing="list custom fields"
            )
            self._fields = {
                str(f["Name"]): CustomField(
                    str(f["Name"]),
                    str(f["InternalName"]),
                    str((f.get("EntityType") or {}).get("Name", "")),
                    int(f.get("FieldType") or 21),
                )
                for f in values(data)
            }
        return self._fields


def values(data: Json) -> list[Json]:
    """The rows of a collection answer, in JSON light or verbose form."""
    if "value" in data:
        return list(data["value"])
    return list(data.get("d", {}).get("results", []))


def next_link(data: Json) -> str | None:
    found = data.get("odata.nextLink") or data.get("d", {}).get("__next")
    return str(found) if found else None


def _digest_refused(response: httpx.Response) -> bool:
    return response.status_code == 403 and _DIGEST_ERROR.encode() in response.content


def is_refusal(error: ConnectorError, name: str) -> bool:
    """Whether Project Server refused with the PSErrorID `name`."""
    return name in error.message


def locked(error: ConnectorError, project: str, doing: str) -> LockedError:
    reason = error.message.split(": ", 1)[-1].split("\r\n")[-1]
    return LockedError(
        f"{doing}: project {project} is checked out to someone else in Project Server; it is "
        f"retried once they check it in ({reason})",
        system=error.system,
        status=error.status,
        code=CHECKED_OUT_TO_OTHER,
    )


def merge_headers(*parts: Mapping[str, str]) -> dict[str, str]:
    merged: dict[str, str] = {}
    for part in parts:
        merged.update(part)
    return merged
