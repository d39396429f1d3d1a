"""Signed updates installed beside the running version, switched atomically, rolled back if unhealthy.

A bundle is a tar (or a directory) holding `manifest.json`, `manifest.sig` (the Ed25519 signature
of manifest.json's bytes, base64) and the wheels it names with their SHA-256:

    {"format": 1, "version": "0.2.0", "created_at": "...", "files": {"wheels/soko_hub-0.2.0-py3-none-any.whl": "<sha256>", ...}}

Trusted signers: the vendor key below and any `*.pub` (base64 raw Ed25519) in TRUSTED_KEYS_DIR,
which only root can write (the image's smoke test adds its own there).

On the hub, ROOT holds `versions/<version>/` (one virtual environment per version), `current`
(the symlink systemd runs: `current/bin/soko-hub serve`) and `previous`. `apply` verifies the
bundle, refuses during trading hours or while tills report unsent sales (unless forced), takes a
pre-update backup, installs the new version beside the running one, switches `current` with one
rename, records `installed` and restarts the hub. `confirm` (run after the restart) asks the hub's
health endpoint for the new version; healthy: recorded; not within CONFIRM_TIMEOUT_S: the hub is
stopped, the pre-update backup restored if the new version changed the schema, `current` switched
back and the old version started: `rolled_back`.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Protocol

from hub.clock import format_ts, utc_now

# No signing key is built into the package: a key whose private half is not held by the vendor's
# signing machine would trust nobody useful, and one that leaked could not be withdrawn without a
# release. The vendor's public key is installed by the image build into TRUSTED_KEYS_DIR (and a
# technician may add a chain's own); with none installed every bundle is refused and says why.
VENDOR_KEYS: tuple[str, ...] = ()
TRUSTED_KEYS_DIR = Path("/etc/soko-hub/update-keys")
ROOT = Path("/opt/soko-hub")
STATE = "update-state.json"
CONFIRM_TIMEOUT_S = 120.0
CONFIRM_POLL_S = 2.0


class UpdateError(RuntimeError):
    """The update could not be installed or confirmed; the message says why."""


class UpdateRefusedError(UpdateError):
    """The update was refused before anything changed."""


@dataclass(frozen=True)
class Bundle:
    path: Path  # the unpacked directory
    manifest: dict[str, Any]
    sha256: str  # of manifest.json

    @property
    def version(self) -> str:
        return str(self.manifest["version"])


class ServiceControl(Protocol):
    def __call__(self, verb: str) -> None: ...  # "stop" | "start" | "restart"


CONTROL_TIMEOUT_S = 120.0


def helper_control(verb: str) -> None:
    """The image's privileged helper (hub.ops.helper): `stop|start|restart` for the soko-hub unit."""
    from hub.ops import helper

    try:
        helper.ask(verb, timeout=CONTROL_TIMEOUT_S)
    except helper.HelperError as err:
        raise UpdateError(f"the helper could not {verb} the hub: {err}") from err


def trusted_keys(extra_dir: Path | None = None) -> list[str]:
    keys = list(VENDOR_KEYS)
    folder = extra_dir if extra_dir is not None else TRUSTED_KEYS_DIR
    if folder.is_dir():
        keys += [p.read_text().strip() for p in sorted(folder.glob("*.pub"))]
    return keys


def sign(manifest_bytes: bytes, private_pem: bytes) -> str:
    """The base64 signature of a manifest (vendor side and tests)."""
    from cryptography.hazmat.primitives import serialization

    key = serialization.load_pem_private_key(private_pem, password=None)
    return base64.b64encode(key.sign(manifest_bytes)).decode()  # type: ignore[union-attr,call-arg]


def build_bundle(target: Path, version: str, wheels: list[Path], private_pem: bytes) -> Path:
    """Write a signed bundle tar at `target` (vendor side, the image's smoke test and tests)."""
    files = {f"wheels/{w.name}": hashlib.sha256(w.read_bytes()).hexdigest() for w in wheels}
    manifest = json.dumps({"format": 1, "version": version, "created_at": format_ts(utc_now()), "files": files},
                          indent=2).encode()
    with tarfile.open(target, "w") as tar:
        for name, data in (("manifest.json", manifest), ("manifest.sig", sign(manifest, private_pem).encode())):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            import io

            tar.addfile(info, io.BytesIO(data))
        for wheel in wheels:
            tar.add(wheel, arcname=f"wheels/{wheel.name}")
    return target


