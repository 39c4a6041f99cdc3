"""The application-wide HTTP middleware of the security layer: headers and CORS."""

from __future__ import annotations

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware

from gateway.security.headers import SecurityHeadersMiddleware
from gateway.settings import Settings

CORS_MAX_AGE_SECONDS = 600


def security_middleware(settings: Settings) -> list[Middleware]:
    """Security headers on every response; CORS only for the origins configured (none by
    default: browsers then refuse pages of other origins to read our answers)."""
    middleware = [Middleware(SecurityHeadersMiddleware)]
    if settings.api_cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=settings.api_cors_origins,
                allow_methods=["GET", "POST"],
                allow_headers=["Authorization", "Content-Type"],
                allow_credentials=False,  # keys travel in a header, never in cookies
                max_age=CORS_MAX_AGE_SECONDS,
            )
        )
    return middleware
