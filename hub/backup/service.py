"""Backups of hub.db: take a consistent copy while the hub runs, list, verify, restore.

A backup is one self-contained SQLite file `hub-<STORE>-<yyyymmddThhmmssZ>.db` (rollback
journal mode, so it needs no -wal beside it) and a JSON manifest `<same stem>.json` that records
what the copy held when it was taken. Both are readable by their owner only: they hold password
hashes. Restoring lives in hub.backup.restore.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import msgspec

import hub
from hub.backup import _files
from hub.clock import format_ts, parse_ts, utc_now
from hub.db import audit, meta
from hub.db.connection import connect
from hub.db.migrations import current_version, head
from hub.db.settings import get_setting

NAME_PATTERN = re.compile(r"^hub-[A-Za-z0-9]+-\d{8}T\d{6}Z(-\d+)?\.db$")
TABLES_SQL = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
MANIFEST_FORMAT = 1


class BackupError(RuntimeError):
    """A backup could not be taken, read or restored; the message says why."""


class Manifest(msgspec.Struct, kw_only=True):
    """What a backup file held when it was taken; written beside it as JSON."""

    format: int = MANIFEST_FORMAT
    file: str
    created_at: str
    hub_version: str
    hub_id: str | None
    store_id: str | None
    store_code: str | None
    epoch: str | None
    time_floor: str | None
    schema_version: int
    sha256: str
    size: int
    audit_entries: int
    audit_last_hash: str | None
    tables: dict[str, int]
    # SHA-256 of every table's rows read from the live database inside the copy's own snapshot,
    # and whether its stock levels agreed with the ledger then: a restore of the backup into a
    # scratch file must show the same (verify_backup's "facts" and "stock_ledger" checks).
    digests: dict[str, str] = {}
    stock_ledger_ok: bool | None = None


@dataclass(frozen=True, slots=True)
class BackupInfo:
    path: Path
    manifest: Manifest | None  # None when the manifest is missing or unreadable

    @property
    def name(self) -> str:
        return self.path.name


@dataclass(frozen=True, slots=True)
class Check:
    name: str
    ok: bool
    reason: str


@dataclass(slots=True)
class VerifyReport:
    path: Path
    checks: list[Check] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    def failures(self) -> list[Check]:
        return [c for c in self.checks if not c.ok]


def manifest_path(backup: Path) -> Path:
    return backup.with_suffix(".json")


def examine(conn: sqlite3.Connection) -> dict[str, Any]:
    """Integrity, audit chain, schema version, identity and row counts of an open database."""
    integrity = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
    chain = audit.verify_chain(conn)
    last = conn.execute(audit.LAST_SQL).fetchone()
    tables = [r[0] for r in conn.execute(TABLES_SQL)]
    values = meta.all_values(conn)
    return {
        "integrity": integrity,
        "chain": chain,
        "audit_last_hash": last[1] if last else None,
        "schema_version": current_version(conn),
        "identity": {k: values.get(k) or None for k in ("hub_id", "store_id", "epoch", "time_floor")},
        "store_code": get_setting(conn, "store.code"),
        # Names come from sqlite_master, quoted as identifiers: never user input.
        "tables": {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables},
    }


def table_digests(conn: sqlite3.Connection) -> dict[str, str]:
    """SHA-256 of each table's rows in primary-key order (the facts a backup must hold)."""
    digests = {}
    for table in [r[0] for r in conn.execute(TABLES_SQL)]:
        digest = hashlib.sha256()
        try:  # names come from sqlite_master, quoted as identifiers: never user input
            cursor = conn.execute(f'SELECT * FROM "{table}" ORDER BY rowid')
        except sqlite3.OperationalError:  # a WITHOUT ROWID table: its primary key orders it
            cursor = conn.execute(f'SELECT * FROM "{table}"')
        while batch := cursor.fetchmany(2000):
            for row in batch:
                digest.update(repr(tuple(row)).encode())
        digests[table] = digest.hexdigest()
    return digests


def ledger_agrees(conn: sqlite3.Connection) -> bool | None:
    """Whether the stock levels agree with the movements (None: no stock ledger in this schema)."""
    from hub.inventory import ledger

    if not conn.execute("SELECT 1 FROM sqlite_master WHERE name = 'stock_movements'").fetchone():
        return None
    return not ledger.check(conn)


# The copy reads this many pages at a time and sleeps between steps, so a backup never holds the
# SD card for long while tills sell; the source keeps one read transaction open across the steps,
# so the copy is one snapshot (WAL lets the writer commit beside it; no restart).
STEP_PAGES = 256
STEP_SLEEP_S = 0.005


def _moment(time_floor: str | None) -> dt.datetime:
    # Never name a backup earlier than the latest fact it holds: the Pi's clock may be behind.
    now = utc_now()
    return max(now, parse_ts(time_floor)) if time_floor else now


