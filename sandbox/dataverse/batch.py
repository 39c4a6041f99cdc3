"""`$batch` for the Dataverse Web API: `multipart/mixed` with change sets.

A change set is atomic: when one of its requests fails, the writes of the others are undone and
the batch response holds only the failing request's response in place of the change set.
Requests in a change set may refer to an earlier one's result with `$<Content-ID>`, in the
URL (`$1/quote_details`) or as a bind value (`"quoteid@odata.bind": "$1"`). Processing stops at
the first failure unless the batch sends `Prefer: odata.continue-on-error`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from sandbox.http import ApiRequest, ApiResponse
from sandbox.odata.multipart import BatchWriter, ChangeSet, HttpRequestPart, parse_batch
from sandbox.store.database import Journal

if TYPE_CHECKING:
    from sandbox.dataverse.api import DataverseApi

_REFERENCE = re.compile(rb'"\$(\d+)((?:/[^"]*)?)"')


async def run(api: DataverseApi, request: ApiRequest) -> ApiResponse:
    items = parse_batch(request.body, request.headers.get("content-type", ""))
    keep_going = "odata.continue-on-error" in request.preferences()
    writer = BatchWriter()
    for item in items:
        if isinstance(item, ChangeSet):
            failed = await _change_set(api, request, item, writer)
        else:
            await request.operation_started()
            response = await api.handle(_inner(request, item, {}))
            writer.add(response, item.content_id)
            failed = response.status >= 400
        if failed and not keep_going:
            break
    return writer.finish()


async def _change_set(
    api: DataverseApi, request: ApiRequest, change_set: ChangeSet, writer: BatchWriter
) -> bool:
    journal = Journal()
    results: dict[str, str] = {}
    responses: list[tuple[ApiResponse, str | None]] = []
    for part in change_set.requests:
        await request.operation_started()
        response = await api.handle(_inner(request, part, results), journal)
        if response.status >= 400:
            await journal.rollback()
            writer.add(response, part.content_id)
            return True
        responses.append((response, part.content_id))
        entity = response.headers.get("OData-EntityId")
        if part.content_id is not None and entity is not None:
            results[part.content_id] = entity
    writer.add_change_set(responses)
    return False


def _inner(outer: ApiRequest, part: HttpRequestPart, results: dict[str, str]) -> ApiRequest:
    url = part.url
    if url.startswith("$"):
        number, _, rest = url[1:].partition("/")
        if number in results:
            url = results[number] + (f"/{rest}" if rest else "")
    body = part.body
    if results and body:

        def substitute(match: re.Match[bytes]) -> bytes:
            found = results.get(match.group(1).decode())
            if found is None:
                return match.group(0)
            return b'"' + found.encode() + match.group(2) + b'"'

        body = _REFERENCE.sub(substitute, body)
    return ApiRequest.from_url(
        part.method,
        url,
        root=outer.root,
        headers=part.headers,
        body=body,
        client_id=outer.client_id,
    )
