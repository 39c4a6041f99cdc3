"""What each role is offered, and every page shown with the sandbox's data (the screenshots
linked from the README are taken here)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from playwright.async_api import Page, expect

from gateway.auth.roles import Role
from gateway.services import Services
from gateway.store.sync_runs import RunStatus
from gateway.sync.full import run_full_synchronization, start_full_synchronization
from tests.conftest import TEST_API_KEY
from tests.console.conftest import nav, screenshot, sign_in

ACTIONS = (
    "Put on hold",
    "Resume",
    "Run now",
    "Save",
    "Retry",
    "Retry all of this mapping",
    "Run full synchronization",
    "Synchronize now",
    "Uncouple",
    "Create customer and couple",
)
PAGES = ("Job queue", "Sync runs", "Errors", "Couplings", "Table mappings", "Workflows")


async def customers_synchronized(store: Services) -> None:
    run = await start_full_synchronization(store, ["CUSTOMER"], actor="t")
    assert run.id is not None
    assert (await run_full_synchronization(store, run.id)).status is RunStatus.SUCCEEDED


async def test_a_reader_sees_no_button_that_would_fail(
    page: Page, console_url: str, store: Services, key_of: Callable[[Role], Awaitable[str]]
) -> None:
    await customers_synchronized(store)
    await sign_in(page, console_url, await key_of(Role.READER))
    await expect(page.locator("#viewer")).to_contain_text("reader")
    await expect(nav(page, "Integration log")).to_be_hidden()
    for name in PAGES:
        await nav(page, name).click()
        await expect(page.locator("#page h2")).to_be_visible()
        await expect(page.locator("#page table, #page details").first).to_be_visible()
        for action in ACTIONS:
            await expect(page.get_by_role("button", name=action, exact=True)).to_have_count(0)
        await expect(page.locator("#page select[name='direction']")).to_have_count(0)
    # What the reader reads is there all the same.
    await nav(page, "Couplings").click()
    await expect(page.locator("tr[data-coupling]").first).to_be_visible()


async def test_an_integrator_may_synchronize_but_not_administer(
    page: Page, console_url: str, store: Services, key_of: Callable[[Role], Awaitable[str]]
) -> None:
    await customers_synchronized(store)
    await sign_in(page, console_url, await key_of(Role.INTEGRATOR))
    await expect(page.locator("#viewer")).to_contain_text("integrator")
    await expect(page.get_by_role("button", name="Put on hold")).to_have_count(0)
    await nav(page, "Couplings").click()
    await expect(page.get_by_role("button", name="Synchronize now").first).to_be_visible()
    await nav(page, "Table mappings").click()
    await expect(page.locator("details.mapping").first).to_be_visible()
    await expect(page.get_by_role("button", name="Save")).to_have_count(0)


async def test_every_page_with_the_sandbox_data(
    page: Page, console_url: str, store: Services
) -> None:
    await customers_synchronized(store)
    await sign_in(page, console_url, TEST_API_KEY)

    await nav(page, "Couplings").click()
    await page.get_by_label("Mapping").select_option("CUSTOMER")
    await page.get_by_role("button", name="Search").click()
    rows = page.locator("tr[data-coupling]")
    await expect(rows.first).to_contain_text("CUSTOMER")
    key = (await rows.first.locator("b").first.inner_text()).strip()
    await page.get_by_label("Record id or key").fill(key)
    await page.get_by_role("button", name="Search").click()
    await expect(rows).to_have_count(1)
    await rows.first.get_by_role("button", name="Synchronize now").click()
    await expect(page.locator("#toast")).to_contain_text("Synchronized")
    await page.get_by_label("Record id or key").fill("")
    await page.get_by_role("button", name="Search").click()
    await expect(rows.nth(1)).to_be_visible()
    await screenshot(page, "couplings")

    await nav(page, "Table mappings").click()
    customer = page.locator("details[data-mapping='CUSTOMER']")
    await customer.locator("summary").click()
    await customer.get_by_label("Conflict policy").select_option("NEWEST_WINS")
    await customer.get_by_role("button", name="Save").click()
    await expect(page.locator("#toast")).to_contain_text("CUSTOMER saved")
    stored = await store.mappings.get("CUSTOMER")
    assert stored is not None
    assert stored.conflict_policy.value == "NEWEST_WINS"
    await page.locator("details[data-mapping='CUSTOMER'] summary").click()
    await screenshot(page, "table-mappings")

    await nav(page, "Integration log").click()
    await expect(page.locator("#page tbody tr").first).to_contain_text("updateTableMapping")
    await page.get_by_label("Operation (e.g. synchronizeNow)").fill("synchronizeNow")
    await page.get_by_role("button", name="Search").click()
    await expect(page.locator("#page tbody tr").first).to_contain_text("synchronizeNow")
    await screenshot(page, "integration-log")

    await nav(page, "Workflows").click()
    await expect(page.get_by_role("heading", name="Workflow instances")).to_be_visible()
    await screenshot(page, "workflows")
