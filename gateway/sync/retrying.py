"""Failed records tried again by the scheduled runs, without waiting for them to change.

A record that failed keeps its sync error; each incremental run of its mapping takes up the
errors that are due, through the same engine, as if the record had just changed: a coupled
pair is merged, an uncoupled record is coupled or created like a new one. An error is due

- when its mapping's dependency (a salesperson, a unit of measure) it was waiting for got
  coupled after its last try: a record refused for `DEPENDENCY_NOT_COUPLED` goes on as soon
  as it can;
- otherwise after a delay that doubles with each try (`SYNC_RETRY_BASE_SECONDS`, up to
  `SYNC_RETRY_MAX_SECONDS`).

Every try counts: after `SYNC_SKIP_AFTER_FAILURES` the record is left for a person
(`retrySyncError`), as its coupling is then SKIPPED. Conflicts left for a person (no
direction) are never taken up here.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from gateway.services import Services
from gateway.settings import Settings
from gateway.store.sync_errors import SyncError
from gateway.store.sync_runs import Counters
from gateway.sync.engine import SyncEngine
from gateway.types import SideName

_AT_ONCE = 500  # errors looked at per run


def retry_delay(settings: Settings, attempts: int) -> timedelta:
    """How long after its last try an error is due again."""
    seconds = settings.sync_retry_base_seconds * 2.0 ** max(0, attempts - 1)
    return timedelta(seconds=min(seconds, settings.sync_retry_max_seconds))


async def due_errors(
    services: Services, mapping: str, now: datetime | None = None
) -> list[SyncError]:
    settings = services.settings
    now = now or datetime.now(UTC)
    candidates = await services.sync_errors.retriable(
        mapping, below=settings.sync_skip_after_failures, limit=_AT_ONCE
    )
    waited_for = {name for e in candidates for name in e.details.get("dependencies", [])}
    coupled_at = {name: await services.couplings.last_coupled_at(name) for name in waited_for}

    def due(error: SyncError) -> bool:
        tried = _aware(error.updated_at)
        dependencies = error.details.get("dependencies") or []
        if dependencies:
            return any(
                (at := coupled_at.get(name)) is not None and _aware(at) > tried
                for name in dependencies
            )
        return tried + retry_delay(settings, error.attempts) <= now

    return [error for error in candidates if due(error)]


async def retry_failed(services: Services, engine: SyncEngine) -> Counters:
    """Take up the due errors of the engine's mapping: each failed record is read again and
    applied as a change of its side, so a coupled pair is merged as a run would merge it and
    an uncoupled record is coupled or created. What the tries did."""
    mapping = engine.mapping
    due = await due_errors(services, mapping.name)
    counters = Counters()
    wanted: dict[SideName, list[str]] = {"erp": [], "crm": []}
    for error in due:
        side: SideName = "crm" if error.source_side == "crm" else "erp"
        source_id = error.erp_id if side == "erp" else error.crm_id
        if source_id is not None:
            wanted[side].append(source_id)
    # An uncoupled record failed in a run that was creating its counterpart: it is tried the
    # same way, whether or not this mapping's scheduled runs create records themselves.
    creating = SyncEngine(
        engine.ctx,
        engine.errors,
        mapping,
        create=True,
        skip_after=engine.skip_after,
        run_id=engine.run_id,
    )
    for side, ids in wanted.items():
        if not ids:
            continue
        records = await engine.ctx.connector(side).get_many(mapping.entity_of(side), ids)
        if records:
            counters.add((await creating.apply(side, list(records.values()))).counters)
    return counters


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
