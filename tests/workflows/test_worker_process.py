"""Lifecycles with nothing but `gateway worker` running, on the sandbox's demo data: a quote
submission interrupted by an ERP outage is finished by the worker once the outage ends (the
CRM quote no longer locked half way), an approval in Business Central then reaches the CRM,
and an order made and submitted in the CRM becomes an ERP order whose posting in Business
Central gives a Billed CRM invoice with its lines and totals. The worker is a real process; the
systems are driven through the sandbox's own APIs."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from gateway.processes import ChildProcess, spawn
from gateway.settings import Settings
from gateway.workflows.engine import Engine
from gateway.workflows.instances import WorkflowInstance, WorkflowStatus, WorkflowStore
from gateway.workflows.registry import DEFINITIONS
from tests.support import eventually
from tests.support_sandbox import SandboxHandle
from tests.workflows.support import Systems, environment
from tests.workflows.tenant import Tenant

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SUBMITTED, APPROVED_IN_ERP = 100000000, 100000001
BILLED, INVOICED = 4, 4


@pytest.fixture
def worker(lifecycle_settings: Settings, tmp_path: Path) -> Iterator[ChildProcess]:
    """`gateway worker` with its schedules: the lifecycle tick every second, automatic order
    creation on (the sync scheduler off: this is about lifecycles)."""
    child = spawn(
        "worker",
        [sys.executable, "-m", "gateway", "worker"],
        env=environment(
            lifecycle_settings,
            LIFECYCLE_TICK_SECONDS="1",
            SCHEDULER_ENABLED="false",
            AUTO_CREATE_SALES_ORDERS="true",
            CONNECTOR_MAX_ATTEMPTS="1",
        ),
        log_path=tmp_path / "worker.log",
        cwd=ROOT,
    )
    try:
        yield child
    finally:
        child.stop()


async def test_a_submission_cut_by_an_erp_outage_is_finished_by_the_worker(
    tenant: Tenant, check: Systems, sandbox: SandboxHandle, worker: ChildProcess
) -> None:
    quote = (await tenant.draft_quotes())[0]
    await sandbox.set_faults(error_rate=1.0, error_status=503, apis=["bc"])  # the ERP is down
    outcome = await Engine(tenant.services, actor="test").start(
        DEFINITIONS["submitQuote"], {"crmQuoteId": quote.id}
    )
    assert outcome.refusal is not None
    assert outcome.refusal.code == "UPSTREAM_UNAVAILABLE"
    assert outcome.instance is not None
    instance_id = outcome.instance.id or ""
    assert (await check.crm(f"quotes({quote.id})"))["statuscode"] == SUBMITTED  # locked
    store = WorkflowStore(tenant.services.db)

    async def tried_again() -> WorkflowInstance | None:
        assert worker.running, worker.log_tail()
        current = await store.get(instance_id)
        assert current is not None
        step = {s.name: s for s in current.steps}.get("create-erp-quote")
        return current if step is not None and step.attempts >= 2 else None

    during = await eventually(tried_again, timeout=60, what="the worker trying during the outage")
    assert during.status is WorkflowStatus.RUNNING
    await sandbox.clear_faults()  # the outage ends

    async def finished() -> WorkflowInstance | None:
        current = await store.get(instance_id)
        return current if current and current.status is not WorkflowStatus.RUNNING else None

    done = await eventually(finished, timeout=60, what="the worker finishing the submission")
    assert done.status is WorkflowStatus.SUCCEEDED, done.message
    erp_id = done.created["erpQuote"]
    erp = await check.erp(f"salesQuotes({erp_id})", **{"$expand": "salesQuoteLines"})
    assert erp["externalDocumentNumber"] == quote.values["name"][:35]
    assert len(erp["salesQuoteLines"]) == len(await tenant.quote_lines(quote.id))
    coupled = await tenant.services.couplings.by_ids("SALESQUOTE", "crm", [quote.id])
    assert coupled[quote.id].erp.id == erp_id

    # The quote is approved in Business Central: the worker carries it to the CRM.
    await check.erp_action(f"salesQuotes({erp_id})", "approve")

    async def approved() -> dict[str, Any] | None:
        crm = await check.crm(f"quotes({quote.id})")
        return crm if crm["statuscode"] == APPROVED_IN_ERP else None

    await eventually(approved, timeout=60, what="the approval reaching the CRM")


async def test_an_order_submitted_in_the_crm_is_invoiced_in_the_crm_after_posting_in_the_erp(
    tenant: Tenant, check: Systems, worker: ChildProcess
) -> None:
    couplings = tenant.services.couplings
    # In the CRM: a seeded quote is activated and converted into an order, which is submitted.
    quote = (await tenant.draft_quotes())[1]
    await check.crm_edit(f"quotes({quote.id})", {"statecode": 1})
    order = await check.crm_action(
        "ConvertQuoteToSalesOrder", {"QuoteId": quote.id, "ColumnSet": {"AllColumns": True}}
    )
    order_id = order["salesorderid"]
    await check.crm_edit(f"salesorders({order_id})", {"statecode": 1})

    async def in_erp() -> str | None:
        assert worker.running, worker.log_tail()
        found = await couplings.by_ids("SALESORDER-ORDER", "crm", [order_id])
        return found[order_id].erp.id if order_id in found else None

    erp_order = await eventually(in_erp, timeout=60, what="the ERP order")
    await check.erp_action(f"salesOrders({erp_order})", "shipAndInvoice")  # posted in the ERP
    [posted] = (await check.erp("salesInvoices", **{"$filter": f"orderId eq {erp_order}"}))["value"]

    async def billed() -> dict[str, Any] | None:
        found = await couplings.by_ids("POSTEDSALESINV-INV", "erp", [posted["id"]])
        if posted["id"] not in found:
            return None
        invoice = await check.crm(f"invoices({found[posted['id']].crm.id})?$expand=invoice_details")
        return invoice if invoice["statuscode"] == BILLED else None

    invoice = await eventually(billed, timeout=60, what="the Billed CRM invoice")
    erp_lines = (
        await check.erp("salesInvoiceLines", **{"$filter": f"documentId eq {posted['id']}"})
    )["value"]
    assert len(invoice["invoice_details"]) == len(erp_lines) > 0
    assert sorted(line["quantity"] for line in invoice["invoice_details"]) == sorted(
        line["quantity"] for line in erp_lines
    )
    assert invoice["totalamount"] == posted["totalAmountExcludingTax"] > 0
    assert invoice["invoicenumber"] == posted["number"]

    async def invoiced() -> bool:
        return bool((await check.crm(f"salesorders({order_id})"))["statecode"] == INVOICED)

    await eventually(invoiced, timeout=60, what="the CRM order Invoiced")
