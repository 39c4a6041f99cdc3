"""The rules of webhook registration: what a service endpoint and a step must say.

- `serviceendpoints`: this sandbox serves webhooks only (`contract` 8) with an absolute
  http(s) `url` and `authtype` WebhookKey (4), HttpHeader (5) or HttpQueryString (6) with its
  `authvalue`; the value is never read back (GET answers null).
- `sdkmessageprocessingsteps`: asynchronous (`mode` 1) post-operation (`stage` 40) steps of
  Create, Update or Delete, with a message filter of the same message (the table), and a
  service endpoint as event handler; `filteringattributes` apply to Update only.
- `sdkmessages` and `sdkmessagefilters` are the platform's and cannot be written.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from sandbox.dataverse.catalogue import Table
from sandbox.dataverse.context import Dataverse
from sandbox.errors import ErrorKind, SandboxError
from sandbox.store.database import Doc

UNREADABLE = {"serviceendpoints": frozenset({"authvalue"})}
_READ_ONLY = frozenset({"sdkmessages", "sdkmessagefilters"})
_WEBHOOK_AUTH = (4, 5, 6)


def _refuse(message: str) -> SandboxError:
    return SandboxError(ErrorKind.BAD_PAYLOAD, message)


async def check(ctx: Dataverse, table: Table, values: dict[str, Any], before: Doc | None) -> None:
    """Refuse a registration write that breaks the rules, before anything is written."""
    name = table.entity_set.name
    if name in _READ_ONLY:
        raise SandboxError(
            ErrorKind.READ_ONLY, f"The {table.entity_set.entity} records are the platform's."
        )
    merged = {**(before or {}), **values}
    if name == "serviceendpoints":
        _endpoint(merged)
    elif name == "sdkmessageprocessingsteps":
        await _step(ctx, merged)


def check_delete(table: Table) -> None:
    if table.entity_set.name in _READ_ONLY:
        raise SandboxError(
            ErrorKind.READ_ONLY, f"The {table.entity_set.entity} records are the platform's."
        )


def _endpoint(endpoint: Doc) -> None:
    if endpoint.get("contract") != 8:
        raise _refuse("This environment registers webhooks only: 'contract' must be 8 (Webhook).")
    parts = urlsplit(str(endpoint.get("url") or ""))
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise _refuse("A webhook needs an absolute http(s) 'url'.")
    if endpoint.get("authtype") not in _WEBHOOK_AUTH:
        raise _refuse(
            "A webhook's 'authtype' must be 4 (WebhookKey), 5 (HttpHeader) or 6 (HttpQueryString)."
        )
    if not endpoint.get("authvalue"):
        raise _refuse("A webhook needs an 'authvalue' for its authentication.")


async def _step(ctx: Dataverse, step: Doc) -> None:
    if step.get("mode") != 1:
        raise _refuse("This environment runs webhook steps asynchronously only: 'mode' must be 1.")
    if step.get("stage") != 40:
        raise _refuse("An asynchronous step must run post-operation: 'stage' must be 40.")
    database = ctx.db.database
    message = await database["sdkmessages"].find_one({"_id": step.get("_sdkmessageid_value")})
    name = (message or {}).get("name")
    if name not in ("Create", "Update", "Delete"):
        raise _refuse("Webhook steps are registered for the Create, Update or Delete message.")
    message_filter = await database["sdkmessagefilters"].find_one(
        {"_id": step.get("_sdkmessagefilterid_value")}
    )
    if message_filter is None or message_filter.get("_sdkmessageid_value") != (message or {}).get(
        "_id"
    ):
        raise _refuse(
            f"The step needs a message filter (sdkmessagefilterid) of the {name} message."
        )
    if step.get("filteringattributes") and name != "Update":
        raise _refuse("Filtering attributes apply to the Update message only.")
    targets = step.get("_lookups") or {}
    if targets.get("_eventhandler_value", "serviceendpoints") != "serviceendpoints":
        raise _refuse("A webhook step's event handler is a service endpoint.")
