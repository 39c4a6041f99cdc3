"""Connectors wired to the sandbox over real HTTP, as the gateway builds them."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from adapters.business_central import BusinessCentralConnector
from adapters.dataverse import DataverseConnector
from adapters.project_server import ProjectServerConnector
from adapters.registry import (
    ConnectionConfig,
    build_business_central,
    build_dataverse,
    build_project_server,
)
from tests.support_sandbox import SandboxHandle


@dataclass
class Waits:
    """Records the pauses a connector takes (and takes them, shortened to at most `cap`)."""

    cap: float = 2.0
    seconds: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.seconds.append(seconds)
        await asyncio.sleep(min(seconds, self.cap))


def connection(sandbox: SandboxHandle, system: str, **overrides: Any) -> ConnectionConfig:
    values: dict[str, Any] = {
        "base_url": {
            "dataverse": sandbox.dataverse_url,
            "bc": sandbox.bc_url,
            "projectserver": sandbox.projectserver_url,
        }[system],
        "token_url": sandbox.token_url,
        "client_id": sandbox.client_id,
        "client_secret": sandbox.client_secret,
        "timeout": 60.0,
        **overrides,
    }
    return ConnectionConfig(**values)


@contextlib.asynccontextmanager
async def dataverse(
    sandbox: SandboxHandle, waits: Waits | None = None, **overrides: Any
) -> AsyncIterator[DataverseConnector]:
    connector = build_dataverse(
        connection(sandbox, "dataverse", **overrides), sleep=waits or Waits()
    )
    try:
        yield connector
    finally:
        await connector.aclose()


@contextlib.asynccontextmanager
async def business_central(
    sandbox: SandboxHandle, waits: Waits | None = None, **overrides: Any
) -> AsyncIterator[BusinessCentralConnector]:
    connector = build_business_central(
        connection(sandbox, "bc", **overrides), sleep=waits or Waits()
    )
    try:
        yield connector
    finally:
        await connector.aclose()


@contextlib.asynccontextmanager
async def project_server(
    sandbox: SandboxHandle, waits: Waits | None = None, **overrides: Any
) -> AsyncIterator[ProjectServerConnector]:
    connector = build_project_server(
        connection(sandbox, "projectserver", **overrides), sleep=waits or Waits()
    )
    try:
        yield connector
    finally:
        await connector.aclose()
