"""Backups of hub.db: `create_backup`, `list_backups`, `verify_backup`, `restore_backup`."""

from hub.backup.restore import RestoreRefusedError, RestoreResult, restore_backup
from hub.backup.service import (
    BackupError, BackupInfo, Check, Manifest, VerifyReport, create_backup, list_backups,
    verify_backup,
)

__all__ = [
    "BackupError", "BackupInfo", "Check", "Manifest", "RestoreRefusedError", "RestoreResult",
    "VerifyReport", "create_backup", "list_backups", "restore_backup", "verify_backup",
]
