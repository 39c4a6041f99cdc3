"""Business Central webhooks: `subscriptions` of API v2.0, and the deliveries they send.

- A subscription watches one collection of the company (`/api/v2.0/companies(<id>)/customers`)
  and expires after three days unless renewed by PATCH (If-Match); creating and renewing both
  go through the validation handshake, answered by the receiving hook. The secret is the
  `clientState`, repeated in every notification.
- A delivery is `{"value": [...]}`: per notification the subscription, the client state, the
  record's resource and `changeType` (`created`, `updated`, `deleted`), or a `collection`
  whose resource filters on `lastModifiedDateTime` when too many records changed at once.
- Deliveries do not say who made a change: the gateway's own writes come back, and are
  recognised by their values (only what changed is written).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from urllib.parse import unquote

import orjson

from adapters.base import EntitySpec
from adapters.errors import NotFoundError
from adapters.notifications import (
    ChangeType,
    Delivery,
    Inbound,
    Notification,
    NotificationAuth,
    NotificationError,
    NotificationSupport,
    Subscription,
)
from adapters.odata.client import ODataClient
from adapters.odata.query import parse_datetime

# The collections Business Central sends webhook notifications for (its
# `webhookSupportedResources`), of those the connector serves.
NOTIFYING_SETS = frozenset(
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
HOOK = "bc"
_RESOURCE = re.compile(
    r"companies\(([0-9a-fA-F-]{36})\)/([A-Za-z]+)(?:\(([0-9a-fA-F-]{36})\))?/?(?:\?(.*))?$"
)
_SINCE = re.compile(r"lastModifiedDateTime\s+gt\s+(\S+)")


class BusinessCentralWebhooks:
    """Mixed into the Business Central connector."""

    client: ODataClient
    notifications: NotificationSupport
    _specs: dict[str, EntitySpec]

    async def company_id(self) -> str:
        raise NotImplementedError  # the connector's

    def native_names(self) -> dict[str, str]:
        """Entity set -> canonical entity."""
        return {spec.native_name: name for name, spec in self._specs.items()}

    async def _resource(self, entity: str) -> str:
        names = {canonical: native for native, canonical in self.native_names().items()}
        return f"/api/v2.0/companies({await self.company_id()})/{names[entity]}"

    async def subscribe(
        self, entity: str, *, url: str, secret: str, fields: Sequence[str]
    ) -> Subscription:
        del fields  # Business Central notifies about any change of the record
        resource = await self._resource(entity)
        listed = await self.client.get_json("subscriptions", doing="list subscriptions")
        for existing in listed.get("value") or []:
            if existing.get("notificationUrl") == url and existing.get("resource") == resource:
                found = self._subscription(entity, existing)
                return await self.renew(found, url=url, secret=secret, fields=())
        response = await self.client.send(
            "POST",
            "subscriptions",
            doing=f"subscribe to {entity} changes",
            json={"notificationUrl": url, "resource": resource, "clientState": secret},
            replay_safe=False,
        )
        return self._subscription(entity, self.client.json(response, "subscribe"))

    async def renew(
        self, subscription: Subscription, *, url: str, secret: str, fields: Sequence[str]
    ) -> Subscription:
        key = subscription.remote.get("id")
        try:
            response = await self.client.send(
                "PATCH",
                f"subscriptions('{key}')",
                doing=f"renew the {subscription.entity} subscription",
                json={"notificationUrl": url, "clientState": secret},
                headers={"If-Match": str(subscription.remote.get("etag") or "*")},
            )
        except NotFoundError:  # it lapsed or was dropped: make it again
            return await self.subscribe(subscription.entity, url=url, secret=secret, fields=fields)
        return self._subscription(subscription.entity, self.client.json(response, "renew"))

    async def unsubscribe(self, subscription: Subscription) -> None:
        key = subscription.remote.get("id")
        try:
            await self.client.send(
                "DELETE",
                f"subscriptions('{key}')",
                doing=f"remove the {subscription.entity} subscription",
                headers={"If-Match": "*"},
            )
        except NotFoundError:
            return

    async def alive(self, subscriptions: Sequence[Subscription]) -> set[str]:
        listed = await self.client.get_json("subscriptions", doing="list subscriptions")
        live = {str(row.get("subscriptionId")) for row in listed.get("value") or []}
        return {s.entity for s in subscriptions if str(s.remote.get("id")) in live}

    def _subscription(self, entity: str, data: dict[str, Any]) -> Subscription:
        expires = parse_datetime(data.get("expirationDateTime"))
        return Subscription(
            entity=entity,
            remote={"id": data.get("subscriptionId"), "etag": data.get("@odata.etag")},
            expires_at=expires.astimezone(UTC) if expires else None,
        )

    def parse_delivery(self, request: Inbound) -> Delivery:
        token = request.query.get("validationToken")
        if token is not None:
            return Delivery(handshake=token)
        try:
            body = orjson.loads(request.body)
        except orjson.JSONDecodeError:
            raise NotificationError("the body is not JSON") from None
        entries = body.get("value") if isinstance(body, dict) else None
        if not isinstance(entries, list):
            raise NotificationError("the body has no 'value' list of notifications")
        names = self.native_names()
        notifications: list[Notification] = []
        credentials: list[str] = []
        for entry in entries:
            if not isinstance(entry, dict):
                raise NotificationError("a notification is not an object")
            credentials.append(str(entry.get("clientState") or ""))
            notification = _notification(entry, names)
            if notification is not None:
                notifications.append(notification)
        return Delivery(notifications, tuple(credentials))

    async def application_user(self) -> str | None:
        return None  # deliveries do not name users


def _notification(entry: dict[str, Any], names: dict[str, str]) -> Notification | None:
    match = _RESOURCE.search(unquote(str(entry.get("resource") or "")))
    if match is None:
        raise NotificationError(f"unknown resource {str(entry.get('resource'))[:120]!r}")
    entity = names.get(match.group(2))
    if entity is None:
        return None  # a collection the connector does not serve
    try:
        change = ChangeType(str(entry.get("changeType")))
    except ValueError:
        raise NotificationError(f"unknown changeType {entry.get('changeType')!r}") from None
    if change is ChangeType.COLLECTION:
        since_match = _SINCE.search(match.group(4) or "")
        since = parse_datetime(since_match.group(1)) if since_match else None
        return Notification(entity, None, change, since=since or datetime.min.replace(tzinfo=UTC))
    if match.group(3) is None:
        raise NotificationError("a record notification without the record's id")
    return Notification(entity, match.group(3).lower(), change)


def support(entities: dict[str, str]) -> NotificationSupport:
    """What the connector declares, for its entities (canonical -> entity set)."""
    return NotificationSupport(
        hook=HOOK,
        auth=NotificationAuth.CLIENT_STATE,
        entities=frozenset(name for name, native in entities.items() if native in NOTIFYING_SETS),
        expires=True,
        reports_initiator=False,
    )
