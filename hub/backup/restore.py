"""Restoring a backup over hub.db: only with the hub stopped, only a verified backup, new epoch.

The order keeps the store safe at every step: nothing is touched until the backup verifies; the
restored file is prepared beside hub.db (copied, given its new epoch, time floor and audit entry,
fsynced) and only then swapped in with one rename, so a power cut leaves either the old database
or the whole restored one. The replaced database is kept as hub.db.before-restore-<stamp>.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from hub.backup import _files
from hub.backup.service import BackupError, verify_backup
from hub.clock import TimeFloor, utc_now
from hub.db import audit, meta
from hub.db.connection import DatabaseError, connect, transaction
from hub.db.lock import InstanceLock, InstanceLockedError

SIDE_FILES = ("-wal", "-shm", "-journal")


class RestoreRefusedError(BackupError):
    """The restore was refused before anything changed."""


@dataclass(frozen=True, slots=True)
class RestoreResult:
    backup: Path
    db_path: Path
    kept: Path | None  # the replaced database, or None when there was none
    old_epoch: str | None
    backup_epoch: str | None
    new_epoch: str
    time_floor: str | None


def _settle(db_path: Path) -> dict[str, str | None]:
    """Checkpoint the whole -wal into hub.db so the file alone holds everything; read its identity.

    A database that cannot be read (often the reason for restoring) is kept as it is, -wal too.
    """
    try:
        conn = connect(db_path)
    except (sqlite3.DatabaseError, DatabaseError) as err:
        _refuse_if_busy(db_path, err)
        return {"unreadable": str(err)}
    try:
        busy, _frames, _done = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        if busy:
            raise RestoreRefusedError(f"{db_path} is in use by another process (a `soko-hub` command?); "
                                      "try again when it has finished; nothing was changed")
        return {"epoch": meta.get(conn, "epoch"), "time_floor": meta.get(conn, "time_floor") or None}
    except sqlite3.DatabaseError as err:
        _refuse_if_busy(db_path, err)
        return {"unreadable": str(err)}
    finally:
        conn.close()


def _refuse_if_busy(db_path: Path, err: Exception) -> None:
    if getattr(err, "sqlite_errorcode", 0) & 0xFF in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        raise RestoreRefusedError(f"{db_path} is locked by another process ({err}); "
                                  "try again when it has finished; nothing was changed") from err


def _later(*moments: str | None) -> str | None:
    # Timestamps are fixed-width UTC text (hub.clock.format_ts), so text order is time order.
    present = [m for m in moments if m]
    return max(present) if present else None


def _rebirth(path: Path, backup_name: str, old: dict[str, str | None], actor: audit.Actor) -> dict:
    """Give the copy at `path` a new epoch, the later time floor and the restore's audit entry."""
    conn = connect(path)
    try:
        floor = _later(old.get("time_floor"), meta.get(conn, "time_floor"))
        # Stamp from the later floor: no fact in the restored hub may predate one the old hub held.
        conn.floor = TimeFloor(floor)
        with transaction(conn):
            backup_epoch = meta.get(conn, "epoch")
            if floor:
                meta.put(conn, "time_floor", floor)
            from hub.fiscal import recovery  # a fiscal hub reconciles with FDMS before it signs again

            recovery.before_new_epoch(conn)
            new_epoch = meta.new_epoch(conn)
            audit.append(conn, actor, "backup.restored", "backup", backup_name,
                         detail={"backup": backup_name, "old_epoch": old.get("epoch"),
                                 "backup_epoch": backup_epoch, "new_epoch": new_epoch})
        floor = meta.get(conn, "time_floor")
        conn.execute("PRAGMA journal_mode = DELETE")  # fold the -wal in: one file to rename
        return {"backup_epoch": backup_epoch, "new_epoch": new_epoch, "time_floor": floor}
    finally:
        conn.close()


def _keep(db_path: Path) -> Path:
    """Keep the current database under hub.db.before-restore-<stamp> (a hard link: no copy)."""
    stamp = f"{utc_now():%Y%m%dT%H%M%SZ}"
    kept = _files.link_unique(db_path, db_path.parent, f"{db_path.name}.before-restore-{stamp}", "")
    wal = Path(str(db_path) + "-wal")
    if wal.exists() and wal.stat().st_size > 0:  # only when hub.db could not be checkpointed
        os.link(wal, str(kept) + "-wal")
    return kept


def restore_backup(backup_path: Path, db_path: Path, lock_path: Path, *,
                   actor: audit.Actor | None = None) -> RestoreResult:
    """Replace hub.db with a verified backup under a new epoch; refuses while the hub runs."""
    backup_path, db_path = Path(backup_path), Path(db_path)
    actor = actor or audit.Actor.system("cli")
    try:
        lock = InstanceLock(Path(lock_path)).acquire("backup restore")
    except InstanceLockedError as err:
        raise RestoreRefusedError(f"cannot restore while the hub runs: {err}; nothing was changed") from err
    with lock:
        report = verify_backup(backup_path)
        if not report.ok:
            reasons = "; ".join(f"{c.name}: {c.reason}" for c in report.failures())
            raise RestoreRefusedError(f"{backup_path.name} failed verification ({reasons}); nothing was changed")
        db_path.parent.mkdir(parents=True, exist_ok=True)
        old = _settle(db_path) if db_path.exists() else {}
        tmp = _files.private_temp(db_path.parent, f".{db_path.name}.restore-")
        try:
            _files.copy_private(backup_path, tmp)
            try:
                born = _rebirth(tmp, backup_path.name, old, actor)
            except sqlite3.DatabaseError as err:
                raise BackupError(f"could not prepare {backup_path.name} for restoring: {err}; "
                                  "nothing was changed") from err
            _files.fsync_file(tmp)
            kept = None
            if db_path.exists():
                # Settle again: a `soko-hub user` command may have committed since the first time.
                _settle(db_path)
                kept = _keep(db_path)
            # A -wal left beside hub.db would be replayed into the restored file and corrupt it.
            for suffix in SIDE_FILES:
                Path(str(db_path) + suffix).unlink(missing_ok=True)
            os.replace(tmp, db_path)
            _files.fsync_dir(db_path.parent)
        finally:
            tmp.unlink(missing_ok=True)
            for suffix in SIDE_FILES:
                Path(str(tmp) + suffix).unlink(missing_ok=True)
    return RestoreResult(backup=backup_path, db_path=db_path, kept=kept, old_epoch=old.get("epoch"),
                         backup_epoch=born["backup_epoch"], new_epoch=born["new_epoch"],
                         time_floor=born["time_floor"])
