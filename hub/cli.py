"""The `soko-hub` command line: serve, init, migrate, user, audit, backup."""

from __future__ import annotations

import contextlib
import gc
import importlib
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Iterator

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

# Commands that live with their feature, imported on first use so that `serve` does not load
# the code of `backup`, `user` and `bench` (and what they import) before it answers.
LAZY_COMMANDS = {"init": "hub.users.cli:init", "user": "hub.users.cli:user", "audit": "hub.audit.cli:audit",
                 "backup": "hub.backup.cli:backup", "bench": "hub.bench.cli:bench",
                 "stock": "hub.inventory.cli:stock", "till-sim": "hub.sync.tillsim:till_sim"}


class _Commands(dict):
    """A group's commands, those named in LAZY_COMMANDS imported when first looked up or listed."""

    def __init__(self, lazy: dict[str, str]) -> None:
        super().__init__()
        self._lazy = dict(lazy)

    def _load(self, name: str) -> None:
        if (where := self._lazy.pop(name, None)) is not None:
            module, attr = where.split(":")
            super().__setitem__(name, getattr(importlib.import_module(module), attr))

    def _load_all(self) -> None:
        for name in list(self._lazy):
            self._load(name)

    def __getitem__(self, name: str) -> click.Command:
        self._load(name)
        return super().__getitem__(name)

    def get(self, name: str, default: Any = None) -> Any:
        self._load(name)
        return super().get(name, default)

    def __contains__(self, name: object) -> bool:
        return name in self._lazy or super().__contains__(name)

    def __iter__(self) -> Iterator[str]:
        self._load_all()
        return super().__iter__()

    def __len__(self) -> int:
        return super().__len__() + len(self._lazy)

    def keys(self):  # type: ignore[override]
        self._load_all()
        return super().keys()

    def values(self):  # type: ignore[override]
        self._load_all()
        return super().values()

    def items(self):  # type: ignore[override]
        self._load_all()
        return super().items()


# Till sync's feed housekeeping (`soko-hub sync trim`).
LAZY_COMMANDS["sync"] = "hub.sync.cli:sync"
# Operations: the doctor, the support bundle and signed updates.
LAZY_COMMANDS["doctor"] = "hub.ops.cli:doctor"
LAZY_COMMANDS["support-bundle"] = "hub.ops.cli:support_bundle"
LAZY_COMMANDS["update"] = "hub.ops.cli:update"
# The link to HQ (`soko-hub hq enrol | status | push-now`).
LAZY_COMMANDS["hq"] = "hub.bridge.cli:hq"
# The first-run wizard's one-time code (first boot makes it; `soko-hub setup-code` makes a new one).
LAZY_COMMANDS["setup-code"] = "hub.firstrun.code:setup_code"


class _Group(click.Group):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        eager, self.commands = self.commands, _Commands(LAZY_COMMANDS)
        self.commands.update(eager)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
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
    from hub import logs, memory
    from hub.db.connection import DatabaseError, quick_check
    from hub.db.lock import InstanceLock, InstanceLockedError

    settings = ctx.settings(host=host, port=port)
    logs.configure(settings.log_level)
    memory.tune()  # before the threads: a long-running process's malloc settings (hub.memory)
    try:
        lock = InstanceLock(settings.lock_path).acquire("serve")
    except InstanceLockedError as err:
        raise click.ClickException(str(err)) from err
    try:
        if not settings.db_path.exists() and not demo:
            from hub.firstrun.code import has_code

            if not has_code(settings):
                raise click.ClickException(
                    f"no database at {settings.db_path}: run `soko-hub init` to set up a store, "
                    "`soko-hub setup-code` then `soko-hub serve` for the first-run wizard in the portal, "
                    "or `soko-hub serve --demo` for the demo store")
            _serve_setup(settings)
            return
        if not settings.db_path.exists():
            _create_demo(ctx, settings)
        elif demo:
            click.echo("Using the existing database in "
                       f"{settings.data_path} (its demo users were printed when it was created).")
        with _no_collection_while_starting(), ThreadPoolExecutor(1, thread_name_prefix="quick-check") as pool:
            # quick_check reads the whole file inside SQLite, which releases the GIL, so on a big
            # store it runs while this thread imports the server; nothing is built before it passes.
            checked = pool.submit(quick_check, settings.db_path)
            from hub.server import build_server

            try:
                checked.result()
            except DatabaseError as err:
                raise click.ClickException(str(err)) from err
            server = build_server(settings)
            server.config.app.state.database_checked = settings.db_path  # no second quick_check
        click.echo(f"Soko Hub {hub.__version__} at {_address(settings)}/ (health: /api/v1/health, API: /api/docs)")
        server.run()
        if not server.started:
            sys.exit(1)
    finally:
        lock.release()


def _address(settings: Settings) -> str:
    """Where the hub answers, as a person on this machine would type it."""
    scheme = "https" if settings.tls else "http"
    shown_host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
    return f"{scheme}://{shown_host}:{settings.port}"


def _serve_setup(settings: Settings) -> None:
    """No store yet: serve the first-run wizard (hub.firstrun), which becomes the hub when done."""
    from hub.firstrun.app import build_setup_server, exit_if_switch_failed

    server = build_setup_server(settings)
    click.echo(f"Soko Hub {hub.__version__}: no store at {settings.db_path}; the setup wizard is at "
               f"{_address(settings)}/setup (or run `soko-hub init`)")
    server.run()
    exit_if_switch_failed(server)  # the store is made but this process is not its hub: exit non-zero
    if not server.started:
        sys.exit(1)


@contextlib.contextmanager
def _no_collection_while_starting() -> Iterator[None]:
    """No garbage collection while the server is built; then freeze what was made.

    Building the app makes some 100,000 objects that live as long as the process, and only a
    few hundred that are garbage; the collector would walk the keepers over and over on the way
    (about 150 passes, ~0.1 s of the start). Frozen, they stay out of every later collection too;
    the few hundred are kept, which is cheaper than one full collection to find them. If the
    build fails (a corrupt database, say) nothing is frozen: the caller may be a test process.
    """
    gc.disable()
    try:
        yield
    except BaseException:
        gc.enable()
        raise
    gc.freeze()
    gc.enable()


def _create_demo(ctx: Context, settings: Settings) -> None:
    from hub.setup import DEMO_STORE, create_database, load_demo_catalogue

    store = create_database(settings.db_path, store_name=DEMO_STORE["name"],
                            store_code=DEMO_STORE["code"], timezone=DEMO_STORE["timezone"],
                            hasher=ctx.hasher(), demo=True)
    loaded = load_demo_catalogue(settings.db_path)
    from hub.sales.demo_history import DEMO_HISTORY_SEED, DEMO_DAYS, load_demo_history

    history = load_demo_history(settings.db_path, seed=DEMO_HISTORY_SEED, days=DEMO_DAYS)
    click.echo(f"Created the demo store in {settings.db_path}. Its users (shown only now):")
    for username, role, password, pin in store.credentials:
        click.echo(f"  {username:<11} role {role:<10} password {password}   PIN {pin}")
    click.echo(f"Its catalogue: {loaded['products']} products in {loaded['categories']} categories, "
               f"{loaded['tiers']} pricing tiers, {loaded['promotions']} promotions.")
    click.echo(f"Its history: {history['sales']} sales over {DEMO_DAYS} days on {history['tills']} tills, "
               f"{history['shifts']} shifts (today's still open), {history['goods_receipts']} goods receipts.")


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

