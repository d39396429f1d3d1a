"""The `soko-hub` command line: serve, init, migrate, user, audit, backup."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import click

import hub
from hub.settings import Settings, SettingsError, load_settings


class Context:
    """What every command needs: the settings, built once from file, environment and flags."""

    def __init__(self, data_dir: str | None, config: str | None) -> None:
        self._data_dir = data_dir
        self._config = Path(config) if config else None
        self._settings: Settings | None = None

    def settings(self, **overrides: Any) -> Settings:
        try:
            return load_settings(config_file=self._config, data_dir=self._data_dir, **overrides)
        except SettingsError as err:
            raise click.ClickException(str(err)) from err

    def hasher(self):
        from hub.auth.passwords import SecretHasher

        s = self.settings()
        return SecretHasher(s.kdf_time_cost, s.kdf_memory_kib)


pass_ctx = click.make_pass_decorator(Context)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(hub.__version__, "--version", prog_name="soko-hub")
@click.option("--data-dir", envvar="SOKO_HUB_DATA_DIR", help="Data directory (default ./var, or the setting).")
@click.option("--config", envvar="SOKO_HUB_CONFIG", help="TOML settings file (default /etc/soko-hub/hub.toml).")
@click.pass_context
def main(ctx: click.Context, data_dir: str | None, config: str | None) -> None:
    """Soko Hub: the store's local API, portal, peripherals and gateways."""
    ctx.obj = Context(data_dir, config)


@main.command()
@click.option("--demo", is_flag=True, help="Create the demo store (and print its users once) if there is no database.")
@click.option("--host", help="Bind address (overrides the setting).")
@click.option("--port", type=click.IntRange(1, 65535), help="TCP port (overrides the setting).")
@pass_ctx
def serve(ctx: Context, demo: bool, host: str | None, port: int | None) -> None:
    """Run the hub: check and migrate the database, then serve the API and portal."""
    from hub import logs
    from hub.db.connection import DatabaseError, quick_check
    from hub.db.lock import InstanceLock, InstanceLockedError
    from hub.server import build_server

    settings = ctx.settings(host=host, port=port)
    logs.configure(settings.log_level)
    try:
        lock = InstanceLock(settings.lock_path).acquire("serve")
    except InstanceLockedError as err:
        raise click.ClickException(str(err)) from err
    try:
        if not settings.db_path.exists():
            if not demo:
                raise click.ClickException(
                    f"no database at {settings.db_path}: run `soko-hub init` to set up a store, "
                    "or `soko-hub serve --demo` for the demo store")
            _create_demo(ctx, settings)
        elif demo:
            click.echo("Using the existing database in "
                       f"{settings.data_path} (its demo users were printed when it was created).")
        try:
            quick_check(settings.db_path)
        except DatabaseError as err:
            raise click.ClickException(str(err)) from err
        server = build_server(settings)
        scheme = "https" if settings.tls else "http"
        shown_host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
        click.echo(f"Soko Hub {hub.__version__} at {scheme}://{shown_host}:{settings.port}/ "
                   f"(health: /api/v1/health, API: /api/docs)")
        server.run()
        if not server.started:
            sys.exit(1)
    finally:
        lock.release()


def _create_demo(ctx: Context, settings: Settings) -> None:
    from hub.setup import DEMO_STORE, create_database, load_demo_catalogue

    store = create_database(settings.db_path, store_name=DEMO_STORE["name"],
                            store_code=DEMO_STORE["code"], timezone=DEMO_STORE["timezone"],
                            hasher=ctx.hasher(), demo=True)
    loaded = load_demo_catalogue(settings.db_path)
    click.echo(f"Created the demo store in {settings.db_path}. Its users (shown only now):")
    for username, role, password, pin in store.credentials:
        click.echo(f"  {username:<11} role {role:<10} password {password}   PIN {pin}")
    click.echo(f"Its catalogue: {loaded['products']} products in {loaded['categories']} categories, "
               f"{loaded['tiers']} pricing tiers, {loaded['promotions']} promotions.")


@main.command()
@click.option("--list", "show", is_flag=True, help="List every migration and whether it is applied.")
@pass_ctx
def migrate(ctx: Context, show: bool) -> None:
    """Apply pending database migrations (the hub also does this at start-up)."""
    from hub.db.connection import connect
    from hub.db.lock import InstanceLock, InstanceLockedError
    from hub.db.migrations import MIGRATIONS, MigrationError, applied
    from hub.db.migrations import migrate as run_migrations

    settings = ctx.settings()
    if not settings.db_path.exists():
        raise click.ClickException(f"no database at {settings.db_path}")
    conn = connect(settings.db_path)
    try:
        if show:
            done = applied(conn)
            for m in MIGRATIONS:
                mark = "applied" if m.number in done else "pending"
                click.echo(f"{m.number:04d}  {m.name:<30} {mark}")
            return
        try:
            with InstanceLock(settings.lock_path).acquire("migrate"):
                ran = run_migrations(conn)
        except (InstanceLockedError, MigrationError) as err:
            raise click.ClickException(str(err)) from err
        click.echo("\n".join(f"applied {m.number:04d} {m.name}" for m in ran) or "nothing to apply")
    finally:
        conn.close()


def _register_groups() -> None:
    from hub.audit.cli import audit
    from hub.backup.cli import backup
    from hub.bench.cli import bench
    from hub.users.cli import init, user

    for command in (init, user, audit, backup, bench):
        main.add_command(command)


_register_groups()
