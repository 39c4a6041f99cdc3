"""What the background jobs do for lifecycles, each a plain function of the services: both
systems' document states are observed on the schedule, and each change is carried across by
the same workflow (with its checks and records) that the matching mutation runs.

- `resume_interrupted`: instances left RUNNING by a process that died (lease expired) are
  taken over and finished; nothing they recorded is done twice.
- `carry_erp_quote_decisions`: a quote approved or rejected in the ERP by its own action goes
  to the CRM quote as Approved in ERP or Rejected in ERP, with the ERP's lines
  (`approveQuote` / `rejectQuote`, which find the ERP's side already decided).
- `process_activated_quotes` (setting AUTO_PROCESS_QUOTES): activated CRM quotes go to the
  ERP (`processQuote`).
- `confirm_won_quotes`: a quote won in the CRM is confirmed in the ERP (`markQuoteWon`, which
  finds the CRM's side already won); one that never went to the ERP only with
  AUTO_PROCESS_QUOTES.
- `create_submitted_orders` (setting AUTO_CREATE_SALES_ORDERS): submitted CRM orders become
  ERP orders (`createSalesOrderInErp`).
- `invoice_posted_orders`: posted ERP invoices of orders that came from the CRM go to the CRM
  as Billed, and their orders become Invoiced (`createInvoiceInCrm`).
- `synchronize_marked_projects`: projects created in the ERP and marked "Synchronize to CRM"
  there go to the CRM (`synchronizeProjectToCrm`), where the ERP has that box.

Each scan reads only what changed since its last pass (`gateway.workflows.scans`), and every
document goes through its workflow's key, so a document read twice is acted on once. A quote
with a workflow under way is left for the next pass.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

from adapters.base import Record
from adapters.filters import eq
from gateway.refusals import RefusalCode
from gateway.services import Services
from gateway.workflows import states
from gateway.workflows.dialects import dialect_of
from gateway.workflows.engine import Engine, Outcome
from gateway.workflows.instances import WorkflowStore
from gateway.workflows.projects import PROJECT, PROJECT_MAPPING, SYNCHRONIZE_TO_CRM
from gateway.workflows.quotes import QUOTE_MAPPING
from gateway.workflows.registry import DEFINITIONS
from gateway.workflows.scans import ScanInterruptedError, scan, started

log = logging.getLogger(__name__)

WORKER = "worker"
_RESUME_BATCH = 50
# The ERP quote states that are a decision of the ERP, and the operation carrying each.
_DECISIONS: Mapping[str, str] = {"Approved": "approveQuote", "Rejected": "rejectQuote"}


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


async def carry_erp_quote_decisions(services: Services) -> int:
    if services.erp is None or services.crm is None:
        return 0
    engine = Engine(services, actor=WORKER)
    erp_dialect = dialect_of(services.erp.system)

    async def handle(records: list[Record]) -> int:
        coupled = await services.couplings.by_ids(QUOTE_MAPPING, "erp", [r.id for r in records])
        decided = {
            coupled[r.id].crm.id: _DECISIONS[state]
            for r in records
            if r.id in coupled and (state := erp_dialect.quote_state(r.values)) in _DECISIONS
        }
        await _not_busy(services, list(decided))
        done = 0
        for crm_id, operation in decided.items():
            done += await _carry(engine, operation, [{"crmQuoteId": crm_id}])
        return done

    assert services.erp is not None
    return await scan(
        services, "erp-quote-decisions", services.erp, "quote", condition=None, handle=handle
    )


async def process_activated_quotes(services: Services) -> int:
    if not services.settings.auto_process_quotes or not _connected(services):
        return 0
    engine = Engine(services, actor=WORKER)

    async def handle(records: list[Record]) -> int:
        return await _carry(engine, "processQuote", [{"crmQuoteId": r.id} for r in records])

    assert services.crm is not None
    return await scan(
        services,
        "activated-quotes",
        services.crm,
        "quote",
        condition=eq("statecode", states.QUOTE_ACTIVE),
        handle=handle,
    )


async def confirm_won_quotes(services: Services) -> int:
    if not _connected(services):
        return 0
    engine = Engine(services, actor=WORKER)
    everyone = services.settings.auto_process_quotes

    async def handle(records: list[Record]) -> int:
        coupled = await services.couplings.ids_coupled(
            QUOTE_MAPPING, "crm", [r.id for r in records]
        )
        won = [r.id for r in records if r.id in coupled or everyone]
        await _not_busy(services, won)
        return await _carry(engine, "markQuoteWon", [{"crmQuoteId": crm_id} for crm_id in won])

    assert services.crm is not None
    return await scan(
        services,
        "won-quotes",
        services.crm,
        "quote",
        condition=eq("statecode", states.QUOTE_WON),
        handle=handle,
    )


async def create_submitted_orders(services: Services) -> int:
    if not services.settings.auto_create_sales_orders or not _connected(services):
        return 0
    engine = Engine(services, actor=WORKER)

    async def handle(records: list[Record]) -> int:
        coupled = await services.couplings.ids_coupled(
            "SALESORDER-ORDER", "crm", [r.id for r in records]
        )
        wanted = [{"crmOrderId": r.id} for r in records if r.id not in coupled]
        return await _carry(engine, "createSalesOrderInErp", wanted)

    assert services.crm is not None
    return await scan(
        services,
        "submitted-orders",
        services.crm,
        "sales_order",
        condition=eq("statecode", states.ORDER_SUBMITTED),
        handle=handle,
    )


async def invoice_posted_orders(services: Services) -> int:
    if not _connected(services):
        return 0
    engine = Engine(services, actor=WORKER)

    async def handle(records: list[Record]) -> int:
        orders = [str(r.values["orderId"]) for r in records if r.values.get("orderId")]
        from_crm = await services.couplings.ids_coupled("SALESORDER-ORDER", "erp", orders)
        known = await services.couplings.ids_coupled(
            "POSTEDSALESINV-INV", "erp", [r.id for r in records]
        )
        wanted = [
            {"erpInvoiceId": r.id}
            for r in records
            if r.id not in known and str(r.values.get("orderId")) in from_crm
        ]
        return await _carry(engine, "createInvoiceInCrm", wanted)

    assert services.erp is not None
    posted = dialect_of(services.erp.system).posted_invoices
    if posted is None:  # the ERP's invoices do not name their order
        return 0
    return await scan(
        services, "posted-invoices", services.erp, "invoice", condition=posted, handle=handle
    )


async def synchronize_marked_projects(services: Services) -> int:
    if not _connected(services):
        return 0
    assert services.erp is not None
    if SYNCHRONIZE_TO_CRM not in services.erp.entities()[PROJECT].fields:
        return 0  # the ERP has no such box: its projects go through the PROJECT mapping
    engine = Engine(services, actor=WORKER)

    async def handle(records: list[Record]) -> int:
        known = await services.couplings.ids_coupled(
            PROJECT_MAPPING, "erp", [r.id for r in records]
        )
        wanted = [{"erpProjectId": r.id} for r in records if r.id not in known]
        return await _carry(engine, "synchronizeProjectToCrm", wanted)

    return await scan(
        services,
        "marked-projects",
        services.erp,
        PROJECT,
        condition=eq(SYNCHRONIZE_TO_CRM, True),
        handle=handle,
    )


async def run_lifecycle_tick(services: Services) -> dict[str, int]:
    """One pass of everything above, in the order that lets each feed the next."""
    return {
        "resumed": await resume_interrupted(services),
        "quoteDecisionsCarried": await carry_erp_quote_decisions(services),
        "quotesProcessed": await process_activated_quotes(services),
        "wonQuotesConfirmed": await confirm_won_quotes(services),
        "ordersCreated": await create_submitted_orders(services),
        "invoicesCreated": await invoice_posted_orders(services),
        "projectsSynchronized": await synchronize_marked_projects(services),
    }


async def _carry(engine: Engine, operation: str, inputs: list[dict[str, str]]) -> int:
    """Start `operation` for each input; how many did work now."""
    done = 0
    for data in inputs:
        outcome = await engine.start(DEFINITIONS[operation], data)
        done += started(outcome)
        _log_refusal(operation, next(iter(data.values())), outcome)
    return done


def _connected(services: Services) -> bool:
    return services.erp is not None and services.crm is not None


async def _not_busy(services: Services, crm_quote_ids: list[str]) -> None:
    """A quote with a workflow under way (a submission half done, say) shows a state that is
    not final yet: leave the page for the next pass."""
    busy = await WorkflowStore(services.db).running_on("crmQuoteId", crm_quote_ids)
    if busy:
        raise ScanInterruptedError(f"CRM quote {sorted(busy)[0]} has a workflow under way")


def _log_refusal(operation: str, document: str, outcome: Outcome) -> None:
    refusal = outcome.refusal
    if refusal is None:
        return
    # A document whose states no longer call for the operation is the common case.
    level = logging.DEBUG if refusal.code == RefusalCode.INVALID_TRANSITION else logging.INFO
    log.log(level, "%s of %s not carried out: %s", operation, document, refusal.message)


def _log_outcome(key: str, outcome: Outcome) -> None:
    instance = outcome.instance
    status = instance.status.value if instance is not None else "?"
    if outcome.refusal is not None:
        log.warning("workflow %s resumed: %s (%s)", key, status, outcome.refusal.message)
    else:
        log.info("workflow %s resumed: %s", key, status)
