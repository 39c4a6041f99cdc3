"""The door in front of /graphql: body size, API key and rate limit, before GraphQL parses.

Each refusal is cheap and happens before the body is read: a declared body above the limit is
refused from its header, a key is checked with one indexed MongoDB lookup, the rate limit with
one Redis call. A client address that sent too many unknown keys is refused from Redis alone,
before any lookup, until its window ends. The rate limit's first point is taken here; the rest
of a request's cost once its document is read (`schema.preflight`). A body without a declared
length is counted while it streams in and refused as soon as it passes the limit, so no more
than the limit is ever held in memory.

Browsers may load the GraphiQL page without a key (where it is enabled at all); the page sends
the key with every query from its headers editor.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable

from pymongo.errors import PyMongoError
from redis.exceptions import RedisError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from gateway.auth.keys import ApiKeyStore, DevKeyBootstrap
from gateway.auth.roles import Caller, Role
from gateway.security.ratelimit import KEY_PREFIX, RateDecision, RateLimiter
from gateway.security.responses import graphql_error_response
from gateway.services import Services
from gateway.settings import Settings

log = logging.getLogger(__name__)

UNAVAILABLE_RETRY_SECONDS = 5
AUTH_FAILURE_PREFIX = "gateway:authfail:"


class BodyTooLargeError(Exception):
    """Raised from `receive` when a streamed body passes the limit."""


class GraphQLGate:
    """An ASGI wrapper around the GraphQL view; puts the `Caller` in `request.state.caller`.
    Its key check (`caller`, `require`) also guards the WebSocket and /metrics."""

    def __init__(self, app: ASGIApp, settings: Settings, *, dev_key: DevKeyBootstrap) -> None:
        self.app = app
        self.dev_key = dev_key
        self.max_body_bytes = settings.graphql_max_body_bytes
        self.graphiql_enabled = settings.graphiql_enabled
        self.rate_limit = settings.api_rate_limit
        self.rate_window_seconds = settings.api_rate_window_seconds
        self.auth_failure_limit = settings.api_auth_failure_limit
        self._limiters: dict[tuple[int, str], RateLimiter] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        if self.graphiql_enabled and _asks_for_graphiql(request):
            await self.app(scope, receive, send)
            return
        refusal = await self._check(request)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        try:
            await self.app(scope, self._limited(receive), send)
        except BodyTooLargeError:
            await self._too_large()(scope, receive, send)

    async def _check(self, request: Request) -> Response | None:
        declared = request.headers.get("content-length")
        if declared is not None:
            if not declared.isdigit():
                return graphql_error_response(
                    400, "BAD_REQUEST", "Content-Length must be a number of bytes."
                )
            if int(declared) > self.max_body_bytes:
                return self._too_large()
        services: Services = request.state.services
        caller = await self.caller(
            request.headers.get("authorization"), services, client=_client(request)
        )
        if isinstance(caller, Response):
            return caller
        request.state.caller = caller
        if self.rate_limit > 0:  # the view charges the rest of the request's cost to it
            request.state.rate_limiter = self.limiter(services)
        return await self._rate_limit(caller, services)

    async def caller(
        self, header: str | None, services: Services, *, client: str = "unknown"
    ) -> Caller | Response:
        """The caller of an `Authorization` header's value, or the refusal to answer: the one
        check behind /graphql over HTTP and WebSocket, and /metrics."""
        if not header:
            return _unauthenticated(
                "Authentication required: send the header `Authorization: Bearer <api key>`."
            )
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return _unauthenticated("The Authorization header must read `Bearer <api key>`.")
        failures = self._failures(services)
        throttled = await _ask(failures.peek(client))
        if throttled is not None and not throttled.allowed:
            return _too_many_unknown_keys(throttled, self.rate_window_seconds)
        try:
            await self.dev_key.ensure(services.db)
            caller = await ApiKeyStore(services.db).authenticate(token.strip())
        except PyMongoError as exc:
            log.warning("API keys cannot be checked: MongoDB failed (%s)", type(exc).__name__)
            return graphql_error_response(
                503,
                "UNAVAILABLE",
                "The gateway cannot check API keys right now; retry shortly.",
                {"Retry-After": str(UNAVAILABLE_RETRY_SECONDS)},
            )
        if caller is None:
            log.info("refused an unknown or revoked API key from %s", client)
            await _ask(failures.hit(client))
            return _unauthenticated("The API key is unknown or has been revoked.")
        return caller

    async def require(self, request: Request, services: Services, role: Role) -> Response | None:
        """None when the request's key has `role` (or a higher one), else the refusal."""
        caller = await self.caller(
            request.headers.get("authorization"), services, client=_client(request)
        )
        if isinstance(caller, Response):
            return caller
        if not caller.role.allows(role):
            return graphql_error_response(
                403,
                "FORBIDDEN",
                f"This needs the {role.value} role; the key '{caller.name}' has "
                f"{caller.role.value}.",
            )
        return None

    async def _rate_limit(self, caller: Caller, services: Services) -> Response | None:
        if self.rate_limit <= 0:
            return None
        decision = await _ask(self.limiter(services).hit(caller.key_id))
        if decision is None or decision.allowed:
            return None
        log.info("rate limit reached for API key '%s'", caller.name)
        return graphql_error_response(
            429,
            "RATE_LIMITED",
            f"The API key '{caller.name}' used more than {decision.limit} points in "
            f"{self.rate_window_seconds}s; retry after {decision.retry_after_seconds}s.",
            {"Retry-After": str(decision.retry_after_seconds)},
        )

    def limiter(self, services: Services) -> RateLimiter:
        """The per-key budget (`API_RATE_LIMIT` points per window)."""
        return self._shared(services, KEY_PREFIX, self.rate_limit)

    def _failures(self, services: Services) -> RateLimiter:
        return self._shared(services, AUTH_FAILURE_PREFIX, self.auth_failure_limit)

    def _shared(self, services: Services, prefix: str, limit: int) -> RateLimiter:
        key = (id(services.redis), prefix)
        limiter = self._limiters.get(key)
        if limiter is None:
            limiter = RateLimiter(
                services.redis, limit=limit, window_seconds=self.rate_window_seconds, prefix=prefix
            )
            self._limiters = {k: v for k, v in self._limiters.items() if k[0] == key[0]}
            self._limiters[key] = limiter
        return limiter

    def _limited(self, receive: Receive) -> Receive:
        received = 0
        limit = self.max_body_bytes

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLargeError
            return message

        return limited_receive

    def _too_large(self) -> Response:
        return graphql_error_response(
            413,
            "REQUEST_TOO_LARGE",
            f"The request body is larger than the limit of {self.max_body_bytes} bytes.",
            {"Connection": "close"},
        )


async def _ask(call: Awaitable[RateDecision]) -> RateDecision | None:
    """A limiter's decision, or None when Redis fails: Redis carries background work only, its
    outage must not stop reads, and every other limit still holds. Say so loudly instead."""
    try:
        return await call
    except RedisError as exc:
        log.warning("rate limit not applied: Redis failed (%s)", type(exc).__name__)
        return None


def _too_many_unknown_keys(decision: RateDecision, window_seconds: int) -> Response:
    return graphql_error_response(
        429,
        "RATE_LIMITED",
        f"More than {decision.limit} unknown API keys came from this address in "
        f"{window_seconds}s; retry after {decision.retry_after_seconds}s.",
        {"Retry-After": str(decision.retry_after_seconds)},
    )


def _asks_for_graphiql(request: Request) -> bool:
    """The same test strawberry applies before it serves the GraphiQL page."""
    accept = request.headers.get("accept", "")
    return (
        request.method == "GET"
        and "query" not in request.query_params
        and ("text/html" in accept or "*/*" in accept)
    )


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _unauthenticated(message: str) -> Response:
    return graphql_error_response(
        401, "UNAUTHENTICATED", message, {"WWW-Authenticate": 'Bearer realm="gateway"'}
    )
