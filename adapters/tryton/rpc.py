"""A JSON-RPC session with one Tryton database.

`common.db.login` with the password returns the user id and a session key; every later call
carries `Authorization: Session base64(login:user_id:session)`. When the server refuses the
session (401: it expired or was logged out), the client logs in again once and repeats the
call. Calls go out at most `max_concurrency` at a time and follow the connectors' one retry
policy (`adapters.retry`): a call that failed for a busy or unreachable server is tried again
with backoff when replaying it is safe (a read, or a write that certainly did not arrive).
Calls on models take the user's context as their last argument: the preferences Tryton returns
for the user (company, language, employee), read once after the first login.
"""

from __future__ import annotations

import asyncio
import base64
import itertools
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

import httpx

from adapters.budget import UNLIMITED, RequestBudget
from adapters.errors import AuthenticationError, ConnectorError, RetriableError
from adapters.retry import NOT_PROCESSED_STATUSES, RetryPolicy, parse_retry_after
from adapters.tryton.config import TrytonConfig
from adapters.tryton.errors import error_from_payload, error_from_status, error_from_transport
from adapters.tryton.wire import dumps, loads

# Preference keys that describe the user's session rather than the context of a call.
_NOT_CONTEXT = frozenset({"locale", "language_direction", "groups", "company_work_time"})
# Methods that change nothing on the server: replayed whenever a call failed for an outage.
_READS = frozenset(
    {"search", "search_read", "read", "search_count", "fields_get", "get_preferences"}
)
Sleep = Callable[[float], Awaitable[None]]


class TrytonRPC:
    """Calls `model.<name>.<method>` on one database, logging in as needed."""

    def __init__(
        self,
        config: TrytonConfig,
        client: httpx.AsyncClient,
        *,
        system: str,
        sleep: Sleep = asyncio.sleep,
        budget: RequestBudget = UNLIMITED,
    ) -> None:
        self._config = config
        self._budget = budget
        self._client = client
        self._system = system
        self._retry = RetryPolicy(max_attempts=config.max_attempts)
        self._slots = asyncio.Semaphore(config.max_concurrency)
        self._sleep = sleep
        self._ids = itertools.count(1)
        self._authorization: str | None = None
        self._context: dict[str, Any] | None = None
        self._login_lock = asyncio.Lock()
        # Small facts about the server read once (e.g. the company's currency).
        self.memo: dict[str, Any] = {}
        # Current servers answer below `<database>/rpc/`; older ones on the database root.
        self._endpoint = f"{config.database_url}rpc/"

    @property
    def context(self) -> Mapping[str, Any]:
        return self._context or {}

    async def login(self) -> None:
        """Open a session and read the user's context; raises AuthenticationError if refused."""
        async with self._login_lock:
            await self._login()

    async def _login(self) -> None:
        params: list[Any] = [self._config.user, {"password": self._config.password}]
        if self._config.language:
            params.append(self._config.language)
        result = await self._post("common.db.login", params, authorization=None, login=True)
        if not isinstance(result, list) or len(result) < 2:
            raise AuthenticationError("login answered without a session", system=self._system)
        user_id, session = result[0], result[1]
        token = f"{self._config.user}:{user_id}:{session}".encode()
        self._authorization = "Session " + base64.b64encode(token).decode("ascii")
        if self._context is None:
            preferences = await self._post(
                "model.res.user.get_preferences", [True, {}], authorization=self._authorization
            )
            self._context = {
                key: value
                for key, value in dict(preferences or {}).items()
                if key not in _NOT_CONTEXT and "." not in key
            }

    async def logout(self) -> None:
        """Close the session on the server (best effort: it expires on its own anyway)."""
        authorization, self._authorization = self._authorization, None
        if authorization is None:
            return
        try:
            await self._post("common.db.logout", [], authorization=authorization)
        except ConnectorError:
            return

    async def call(self, method: str, params: Sequence[Any]) -> Any:
        """Call `method` with `params` in the current session; re-login once if it expired."""
        if self._authorization is None:
            await self.login()
        authorization = self._authorization
        try:
            return await self._post(method, params, authorization=authorization)
        except AuthenticationError as exc:
            if exc.status != 401:
                raise
        async with self._login_lock:
            if self._authorization == authorization:
                await self._login()
        return await self._post(method, params, authorization=self._authorization)

    async def model(
        self,
        model: str,
        method: str,
        *args: Any,
        context: Mapping[str, Any] | None = None,
    ) -> Any:
        """`model.<model>.<method>(*args, context)` with the user's context (plus `context`)."""
        if self._context is None:
            await self.login()
        merged = {**self.context, **(context or {})}
        return await self.call(f"model.{model}.{method}", [*args, merged])

    async def _post(
        self,
        method: str,
        params: Sequence[Any],
        *,
        authorization: str | None,
        login: bool = False,
    ) -> Any:
        headers = {"Content-Type": "application/json", "Accept": "application/json"}
        if authorization is not None:
            headers["Authorization"] = authorization
        body = dumps({"id": next(self._ids), "method": method, "params": list(params)})
        response = await self._send(method, body, headers)
        if login and response.status_code in {404, 405} and self._endpoint.endswith("rpc/"):
            # Perhaps an older server, where JSON-RPC lives on the database root.
            newer = self._endpoint
            self._endpoint = self._config.database_url
            fallback = await self._send(method, body, headers)
            if fallback.status_code in {404, 405}:
                self._endpoint = newer
            else:
                response = fallback
        if response.status_code != 200:
            raise error_from_status(response, system=self._system, method=method, login=login)
        try:
            answer = loads(response.content)
        except ValueError as exc:
            raise error_from_status(
                httpx.Response(502), system=self._system, method=method
            ) from exc
        if not isinstance(answer, dict):
            raise error_from_status(httpx.Response(502), system=self._system, method=method)
        if "error" in answer and answer["error"] is not None:
            raise error_from_payload(answer["error"], system=self._system, method=method)
        return answer.get("result")

    async def _send(self, method: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
        """One call, tried again while the server is busy or unreachable and replaying it
        is safe; a slot of the concurrency limit is held only while a request is out."""
        read = method.startswith("common.") or method.rsplit(".", 1)[-1] in _READS
        attempt = 0
        while True:
            attempt += 1
            try:
                async with self._slots, self._budget.slot():
                    response = await self._client.post(
                        self._endpoint, content=body, headers=headers, timeout=self._config.timeout
                    )
                if response.status_code == 429:
                    asked = parse_retry_after(response.headers.get("Retry-After"))
                    if asked:
                        await self._budget.pause(asked)
            except httpx.TransportError as exc:
                failure = error_from_transport(exc, system=self._system, method=method)
                never_sent = isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)
                safe = read or never_sent or isinstance(exc, httpx.PoolTimeout)
            else:
                if response.status_code < 500 and response.status_code != 429:
                    return response
                error = error_from_status(response, system=self._system, method=method)
                if not isinstance(error, RetriableError):
                    return response
                failure = error
                safe = read or response.status_code in NOT_PROCESSED_STATUSES
            delay = self._retry.delay(attempt, failure.retry_after) if safe else None
            if delay is None:
                raise failure
            await self._sleep(delay)
