"""`soko-hub stock`: prove that on hand equals the stock ledger, and rebuild it from the ledger."""

from __future__ import annotations

import sys
from typing import Any

import click

SHOWN = 50  # differences or changed products listed; the counts are always whole


def _database(ctx: Any):
    settings = ctx.settings()
    if not settings.db_path.exists():
        raise click.ClickException(f"no database at {settings.db_path}")
    return settings.db_path


def _label(conn: Any, product_id: str) -> str:
    from hub.db import stock

    product = stock.product(conn, product_id)
    return f"{product['sku']} ({product['name']})" if product else product_id


@click.group()
def stock() -> None:
    """The stock ledger: on hand per product is a projection of its movements."""


@stock.command()
@click.pass_obj
def check(ctx: Any) -> None:
    """Compare every product's stored on hand, average cost and value with its movements; list
    the products that differ (exit 1), or say they all agree."""
    from hub.db.connection import connect
    from hub.inventory import ledger

    conn = connect(_database(ctx), readonly=True)
    try:
        conn.execute("BEGIN")  # one snapshot, while the hub may go on selling
        found = ledger.check(conn)
        movements = conn.execute("SELECT count(*) FROM stock_movements").fetchone()[0]
        levels = conn.execute("SELECT count(*) FROM stock_levels").fetchone()[0]
        labels = {d.product_id: _label(conn, d.product_id) for d in found[:SHOWN]}
        conn.execute("COMMIT")
    finally:
        conn.close()
    if not found:
        click.echo(f"stock ok: {levels} levels agree with {movements} movements")
        return
    products = sorted({d.product_id for d in found})
    click.echo(f"stock DIFFERS from the ledger for {len(products)} product(s):", err=True)
    for d in found[:SHOWN]:
        click.echo(f"  {labels[d.product_id]}: {d.field} is {d.stored}, the ledger says {d.ledger}", err=True)
    if len(found) > SHOWN:
        click.echo(f"  ... and {len(found) - SHOWN} more", err=True)
    click.echo("run `soko-hub stock rebuild` to recompute them from the ledger", err=True)
    sys.exit(1)


@stock.command()
@click.pass_obj
def rebuild(ctx: Any) -> None:
    """Recompute every product's level from its movements in one transaction; report how many
    changed (each changed level reaches the tills as a new version). Refuses while the hub runs."""
    from hub.db.connection import connect, transaction
    from hub.db.lock import InstanceLock, InstanceLockedError
    from hub.inventory import ledger

    path = _database(ctx)
    try:
        # The running hub is the database's one writer (DESIGN.md section 3): a rebuild beside it
        # would hold the write lock over every level while tills wait to sell. Like a restore, it
        # runs on a stopped hub (hub.db.lock).
        lock = InstanceLock(ctx.settings().lock_path).acquire("stock rebuild")
    except InstanceLockedError as err:
        raise click.ClickException(f"cannot rebuild stock while the hub runs: {err}; nothing was changed") from err
    with lock:
        conn = connect(path)
        try:
            with transaction(conn):
                report = ledger.rebuild(conn)
                labels = [_label(conn, p) for p in report["changed"][:SHOWN]]
        finally:
            conn.close()
    changed = report["changed"]
    click.echo(f"rebuilt {report['levels']} levels from {report['movements']} movements: "
               f"{len(changed)} changed")
    for label in labels:
        click.echo(f"  {label}")
    if len(changed) > SHOWN:
        click.echo(f"  ... and {len(changed) - SHOWN} more")
