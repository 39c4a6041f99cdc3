"""One OData service reached over HTTP: authentication, concurrency limit, retries, errors.

Every request of a connector goes through `ODataClient.send`, which

- adds the bearer token (fetched lazily) and the OData headers;
- holds one of `max_concurrency` slots while the exchange is in flight (both Dataverse and
  Business Central cap concurrent requests per user; waiting here is cheaper than a 429);
- with several credentials (application users), sends each request as the one with the fewest
  requests out, in turn when they tie: the services' limits hold per user, so each credential
  has its own token and budget, and the process's slots grow with their number;
- on 401 refreshes the token once and replays the request;
- retries 429, 5xx and transport failures with backoff, honouring `Retry-After`, up to the
  policy's bound, then raises `RetriableError` (with `retry_after` when the server gave one);
- replays a request that may already have taken effect only when it is safe to: reads, and
  writes guarded by `If-Match`; a POST is replayed only when it cannot have been processed
  (429, 503, or a connection that was never made);
- maps every other failure to `adapters.errors`, with secrets stripped from the message.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import orjson

from adapters.budget import UNLIMITED, RequestBudget
from adapters.errors import ConnectorError, FatalError, RetriableError
from adapters.odata.auth import TokenProvider
from adapters.odata.errors import error_for_status, redact
from adapters.retry import NOT_PROCESSED_STATUSES, RetryPolicy, parse_retry_after

log = logging.getLogger(__name__)

ODATA_HEADERS = {
    "Accept": "application/json",
    "OData-MaxVersion": "4.0",
    "OData-Version": "4.0",
}


Sleep = Callable[[float], Awaitable[None]]
Json = dict[str, Any]


@dataclass(slots=True, eq=False)
class Credential:
    """One identity requests are sent as: its tokens and its share of the service's limits."""

    tokens: TokenProvider | None
    budget: RequestBudget = UNLIMITED
    in_flight: int = 0  # requests of this process out as this identity


