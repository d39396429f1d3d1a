"""Trimming HQ's change feed (as the hub's `soko-hub sync trim`, docs/sync.md): rows older than
N days that a later row of the same entity replaces, and old deletes, go; the newest row of
every live entity stays. A cursor below the trimmed seq is then `410 cursor_trimmed`."""

from __future__ import annotations

from typing import Any

from cloud_bridge.hq.db import FEED_LOCK

TRIM_SQL = """DELETE FROM changes c WHERE c.seq <= %(through)s AND c.recorded_at < now() - make_interval(days => %(days)s)
    AND (c.op = 'delete' OR EXISTS (SELECT 1 FROM changes n WHERE n.entity = c.entity AND n.id = c.id
                                    AND n.seq > c.seq))"""


async def trim(conn: Any, days: int) -> dict[str, int]:
    """Trim in the caller's transaction; {trimmed, through}."""
    await conn.execute("SELECT pg_advisory_xact_lock(%s)", (FEED_LOCK,))
    through = (await (await conn.execute(
        "SELECT coalesce(max(seq), 0) AS m FROM changes WHERE recorded_at < now() - make_interval(days => %s)",
        (days,))).fetchone())["m"]
    deleted = (await conn.execute(TRIM_SQL, {"through": through, "days": days})).rowcount
    if deleted:
        await conn.execute("INSERT INTO meta (key, value) VALUES ('trimmed_through', %s) ON CONFLICT (key)"
                           " DO UPDATE SET value = greatest(meta.value::bigint, excluded.value::bigint)::text",
                           (str(through),))
    return {"trimmed": deleted, "through": through}


async def trimmed_through(conn: Any) -> int:
    row = await (await conn.execute("SELECT value FROM meta WHERE key = 'trimmed_through'")).fetchone()
    return int(row["value"]) if row else 0
