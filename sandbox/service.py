"""The running sandbox: its MongoDB client, the emulated APIs, their change notifications
and the switches around them."""

from __future__ import annotations

from typing import Any

from pymongo import AsyncMongoClient

from sandbox import reference
from sandbox.auth import TokenIssuer
from sandbox.bc.api import BusinessCentralApi
from sandbox.bc.catalogue import CATALOGUE as BC_CATALOGUE
from sandbox.bc.catalogue import COMPANY_SETS
from sandbox.bc.context import DEFAULT_COMPANY_ID, BusinessCentral
from sandbox.bc.flavour import BusinessCentralFlavour
from sandbox.bc.webhooks import BcWebhooks
from sandbox.config import SandboxConfig
from sandbox.dataverse.api import DataverseApi
from sandbox.dataverse.catalogue import CATALOGUE as DATAVERSE_CATALOGUE
from sandbox.dataverse.catalogue import TABLES
from sandbox.dataverse.context import Dataverse
from sandbox.dataverse.flavour import DataverseFlavour
from sandbox.dataverse.webhooks import DataverseWebhooks
from sandbox.faults import Faults
from sandbox.notify.outbox import Outbox
from sandbox.notify.settings import NotificationSettings
from sandbox.pipeline import Pipeline
from sandbox.projectserver import demo as projectserver_demo
from sandbox.projectserver.api import ProjectServerApi
from sandbox.projectserver.digest import Digests
from sandbox.projectserver.flavour import ProjectServerFlavour
from sandbox.projectserver.queue import QueueService
from sandbox.projectserver.state import ProjectServerState
from sandbox.seed.plan import SeedPlan
from sandbox.seed.writer import seed
from sandbox.stats import RequestStats
from sandbox.store.database import ApiDatabase


class Sandbox:
    def __init__(self, config: SandboxConfig) -> None:
        self.config = config
        self.client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(config.mongodb_url)
        self.dataverse_db = ApiDatabase(self.client[config.dataverse_database], DATAVERSE_CATALOGUE)
        self.bc_db = ApiDatabase(self.client[config.bc_database], BC_CATALOGUE)
        self.issuer = TokenIssuer(
            config.client_id, config.client_secret, config.token_lifetime_seconds
        )
        self.faults = Faults()
        self.stats = RequestStats()
        self.pipeline = Pipeline(self.issuer, self.faults, self.stats)
        self.notification_settings = NotificationSettings()
        self.outbox = Outbox(lambda: self.notification_settings)
        self.bc_webhooks = BcWebhooks(self.bc_db, self.outbox, lambda: self.notification_settings)
        self.dataverse_webhooks = DataverseWebhooks(
            self.dataverse_db, self.outbox, lambda: self.notification_settings, reference.CALLER_ID
        )
        self.bc_db.observers.append(self.bc_webhooks.observe)
        self.dataverse_db.observers.append(self.dataverse_webhooks.observe)
        self.dataverse = DataverseFlavour(
            DataverseApi(Dataverse(self.dataverse_db, reference.CALLER_ID))
        )
        self.bc = BusinessCentralFlavour(
            BusinessCentralApi(BusinessCentral(self.bc_db), self.bc_webhooks)
        )
        self.projectserver_state = ProjectServerState(self.client[config.projectserver_database])
        self.projectserver_queue = QueueService(self.projectserver_state)
        self.projectserver = ProjectServerFlavour(
            ProjectServerApi(
                self.projectserver_state, self.projectserver_queue, Digests(config.client_secret)
            )
        )

    def configure_notifications(self, settings: NotificationSettings) -> None:
        self.notification_settings = settings
        self.outbox.configure(settings)

    async def start(self) -> None:
        """Prepare the databases and start delivering notifications (in this event loop)."""
        await self.outbox.start()
        await self.dataverse_webhooks.start()
        await self._prepare()
        await self.bc_webhooks.load()
        if self.config.seed_if_empty and await self.is_empty():
            await self.seed(SeedPlan.demo(self.config.demo_size, self.config.seed))
        if self.config.seed_if_empty and await self.projectserver_state.is_empty():
            await self.seed_projectserver(projectserver_demo.DemoPlan(seed=self.config.seed))
        await self.projectserver_queue.start()

    async def _prepare(self, *, indexes: bool = True) -> None:
        if indexes:
            await self.dataverse_db.ensure_indexes()
            await self.bc_db.ensure_indexes()
            await self.projectserver_state.ensure_indexes()
        await reference.install(self.dataverse_db, self.bc_db)
        await projectserver_demo.install_reference(self.projectserver_state)

    async def is_empty(self) -> bool:
        accounts = self.dataverse_db.collection(TABLES["accounts"].entity_set)
        customers = self.bc_db.collection(COMPANY_SETS["customers"])
        return (
            await accounts.find_one({}, {"_id": 1}) is None
            and await customers.find_one({}, {"_id": 1}) is None
        )

    async def reset(self) -> None:
        """Drop all sandbox data; recreate the default company and reference data."""
        kept = [await self.dataverse_db.clear(), await self.bc_db.clear()]
        await self.projectserver_queue.close()
        await self.projectserver_state.clear()
        self.projectserver_queue.pause(False)
        await self._prepare(indexes=not all(kept))
        self.bc_webhooks.clear()
        self.dataverse_webhooks.clear()
        self.outbox.clear()
        self.configure_notifications(NotificationSettings())
        self.faults.clear()
        self.stats.reset()
        self.issuer.lifetime_seconds = self.config.token_lifetime_seconds

    async def seed(self, plan: SeedPlan) -> dict[str, int]:
        return await seed(self.dataverse_db, self.bc_db, plan, DEFAULT_COMPANY_ID)

    async def seed_projectserver(self, plan: projectserver_demo.DemoPlan) -> dict[str, int]:
        return await projectserver_demo.seed(self.projectserver_state, plan)

    async def close(self) -> None:
        await self.dataverse_webhooks.close()
        await self.outbox.close()
        await self.projectserver_queue.close()
        await self.client.close()
