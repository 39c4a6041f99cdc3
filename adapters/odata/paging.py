"""Server-driven paging: `Prefer: odata.maxpagesize` and `@odata.nextLink`.

The page size is a preference the server may lower (Dataverse caps it at 5,000); the next link
is opaque and is followed as given, with the same preference, until a page has none. A page
read with `Prefer: odata.track-changes` ends, instead, with an `@odata.deltaLink` that reads
the changes made after it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

from adapters.errors import FatalError
from adapters.odata.client import ODataClient


@dataclass(frozen=True, slots=True)
class ODataPage:
    values: list[dict[str, Any]]
    next_link: str | None = None
    delta_link: str | None = None
    count: int | None = None
    # Whether the server applied `odata.track-changes` (the `Preference-Applied` header).
    tracking: bool = False


def prefer(
    *, page_size: int | None = None, track_changes: bool = False, extra: Sequence[str] = ()
) -> str:
    parts = list(extra)
    if track_changes:
        parts.append("odata.track-changes")
    if page_size is not None:
        parts.append(f"odata.maxpagesize={page_size}")
    return ",".join(parts)


async def fetch_page(
    client: ODataClient,
    url: str,
    *,
    doing: str,
    page_size: int | None,
    track_changes: bool = False,
) -> ODataPage:
    header = prefer(page_size=page_size, track_changes=track_changes)
    response = await client.send(
        "GET", url, doing=doing, headers={"Prefer": header} if header else None
    )
    data = client.json(response, doing)
    values = data.get("value")
    if not isinstance(values, list):
        raise FatalError(f"{doing}: the answer has no 'value' collection", system=client.system)
    next_link = data.get("@odata.nextLink")
    delta_link = data.get("@odata.deltaLink")
    for link in (next_link, delta_link):
        if link is not None and not (isinstance(link, str) and client.owns(client.url(link))):
            raise FatalError(
                f"{doing}: the server sent a paging link outside this service", system=client.system
            )
    count = data.get("@odata.count")
    applied = response.headers.get("Preference-Applied", "")
    return ODataPage(
        values=[value for value in values if isinstance(value, dict)],
        next_link=client.url(next_link) if next_link else None,
        delta_link=client.url(delta_link) if delta_link else None,
        count=int(count) if isinstance(count, int | str) and str(count).isdigit() else None,
        tracking="odata.track-changes" in applied,
    )


async def iter_pages(
    client: ODataClient,
    url: str,
    *,
    doing: str,
    page_size: int | None,
    track_changes: bool = False,
) -> AsyncIterator[ODataPage]:
    """Every page from `url` on, following next links; stops after the page without one."""
    next_url: str | None = url
    while next_url is not None:
        page = await fetch_page(
            client, next_url, doing=doing, page_size=page_size, track_changes=track_changes
        )
        yield page
        next_url = page.next_link
