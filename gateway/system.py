"""What the gateway is connected to, as its servers report it."""

from __future__ import annotations

from dataclasses import dataclass

from gateway.services import Services


@dataclass(frozen=True)
class ServerVersions:
    mongo: str
    redis: str


async def describe_system(services: Services) -> ServerVersions:
    build = await services.db.command("buildInfo")
    info = await services.redis.info("server")
    return ServerVersions(
        mongo=str(build.get("version", "unknown")),
        redis=str(info.get("valkey_version") or info.get("redis_version") or "unknown"),
    )
