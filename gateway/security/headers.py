"""Security headers on every response: no sniffing, no framing, no referrer, no caching, and a
Content-Security-Policy that lets the API's JSON do nothing and the GraphiQL page load only
its own pinned scripts."""

from __future__ import annotations

import base64
import hashlib
import re

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# GraphiQL's scripts and styles come from unpkg (pinned, with integrity hashes in the page).
GRAPHIQL_CDN = "https://unpkg.com"
# Its stylesheet may pull its typefaces from Google Fonts; without them it falls back to others.
WEB_FONTS_CSS = "https://fonts.googleapis.com"
WEB_FONTS = "https://fonts.gstatic.com"

_INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)

COMMON_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def page_policy(html: str) -> str:
    """A policy for an HTML page: its inline scripts by hash, nothing else inline."""
    hashes = " ".join(f"'sha256-{_digest(script)}'" for script in _INLINE_SCRIPT.findall(html))
    return (
        f"default-src 'none'; script-src {GRAPHIQL_CDN} {hashes}; "
        f"style-src {GRAPHIQL_CDN} {WEB_FONTS_CSS} 'unsafe-inline'; img-src 'self' data:; "
        f"font-src {GRAPHIQL_CDN} {WEB_FONTS} data:; connect-src 'self'; "
        "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    )


def _digest(script: str) -> str:
    return base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()


def graphiql_policy() -> str:
    from strawberry.http.ides import get_graphql_ide_html

    return page_policy(get_graphql_ide_html("graphiql"))


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, html_policy: str) -> None:
        self.app = app
        self.html_policy = html_policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                is_html = headers.get("content-type", "").startswith("text/html")
                headers.setdefault(
                    "Content-Security-Policy", self.html_policy if is_html else API_POLICY
                )
                for name, value in COMMON_HEADERS.items():
                    headers.setdefault(name, value)
            await send(message)

        await self.app(scope, receive, send_with_headers)
