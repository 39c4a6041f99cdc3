"""Update Account Statistics: the ERP's figures of coupled customers (balance, sales, overdue
amount) onto their CRM accounts, through the CUSTOMER-STATISTICS mapping, which borrows the
CUSTOMER couplings (`coupled_through`); then the payment status of their coupled invoices
(Paid, Partial or Complete: `gateway.workflows.payments`).

For one customer or, with none named, every coupled customer in pages of couplings: per page
one read of the figures, one read of the accounts, one bulk write of only the accounts whose
figures changed (and only those figures), one append to the integration log.
"""

from __future__ import annotations

from datetime import UTC, datetime

from adapters.base import Update
from gateway.mappings.model import Direction, TableMapping
from gateway.mappings.translate import Lookups
from gateway.refusals import RefusalCode, connector_error, refuse
from gateway.services import Services
from gateway.store.couplings import Coupling
from gateway.store.integration_log import Target
from gateway.store.sync_runs import (
    Counters,
    RunStatus,
    RunTrigger,
    SyncRun,
)
from gateway.sync.context import SyncContext, sync_context
from gateway.sync.pairs import write_entry
from gateway.sync.plan import plan_push
from gateway.sync.running import failure_message
from gateway.workflows.payments import INVOICE_MAPPING, update_payment_status

STATISTICS_MAPPING = "CUSTOMER-STATISTICS"


async def update_account_statistics(
    services: Services, erp_id: str | None, *, actor: str
) -> SyncRun:
    mapping = await services.mappings.get(STATISTICS_MAPPING)
    if mapping is None or not mapping.enabled:
        state = "is missing" if mapping is None else "is disabled"
        raise refuse(RefusalCode.NOT_FOUND, f"the table mapping {STATISTICS_MAPPING} {state}")
    ctx = sync_context(services, actor)
    single: Coupling | None = None
    if erp_id is not None:
        found = await services.couplings.by_ids(mapping.coupling_mapping, "erp", [erp_id])
        single = found.get(erp_id)
        if single is None:
            raise refuse(
                RefusalCode.NOT_COUPLED,
                f"ERP customer {erp_id} is not coupled in {mapping.coupling_mapping}",
                "erpId",
            )
    runs = services.runs
    run = await runs.create(
        SyncRun(
            mapping=mapping.name,
            direction=Direction.TO_CRM.value,
            trigger=RunTrigger.UPDATE_ACCOUNT_STATISTICS,
            actor=actor,
            status=RunStatus.RUNNING,
            started_at=datetime.now(UTC),
        )
    )
    assert run.id is not None
    try:
        if single is not None:
            counters = await _update(ctx, mapping, [single], run.id)
            await runs.record_progress(run.id, counters)
            if counters.failed:
                await runs.finish(run.id, RunStatus.FAILED, message="the customer was not found")
                raise refuse(RefusalCode.NOT_FOUND, f"ERP customer {erp_id} not found")
        else:
            after: str | None = None
            while True:
                page, more = await services.couplings.page(
                    mapping=mapping.coupling_mapping,
                    after_id=after,
                    size=services.settings.sync_page_size,
                )
                if page:
                    counters = await _update(ctx, mapping, page, run.id)
                    await runs.record_progress(run.id, counters)
                    after = page[-1].id
                if not more:
                    break
        invoices = await services.mappings.get(INVOICE_MAPPING)
        if invoices is not None and invoices.enabled:
            paid = await update_payment_status(
                ctx,
                invoices,
                customer_id=erp_id,
                run_id=run.id,
                page_size=services.settings.sync_page_size,
            )
            await runs.record_progress(run.id, paid)
    except Exception as exc:
        if connector_error(exc) is None:
            raise
        finished = await runs.finish(run.id, RunStatus.FAILED, message=failure_message(exc))
        assert finished is not None
        return finished
    finished = await runs.finish(run.id, RunStatus.SUCCEEDED)
    assert finished is not None
    return finished


async def _update(
    ctx: SyncContext, mapping: TableMapping, couplings: list[Coupling], run_id: str
) -> Counters:
    counters = Counters()
    figures = await ctx.erp.get_many(mapping.erp_entity, [c.erp.id for c in couplings])
    accounts = await ctx.crm.get_many(mapping.crm_entity, [c.crm.id for c in couplings])
    updates: list[Update] = []
    for coupling in couplings:
        source, account = figures.get(coupling.erp.id), accounts.get(coupling.crm.id)
        if source is None or account is None:
            counters.failed += 1
            continue
        plan = plan_push(mapping, Direction.TO_CRM, source.values, account.values, Lookups())
        if plan.changes:
            updates.append(Update(account.entity, account.id, plan.changes, etag=account.etag))
        else:
            counters.unchanged += 1
    results = await ctx.crm.write_many(updates) if updates else []
    entries = []
    for result in results:
        operation = result.operation
        assert isinstance(operation, Update)
        if result.ok:
            counters.modified += 1
        else:
            counters.failed += 1
        entry = write_entry(
            ctx,
            "update",
            result.record,
            mapping=mapping,
            direction=Direction.TO_CRM,
            changes=dict(operation.values),
            target=Target(system=ctx.crm.system, entity=operation.entity, id=operation.id),
            error=result.error,
        )
        entry.details["run"] = run_id
        entries.append(entry)
    await ctx.log.append_many(entries)
    return counters
