"""What end of day needs of the backups: the newest one, re-verified (its manifest, size, SHA-256,
integrity and audit chain, hub.backup.service.verify_backup). Only the newest matters: any backup
made after the day's last fact is at most as old as it.

Verifying hashes the whole file, so a result is kept per (file, size, modification time): a page
that is reloaded does not hash the database again. Runs off the event loop (blocking file I/O).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from hub.backup import service as backups

_VERIFIED: dict[tuple[str, int, int], tuple[bool, str]] = {}
MAX_REMEMBERED = 64


def newest(backup_dir: Path) -> dict[str, Any] | None:
    """The newest backup with its manifest's time and whether it verifies now; None when there is none."""
    for info in backups.list_backups(Path(backup_dir)):
        if info.manifest is None:
            continue  # a file without its manifest proves nothing about what it holds
        stat = info.path.stat()
        key = (str(info.path), stat.st_size, stat.st_mtime_ns)
        if key not in _VERIFIED:
            report = backups.verify_backup(info.path)
            failed = report.failures()
            if len(_VERIFIED) >= MAX_REMEMBERED:
                _VERIFIED.clear()
            _VERIFIED[key] = (report.ok, "; ".join(f"{c.name}: {c.reason}" for c in failed))
        ok, reason = _VERIFIED[key]
        return {"name": info.name, "created_at": info.manifest.created_at, "verified": ok, "problem": reason}
    return None
