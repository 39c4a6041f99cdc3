"""Change notifications: what a connector that can push its changes declares and offers.

A connector that implements `ChangeNotifier` says, as data (`NotificationSupport`), where its
deliveries are received (`/hooks/<hook>`), how they prove they come from the system, which
entities it can notify about, whether subscriptions expire, and whether a delivery names the
user who made the change. It subscribes, renews and unsubscribes, and reads a delivery into
`Notification`s: everything system-specific stays here, so that the receiving side can stay
agnostic of the system it listens to.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol, runtime_checkable


class NotificationAuth(StrEnum):
    """How a delivery proves it comes from the system the secret was given to."""

    CLIENT_STATE = "client_state"  # the secret repeated in every notification of the body
    WEBHOOK_KEY = "webhook_key"  # the secret as the `code` query parameter
    HTTP_HEADER = "http_header"  # the secret in a request header


class ChangeType(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"
    COLLECTION = "collection"  # many records changed: read the changes since `since`


@dataclass(frozen=True, slots=True)
class NotificationSupport:
    hook: str  # deliveries arrive at `<public url>/hooks/<hook>`
    auth: NotificationAuth
    entities: frozenset[str]  # canonical entities it can notify about
    expires: bool  # subscriptions lapse unless renewed
    reports_initiator: bool  # a notification names the user whose change it reports


@dataclass(frozen=True, slots=True)
class Notification:
    """One change a delivery reports (for `COLLECTION`: every change after `since`)."""

    entity: str
    id: str | None
    change: ChangeType
    initiating_user: str | None = None
    since: datetime | None = None


@dataclass(frozen=True, slots=True)
class Inbound:
    """A request at the hook, as received: query parameters, headers (lower-case), body."""

    query: Mapping[str, str]
    headers: Mapping[str, str]
    body: bytes


@dataclass(frozen=True, slots=True)
class Delivery:
    """What a request at the hook says. `credentials` are the secrets it presented (every one
    must be right); `handshake` is a validation request whose token must be echoed."""

    notifications: list[Notification] = field(default_factory=list)
    credentials: tuple[str, ...] = ()
    handshake: str | None = None


@dataclass(frozen=True, slots=True)
class Subscription:
    """A live subscription to one entity's changes. `remote` holds the system's own ids (and
    ETags) needed to renew or remove it; `fields` the attributes it watches (none: all)."""

    entity: str
    remote: Mapping[str, Any]
    expires_at: datetime | None = None
    fields: tuple[str, ...] = ()


class NotificationError(ValueError):
    """A delivery that cannot be read; the message says what is wrong with it."""


@runtime_checkable
class ChangeNotifier(Protocol):
    notifications: NotificationSupport

    async def subscribe(
        self, entity: str, *, url: str, secret: str, fields: Sequence[str]
    ) -> Subscription:
        """Subscribe `url` to the changes of `entity` (or take over one already there)."""
        ...

    async def renew(
        self, subscription: Subscription, *, url: str, secret: str, fields: Sequence[str]
    ) -> Subscription:
        """Extend (and bring up to date) a subscription; one that is gone is made again."""
        ...

    async def unsubscribe(self, subscription: Subscription) -> None:
        """Remove a subscription; one already gone is not an error."""
        ...

    async def alive(self, subscriptions: Sequence[Subscription]) -> set[str]:
        """The entities of `subscriptions` the system still has (it may drop a subscription
        whose deliveries failed), in one request."""
        ...

    def parse_delivery(self, request: Inbound) -> Delivery:
        """Read a delivery; raise `NotificationError` when it is not one."""
        ...

    async def application_user(self) -> str | None:
        """The user this connector acts as, when notifications name users (else None)."""
        ...
