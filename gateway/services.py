"""The shared clients of one process, built once and handed down (never module globals)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from arq.connections import ArqRedis
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from redis.asyncio import ConnectionPool

from adapters.base import Connector
from gateway import events
from gateway.connectors import build_crm, build_erp, build_project_management
from gateway.events.hub import EventHub
from gateway.mappings.defaults import defaults_for, defaults_of, project_defaults_of
from gateway.mappings.health import MappingHealth, check_mappings, log_problems
from gateway.mappings.model import OtherSystem, TableMapping
from gateway.mappings.store import MappingRepository
from gateway.observability.tracing import TracedArqRedis
from gateway.settings import Settings
from gateway.store import connect_mongo, ensure_indexes, ping_mongo
from gateway.store.couplings import CouplingRepository
from gateway.store.integration_log import IntegrationLog
from gateway.store.job_queue import EntryDefaults, JobQueueEntries, JobQueueTokens
from gateway.store.leases import LeaseRepository
from gateway.store.sync_errors import SyncErrorRepository
from gateway.store.sync_runs import SyncRunRepository
from gateway.types import Document

log = logging.getLogger(__name__)


def connect_redis(url: str) -> ArqRedis:
    """An arq-capable Redis client that connects lazily (no ping at creation); the jobs it
    queues continue the caller's trace."""
    return TracedArqRedis(
        ConnectionPool.from_url(url, socket_connect_timeout=5, health_check_interval=30)
    )


@dataclass
class Services:
    """What every request, job and command of this process shares."""

    settings: Settings
    mongo: AsyncMongoClient[Document]
    db: AsyncDatabase[Document]
    redis: ArqRedis
    # Changes of runs, errors and entries to and from every process (see `gateway.events`).
    publisher: events.EventPublisher
    events: EventHub
    store_ready: asyncio.Event = field(default_factory=asyncio.Event)
    # The external systems (None when not configured); each owns its HTTP client.
    crm: Connector | None = None
    erp: Connector | None = None
    projects: Connector | None = None  # the project-management system

    def other(self, system: OtherSystem) -> Connector | None:
        """The connector on a mapping's other side from the ERP."""
        return self.projects if system is OtherSystem.PROJECT_MANAGEMENT else self.crm

    @property
    def couplings(self) -> CouplingRepository:
        return CouplingRepository(self.db)

    @property
    def mappings(self) -> MappingRepository:
        return MappingRepository(self.db)

    @property
    def integration_log(self) -> IntegrationLog:
        return IntegrationLog(self.db)

    @property
    def runs(self) -> SyncRunRepository:
        return SyncRunRepository(self.db)

    @property
    def sync_errors(self) -> SyncErrorRepository:
        return SyncErrorRepository(self.db)

    @property
    def leases(self) -> LeaseRepository:
        return LeaseRepository(self.db)

    @property
    def tokens(self) -> JobQueueTokens:
        return JobQueueTokens(self.db)

    @property
    def job_queue(self) -> JobQueueEntries:
        """The job queue entries, with this deployment's defaults for new ones."""
        return JobQueueEntries(
            self.db,
            EntryDefaults(
                minutes_between_runs=self.settings.job_minutes_between_runs,
                inactivity_timeout_minutes=self.settings.job_inactivity_timeout_minutes or None,
            ),
        )

    async def mapping_health(self) -> MappingHealth:
        """Every stored mapping, in dependency order, with what keeps each from running."""
        return check_mappings(
            await self.mappings.all(), erp=self.erp, crm=self.crm, projects=self.projects
        )

    async def aclose(self) -> None:
        events.detach(self.db)
        await self.publisher.aclose()
        await self.events.aclose()
        for connector in (self.crm, self.erp, self.projects):
            if connector is not None:
                await connector.aclose()
        await self.redis.aclose(close_connection_pool=True)
        await self.mongo.close()


class NotConfiguredError(RuntimeError):
    """An operation needs a connection that the settings do not configure."""


def default_mappings(services: Services) -> list[TableMapping]:
    """The default mappings for the configured systems: the CRM's once the ERP and the CRM are
    configured, the project-management system's once it is too."""
    erp = services.erp
    if erp is None or services.crm is None:
        return []
    defaults = defaults_of(erp.system)
    if services.projects is not None:
        defaults += project_defaults_of(erp.system)
    return defaults_for(
        defaults,
        erp_entities=set(erp.entities()),
        crm_entities=set(services.crm.entities()),
        project_entities=set(services.projects.entities()) if services.projects else set(),
    )


def build_services(settings: Settings) -> Services:
    settings.require("mongodb_url", "redis_url")
    redis = connect_redis(str(settings.redis_url))  # connects on first use, not here
    # Configuration errors before any other client; each system's budget shared in Redis.
    crm, erp = build_crm(settings, redis), build_erp(settings, redis)
    projects = build_project_management(settings, redis)
    mongo = connect_mongo(str(settings.mongodb_url))
    db = mongo[settings.mongodb_database]
    publisher = events.EventPublisher(redis, settings.mongodb_database)
    events.attach(db, publisher)
    return Services(
        settings=settings,
        mongo=mongo,
        db=db,
        redis=redis,
        publisher=publisher,
        events=EventHub(redis, events.channel_name(settings.mongodb_database)),
        crm=crm,
        erp=erp,
        projects=projects,
    )


async def prepare_store(services: Services, *, max_delay: float = 30.0) -> None:
    """Create indexes once MongoDB answers, retrying with backoff and saying what is missing."""
    delay = 0.5
    while True:
        try:
            await ping_mongo(services.db)
            await ensure_indexes(services.db)
            await services.mappings.ensure_defaults(default_mappings(services))
        except Exception as exc:  # any failure here means "not reachable yet"
            log.warning(
                "MongoDB is not reachable (%s); retrying in %.1fs", type(exc).__name__, delay
            )
            await asyncio.sleep(delay)
            delay = min(delay * 2, max_delay)
        else:
            services.store_ready.set()
            await _report_mapping_problems(services)
            return


async def _report_mapping_problems(services: Services) -> None:
    """Log what keeps a stored mapping out of synchronization, one line per problem."""
    if services.erp is None or services.crm is None:
        return
    try:
        log_problems(await services.mapping_health())
    except Exception:  # a report must never stop the start-up
        log.exception("the table mappings could not be checked")


@contextlib.asynccontextmanager
async def open_services(
    settings: Settings, *, wait_for_store: bool = False
) -> AsyncIterator[Services]:
    """Build the clients, prepare the store (in the background unless asked to wait), close all."""
    services = build_services(settings)
    preparing = asyncio.create_task(prepare_store(services), name="prepare-store")
    try:
        if wait_for_store:
            await preparing
        yield services
    finally:
        preparing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await preparing
        await services.aclose()
