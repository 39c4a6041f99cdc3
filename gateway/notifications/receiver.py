"""`POST /hooks/<hook>`: where the systems deliver their change notifications.

A delivery is read by its system's connector, then
1. a validation handshake is answered with its token (and logged);
2. a delivery whose credentials are not the side's secret is refused with 401 and logged:
   nothing is queued;
3. notifications of the gateway's own writes are left out, where the system names the user
   who made the change;
4. the records are queued for every mapping that reads their entity on that side, and 202
   answers at once: nothing is synchronized during the request.

Answers the systems act on: 2xx (done), 401 (refused), 400 (not a delivery), 503 (queueing
failed for now: the system tries again later).
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Sequence
from datetime import UTC, datetime

from pymongo.errors import PyMongoError
from redis.exceptions import RedisError
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response

from adapters.notifications import (
    ChangeNotifier,
    ChangeType,
    Delivery,
    Inbound,
    Notification,
    NotificationError,
)
from gateway.notifications.listeners import connector_of, mappings_reading, side_of_hook
from gateway.notifications.pending import PendingChanges
from gateway.notifications.store import Listener, NotificationStore
from gateway.observability.metrics import NOTIFICATIONS_RECEIVED
from gateway.services import Services
from gateway.store.integration_log import EntryKind, LogEntry, Outcome, ResultStatus, Target
from gateway.types import SideName

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 4 * 1024 * 1024
ACTOR = "notifications"
_LISTENER_SECONDS = 10.0  # how long a process trusts what it read of a listener
_MAPPINGS_SECONDS = 5.0  # how long a mapping change may take to reach the receiver
_RECEIVED_SECONDS = 1.0  # how often `last received` is written per entity


class HookReceiver:
    """One per application process; keeps short-lived copies of what each delivery needs."""

    def __init__(self) -> None:
        self._listeners: dict[SideName, tuple[float, Listener]] = {}
        self._mappings: dict[tuple[SideName, str], tuple[float, list[str]]] = {}
        self._received: dict[tuple[SideName, str], float] = {}

    async def handle(self, request: Request) -> Response:
        services: Services = request.state.services
        hook = str(request.path_params["hook"])
        found = side_of_hook(services, hook)
        if found is None:
            return _problem(404, f"no system delivers notifications to /hooks/{hook}")
        side, notifier = found
        body = await request.body()
        if len(body) > MAX_BODY_BYTES:
            return _problem(413, "the delivery is too large")
        inbound = Inbound(
            dict(request.query_params), {k.lower(): v for k, v in request.headers.items()}, body
        )
        try:
            delivery = notifier.parse_delivery(inbound)
        except NotificationError as exc:
            await _log(services, side, hook, "refused", failure=("INVALID", str(exc)))
            return _problem(400, f"not a notification delivery: {exc}")
        if delivery.handshake is not None:
            await _log(services, side, hook, "handshake")
            return PlainTextResponse(delivery.handshake)
        try:
            return await self._deliver(services, side, notifier, delivery)
        except (RedisError, PyMongoError, OSError) as exc:
            log.warning("a %s delivery could not be queued (%s)", hook, type(exc).__name__)
            return _problem(503, "the notification could not be queued; try again later")

    async def _deliver(
        self, services: Services, side: SideName, notifier: ChangeNotifier, delivery: Delivery
    ) -> Response:
        hook = notifier.notifications.hook
        listener = await self._listener(services, side)
        if not _authentic(delivery.credentials, listener.secret):
            message = (
                f"a delivery of {len(delivery.notifications)} notification(s) without the right "
                "credentials; nothing was queued"
            )
            await _log(services, side, hook, "refused", failure=("UNAUTHENTICATED", message))
            return _problem(401, "the delivery's credentials are not valid")
        connector = connector_of(services, side)
        NOTIFICATIONS_RECEIVED.labels(system=connector.system if connector else hook).inc(
            len(delivery.notifications)
        )
        own = listener.own_user if notifier.notifications.reports_initiator else None
        wanted = [n for n in delivery.notifications if own is None or n.initiating_user != own]
        await self._queue(services, side, wanted)
        return JSONResponse(
            {"queued": len(wanted), "own": len(delivery.notifications) - len(wanted)}, 202
        )

    async def _listener(self, services: Services, side: SideName) -> Listener:
        cached = self._listeners.get(side)
        now = time.monotonic()
        if cached is not None and cached[0] > now:
            return cached[1]
        listener = await NotificationStore(services.db).listener(side)
        self._listeners[side] = (now + _LISTENER_SECONDS, listener)
        return listener

    async def _mapping_names(self, services: Services, side: SideName, entity: str) -> list[str]:
        key = (side, entity)
        cached = self._mappings.get(key)
        now = time.monotonic()
        if cached is not None and cached[0] > now:
            return cached[1]
        names = [m.name for m in await mappings_reading(services, side, entity)]
        self._mappings[key] = (now + _MAPPINGS_SECONDS, names)
        return names

    async def _queue(
        self, services: Services, side: SideName, notifications: Sequence[Notification]
    ) -> None:
        ids: dict[str, list[str]] = {}
        since: dict[str, datetime] = {}
        for notification in notifications:
            for mapping in await self._mapping_names(services, side, notification.entity):
                if notification.change is ChangeType.COLLECTION:
                    moment = notification.since or datetime.min.replace(tzinfo=UTC)
                    since[mapping] = min(since.get(mapping, moment), moment)
                elif notification.id is not None:
                    ids.setdefault(mapping, []).append(notification.id)
        pending = PendingChanges(
            services.redis, window=services.settings.notification_window_seconds
        )
        for mapping in ids.keys() | since.keys():
            await pending.add(mapping, side, ids.get(mapping, []), since=since.get(mapping))
        await self._mark_received(services, side, {n.entity for n in notifications})

    async def _mark_received(self, services: Services, side: SideName, entities: set[str]) -> None:
        now = time.monotonic()
        due = [e for e in entities if self._received.get((side, e), 0.0) <= now]
        if not due:
            return
        for entity in due:
            self._received[(side, entity)] = now + _RECEIVED_SECONDS
        await NotificationStore(services.db).received(side, due, datetime.now(UTC))


def _authentic(credentials: Sequence[str], secret: str) -> bool:
    """Every credential the delivery presents is the secret (and it presents at least one)."""
    expected = secret.encode()
    return bool(credentials) and all(
        hmac.compare_digest(credential.encode(), expected) for credential in credentials
    )


def _problem(status: int, message: str) -> Response:
    return JSONResponse({"error": {"message": message}}, status)


async def _log(
    services: Services,
    side: SideName,
    hook: str,
    operation: str,
    *,
    failure: tuple[str, str] | None = None,
) -> None:
    """A handshake answered, or a delivery refused (`failure`: its code and why)."""
    result = (
        Outcome(ResultStatus.ERROR, (failure[0],), failure[1])
        if failure
        else Outcome(ResultStatus.OK)
    )
    try:
        await services.integration_log.append(
            LogEntry(
                kind=EntryKind.NOTIFICATION,
                actor=ACTOR,
                operation=operation,
                target=Target(system=hook),
                details={"side": side, "hook": hook},
                result=result,
            )
        )
    except PyMongoError:
        log.warning("the integration log could not record a %s %s", hook, operation)
