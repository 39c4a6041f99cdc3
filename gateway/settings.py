"""Configuration from the environment (and `.env`), validated once at start-up.

This is the only module that reads the environment. Everything else receives a `Settings`
instance (or the values it needs) as an argument.
"""

from __future__ import annotations

from dataclasses import dataclass, field
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

from adapters import systems


class Environment(StrEnum):
    DEV = "dev"
    PRODUCTION = "production"


class ErpKind(StrEnum):
    """Which ERP `ERP` names: the system id of its connector."""

    BUSINESS_CENTRAL = systems.BUSINESS_CENTRAL
    TRYTON = systems.TRYTON


Port = Annotated[int, Field(ge=1, le=65535)]
LogLevel = Literal["critical", "error", "warning", "info", "debug"]
# A dev key is an admin key on a machine that may be reachable from others: long enough that
# guessing it is out of the question.
MIN_DEV_API_KEY_LENGTH = 24


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
    gateway_log_level: LogLevel = "info"

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
    # More application users, as a JSON object of client id to secret: the service limits hold
    # per user, so requests are spread over all of them, each with its own budget.
    crm_more_credentials: dict[str, SecretStr] = Field(default_factory=dict)

    # ERP: Business Central (API v2.0) or Tryton (JSON-RPC).
    erp: ErpKind = ErpKind.BUSINESS_CENTRAL
    bc_url: AnyHttpUrl | None = None
    bc_token_url: AnyHttpUrl | None = None
    bc_client_id: str | None = None
    bc_client_secret: SecretStr | None = None
    bc_scope: str | None = None
    bc_more_credentials: dict[str, SecretStr] = Field(default_factory=dict)
    bc_company_id: str | None = None
    # Project management: Project Server / Project Online (the Project Web App site's REST API).
    projectserver_url: AnyHttpUrl | None = None
    projectserver_token_url: AnyHttpUrl | None = None
    projectserver_client_id: str | None = None
    projectserver_client_secret: SecretStr | None = None
    projectserver_scope: str | None = None
    projectserver_max_concurrency: int = Field(default=6, ge=1, le=50)
    # Connector limits, within Microsoft's service protection limits (Dataverse: 52 concurrent
    # requests per user; Business Central: 5 processed at a time per user, the rest queued).
    crm_max_concurrency: int = Field(default=16, ge=1, le=52)
    bc_max_concurrency: int = Field(default=5, ge=1, le=100)
    # Each system's budget for all processes together, shared through Redis (per credential):
    # requests in flight, and requests per window (0: no window), as the services publish
    # them. A 429 with Retry-After seen by any process pauses every process.
    request_budget_shared: bool = True
    crm_budget_concurrency: int = Field(default=52, ge=1)
    crm_budget_requests: int = Field(default=6000, ge=0)
    crm_budget_window_seconds: float = Field(default=300.0, gt=0)
    bc_budget_concurrency: int = Field(default=5, ge=1)
    bc_budget_requests: int = Field(default=6000, ge=0)
    bc_budget_window_seconds: float = Field(default=300.0, gt=0)
    tryton_budget_concurrency: int = Field(default=8, ge=1)
    projectserver_budget_concurrency: int = Field(default=6, ge=1)
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
    # A record that failed is tried again by its mapping's scheduled runs after this delay,
    # doubling with each try up to the maximum (at once when what it waited for is coupled).
    sync_retry_base_seconds: float = Field(default=60.0, gt=0)
    sync_retry_max_seconds: float = Field(default=3600.0, gt=0)
    sync_lease_seconds: float = Field(default=60.0, gt=0)
    # Pages of a full synchronization applied at once by whichever workers are free (the run
    # reads them and applies what no worker has taken); 1: the run applies each in turn.
    sync_parallel_pages: int = Field(default=4, ge=1, le=64)
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
    # Every long-running worker's lifecycle tick (resume interrupted workflows, carry each
    # system's document states across) runs every this many seconds; 0 turns it off.
    lifecycle_tick_seconds: int = Field(default=30, ge=0, le=60)
    tryton_url: AnyHttpUrl | None = None
    tryton_database: str | None = None
    tryton_user: str | None = None
    tryton_password: SecretStr | None = None
    # Requests in flight to trytond at once (its default server runs a handful of workers).
    tryton_max_concurrency: int = Field(default=4, ge=1, le=64)

    # API security: limits every GraphQL request must stay within, GraphiQL and introspection
    # (None: on in dev, off in production), a rate limit per API key (0: off) and CORS.
    graphql_max_depth: int = Field(default=15, ge=1)
    graphql_max_aliases: int = Field(default=30, ge=0)
    graphql_max_tokens: int = Field(default=5_000, ge=100)
    graphql_max_page_size: int = Field(default=200, ge=1)
    # Fields of one operation with its fragments written out: what validating and executing
    # it may cost, whatever the document's size.
    graphql_max_fields: int = Field(default=10_000, ge=100)
    # Objects one request's answers may hold (page sizes x hops x aliases x operations).
    graphql_max_cost: int = Field(default=50_000, ge=1)
    graphql_max_batch_operations: int = Field(default=10, ge=1)
    graphql_max_body_bytes: int = Field(default=1_048_576, ge=1_024)
    graphql_ide: bool | None = None
    graphql_introspection: bool | None = None
    # Queries follow a plan made once per document (same answers, less work per field);
    # false runs every operation through graphql-core's executor alone.
    graphql_execution_plans: bool = True
    api_rate_limit: int = Field(default=1_200, ge=0)
    api_rate_window_seconds: int = Field(default=60, ge=1)
    # Unknown keys from one client address per window before it is answered 429 (0: off).
    api_auth_failure_limit: int = Field(default=20, ge=0)
    api_cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list)

    # Operators: /metrics for anyone (a scraper on a trusted network) rather than admin keys;
    # logs as JSON lines or human lines (None: human in dev, JSON in production); traces to
    # an OpenTelemetry collector when OTEL_EXPORTER_OTLP_ENDPOINT is set (the exporter reads
    # the other OTEL_* variables itself).
    metrics_public: bool = False
    # A worker's own metrics (its backend requests) on this port of GATEWAY_HOST; none: off.
    worker_metrics_port: Port | None = None
    gateway_log_format: Literal["json", "console"] | None = None
    otel_exporter_otlp_endpoint: AnyHttpUrl | None = None

    @field_validator("gateway_log_level", mode="before")
    @classmethod
    def _lower_level(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("gateway_dev_api_key")
    @classmethod
    def _long_dev_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < MIN_DEV_API_KEY_LENGTH:
            raise ValueError(f"must be at least {MIN_DEV_API_KEY_LENGTH} characters")
        return value

    @field_validator("api_cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        """Accept `https://a.example,https://b.example` as well as a list."""
        if isinstance(value, str):
            return [origin.strip() for origin in value.split(",") if origin.strip()]
        return value

    @property
    def crm(self) -> OAuthSystem | None:
        """The CRM connection (Dataverse), or None when `CRM_URL` is not set."""
        if self.crm_url is None:
            return None
        return OAuthSystem(
            "CRM",
            str(self.crm_url),
            _text(self.crm_token_url),
            self.crm_client_id,
            self.crm_client_secret,
            self.crm_scope,
            self.crm_max_concurrency,
            more_credentials=tuple(self.crm_more_credentials.items()),
            budget=(
                self.crm_budget_concurrency,
                self.crm_budget_requests,
                self.crm_budget_window_seconds,
            ),
        )

    @property
    def bc(self) -> OAuthSystem | None:
        """The Business Central connection, when it is the ERP and `BC_URL` is set."""
        if self.erp is not ErpKind.BUSINESS_CENTRAL or self.bc_url is None:
            return None
        return OAuthSystem(
            "BC",
            str(self.bc_url),
            _text(self.bc_token_url),
            self.bc_client_id,
            self.bc_client_secret,
            self.bc_scope,
            self.bc_max_concurrency,
            company_id=self.bc_company_id,
            more_credentials=tuple(self.bc_more_credentials.items()),
            budget=(
                self.bc_budget_concurrency,
                self.bc_budget_requests,
                self.bc_budget_window_seconds,
            ),
        )

    @property
    def project_server(self) -> OAuthSystem | None:
        """The project-management system (Project Server), when `PROJECTSERVER_URL` is set."""
        if self.projectserver_url is None:
            return None
        return OAuthSystem(
            "PROJECTSERVER",
            str(self.projectserver_url),
            _text(self.projectserver_token_url),
            self.projectserver_client_id,
            self.projectserver_client_secret,
            self.projectserver_scope,
            self.projectserver_max_concurrency,
            budget=(self.projectserver_budget_concurrency, 0, 1.0),
        )

    @property
    def tryton(self) -> TrytonSystem | None:
        """The Tryton connection, when it is the ERP and `TRYTON_URL` is set."""
        if self.erp is not ErpKind.TRYTON or self.tryton_url is None:
            return None
        return TrytonSystem(
            str(self.tryton_url),
            self.tryton_database,
            self.tryton_user,
            self.tryton_password,
            self.tryton_max_concurrency,
        )

    @property
    def is_dev(self) -> bool:
        return self.gateway_env is Environment.DEV

    @property
    def log_format(self) -> str:
        if self.gateway_log_format is not None:
            return self.gateway_log_format
        return "console" if self.is_dev else "json"

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


@dataclass(frozen=True, slots=True)
class OAuthSystem:
    """One system reached with OAuth 2.0 client credentials, as its `<PREFIX>_*` settings
    give it; `require` names the first missing variable."""

    prefix: str
    url: str
    token_url: str | None
    client_id: str | None
    client_secret: SecretStr | None = field(repr=False)
    scope: str | None
    max_concurrency: int
    company_id: str | None = None
    more_credentials: tuple[tuple[str, SecretStr], ...] = field(default=(), repr=False)
    # For all processes together: requests in flight, per window, the window in seconds.
    budget: tuple[int, int, float] = (1, 0, 1.0)

    def require(self) -> None:
        for name, value in (
            ("TOKEN_URL", self.token_url),
            ("CLIENT_ID", self.client_id),
            ("CLIENT_SECRET", self.client_secret),
        ):
            if value is None:
                raise ConfigurationError(
                    f"{self.prefix}_{name} is required when {self.prefix}_URL is set"
                )


@dataclass(frozen=True, slots=True)
class TrytonSystem:
    url: str
    database: str | None
    user: str | None
    password: SecretStr | None = field(repr=False)
    max_concurrency: int

    def require(self) -> None:
        for name, value in (
            ("DATABASE", self.database),
            ("USER", self.user),
            ("PASSWORD", self.password),
        ):
            if value is None:
                raise ConfigurationError(f"TRYTON_{name} is required when TRYTON_URL is set")


def _text(value: object) -> str | None:
    return None if value is None else str(value)


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
        problems.append(f"{variable}: {error['msg'].removeprefix('Value error, ')}")
    return "; ".join(problems)
