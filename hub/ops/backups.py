"""Operations' backups: a verified, sealed backup with the hub's identity, copied out, pruned.

One run (`run_backup`, blocking; the running hub runs it in a child process,
hub.ops.backup_child) takes the online backup (hub.backup.service.create_backup: stepped copy
of one snapshot), verifies it by restoring it into a scratch file
(hub.backup.service.verify_backup: facts, stock ledger, audit chain against the manifest),
writes the hub's identity beside it (`<stem>.identity.tar`: the TLS key and certificate, the
fiscal device keys and certificates, the HQ credentials), seals the three into `<stem>.sokobak`
to the recovery key's public half (hub.ops.crypto), copies that to the USB directory, queues it
for HQ, and prunes what retention no longer keeps. `record_run` then writes
its `ops_backups` row and audit entry in one transaction.

A sealed bundle is the only form that leaves the hub: `open_bundle` unseals one with the
recovery key, `restore_identity` puts its identity files back, and `stage_restore` /
`apply_pending` let the portal ask for a restore that runs before the hub next starts.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import shutil
import sqlite3
import tarfile
import time
import zoneinfo
from pathlib import Path
from typing import Any, Callable

from hub.backup import _files
from hub.backup.service import NAME_PATTERN, BackupError, create_backup, list_backups, read_manifest, verify_backup
from hub.clock import format_ts, parse_ts, utc_now
from hub.db import audit, ops as rows
from hub.ops import crypto, schedule

BUNDLE_SUFFIX = ".sokobak"
IDENTITY_SUFFIX = ".identity.tar"
USB_FOLDER = "soko-hub-backups"
KEEP_ALL_HOURS = 24  # retention removes nothing younger than this
PENDING_RESTORE = "pending-restore.json"


@dataclasses.dataclass
class Run:
    """What one backup run did; `record_run` stores it."""

    trigger: str
    started_at: str
    name: str = ""
    status: str = "failed"
    finished_at: str = ""
    size: int | None = None
    sha256: str | None = None
    verified: bool = False
    verify_detail: str = ""
    bundle: str = ""
    key_id: str = ""
    usb_status: str = "off"
    usb_detail: str = ""
    hq_status: str = "off"
    hq_detail: str = ""
    error: str = ""
    pruned: list[str] = dataclasses.field(default_factory=list)
    duration_ms: int = 0
    pid: int = dataclasses.field(default_factory=os.getpid)  # the process that ran it (hub.ops.backup_child)

    def row(self) -> dict[str, Any]:
        return {**dataclasses.asdict(self), "verified": int(self.verified)}


def ops_dir(data_path: Path) -> Path:
    path = Path(data_path) / "ops"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def identity_sources(settings: Any) -> list[tuple[Path, str]]:
    """(directory, name in the archive): the hub's TLS identity, fiscal keys, HQ credentials."""
    return [(settings.tls_path, "tls"), (settings.data_path / "fiscal", "fiscal"), (settings.data_path / "hq", "hq")]


def write_identity(settings: Any, target: Path) -> list[str]:
    """Write the identity archive (0600) at `target`; the names it holds."""
    names: list[str] = []
    tmp = _files.private_temp(target.parent, "." + target.name + ".")
    try:
        with tarfile.open(tmp, "w") as tar:
            for directory, arcname in identity_sources(settings):
                if not Path(directory).is_dir():
                    continue
                for path in sorted(Path(directory).rglob("*")):
                    if path.is_file() and not path.name.endswith(".tmp"):
                        name = f"{arcname}/{path.relative_to(directory).as_posix()}"
                        tar.add(path, arcname=name, recursive=False)
                        names.append(name)
        _files.fsync_file(tmp)
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return names


