"""`soko-hub backup run | run-scheduled | schedule | encrypt | open | apply-pending` (added to `soko-hub backup`)."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any, Iterator

import click


def _read(settings: Any, fn, *args):
    from hub.db.connection import connect

    conn = connect(settings.db_path, readonly=True)
    try:
        return fn(conn, *args)
    finally:
        conn.close()


def _write(settings: Any, fn, *args):
    from hub.db.connection import connect, transaction

    conn = connect(settings.db_path)
    try:
        with transaction(conn):
            return fn(conn, *args)
    finally:
        conn.close()


def _config(conn):
    from hub.db import ops as rows
    from hub.ops import config

    return config.load(conn), config.store_zone(conn), rows.last_scheduled(conn)


class _Bars:
    """Two progress bars, one after the other: the copy (pages) and the sealing (bytes)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.bar: Any = None
        self.kind = ""
        self.done = 0

    def _switch(self, kind: str, length: int) -> None:
        if self.kind != kind:
            self.close()
            self.bar = click.progressbar(length=max(length, 1), label=f"{kind:<8}")
            self.bar.__enter__()
            self.kind, self.done = kind, 0

    def copy(self, done: int, total: int) -> None:
        self._switch("copying", total)
        self.bar.update(done - self.done)
        self.done = done

    def seal(self, n: int) -> None:
        self._switch("sealing", self.size)
        self.bar.update(n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.__exit__(None, None, None)
            self.bar = None


@contextlib.contextmanager
def _bars(show: bool, size: int) -> Iterator[tuple[Any, Any]]:
    if not show:
        yield None, None
        return
    bars = _Bars(size)
    try:
        yield bars.copy, bars.seal
    finally:
        bars.close()


def _run(ctx, trigger: str, progress: bool) -> None:
    from hub.db.audit import Actor
    from hub.ops import backups

    settings = ctx.settings()
    if not settings.db_path.exists():
        raise click.ClickException(f"no database at {settings.db_path}")
    cfg, zone, _last = _read(settings, _config)
    with _bars(progress, settings.db_path.stat().st_size) as (copy, seal):
        run = backups.run_backup(settings, cfg, zone, trigger=trigger, copy_progress=copy, seal_progress=seal)
    _write(settings, backups.record_run, Actor.system("cli" if trigger == "manual" else "scheduler"), run)
    _report(run)
    if run.status != "ok":
        raise click.ClickException(f"the backup failed: {run.error}")


def _report(run) -> None:
    click.echo(f"{run.name}: {run.status}, {'verified' if run.verified else 'NOT verified'} ({run.verify_detail})")
    click.echo(f"  sealed: {run.bundle or 'no (no recovery key)'}{f' for key {run.key_id}' if run.key_id else ''}")
    click.echo(f"  USB: {run.usb_status} {run.usb_detail}".rstrip())
    click.echo(f"  HQ: {run.hq_status} {run.hq_detail}".rstrip())
    if run.pruned:
        click.echo(f"  retention removed: {', '.join(run.pruned)}")


@click.command("run")
@click.option("--progress/--no-progress", default=True, help="Show progress bars.")
@click.pass_obj
def run(ctx, progress: bool) -> None:
    """Take a backup now: copy online, verify by restoring into scratch, seal, copy to USB, queue for HQ, prune."""
    _run(ctx, "manual", progress)


@click.command("run-scheduled")
@click.pass_obj
def run_scheduled(ctx) -> None:
    """Take the scheduled backup if one is due (for the image's timer; the running hub does the same)."""
    from hub.ops import backups

    settings = ctx.settings()
    cfg, zone, last = _read(settings, _config)
    due = backups.next_due(cfg, zone, last)
    if due is None:
        click.echo("no scheduled backup is due")
        return
    click.echo(f"the backup due at {due:%Y-%m-%d %H:%M} ({zone.key}) runs now")
    _run(ctx, "scheduled", False)


@click.command()
@click.option("--at", "times", multiple=True, help="A time of day (HH:MM, store time); repeat for more.")
@click.option("--every-hours", type=int, help="Also every N hours after the last (0: off).")
@click.option("--keep-daily", type=int, help="Days with a backup to keep.")
@click.option("--keep-weekly", type=int, help="Weeks with a backup to keep (besides the daily ones).")
@click.option("--usb-path", help="The USB drive's mount directory ('' to stop USB copies).")
@click.option("--hq/--no-hq", "hq", default=None, help="Queue encrypted copies for HQ.")
@click.pass_obj
def schedule(ctx, times, every_hours, keep_daily, keep_weekly, usb_path, hq) -> None:
    """Show or change when backups run, how many are kept and where copies go."""
    from hub.db.audit import Actor
    from hub.errors import FieldErrors
    from hub.ops import backups, config

    settings = ctx.settings()
    changes: dict[str, Any] = {k: v for k, v in (
        ("backup_times", list(times) if times else None), ("backup_every_hours", every_hours),
        ("keep_daily", keep_daily), ("keep_weekly", keep_weekly), ("usb_path", usb_path), ("hq_copies", hq))
        if v is not None}
    if changes:
        try:
            _write(settings, config.save, Actor.system("cli"), changes)
        except FieldErrors as err:
            raise click.ClickException(_field_errors(err)) from err
    cfg, zone, last = _read(settings, _config)
    click.echo(f"backups at {', '.join(cfg['backup_times']) or 'no fixed time'} ({zone.key})"
               + (f", and every {cfg['backup_every_hours']} h" if cfg["backup_every_hours"] else ""))
    click.echo(f"keep {cfg['keep_daily']} daily and {cfg['keep_weekly']} weekly")
    click.echo(f"USB copies: {cfg['usb_path'] or 'off'}; HQ copies: {'on' if cfg['hq_copies'] else 'off'}")
    click.echo(f"recovery key: {cfg['key_id'] or 'none (copies never leave the hub)'}")
    due = backups.next_due(cfg, zone, last)
    click.echo(f"last scheduled backup: {last or 'never'}; {'one is due now' if due else 'none due now'}")


@click.command()
@click.option("--kit", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the printable recovery kit (HTML) here.")
@click.option("--yes", is_flag=True, help="Replace an existing recovery key without asking.")
@click.pass_obj
def encrypt(ctx, kit: Path | None, yes: bool) -> None:
    """Set up (or replace) the recovery key that seals every backup; it is shown only now."""
    from hub.db.audit import Actor
    from hub.ops import backups, config, kit as recovery_kit

    settings = ctx.settings()
    cfg = _read(settings, config.load)
    if cfg["key_id"] and not yes:
        click.confirm(f"Replace recovery key {cfg['key_id']}? Backups sealed to it still need it to open", abort=True)
    key = _write(settings, backups.set_up_key, Actor.system("cli"))
    cfg = _read(settings, config.load)
    click.echo("Recovery key (shown only now; print it or write it down and keep it off site):\n")
    click.echo(f"    {key}\n")
    click.echo(f"key id {cfg['key_id']}: every backup from now on is sealed to it")
    if kit is not None:
        kit.write_text(recovery_kit.render(key, cfg["key_id"], _read(settings, recovery_kit.store_facts)))
        kit.chmod(0o600)
        click.echo(f"recovery kit written to {kit}: print it, then delete the file")


@click.command("open")
@click.argument("bundle", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--recovery-key", prompt=True, hide_input=True, help="The recovery key the bundle was sealed to.")
@click.pass_obj
def open_(ctx, bundle: Path, recovery_key: str) -> None:
    """Unseal a .sokobak bundle (from USB or HQ) into the backup directory, ready to `backup restore`."""
    from hub.backup.service import BackupError
    from hub.ops import backups, crypto

    settings = ctx.settings()
    try:
        path = backups.open_bundle(bundle, recovery_key, settings.backup_path)
    except (crypto.RecoveryKeyError, BackupError) as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"unsealed {path.name} into {settings.backup_path}; restore it (database and identity) with:\n"
               f"  soko-hub backup restore {path.name} --with-identity")


@click.command("apply-pending")
@click.pass_obj
def apply_pending(ctx) -> None:
    """Apply a restore asked for on the portal (run by the hub's unit before it starts)."""
    from hub.backup.service import BackupError
    from hub.ops import backups

    try:
        done = backups.apply_pending(ctx.settings())
    except BackupError as err:
        raise click.ClickException(str(err)) from err
    click.echo(done or "no restore is pending")


def _field_errors(err: Exception) -> str:
    errors = (getattr(err, "extra", None) or {}).get("errors")
    if isinstance(errors, list):
        return "; ".join(f"{e.get('field')}: {e.get('message')}" for e in errors if isinstance(e, dict))
    return str(err)


COMMANDS = [run, run_scheduled, schedule, encrypt, open_, apply_pending]

