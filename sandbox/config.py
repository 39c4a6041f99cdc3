"""How a sandbox is configured: where its data lives and which client it accepts."""

from __future__ import annotations

from dataclasses import dataclass

from sandbox.auth import DEFAULT_LIFETIME


@dataclass(frozen=True, slots=True)
class SandboxConfig:
    mongodb_url: str
    client_id: str
    client_secret: str
    database_prefix: str = "sandbox"
    token_lifetime_seconds: int = DEFAULT_LIFETIME
    seed_if_empty: bool = False
    seed: int = 42  # the random seed of the demo data written by `seed_if_empty`
    demo_size: int = 30  # records of each kind in that demo data

    @property
    def dataverse_database(self) -> str:
        return f"{self.database_prefix}_dataverse"

    @property
    def bc_database(self) -> str:
        return f"{self.database_prefix}_bc"

    @property
    def projectserver_database(self) -> str:
        return f"{self.database_prefix}_projectserver"
