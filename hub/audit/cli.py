"""`soko-hub audit`: prove the audit chain."""

from __future__ import annotations

import sys

import click


@click.group()
def audit() -> None:
    """The append-only, hash-chained audit log."""


@audit.command()
@click.pass_obj
def verify(ctx) -> None:
    """Recompute the hash chain; name the first broken entry (exit 1) if the file was tampered with."""
    from hub.db.audit import verify_chain
    from hub.db.connection import connect

    settings = ctx.settings()
    if not settings.db_path.exists():
        raise click.ClickException(f"no database at {settings.db_path}")
    conn = connect(settings.db_path, readonly=True)
    try:
        report = verify_chain(conn)
    finally:
        conn.close()
    if report.ok:
        click.echo(f"audit chain ok: {report.entries} entries")
        return
    click.echo(f"audit chain BROKEN at entry {report.first_broken_seq}: {report.reason}", err=True)
    sys.exit(1)
