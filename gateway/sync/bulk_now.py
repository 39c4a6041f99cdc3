"""Synchronize Now for many records at once: the same forced push as for one record
(`gateway.sync.now`), for a list of ERP and/or CRM ids, run in the background.

The request is checked before anything is stored (mapping, direction, connections, number of
ids); the run keeps the ids and how many are done in its checkpoint, so a run stopped by an
outage or a lost worker goes on after the last chunk it finished. Per chunk: one lookup of
the couplings per side, then one engine push (one read per side, one bulk write per side).
A record that fails is counted, kept as a sync error (retryable in the same direction) and
named in the run's message; an id that is not coupled is counted as failed.
"""

from __future__ import annotations

from collections.abc import Sequence

from gateway.mappings.model import Direction
from gateway.refusals import RefusalCode, refuse
from gateway.services import Services
from gateway.store.couplings import Coupling
from gateway.store.sync_runs import Counters, RunStatus, RunTrigger, SyncRun
from gateway.sync.context import sync_context
from gateway.sync.engine import SyncEngine
from gateway.sync.now import check_direction
from gateway.sync.running import recorded_run, usable_mapping
from gateway.types import SideName

MAX_RECORDS = 1000
_CHUNK = 100
_EXAMPLES = 3


async def plan_synchronize_records(
    services: Services,
    mapping_name: str,
    *,
    erp_ids: Sequence[str],
    crm_ids: Sequence[str],
    direction: Direction,
    actor: str,
) -> SyncRun:
    """The run to store for the request, once everything about it has been checked."""
    mapping = await usable_mapping(services, mapping_name)
    check_direction(mapping, direction)
    sync_context(services, actor)
    erp, crm = list(dict.fromkeys(erp_ids)), list(dict.fromkeys(crm_ids))
    if not erp and not crm:
        raise refuse(RefusalCode.INVALID_INPUT, "give at least one id", "erpIds")
    if len(erp) + len(crm) > MAX_RECORDS:
        raise refuse(
            RefusalCode.INVALID_INPUT,
            f"at most {MAX_RECORDS} records at a time; split the list",
            "erpIds" if erp else "crmIds",
        )
    return SyncRun(
        mapping=mapping.name,
        direction=direction.value,
        trigger=RunTrigger.SYNCHRONIZE_NOW,
        actor=actor,
        status=RunStatus.QUEUED,
        checkpoint={"erp_ids": erp, "crm_ids": crm, "done": 0, "examples": []},
    )


async def synchronize_records(
    services: Services, run_id: str, *, raise_failures: bool = False
) -> SyncRun:
    """Run a stored many-record Synchronize Now to its end, or on from its checkpoint."""
    stored = await services.runs.get(run_id)
    if stored is None:
        raise refuse(RefusalCode.NOT_FOUND, f"no sync run has the id {run_id!r}", "id")
    if stored.status in (RunStatus.SUCCEEDED, RunStatus.CANCELLED):
        return stored
    mapping = await usable_mapping(services, stored.mapping)
    direction = Direction(stored.direction)
    ctx = sync_context(services, stored.actor)
    async with recorded_run(services, run_id, raise_failures=raise_failures) as run:
        checkpoint = run.run.checkpoint
        wanted: list[tuple[SideName, str]] = [("erp", i) for i in checkpoint.get("erp_ids", [])]
        wanted += [("crm", i) for i in checkpoint.get("crm_ids", [])]
        done = int(checkpoint.get("done") or 0)
        examples: list[str] = checkpoint.setdefault("examples", [])
        engine = SyncEngine(
            ctx,
            services.sync_errors,
            mapping,
            create=False,
            skip_after=services.settings.sync_skip_after_failures,
            run_id=run.id,
        )
        while done < len(wanted):
            chunk = wanted[done : done + _CHUNK]
            counters, messages = Counters(), []
            couplings: dict[str, Coupling] = {}
            for side in ("erp", "crm"):
                ids = [record_id for s, record_id in chunk if s == side]
                found = await services.couplings.by_ids(mapping.coupling_mapping, side, ids)
                for record_id in ids:
                    if record_id in found:
                        couplings.setdefault(found[record_id].id, found[record_id])
                    else:
                        counters.failed += 1
                        messages.append(
                            f"{side.upper()} record {record_id} is not coupled in "
                            f"{mapping.coupling_mapping}"
                        )
            if couplings:
                pushed = await engine.push(direction, list(couplings.values()))
                counters.add(pushed.counters)
                messages += [f"{f.erp_id}: {f.message}" for f in pushed.failures]
            done += len(chunk)
            examples.extend(messages[: max(0, _EXAMPLES - len(examples))])
            checkpoint["done"] = done
            await run.record(counters, progress=done / len(wanted), checkpoint=checkpoint)
        total_failed = (await services.runs.get(run_id) or run.run).counters.failed
        if total_failed:
            run.end(
                RunStatus.SUCCEEDED,
                f"{total_failed} of {len(wanted)} records failed: " + "; ".join(examples),
            )
    return run.finished
