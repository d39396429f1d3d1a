"""`soko-hq`: serve the HQ collector, migrate its database, make users, stores and enrolment codes."""

from __future__ import annotations

import asyncio
import json
import sys

import click


def _dsn(dsn: str | None) -> str:
    from cloud_bridge.hq.settings import HQSettings

    return HQSettings.from_env(dsn=dsn).dsn


@click.group()
def main() -> None:
    """The Soko HQ collector (docs/cloud-bridge.md). Settings come from SOKO_HQ_* variables
    (SOKO_HQ_DSN, SOKO_HQ_BACKUPS_DIR, SOKO_HQ_PUBLIC_URL, ...) or the options."""


@main.command()
@click.option("--dsn", envvar="SOKO_HQ_DSN", help="PostgreSQL URL")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8800, show_default=True, type=int)
@click.option("--backups-dir", default=None, help="where uploaded backups are kept")
@click.option("--public-url", default=None, help="the URL hubs reach HQ at (written into enrolment files)")
def serve(dsn: str | None, host: str, port: int, backups_dir: str | None, public_url: str | None) -> None:
    """Serve the collector (migrates the database first)."""
    import uvicorn

    from cloud_bridge.hq.app import create_app
    from cloud_bridge.hq.settings import HQSettings

    settings = HQSettings.from_env(dsn=dsn, backups_dir=backups_dir, public_url=public_url)
    uvicorn.run(create_app(settings), host=host, port=port, access_log=False, lifespan="on")


@main.command()
@click.option("--dsn", envvar="SOKO_HQ_DSN")
def migrate(dsn: str | None) -> None:
    """Apply the migrations the database lacks."""
    from cloud_bridge.hq.db import migrate_sync

    applied = migrate_sync(_dsn(dsn))
    click.echo("\n".join(applied) if applied else "up to date")


@main.command()
@click.option("--dsn", envvar="SOKO_HQ_DSN")
@click.option("--days", default=30, show_default=True, type=click.IntRange(1, 3650))
def trim(dsn: str | None, days: int) -> None:
    """Drop change-feed rows older than DAYS that a later row replaces (a hub further behind reloads the snapshot)."""
    from cloud_bridge.hq.db import open_pool
    from cloud_bridge.hq.trim import trim as trim_feed

    async def run() -> dict:
        pool = await open_pool(_dsn(dsn), 2)
        try:
            async with pool.connection() as conn:
                async with conn.transaction():
                    return await trim_feed(conn, days)
        finally:
            await pool.close()

    done = asyncio.run(run())
    click.echo(f"trimmed {done['trimmed']} rows through seq {done['through']}")


@main.group()
def user() -> None:
    """HQ's own users."""


@user.command("create")
@click.option("--dsn", envvar="SOKO_HQ_DSN")
@click.option("--username", required=True)
@click.option("--role", type=click.Choice(["admin", "analyst"]), default="admin", show_default=True)
@click.option("--display-name", default="")
@click.password_option()
def user_create(dsn: str | None, username: str, role: str, display_name: str, password: str) -> None:
    """Make an HQ user (the first admin, for one)."""
    from cloud_bridge.hq.db import migrate_sync
    from cloud_bridge.hq.errors import HQError
    from cloud_bridge.hq.users import create_user_sync

    url = _dsn(dsn)
    migrate_sync(url)
    try:
        create_user_sync(url, username, password, role, display_name)
    except HQError as err:
        raise click.ClickException(err.detail) from err
    click.echo(f"user {username} ({role}) created")


@main.group()
def store() -> None:
    """The chain's stores."""


async def _store_and_code(url: str, code: str, name: str | None, zone: str, currencies: list[str]) -> dict:
    from cloud_bridge.hq import hubs, stores
    from cloud_bridge.hq.db import open_pool
    from cloud_bridge.hq.errors import NotFoundError

    pool = await open_pool(url, 2)
    try:
        async with pool.connection() as conn:
            async with conn.transaction():
                try:
                    found = await stores.store_by_code(conn, code)
                except NotFoundError:
                    if not name:
                        raise
                    found = await stores.create_store(conn, code, name, zone, currencies)
                return await hubs.create_code(conn, found["id"], "soko-hq")
    finally:
        await pool.close()


@store.command("enrolment")
@click.option("--dsn", envvar="SOKO_HQ_DSN")
@click.option("--code", "store_code", required=True, help="the store's code")
@click.option("--name", default=None, help="make the store with this name when HQ does not know it")
@click.option("--time-zone", default="Africa/Harare", show_default=True)
@click.option("--currencies", default="USD,ZWG", show_default=True, help="the cost currency first")
@click.option("--hq-url", envvar="SOKO_HQ_PUBLIC_URL", default=None, help="write an enrolment file with this URL")
def store_enrolment(dsn: str | None, store_code: str, name: str | None, time_zone: str, currencies: str,
                    hq_url: str | None) -> None:
    """Print a new enrolment code for a store (or, with --hq-url, an enrolment file's JSON)."""
    from cloud_bridge.hq.db import migrate_sync
    from cloud_bridge.hq.errors import HQError

    url = _dsn(dsn)
    migrate_sync(url)
    try:
        made = asyncio.run(_store_and_code(url, store_code, name, time_zone, currencies.split(",")))
    except HQError as err:
        raise click.ClickException(err.detail) from err
    if hq_url:
        json.dump({"hq_url": hq_url, "code": made["code"], "store_code": store_code}, sys.stdout)
        click.echo()
    else:
        click.echo(f"{made['code']} (valid until {made['expires_at']})")


if __name__ == "__main__":
    main()
