"""The auth generation: a number that moves whenever the writer commits a change that a caller's
identity is read from (a token, a user, a role, a role's permissions, a till).

Temporary triggers on the writer connection call back into Python whenever such a row changes,
so no write path can forget to say so, and `Database` moves the number on once that transaction
has ended. An identity cached while the number still held its earlier value is never used again
(hub.auth.cache): a revoked till or user is refused on its very next request. Temporary triggers
live in the writer connection only: nothing is added to the schema, another process's connection
never fires them (its writes are seen once a cached identity's short lifetime ends).

Telemetry columns (a till's last-seen time and address, its pending uploads, its license seat;
a token's last use) are left out, so a till calling in does not empty the cache.
"""

from __future__ import annotations

import sqlite3

FUNCTION = "soko_auth_changed"

# (table, trigger event): every change an identity (hub.db.tokens.IDENTITY_SQL, PERMISSIONS_SQL)
# or a till (hub.db.devices.BY_TOKEN_SQL) is read from.
WATCHED = (
    ("tokens", "UPDATE OF user_id, kind, token_hash, device_id, expires_at, revoked_at"),
    ("tokens", "DELETE"),
    ("users", "UPDATE"),
    ("users", "DELETE"),
    ("roles", "UPDATE"),
    ("roles", "DELETE"),
    ("role_permissions", "INSERT"),
    ("role_permissions", "UPDATE"),
    ("role_permissions", "DELETE"),
    ("devices", "UPDATE OF name, token_hash, revoked_at"),
    ("devices", "DELETE"),
)
TRIGGER_SQL = """
CREATE TEMP TRIGGER IF NOT EXISTS {name} AFTER {event} ON main.{table}
BEGIN SELECT {function}(); END
"""
TABLES_SQL = "SELECT name FROM main.sqlite_master WHERE type = 'table'"


class AuthGeneration:
    """Counts the committed transactions that changed what identities are read from.

    `value` is read from any thread; only the writer thread changes it, in `settle`.
    """

    def __init__(self) -> None:
        self.value = 0
        self.watching = False  # False until the triggers are in place: then nothing may be cached
        self._touched = False

    def install(self, conn: sqlite3.Connection) -> None:
        """Add the triggers to the writer connection; without every watched table (a store not
        yet migrated) none is added and `watching` stays False."""
        tables = {row[0] for row in conn.execute(TABLES_SQL)}
        if not {table for table, _ in WATCHED} <= tables:
            return
        conn.create_function(FUNCTION, 0, self._touch)
        for table, event in WATCHED:
            name = f"soko_auth_{table}_{event.split()[0].lower()}"
            conn.execute(TRIGGER_SQL.format(name=name, event=event, table=table, function=FUNCTION))
        self.watching = True

    def _touch(self) -> None:
        self._touched = True

    def settle(self) -> None:
        """After a write transaction ended (committed or rolled back): move on if it touched a
        watched row. Called before the write's caller is answered, so whoever hears that the
        change is done sees the new value."""
        if self._touched:
            self._touched = False
            self.value += 1
