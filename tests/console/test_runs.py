"""A full synchronization started from the console, carried out by a worker in a process of its
own: the run's page follows its progress to the end without a reload, through the
subscription (the worker's updates reach the API through Redis)."""

from __future__ import annotations

from pathlib import Path

from playwright.async_api import Page, expect

from gateway.settings import Settings
from tests.conftest import TEST_API_KEY
from tests.console.conftest import nav, screenshot, sign_in
from tests.console.support import worker_process

# Every value the run's progress bar takes, recorded by the page itself.
RECORD_PROGRESS = """
window.seenProgress = [];
new MutationObserver(() => {
  for (const bar of document.querySelectorAll("progress[data-run]")) {
    const value = Number(bar.value);
    if (window.seenProgress.at(-1) !== value) window.seenProgress.push(value);
  }
}).observe(document.body, { subtree: true, childList: true, attributes: true });
"""


async def test_a_run_started_from_the_console_shows_its_progress_to_the_end(
    page: Page, console_url: str, console_settings: Settings, tmp_path: Path
) -> None:
    await sign_in(page, console_url, TEST_API_KEY)
    await nav(page, "Sync runs").click()
    await expect(page.get_by_role("heading", name="Sync runs")).to_be_visible()
    await page.get_by_label("Mapping").select_option("CUSTOMER")
    await page.evaluate(RECORD_PROGRESS)
    with worker_process(console_settings, tmp_path / "worker.log") as worker:
        await page.get_by_role("button", name="Run full synchronization").click()
        await expect(page.get_by_role("heading", name="Run of CUSTOMER")).to_be_visible()
        marker = await page.evaluate("window.stillTheSamePage = true")
        assert marker is True
        await expect(page.locator(".status").first).to_have_text("SUCCEEDED", timeout=120_000)
        assert worker.running, worker.log_tail()
    await expect(page.locator("progress[data-run]")).to_have_attribute("value", "100")
    assert await page.evaluate("window.stillTheSamePage") is True  # never reloaded
    assert await page.evaluate("document.body.dataset.live") == "websocket"
    seen = await page.evaluate("window.seenProgress")
    assert seen[-1] == 100
    assert len(seen) >= 2, seen  # it moved while the page watched
    await expect(page.locator("[data-counter='inserted']")).not_to_have_text("0")
    await screenshot(page, "sync-run")

    await page.get_by_role("link", name="← Sync runs").click()
    await expect(page.locator("tbody tr").first).to_contain_text("CUSTOMER")
    await screenshot(page, "sync-runs")
