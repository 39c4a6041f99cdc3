"""The `gateway` command: dev (everything on one machine), serve (API), worker (arq)."""

from __future__ import annotations

import logging
from typing import Annotated

import typer

from gateway.auth.commands import apikey_app
from gateway.settings import ConfigurationError, Settings, load_settings
from sandbox.cli import app as sandbox_app

app = typer.Typer(
    help="ERP–CRM integration gateway.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _settings(**overrides: object) -> Settings:
    """Load the settings or stop with one line naming the variable at fault."""
    try:
        return load_settings(**{k: v for k, v in overrides.items() if v is not None})
    except ConfigurationError as exc:
        typer.echo(f"configuration error: {exc}", err=True)
        raise typer.Exit(2) from None


REDIS_PROBE_SECONDS = 3.0


def _redis_problem(settings: Settings) -> str | None:
    """Why REDIS_URL cannot be used right now (one line, password hidden), or None."""
    from redis import Redis
    from redis.exceptions import RedisError

    url = settings.redis_url
    try:
        with Redis.from_url(
            str(url),
            socket_connect_timeout=REDIS_PROBE_SECONDS,
            socket_timeout=REDIS_PROBE_SECONDS,
        ) as client:
            client.ping()
    except (RedisError, OSError) as exc:
        shown = str(url).replace(f":{url.password}@", ":***@") if url and url.password else url
        return f"REDIS_URL ({shown}) cannot be reached: {exc}"
    return None


def _configure_logging(settings: Settings) -> None:
    from gateway.observability.logs import configure_logging

    configure_logging(settings)
    if settings.gateway_log_level.upper() != "DEBUG":
        # One line per backend request, and arq's start and end of every scheduler and
        # lifecycle tick (each few seconds), drown what matters; the ticks log what they do.
        logging.getLogger("httpx").setLevel(logging.WARNING)
        logging.getLogger("arq.worker").addFilter(_without_idle_ticks)


_TICKS = ("scheduler_tick", "lifecycle_tick")


def _without_idle_ticks(record: logging.LogRecord) -> bool:
    message = record.getMessage()
    return record.levelno > logging.INFO or not any(tick in message for tick in _TICKS)


@app.command()
def dev(
    port: Annotated[int | None, typer.Option(help="API port (GATEWAY_PORT).")] = None,
) -> None:
    """Run everything: embedded MongoDB and Redis (unless configured), sandbox, API, worker."""
    from gateway.devserver import DevStartError, run_dev

    settings = _settings(gateway_env="dev", gateway_port=port)
    try:
        code = run_dev(settings)
    except DevStartError as exc:
        typer.echo(f"gateway dev: {exc}", err=True)
        raise typer.Exit(1) from None
    raise typer.Exit(code)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Bind address (GATEWAY_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="Port (GATEWAY_PORT).")] = None,
) -> None:
    """Run the API against MONGODB_URL and REDIS_URL (the production shape)."""
    import uvicorn

    from gateway.app import create_app

    settings = _settings(gateway_host=host, gateway_port=port)
    try:
        settings.require("mongodb_url", "redis_url")
    except ConfigurationError as exc:
        typer.echo(f"configuration error: {exc}", err=True)
        raise typer.Exit(2) from None
    _configure_logging(settings)
    problem = _redis_problem(settings)
    if problem is not None:  # reads go on without Redis; the rate limit and jobs wait for it
        typer.echo(f"warning: {problem}; serving without the rate limit until it answers", err=True)
    uvicorn.run(
        create_app(settings),
        host=settings.gateway_host,
        port=settings.gateway_port,
        log_level=settings.gateway_log_level,
        log_config=None,  # uvicorn's lines go through ours (JSON in production)
        proxy_headers=True,
        server_header=False,
    )


@app.command()
def worker(
    burst: Annotated[bool, typer.Option(help="Stop when the queue is empty.")] = False,
) -> None:
    """Run an arq worker against MONGODB_URL and REDIS_URL (the production shape)."""
    from jobs.worker import run_worker

    settings = _settings()
    try:
        settings.require("mongodb_url", "redis_url")
    except ConfigurationError as exc:
        typer.echo(f"configuration error: {exc}", err=True)
        raise typer.Exit(2) from None
    problem = _redis_problem(settings)
    if problem is not None:  # a worker is nothing without its queue
        typer.echo(f"gateway worker: {problem}", err=True)
        raise typer.Exit(1)
    _configure_logging(settings)
    run_worker(settings, burst=burst)


app.add_typer(apikey_app, name="apikey")
app.add_typer(sandbox_app, name="sandbox")


def main() -> None:
    app()