def _copy(db_path: Path, tmp: Path, progress: Callable[[int, int], None] | None = None,
          facts: bool = True) -> dict[str, Any]:
    source = connect(db_path, readonly=True)
    try:
        copy = sqlite3.connect(tmp, isolation_level=None)
        copy.row_factory = sqlite3.Row
        try:
            source.execute("BEGIN")
            source.execute("SELECT count(*) FROM sqlite_master").fetchone()  # the snapshot starts here
            step = None if progress is None else (lambda _status, remaining, total: progress(total - remaining, total))
            source.backup(copy, pages=STEP_PAGES, progress=step, sleep=STEP_SLEEP_S)
            source_facts = {"digests": table_digests(source), "stock_ledger_ok": ledger_agrees(source)} if facts else {}
            source.execute("COMMIT")
            copy.execute("PRAGMA journal_mode = DELETE")  # one file, no -wal to carry along
            return {**examine(copy), **source_facts}
        finally:
            copy.close()
    finally:
        source.close()


def create_backup(db_path: Path, backup_dir: Path, *, progress: Callable[[int, int], None] | None = None,
                  facts: bool = True) -> BackupInfo:
    """Copy the live database consistently into backup_dir, check the copy, write its manifest
    (with the source's table digests and ledger state at the copy's snapshot unless `facts` is
    false); `progress(pages done, pages in all)` follows the copy."""
    db_path, backup_dir = Path(db_path), Path(backup_dir)
    if not db_path.exists():
        raise BackupError(f"no database at {db_path}")
    backup_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    tmp = _files.private_temp(backup_dir, ".hub-backup-")
    try:
        try:
            found = _copy(db_path, tmp, progress, facts)
        except sqlite3.DatabaseError as err:
            raise BackupError(f"could not copy {db_path}: {err}; no backup was kept") from err
        if found["integrity"] != ["ok"]:
            problems = "; ".join(" ".join(r.split()) for r in found["integrity"][:3])
            raise BackupError(f"the copy of {db_path} failed integrity_check: {problems}; "
                              "no backup was kept")
        chain = found["chain"]
        if not chain.ok:
            raise BackupError(f"the audit chain of {db_path} is broken at entry {chain.first_broken_seq} "
                              f"({chain.reason}); no backup was kept: run `soko-hub audit verify`")
        _files.fsync_file(tmp)
        digest, size = sha256_of(tmp)
        moment = _moment(found["identity"]["time_floor"])
        code = re.sub(r"[^A-Za-z0-9]", "", found["store_code"] or "") or "STORE"
        path = _files.link_unique(tmp, backup_dir, f"hub-{code}-{moment:%Y%m%dT%H%M%SZ}", ".db",
                                  also_free=".json")
    finally:
        tmp.unlink(missing_ok=True)
    manifest = Manifest(
        file=path.name, created_at=format_ts(moment), hub_version=hub.__version__,
        hub_id=found["identity"]["hub_id"], store_id=found["identity"]["store_id"],
        store_code=found["store_code"], epoch=found["identity"]["epoch"],
        time_floor=found["identity"]["time_floor"], schema_version=found["schema_version"],
        sha256=digest, size=size, audit_entries=chain.entries,
        audit_last_hash=found["audit_last_hash"], tables=found["tables"],
        digests=found.get("digests", {}), stock_ledger_ok=found.get("stock_ledger_ok"),
    )
    _files.write_private(manifest_path(path), msgspec.json.format(msgspec.json.encode(manifest)) + b"\n")
    _files.fsync_dir(backup_dir)
    return BackupInfo(path, manifest)


def record_created(conn: sqlite3.Connection, actor: audit.Actor, info: BackupInfo) -> dict[str, Any]:
    """Append the one audit entry "backup.created"; call in a transaction on hub.db."""
    m = info.manifest
    detail = {"backup": info.name}
    if m is not None:
        detail.update(sha256=m.sha256, size=m.size, audit_entries=m.audit_entries)
    return audit.append(conn, actor, "backup.created", "backup", info.name, detail=detail)


def sha256_of(path: Path) -> tuple[str, int]:
    """(hex SHA-256, size in bytes) of a file."""
    digest, size = hashlib.sha256(), 0
    with open(path, "rb") as f:
        while chunk := f.read(1 << 20):
            digest.update(chunk)
            size += len(chunk)
    return digest.hexdigest(), size


def read_manifest(backup: Path) -> Manifest:
    """The manifest beside a backup file; BackupError when it is missing or unreadable."""
    path = manifest_path(backup)
    try:
        return msgspec.json.decode(path.read_bytes(), type=Manifest)
    except FileNotFoundError:
        raise BackupError(f"no manifest {path.name} beside {backup.name}") from None
    except (OSError, msgspec.DecodeError) as err:
        raise BackupError(f"manifest {path.name} is unreadable: {err}") from err


