"""Business Central webhook notifications: who subscribed to what, and the batches they get.

Every write of a company's record (`ApiDatabase` observers) is matched against the live
subscriptions to its entity set. Changes wait `delay_ms` after the first one for a
notification URL, one entry per record however often it changed (`created` stays `created`,
a deletion wins), then go out as one POST `{"value": [...]}` holding the entries of every
subscription to that URL. A subscription with more than `collection_threshold` changes in
the window gets one `collection` entry instead, whose resource filters on
`lastModifiedDateTime`: the subscriber reads the changes itself.

A delivery answered 408, 429 or 5xx (or not at all) is tried again; after the last try, or
after any other failing status at once, the subscriptions it carried are deleted, as the
service does. The validation handshake (on create and on renewal) POSTs to
`notificationUrl?validationToken=…` and expects the token back, with 200, in time.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
import secrets
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson
from pymongo.asynchronous.collection import AsyncCollection

from sandbox.bc.catalogue import ALIASES
from sandbox.model import COMPANY
from sandbox.notify.outbox import Delivery, Outbox
from sandbox.notify.settings import NotificationSettings
from sandbox.odata.values import now
from sandbox.store.database import ApiDatabase, Doc, WriteEvent

_log = logging.getLogger("sandbox.bc.webhooks")

COLLECTION = "subscriptions"
API = "bc"
# The entity sets Business Central notifies about (its `webhookSupportedResources`), of those
# this sandbox serves.
SUPPORTED = frozenset(
    {
        "customers",
        "items",
        "currencies",
        "unitsOfMeasure",
        "salesQuotes",
        "salesOrders",
        "salesInvoices",
    }
)
RESOURCE = re.compile(r"(?:^|/)api/v2\.0/companies\(([0-9a-fA-F-]{36})\)/([A-Za-z]+)/?$")
_RETRIED = frozenset({408, 429})


def iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_resource(resource: str) -> tuple[str, str] | None:
    """`/api/v2.0/companies(<id>)/customers` (relative or absolute) → (company, entity set)."""
    match = RESOURCE.search(resource.split("?", 1)[0])
    if match is None:
        return None
    entity_set = ALIASES.get(match.group(2), match.group(2))
    return match.group(1).lower(), entity_set


@dataclass
class _Window:
    """The changes waiting for one notification URL."""

    started: dt.datetime
    # subscription id -> record id -> (changeType, lastModifiedDateTime)
    changes: dict[str, dict[str, tuple[str, dt.datetime]]] = field(default_factory=dict)


class BcWebhooks:
    def __init__(self, db: ApiDatabase, outbox: Outbox, settings: Any) -> None:
        self.db = db
        self.outbox = outbox
        self._settings = settings  # () -> NotificationSettings
        self.subscriptions: dict[str, Doc] = {}
        self._windows: dict[str, _Window] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def settings(self) -> NotificationSettings:
        settings: NotificationSettings = self._settings()
        return settings

    @property
    def collection(self) -> AsyncCollection[Doc]:
        return self.db.database[COLLECTION]

    async def load(self) -> None:
        self.subscriptions = {doc["_id"]: doc async for doc in self.collection.find({})}

    def clear(self) -> None:
        self.subscriptions.clear()
        self._windows.clear()

    def remember(self, doc: Doc) -> None:
        self.subscriptions[doc["_id"]] = doc

    def forget(self, subscription_id: str) -> None:
        self.subscriptions.pop(subscription_id, None)

    # ---- the handshake ---------------------------------------------------------------------

    async def handshake(self, url: str) -> str | None:
        """None when the subscriber echoed the token in time; otherwise why not."""
        token = secrets.token_urlsafe(24)
        timeout = self.settings.handshake_timeout_ms / 1000
        try:
            response = await self.outbox.request(
                "POST", url, params={"validationToken": token}, timeout=timeout
            )
        except httpx.HTTPError as exc:
            self.outbox.stats.add(API, "handshakes_failed")
            return f"the notification URL did not answer ({type(exc).__name__})"
        echoed = response.text.strip().strip('"')
        if response.status_code != 200 or echoed != token:
            self.outbox.stats.add(API, "handshakes_failed")
            return (
                f"the notification URL answered {response.status_code} without the validation token"
            )
        self.outbox.stats.add(API, "handshakes")
        return None

    # ---- collecting changes ----------------------------------------------------------------

    def observe(self, event: WriteEvent) -> None:
        if event.entity_set not in SUPPORTED or not self.subscriptions:
            return
        company = str(event.doc.get(COMPANY, "")).lower()
        moment = now()
        modified = event.doc.get("lastModifiedDateTime")
        stamp = modified if isinstance(modified, dt.datetime) else moment
        for subscription in list(self.subscriptions.values()):
            if subscription["_expires"] <= moment:
                continue
            if (subscription["_company"], subscription["_entity_set"]) != (
                company,
                event.entity_set,
            ):
                continue
            url = subscription["notificationUrl"]
            window = self._windows.get(url)
            if window is None:
                window = self._windows[url] = _Window(started=moment)
                self._schedule(url)
            records = window.changes.setdefault(subscription["_id"], {})
            previous = records.get(str(event.key))
            kind = event.kind
            if previous is not None and previous[0] == "created" and kind == "updated":
                kind = "created"
            records[str(event.key)] = (kind, stamp)

    def _schedule(self, url: str) -> None:
        loop = asyncio.get_running_loop()
        loop.call_later(self.settings.delay_ms / 1000, self._flush, url)

    def _flush(self, url: str) -> None:
        window = self._windows.pop(url, None)
        if window is None:
            return
        entries: list[dict[str, Any]] = []
        carried: list[str] = []
        for subscription_id, records in window.changes.items():
            subscription = self.subscriptions.get(subscription_id)
            if subscription is None:
                continue
            carried.append(subscription_id)
            if len(records) > self.settings.collection_threshold:
                since = min(stamp for _, stamp in records.values())
                since -= dt.timedelta(milliseconds=1)
                resource = (
                    f"{_collection_path(subscription)}?$filter=lastModifiedDateTime%20gt%20"
                    f"{iso(since)}"
                )
                entries.append(_entry(subscription, resource, "collection", now()))
                self.outbox.stats.add(API, "collections")
                continue
            for record_id, (kind, stamp) in records.items():
                resource = f"{_collection_path(subscription)}({record_id})"
                entries.append(_entry(subscription, resource, kind, stamp))
        if not entries:
            return
        self.outbox.stats.add(API, "notifications", len(entries))
        self.outbox.post(
            Delivery(
                api=API,
                url=url,
                body=orjson.dumps({"value": entries}),
                retriable=lambda status: status is None or status in _RETRIED or status >= 500,
                given_up=lambda status: self._drop(carried, status),
            )
        )

    def _drop(self, subscription_ids: list[str], status: int | None) -> None:
        """The subscriber kept failing (or refused): its subscriptions are deleted."""
        for subscription_id in subscription_ids:
            if self.subscriptions.pop(subscription_id, None) is not None:
                self.outbox.stats.add(API, "subscriptions_dropped")
                _log.info(
                    "subscription %s deleted after delivery failed (%s)", subscription_id, status
                )
        task = asyncio.get_running_loop().create_task(
            self._delete(subscription_ids), name="drop-subscriptions"
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _delete(self, subscription_ids: list[str]) -> None:
        await self.collection.delete_many({"_id": {"$in": subscription_ids}})


def _collection_path(subscription: Doc) -> str:
    return f"api/v2.0/companies({subscription['_company']})/{subscription['_entity_set_name']}"


def _entry(subscription: Doc, resource: str, kind: str, stamp: dt.datetime) -> dict[str, Any]:
    return {
        "subscriptionId": subscription["_id"],
        "clientState": subscription.get("clientState") or "",
        "expirationDateTime": iso(subscription["_expires"]),
        "resource": resource,
        "changeType": kind,
        "lastModifiedDateTime": iso(stamp),
    }
