"""`soko-hub backup`: create, list, verify and restore backups of hub.db."""

from __future__ import annotations

from pathlib import Path

import click


@click.group()
def backup() -> None:
    """Backups of the database: take one while the hub runs, check one, put one back."""


def _resolve(path: str, backup_dir: Path) -> Path:
    """A path as given, or a bare backup name looked up in the backup directory."""
    given = Path(path)
    if given.is_file():
        return given
    if given.name == path and (backup_dir / path).is_file():
        return backup_dir / path
    raise click.ClickException(f"no backup at {path} (nor in {backup_dir})")


def _size(n: int) -> str:
    return f"{n / 1e6:.1f} MB" if n >= 1e6 else f"{n / 1e3:.1f} kB"


@backup.command()
@click.pass_obj
def create(ctx) -> None:
    """Take an online, consistent copy (safe while the hub runs) and check it."""
    from hub.backup.service import BackupError, create_backup, record_created
    from hub.db.audit import Actor
    from hub.db.connection import connect, transaction

    settings = ctx.settings()
    try:
        info = create_backup(settings.db_path, settings.backup_path)
    except BackupError as err:
        raise click.ClickException(str(err)) from err
    conn = connect(settings.db_path)
    try:
        with transaction(conn):
            record_created(conn, Actor.system("cli"), info)
    finally:
        conn.close()
    m = info.manifest
    assert m is not None
    click.echo(f"created {info.path} ({_size(m.size)}, schema {m.schema_version}, "
               f"{m.audit_entries} audit entries, sha256 {m.sha256})")


@backup.command("list")
@click.pass_obj
def list_(ctx) -> None:
    """List backups, newest first."""
    from hub.backup.service import list_backups

    backup_dir = ctx.settings().backup_path
    infos = list_backups(backup_dir)
    if not infos:
        click.echo(f"no backups in {backup_dir}")
        return
    for info in infos:
        m = info.manifest
        if m is None:
            click.echo(f"{info.name}  (no readable manifest: run `soko-hub backup verify`)")
        else:
            click.echo(f"{info.name}  {m.created_at}  {_size(m.size):>9}  schema {m.schema_version}  "
                       f"{m.audit_entries} audit entries")


@backup.command()
@click.argument("path")
@click.pass_obj
def verify(ctx, path: str) -> None:
    """Check a backup: manifest, checksum, integrity_check, audit chain and schema."""
    from hub.backup.service import verify_backup

    target = _resolve(path, ctx.settings().backup_path)
    report = verify_backup(target)
    for check in report.checks:
        click.echo(f"{'ok ' if check.ok else 'BAD'}  {check.name:<12} {check.reason}")
    if not report.ok:
        failed = ", ".join(c.name for c in report.failures())
        raise click.ClickException(f"{target.name} failed verification ({failed}): do not restore it")
    click.echo(f"{target.name} is good")


@backup.command()
@click.argument("path")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
@click.option("--with-identity", is_flag=True,
              help="Also put back the hub's identity saved beside it (TLS key, fiscal keys, HQ credentials).")
@click.pass_obj
def restore(ctx, path: str, yes: bool, with_identity: bool) -> None:
    """Put a backup back with the hub stopped; the database gets a new epoch so tills and HQ resend."""
    from hub.backup.restore import restore_backup
    from hub.backup.service import BackupError, read_manifest

    settings = ctx.settings()
    target = _resolve(path, settings.backup_path)
    if not yes:
        try:
            m = read_manifest(target)
            what = f"{target.name} (store {m.store_code}, taken {m.created_at})"
        except BackupError:
            what = target.name
        click.confirm(f"Replace {settings.db_path} with {what}? The current database is kept "
                      "beside it; tills and HQ will resend what the backup lacks", abort=True)
    try:
        result = restore_backup(target, settings.db_path, settings.lock_path)
    except BackupError as err:
        raise click.ClickException(str(err)) from err
    click.echo(f"restored {target.name} into {result.db_path}; new epoch {result.new_epoch}")
    if result.kept is not None:
        click.echo(f"the replaced database is kept as {result.kept}")
    if with_identity:
        from hub.ops.backups import IDENTITY_SUFFIX, restore_identity

        identity = target.with_name(target.name.removesuffix(".db") + IDENTITY_SUFFIX)
        if not identity.exists():
            raise click.ClickException(f"no identity archive {identity.name} beside the backup")
        click.echo(f"identity restored: {', '.join(restore_identity(identity, settings))}")


def _add_operations_commands() -> None:
    # Scheduled, sealed and copied backups (hub.ops): `backup run`, `run-scheduled`, `schedule`,
    # `encrypt`, `open`, `apply-pending`.
    from hub.ops.backup_cli import COMMANDS

    for command in COMMANDS:
        backup.add_command(command)


_add_operations_commands()
