"""`apiKeys`: every API key, active and revoked (admin only)."""

from __future__ import annotations

import strawberry

from gateway.auth.keys import ApiKeyStore
from gateway.auth.roles import Role
from schema.context import Info
from schema.permissions import requires
from schema.types.api_keys import ApiKey


@strawberry.type
class ApiKeyQuery:
    @strawberry.field(
        permission_classes=requires(Role.ADMIN),
        description="Every API key by name, revoked ones included; never the keys themselves.",
    )
    async def api_keys(self, info: Info) -> list[ApiKey]:
        stored = await ApiKeyStore(info.context.services.db).list()
        return [ApiKey.from_stored(key) for key in stored]
