"""Dataverse webhooks: registered steps that POST the remote execution context of a write.

A step (`sdkmessageprocessingsteps`) names a message (Create, Update, Delete), the table it
applies to (through its `sdkmessagefilters` row) and the webhook (`serviceendpoints`,
contract 8) it sends to; an Update step with `filteringattributes` fires only when the write
set one of them. Steps run asynchronously after the write (post-operation, stage 40), as the
asynchronous service does: each event is one POST of a `RemoteExecutionContext` (message,
table and record, the target's attributes, the initiating user), with the endpoint's
authentication (`WebhookKey`: `?code=<value>`; `HttpHeader` / `HttpQueryString`: the pairs of
`<settings><setting name="…" value="…"/></settings>`). A failed delivery is tried again (the
system job is retried) up to the configured attempts, then the job fails.

Registrations are read into memory when they change (writes to those tables are observed
like any other), so that a write to a table nobody listens to costs nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import re
import uuid
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import orjson

from sandbox.dataverse.actions import BUSINESS_UNIT_ID, ORGANIZATION_ID
from sandbox.dataverse.catalogue import TABLES, Table
from sandbox.dataverse.context import ACTING_USER
from sandbox.model import FieldType
from sandbox.notify.outbox import Delivery, Outbox
from sandbox.notify.settings import NotificationSettings
from sandbox.odata.values import now
from sandbox.store.database import ApiDatabase, Doc, WriteEvent

API = "dataverse"
REGISTRATION = frozenset({"serviceendpoints", "sdkmessageprocessingsteps"})
WEBHOOK_CONTRACT = 8
WEBHOOK_KEY, HTTP_HEADER, HTTP_QUERY_STRING = 4, 5, 6
ASYNCHRONOUS, POST_OPERATION = 1, 40
ORGANIZATION_NAME = "sandbox"
_MESSAGE_OF = {"created": "Create", "updated": "Update", "deleted": "Delete"}
_SETTING = re.compile(r'<setting\s+name="([^"]*)"\s+value="([^"]*)"\s*/>')
_CONTRACTS = "http://schemas.microsoft.com/xrm/2011/Contracts"
_INTERNAL = frozenset({"_id", "_seq", "_version", "_key", "_lookups"})


@dataclass(frozen=True, slots=True)
class _Step:
    id: str
    message: str
    entity: str  # logical name of the table
    filtering: frozenset[str]  # empty: every Update
    url: str
    authtype: int
    authvalue: str


@dataclass(frozen=True, slots=True)
class _Event:
    write: WriteEvent
    user: str
    at: dt.datetime


class DataverseWebhooks:
    def __init__(self, db: ApiDatabase, outbox: Outbox, settings: Any, caller_id: str) -> None:
        self.db = db
        self.outbox = outbox
        self._settings = settings  # () -> NotificationSettings
        self._caller_id = caller_id
        self._steps: dict[str, list[_Step]] = {}
        self._stale = True
        self._events: list[_Event] = []
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None

    @property
    def settings(self) -> NotificationSettings:
        settings: NotificationSettings = self._settings()
        return settings

    async def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="dataverse-webhooks")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def clear(self) -> None:
        self._events.clear()
        self._steps.clear()
        self._stale = True

    def observe(self, event: WriteEvent) -> None:
        if event.entity_set in REGISTRATION:
            self._stale = True
        elif not self._steps and not self._stale:
            return  # nobody listens
        if event.entity_set not in TABLES:
            return
        self._events.append(_Event(event, ACTING_USER.get() or self._caller_id, now()))
        self._wake.set()

    async def _run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            events, self._events = self._events, []
            for event in events:
                if event.write.entity_set in REGISTRATION:
                    continue
                if self._stale:
                    self._stale = False
                    await self._load()
                for step in self._matching(event):
                    self._send(step, event)

    async def _load(self) -> None:
        database = self.db.database
        messages = {doc["_id"]: doc["name"] async for doc in database["sdkmessages"].find({})}
        filters = {
            doc["_id"]: doc["primaryobjecttypecode"]
            async for doc in database["sdkmessagefilters"].find({})
        }
        endpoints = {
            doc["_id"]: doc
            async for doc in database["serviceendpoints"].find({"contract": WEBHOOK_CONTRACT})
        }
        steps: dict[str, list[_Step]] = {}
        query = {"statecode": 0, "mode": ASYNCHRONOUS}
        async for doc in database["sdkmessageprocessingsteps"].find(query):
            endpoint = endpoints.get(doc.get("_eventhandler_value"))
            entity = filters.get(doc.get("_sdkmessagefilterid_value"))
            message = messages.get(doc.get("_sdkmessageid_value"))
            if endpoint is None or entity is None or message is None:
                continue
            attributes = (doc.get("filteringattributes") or "").lower().split(",")
            steps.setdefault(entity, []).append(
                _Step(
                    id=doc["_id"],
                    message=message,
                    entity=entity,
                    filtering=frozenset(a.strip() for a in attributes if a.strip()),
                    url=endpoint.get("url") or "",
                    authtype=int(endpoint.get("authtype") or 0),
                    authvalue=endpoint.get("authvalue") or "",
                )
            )
        self._steps = steps

    def _matching(self, event: _Event) -> list[_Step]:
        table = TABLES[event.write.entity_set]
        message = _MESSAGE_OF[event.write.kind]
        changed = attribute_names(event.write.changed)
        return [
            step
            for step in self._steps.get(table.entity_set.entity, [])
            if step.message == message
            and (message != "Update" or not step.filtering or step.filtering & changed)
        ]

    def _send(self, step: _Step, event: _Event) -> None:
        table = TABLES[event.write.entity_set]
        context = execution_context(table, step, event)
        url, headers = step.url, _headers(table, step, context)
        credentials = _settings_pairs(step.authvalue)
        if step.authtype == WEBHOOK_KEY:
            url = _with_query(url, {"code": step.authvalue})
        elif step.authtype == HTTP_QUERY_STRING:
            url = _with_query(url, credentials)
        elif step.authtype == HTTP_HEADER:
            headers.update(credentials)
        self.outbox.post(
            Delivery(api=API, url=url, body=orjson.dumps(context), headers=headers),
            delay=self.settings.delay_ms / 1000,
        )


def attribute_names(columns: frozenset[str]) -> frozenset[str]:
    """Storage columns as attribute logical names (`_ownerid_value` is `ownerid`)."""
    names = set()
    for column in columns:
        if column in _INTERNAL:
            continue
        if column.startswith("_") and column.endswith("_value"):
            names.add(column[1 : -len("_value")])
        elif not column.startswith("_"):
            names.add(column)
    return frozenset(names)


def _date(moment: Any) -> str:
    if isinstance(moment, dt.datetime):
        stamp = moment.replace(tzinfo=dt.UTC) if moment.tzinfo is None else moment
        return f"/Date({int(stamp.timestamp() * 1000)})/"
    return str(moment)


def _reference(logical_name: str, record_id: Any) -> dict[str, Any]:
    return {
        "__type": f"EntityReference:{_CONTRACTS}",
        "Id": str(record_id),
        "KeyAttributes": [],
        "LogicalName": logical_name,
        "Name": None,
        "RowVersion": None,
    }


def _attribute(table: Table, doc: Doc, column: str) -> tuple[str, Any] | None:
    entity_set = table.entity_set
    value = doc.get(column)
    if column.startswith("_") and column.endswith("_value"):
        targets = doc.get("_lookups") or {}
        target_set = targets.get(column) or next(
            (
                next(iter(lookup.targets.values()))
                for lookup in table.lookups.values()
                if lookup.column == column
            ),
            None,
        )
        name = column[1 : -len("_value")]
        if value is None or target_set is None:
            return name, None
        return name, _reference(TABLES[target_set].entity_set.entity, value)
    field = entity_set.fields.get(column) or next(
        (f for f in entity_set.fields.values() if f.stored_as == column), None
    )
    if field is None:
        return None
    if field.type is FieldType.DATETIME:
        return field.name, None if value is None else _date(value)
    if field.choices is not None and field.type is FieldType.INT and value is not None:
        return field.name, {"__type": f"OptionSetValue:{_CONTRACTS}", "Value": value}
    return field.name, value


def execution_context(table: Table, step: _Step, event: _Event) -> dict[str, Any]:
    """The `RemoteExecutionContext` of one event for one step, as JSON."""
    write = event.write
    entity = table.entity_set.entity
    record_id = str(write.key)
    message = _MESSAGE_OF[write.kind]
    target: dict[str, Any]
    if write.kind == "deleted":
        target = _reference(entity, record_id)
    else:
        columns = write.doc if write.kind == "created" else write.changed
        attributes = [
            {"key": name, "value": value}
            for column in sorted(columns)
            if column not in _INTERNAL
            and (found := _attribute(table, write.doc, column)) is not None
            for name, value in [found]
        ]
        attributes.append({"key": table.entity_set.key, "value": record_id})
        attributes.append({"key": "modifiedby", "value": _reference("systemuser", event.user)})
        target = {
            "__type": f"Entity:{_CONTRACTS}",
            "Attributes": attributes,
            "EntityState": None,
            "FormattedValues": [],
            "Id": record_id,
            "KeyAttributes": [],
            "LogicalName": entity,
            "RelatedEntities": [],
            "RowVersion": str(write.doc.get("_version", "")),
        }
    correlation = str(uuid.uuid4())
    return {
        "BusinessUnitId": BUSINESS_UNIT_ID,
        "CorrelationId": correlation,
        "Depth": 1,
        "InitiatingUserId": event.user,
        "InputParameters": [{"key": "Target", "value": target}],
        "IsExecutingOffline": False,
        "IsInTransaction": False,
        "IsOfflinePlayback": False,
        "IsolationMode": 1,
        "MessageName": message,
        "Mode": ASYNCHRONOUS,
        "OperationCreatedOn": _date(event.at),
        "OperationId": str(uuid.uuid4()),
        "OrganizationId": ORGANIZATION_ID,
        "OrganizationName": ORGANIZATION_NAME,
        "OutputParameters": [],
        "OwningExtension": _reference("sdkmessageprocessingstep", step.id),
        "ParentContext": None,
        "PostEntityImages": [],
        "PreEntityImages": [],
        "PrimaryEntityId": record_id,
        "PrimaryEntityName": entity,
        "RequestId": None,
        "SecondaryEntityName": "none",
        "SharedVariables": [],
        "Stage": POST_OPERATION,
        "UserId": event.user,
    }


def _headers(table: Table, step: _Step, context: dict[str, Any]) -> dict[str, str]:
    return {
        "x-request-id": str(uuid.uuid4()),
        "x-ms-dynamics-organization": f"{ORGANIZATION_NAME}.crm.dynamics.com",
        "x-ms-dynamics-entity-name": table.entity_set.entity,
        "x-ms-dynamics-request-name": step.message,
        "x-ms-correlation-request-id": context["CorrelationId"],
    }


def _settings_pairs(authvalue: str) -> dict[str, str]:
    return dict(_SETTING.findall(authvalue))


def _with_query(url: str, params: dict[str, str]) -> str:
    return url + ("&" if "?" in url else "?") + urlencode(params)