class ODataClient:
    def __init__(
        self,
        *,
        system: str,
        http: httpx.AsyncClient,
        base_url: str,
        tokens: TokenProvider | None,
        max_concurrency: int = 8,
        retry: RetryPolicy | None = None,
        headers: Mapping[str, str] | None = None,
        sleep: Sleep = asyncio.sleep,
        budget: RequestBudget = UNLIMITED,
        more_credentials: Sequence[Credential] = (),
    ) -> None:
        """`max_concurrency` is per credential: the first is `tokens` with `budget`."""
        if max_concurrency < 1:
            raise ValueError("max_concurrency must be at least 1")
        self.system = system
        self.http = http
        self.base_url = base_url if base_url.endswith("/") else base_url + "/"
        self.credentials = [Credential(tokens, budget), *more_credentials]
        self._turn = 0
        self.retry = retry or RetryPolicy()
        self.max_concurrency = max_concurrency * len(self.credentials)
        self._slots = asyncio.Semaphore(self.max_concurrency)
        self._headers = {**ODATA_HEADERS, **(headers or {})}
        self._sleep = sleep
        origin = urlsplit(self.base_url)
        self._origin = f"{origin.scheme}://{origin.netloc}"
        self.requests_sent = 0

    def url(self, path: str) -> str:
        """An absolute URL for a path relative to the service root (absolute URLs pass through)."""
        return urljoin(self.base_url, path)

    def owns(self, url: str) -> bool:
        """Whether `url` (a next link, a delta link, a cursor) points at this service."""
        return url.startswith(self._origin + "/")

    @property
    def tokens(self) -> TokenProvider | None:
        """The first credential's tokens."""
        return self.credentials[0].tokens

    def secrets(self) -> list[str]:
        return [
            secret
            for credential in self.credentials
            if credential.tokens is not None
            for secret in credential.tokens.secrets()
        ]

    def _next_credential(self) -> Credential:
        """The credential with the fewest requests out, taking turns among equals."""
        if len(self.credentials) == 1:
            return self.credentials[0]
        self._turn = (self._turn + 1) % len(self.credentials)
        order = self.credentials[self._turn :] + self.credentials[: self._turn]
        return min(order, key=lambda credential: credential.in_flight)

    async def send(
        self,
        method: str,
        url: str,
        *,
        doing: str,
        json: Any = None,
        content: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        replay_safe: bool | None = None,
        keep_error: Callable[[httpx.Response], bool] | None = None,
    ) -> httpx.Response:
        """The successful response (or an error response `keep_error` asks to keep)."""
        if replay_safe is None:
            replay_safe = method.upper() in {"GET", "HEAD", "PUT", "DELETE"} or bool(
                headers and "If-Match" in headers
            )
        body = content
        request_headers = {**self._headers, **(headers or {})}
        if json is not None:
            body = orjson.dumps(json)
            request_headers.setdefault("Content-Type", "application/json")
        attempt = 0
        refreshed = False
        while True:
            attempt += 1
            token: str | None = None
            credential = self._next_credential()
            try:
                sent = request_headers
                if credential.tokens is not None:
                    token = await credential.tokens.token()
                    sent = {**request_headers, "Authorization": f"Bearer {token}"}
                response = await self._exchange(credential, method, url, sent, body)
            except RetriableError as exc:  # the token endpoint is throttled or down
                failure: RetriableError = exc
                safe = True
            except httpx.TransportError as exc:
                failure = RetriableError(
                    f"{doing}: {describe_transport_error(exc)}", system=self.system
                )
                never_sent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
                safe = replay_safe or never_sent or isinstance(exc, httpx.PoolTimeout)
            else:
                status = response.status_code
                if status < 400:
                    return response
                if status == 401 and credential.tokens is not None and not refreshed:
                    refreshed = True
                    attempt -= 1  # a refreshed token is a replay, not a retry
                    log.info("%s: %s was refused (401); refreshing the token", self.system, doing)
                    await credential.tokens.refresh(token)
                    continue
                if keep_error is not None and keep_error(response):
                    return response
                error = self.error(response, doing)
                if not isinstance(error, RetriableError):
                    raise error
                failure = error
                safe = replay_safe or status in NOT_PROCESSED_STATUSES
            delay = self.retry.delay(attempt, failure.retry_after) if safe else None
            if delay is None:
                raise failure
            log.warning(
                "%s: %s failed (%s); attempt %d of %d, retrying in %.2fs",
                self.system,
                doing,
                failure.status or "no response",
                attempt,
                self.retry.max_attempts,
                delay,
            )
            await self._sleep(delay)

    async def get_json(
        self, url: str, *, doing: str, headers: Mapping[str, str] | None = None
    ) -> Json:
        response = await self.send("GET", url, doing=doing, headers=headers)
        return self.json(response, doing)

    def json(self, response: httpx.Response, doing: str) -> Json:
        try:
            data = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            raise FatalError(f"{doing}: the answer is not JSON", system=self.system) from None
        if not isinstance(data, dict):
            raise FatalError(f"{doing}: the answer is not a JSON object", system=self.system)
        return data

    def error(self, response: httpx.Response, doing: str) -> ConnectorError:
        return error_for_status(
            response.status_code,
            system=self.system,
            doing=doing,
            body=response.content,
            headers=response.headers,
            secrets=self.secrets(),
        )

    def redact(self, text: str) -> str:
        return redact(text, self.secrets())

    async def _exchange(
        self,
        credential: Credential,
        method: str,
        url: str,
        headers: dict[str, str],
        body: bytes | None,
    ) -> httpx.Response:
        credential.in_flight += 1
        try:
            async with self._slots, credential.budget.slot():
                self.requests_sent += 1
                response = await self.http.request(
                    method, self.url(url), headers=headers, content=body
                )
        finally:
            credential.in_flight -= 1
        if response.status_code == 429:
            asked = parse_retry_after(response.headers.get("Retry-After"))
            if asked:
                await credential.budget.pause(asked)  # every process waits, not only this one
        return response


def describe_transport_error(exc: httpx.TransportError) -> str:
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out ({type(exc).__name__})"
    return f"no answer ({type(exc).__name__})"