def seal_bundle(db_path: Path, public_b64: str, progress: Callable[[int], None] | None = None) -> Path:
    """Seal the backup, its manifest and its identity archive into `<stem>.sokobak` beside them."""
    stem = db_path.with_suffix("")
    target = stem.with_name(stem.name + BUNDLE_SUFFIX)
    plain = _files.private_temp(db_path.parent, ".bundle-")
    sealed = _files.private_temp(db_path.parent, ".sealed-")
    try:
        with tarfile.open(plain, "w") as tar:
            for path in (db_path, db_path.with_suffix(".json"), stem.with_name(stem.name + IDENTITY_SUFFIX)):
                if path.exists():
                    tar.add(path, arcname=path.name, recursive=False)
        with open(sealed, "wb") as out:
            crypto.seal(plain, out, public_b64, progress)
            out.flush()
            os.fsync(out.fileno())
        os.replace(sealed, target)
        _files.fsync_dir(target.parent)
    finally:
        plain.unlink(missing_ok=True)
        sealed.unlink(missing_ok=True)
    return target


def open_bundle(bundle: Path, recovery_key: str, into: Path) -> Path:
    """Unseal `bundle` with the recovery key into directory `into`; the backup's .db path there."""
    into.mkdir(parents=True, exist_ok=True, mode=0o700)
    plain = _files.private_temp(into, ".unsealed-")
    try:
        with open(plain, "wb") as out:
            crypto.unseal(bundle, out, recovery_key)
        with tarfile.open(plain) as tar:
            members = tar.getmembers()
            for member in members:
                if not member.isfile() or "/" in member.name or member.name.startswith("."):
                    raise BackupError(f"{bundle.name} holds an unexpected entry {member.name!r}")
            tar.extractall(into, members=members, filter="data")
    finally:
        plain.unlink(missing_ok=True)
    found = [into / m.name for m in members if NAME_PATTERN.match(m.name)]
    if len(found) != 1:
        raise BackupError(f"{bundle.name} does not hold exactly one backup file")
    for path in into.iterdir():
        path.chmod(0o600)
    return found[0]


def restore_identity(identity_tar: Path, settings: Any) -> list[str]:
    """Put the identity archive's files back (keeping any replaced file as *.before-restore)."""
    places = {arcname: Path(directory) for directory, arcname in identity_sources(settings)}
    restored = []
    with tarfile.open(identity_tar) as tar:
        for member in tar.getmembers():
            top, _, rest = member.name.partition("/")
            if not member.isfile() or top not in places or not rest or ".." in Path(rest).parts:
                continue
            target = places[top] / rest
            target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            if target.exists():
                os.replace(target, target.with_name(target.name + ".before-restore"))
            source = tar.extractfile(member)
            assert source is not None
            _files.write_private(target, source.read())
            restored.append(member.name)
    return restored


def _queue_for_hq(bundle: Path) -> tuple[str, str]:
    """Hand the sealed bundle to the bridge (hub.bridge.backups.queue_backup): its worker sends it."""
    try:
        from hub.bridge import backups as bridge_backups  # type: ignore[attr-defined]
    except ImportError:
        return "not_yet_bridge", "not yet: the HQ bridge has no backup upload; copies stay on the hub and USB"
    try:
        bridge_backups.queue_backup(bundle)
    except Exception as err:  # noqa: BLE001 (a failed hand-over is recorded, not raised)
        return "failed", f"could not queue for HQ: {err}"
    return "queued", "queued for HQ"


def _copy_to_usb(bundle: Path, usb_path: str) -> tuple[str, str]:
    root = Path(usb_path)
    if not root.is_dir():
        return "failed", f"no USB drive at {usb_path} (plug it in, or change the USB directory)"
    folder = root / USB_FOLDER
    try:
        folder.mkdir(exist_ok=True)
        tmp = folder / f".{bundle.name}.tmp"
        with open(bundle, "rb") as src, open(tmp, "wb") as out:
            shutil.copyfileobj(src, out, _files.COPY_CHUNK)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, folder / bundle.name)
        _files.fsync_dir(folder)
    except OSError as err:
        return "failed", f"copying to {folder} failed: {err}"
    return "copied", str(folder / bundle.name)


def _files_of(db_path: Path) -> list[Path]:
    stem = db_path.with_suffix("")
    return [db_path, db_path.with_suffix(".json"), stem.with_name(stem.name + IDENTITY_SUFFIX),
            stem.with_name(stem.name + BUNDLE_SUFFIX)]


