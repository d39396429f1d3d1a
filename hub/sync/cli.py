"""`soko-hub sync`: the till sync feed's housekeeping."""

from __future__ import annotations

import datetime as dt
from typing import Any

import click

DEFAULT_KEEP_DAYS = 30


@click.group()
def sync() -> None:
    """Till sync: the reference-data change feed tills pull from (docs/sync.md)."""


@sync.command()
@click.option("--days", type=click.IntRange(1, 3650), default=DEFAULT_KEEP_DAYS, show_default=True,
              help="Keep every change of the last DAYS days; a till not synced for longer reloads a snapshot.")
@click.pass_obj
def trim(ctx: Any, days: int) -> None:
    """Drop feed rows older than DAYS that a later change replaces (the newest row of every entity
    stays, snapshots are read from them); tills whose cursor is older get 410 cursor_trimmed.
    Safe while the hub runs: one short transaction."""
    from hub.clock import format_ts, utc_now
    from hub.db import audit
    from hub.db.connection import connect, transaction
    from hub.sync import feed

    settings = ctx.settings()
    if not settings.db_path.exists():
        raise click.ClickException(f"no database at {settings.db_path}")
    before = format_ts(utc_now() - dt.timedelta(days=days))
    conn = connect(settings.db_path)
    try:
        with transaction(conn):
            result = feed.trim(conn, before=before)
            if result["removed"]:
                audit.append(conn, audit.Actor.system("cli"), "sync.feed_trimmed", "changes", None,
                             detail={"through": result["through"], "removed": result["removed"], "days": days})
    finally:
        conn.close()
    click.echo(f"trimmed the feed through seq {result['through']}: {result['removed']} rows removed "
               f"(changes of the last {days} days kept)")
