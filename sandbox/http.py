"""Requests and responses of the emulated APIs, independent of Starlette so that the inner
requests of a `$batch` go through exactly the same handlers as top-level ones."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import orjson
from starlette.datastructures import Headers

from sandbox.errors import ErrorKind, SandboxError

JSON = "application/json; odata.metadata=minimal"


@dataclass
class ApiRequest:
    method: str
    path: str  # relative to the API root, without a leading slash: "accounts(…)/quote_details"
    query: list[tuple[str, str]]
    headers: Headers
    body: bytes
    root: str  # absolute URL of the API root, ending with "/"
    client_id: str = ""
    operation_delay: float = 0.0  # seconds each operation of a $batch waits (a fault setting)

    async def operation_started(self) -> None:
        """One operation of this `$batch` request begins: it takes the time the service does."""
        if self.operation_delay > 0:
            await asyncio.sleep(self.operation_delay)

    @classmethod
    def from_url(
        cls,
        method: str,
        url: str,
        *,
        root: str,
        headers: Mapping[str, str],
        body: bytes,
        client_id: str = "",
    ) -> ApiRequest:
        """An inner request of a batch: `url` absolute, absolute-path or relative to `root`.

        The API's own path marker (`api/data/v9.2/`, `api/v2.0/`) anchors the resource path, so
        `https://org/api/data/v9.2/accounts`, `/api/data/v9.2/accounts` and `accounts` agree."""
        parts = urlsplit(url)
        marker = _marker(root)
        path = parts.path
        index = path.find(marker)
        if index >= 0:
            path = path[index + len(marker) :]
        return cls(
            method=method.upper(),
            path=path.lstrip("/"),
            query=parse_qsl(parts.query, keep_blank_values=True),
            headers=Headers(headers=dict(headers)),
            body=body,
            root=root,
            client_id=client_id,
        )

    def json(self) -> dict[str, Any]:
        if not self.body.strip():
            raise SandboxError(ErrorKind.BAD_PAYLOAD, "The request body is empty.")
        try:
            value = orjson.loads(self.body)
        except orjson.JSONDecodeError as exc:
            raise SandboxError(
                ErrorKind.BAD_PAYLOAD, f"The request body is not valid JSON: {exc}."
            ) from None
        if not isinstance(value, dict):
            raise SandboxError(ErrorKind.BAD_PAYLOAD, "The request body must be a JSON object.")
        return value

    def preferences(self) -> dict[str, str]:
        return parse_prefer(self.headers.getlist("prefer"))


@dataclass
class ApiResponse:
    status: int
    body: Any = None  # a JSON-able value, or bytes already encoded
    headers: dict[str, str] = field(default_factory=dict)
    media_type: str | None = None

    def content(self) -> bytes:
        if self.body is None:
            return b""
        if isinstance(self.body, bytes):
            return self.body
        return orjson.dumps(self.body)


def _marker(root: str) -> str:
    path = urlsplit(root).path
    index = path.find("api/")
    return path[index:] if index >= 0 else path


def json_response(status: int, body: Any, headers: Mapping[str, str] | None = None) -> ApiResponse:
    return ApiResponse(status, body, {"OData-Version": "4.0", **(headers or {})}, JSON)


def parse_prefer(values: list[str]) -> dict[str, str]:
    """`Prefer: odata.maxpagesize=100, return=representation` -> {name: value}."""
    found: dict[str, str] = {}
    for value in values:
        for item in _split_outside_quotes(value):
            name, _, setting = item.strip().partition("=")
            if name:
                found[name.strip().lower()] = setting.strip().strip('"')
    return found


def _split_outside_quotes(text: str) -> list[str]:
    """`a=1, b="x,y"` -> ['a=1', ' b="x,y"']."""
    parts: list[str] = []
    quoted, start = False, 0
    for index, char in enumerate(text):
        if char == '"':
            quoted = not quoted
        elif char == "," and not quoted:
            parts.append(text[start:index])
            start = index + 1
    parts.append(text[start:])
    return parts
