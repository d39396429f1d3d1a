"""Numbered, forward-only migrations, applied at start-up before serving.

A migration is a function of a sqlite-utils Database, listed in MIGRATIONS with its number and
name. Once shipped, a migration keeps its number, name and effect forever: fix mistakes with a
new one. Each runs in its own transaction together with its row in `schema_migrations`.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Callable

import sqlite_utils

from hub.clock import format_ts, utc_now
from hub.db.connection import transaction
from hub.db.migrations import (m0001_core, m0002_devices_licenses, m0003_catalogue,
                               m0004_promotion_source, m0005_price_history_field)


@dataclass(frozen=True, slots=True)
class Migration:
    number: int
    name: str
    apply: Callable[[sqlite_utils.Database], None]


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "core", m0001_core.apply),
    Migration(2, "devices_licenses", m0002_devices_licenses.apply),
    Migration(3, "catalogue", m0003_catalogue.apply),
    Migration(4, "promotion_source", m0004_promotion_source.apply),
    Migration(5, "price_history_field", m0005_price_history_field.apply),
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
    for migration in pending(conn):
        if target is not None and migration.number > target:
            break
        with transaction(conn):
            migration.apply(sqlite_utils.Database(conn))
            conn.execute(
                "INSERT INTO schema_migrations (number, name, applied_at) VALUES (?, ?, ?)",
                (migration.number, migration.name, format_ts(utc_now())),
            )
        done.append(migration)
    return done
