"""The console's and GraphiQL's weight and first-load time in a real headless Chromium.

    python -m bench.console_load --url http://127.0.0.1:8000 --key <admin key> [--repeat 5]

against a running gateway (`gateway dev` prints its URL and key). For each page: the bytes of
every file it loads as served (compressed where the browser asked) and uncompressed, and the
time from navigation to the page being usable (the console: signed in and the job queue drawn;
GraphiQL: its editor drawn), each load in a fresh browser context (nothing cached), median and
worst of `--repeat`. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

import httpx
from playwright.async_api import Browser, Page, Request, async_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@dataclass
class Load:
    seconds: list[float] = field(default_factory=list)
    files: dict[str, int] = field(default_factory=dict)  # path -> bytes uncompressed


async def console_ready(page: Page, url: str, key: str) -> None:
    await page.add_init_script(f"sessionStorage.setItem('gateway.apiKey', '{key}')")
    await page.goto(f"{url}/console")
    await page.locator("tr[data-mapping]").first.wait_for()


async def graphiql_ready(page: Page, url: str, key: str) -> None:
    await page.goto(f"{url}/graphql")
    await page.locator(".graphiql-container .CodeMirror").first.wait_for()


def _collector(paths: list[str]) -> Callable[[Request], None]:
    return lambda request: paths.append(request.url)


Ready = Callable[[Page, str, str], Awaitable[None]]


async def measure(browser: Browser, url: str, key: str, ready: Ready, repeat: int) -> Load:
    load = Load()
    for _ in range(repeat):
        context = await browser.new_context(viewport={"width": 1440, "height": 900})
        page = await context.new_page()
        paths: list[str] = []
        page.on("requestfinished", _collector(paths))
        started = time.perf_counter()
        await ready(page, url, key)
        load.seconds.append(time.perf_counter() - started)
        for path in paths:
            if path.startswith(url) and not path.endswith("/graphql"):
                load.files[path.removeprefix(url)] = 0
        await context.close()
    return load


async def sizes(url: str, paths: list[str]) -> dict[str, tuple[int, int]]:
    """Uncompressed bytes, and bytes on the wire when the client accepts gzip."""
    found: dict[str, tuple[int, int]] = {}
    async with httpx.AsyncClient(base_url=url) as client:
        for path in paths:
            plain = await client.get(path, headers={"Accept-Encoding": "identity"})
            zipped = await client.get(path, headers={"Accept-Encoding": "gzip"})
            found[path] = (len(plain.content), zipped.num_bytes_downloaded)
    return found


async def main(url: str, key: str, repeat: int) -> None:
    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            pages = {
                "console": await measure(browser, url, key, console_ready, repeat),
                "GraphiQL": await measure(browser, url, key, graphiql_ready, repeat),
            }
        finally:
            await browser.close()
    print("| page | files | bytes | on the wire (gzip) | first load, median | worst |")
    print("|---|---:|---:|---:|---:|---:|")
    for name, load in pages.items():
        found = await sizes(url, sorted(load.files))
        plain = sum(size for size, _ in found.values())
        wire = sum(size for _, size in found.values())
        print(
            f"| {name} | {len(found)} | {plain:,} | {wire:,} | "
            f"{statistics.median(load.seconds) * 1000:.0f} ms | {max(load.seconds) * 1000:.0f} ms |"
        )
    print()
    for name, load in pages.items():
        for path, (plain, wire) in (await sizes(url, sorted(load.files))).items():
            print(f"- {name}: `{path}` {plain:,} B ({wire:,} B gzip)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--key", required=True)
    parser.add_argument("--repeat", type=int, default=5)
    options = parser.parse_args()
    asyncio.run(main(options.url.rstrip("/"), options.key, options.repeat))
