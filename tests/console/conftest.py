"""The console against the sandbox's demo data: the API served over TCP, a real headless
Chromium (Debian's, driven by Playwright), and keys of each role."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import httpx
import pytest
from playwright.async_api import Browser, Locator, Page, async_playwright

from gateway.app import create_app
from gateway.asgi_server import running_server
from gateway.auth.keys import ApiKeyStore
from gateway.auth.roles import Role
from gateway.services import Services, open_services
from gateway.settings import Settings
from gateway.store.sync_runs import RunStatus
from gateway.sync.full import run_full_synchronization, start_full_synchronization
from tests.conftest import TEST_API_KEY
from tests.support import poll_readiness
from tests.support_sandbox import SandboxHandle
from tests.sync.support import PARTIES_ONLY

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "console"
ACCOUNTS = 40


@pytest.fixture
def console_settings(connected_settings: Settings) -> Settings:
    return connected_settings.model_copy(
        update={"sync_page_size": 10, "api_rate_limit": 0, "connector_max_attempts": 1}
    )


@pytest.fixture
async def store(console_settings: Settings, sandbox: SandboxHandle) -> AsyncIterator[Services]:
    """Demo customers and accounts with their salespeople and currencies synchronized; the
    test's own services, to arrange and to check."""
    await sandbox.seed(accounts=ACCOUNTS, **PARTIES_ONLY)
    async with open_services(console_settings, wait_for_store=True) as services:
        run = await start_full_synchronization(services, ["SALESPEOPLE", "CURRENCY"], actor="t")
        assert run.id is not None
        done = await run_full_synchronization(services, run.id)
        assert done.status is RunStatus.SUCCEEDED, done.message
        yield services


@pytest.fixture
async def console_url(console_settings: Settings, store: Services) -> AsyncIterator[str]:
    async with running_server(create_app(console_settings)) as url:
        await poll_readiness(url)
        yield url


@pytest.fixture
async def admin_api(console_url: str) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(
        base_url=console_url, headers={"Authorization": f"Bearer {TEST_API_KEY}"}, timeout=60
    ) as client:
        yield client


@pytest.fixture
def key_of(store: Services) -> Callable[[Role], Awaitable[str]]:
    async def make(role: Role) -> str:
        _, key = await ApiKeyStore(store.db).create(f"{role.value}-console", role)
        return key

    return make


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield launched
        finally:
            await launched.close()


@pytest.fixture
async def page(browser: Browser) -> AsyncIterator[Page]:
    context = await browser.new_context(viewport={"width": 1440, "height": 900})
    opened = await context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    # What the page printed, shown by pytest when a test fails.
    opened.on("console", lambda message: print(f"console {message.type}: {message.text}"))
    try:
        yield opened
    finally:
        await context.close()
    assert errors == [], f"the page raised: {errors}"


async def sign_in(page: Page, url: str, key: str) -> None:
    await page.goto(f"{url}/console")
    await page.get_by_label("API key").fill(key)
    await page.get_by_role("button", name="Sign in").click()


def nav(page: Page, name: str) -> Locator:
    """A link of the console's navigation bar."""
    return page.locator("#nav").get_by_role("link", name=name, exact=True)


async def screenshot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=False)
