"""`gateway apikey create|list|revoke`: manage API keys in the database of MONGODB_URL."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Annotated, TypeVar

import typer

from gateway.auth.keys import ApiKey, ApiKeyError, ApiKeyStore
from gateway.auth.roles import Role
from gateway.settings import ConfigurationError, load_settings
from gateway.store import connect_mongo

T = TypeVar("T")

apikey_app = typer.Typer(
    help="Manage API keys (in the database of MONGODB_URL / MONGODB_DATABASE).",
    no_args_is_help=True,
)


def _with_store(action: Callable[[ApiKeyStore], Awaitable[T]]) -> T:
    try:
        settings = load_settings()
        settings.require("mongodb_url")
    except ConfigurationError as exc:
        typer.echo(f"configuration error: {exc}", err=True)
        raise typer.Exit(2) from None

    async def run() -> T:
        client = connect_mongo(str(settings.mongodb_url), app_name="erp-crm-gateway-cli")
        try:
            store = ApiKeyStore(client[settings.mongodb_database])
            await store.ensure_indexes()
            return await action(store)
        finally:
            await client.close()

    return asyncio.run(run())


@apikey_app.command()
def create(
    name: Annotated[str, typer.Option(help="A unique name, e.g. the script or team using it.")],
    role: Annotated[Role, typer.Option(help="reader: queries; integrator: + sync; admin: all.")],
) -> None:
    """Create a key and print it, once: only its SHA-256 is stored."""
    try:
        stored, key = _with_store(lambda store: store.create(name, role))
    except ApiKeyError as exc:
        typer.echo(f"apikey create: --{exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(key)
    typer.echo(
        f"Created API key '{stored.name}' with role {stored.role.value}. "
        "Store it now: it cannot be shown again.",
        err=True,
    )


@apikey_app.command("list")
def list_keys() -> None:
    """List keys: name, role, created, last used, revoked."""
    keys = _with_store(lambda store: store.list())
    if not keys:
        typer.echo("No API keys.")
        return
    rows = [("NAME", "ROLE", "CREATED", "LAST USED", "REVOKED")]
    rows += [_row(key) for key in keys]
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    for row in rows:
        typer.echo("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)))


@apikey_app.command()
def revoke(name: Annotated[str, typer.Argument(help="The key's name.")]) -> None:
    """Revoke a key: every replica refuses it from the next request on."""
    revoked = _with_store(lambda store: store.revoke(name))
    if revoked is None:
        typer.echo(f"apikey revoke: no API key is named '{name}'", err=True)
        raise typer.Exit(1)
    typer.echo(f"Revoked API key '{revoked.name}'.")


def _row(key: ApiKey) -> tuple[str, str, str, str, str]:
    return (
        key.name,
        key.role.value,
        _when(key.created_at),
        _when(key.last_used_at),
        _when(key.revoked_at),
    )


def _when(moment: datetime | None) -> str:
    return "-" if moment is None else moment.strftime("%Y-%m-%d %H:%M:%SZ")
