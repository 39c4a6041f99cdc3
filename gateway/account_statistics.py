"""Update Account Statistics: the ERP's figures of coupled customers (balance, sales, overdue
amount) onto their CRM accounts, through the CUSTOMER-STATISTICS mapping, which borrows the
CUSTOMER couplings (`coupled_through`); then the payment status of their coupled invoices
(Paid, Partial or Complete: `gateway.workflows.payments`).

Both go through the sync engine's forced push, for one customer or, with none named, every
coupled customer in pages of couplings: per page one read of each side, one bulk write of
only the records whose values changed (and only those values), one append to the log.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from gateway.mappings.model import Direction, TableMapping
from gateway.refusals import RefusalCode, refuse
from gateway.services import Services
from gateway.store.couplings import Coupling
from gateway.store.sync_runs import RunStatus, RunTrigger, SyncRun
from gateway.sync.context import sync_context
from gateway.sync.engine import SyncEngine
from gateway.sync.running import recorded_run, usable_mapping
from gateway.workflows.payments import INVOICE_MAPPING, invoice_couplings, payment_planner

STATISTICS_MAPPING = "CUSTOMER-STATISTICS"


async def update_account_statistics(
    services: Services, erp_id: str | None, *, actor: str
) -> SyncRun:
    mapping = await usable_mapping(services, STATISTICS_MAPPING)
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
    page_size = services.settings.sync_page_size
    skip_after = services.settings.sync_skip_after_failures
    missing = False
    new = SyncRun(mapping.name, Direction.TO_CRM.value, RunTrigger.UPDATE_ACCOUNT_STATISTICS, actor)
    async with recorded_run(services, new) as run:
        figures = SyncEngine(
            ctx, services.sync_errors, mapping, create=False, skip_after=skip_after, run_id=run.id
        )
        async for page in _coupled(services, mapping, single):
            applied = await figures.push(Direction.TO_CRM, page)
            await run.record(applied.counters)
            missing = single is not None and bool(applied.failures)
        if missing:
            run.end(RunStatus.FAILED, "the customer was not found")
        else:
            invoices = await services.mappings.get(INVOICE_MAPPING)
            if invoices is not None and invoices.enabled:
                paid = SyncEngine(
                    ctx,
                    services.sync_errors,
                    invoices,
                    create=False,
                    skip_after=skip_after,
                    run_id=run.id,
                )
                planner = payment_planner(ctx.erp)
                pages = invoice_couplings(ctx, invoices, customer_id=erp_id, page_size=page_size)
                async for page in pages:
                    applied = await paid.push(Direction.TO_CRM, page, planner=planner)
                    await run.record(applied.counters)
    if missing:
        raise refuse(RefusalCode.NOT_FOUND, f"ERP customer {erp_id} not found")
    return run.finished


async def _coupled(
    services: Services, mapping: TableMapping, single: Coupling | None
) -> AsyncIterator[list[Coupling]]:
    if single is not None:
        yield [single]
        return
    after: str | None = None
    while True:
        page, more = await services.couplings.page(
            mapping=mapping.coupling_mapping, after_id=after, size=services.settings.sync_page_size
        )
        if page:
            yield page
            after = page[-1].id
        if not more:
            return