def prune(backup_dir: Path, usb_path: str, zone: zoneinfo.ZoneInfo, daily: int, weekly: int) -> list[str]:
    """Remove the backups (and their USB copies) that retention no longer keeps; their names."""
    infos = [i for i in list_backups(backup_dir) if i.manifest is not None]
    stamps = [(i.name, parse_ts(i.manifest.created_at).astimezone(zone)) for i in infos]  # type: ignore[union-attr]
    since = utc_now().astimezone(zone) - dt.timedelta(hours=KEEP_ALL_HOURS)
    kept = schedule.keep(stamps, daily, weekly, since)
    removed = []
    for info in infos:
        if info.name in kept:
            continue
        for path in _files_of(info.path):
            path.unlink(missing_ok=True)
            if usb_path and path.name.endswith(BUNDLE_SUFFIX):
                (Path(usb_path) / USB_FOLDER / path.name).unlink(missing_ok=True)
        removed.append(info.name)
    return removed


def run_backup(settings: Any, config: dict[str, Any], zone: zoneinfo.ZoneInfo, *, trigger: str = "scheduled",
               copy_progress: Callable[[int, int], None] | None = None,
               seal_progress: Callable[[int], None] | None = None) -> Run:
    """Take, verify, seal, copy and prune one backup (blocking); never raises for a failed backup."""
    try:
        return _run_backup(settings, config, zone, trigger, copy_progress, seal_progress)
    finally:
        from hub import memory

        memory.trim()  # what copying and verifying allocated is free now: give it back (hub.memory)


def _run_backup(settings: Any, config: dict[str, Any], zone: zoneinfo.ZoneInfo, trigger: str,
                copy_progress: Callable[[int, int], None] | None,
                seal_progress: Callable[[int], None] | None) -> Run:
    started = time.monotonic()
    run = Run(trigger=trigger, started_at=format_ts(utc_now()))
    try:
        info = create_backup(settings.db_path, settings.backup_path, progress=copy_progress)
    except (BackupError, OSError) as err:
        run.name = f"failed-{run.started_at}"
        run.error = str(err)
        run.finished_at = format_ts(utc_now())
        return run
    assert info.manifest is not None
    run.name, run.size, run.sha256 = info.name, info.manifest.size, info.manifest.sha256
    report = verify_backup(info.path)
    run.verified = report.ok
    run.verify_detail = "; ".join(f"{c.name}: {c.reason}" for c in (report.failures() or report.checks[-3:]))
    if not report.ok:
        run.error = f"verification failed: {run.verify_detail}"
    stem = info.path.with_suffix("")
    write_identity(settings, stem.with_name(stem.name + IDENTITY_SUFFIX))
    if config.get("recipient_key") and report.ok:
        bundle = seal_bundle(info.path, config["recipient_key"], seal_progress)
        run.bundle, run.key_id = bundle.name, config.get("key_id") or crypto.key_id(config["recipient_key"])
        if config.get("usb_path"):
            run.usb_status, run.usb_detail = _copy_to_usb(bundle, config["usb_path"])
        if config.get("hq_copies"):
            run.hq_status, run.hq_detail = _queue_for_hq(bundle)
    elif config.get("usb_path") or config.get("hq_copies"):
        why = ("no recovery key is set up: copies leave the hub only encrypted (set one up on the Backups page "
               "or with `soko-hub backup encrypt`)") if report.ok else "not copied: the backup failed verification"
        if config.get("usb_path"):
            run.usb_status, run.usb_detail = "failed", why
        if config.get("hq_copies"):
            run.hq_status, run.hq_detail = "failed", why
    run.status = "ok" if report.ok else "failed"
    if report.ok:
        run.pruned = prune(settings.backup_path, config.get("usb_path") or "", zone,
                           int(config["keep_daily"]), int(config["keep_weekly"]))
    run.finished_at = format_ts(utc_now())
    run.duration_ms = int((time.monotonic() - started) * 1000)
    return run


