"""`systemInfo`: proves the wiring from HTTP through GraphQL to MongoDB and Redis.

The servers' versions tell an attacker which known flaws to try: only admins see them."""

from __future__ import annotations

import strawberry

from gateway import __version__
from gateway.auth.roles import Role
from gateway.system import describe_system
from schema.context import Info


@strawberry.type(description="Versions of the gateway and of the servers it is connected to.")
class SystemInfo:
    version: str
    environment: str
    mongo: str | None = strawberry.field(
        description="Version reported by the MongoDB server (admin keys only, else null)."
    )
    redis: str | None = strawberry.field(
        description="Version reported by the Redis server (admin keys only, else null)."
    )


@strawberry.type
class SystemQuery:
    @strawberry.field(description="The gateway's version and the versions of its servers.")
    async def system_info(self, info: Info) -> SystemInfo:
        services = info.context.services
        caller = info.context.caller
        environment = services.settings.gateway_env.value
        if caller is None or not caller.role.allows(Role.ADMIN):
            return SystemInfo(version=__version__, environment=environment, mongo=None, redis=None)
        versions = await describe_system(services)
        return SystemInfo(
            version=__version__, environment=environment, mongo=versions.mongo, redis=versions.redis
        )
