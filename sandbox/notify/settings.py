"""How the sandbox delivers change notifications, set at run time through
`PUT /_sandbox/notifications` (the same switches for Business Central webhooks and Dataverse
webhook steps).

- `delay_ms`: from a change to its delivery. Business Central waits 30 s after the first change
  to a resource and sends one batch; the Dataverse asynchronous service picks a job up within
  seconds. Default 2 s.
- `late_ms`: added to every delivery (notifications that arrive late).
- `lose_next` / `lose_rate`: deliveries never sent (notifications lost on the way).
- `duplicate_next` / `duplicate_rate`: deliveries sent twice.
- `reorder`: deliveries are held until none came for `delay_ms`, then sent newest first.
- `collection_threshold`: Business Central sends one `collection` notification instead of
  more than this many changes of one subscription within one delay (1,000 in the service).
- `retry_base_ms` / `max_attempts`: a failed delivery is tried again after `retry_base_ms`,
  doubling, up to `max_attempts` tries in all (the services retry over hours; tests need
  seconds); Business Central then deletes the subscription.
- `timeout_ms`: how long a delivery waits for an answer; `handshake_timeout_ms`: how long
  Business Central waits for the validation handshake's echo.
- `subscription_lifetime_seconds`: a Business Central subscription expires this long after it
  was created or renewed (three days in the service).
- `seed`: fixes the random choices of the rates.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any

THREE_DAYS = 3 * 24 * 3600


class NotificationSettingsError(ValueError):
    """A notification setting is invalid; the message names it."""


@dataclass
class NotificationSettings:
    delay_ms: int = 2000
    late_ms: int = 0
    lose_next: int = 0
    lose_rate: float = 0.0
    duplicate_next: int = 0
    duplicate_rate: float = 0.0
    reorder: bool = False
    collection_threshold: int = 1000
    retry_base_ms: int = 1000
    max_attempts: int = 4
    timeout_ms: int = 10_000
    handshake_timeout_ms: int = 5000
    subscription_lifetime_seconds: int = THREE_DAYS
    seed: int | None = None

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


# name -> (type, lowest, highest)
_BOUNDS: dict[str, tuple[type, float, float]] = {
    "delay_ms": (int, 0, 3_600_000),
    "late_ms": (int, 0, 3_600_000),
    "lose_next": (int, 0, 10**9),
    "lose_rate": (float, 0, 1),
    "duplicate_next": (int, 0, 10**9),
    "duplicate_rate": (float, 0, 1),
    "collection_threshold": (int, 1, 10**6),
    "retry_base_ms": (int, 1, 3_600_000),
    "max_attempts": (int, 1, 100),
    "timeout_ms": (int, 1, 600_000),
    "handshake_timeout_ms": (int, 1, 600_000),
    "subscription_lifetime_seconds": (int, 1, 10 * THREE_DAYS),
    "seed": (int, -(2**63), 2**63),
}


def parse_notification_settings(data: Any) -> NotificationSettings:
    """Settings from a JSON body; unspecified ones take their defaults."""
    if not isinstance(data, dict):
        raise NotificationSettingsError("the body must be a JSON object")
    known = {f.name for f in fields(NotificationSettings)}
    unknown = set(data) - known
    if unknown:
        raise NotificationSettingsError(f"unknown setting(s): {', '.join(sorted(unknown))}")
    settings = NotificationSettings()
    for name, value in data.items():
        if name == "reorder":
            if not isinstance(value, bool):
                raise NotificationSettingsError("'reorder' must be true or false")
            settings.reorder = value
            continue
        if name == "seed" and value is None:
            continue
        kind, low, high = _BOUNDS[name]
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or (kind is int and not isinstance(value, int))
        ):
            raise NotificationSettingsError(
                f"'{name}' must be a{'n int' if kind is int else ' number'}"
            )
        if not low <= value <= high:
            raise NotificationSettingsError(f"'{name}' must be between {low} and {high}")
        setattr(settings, name, kind(value))
    return settings
