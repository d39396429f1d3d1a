"""Helpers the catalogue's store modules share: search patterns and versioned updates.

Table and column names passed here are constants of the calling module, never request input.
"""

from __future__ import annotations

import sqlite3
from typing import Any, Iterable

# `LIKE :pattern ESCAPE '\'`: a search for "50%" or "a_b" finds those characters, not wildcards.
LIKE_ESCAPE = "\\"


def like_pattern(q: str | None) -> str | None:
    """`%q%` with LIKE's wildcards escaped, or None for no search."""
    if q is None or not q.strip():
        return None
    escaped = (q.strip().replace(LIKE_ESCAPE, LIKE_ESCAPE * 2)
               .replace("%", LIKE_ESCAPE + "%").replace("_", LIKE_ESCAPE + "_"))
    return f"%{escaped}%"


def bool_columns(row: sqlite3.Row | dict[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """The row as a dict with the named 0/1 columns as booleans."""
    out = dict(row)
    for name in names:
        if name in out and out[name] is not None:
            out[name] = bool(out[name])
    return out


def set_columns(conn: sqlite3.Connection, table: str, key_column: str, key: str,
                fields: dict[str, Any], allowed: frozenset[str]) -> None:
    """UPDATE the given columns, bump `version` and stamp `updated_at`, in one statement."""
    unknown = set(fields) - allowed
    if unknown:
        raise ValueError(f"cannot update {sorted(unknown)} of {table}")
    values = {k: int(v) if isinstance(v, bool) else v for k, v in fields.items()}
    sets = "".join(f"{column} = :{column}, " for column in values)
    cur = conn.execute(
        f"UPDATE {table} SET {sets}version = version + 1, updated_at = :_now"
        f" WHERE {key_column} = :_key",
        {**values, "_now": conn.stamp(), "_key": key},
    )
    if cur.rowcount != 1:
        raise KeyError(key)
