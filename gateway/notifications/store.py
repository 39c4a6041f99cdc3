"""What the gateway keeps about change notifications (MongoDB), shared by every process.

- `notification_listeners`: one document per side: the secret deliveries must present (made
  once, so that every replica agrees; kept in clear because it is sent again on renewal) and
  the application user the side's connector acts as (to leave the gateway's own writes out).
- `notification_subscriptions`: one document per side and entity: the system's ids of the
  subscription, its expiry, the URL and fields it was made with, whether it is active (or why
  not), and when a notification for it last arrived.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from pymongo import ReturnDocument
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.asynchronous.database import AsyncDatabase

from adapters.notifications import Subscription
from gateway.types import SideName

Document = dict[str, Any]

LISTENERS = "notification_listeners"
SUBSCRIPTIONS = "notification_subscriptions"


def _aware(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return None


@dataclass(frozen=True, slots=True)
class Listener:
    side: SideName
    secret: str
    own_user: str | None


@dataclass(frozen=True, slots=True)
class StoredSubscription:
    side: SideName
    entity: str
    active: bool
    url: str | None
    watched: tuple[str, ...]  # the fields asked for when it was made or renewed
    subscription: Subscription | None  # None: never made, or removed
    message: str | None = None
    last_received_at: datetime | None = None

    @property
    def expires_at(self) -> datetime | None:
        return self.subscription.expires_at if self.subscription else None

    @classmethod
    def from_doc(cls, doc: Document) -> StoredSubscription:
        remote = doc.get("remote")
        subscription = None
        if remote is not None:
            subscription = Subscription(
                entity=doc["entity"],
                remote=remote,
                expires_at=_aware(doc.get("expires_at")),
                fields=tuple(doc.get("fields") or ()),
            )
        return cls(
            side=doc["side"],
            entity=doc["entity"],
            active=bool(doc.get("active")),
            url=doc.get("url"),
            watched=tuple(doc.get("watched") or ()),
            subscription=subscription,
            message=doc.get("message"),
            last_received_at=_aware(doc.get("last_received_at")),
        )


class NotificationStore:
    def __init__(self, db: AsyncDatabase[Document]) -> None:
        self._listeners: AsyncCollection[Document] = db[LISTENERS]
        self._subscriptions: AsyncCollection[Document] = db[SUBSCRIPTIONS]

    async def listener(self, side: SideName) -> Listener:
        """The side's listener, its secret made on first use (one winner among replicas)."""
        doc = await self._listeners.find_one_and_update(
            {"_id": side},
            {
                "$setOnInsert": {
                    "secret": secrets.token_urlsafe(32),
                    "created_at": datetime.now(UTC),
                }
            },
            upsert=True,
            return_document=ReturnDocument.AFTER,
        )
        assert doc is not None
        return Listener(side, doc["secret"], doc.get("own_user"))

    async def set_own_user(self, side: SideName, user: str | None) -> None:
        await self._listeners.update_one({"_id": side}, {"$set": {"own_user": user}})

    async def subscriptions(self, side: SideName | None = None) -> list[StoredSubscription]:
        query: Document = {} if side is None else {"side": side}
        return [StoredSubscription.from_doc(doc) async for doc in self._subscriptions.find(query)]

    async def saved(
        self, side: SideName, subscription: Subscription, url: str, watched: tuple[str, ...]
    ) -> None:
        """A subscription made or renewed: active, with the system's ids and expiry."""
        await self._subscriptions.update_one(
            {"_id": f"{side}:{subscription.entity}"},
            {
                "$set": {
                    "side": side,
                    "entity": subscription.entity,
                    "remote": dict(subscription.remote),
                    "expires_at": subscription.expires_at,
                    "fields": list(subscription.fields),
                    "url": url,
                    "watched": list(watched),
                    "active": True,
                    "message": None,
                    "renewed_at": datetime.now(UTC),
                }
            },
            upsert=True,
        )

    async def failed(self, side: SideName, entity: str, message: str) -> None:
        """Subscribing or renewing failed: inactive until the next try, saying why."""
        await self._subscriptions.update_one(
            {"_id": f"{side}:{entity}"},
            {"$set": {"side": side, "entity": entity, "active": False, "message": message}},
            upsert=True,
        )

    async def removed(self, side: SideName, entity: str) -> None:
        await self._subscriptions.delete_one({"_id": f"{side}:{entity}"})

    async def received(self, side: SideName, entities: Iterable[str], at: datetime) -> None:
        ids = [f"{side}:{entity}" for entity in set(entities)]
        if ids:
            await self._subscriptions.update_many(
                {"_id": {"$in": ids}}, {"$max": {"last_received_at": at}}
            )


@dataclass(frozen=True, slots=True)
class NotificationState:
    """How a mapping is notified: whether any side it reads is subscribed and active, when a
    notification for it last arrived, and when the first of its subscriptions expires."""

    active: bool
    last_received_at: datetime | None
    expires_at: datetime | None


def state_of(
    entities: Mapping[SideName, str], subscriptions: Iterable[StoredSubscription]
) -> NotificationState:
    """The state of a mapping reading `entities` (side -> entity), from the stored ones."""
    mine = [s for s in subscriptions if entities.get(s.side) == s.entity]
    received = [s.last_received_at for s in mine if s.last_received_at is not None]
    expiring = [s.expires_at for s in mine if s.active and s.expires_at is not None]
    return NotificationState(
        active=any(s.active for s in mine),
        last_received_at=max(received, default=None),
        expires_at=min(expiring, default=None),
    )
