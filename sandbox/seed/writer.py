"""Writing generated demo data: bulk inserts of up to `BATCH` records, one version range per
batch, so that 10 or 100,000 records cost the same per record and memory stays flat."""

from __future__ import annotations

from collections import Counter
from typing import Any

from pymongo import ReturnDocument

from sandbox.bc.context import BusinessCentral
from sandbox.model import KEY, SEQ, VERSION
from sandbox.seed.generator import Generator, Numbers, reservations
from sandbox.seed.plan import SeedPlan
from sandbox.store.database import COUNTERS, ApiDatabase

BATCH = 1000


async def _reserve_crm(db: ApiDatabase, table: str, count: int) -> int:
    found = await db.database[COUNTERS].find_one_and_update(
        {"_id": f"autonumber:{table}"},
        {"$inc": {"value": count}},
        upsert=True,
        return_document=ReturnDocument.AFTER,
    )
    assert found is not None
    return int(found["value"]) - count + 1


async def seed(
    dataverse: ApiDatabase, bc: ApiDatabase, plan: SeedPlan, company: str
) -> dict[str, int]:
    """Generate and insert the plan's demo data; returns how many records of each set."""
    bc_counts, crm_counts = reservations(plan)
    starts: dict[str, int] = {}
    business_central = BusinessCentral(bc)
    for series, count in bc_counts.items():
        starts[series] = await business_central.reserve(company, series, max(count, 1))
    for table, count in crm_counts.items():
        starts[table] = await _reserve_crm(dataverse, table, max(count, 1))
    generator = Generator(plan, company, Numbers(starts))
    databases = {"dataverse": dataverse, "bc": bc}
    buffers: dict[tuple[str, str], list[dict[str, Any]]] = {}
    written: Counter[str] = Counter()
    unindexed: set[str] = set()
    try:
        for api, entity_set, doc in generator.records():
            buffer = buffers.setdefault((api, entity_set), [])
            buffer.append(doc)
            if len(buffer) >= BATCH:
                if written[f"{api}.{entity_set}"] == 0:
                    # Building an index once after a bulk load is much cheaper than keeping it
                    # up to date through it.
                    await databases[api].collection(entity_set).drop_indexes()
                    unindexed.add(api)
                await _flush(databases[api], entity_set, buffer)
                written[f"{api}.{entity_set}"] += len(buffer)
                buffer.clear()
        for (api, entity_set), buffer in buffers.items():
            if buffer:
                await _flush(databases[api], entity_set, buffer)
                written[f"{api}.{entity_set}"] += len(buffer)
    finally:
        for api in unindexed:
            await databases[api].ensure_indexes()
    return dict(sorted(written.items()))


async def _flush(db: ApiDatabase, entity_set: str, docs: list[dict[str, Any]]) -> None:
    first = await db.clock.allocate(len(docs))
    for offset, doc in enumerate(docs):
        doc[SEQ] = first + offset
        doc[VERSION] = first + offset
        doc[KEY] = doc["_id"]
    await db.collection(entity_set).insert_many(docs, ordered=False)
