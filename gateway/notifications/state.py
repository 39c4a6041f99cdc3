"""How each mapping is notified, as its job queue entry shows it."""

from __future__ import annotations

from collections.abc import Sequence

from gateway.notifications.listeners import listening
from gateway.notifications.store import NotificationState, NotificationStore, state_of
from gateway.services import Services
from gateway.sync.running import source_sides
from gateway.types import SideName


async def notification_states(
    services: Services, names: Sequence[str]
) -> dict[str, NotificationState]:
    """The state of each mapping of `names`: two queries, whatever their number."""
    subscriptions = await NotificationStore(services.db).subscriptions()
    mappings = {mapping.name: mapping for mapping in await services.mappings.all()}
    states: dict[str, NotificationState] = {}
    for name in names:
        mapping = mappings.get(name)
        entities: dict[SideName, str] = {}
        if mapping is not None:
            for side in source_sides(mapping):
                if listening(services, side) is not None:
                    entities[side] = mapping.entity_of(side)
        states[name] = state_of(entities, subscriptions)
    return states