def list_backups(backup_dir: Path) -> list[BackupInfo]:
    """The backups in backup_dir, newest first (by the time recorded in each manifest)."""
    backup_dir = Path(backup_dir)
    if not backup_dir.is_dir():
        return []
    found = []
    for path in backup_dir.iterdir():
        if not NAME_PATTERN.match(path.name) or not path.is_file():
            continue
        try:
            manifest: Manifest | None = read_manifest(path)
        except BackupError:
            manifest = None
        found.append(BackupInfo(path, manifest))

    def newest(info: BackupInfo) -> tuple[str, int, str]:
        stat = info.path.stat()
        when = info.manifest.created_at if info.manifest else format_ts(
            dt.datetime.fromtimestamp(stat.st_mtime, dt.timezone.utc))
        return (when, stat.st_mtime_ns, info.name)

    return sorted(found, key=newest, reverse=True)


def open_readonly(path: Path) -> sqlite3.Connection:
    """Open a backup without changing a byte of it."""
    conn = sqlite3.connect(Path(path).resolve().as_uri() + "?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    return conn


def verify_backup(path: Path) -> VerifyReport:
    """Re-check a backup: manifest, size and SHA-256, integrity_check, audit chain, schema."""
    path = Path(path)
    report = VerifyReport(path)
    add = report.checks.append
    if not path.is_file():
        add(Check("file", False, f"{path} is not a file"))
        return report
    try:
        manifest: Manifest | None = read_manifest(path)
        add(Check("manifest", True, f"taken {manifest.created_at} by hub {manifest.hub_id}"))
    except BackupError as err:
        manifest = None
        add(Check("manifest", False, str(err)))
    if manifest is not None:
        digest, size = sha256_of(path)
        add(Check("size", size == manifest.size, f"{size} bytes, manifest says {manifest.size}"))
        add(Check("sha256", digest == manifest.sha256,
                  "matches the manifest" if digest == manifest.sha256
                  else f"{digest} differs from the manifest's {manifest.sha256}"))
    try:
        conn = open_readonly(path)
    except sqlite3.DatabaseError as err:
        add(Check("integrity", False, f"cannot be opened as SQLite: {err}"))
        return report
    try:
        for name, probe in (("integrity", _probe_integrity), ("audit_chain", _probe_chain),
                            ("schema", _probe_schema)):
            try:
                ok, reason = probe(conn)
            except sqlite3.DatabaseError as err:  # a damaged file fails here, not with a row
                ok, reason = False, f"unreadable: {err}"
            add(Check(name, ok, reason))
    finally:
        conn.close()
    if manifest is not None and manifest.digests and report.ok:
        report.checks.extend(_scratch_checks(path, manifest))
    return report


def _scratch_checks(path: Path, manifest: Manifest) -> list[Check]:
    """Restore the backup into a scratch file as a restore would and compare its facts, stock
    ledger and audit chain with what the source held at the backup's point (the manifest)."""
    import shutil
    import tempfile

    with tempfile.TemporaryDirectory(prefix="hub-verify-") as scratch:
        target = Path(scratch) / "hub.db"
        shutil.copyfile(path, target)
        conn = connect(target)
        try:
            conn.execute("BEGIN")
            digests = table_digests(conn)
            ledger_ok = ledger_agrees(conn)
            last = conn.execute(audit.LAST_SQL).fetchone()
            conn.execute("COMMIT")
        finally:
            conn.close()
    differ = sorted(t for t in set(digests) | set(manifest.digests) if digests.get(t) != manifest.digests.get(t))
    last_hash = last[1] if last else None
    return [
        Check("facts", not differ, f"{len(digests)} tables match the source at the backup's point" if not differ
              else f"tables differ from the source: {', '.join(differ[:8])}"),
        Check("stock_ledger", ledger_ok == manifest.stock_ledger_ok and ledger_ok is not False,
              "stock levels agree with the ledger" if ledger_ok else
              "no stock ledger" if ledger_ok is None else "stock levels differ from the ledger"),
        Check("audit_match", last_hash == manifest.audit_last_hash,
              "the audit chain ends where the source's did" if last_hash == manifest.audit_last_hash
              else "the audit chain does not end where the source's did"),
    ]


def _probe_integrity(conn: sqlite3.Connection) -> tuple[bool, str]:
    rows = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
    if rows == ["ok"]:
        return True, "integrity_check ok"
    return False, "; ".join(" ".join(r.split()) for r in rows[:5])  # one line per report


def _probe_chain(conn: sqlite3.Connection) -> tuple[bool, str]:
    chain = audit.verify_chain(conn)
    if chain.ok:
        return True, f"{chain.entries} entries verified"
    return False, f"broken at entry {chain.first_broken_seq}: {chain.reason}"


def _probe_schema(conn: sqlite3.Connection) -> tuple[bool, str]:
    version = current_version(conn)
    if version > head():
        return False, f"schema {version} was written by a newer soko-hub (this one knows up to {head()})"
    if version < 1:
        return False, "no migrations recorded: not a hub database"
    return True, f"schema {version} (this hub knows up to {head()})"
