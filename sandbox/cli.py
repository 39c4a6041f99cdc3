"""`python -m sandbox`: serve the emulated APIs, or write demo data into their databases."""

from __future__ import annotations

import asyncio
from typing import Annotated

import orjson
import typer

from sandbox.auth import DEFAULT_LIFETIME
from sandbox.config import SandboxConfig
from sandbox.seed.plan import SeedPlan, SeedPlanError

app = typer.Typer(
    help="Protocol-faithful Dataverse and Business Central emulators for development and tests.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_GRACEFUL_SHUTDOWN_SECONDS = 5

# Seeding and resetting talk to MongoDB only: no client is served.
_NO_SECRET = "-"  # noqa: S105 - a placeholder, not a credential

MongoUrl = Annotated[str, typer.Option(help="MongoDB URL of the sandbox's databases.")]
Prefix = Annotated[str, typer.Option(help="Databases are <prefix>_dataverse and <prefix>_bc.")]


@app.command()
def serve(
    *,
    mongodb_url: MongoUrl,
    client_id: Annotated[str, typer.Option(help="The OAuth client id the sandbox accepts.")],
    client_secret: Annotated[
        str,
        typer.Option(
            envvar="SANDBOX_CLIENT_SECRET",
            show_envvar=True,
            show_default=False,
            help="The client's secret (from SANDBOX_CLIENT_SECRET).",
        ),
    ] = "",
    host: Annotated[str, typer.Option(help="Bind address.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port.")] = 8001,
    database_prefix: Prefix = "sandbox",
    seed_if_empty: Annotated[
        bool, typer.Option("--seed-if-empty", help="Write demo data when the databases are empty.")
    ] = False,
    seed: Annotated[int, typer.Option(help="Random seed of that demo data.")] = 42,
    demo_size: Annotated[int, typer.Option(help="Accounts in that demo data.")] = 30,
    token_lifetime: Annotated[
        int, typer.Option(help="Access token lifetime, seconds.")
    ] = DEFAULT_LIFETIME,
    log_level: Annotated[str, typer.Option(help="uvicorn log level.")] = "warning",
) -> None:
    """Serve Dataverse, Business Central and the token endpoint over HTTP."""
    import uvicorn

    from sandbox.app import create_app

    if not client_secret:
        typer.echo("sandbox: set SANDBOX_CLIENT_SECRET to the client secret to accept", err=True)
        raise typer.Exit(2)
    config = SandboxConfig(
        mongodb_url=mongodb_url,
        client_id=client_id,
        client_secret=client_secret,
        database_prefix=database_prefix,
        token_lifetime_seconds=token_lifetime,
        seed_if_empty=seed_if_empty,
        seed=seed,
        demo_size=demo_size,
    )
    uvicorn.run(
        create_app(config),
        host=host,
        port=port,
        log_level=log_level,
        server_header=False,
        # Told to stop when the process that started it died: its database may be gone too, and
        # a request waiting on it must not keep the sandbox alive for its timeouts.
        timeout_graceful_shutdown=_GRACEFUL_SHUTDOWN_SECONDS,
    )


@app.command("seed")
def seed_command(
    *,
    mongodb_url: MongoUrl,
    accounts: Annotated[
        int, typer.Option(help="Dataverse accounts; other sizes follow from it.")
    ] = 30,
    customers: Annotated[int | None, typer.Option(help="Business Central customers.")] = None,
    matched: Annotated[int | None, typer.Option(help="Account/customer pairs that match.")] = None,
    users: Annotated[int | None, typer.Option(help="Users and their salespeople.")] = None,
    items: Annotated[int | None, typer.Option(help="Items and their products.")] = None,
    contacts: Annotated[int | None, typer.Option(help="Contacts.")] = None,
    opportunities: Annotated[int | None, typer.Option(help="Opportunities.")] = None,
    quotes: Annotated[int | None, typer.Option(help="Quotes.")] = None,
    orders: Annotated[int | None, typer.Option(help="Sales orders.")] = None,
    invoices: Annotated[int | None, typer.Option(help="Posted invoices.")] = None,
    payments: Annotated[int | None, typer.Option(help="Payments.")] = None,
    cases: Annotated[int | None, typer.Option(help="Cases.")] = None,
    projects: Annotated[int | None, typer.Option(help="Projects.")] = None,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same data.")] = 42,
    database_prefix: Prefix = "sandbox",
) -> None:
    """Write demo data (deterministic for a seed) into the sandbox's databases."""
    from sandbox.service import Sandbox

    try:
        plan = SeedPlan.from_json(
            {
                k: v
                for k, v in {
                    "seed": seed,
                    "accounts": accounts,
                    "customers": customers,
                    "matched": matched,
                    "users": users,
                    "items": items,
                    "contacts": contacts,
                    "opportunities": opportunities,
                    "quotes": quotes,
                    "orders": orders,
                    "invoices": invoices,
                    "payments": payments,
                    "cases": cases,
                    "projects": projects,
                }.items()
                if v is not None
            }
        )
    except SeedPlanError as exc:
        typer.echo(f"sandbox seed: {exc}", err=True)
        raise typer.Exit(2) from None
    config = SandboxConfig(
        mongodb_url=mongodb_url,
        client_id="-",
        client_secret=_NO_SECRET,
        database_prefix=database_prefix,
    )

    async def run() -> dict[str, int]:
        sandbox = Sandbox(config)
        try:
            await sandbox.start()
            return await sandbox.seed(plan)
        finally:
            await sandbox.close()

    typer.echo(orjson.dumps(asyncio.run(run()), option=orjson.OPT_INDENT_2).decode())


@app.command()
def reset(mongodb_url: MongoUrl, database_prefix: Prefix = "sandbox") -> None:
    """Drop all sandbox data and recreate the default company and reference data."""
    from sandbox.service import Sandbox

    config = SandboxConfig(
        mongodb_url=mongodb_url,
        client_id="-",
        client_secret=_NO_SECRET,
        database_prefix=database_prefix,
    )

    async def run() -> None:
        sandbox = Sandbox(config)
        try:
            await sandbox.reset()
        finally:
            await sandbox.close()

    asyncio.run(run())
    typer.echo("reset")


def main() -> None:
    app()
