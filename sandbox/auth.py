"""OAuth 2.0 client credentials, answered the way Microsoft Entra ID answers them.

`POST /oauth2/token` (also `/{tenant}/oauth2/v2.0/token`) takes `grant_type=client_credentials`,
`client_id`, `client_secret` (or HTTP Basic) and `scope` (which must end in `/.default`), and
returns `{"token_type": "Bearer", "expires_in": …, "ext_expires_in": …, "access_token": …}`.
Tokens are HS256 JWTs signed with a key derived from the client secret, so they stay valid across
restarts of the sandbox; the lifetime is configurable and `expire_all()` invalidates every token
issued so far (both through `PUT /_sandbox/tokens`). Besides the configured client, more
application users can be registered (`PUT /_sandbox/tokens` with `clients`), as a tenant gives
an integration several identities to spread the per-user service limits over.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response

TENANT_ID = "72f988bf-0000-4000-8000-00000000a001"
DEFAULT_LIFETIME = 3599


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class TokenIssuer:
    client_id: str
    client_secret: str
    lifetime_seconds: int = DEFAULT_LIFETIME
    revoked_before_ms: int = 0
    more_clients: dict[str, str] = field(default_factory=dict)  # client id: secret

    def secret_of(self, client_id: str) -> str | None:
        if client_id == self.client_id:
            return self.client_secret
        return self.more_clients.get(client_id)

    def _key(self, client_id: str) -> bytes | None:
        secret = self.secret_of(client_id)
        if secret is None:
            return None
        return hashlib.sha256(b"sandbox-access-token:" + secret.encode()).digest()

    def issue(self, scope: str, client_id: str | None = None) -> str:
        client_id = client_id or self.client_id
        key = self._key(client_id)
        if key is None:
            raise ValueError(f"unknown client {client_id!r}")
        now_ms = int(time.time() * 1000)
        resource = scope.removesuffix("/.default")
        payload = {
            "aud": resource,
            "iss": f"https://sts.windows.net/{TENANT_ID}/",
            "iat": now_ms // 1000,
            "nbf": now_ms // 1000,
            "exp": now_ms // 1000 + self.lifetime_seconds,
            "appid": client_id,
            "tid": TENANT_ID,
            "oid": client_id,
            "jti": str(uuid.uuid4()),
            "issued_ms": now_ms,
        }
        header = _b64(orjson.dumps({"alg": "HS256", "typ": "JWT"}))
        body = _b64(orjson.dumps(payload))
        signature = hmac.new(key, f"{header}.{body}".encode(), hashlib.sha256).digest()
        return f"{header}.{body}.{_b64(signature)}"

    def verify(self, token: str) -> tuple[dict[str, Any] | None, str]:
        """The token's claims, or None and why it was refused."""
        parts = token.split(".")
        if len(parts) != 3:
            return None, "invalid_token"
        header, body, signature = parts
        try:
            claims = orjson.loads(_unb64(body))  # names the client whose key signed it
            key = self._key(str(claims.get("appid", ""))) if isinstance(claims, dict) else None
            if key is None:
                return None, "invalid_token"
            expected = hmac.new(key, f"{header}.{body}".encode(), hashlib.sha256).digest()
            if not hmac.compare_digest(expected, _unb64(signature)):
                return None, "invalid_token"
        except (ValueError, binascii.Error, orjson.JSONDecodeError):
            return None, "invalid_token"
        if (
            claims.get("exp", 0) <= time.time()
            or claims.get("issued_ms", 0) < self.revoked_before_ms
        ):
            return None, "expired"
        return claims, ""

    def expire_all(self) -> None:
        self.revoked_before_ms = int(time.time() * 1000) + 1


def _error(status: int, error: str, code: int, description: str) -> Response:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ")
    trace, correlation = str(uuid.uuid4()), str(uuid.uuid4())
    body = {
        "error": error,
        "error_description": (
            f"AADSTS{code}: {description}\r\nTrace ID: {trace}\r\n"
            f"Correlation ID: {correlation}\r\nTimestamp: {stamp}"
        ),
        "error_codes": [code],
        "timestamp": stamp,
        "trace_id": trace,
        "correlation_id": correlation,
        "error_uri": f"https://login.microsoftonline.com/error?code={code}",
    }
    return Response(
        orjson.dumps(body),
        status,
        {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"},
        media_type="application/json; charset=utf-8",
    )


def _basic(request: Request) -> tuple[str | None, str | None]:
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return None, None
    try:
        decoded = base64.b64decode(header[6:]).decode()
    except (ValueError, binascii.Error):
        return None, None
    user, _, password = decoded.partition(":")
    return user, password


async def token_endpoint(request: Request, issuer: TokenIssuer) -> Response:  # noqa: PLR0911
    form = await request.form()
    fields = {key: str(value) for key, value in form.items()}
    basic_id, basic_secret = _basic(request)
    client_id = fields.get("client_id") or basic_id
    client_secret = fields.get("client_secret") or basic_secret
    grant = fields.get("grant_type")
    if not grant:
        return _error(
            400,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'grant_type'.",
        )
    if grant != "client_credentials":
        return _error(
            400,
            "unsupported_grant_type",
            70003,
            f"The app requested an unsupported grant type '{grant}'.",
        )
    if not client_id:
        return _error(
            400,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'client_id'.",
        )
    expected_secret = issuer.secret_of(client_id)
    if expected_secret is None:
        return _error(
            400,
            "unauthorized_client",
            700016,
            f"Application with identifier '{client_id}' was not found in the directory.",
        )
    if not client_secret or not hmac.compare_digest(client_secret, expected_secret):
        return _error(
            401,
            "invalid_client",
            7000215,
            "Invalid client secret provided. Ensure the secret being sent in the "
            "request is the client secret value, not the client secret ID, for a "
            f"secret added to app '{client_id}'.",
        )
    scope = fields.get("scope")
    if not scope:
        return _error(
            400,
            "invalid_request",
            900144,
            "The request body must contain the following parameter: 'scope'.",
        )
    if not scope.strip().endswith("/.default"):
        return _error(
            400,
            "invalid_scope",
            1002012,
            f"The provided value for scope {scope} is not valid. Client credential "
            "flows must have a scope value with /.default suffixed to the resource "
            "identifier (application ID URI).",
        )
    token = issuer.issue(scope.strip(), client_id)
    body = {
        "token_type": "Bearer",
        "expires_in": issuer.lifetime_seconds,
        "ext_expires_in": issuer.lifetime_seconds,
        "access_token": token,
    }
    return Response(
        orjson.dumps(body),
        200,
        {"Cache-Control": "no-store, no-cache", "Pragma": "no-cache"},
        media_type="application/json; charset=utf-8",
    )
