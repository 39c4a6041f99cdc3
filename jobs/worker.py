"""The arq worker: its settings, and the shared services it keeps in `ctx`."""

from __future__ import annotations

from typing import Any, ClassVar

from arq.connections import RedisSettings
from arq.worker import run_worker as arq_run_worker

from gateway.services import Services, build_services, prepare_store
from gateway.settings import Settings
from gateway.system import describe_system

JobContext = dict[str, Any]


async def ping(ctx: JobContext) -> dict[str, str]:
    """A job that proves a worker can reach MongoDB and Redis."""
    services: Services = ctx["services"]
    versions = await describe_system(services)
    return {"mongo": versions.mongo, "redis": versions.redis}


async def startup(ctx: JobContext) -> None:
    settings: Settings = ctx["settings"]
    services = build_services(settings)
    await prepare_store(services)
    ctx["services"] = services


async def shutdown(ctx: JobContext) -> None:
    services: Services | None = ctx.get("services")
    if services is not None:
        await services.aclose()


class WorkerSettings:
    functions: ClassVar[list[Any]] = [ping]
    on_startup = startup
    on_shutdown = shutdown
    max_tries = 5


def worker_options(settings: Settings, *, burst: bool = False) -> dict[str, Any]:
    return {
        "redis_settings": RedisSettings.from_dsn(str(settings.redis_url)),
        "ctx": {"settings": settings},
        "burst": burst,
        "handle_signals": not burst,
    }


def run_worker(settings: Settings, *, burst: bool = False) -> None:
    arq_run_worker(WorkerSettings, **worker_options(settings, burst=burst))  # type: ignore[arg-type]
