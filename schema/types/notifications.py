"""How a job queue entry's mapping is notified of changes."""

from __future__ import annotations

from datetime import datetime

import strawberry

from gateway.notifications import store


@strawberry.type(
    description="Change notifications of a mapping: whether a subscription to a side it reads "
    "is active, when a notification last arrived, and when the first subscription expires "
    "(it is renewed before)."
)
class NotificationState:
    active: bool
    last_received_at: datetime | None
    expires_at: datetime | None

    @classmethod
    def from_state(cls, state: store.NotificationState) -> NotificationState:
        return cls(
            active=state.active,
            last_received_at=state.last_received_at,
            expires_at=state.expires_at,
        )
