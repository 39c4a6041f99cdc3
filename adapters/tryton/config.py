"""Where a Tryton server is and who the gateway is there."""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import quote, urlsplit

from adapters.transport import TransportWrapper


@dataclass(frozen=True, slots=True)
class TrytonConfig:
    """Connection settings of one Tryton database.

    `url` is the server's root (`https://erp.example.com`), `database` the database name on it;
    the user logs in with `password` and works with that user's context (company, language).
    `batch_size` bounds the ids sent in one call; `timeout` is per HTTP request, in seconds;
    `max_attempts` tries a call takes when the server is busy or unreachable (reads always,
    writes only when they certainly did not reach it); `max_concurrency` calls in flight.
    """

    url: str
    database: str
    user: str
    password: str = field(repr=False)
    language: str | None = None
    batch_size: int = 200
    timeout: float = 30.0
    # Wraps the HTTP transport of the connector's own client (metrics, traces).
    wrap_transport: TransportWrapper | None = field(default=None, repr=False, compare=False)
    max_attempts: int = 5
    max_concurrency: int = 4

    def __post_init__(self) -> None:
        parts = urlsplit(self.url)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ValueError(f"url: {self.url!r} is not an http(s) URL")
        if not self.database.strip():
            raise ValueError("database: must not be empty")
        if not self.user.strip():
            raise ValueError("user: must not be empty")
        if not self.password:
            raise ValueError("password: must not be empty")
        if self.batch_size < 1:
            raise ValueError("batch_size: must be at least 1")
        if self.timeout <= 0:
            raise ValueError("timeout: must be positive")
        if self.max_attempts < 1:
            raise ValueError("max_attempts: must be at least 1")
        if self.max_concurrency < 1:
            raise ValueError("max_concurrency: must be at least 1")

    @property
    def database_url(self) -> str:
        """The database's root; JSON-RPC is served below it."""
        return f"{self.url.rstrip('/')}/{quote(self.database, safe='')}/"