def record_run(conn: sqlite3.Connection, actor: audit.Actor, run: Run) -> dict[str, Any]:
    """The run's ops_backups row, its pruned rows marked, and its one audit entry."""
    rows.record_backup(conn, run.row())
    at = conn.stamp()  # type: ignore[attr-defined]
    for name in run.pruned:
        rows.mark_pruned(conn, name, at)
    action = "backup.created" if run.status == "ok" else "backup.failed"
    return audit.append(conn, actor, action, "backup", run.name, detail={
        "trigger": run.trigger, "sha256": run.sha256, "size": run.size, "verified": run.verified,
        "bundle": run.bundle, "key_id": run.key_id, "usb": run.usb_status, "hq": run.hq_status,
        "pruned": run.pruned, "error": run.error[:500]})


# ---- recovery key ----------------------------------------------------------------------------------

def set_up_key(conn: sqlite3.Connection, actor: audit.Actor) -> str:
    """Make a new recovery key, keep its public half, audit it; return the key (shown once)."""
    from hub.ops import config as ops_config

    key = crypto.new_recovery_key()
    public = crypto.public_key_b64(key)
    before = ops_config.load(conn).get("key_id") or None
    kid = crypto.key_id(public)
    ops_config.put_internal(conn, {"recipient_key": public, "key_id": kid, "key_created_at": conn.stamp()})  # type: ignore[attr-defined]
    audit.append(conn, actor, "backup.recovery_key_created", "ops_settings", "recipient_key",
                 detail={"key_id": kid, "replaced": before})
    return key


# ---- a restore asked for from the portal, applied before the hub next starts -------------------------

def stage_restore(conn: sqlite3.Connection, actor: audit.Actor, data_path: Path, backup_path: Path,
                  name: str) -> dict[str, Any]:
    """Ask for `name` to be restored when the hub next starts (`soko-hub backup apply-pending`)."""
    from hub.errors import ConflictError, NotFoundError

    path = backup_path / name
    if not NAME_PATTERN.match(name) or not path.is_file():
        raise NotFoundError(f"no backup {name}")
    try:
        manifest = read_manifest(path)
    except BackupError as err:
        raise ConflictError(f"{name} cannot be restored: {err}", code="backup_unreadable") from err
    entry = audit.append(conn, actor, "backup.restore_requested", "backup", name,
                         detail={"backup": name, "taken": manifest.created_at})
    staged = {"name": name, "requested_at": conn.stamp(), "requested_by": actor.username or actor.user_id}  # type: ignore[attr-defined]
    _files.write_private(ops_dir(data_path) / PENDING_RESTORE, json.dumps(staged).encode())
    return entry


def pending_restore(data_path: Path) -> dict[str, Any] | None:
    path = Path(data_path) / "ops" / PENDING_RESTORE
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def apply_pending(settings: Any) -> str | None:
    """Restore the staged backup (and its identity) with the hub stopped; what was done, or None."""
    from hub.backup.restore import restore_backup

    staged = pending_restore(settings.data_path)
    if staged is None:
        return None
    marker = settings.data_path / "ops" / PENDING_RESTORE
    path = settings.backup_path / staged["name"]
    try:
        result = restore_backup(path, settings.db_path, settings.lock_path,
                                actor=audit.Actor.system("restore"))
    except BackupError as err:
        os.replace(marker, marker.with_suffix(".failed"))
        raise BackupError(f"the restore of {staged['name']} asked for by {staged.get('requested_by')} failed: {err}") from err
    stem = path.with_suffix("")
    identity = stem.with_name(stem.name + IDENTITY_SUFFIX)
    restored = restore_identity(identity, settings) if identity.exists() else []
    marker.unlink(missing_ok=True)
    return (f"restored {staged['name']} (new epoch {result.new_epoch}); identity files restored: "
            f"{len(restored)}")


def next_due(config: dict[str, Any], zone: zoneinfo.ZoneInfo, last_started: str | None,
             now: dt.datetime | None = None) -> dt.datetime | None:
    now = (now or utc_now()).astimezone(zone)
    last = parse_ts(last_started).astimezone(zone) if last_started else None
    return schedule.latest_due(now, config["backup_times"], int(config["backup_every_hours"]), last)


__all__ = ["Run", "apply_pending", "open_bundle", "record_run", "restore_identity", "run_backup", "set_up_key",
           "stage_restore"]
