"""`$batch` in the OData JSON batch format, as Business Central supports it.

`{"requests": [{"id", "method", "url", "headers", "body", "atomicityGroup", "dependsOn"}]}` ->
`{"responses": [{"id", "status", "headers", "body"}]}`. URLs are relative to `api/v2.0/` (or
absolute). Requests sharing an `atomicityGroup` are atomic, and with the header
`Isolation: snapshot` the whole batch is: when one fails, the writes of the others are undone
(their responses are still reported, as Business Central does). A request whose `dependsOn`
names a failed request is not run and answers 424. `$<id>` at the start of a URL refers to the
record created by an earlier request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import orjson

from sandbox.errors import ErrorKind, SandboxError
from sandbox.http import ApiRequest, ApiResponse, json_response
from sandbox.store.database import Journal

if TYPE_CHECKING:
    from sandbox.bc.api import BusinessCentralApi


def _requests(request: ApiRequest) -> list[dict[str, Any]]:
    body = request.json()
    items = body.get("requests")
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise SandboxError(ErrorKind.BAD_PAYLOAD, "The batch body must have a 'requests' array.")
    for index, item in enumerate(items):
        if not isinstance(item.get("method"), str) or not isinstance(item.get("url"), str):
            raise SandboxError(
                ErrorKind.BAD_PAYLOAD, f"Batch request {index} needs a 'method' and a 'url'."
            )
    return items


async def run(api: BusinessCentralApi, request: ApiRequest) -> ApiResponse:
    items = _requests(request)
    whole = request.headers.get("isolation", "").lower() == "snapshot"
    journals: dict[str, Journal] = {}
    failed_groups: set[str] = set()
    outcomes: dict[str, int] = {}
    locations: dict[str, str] = {}
    responses: list[dict[str, Any]] = []
    for index, item in enumerate(items):
        request_id = str(item.get("id", index))
        group = "*" if whole else item.get("atomicityGroup")
        depends = [str(d) for d in item.get("dependsOn") or []]
        if any(outcomes.get(d, 200) >= 400 for d in depends) or (group in failed_groups):
            outcomes[request_id] = 424
            responses.append(_entry(request_id, json_response(424, _failed(depends))))
            continue
        journal = journals.setdefault(group, Journal()) if group else None
        inner = _inner(request, item, locations)
        await request.operation_started()
        response = await api.handle(inner, journal)
        outcomes[request_id] = response.status
        if response.status >= 400 and group:
            failed_groups.add(group)
            await journals[group].rollback()
        location = response.headers.get("Location")
        if location is not None:
            locations[request_id] = location
        responses.append(_entry(request_id, response))
    return json_response(200, {"responses": responses})


def _failed(depends: list[str]) -> dict[str, Any]:
    return {
        "error": {
            "code": "BadRequest",
            "message": "A request this one depends on failed: "
            f"{', '.join(depends) or 'its atomicity group'}.",
        }
    }


def _inner(outer: ApiRequest, item: dict[str, Any], locations: dict[str, str]) -> ApiRequest:
    url = str(item["url"])
    if url.startswith("$"):
        reference, _, rest = url[1:].partition("/")
        if reference in locations:
            url = locations[reference] + (f"/{rest}" if rest else "")
    headers = {str(k): str(v) for k, v in (item.get("headers") or {}).items()}
    body = item.get("body")
    raw = b"" if body is None else orjson.dumps(body)
    return ApiRequest.from_url(
        str(item["method"]),
        url,
        root=outer.root,
        headers=headers,
        body=raw,
        client_id=outer.client_id,
    )


def _entry(request_id: str, response: ApiResponse) -> dict[str, Any]:
    headers = {name.lower(): value for name, value in response.headers.items()}
    if response.media_type:
        headers["content-type"] = response.media_type
    entry: dict[str, Any] = {"id": request_id, "status": response.status, "headers": headers}
    if response.body is not None:
        entry["body"] = (
            orjson.loads(response.content())
            if response.media_type and "json" in response.media_type
            else response.content().decode()
        )
    return entry
