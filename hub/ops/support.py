"""`soko-hub support-bundle`: a redacted tar.gz to attach to a support request.

It holds versions (hub, Python, SQLite, OS, libraries), settings without secrets (the process
settings, the store's settings and the operations settings), the doctor's report, recent logs
with their request ids (the journal of the soko-hub unit, else <data_dir>/logs/*.log), the
recent audit trail without its detail (who did what, when, under which request id), the recent
backup runs and updates. Every text in it goes through `scrub`; every JSON key naming a secret
is replaced. Never in it: hub.db, key files, the HQ credentials, password or PIN hashes, tokens.
"""

from __future__ import annotations

import io
import json
import platform
import re
import shutil
import sqlite3
import subprocess
import sys
import tarfile
import time
from pathlib import Path
from typing import Any

LOG_LINES = 3000
AUDIT_ENTRIES = 500
SECRET_KEY = re.compile(r"(secret|password|passwd|token|pin|hash|credential|private|recipient_key|activation_key"
                        r"|api_key|cookie|authorization)", re.I)
SCRUBS = (
    (re.compile(r"-----BEGIN [A-Z ]+-----.*?-----END [A-Z ]+-----", re.S), "<redacted PEM block>"),
    (re.compile(r"\$argon2[a-z]*\$[^\s\"']+"), "<redacted hash>"),
    (re.compile(r"(?i)(bearer|basic)\s+[A-Za-z0-9._~+/=-]+"), r"\1 <redacted>"),
    (re.compile(r"(?i)((?:token|password|secret|pin|key|authorization|cookie)[\"']?\s*[:=]\s*[\"']?)[^\s\"',;&]+"),
     r"\1<redacted>"),
    (re.compile(r"(?i)(x-device-token:\s*)\S+"), r"\1<redacted>"),
    (re.compile(r"\b[A-Z2-7]{4}(?:-[A-Z2-7]{4}){7}\b"), "<redacted recovery key>"),
)
PACKAGES = ("litestar", "uvicorn", "msgspec", "cryptography", "zeroconf", "python-escpos", "pyserial", "click",
            "sqlite-utils", "jinja2", "httpx")


def scrub(text: str) -> str:
    for pattern, replacement in SCRUBS:
        text = pattern.sub(replacement, text)
    return text


def redact(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: ("<redacted>" if SECRET_KEY.search(str(k)) and k != "key_id" else redact(v))
                for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    if isinstance(value, str):
        return scrub(value)
    return value


def versions() -> dict[str, Any]:
    import importlib.metadata

    import hub

    found = {"soko-hub": hub.__version__, "python": sys.version.split()[0], "sqlite": sqlite3.sqlite_version,
             "platform": platform.platform(), "machine": platform.machine()}
    try:
        found["os"] = dict(line.split("=", 1) for line in Path("/etc/os-release").read_text().splitlines()
                           if "=" in line).get("PRETTY_NAME", "").strip('"')
    except OSError:
        pass
    for name in PACKAGES:
        try:
            found[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            continue
    return found


def _settings(settings: Any, conn: sqlite3.Connection | None) -> dict[str, Any]:
    import msgspec

    out: dict[str, Any] = {"process": msgspec.to_builtins(settings)}
    if conn is not None:
        from hub.db.settings import all_settings
        from hub.ops import config

        out["store"] = all_settings(conn)
        out["operations"] = config.load(conn)
        if conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'fiscal_settings'").fetchone():
            out["fiscal"] = {r[0]: json.loads(r[1]) for r in conn.execute("SELECT key, value FROM fiscal_settings")}
    return redact(out)


def _records(conn: sqlite3.Connection | None) -> dict[str, Any]:
    if conn is None:
        return {}
    from hub.db import ops as rows

    audit_rows = [dict(r) for r in conn.execute(
        "SELECT seq, at, username, device_id, action, entity, entity_id, request_id FROM audit_log "
        "ORDER BY seq DESC LIMIT ?", (AUDIT_ENTRIES,))]
    return {"audit": redact(audit_rows), "backups": redact(rows.backups(conn, 50)),
            "updates": redact(rows.updates(conn, 20))}


def _logs(data_path: Path) -> str:
    exe = shutil.which("journalctl")
    if exe is not None:
        try:
            out = subprocess.run([exe, "-u", "soko-hub", "-n", str(LOG_LINES), "--no-pager", "-o", "short-iso"],
                                 capture_output=True, text=True, timeout=20, check=False)
            if out.returncode == 0 and out.stdout.strip() and "No entries" not in out.stdout[:200]:
                return out.stdout
        except (OSError, subprocess.SubprocessError):
            pass
    lines: list[str] = []
    for path in sorted((Path(data_path) / "logs").glob("*.log"))[-5:]:
        try:
            lines += path.read_text(errors="replace").splitlines()
        except OSError:
            continue
    return "\n".join(lines[-LOG_LINES:]) + ("\n" if lines else "no logs found (journal nor <data_dir>/logs)\n")


def build(settings: Any, target: Path, doctor_report: dict[str, Any] | None = None) -> Path:
    """Write the redacted bundle to `target` (a .tar.gz); returns it."""
    from hub.db.connection import connect
    from hub.ops import doctor

    conn = None
    if settings.db_path.exists():
        conn = connect(settings.db_path, readonly=True)
    try:
        report = doctor_report or doctor.run_offline(settings)
        files = {
            "versions.json": versions(),
            "settings.json": _settings(settings, conn),
            "doctor.json": redact(report),
            **{f"{k}.json": v for k, v in _records(conn).items()},
        }
    finally:
        if conn is not None:
            conn.close()
    texts = {name: scrub(json.dumps(value, indent=2, default=str)) + "\n" for name, value in files.items()}
    texts["logs.txt"] = scrub(_logs(settings.data_path))
    target.parent.mkdir(parents=True, exist_ok=True)
    with tarfile.open(target, "w:gz") as tar:
        for name, text in texts.items():
            data = text.encode()
            info = tarfile.TarInfo(f"soko-hub-support/{name}")
            info.size, info.mtime, info.mode = len(data), int(time.time()), 0o600
            tar.addfile(info, io.BytesIO(data))
    target.chmod(0o600)
    return target