def _verify_signature(manifest: bytes, signature: str, keys: list[str]) -> bool:
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

    try:
        raw_sig = base64.b64decode(signature, validate=True)
    except ValueError:
        return False
    for key in keys:
        try:
            Ed25519PublicKey.from_public_bytes(base64.b64decode(key)).verify(raw_sig, manifest)
            return True
        except (InvalidSignature, ValueError):
            continue
    return False


def _extract(tar: tarfile.TarFile, folder: Path) -> None:
    """Unpack only plain files and directories inside `folder`."""
    if hasattr(tarfile, "data_filter"):
        tar.extractall(folder, filter="data")
        return
    # Python before 3.11.4 (Debian bookworm's 3.11.2, what a card runs) has no extraction filters.
    members = tar.getmembers()
    for member in members:
        name = Path(member.name)
        if name.is_absolute() or ".." in name.parts or not (member.isfile() or member.isdir()):
            raise tarfile.TarError(f"{member.name} is not a plain file inside the bundle")
        member.mode = 0o755 if member.isdir() else 0o644
    tar.extractall(folder, members=members)  # noqa: S202 (every member checked above)


def open_bundle(source: Path, into: Path, keys: list[str] | None = None) -> Bundle:
    """Unpack (if a tar) and verify a bundle: signature by a trusted key, then every file's SHA-256."""
    source = Path(source)
    if source.is_dir():
        folder = source
    else:
        folder = into
        try:
            with tarfile.open(source) as tar:
                _extract(tar, folder)
        except (tarfile.TarError, OSError) as err:
            raise UpdateRefusedError(f"{source.name} is not an update bundle: {err}") from err
    try:
        manifest_bytes = (folder / "manifest.json").read_bytes()
        signature = (folder / "manifest.sig").read_text().strip()
    except OSError as err:
        raise UpdateRefusedError(f"{source.name} lacks its manifest or signature") from err
    keys = keys if keys is not None else trusted_keys()
    if not keys:
        raise UpdateRefusedError(f"{source.name}: no update signing key is installed on this hub (put the vendor's "
                                 f"public key in {TRUSTED_KEYS_DIR}/); nothing was installed")
    if not _verify_signature(manifest_bytes, signature, keys):
        raise UpdateRefusedError(f"{source.name}: the signature is not from a trusted key; nothing was installed")
    manifest = json.loads(manifest_bytes)
    for name, digest in manifest.get("files", {}).items():
        path = folder / name
        if ".." in Path(name).parts or not path.is_file() or hashlib.sha256(path.read_bytes()).hexdigest() != digest:
            raise UpdateRefusedError(f"{source.name}: {name} does not match its signed checksum; nothing was installed")
    if not isinstance(manifest.get("version"), str) or not manifest["version"]:
        raise UpdateRefusedError(f"{source.name}: the manifest names no version")
    return Bundle(folder, manifest, hashlib.sha256(manifest_bytes).hexdigest())


def venv_installer(bundle: Bundle, target: Path) -> None:
    """A virtual environment at `target` with the bundle's wheels installed (no network)."""
    subprocess.run([sys.executable, "-m", "venv", str(target)], check=True, capture_output=True, timeout=300)
    wheels = sorted(str(p) for p in (bundle.path / "wheels").glob("*.whl"))
    subprocess.run([str(target / "bin" / "pip"), "install", "--no-index", "--no-cache-dir", "--find-links",
                    str(bundle.path / "wheels"), *wheels], check=True, capture_output=True, timeout=900)


def current_version(root: Path) -> str | None:
    link = root / "current"
    return Path(os.readlink(link)).name if link.is_symlink() else None


