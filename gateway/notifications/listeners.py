"""Which sides listen for change notifications, where, and to what.

A side listens when its setting is on, the gateway's public URL is set and its connector can
push changes (`adapters.notifications.ChangeNotifier`). It subscribes to the entities that
the enabled, usable mappings read changes from on that side, watching the fields those
mappings use (a system that filters by attribute sends nothing for other columns).
"""

from __future__ import annotations

from dataclasses import dataclass

from adapters.base import Connector
from adapters.notifications import ChangeNotifier
from gateway.mappings.model import TableMapping
from gateway.services import Services
from gateway.sync.running import source_sides
from gateway.types import SideName

SIDES: tuple[SideName, ...] = ("erp", "crm")


def connector_of(services: Services, side: SideName) -> Connector | None:
    return services.erp if side == "erp" else services.crm


def notifier_of(services: Services, side: SideName) -> ChangeNotifier | None:
    """The side's connector, when it can push changes (whether or not it is switched on)."""
    connector = connector_of(services, side)
    return connector if isinstance(connector, ChangeNotifier) else None


def listening(services: Services, side: SideName) -> ChangeNotifier | None:
    """The side's notifier when notifications are on for it; None otherwise."""
    settings = services.settings
    enabled = settings.erp_notifications if side == "erp" else settings.crm_notifications
    if not enabled or settings.notifications_public_url is None:
        return None
    return notifier_of(services, side)


def hook_url(services: Services, hook: str) -> str:
    base = str(services.settings.notifications_public_url or "").rstrip("/")
    return f"{base}/hooks/{hook}"


def side_of_hook(services: Services, hook: str) -> tuple[SideName, ChangeNotifier] | None:
    for side in SIDES:
        notifier = listening(services, side)
        if notifier is not None and notifier.notifications.hook == hook:
            return side, notifier
    return None


@dataclass(frozen=True, slots=True)
class Interest:
    """An entity a side subscribes to: the fields to watch and the mappings it feeds."""

    entity: str
    fields: tuple[str, ...]
    mappings: tuple[str, ...]


async def interests(services: Services, side: SideName) -> dict[str, Interest]:
    """The entities of `side` that usable mappings read changes from, and what they use."""
    notifier = notifier_of(services, side)
    if notifier is None:
        return {}
    health = await services.mapping_health()
    fields: dict[str, set[str]] = {}
    names: dict[str, list[str]] = {}
    for mapping in health.runnable:
        if side not in source_sides(mapping):
            continue
        entity = mapping.entity_of(side)
        if entity not in notifier.notifications.entities:
            continue
        fields.setdefault(entity, set()).update(_fields(mapping, side))
        names.setdefault(entity, []).append(mapping.name)
    return {
        entity: Interest(entity, tuple(sorted(fields[entity])), tuple(names[entity]))
        for entity in fields
    }


def _fields(mapping: TableMapping, side: SideName) -> set[str]:
    found: set[str] = set()
    for row in mapping.fields:
        name = row.erp_field if side == "erp" else row.crm_field
        if name:
            found.add(name)
    wanted = mapping.erp_filter if side == "erp" else mapping.crm_filter
    found.update(wanted)
    return found


async def mappings_reading(services: Services, side: SideName, entity: str) -> list[TableMapping]:
    """The usable mappings that read changes of `entity` on `side`."""
    health = await services.mapping_health()
    return [
        mapping
        for mapping in health.runnable
        if side in source_sides(mapping) and mapping.entity_of(side) == entity
    ]
