"""HQ's settings: one object built from SOKO_HQ_* environment variables (or given to create_app)."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields
from pathlib import Path

MAX_FACTS = 1000  # facts per batch (docs/cloud-bridge.md)
MAX_BATCH_BYTES = 8 * 1024 * 1024  # uncompressed
MAX_BACKUP_BYTES = 2 * 1024 ** 3


@dataclass(frozen=True)
class HQSettings:
    """`dsn`: the PostgreSQL URL; `backups_dir`: where uploaded backups go; `public_url`: the URL
    hubs reach HQ at (written into enrolment files); `max_batches`: batches stored at once before
    HQ answers 429 with Retry-After; `pool_size`: database connections; `session_hours`: how long
    an HQ user's sign-in lasts."""

    dsn: str
    backups_dir: str = "/var/lib/soko-hq/backups"
    public_url: str = "http://127.0.0.1:8800"
    max_batches: int = 8
    retry_after: int = 5
    pool_size: int = 10
    session_hours: int = 12
    secure_cookies: bool = False

    @classmethod
    def from_env(cls, **overrides: object) -> "HQSettings":
        values: dict[str, object] = {}
        for f in fields(cls):
            raw = os.environ.get(f"SOKO_HQ_{f.name.upper()}")
            if raw is None:
                continue
            if f.type in ("int", int):
                values[f.name] = int(raw)
            elif f.type in ("bool", bool):
                values[f.name] = raw.strip().lower() in ("1", "true", "yes", "on")
            else:
                values[f.name] = raw
        values.update({k: v for k, v in overrides.items() if v is not None})
        if "dsn" not in values:
            raise ValueError("SOKO_HQ_DSN (the PostgreSQL URL) is not set")
        return cls(**values)  # type: ignore[arg-type]

    @property
    def backups_path(self) -> Path:
        return Path(self.backups_dir)
