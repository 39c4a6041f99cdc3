"""Configuration from the environment (and `.env`), validated once at start-up.

This is the only module that reads the environment. Everything else receives a `Settings`
instance (or the values it needs) as an argument.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal

from pydantic import (
    AnyHttpUrl,
    Field,
    MongoDsn,
    RedisDsn,
    SecretStr,
    ValidationError,
    field_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


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
    # Longest URL a connector sends; a batch of ids is split into as many requests as this
    # needs. Dataverse accepts 32,768 characters; 16,384 fits a page of 200 ids in one request
    # per hop. Lower it (down to 2,048) when a proxy in between refuses long URLs.
    connector_max_url_length: int = Field(default=16384, ge=1024, le=32768)
    # Synchronization: records per change batch, how many failures in a row mark a coupling
    # SKIPPED (scheduled runs leave it alone until someone retries it), and how long a run's
    # lease on its mapping lasts without being renewed (a crashed run frees it after that).
    sync_page_size: int = Field(default=500, ge=1, le=5000)
    sync_skip_after_failures: int = Field(default=3, ge=1)
    sync_lease_seconds: float = Field(default=300.0, gt=0)
    # Job queue: each mapping's entry runs every `job_minutes_between_runs` minutes and goes on
    # hold after `job_inactivity_timeout_minutes` without changes (0: never); a run stopped by
    # an outage is tried up to `job_max_tries` times with exponential backoff; the scheduler
    # looks for due entries every `scheduler_tick_seconds` in every worker (unless disabled).
    job_minutes_between_runs: int = Field(default=5, ge=1, le=10080)
    job_inactivity_timeout_minutes: int = Field(default=720, ge=0, le=525600)
    job_max_tries: int = Field(default=5, ge=1, le=50)
    job_retry_base_seconds: float = Field(default=10.0, gt=0)
    job_retry_max_seconds: float = Field(default=900.0, gt=0)
    job_timeout_seconds: float = Field(default=3600.0, gt=0)
    scheduler_enabled: bool = True
    scheduler_tick_seconds: int = Field(default=5, ge=1, le=60)
    # Change notifications: with ERP_NOTIFICATIONS / CRM_NOTIFICATIONS on, the gateway
    # subscribes to that system's webhooks (where its connector can push changes), received at
    # NOTIFICATIONS_PUBLIC_URL (the gateway's address as the systems reach it) + hooks/<hook>;
    # notifications of a mapping within NOTIFICATION_WINDOW_SECONDS are carried in one run;
    # subscriptions are renewed NOTIFICATION_RENEW_BEFORE_MINUTES before they expire.
    erp_notifications: bool = False
    crm_notifications: bool = False
    notifications_public_url: AnyHttpUrl | None = None
    notification_window_seconds: float = Field(default=0.5, gt=0, le=60)
    notification_renew_before_minutes: int = Field(default=1440, ge=1, le=10080)
    # Cross-system lifecycles: background processing of activated CRM quotes and submitted
    # CRM orders (the seeds' "Automatically Process Quotes" / "Automatically Create Sales
    # Orders"), the ERP item or resource that write-in products map to, and how long a
    # workflow's lease lasts without a step (a crashed run is resumed after that).
    auto_process_quotes: bool = False
    auto_create_sales_orders: bool = False
    write_in_product_type: Literal["item", "resource"] = "item"
    write_in_product_number: str | None = Field(default=None, max_length=20)
    workflow_lease_seconds: float = Field(default=60.0, gt=0)
    # Tests only: kill the process at this point of a workflow ("<step>" once the step is
    # recorded, "<step>:before-record" once its work is done but before it is recorded).
    workflow_fault_point: str | None = None
    tryton_url: AnyHttpUrl | None = None
    tryton_database: str | None = None
    tryton_user: str | None = None
    tryton_password: SecretStr | None = None

    # API security: limits every GraphQL request must stay within, GraphiQL and introspection
    # (None: on in dev, off in production), a rate limit per API key (0: off) and CORS.
    graphql_max_depth: int = Field(default=15, ge=1)
    graphql_max_aliases: int = Field(default=30, ge=0)
    graphql_max_tokens: int = Field(default=5_000, ge=100)
    graphql_max_page_size: int = Field(default=200, ge=1)
    graphql_max_batch_operations: int = Field(default=10, ge=1)
    graphql_max_body_bytes: int = Field(default=1_048_576, ge=1_024)
    graphql_ide: bool | None = None
    graphql_introspection: bool | None = None
    api_rate_limit: int = Field(default=1_200, ge=0)
    api_rate_window_seconds: int = Field(default=60, ge=1)
    api_cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)

    @field_validator("api_cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        """Accept `https://a.example,https://b.example` as well as a list."""
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @property
    def is_dev(self) -> bool:
        return self.gateway_env is Environment.DEV

    @property
    def graphiql_enabled(self) -> bool:
        return self.is_dev if self.graphql_ide is None else self.graphql_ide

    @property
    def introspection_enabled(self) -> bool:
        return self.is_dev if self.graphql_introspection is None else self.graphql_introspection

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
