"""GraphiQL served whole by the gateway: with the browser's network limited to this machine,
the page loads, runs a query with the key from its headers editor, and runs a subscription
over the WebSocket; no request leaves for anywhere else."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

import httpx
from playwright.async_api import Browser, Request, Route, expect

from tests.conftest import TEST_API_KEY
from tests.console.conftest import screenshot
from tests.console.support import data

LOOPBACK = {"127.0.0.1", "localhost", "[::1]"}
QUERY = "query Who { viewer { name role } systemInfo { version } }"
SUBSCRIPTION = "subscription Follow($id: ID!) { syncRunUpdated(id: $id) { id status mapping } }"
START = """mutation { runFullSynchronization(input: {mappings: ["CURRENCY"]}) {
  syncRun { id } userErrors { message } } }"""


async def test_graphiql_runs_queries_and_subscriptions_offline(
    browser: Browser, console_url: str, admin_api: httpx.AsyncClient
) -> None:
    # A run that stays queued (no worker here): its subscription answers its state at once.
    run_id = (await data(admin_api, START))["runFullSynchronization"]["syncRun"]["id"]
    context = await browser.new_context(viewport={"width": 1440, "height": 900})
    left: list[str] = []

    async def loopback_only(route: Route, request: Request) -> None:
        if urlsplit(request.url).hostname in LOOPBACK or request.url.startswith("data:"):
            await route.continue_()
        else:
            left.append(request.url)
            await route.abort()

    await context.route("**/*", loopback_only)
    page = await context.new_page()
    failures: list[str] = []
    page.on("pageerror", lambda error: failures.append(str(error)))
    page.on("requestfailed", lambda request: failures.append(request.url))
    page.on(
        "console",
        lambda message: failures.append(message.text) if message.type == "error" else None,
    )
    sockets: list[str] = []
    page.on("websocket", lambda socket: sockets.append(socket.url))
    # The key GraphiQL starts with: the console's, from this tab's session storage.
    await page.add_init_script(f"sessionStorage.setItem('gateway.apiKey', '{TEST_API_KEY}')")
    try:
        await page.goto(f"{console_url}/graphql#query={quote(QUERY)}")
        await expect(page.locator(".graphiql-container")).to_be_visible(timeout=30_000)
        await page.locator(".graphiql-execute-button").click()
        response = page.locator(".graphiql-response")
        await expect(response).to_contain_text('"role": "ADMIN"', timeout=30_000)
        await screenshot(page, "graphiql")

        variables = quote(f'{{"id": "{run_id}"}}')
        await page.goto(f"{console_url}/graphql#query={quote(SUBSCRIPTION)}&variables={variables}")
        await page.reload()  # a new hash alone does not reload the page
        await expect(page.locator(".graphiql-container")).to_be_visible(timeout=30_000)
        await page.locator(".graphiql-execute-button").click()
        await expect(page.locator(".graphiql-response")).to_contain_text(
            '"status": "QUEUED"', timeout=30_000
        )
        assert sockets
        assert all(urlsplit(url).hostname in LOOPBACK for url in sockets)
    finally:
        await context.close()
    assert left == [], f"requests left the machine: {left}"
    assert failures == []
