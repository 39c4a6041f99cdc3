"""API keys as the API shows them: name, role and dates; never the key or its hash."""

from __future__ import annotations

from datetime import datetime

import strawberry

from gateway.auth import keys
from schema.types.enums import Role


@strawberry.type(description="An API key: who it is for and what it may do.")
class ApiKey:
    name: str
    role: Role
    created_at: datetime
    last_used_at: datetime | None = strawberry.field(
        description="When the key was last used, to the minute."
    )
    revoked_at: datetime | None
    active: bool

    @classmethod
    def from_stored(cls, key: keys.ApiKey) -> ApiKey:
        return cls(
            name=key.name,
            role=key.role,
            created_at=key.created_at,
            last_used_at=key.last_used_at,
            revoked_at=key.revoked_at,
            active=key.active,
        )
