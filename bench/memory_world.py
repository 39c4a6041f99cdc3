"""Backends answered from memory, for measuring the GraphQL layer alone.

Both systems are `MemoryConnector`s holding one page of accounts, their customers and the
records behind both systems' figures; the couplings come from an in-memory stand-in of the
coupling repository (one dict lookup per id instead of a MongoDB round trip). The gateway's
schema and the hand-built baseline read the very same objects.
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from pymongo import AsyncMongoClient

from adapters.base import Side
from adapters.memory import MemoryConnector
from gateway.couplings.views import CUSTOMER_MAPPING
from gateway.events import EventPublisher, channel_name
from gateway.events.hub import EventHub
from gateway.services import Services, connect_redis
from gateway.settings import Settings
from gateway.store.couplings import CoupledRecord, Coupling, CouplingRepository
from gateway.types import Document, SideName


class MemoryCouplings(CouplingRepository):
    """The reads a page of accounts makes, from a dict; nothing else is supported."""

    def __init__(self, db: object, couplings: Iterable[Coupling]) -> None:
        super().__init__(db)  # type: ignore[arg-type]
        self._by_side: dict[tuple[str, SideName, str], Coupling] = {}
        self.add(couplings)

    def add(self, couplings: Iterable[Coupling]) -> None:
        for coupling in couplings:
            self._by_side[(coupling.mapping, "erp", coupling.erp.id)] = coupling
            self._by_side[(coupling.mapping, "crm", coupling.crm.id)] = coupling

    def of_mapping(self, mapping: str) -> list[Coupling]:
        found = {c.id: c for (name, _, _), c in self._by_side.items() if name == mapping}
        return list(found.values())

    async def by_ids(self, mapping: str, side: SideName, ids: Iterable[str]) -> dict[str, Coupling]:
        found = {}
        for id in dict.fromkeys(ids):
            coupling = self._by_side.get((mapping, side, id))
            if coupling is not None:
                found[id] = coupling
        return found


@dataclass
class MemoryServices(Services):
    """Services whose couplings come from `stand_in` instead of MongoDB."""

    stand_in: CouplingRepository | None = field(default=None)

    @property
    def couplings(self) -> CouplingRepository:
        assert self.stand_in is not None
        return self.stand_in


@dataclass
class MemoryWorld:
    crm: MemoryConnector
    erp: MemoryConnector
    couplings: MemoryCouplings
    services: MemoryServices

    async def aclose(self) -> None:
        await self.services.redis.aclose(close_connection_pool=True)
        await self.services.mongo.close()


def _id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def build_world(
    settings: Settings,
    rows: int,
    *,
    seed: int = 7,
    crm: MemoryConnector | None = None,
    erp: MemoryConnector | None = None,
) -> MemoryWorld:
    """`rows` accounts, all coupled to customers with figures, owners and open records (in
    `crm` and `erp` when given)."""
    rng = random.Random(seed)
    crm = crm or MemoryConnector("dataverse", Side.CRM)
    erp = erp or MemoryConnector("business_central", Side.ERP)
    users = [
        {"id": _id(rng), "fullname": f"User {n}", "internalemailaddress": f"user{n}@example.com"}
        for n in range(5)
    ]
    crm.seed("user", users)
    accounts, customers, statistics, couplings = [], [], [], []
    opportunities, quotes, cases = [], [], []
    for n in range(rows):
        account_id, customer_id = _id(rng), _id(rng)
        number = f"C{n:05d}"
        name = f"Company {n} Ltd"
        accounts.append(
            {
                "id": account_id,
                "name": name,
                "accountnumber": number,
                "emailaddress1": f"info{n}@example.com",
                "telephone1": f"+1 425 555 {n:04d}",
                "websiteurl": f"https://company{n}.example.com",
                "address1_city": "Redmond",
                "_ownerid_value": users[n % len(users)]["id"],
            }
        )
        customers.append(
            {
                "id": customer_id,
                "number": number,
                "displayName": name,
                "email": f"info{n}@example.com",
                "phoneNumber": f"+1 425 555 {n:04d}",
                "website": f"https://company{n}.example.com",
                "city": "Redmond",
                "salespersonCode": f"SP{n % 5}",
                "currencyCode": "",
            }
        )
        statistics.append(
            {
                "id": customer_id,
                "balance": round(rng.uniform(0, 50_000), 2),
                "totalSalesExcludingTax": round(rng.uniform(0, 500_000), 2),
                "overdueAmount": round(rng.uniform(0, 5_000), 2),
            }
        )
        for _ in range(rng.randint(0, 3)):
            opportunities.append({"_parentaccountid_value": account_id, "statecode": 0})
        for _ in range(rng.randint(0, 2)):
            quotes.append({"_customerid_value": account_id, "statecode": rng.choice((0, 1, 2))})
        if rng.random() < 0.3:
            cases.append({"_customerid_value": account_id, "statecode": 0})
        couplings.append(
            Coupling(
                id=f"{n:024x}",
                mapping=CUSTOMER_MAPPING,
                erp=CoupledRecord("business_central", "customer", customer_id, number),
                crm=CoupledRecord("dataverse", "account", account_id, number),
            )
        )
    crm.seed("account", accounts)
    crm.seed("opportunity", opportunities)
    crm.seed("quote", quotes)
    crm.seed("case", cases)
    erp.seed("customer", customers)
    erp.seed("customer_statistics", statistics)
    mongo: AsyncMongoClient[Document] = AsyncMongoClient(str(settings.mongodb_url), connect=False)
    db = mongo[settings.mongodb_database]
    stand_in = MemoryCouplings(db, couplings)
    redis = connect_redis(str(settings.redis_url))
    services = MemoryServices(
        settings=settings,
        mongo=mongo,
        db=db,
        redis=redis,
        publisher=EventPublisher(redis, settings.mongodb_database),
        events=EventHub(redis, channel_name(settings.mongodb_database)),
        crm=crm,
        erp=erp,
        stand_in=stand_in,
    )
    services.store_ready.set()
    return MemoryWorld(crm, erp, stand_in, services)