def switch(root: Path, version: str) -> str | None:
    """Point `current` at versions/<version> with one rename (and `previous` at what it was); the old version."""
    old = current_version(root)
    for name, to in (("previous", old), ("current", version)):
        if to is None:
            continue
        tmp = root / f".{name}.new"
        tmp.unlink(missing_ok=True)
        os.symlink(Path("versions") / to, tmp)
        os.replace(tmp, root / name)  # rename(2) over the old link: never a moment without one
    fd = os.open(root, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    return old


def read_state(root: Path) -> dict[str, Any] | None:
    try:
        return json.loads((root / STATE).read_text())
    except (OSError, ValueError):
        return None


def _write_state(root: Path, state: dict[str, Any]) -> None:
    tmp = root / f".{STATE}.tmp"
    tmp.write_text(json.dumps(state, indent=2))
    os.replace(tmp, root / STATE)


def guard(conn: Any, now: dt.datetime | None = None) -> list[str]:
    """Why an update must wait now (empty: it may go): trading hours, tills with unsent sales."""
    from hub.ops import config

    cfg = config.load(conn)
    zone = config.store_zone(conn)
    local = (now or utc_now()).astimezone(zone).strftime("%H:%M")
    start, end = config.parse_hours(cfg["trading_hours"])
    reasons = []
    trading = start <= local < end if start < end else (local >= start or local < end)
    if trading:
        reasons.append(f"it is trading hours ({cfg['trading_hours']}, now {local})")
    unsent = conn.execute("SELECT d.name, s.queue_depth FROM sync_devices s JOIN devices d ON d.id = s.device_id "
                          "WHERE s.queue_depth > 0 AND d.revoked_at IS NULL").fetchall()
    if unsent:
        reasons.append("tills hold unsent sales: " + ", ".join(f"{r[0]} ({r[1]})" for r in unsent))
    return reasons


def _give_to_db_owner(db_path: Path, *paths: Path) -> None:
    """Files the helper made as root (the pre-update backup and its folder) belong to the hub's user,
    as hub.db does: the hub takes, lists, copies, sends and restores its backups."""
    owner = Path(db_path).stat()
    for path in paths:
        if path.exists() and (path.stat().st_uid, path.stat().st_gid) != (owner.st_uid, owner.st_gid):
            os.chown(path, owner.st_uid, owner.st_gid)


def apply(bundle_source: Path, settings: Any, *, root: Path = ROOT, force: bool = False,
          installer: Callable[[Bundle, Path], None] = venv_installer, control: ServiceControl = helper_control,
          keys: list[str] | None = None, now: dt.datetime | None = None) -> dict[str, Any]:
    """Verify, guard, back up, install beside, switch, restart; the update's state."""
    from hub.backup.service import create_backup, manifest_path
    from hub.db import audit, ops as rows
    from hub.db.connection import connect, transaction

    import hub

    with tempfile.TemporaryDirectory(prefix="soko-update-") as scratch:
        bundle = open_bundle(bundle_source, Path(scratch), keys)
        running = current_version(root) or hub.__version__
        conn = connect(settings.db_path)
        try:
            reasons = guard(conn, now)
            started = format_ts(utc_now())
            if bundle.version == running:
                reasons = [f"version {running} is already running"]
                force = False
            if reasons and not force:
                with transaction(conn):
                    rows.record_update(conn, {"version": bundle.version, "from_version": running, "status": "refused",
                                              "forced": 0, "bundle_sha256": bundle.sha256, "detail": "; ".join(reasons),
                                              "started_at": started, "finished_at": started})
                    audit.append(conn, audit.Actor.system("update"), "update.refused", "update", bundle.version,
                                 detail={"reasons": reasons})
                raise UpdateRefusedError("the update waits: " + "; ".join(reasons) + " (a technician may --force it)")
            backup = create_backup(settings.db_path, settings.backup_path, facts=False)
            # The backup folder too: made here by root on a hub with no backup yet, it would shut
            # the hub's user out of every backup after this one.
            _give_to_db_owner(settings.db_path, Path(settings.backup_path), backup.path, manifest_path(backup.path))
            (root / "versions").mkdir(parents=True, exist_ok=True)
            target = root / "versions" / bundle.version
            # Installed where it will run: a virtual environment is not relocatable (its scripts name
            # their interpreter by absolute path), so one built elsewhere and renamed would not start.
            # A directory left by an earlier failed attempt goes first (never the running version:
            # refused above); the switch of `current` below is what makes the update atomic.
            if target.exists():
                shutil.rmtree(target)
            try:
                installer(bundle, target)
            except (OSError, subprocess.SubprocessError) as err:
                shutil.rmtree(target, ignore_errors=True)
                raise UpdateError(f"installing {bundle.version} failed: {err}; the running version is untouched") from err
            with transaction(conn):
                update_id = rows.record_update(conn, {
                    "version": bundle.version, "from_version": running, "status": "installed", "forced": int(force),
                    "bundle_sha256": bundle.sha256, "detail": "; ".join(reasons), "started_at": started,
                    "finished_at": None})
                audit.append(conn, audit.Actor.system("update"), "update.installed", "update", bundle.version,
                             detail={"from": running, "forced": force, "overridden": reasons,
                                     "backup": backup.name})
        finally:
            conn.close()
    previous = switch(root, bundle.version)
    state = {"update_id": update_id, "version": bundle.version, "previous": previous or running,
             "status": "installed", "backup": backup.name, "bundle_sha256": bundle.sha256, "forced": int(force),
             "started_at": started,
             "schema": backup.manifest.schema_version if backup.manifest else None, "switched_at": format_ts(utc_now())}
    _write_state(root, state)
    control("restart")
    return state


def http_probe(settings: Any) -> Callable[[], dict[str, Any] | None]:
    def probe() -> dict[str, Any] | None:
        import httpx

        scheme = "https" if settings.tls else "http"
        try:
            r = httpx.get(f"{scheme}://127.0.0.1:{settings.port}/api/v1/health", verify=False, timeout=5)
            return r.json() if r.status_code == 200 else None
        except (httpx.HTTPError, ValueError):
            return None

    return probe


def confirm(settings: Any, *, root: Path = ROOT, probe: Callable[[], dict[str, Any] | None] | None = None,
            control: ServiceControl = helper_control, timeout_s: float | None = None,
            sleep: Callable[[float], None] = time.sleep) -> dict[str, Any] | None:
    """After the restart: the new version healthy within the timeout, or roll back; the state (None: nothing pending)."""
    state = read_state(root)
    if state is None or state.get("status") != "installed":
        return state
    probe = probe or http_probe(settings)
    deadline = time.monotonic() + (CONFIRM_TIMEOUT_S if timeout_s is None else timeout_s)
    seen: dict[str, Any] | None = None
    while True:
        seen = probe()
        if seen and seen.get("status") == "ok" and seen.get("version") == state["version"]:
            _finish(settings, state, "healthy", f"healthy at {format_ts(utc_now())}")
            state["status"] = "healthy"
            _write_state(root, state)
            return state
        if time.monotonic() >= deadline:
            break
        sleep(CONFIRM_POLL_S)
    why = f"not healthy within the timeout (last answer: {json.dumps(seen)[:200] if seen else 'none'})"
    control("stop")
    restored = _restore_if_migrated(settings, state)
    switch(root, state["previous"])
    control("start")
    state["status"] = "rolled_back"
    state["reason"] = why + (f"; restored {restored}" if restored else "")
    _write_state(root, state)
    _finish(settings, state, "rolled_back", state["reason"])
    return state


def _restore_if_migrated(settings: Any, state: dict[str, Any]) -> str | None:
    """The new version may have migrated hub.db past what the old one reads: put the pre-update backup back."""
    from hub.backup.restore import restore_backup
    from hub.db.connection import connect
    from hub.db.migrations import current_version as schema_of

    conn = connect(settings.db_path, readonly=True)
    try:
        schema = schema_of(conn)
    finally:
        conn.close()
    if state.get("schema") is None or schema == state["schema"]:
        return None
    from hub.db import audit

    db_path = Path(settings.db_path)
    before = db_path.stat()
    restore_backup(settings.backup_path / state["backup"], settings.db_path, settings.lock_path,
                   actor=audit.Actor.system("update"))
    # The helper runs this as root: the restored file is root's, and the hub (its own user) could
    # not open it. It gets the owner and mode the database had.
    after = db_path.stat()
    if (after.st_uid, after.st_gid) != (before.st_uid, before.st_gid):
        os.chown(db_path, before.st_uid, before.st_gid)
    os.chmod(db_path, before.st_mode & 0o7777)
    return state["backup"]


def _finish(settings: Any, state: dict[str, Any], status: str, detail: str) -> None:
    from hub.db import audit, ops as rows
    from hub.db.connection import connect, transaction

    conn = connect(settings.db_path)
    try:
        with transaction(conn):
            if conn.execute("SELECT 1 FROM ops_updates WHERE id = ?", (state["update_id"],)).fetchone():
                rows.finish_update(conn, state["update_id"], status, detail, conn.stamp())
            else:  # the pre-update backup was restored: it predates the update's row, which is written whole
                at = conn.stamp()
                rows.record_update(conn, {
                    "version": state["version"], "from_version": state["previous"], "status": status,
                    "forced": state.get("forced", 0), "bundle_sha256": state.get("bundle_sha256", ""),
                    "detail": detail, "started_at": state.get("started_at") or at, "finished_at": at})
            audit.append(conn, audit.Actor.system("update"), f"update.{status}", "update", state["version"],
                         detail={"previous": state["previous"], "detail": detail})
    finally:
        conn.close()
