"""What operators do from the console, checked from the API's side: putting a job queue entry
on hold, retrying one sync error and every error of a mapping."""

from __future__ import annotations

import httpx
from playwright.async_api import Page, expect

from gateway.services import Services
from gateway.store.sync_runs import RunStatus
from gateway.sync.full import run_full_synchronization, start_full_synchronization
from tests.conftest import TEST_API_KEY
from tests.console.conftest import nav, screenshot, sign_in
from tests.console.support import data

ERRORS = """query ($mapping: String) { syncErrors(mapping: $mapping, first: 200) {
  edges { node { id erpId } } } }"""


async def test_putting_an_entry_on_hold_shows_in_the_api(
    page: Page, console_url: str, admin_api: httpx.AsyncClient
) -> None:
    await sign_in(page, console_url, TEST_API_KEY)
    row = page.locator("tr[data-mapping='CUSTOMER']")
    await row.get_by_role("button", name="Put on hold").click()
    await expect(row).to_contain_text("ON_HOLD")
    entries = (await data(admin_api, "{ jobQueueEntries { mapping onHold status } }"))[
        "jobQueueEntries"
    ]
    customer = next(entry for entry in entries if entry["mapping"] == "CUSTOMER")
    assert (customer["onHold"], customer["status"]) == (True, "ON_HOLD")
    others = [entry for entry in entries if entry["mapping"] != "CUSTOMER"]
    assert all(not entry["onHold"] for entry in others)

    await row.get_by_role("button", name="Resume").click()
    await expect(row).to_contain_text("READY")
    entries = (await data(admin_api, "{ jobQueueEntries { mapping onHold } }"))["jobQueueEntries"]
    assert next(e for e in entries if e["mapping"] == "CUSTOMER")["onHold"] is False


async def failed_customers(store: Services) -> None:
    """Customers (and accounts) that fail for want of their salesperson's coupling, which is
    then restored: the errors are ready to be retried."""
    couplings = store.db["couplings"]
    salespeople = await couplings.find({"mapping": "SALESPEOPLE"}).to_list(None)
    await couplings.delete_many({"mapping": "SALESPEOPLE"})
    run = await start_full_synchronization(store, ["CUSTOMER"], actor="t")
    assert run.id is not None
    done = await run_full_synchronization(store, run.id)
    assert done.status is RunStatus.SUCCEEDED, done.message
    assert done.counters.failed > 3
    await couplings.insert_many(salespeople)


async def test_retrying_errors_removes_them(
    page: Page, console_url: str, admin_api: httpx.AsyncClient, store: Services
) -> None:
    await failed_customers(store)
    failed = len((await data(admin_api, ERRORS, mapping="CUSTOMER"))["syncErrors"]["edges"])
    assert failed > 3

    await sign_in(page, console_url, TEST_API_KEY)
    await nav(page, "Errors").click()
    await page.get_by_label("Mapping").select_option("CUSTOMER")
    first = page.locator("tr[data-error]").first
    await expect(first).to_contain_text("DEPENDENCY_NOT_COUPLED")
    await screenshot(page, "sync-errors")
    retried = await first.get_attribute("data-error")
    await first.get_by_role("button", name="Retry").click()
    await expect(page.locator(f"tr[data-error='{retried}']")).to_have_count(0)
    left = (await data(admin_api, ERRORS, mapping="CUSTOMER"))["syncErrors"]["edges"]
    assert retried not in {edge["node"]["id"] for edge in left}
    assert len(left) == failed - 1

    await page.get_by_role("button", name="Retry all of this mapping").click()
    await expect(page.locator("#toast")).to_contain_text(
        f"CUSTOMER: {failed - 1} retried.", timeout=120_000
    )
    await expect(page.locator("tr[data-error]")).to_have_count(0)
    assert (await data(admin_api, ERRORS, mapping="CUSTOMER"))["syncErrors"]["edges"] == []
