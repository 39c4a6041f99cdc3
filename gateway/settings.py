"""Configuration from the environment (and `.env`), validated once at start-up.

This is the only module that reads the environment. Everything else receives a `Settings`
instance (or the values it needs) as an argument.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import AnyHttpUrl, Field, MongoDsn, RedisDsn, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict


class Environment(StrEnum):
    DEV = "dev"
    PRODUCTION = "production"


class ErpKind(StrEnum):
    BUSINESS_CENTRAL = "business_central"
    TRYTON = "tryton"


Port = Annotated[int, Field(ge=1, le=65535)]


class Settings(BaseSettings):
    """Every setting of the gateway; environment variable names are the upper-cased field names."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        env_ignore_empty=True,
        case_sensitive=False,
    )

    gateway_env: Environment = Environment.PRODUCTION
    gateway_host: str = "127.0.0.1"
    gateway_port: Port = 8000
    gateway_data_dir: Path = Path(".gateway-data")
    gateway_dev_api_key: SecretStr | None = None
    gateway_log_level: str = "info"

    # MongoDB holds every durable fact of the gateway; Redis only carries background work.
    mongodb_url: MongoDsn | None = None
    mongodb_database: str = Field(default="gateway", pattern=r"^[A-Za-z0-9_-]{1,63}$")
    redis_url: RedisDsn | None = None

    # The sandbox (protocol-faithful Dataverse and Business Central) that `gateway dev` runs.
    sandbox_host: str = "127.0.0.1"
    sandbox_port: Port = 8001
    sandbox_enabled: bool = True

    # CRM: Dynamics 365 Sales (Dataverse Web API).
    crm_url: AnyHttpUrl | None = None
    crm_token_url: AnyHttpUrl | None = None
    crm_client_id: str | None = None
    crm_client_secret: SecretStr | None = None
    crm_scope: str | None = None

    # ERP: Business Central (API v2.0) or Tryton (JSON-RPC).
    erp: ErpKind = ErpKind.BUSINESS_CENTRAL
    bc_url: AnyHttpUrl | None = None
    bc_token_url: AnyHttpUrl | None = None
    bc_client_id: str | None = None
    bc_client_secret: SecretStr | None = None
    bc_scope: str | None = None
    bc_company_id: str | None = None
    # Connector limits, within Microsoft's service protection limits (Dataverse: 52 concurrent
    # requests per user; Business Central: 5 processed at a time per user, the rest queued).
    crm_max_concurrency: int = Field(default=16, ge=1, le=52)
    bc_max_concurrency: int = Field(default=5, ge=1, le=100)
    connector_timeout_seconds: float = Field(default=30.0, gt=0)
    connector_max_attempts: int = Field(default=5, ge=1, le=20)
    tryton_url: AnyHttpUrl | None = None
    tryton_database: str | None = None
    tryton_user: str | None = None
    tryton_password: SecretStr | None = None

    @property
    def is_dev(self) -> bool:
        return self.gateway_env is Environment.DEV

    def require(self, *names: str) -> None:
        """Raise `ConfigurationError` naming the first of `names` that is not set."""
        for name in names:
            if getattr(self, name) is None:
                raise ConfigurationError(
                    f"{name.upper()} is required: set it in the environment or in .env"
                )


class ConfigurationError(Exception):
    """A setting is missing or invalid; the message is one line that names the variable."""


def load_settings(**overrides: object) -> Settings:
    """Read and validate the settings, turning pydantic's report into one line per variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        raise ConfigurationError(describe_validation_error(exc)) from None


def describe_validation_error(exc: ValidationError) -> str:
    problems = []
    for error in exc.errors():
        variable = ".".join(str(part) for part in error["loc"]).upper() or "configuration"
        problems.append(f"{variable}: {error['msg']}")
    return "; ".join(problems)
