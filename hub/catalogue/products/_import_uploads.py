"""CSV files the Import page has checked, kept until the manager confirms the import.

The checked file stays on the hub (under <data_dir>/imports, one JSON file per upload named by
a random id) rather than travelling back through the browser in a hidden field: the confirm
imports exactly the bytes that were checked, and a page cannot swap them. Each upload belongs to
the user who sent it, lives `UPLOAD_TTL_S`, and at most `MAX_KEPT` are kept (the oldest go
first), so the folder stays within MAX_KEPT x the hub's request size. Blocking file calls: run
these in a worker thread.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
from pathlib import Path
from typing import Any

FOLDER = "imports"
UPLOAD_TTL_S = 30 * 60  # long enough to read a report, short enough not to import a stale file
MAX_KEPT = 20
_ID = re.compile(r"^[A-Za-z0-9_-]{32}$")
SUFFIX = ".json"


def folder(data_path: Path) -> Path:
    return data_path / FOLDER


def _kept(where: Path) -> list[Path]:
    return sorted(where.glob("*" + SUFFIX), key=lambda p: p.stat().st_mtime) if where.is_dir() else []


def prune(where: Path, *, keep: int | None = None, now: float | None = None) -> None:
    """Forget expired uploads, then the oldest beyond `keep` (MAX_KEPT by default)."""
    now = time.time() if now is None else now
    alive = []
    for path in _kept(where):
        try:
            if now - path.stat().st_mtime > UPLOAD_TTL_S:
                path.unlink(missing_ok=True)
            else:
                alive.append(path)
        except FileNotFoundError:  # another request pruned it first
            continue
    limit = MAX_KEPT if keep is None else keep
    for path in alive[:max(0, len(alive) - limit)]:
        path.unlink(missing_ok=True)


def keep(where: Path, *, owner: str, filename: str, text: str) -> str:
    """Store a checked CSV for `owner`; its id (32 URL-safe characters)."""
    where.mkdir(mode=0o700, parents=True, exist_ok=True)
    prune(where, keep=MAX_KEPT - 1)
    upload_id = secrets.token_urlsafe(24)
    body = json.dumps({"owner": owner, "filename": filename, "text": text}, ensure_ascii=False)
    temporary = where / f".{upload_id}.tmp"
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(body)
    os.replace(temporary, where / (upload_id + SUFFIX))
    return upload_id


def take(where: Path, upload_id: str, owner: str) -> dict[str, Any] | None:
    """The upload {owner, filename, text}, or None when it is unknown, expired or someone else's."""
    if not _ID.match(upload_id):
        return None
    path = where / (upload_id + SUFFIX)
    try:
        if time.time() - path.stat().st_mtime > UPLOAD_TTL_S:
            path.unlink(missing_ok=True)
            return None
        found = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None
    return found if isinstance(found, dict) and found.get("owner") == owner else None


def drop(where: Path, upload_id: str) -> None:
    if _ID.match(upload_id):
        (where / (upload_id + SUFFIX)).unlink(missing_ok=True)
