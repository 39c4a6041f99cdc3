"""Raw calls to the sandbox's Dataverse and Business Central APIs with a plain httpx client:
the measuring instrument of the synchronization scenarios (which records changed) and the
baseline of the connector rates (the same requests, without the connector)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from bench.sandbox_client import BC_SCOPE, DATAVERSE_SCOPE, SandboxClient

TRACK = "odata.track-changes"


@dataclass
class RawReads:
    """What a read of many pages returned."""

    records: int = 0
    deleted: int = 0
    requests: int = 0
    link: str | None = None  # the delta link a change-tracking read ended with
    ids: list[str] = field(default_factory=list)


class RawApi:
    """One API of the sandbox with a bearer token; close with `aclose`."""

    def __init__(self, client: httpx.AsyncClient, base: str) -> None:
        self.client = client
        self.base = base

    @classmethod
    async def dataverse(cls, sandbox: SandboxClient) -> RawApi:
        token = await sandbox.token(DATAVERSE_SCOPE)
        return cls(_client(token), sandbox.dataverse_api)

    @classmethod
    async def business_central(cls, sandbox: SandboxClient) -> RawApi:
        token = await sandbox.token(BC_SCOPE)
        return cls(_client(token), sandbox.bc_company_api)

    async def aclose(self) -> None:
        await self.client.aclose()

    async def read_pages(
        self, url: str, *, page_size: int, track: bool = False, keep_ids: str | None = None
    ) -> RawReads:
        """Follow `@odata.nextLink` to the end; with `track`, ask for change tracking."""
        prefer = f"odata.maxpagesize={page_size}" + (f",{TRACK}" if track else "")
        reads = RawReads()
        next_url: str | None = url if url.startswith("http") else self.base + url
        while next_url:
            response = await self.client.get(next_url, headers={"Prefer": prefer})
            response.raise_for_status()
            reads.requests += 1
            body = orjson.loads(response.content)
            for row in body.get("value", []):
                if str(row.get("@odata.context", "")).endswith("$deletedEntity"):
                    reads.deleted += 1
                else:
                    reads.records += 1
                    if keep_ids:
                        reads.ids.append(str(row[keep_ids]))
            next_url = body.get("@odata.nextLink")
            reads.link = body.get("@odata.deltaLink", reads.link)
        return reads

    async def delta_link(self, entity_set: str, key: str) -> str:
        """A change-tracking link of `entity_set` as it is now (reads it all once)."""
        reads = await self.read_pages(f"{entity_set}?$select={key}", page_size=5000, track=True)
        if reads.link is None:
            raise RuntimeError(f"{entity_set}: no delta link in the answer")
        return reads.link

    async def changed_since(self, link: str) -> RawReads:
        """Records changed (and deleted) since a delta link, and the next link."""
        return await self.read_pages(link, page_size=5000, track=True)

    async def batch_patch(
        self, entity_set: str, updates: Sequence[tuple[str, dict[str, Any]]], *, select: str
    ) -> int:
        """One Dataverse multipart `$batch` of independent PATCHes as the connector sends them
        (If-Match: *, the record back with `$select`, continue on error); returns how many
        parts answered 2xx."""
        boundary = f"batch_{uuid.uuid4().hex}"
        parts = [
            f"--{boundary}\r\n"
            "Content-Type: application/http\r\n"
            "Content-Transfer-Encoding: binary\r\n\r\n"
            f"PATCH {self.base}{entity_set}({id})?$select={select} HTTP/1.1\r\n"
            "Prefer: return=representation\r\n"
            "If-Match: *\r\n"
            "Content-Type: application/json; type=entry\r\n\r\n"
            f"{orjson.dumps(values).decode()}\r\n"
            for id, values in updates
        ]
        body = "".join(parts) + f"--{boundary}--\r\n"
        response = await self.client.post(
            f"{self.base}$batch",
            content=body.encode(),
            headers={
                "Content-Type": f"multipart/mixed; boundary={boundary}",
                "Prefer": "odata.continue-on-error",
            },
        )
        response.raise_for_status()
        return len(re.findall(rb"HTTP/1.1 20[04]", response.content))


def _client(token: str) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        headers={
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
            "OData-Version": "4.0",
            "OData-MaxVersion": "4.0",
        },
        timeout=120,
        limits=httpx.Limits(max_connections=18, max_keepalive_connections=16),
    )
