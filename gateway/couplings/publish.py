"""Publish an ERP project to the project-management system: create its project there and couple
the two (through the mapping that couples the ERP's projects with that system), then bring its
activities over as the plan's tasks, parents before children, through the mapping that couples
the activities. Checked like any create-and-couple before anything is written; the tasks go as
a Synchronize Now of those records, whose failures are sync errors the scheduled runs retry.
"""

from __future__ import annotations

from dataclasses import dataclass

from adapters.base import Entity, Page, Record
from adapters.errors import ConnectorError
from adapters.filters import eq
from gateway.couplings.service import CounterpartOutcome, CouplingService
from gateway.documents.plans import plan_mapping
from gateway.mappings.model import Direction, TableMapping
from gateway.refusals import RefusalCode, refusal_for, refuse, unwrapped_connector_errors
from gateway.services import Services
from gateway.store.sync_errors import RecordFailure
from gateway.store.sync_runs import RunTrigger, SyncRun
from gateway.sync.context import sync_context
from gateway.sync.engine import SyncEngine
from gateway.sync.running import recorded_run

FIELD = "erpId"


@dataclass(frozen=True, slots=True)
class PublishedProject:
    outcome: CounterpartOutcome
    tasks_run: SyncRun | None
    task_failures: list[RecordFailure]


async def publish_project(services: Services, actor: str, erp_id: object) -> PublishedProject:
    mappings = await services.mappings.all()
    projects = plan_mapping(mappings, Entity.PROJECT)
    if projects is None or not projects.enabled:
        raise refuse(
            RefusalCode.INVALID_INPUT,
            "no enabled table mapping couples the ERP's projects with the project-management "
            "system",
            FIELD,
        )
    service = CouplingService(services, actor)
    outcome = await service.create_counterpart(projects, Direction.TO_CRM, erp_id, FIELD)
    tasks = plan_mapping(mappings, Entity.ACTIVITY)
    if tasks is None or not tasks.enabled:
        return PublishedProject(outcome, None, [])
    run, failures = await _publish_tasks(services, actor, tasks, projects, outcome)
    return PublishedProject(outcome, run, failures)


async def _publish_tasks(
    services: Services,
    actor: str,
    tasks: TableMapping,
    projects: TableMapping,
    outcome: CounterpartOutcome,
) -> tuple[SyncRun, list[RecordFailure]]:
    """The project's activities through `tasks`: one run, parents first (the engine's waves);
    then the new tasks as the plan made them (its dates) back to the activities, as a full
    synchronization would, so that the next run has nothing to do."""
    erp_id = outcome.erp_record.id
    # The fields naming a task's project: the row that looks it up through `projects`.
    row = next((r for r in tasks.fields if r.lookup and r.lookup.mapping == projects.name), None)
    owner = row.erp_field if row is not None else None
    if row is None or owner is None or row.crm_field is None or services.erp is None:
        raise refuse(
            RefusalCode.INVALID_INPUT,
            f"{tasks.name} has no row naming the project through {projects.name}",
            FIELD,
        )
    records: list[Record] = []
    page: Page | None = Page(size=200)
    try:
        with unwrapped_connector_errors():
            while page is not None:
                found = await services.erp.query(tasks.erp_entity, eq(owner, erp_id), page)
                records += found.records
                page = Page(200, found.next_cursor) if found.next_cursor else None
    except ConnectorError as exc:
        doing = f"read the {tasks.erp_entity} records of project {erp_id}"
        raise refusal_for(exc, doing, FIELD) from None
    ctx = sync_context(services, actor).for_mapping(tasks)
    new = SyncRun(tasks.name, Direction.TO_CRM.value, RunTrigger.SYNCHRONIZE_NOW, actor)
    async with recorded_run(services, new) as run:
        engine = SyncEngine(
            ctx,
            services.sync_errors,
            tasks,
            create=True,
            skip_after=services.settings.sync_skip_after_failures,
            run_id=run.id,
        )
        applied = await engine.apply("erp", records)
        await run.record(applied.counters)
        if applied.counters.inserted:
            planned = await ctx.crm.get_where(
                tasks.crm_entity, row.crm_field, [outcome.crm_record.id]
            )
            await run.record((await engine.apply("crm", planned)).counters)
    return run.finished, applied.failures
