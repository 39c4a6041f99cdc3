"""Keeping the subscriptions the gateway needs, and only those (a worker's job).

For each side that listens: its application user is learnt once (where deliveries name users);
each entity its mappings read is subscribed with the side's secret at the hook's URL; a
subscription is renewed when its URL or watched fields changed or it expires within
`NOTIFICATION_RENEW_BEFORE_MINUTES`, and made again when the system dropped it (a system
drops a subscriber that kept failing); entities no mapping reads any more are unsubscribed.
A side switched off is unsubscribed from everything. Every step and failure is in the
integration log; a failed one is tried again at the next maintenance.

Notifications sent while no subscription listened are lost: the mappings of a subscription
made (again) have their next run brought forward, and so do all notified mappings when a
worker starts (`catch_up`): a gateway that was down catches up when it starts.

One process at a time maintains (a lease); the others skip.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from adapters.errors import ConnectorError
from adapters.notifications import ChangeNotifier
from gateway.notifications.listeners import (
    SIDES,
    Interest,
    hook_url,
    interests,
    listening,
    notifier_of,
)
from gateway.notifications.store import NotificationStore, StoredSubscription
from gateway.scheduling.clock import Clock, system_clock
from gateway.services import Services
from gateway.store.integration_log import EntryKind, LogEntry, Outcome, ResultStatus, Target
from gateway.store.leases import LeaseRepository
from gateway.types import SideName

log = logging.getLogger(__name__)

LEASE = "notifications:subscriptions"
LEASE_SECONDS = 120.0
ACTOR = "notifications"
CATCH_UP = "catching up: notifications may have been missed while none could arrive"


@dataclass
class MaintenanceReport:
    subscribed: list[str] = field(default_factory=list)  # "side:entity"
    renewed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    brought_forward: list[str] = field(default_factory=list)  # mappings
    skipped: bool = False  # another process was maintaining

    def summary(self) -> dict[str, Any]:
        return {name: value for name, value in vars(self).items() if value}


async def maintain_subscriptions(
    services: Services, *, catch_up: bool = False, clock: Clock = system_clock
) -> MaintenanceReport:
    report = MaintenanceReport()
    leases = LeaseRepository(services.db)
    owner = uuid.uuid4().hex
    if not await leases.acquire(LEASE, owner, seconds=LEASE_SECONDS):
        report.skipped = True
        return report
    try:
        now = clock()
        behind: set[str] = set()
        for side in SIDES:
            behind.update(await _Side(services, side, now, report).maintain(catch_up=catch_up))
        entries = services.job_queue
        for mapping in sorted(behind):
            if await entries.bring_forward(mapping, now, CATCH_UP):
                report.brought_forward.append(mapping)
    finally:
        await leases.release(LEASE, owner)
    if report.summary():
        log.info("notification subscriptions: %s", report.summary())
    return report


class _Side:
    def __init__(
        self, services: Services, side: SideName, now: datetime, report: MaintenanceReport
    ) -> None:
        self.services = services
        self.side = side
        self.now = now
        self.report = report
        self.store = NotificationStore(services.db)

    async def maintain(self, *, catch_up: bool) -> set[str]:
        """Bring the side's subscriptions up to date; the mappings that may be behind."""
        stored = {s.entity: s for s in await self.store.subscriptions(self.side)}
        notifier = listening(self.services, self.side)
        if notifier is None:
            for subscription in stored.values():
                await self._remove(notifier_of(self.services, self.side), subscription)
            return set()
        listener = await self.store.listener(self.side)
        if notifier.notifications.reports_initiator and listener.own_user is None:
            try:
                user = await notifier.application_user()
            except ConnectorError as exc:
                await self._log("application user", None, str(exc))
                return set()
            await self.store.set_own_user(self.side, user)
        wanted = await interests(self.services, self.side)
        url = hook_url(self.services, notifier.notifications.hook)
        made = [s.subscription for s in stored.values() if s.active and s.subscription]
        try:
            alive = await notifier.alive(made) if made else set()
        except ConnectorError as exc:
            await self._log("check subscriptions", None, str(exc))
            return set()
        behind: set[str] = set()
        for entity, interest in wanted.items():
            current = stored.get(entity)
            if current is not None and entity not in alive:
                current = None  # never made, inactive, or dropped by the system
            try:
                fresh = await self._keep(notifier, interest, current, url, listener.secret)
            except ConnectorError as exc:
                await self.store.failed(self.side, entity, str(exc))
                await self._log("subscribe", entity, str(exc))
                self.report.failed.append(f"{self.side}:{entity}")
                continue
            if fresh or catch_up:
                behind.update(interest.mappings)
        for entity, subscription in stored.items():
            if entity not in wanted:
                await self._remove(notifier, subscription)
        return behind

    async def _keep(
        self,
        notifier: ChangeNotifier,
        interest: Interest,
        current: StoredSubscription | None,
        url: str,
        secret: str,
    ) -> bool:
        """Subscribe, renew or leave alone; True when a subscription was (re)made."""
        entity = interest.entity
        name = f"{self.side}:{entity}"
        made = current.subscription if current is not None else None
        if made is None:
            subscription = await notifier.subscribe(
                entity, url=url, secret=secret, fields=interest.fields
            )
            await self.store.saved(self.side, subscription, url, interest.fields)
            await self._log("subscribe", entity, None)
            self.report.subscribed.append(name)
            return True
        assert current is not None
        margin = timedelta(minutes=self.services.settings.notification_renew_before_minutes)
        expiring = made.expires_at is not None and made.expires_at - self.now < margin
        if expiring or current.url != url or current.watched != interest.fields:
            renewed = await notifier.renew(made, url=url, secret=secret, fields=interest.fields)
            await self.store.saved(self.side, renewed, url, interest.fields)
            await self._log("renew", entity, None)
            self.report.renewed.append(name)
        return False

    async def _remove(self, notifier: ChangeNotifier | None, stored: StoredSubscription) -> None:
        if notifier is not None and stored.subscription is not None:
            try:
                await notifier.unsubscribe(stored.subscription)
            except ConnectorError as exc:
                await self._log("unsubscribe", stored.entity, str(exc))
                self.report.failed.append(f"{self.side}:{stored.entity}")
                return
        await self.store.removed(self.side, stored.entity)
        await self._log("unsubscribe", stored.entity, None)
        self.report.removed.append(f"{self.side}:{stored.entity}")

    async def _log(self, operation: str, entity: str | None, failure: str | None) -> None:
        connector = notifier_of(self.services, self.side)
        system = getattr(connector, "system", None)
        await self.services.integration_log.append(
            LogEntry(
                kind=EntryKind.NOTIFICATION,
                actor=ACTOR,
                operation=operation,
                target=Target(system=system, entity=entity),
                details={"side": self.side},
                result=Outcome(ResultStatus.ERROR, ("UPSTREAM",), failure)
                if failure
                else Outcome(ResultStatus.OK),
            )
        )
