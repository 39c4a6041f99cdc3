"""Signing in to the console with an API key, and a key that is refused."""

from __future__ import annotations

from playwright.async_api import Page, expect

from tests.conftest import TEST_API_KEY
from tests.console.conftest import screenshot, sign_in


async def test_an_admin_signs_in_and_sees_the_job_queue(page: Page, console_url: str) -> None:
    await sign_in(page, console_url, TEST_API_KEY)
    await expect(page.locator("#viewer")).to_contain_text("admin")
    await expect(page.get_by_role("heading", name="Job queue entries")).to_be_visible()
    await expect(page.locator("tr[data-mapping='CUSTOMER']")).to_be_visible()
    await expect(page.locator("tr[data-mapping='CUSTOMER']")).to_contain_text("READY")
    await screenshot(page, "job-queue")
    # The key lives in this tab only: a reload stays signed in, signing out forgets it.
    await page.reload()
    await expect(page.locator("#viewer")).to_contain_text("admin")
    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_label("API key")).to_be_visible()
    assert await page.evaluate("sessionStorage.getItem('gateway.apiKey')") is None


async def test_a_refused_key_stays_at_the_sign_in(page: Page, console_url: str) -> None:
    await sign_in(page, console_url, "gw_not_a_key_of_ours_0000000000")
    await expect(page.locator("#sign-in-error")).to_contain_text("refused")
    await expect(page.locator("#nav")).to_be_hidden()
    assert await page.evaluate("sessionStorage.getItem('gateway.apiKey')") is None
    await screenshot(page, "sign-in-refused")
