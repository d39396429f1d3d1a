"""Numbered, forward-only migrations, applied at start-up before serving.

A migration is a function of a sqlite-utils Database, listed in MIGRATIONS with its number and
name. Once shipped, a migration keeps its number, name and effect forever: fix mistakes with a
new one. Each runs in its own transaction together with its row in `schema_migrations`.
"""

from __future__ import annotations

import importlib
import sqlite3
from dataclasses import dataclass
from typing import TYPE_CHECKING, Callable

from hub.clock import format_ts, utc_now
from hub.db.connection import transaction

if TYPE_CHECKING:
    import sqlite_utils


@dataclass(frozen=True, slots=True)
class Migration:
    number: int
    name: str
    apply: Callable[[sqlite_utils.Database], None]


def _module(name: str) -> Callable[[sqlite_utils.Database], None]:
    """The `apply` of hub.db.migrations.<name>, imported when it runs: a hub whose database is up
    to date starts without loading sqlite-utils or any migration's code."""

    def apply(db: sqlite_utils.Database) -> None:
        importlib.import_module(f"{__name__}.{name}").apply(db)

    return apply


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "core", _module("m0001_core")),
    Migration(2, "devices_licenses", _module("m0002_devices_licenses")),
    Migration(3, "catalogue", _module("m0003_catalogue")),
    Migration(4, "promotion_source", _module("m0004_promotion_source")),
    Migration(5, "price_history_field", _module("m0005_price_history_field")),
    Migration(6, "stock_ledger", _module("m0006_stock_ledger")),
    Migration(7, "stock_takes", _module("m0007_stock_takes")),
    Migration(8, "purchasing", _module("m0008_purchasing")),
    Migration(9, "adjustments", _module("m0009_adjustments")),
    Migration(10, "transfers", _module("m0010_transfers")),
    Migration(11, "unapplied_documents", _module("m0011_unapplied_documents")),
    Migration(12, "shifts", _module("m0012_shifts")),
    Migration(13, "sales", _module("m0013_sales")),
    Migration(14, "adjustment_drafts", _module("m0014_adjustment_drafts")),
    Migration(15, "end_of_day", _module("m0015_end_of_day")),
    Migration(16, "refunds", _module("m0016_refunds")),
    Migration(17, "sale_training", _module("m0017_sale_training")),
    Migration(18, "sync_events", _module("m0018_sync_events")),
    Migration(19, "printing", _module("m0019_printing")),
    Migration(20, "customers", _module("m0020_customers")),
    Migration(21, "report_indexes", _module("m0021_report_indexes")),
    Migration(22, "sync_feed", _module("m0022_sync_feed")),
    Migration(23, "fiscal", _module("m0023_fiscal")),
    Migration(24, "bridge", _module("m0024_bridge")),
    Migration(25, "operations", _module("m0025_operations")),
    Migration(26, "fiscal_operations", _module("m0026_fiscal_operations")),
    Migration(27, "fiscal_documents", _module("m0027_fiscal_documents")),
    Migration(28, "sale_line_category", _module("m0028_sale_line_category")),
    Migration(29, "fiscal_recovery", _module("m0029_fiscal_recovery")),
    Migration(30, "bridge_product_local", _module("m0030_bridge_product_local")),
    Migration(31, "movement_indexes", _module("m0031_movement_indexes")),
)

TRACKING_SQL = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    number INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TEXT NOT NULL
)
"""


class MigrationError(RuntimeError):
    """The database's schema is not one this hub can migrate."""


def applied(conn: sqlite3.Connection) -> dict[int, str]:
    conn.execute(TRACKING_SQL)
    return {r[0]: r[1] for r in conn.execute("SELECT number, name FROM schema_migrations")}


def current_version(conn: sqlite3.Connection) -> int:
    done = applied(conn)
    return max(done) if done else 0


def head() -> int:
    return MIGRATIONS[-1].number


def pending(conn: sqlite3.Connection) -> list[Migration]:
    done = applied(conn)
    for number, name in done.items():
        known = next((m for m in MIGRATIONS if m.number == number), None)
        if known is None:
            raise MigrationError(
                f"database has migration {number} ({name}) that this hub does not know: "
                "it was written by a newer soko-hub; upgrade the hub, never downgrade a database"
            )
        if known.name != name:
            raise MigrationError(f"migration {number} is named {name!r} here but {known.name!r} in code")
    return [m for m in MIGRATIONS if m.number not in done]


def migrate(conn: sqlite3.Connection, *, target: int | None = None) -> list[Migration]:
    """Apply every pending migration up to `target` (default: all); return those applied."""
    done = []
    todo = [m for m in pending(conn) if target is None or m.number <= target]
    if todo:
        from sqlite_utils import Database as UtilsDatabase  # loaded only when something is to apply
    for migration in todo:
        with transaction(conn):
            migration.apply(UtilsDatabase(conn))
            conn.execute(
                "INSERT INTO schema_migrations (number, name, applied_at) VALUES (?, ?, ?)",
                (migration.number, migration.name, format_ts(utc_now())),
            )
        done.append(migration)
    return done
