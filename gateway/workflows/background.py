"""What the background jobs do for lifecycles, each a plain function of the services.

- `resume_interrupted`: instances left RUNNING by a process that died (lease expired) are
  taken over and finished; nothing they recorded is done twice.
- `process_activated_quotes` (setting AUTO_PROCESS_QUOTES): activated CRM quotes go to the
  ERP (`processQuote`).
- `create_submitted_orders` (setting AUTO_CREATE_SALES_ORDERS): submitted CRM orders become
  ERP orders (`createSalesOrderInErp`).
- `invoice_posted_orders`: posted ERP invoices of orders that came from the CRM go to the CRM
  as Billed, and their orders become Invoiced (`createInvoiceInCrm`).

The scans read only what changed since their last pass (a modified-on watermark per scan,
kept in `workflow_scans`; a first pass looks back a day), and every document they act on goes
through the workflow with its key, so a document read twice is acted on once. A system that
does not answer stops a scan without moving its watermark.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from adapters.base import Connector, Page, Record
from adapters.filters import Compare, Filter, all_of, eq
from gateway.services import Services
from gateway.workflows.dialects import dialect_of
from gateway.workflows.engine import Engine, Outcome
from gateway.workflows.instances import WorkflowStore
from gateway.workflows.registry import DEFINITIONS

log = logging.getLogger(__name__)

WORKER = "worker"
SCANS = "workflow_scans"
_PAGE = 200
_RESUME_BATCH = 50
# A scan's first pass looks back this far: documents activated or submitted long before
# automatic processing was turned on are left to the mutations.
FIRST_LOOK_BACK = timedelta(days=1)


class ScanInterruptedError(Exception):
    """A system did not answer for a document: stop, and read the same documents next time."""


def _started(outcome: Outcome) -> int:
    """1 if the call did work now; raises when a system was unavailable before it began."""
    refusal = outcome.refusal
    if refusal is not None and refusal.code == "UPSTREAM_UNAVAILABLE" and outcome.instance is None:
        raise ScanInterruptedError(refusal.message)
    return int(refusal is None and not outcome.replayed)


Handler = Callable[[list[Record]], Awaitable[int]]


async def resume_interrupted(services: Services, *, limit: int = _RESUME_BATCH) -> int:
    """Finish the instances whose process died; how many were taken over."""
    engine = Engine(services, actor=WORKER)
    resumed = 0
    for instance in await WorkflowStore(services.db).stale(limit=limit):
        definition = DEFINITIONS.get(instance.operation)
        if definition is None:
            log.warning("workflow %s: unknown operation %s", instance.key, instance.operation)
            continue
        outcome = await engine.resume(definition, instance)
        if not outcome.replayed:
            resumed += 1
            _log_outcome(instance.key, outcome)
    return resumed


async def process_activated_quotes(services: Services) -> int:
    if not services.settings.auto_process_quotes or not _connected(services):
        return 0
    engine = Engine(services, actor=WORKER)
    operation = DEFINITIONS["processQuote"]

    async def handle(records: list[Record]) -> int:
        done = 0
        for record in records:
            outcome = await engine.start(operation, {"crmQuoteId": record.id})
            done += _started(outcome)
        return done

    assert services.crm is not None
    return await _scan(
        services,
        "activated-quotes",
        services.crm,
        "quote",
        condition=eq("statecode", 1),
        handle=handle,
    )


async def create_submitted_orders(services: Services) -> int:
    if not services.settings.auto_create_sales_orders or not _connected(services):
        return 0
    engine = Engine(services, actor=WORKER)
    operation = DEFINITIONS["createSalesOrderInErp"]

    async def handle(records: list[Record]) -> int:
        coupled = await services.couplings.ids_coupled(
            "SALESORDER-ORDER", "crm", [r.id for r in records]
        )
        done = 0
        for record in records:
            if record.id in coupled:
                continue
            outcome = await engine.start(operation, {"crmOrderId": record.id})
            done += _started(outcome)
            if outcome.refusal is not None:
                log.info("order %s not created in the ERP: %s", record.id, outcome.refusal)
        return done

    assert services.crm is not None
    return await _scan(
        services,
        "submitted-orders",
        services.crm,
        "sales_order",
        condition=eq("statecode", 1),
        handle=handle,
    )


async def invoice_posted_orders(services: Services) -> int:
    if not _connected(services):
        return 0
    engine = Engine(services, actor=WORKER)
    operation = DEFINITIONS["createInvoiceInCrm"]

    async def handle(records: list[Record]) -> int:
        orders = [str(r.values["orderId"]) for r in records if r.values.get("orderId")]
        from_crm = await services.couplings.ids_coupled("SALESORDER-ORDER", "erp", orders)
        known = await services.couplings.ids_coupled(
            "POSTEDSALESINV-INV", "erp", [r.id for r in records]
        )
        done = 0
        for record in records:
            if record.id in known or str(record.values.get("orderId")) not in from_crm:
                continue
            outcome = await engine.start(operation, {"erpInvoiceId": record.id})
            done += _started(outcome)
        return done

    assert services.erp is not None
    posted = dialect_of(services.erp.system).posted_invoices
    if posted is None:  # the ERP's invoices do not name their order
        return 0
    return await _scan(
        services, "posted-invoices", services.erp, "invoice", condition=posted, handle=handle
    )


async def run_lifecycle_tick(services: Services) -> dict[str, int]:
    """One pass of everything above, in the order that lets each feed the next."""
    return {
        "resumed": await resume_interrupted(services),
        "quotesProcessed": await process_activated_quotes(services),
        "ordersCreated": await create_submitted_orders(services),
        "invoicesCreated": await invoice_posted_orders(services),
    }


def _connected(services: Services) -> bool:
    return services.erp is not None and services.crm is not None


async def _scan(
    services: Services,
    name: str,
    connector: Connector,
    entity: str,
    *,
    condition: Filter,
    handle: Handler,
) -> int:
    """Hand the records matching `condition` that changed since the last pass to `handle`,
    page by page, then move the watermark to the newest one seen."""
    scans = services.db[SCANS]
    stored: dict[str, Any] | None = await scans.find_one({"_id": name})
    since: datetime = stored["since"] if stored else datetime.now(UTC) - FIRST_LOOK_BACK
    modified = connector.entities()[entity].modified_field
    assert modified is not None
    query = all_of(condition, Compare(modified, "ge", since))
    newest, cursor, done = since, None, 0
    while True:
        page = await connector.query(
            entity, query, Page(size=_PAGE, cursor=cursor), order_by=[f"{modified} asc"]
        )
        try:
            done += await handle(page.records) if page.records else 0
        except ScanInterruptedError as exc:
            log.warning("scan %s stopped (%s); it reads the same documents next time", name, exc)
            return done
        for record in page.records:
            if record.modified_on is not None and record.modified_on > newest:
                newest = record.modified_on
        cursor = page.next_cursor
        if cursor is None:
            break
    if newest != since:
        await scans.update_one({"_id": name}, {"$set": {"since": newest}}, upsert=True)
    return done


def _log_outcome(key: str, outcome: Outcome) -> None:
    instance = outcome.instance
    status = instance.status.value if instance is not None else "?"
    if outcome.refusal is not None:
        log.warning("workflow %s resumed: %s (%s)", key, status, outcome.refusal.message)
    else:
        log.info("workflow %s resumed: %s", key, status)
