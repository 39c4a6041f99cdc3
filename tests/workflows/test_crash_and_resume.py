"""A workflow killed between two steps, or after a step's work but before its record, is
resumed by a worker: the final state in both systems is right and nothing is created twice."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

import orjson
import pytest

from gateway.settings import Settings
from gateway.workflows.engine import Engine
from gateway.workflows.instances import StepStatus, WorkflowStatus, WorkflowStore
from gateway.workflows.registry import DEFINITIONS
from tests.support import eventually
from tests.support_sandbox import SandboxHandle
from tests.workflows.support import Systems, World, environment, run_burst_worker

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]


async def run_child(settings: Settings, fault: str, operation: str, data: dict[str, str]) -> int:
    child = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.workflows.child",
        operation,
        orjson.dumps(data).decode(),
        fault,
        cwd=ROOT,
        env=environment(settings),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    await asyncio.wait_for(child.communicate(), timeout=120)
    assert child.returncode is not None
    return child.returncode


async def wait_until_stale(store: WorkflowStore, timeout: float = 30.0) -> None:
    await eventually(
        lambda: store.stale(limit=1),
        timeout=timeout,
        what="the interrupted instance's lease expiring",
    )


@pytest.mark.parametrize(
    ("fault", "interrupted"),
    [
        # the ERP quote exists but its creation was never recorded: found again by its id
        ("create-erp-quote:before-record", "create-erp-quote"),
        # the lines are recorded; the process dies before coupling
        ("create-erp-quote-lines", None),
    ],
)
async def test_a_killed_submission_is_resumed_without_duplicates(
    world: World,
    check: Systems,
    lifecycle_settings: Settings,
    fault: str,
    interrupted: str | None,
) -> None:
    quote = await world.quote("Warehouse racking", lines=2, write_in=True)
    code = await run_child(lifecycle_settings, fault, "submitQuote", {"crmQuoteId": quote.id})
    assert code == -9  # killed at the fault point
    store = WorkflowStore(world.services.db)
    [instance] = (await store.page(after=None, size=10))[0]
    assert instance.status is WorkflowStatus.RUNNING
    steps = {step.name: step for step in instance.steps}
    assert steps["lock-crm-quote"].status is StepStatus.DONE
    if interrupted is not None:
        assert steps[interrupted].status is StepStatus.RUNNING
    else:
        assert steps["create-erp-quote-lines"].status is StepStatus.DONE
        assert "couple-quotes" not in steps
    in_erp = await check.erp(
        "salesQuotes", **{"$filter": "externalDocumentNumber eq 'Warehouse racking'"}
    )
    assert len(in_erp["value"]) == 1  # created before the crash

    await wait_until_stale(store)
    worker = await run_burst_worker(lifecycle_settings, "resume_workflows")
    assert worker.jobs_complete == 1

    resumed = await store.get(instance.id or "")
    assert resumed is not None
    assert resumed.status is WorkflowStatus.SUCCEEDED, resumed.message
    if interrupted is not None:
        assert {s.name: s for s in resumed.steps}[interrupted].attempts == 2
    assert resumed.created["erpQuote"] == resumed.documents["erpQuote"]["id"]
    quotes = await check.erp(
        "salesQuotes",
        **{
            "$filter": "externalDocumentNumber eq 'Warehouse racking'",
            "$expand": "salesQuoteLines",
        },
    )
    [erp_quote] = quotes["value"]
    kinds = [line["lineType"] for line in erp_quote["salesQuoteLines"]]
    assert kinds == ["Item", "Item", "Item", "Comment", "Comment"]
    crm_quote = await check.crm(f"quotes({quote.id})")
    assert crm_quote["statuscode"] == 100000000  # Submitted
    coupling = (await world.services.couplings.by_ids("SALESQUOTE", "crm", [quote.id]))[quote.id]
    assert coupling.erp.id == erp_quote["id"]


async def test_an_unavailable_erp_leaves_the_instance_to_the_worker(
    world: World,
    check: Systems,
    lifecycle_settings: Settings,
    sandbox: SandboxHandle,
) -> None:
    quote = await world.quote("During an outage", lines=1)
    await sandbox.set_faults(fail_next={"count": 1, "status": 503}, apis=["bc"])
    engine = Engine(world.services, actor="test")
    outcome = await engine.start(DEFINITIONS["submitQuote"], {"crmQuoteId": quote.id})
    assert outcome.refusal is not None
    assert outcome.refusal.code == "UPSTREAM_UNAVAILABLE"
    assert outcome.instance is not None
    assert outcome.instance.status is WorkflowStatus.RUNNING
    steps = {step.name: step.status for step in outcome.instance.steps}
    assert steps == {
        "check": StepStatus.DONE,
        "lock-crm-quote": StepStatus.DONE,
        "create-erp-quote": StepStatus.FAILED,
    }
    await sandbox.clear_faults()

    worker = await run_burst_worker(lifecycle_settings, "resume_workflows")
    assert worker.jobs_complete == 1
    store = WorkflowStore(world.services.db)
    resumed = await store.get(outcome.instance.id or "")
    assert resumed is not None
    assert resumed.status is WorkflowStatus.SUCCEEDED, resumed.message
    found = await check.erp(
        "salesQuotes", **{"$filter": "externalDocumentNumber eq 'During an outage'"}
    )
    assert len(found["value"]) == 1
