"""`systemInfo`: proves the wiring from HTTP through GraphQL to MongoDB and Redis."""

from __future__ import annotations

import strawberry

from gateway import __version__
from gateway.system import describe_system
from schema.context import Info


@strawberry.type(description="Versions of the gateway and of the servers it is connected to.")
class SystemInfo:
    version: str
    environment: str
    mongo: str = strawberry.field(description="Version reported by the MongoDB server.")
    redis: str = strawberry.field(description="Version reported by the Redis server.")


@strawberry.type
class SystemQuery:
    @strawberry.field(description="The gateway's version and the versions of its servers.")
    async def system_info(self, info: Info) -> SystemInfo:
        services = info.context.services
        versions = await describe_system(services)
        return SystemInfo(
            version=__version__,
            environment=services.settings.gateway_env.value,
            mongo=versions.mongo,
            redis=versions.redis,
        )
