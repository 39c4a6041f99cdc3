"""OAuth 2.0 client-credentials tokens (RFC 6749 §4.4), as Microsoft Entra ID issues them.

The token is fetched lazily on first use (so connectors are built without network access),
cached until shortly before it expires, and refreshed once by `refresh` when the API answers
401 to a token that was believed valid. Concurrent callers share one fetch.

Why not authlib: its httpx integration is an `httpx.AsyncClient` subclass that owns the
connection pool and the request flow, while connectors here take one injected client, run their
own retry loop and map every failure to `adapters.errors`; the grant itself is one form POST.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx
import orjson

from adapters.errors import AuthenticationError, RetriableError
from adapters.odata.errors import error_for_status

log = logging.getLogger(__name__)

# Refresh this long before the server's expiry, so a request never leaves with a token that
# expires in flight.
DEFAULT_REFRESH_MARGIN = 120.0


@dataclass(frozen=True, slots=True)
class ClientCredentials:
    token_url: str
    client_id: str
    client_secret: str = field(repr=False)
    scope: str | None = None


@dataclass(frozen=True, slots=True)
class _Token:
    value: str = field(repr=False)
    refresh_at: float


class TokenProvider:
    """Bearer tokens for one set of client credentials."""

    def __init__(
        self,
        credentials: ClientCredentials,
        http: httpx.AsyncClient,
        *,
        system: str,
        refresh_margin: float = DEFAULT_REFRESH_MARGIN,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._credentials = credentials
        self._http = http
        self._system = system
        self._margin = refresh_margin
        self._clock = clock
        self._token: _Token | None = None
        self._lock = asyncio.Lock()
        self.fetches = 0

    @property
    def client_id(self) -> str:
        return self._credentials.client_id

    def secrets(self) -> list[str]:
        """Values that must never appear in a message or a log line."""
        values = [self._credentials.client_secret]
        if self._token is not None:
            values.append(self._token.value)
        return values

    async def token(self) -> str:
        current = self._token
        if current is not None and self._clock() < current.refresh_at:
            return current.value
        async with self._lock:
            current = self._token
            if current is None or self._clock() >= current.refresh_at:
                current = await self._fetch()
                self._token = current
            return current.value

    async def refresh(self, rejected: str | None) -> str:
        """A new token after the server refused `rejected`; one fetch even if many callers ask."""
        async with self._lock:
            current = self._token
            if current is None or current.value == rejected:
                current = await self._fetch()
                self._token = current
            return current.value

    def invalidate(self) -> None:
        self._token = None

    async def _fetch(self) -> _Token:
        credentials = self._credentials
        form = {
            "grant_type": "client_credentials",
            "client_id": credentials.client_id,
            "client_secret": credentials.client_secret,
        }
        if credentials.scope:
            form["scope"] = credentials.scope
        doing = "acquire an access token"
        try:
            response = await self._http.post(
                credentials.token_url, data=form, headers={"Accept": "application/json"}
            )
        except httpx.TransportError as exc:
            raise RetriableError(
                f"{doing}: the token endpoint did not answer ({type(exc).__name__})",
                system=self._system,
            ) from None
        self.fetches += 1
        if response.status_code != 200:
            raise error_for_status(
                response.status_code,
                system=self._system,
                doing=doing,
                body=response.content,
                headers=response.headers,
                secrets=[credentials.client_secret],
            )
        try:
            body = orjson.loads(response.content)
            value = str(body["access_token"])
            lifetime = float(body.get("expires_in", 3600))
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            raise AuthenticationError(
                f"{doing}: the token endpoint answered without an access_token",
                system=self._system,
            ) from None
        log.info("%s: acquired an access token valid for %.0fs", self._system, lifetime)
        margin = min(self._margin, lifetime / 2)
        return _Token(value=value, refresh_at=self._clock() + lifetime - margin)
