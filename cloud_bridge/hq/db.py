"""HQ's database: the connection pool, the numbered SQL migrations (applied at start) and the
facts table's monthly partitions (made on demand)."""

from __future__ import annotations

import logging
import re
from datetime import date
from importlib import resources
from typing import Any

log = logging.getLogger(__name__)

MIGRATIONS_LOCK = 7_240_001  # pg_advisory_lock key: one process migrates at a time
PARTITION_LOCK = 7_240_002
FEED_LOCK = 7_240_003  # every change-feed writer's transaction (see 0001_schema.sql, `changes`)
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")

MIGRATIONS_TABLE_SQL = """CREATE TABLE IF NOT EXISTS hq_migrations (
    version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"""


def migration_files() -> list[tuple[int, str, str]]:
    """(version, name, sql) of every migration shipped, in order."""
    found = []
    for entry in resources.files("cloud_bridge.hq").joinpath("migrations").iterdir():
        m = _MIGRATION_NAME.match(entry.name)
        if m:
            found.append((int(m[1]), entry.name, entry.read_text(encoding="utf-8")))
    found.sort()
    versions = [v for v, _n, _s in found]
    if versions != list(range(1, len(versions) + 1)):
        raise RuntimeError(f"HQ migrations are not numbered 1..n: {versions}")
    return found


async def migrate(dsn: str) -> list[str]:
    """Apply the migrations this database lacks, each in its own transaction; their names."""
    import psycopg

    applied: list[str] = []
    async with await psycopg.AsyncConnection.connect(dsn, autocommit=True) as conn:
        await conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATIONS_LOCK,))
        try:
            await conn.execute(MIGRATIONS_TABLE_SQL)
            done = {r[0] for r in await (await conn.execute("SELECT version FROM hq_migrations")).fetchall()}
            for version, name, sql in migration_files():
                if version in done:
                    continue
                async with conn.transaction():
                    await conn.execute(sql)
                    await conn.execute("INSERT INTO hq_migrations (version, name) VALUES (%s, %s)", (version, name))
                applied.append(name)
                log.info("HQ migration applied: %s", name)
        finally:
            await conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATIONS_LOCK,))
    return applied


def migrate_sync(dsn: str) -> list[str]:
    """migrate() for the command line and tests, on a connection of its own."""
    import psycopg

    applied: list[str] = []
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("SELECT pg_advisory_lock(%s)", (MIGRATIONS_LOCK,))
        try:
            conn.execute(MIGRATIONS_TABLE_SQL)
            done = {r[0] for r in conn.execute("SELECT version FROM hq_migrations").fetchall()}
            for version, name, sql in migration_files():
                if version not in done:
                    with conn.transaction():
                        conn.execute(sql)
                        conn.execute("INSERT INTO hq_migrations (version, name) VALUES (%s, %s)", (version, name))
                    applied.append(name)
        finally:
            conn.execute("SELECT pg_advisory_unlock(%s)", (MIGRATIONS_LOCK,))
    return applied


def month_start(day: date) -> date:
    return day.replace(day=1)


def next_month(day: date) -> date:
    return date(day.year + (day.month == 12), day.month % 12 + 1, 1)


def partition_name(month: date) -> str:
    return f"facts_y{month.year:04d}m{month.month:02d}"


class Partitions:
    """The facts partitions this process knows exist; ensure() makes the missing ones, each in a
    short transaction of its own under an advisory lock (two collectors may race for a month)."""

    def __init__(self) -> None:
        self.known: set[date] = set()

    async def ensure(self, pool: Any, days: set[date]) -> None:
        months = {month_start(d) for d in days} - self.known
        if not months:
            return
        async with pool.connection() as conn:
            for month in sorted(months):
                async with conn.transaction():
                    await conn.execute("SELECT pg_advisory_xact_lock(%s)", (PARTITION_LOCK,))
                    await conn.execute(
                        f"CREATE TABLE IF NOT EXISTS {partition_name(month)} PARTITION OF facts"
                        f" FOR VALUES FROM ('{month.isoformat()}') TO ('{next_month(month).isoformat()}')")
                self.known.add(month)


async def open_pool(dsn: str, size: int) -> Any:
    """A pool of connections whose rows are dicts, opened."""
    from psycopg.rows import dict_row
    from psycopg_pool import AsyncConnectionPool

    pool = AsyncConnectionPool(dsn, min_size=1, max_size=max(2, size), open=False,
                               kwargs={"autocommit": False, "row_factory": dict_row}, name="hq")
    await pool.open(wait=True, timeout=30)
    return pool
