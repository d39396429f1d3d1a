"""`soko-hub doctor` and the portal's Health page: what is wrong with this hub, and the fix.

`read_facts(conn)` gathers what the database knows (one read); `examine(...)` turns it and the
machine's state (disk, clock, certificate, board, the running hub's mDNS and scanners when there
is one) into findings, each with a severity and a fix a store manager or technician can follow.
"""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from hub.clock import format_ts, parse_ts, utc_now

SEVERITIES = ("ok", "info", "warning", "critical")
FREE_WARN_BYTES = 2 * 1024**3
FREE_CRITICAL_BYTES = 300 * 1024**2
CERT_WARN_DAYS = 30
BACKUP_WARN_HOURS = 26
HQ_WARN_HOURS = 24
SD_LIFE_FILES = ("life_time", "pre_eol_info")


@dataclass(frozen=True)
class Finding:
    key: str
    title: str
    severity: str  # ok | info | warning | critical
    detail: str
    fix: str = ""

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def _table(conn: sqlite3.Connection, name: str) -> bool:
    return conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", (name,)).fetchone() is not None


def read_facts(conn: sqlite3.Connection, *, integrity: bool = True) -> dict[str, Any]:
    """What the database says, for `examine`."""
    from hub.db import ops as rows
    from hub.db.meta import get as meta_get
    from hub.ops import config

    facts: dict[str, Any] = {"integrity": None, "floor": meta_get(conn, "time_floor")}
    if integrity:
        facts["integrity"] = [r[0] for r in conn.execute("PRAGMA quick_check").fetchall()]
    facts["config"] = config.load(conn) if _table(conn, "ops_settings") else dict(config.DEFAULTS)
    facts["last_backup"] = rows.last_ok(conn) if _table(conn, "ops_backups") else None
    facts["last_run"] = (rows.backups(conn, 1) or [None])[0] if _table(conn, "ops_backups") else None
    facts["printers"] = [dict(r) for r in conn.execute(
        "SELECT name, enabled, status, status_detail, last_error FROM printers ORDER BY name")] \
        if _table(conn, "printers") else []
    facts["held_jobs"] = conn.execute("SELECT count(*) FROM print_jobs WHERE status = 'held'").fetchone()[0] \
        if _table(conn, "print_jobs") else 0
    facts["bridge"] = {}
    if _table(conn, "bridge_state"):
        facts["bridge"] = {r[0]: r[1] for r in conn.execute("SELECT key, value FROM bridge_state")}
        from hub.bridge import state as bridge_state

        facts["bridge_backlog"] = conn.execute("SELECT count(*) FROM bridge_outbox WHERE seq > ?",
                                               (bridge_state.acked_through(conn),)).fetchone()[0]
    facts["fiscal_devices"], facts["fiscal_queue"] = [], {}
    if _table(conn, "fiscal_devices"):
        facts["fiscal_devices"] = [dict(r) for r in conn.execute(
            "SELECT fdms_device_id, status, day_no, day_status, day_opened_at, closing_error FROM fiscal_devices")]
        facts["fiscal_queue"] = dict(conn.execute(
            "SELECT status, count(*) FROM fiscal_receipts WHERE status IN ('pending', 'queued', 'held') GROUP BY status"
        ).fetchall())
    facts["tills_unsynced"] = [dict(r) for r in conn.execute(
        "SELECT d.name, s.queue_depth FROM sync_devices s JOIN devices d ON d.id = s.device_id "
        "WHERE s.queue_depth > 0 AND d.revoked_at IS NULL ORDER BY d.name")] if _table(conn, "sync_devices") else []
    facts["last_update"] = (rows.updates(conn, 1) or [None])[0] if _table(conn, "ops_updates") else None
    return facts


def _integrity(facts: dict[str, Any]) -> Finding:
    rows = facts.get("integrity")
    if rows is None:
        return Finding("database", "Database integrity", "info", "not checked")
    if rows == ["ok"]:
        return Finding("database", "Database integrity", "ok", "quick_check found no damage")
    return Finding("database", "Database integrity", "critical", "quick_check: " + "; ".join(rows[:3]),
                   "Stop the hub and restore the latest verified backup (Backups page or `soko-hub backup "
                   "restore`); tills resend what it lacks. Replace the SD card: damage often means it is failing.")


def _space(data_path: Path) -> Finding:
    try:
        usage = shutil.disk_usage(data_path)
    except OSError as err:
        return Finding("disk", "Free space", "warning", f"cannot read: {err}")
    free_gb = usage.free / 1024**3
    detail = f"{free_gb:.1f} GB free of {usage.total / 1024**3:.1f} GB ({usage.free * 100 // max(usage.total, 1)} %)"
    fix = ("Lower the backups kept (Backups page: keep daily/weekly), remove old files under the data "
           "directory's backups, or move to a larger SD card or SSD.")
    if usage.free < FREE_CRITICAL_BYTES:
        return Finding("disk", "Free space", "critical", detail + ": the hub may stop recording sales", fix)
    if usage.free < FREE_WARN_BYTES or usage.free * 10 < usage.total:
        return Finding("disk", "Free space", "warning", detail, fix)
    return Finding("disk", "Free space", "ok", detail)


def _clock(status: Any, floor: str | None, now: dt.datetime) -> list[Finding]:
    found = []
    fix_time = ("Connect the hub to the internet for network time, or let it take time from its tills (it does "
                "when network time is missing); fit the Raspberry Pi 5's RTC battery so the clock survives "
                "power cuts.")
    if status is None:
        found.append(Finding("clock", "Clock", "info", "synchronisation unknown"))
    elif status.synchronised:
        found.append(Finding("clock", "Clock", "ok", f"synchronised ({status.source}): {status.reason}"))
    else:
        since = f"; last synchronised {status.last_sync_at[:16].replace('T', ' ')} UTC" if status.last_sync_at else ""
        found.append(Finding("clock", "Clock", "warning", f"not synchronised: {status.reason}{since}", fix_time))
    if floor:
        behind = parse_ts(floor) - now
        if behind.total_seconds() > 1:
            found.append(Finding("clock_floor", "Clock behind recorded time", "critical",
                                 f"the clock is {behind} behind the latest recorded fact ({floor}); new facts are "
                                 "stamped at that time until it catches up", fix_time))
    return found


def _certificate(tls_path: Path, tls: bool, now: dt.datetime) -> Finding:
    if not tls:
        return Finding("tls", "TLS certificate", "warning", "HTTPS is off (development mode)",
                       "Set tls = true in /etc/soko-hub/hub.toml: tills pin the hub's key over HTTPS.")
    path = Path(tls_path) / "hub-cert.pem"
    if not path.exists():
        return Finding("tls", "TLS certificate", "info", "not made yet (the hub makes it when it first starts)")
    try:
        from cryptography import x509

        cert = x509.load_pem_x509_certificate(path.read_bytes())
    except (OSError, ValueError) as err:
        return Finding("tls", "TLS certificate", "critical", f"unreadable: {err}",
                       "Restore the hub's identity from a backup; a new key would make every till re-pair.")
    left = cert.not_valid_after_utc - now
    detail = f"valid until {cert.not_valid_after_utc:%Y-%m-%d} ({left.days} days)"
    if left.total_seconds() <= 0:
        return Finding("tls", "TLS certificate", "critical", "expired: " + detail,
                       "Restart the hub: it renews its certificate with the same key (tills keep their pin).")
    if left.days < CERT_WARN_DAYS:
        return Finding("tls", "TLS certificate", "warning", detail,
                       "Restart the hub: it renews its certificate with the same key (tills keep their pin).")
    return Finding("tls", "TLS certificate", "ok", detail)


def _printers(facts: dict[str, Any], scanners: list[dict[str, Any]] | None) -> list[Finding]:
    found = []
    printers = [p for p in facts["printers"] if p["enabled"]]
    bad = [p for p in printers if p["status"] not in ("ok", "unknown") or p["last_error"]]
    if not printers:
        found.append(Finding("printers", "Printers", "info", "no printer set up", "Add one on the Printers page."))
    elif bad:
        names = ", ".join(f"{p['name']} ({p['status_detail'] or p['last_error'] or p['status']})" for p in bad)
        found.append(Finding("printers", "Printers", "warning", f"{len(bad)} of {len(printers)} need attention: {names}",
                             "Check paper, cover and cable or network; use the printer's Test button on the "
                             "Printers page."))
    else:
        found.append(Finding("printers", "Printers", "ok", f"{len(printers)} printer(s) without errors"))
    if facts["held_jobs"]:
        found.append(Finding("print_jobs", "Held print jobs", "warning", f"{facts['held_jobs']} job(s) held",
                             "Fix the printer, then release or cancel the jobs on the Printers page."))
    if scanners is None:
        found.append(Finding("scanners", "Scanners", "info", "known only while the hub runs"))
    else:
        found.append(Finding("scanners", "Scanners", "ok" if scanners else "info",
                             f"{len(scanners)} scanner(s) connected" if scanners else "no scanner connected to the hub"))
    return found


def _mdns(enabled: bool, advertiser: Any) -> Finding:
    if not enabled:
        return Finding("mdns", "mDNS", "info", "turned off (tills need the hub's address typed in)",
                       "Set mdns = true unless the network blocks multicast.")
    if advertiser is None:
        return Finding("mdns", "mDNS", "info", "on; advertised while the hub runs")
    if getattr(advertiser, "azc", None) is None:
        return Finding("mdns", "mDNS", "warning", "on, but not advertising (no LAN address?)",
                       "Check the hub's network cable or Wi-Fi; the hub retries as addresses change.")
    return Finding("mdns", "mDNS", "ok", f"advertising on {', '.join(map(str, getattr(advertiser, 'current', [])))}")


def _hq(facts: dict[str, Any], now: dt.datetime) -> Finding:
    bridge = facts["bridge"]
    if not bridge.get("enrolled_at"):
        return Finding("hq", "HQ link", "info", "not enrolled with HQ")
    backlog = facts.get("bridge_backlog", 0)
    last = bridge.get("last_contact_at")
    detail = f"{backlog} fact(s) waiting; last contact {last[:16].replace('T', ' ') + ' UTC' if last else 'never'}"
    stale = not last or now - parse_ts(last) > dt.timedelta(hours=HQ_WARN_HOURS)
    if bridge.get("reachable") == "0" or stale:
        return Finding("hq", "HQ link", "warning", f"HQ not reachable: {bridge.get('last_error') or detail}",
                       "Check the internet connection; the hub keeps everything and sends it when HQ answers.")
    return Finding("hq", "HQ link", "ok", detail)


def _fiscal(facts: dict[str, Any]) -> list[Finding]:
    devices = facts["fiscal_devices"]
    if not devices:
        return [Finding("fiscal", "Fiscal devices", "info", "no fiscal device registered")]
    found = []
    failing = [d for d in devices if d["day_status"] == "close_failed"]
    if failing:
        found.append(Finding("fiscal", "Fiscal day", "critical",
                             "; ".join(f"device {d['fdms_device_id']}: day {d['day_no']} failed to close "
                                       f"({d['closing_error'] or 'no reason given'})" for d in failing),
                             "Open the Fiscal page and close the day again; call ZIMRA if it keeps failing."))
    else:
        days = ", ".join(f"device {d['fdms_device_id']} day {d['day_no']} {d['day_status']}" for d in devices)
        found.append(Finding("fiscal", "Fiscal day", "ok", days))
    queue = facts["fiscal_queue"]
    if queue.get("held"):
        found.append(Finding("fiscal_queue", "Fiscal queue", "critical", f"{queue['held']} receipt(s) refused by FDMS",
                             "Open the Fiscal page: each held receipt names FDMS's reason."))
    elif queue.get("queued", 0) + queue.get("pending", 0):
        found.append(Finding("fiscal_queue", "Fiscal queue", "warning",
                             f"{queue.get('queued', 0)} queued, {queue.get('pending', 0)} pending",
                             "They go when FDMS answers; check the internet connection if the number grows."))
    else:
        found.append(Finding("fiscal_queue", "Fiscal queue", "ok", "every receipt submitted"))
    return found


def _backups(facts: dict[str, Any], now: dt.datetime) -> list[Finding]:
    cfg, last, run = facts["config"], facts["last_backup"], facts["last_run"]
    found = []
    if last is None:
        found.append(Finding("backups", "Backups", "warning", "no verified backup yet",
                             "Take one on the Backups page or with `soko-hub backup run`."))
    else:
        age = now - parse_ts(last["started_at"])
        detail = f"last verified backup {last['name']}, {int(age.total_seconds() // 3600)} h ago"
        if age > dt.timedelta(hours=BACKUP_WARN_HOURS):
            found.append(Finding("backups", "Backups", "warning", detail,
                                 "Check the backup times on the Backups page and the latest failure below."))
        else:
            found.append(Finding("backups", "Backups", "ok", detail))
    if run is not None and run["status"] == "failed":
        found.append(Finding("backup_failed", "Last backup failed", "warning", run["error"][:300],
                             "Read the reason; free space or a failing SD card are the usual causes."))
    if not cfg.get("recipient_key"):
        found.append(Finding("recovery_key", "Recovery key", "warning",
                             "no recovery key: backups are not encrypted and never leave the hub",
                             "Set one up on the Backups page, print the recovery kit and keep it off site."))
    usb = cfg.get("usb_path")
    if usb and not Path(usb).is_dir():
        found.append(Finding("usb", "USB backup drive", "warning", f"no drive at {usb}",
                             "Plug the backup USB drive in (it is mounted there by the hub's image)."))
    return found


def _shutdowns(state: dict[str, Any]) -> Finding:
    count = int(state.get("unclean_since_clean", 0))
    if count == 0:
        return Finding("shutdowns", "Unclean shutdowns", "ok", "the last stop was clean")
    return Finding("shutdowns", "Unclean shutdowns", "warning" if count < 5 else "critical",
                   f"{count} start(s) after a power cut or crash since the last clean stop",
                   "Fit a UPS (and set it on the Backups page's power section) so the hub shuts down cleanly; "
                   "unclean stops wear the SD card.")


def _power(bits: int | None) -> Finding:
    from hub.ops import power

    if bits is None:
        return Finding("power", "Power supply", "info", "the board does not report power flags here")
    flags = power.throttle_flags(bits)
    if not flags:
        return Finding("power", "Power supply", "ok", "no under-voltage or throttling")
    now = bits & 0xF
    return Finding("power", "Power supply", "critical" if now else "warning", "; ".join(flags),
                   "Use the official 27 W USB-C power supply; cool the board (case fan) if it is throttled.")


def _sd_card(block: Path = Path("/sys/block/mmcblk0/device")) -> Finding:
    values = {}
    for name in SD_LIFE_FILES:
        try:
            values[name] = (block / name).read_text().strip()
        except OSError:
            continue
    if not values:
        return Finding("sd_card", "SD card health", "info", "this card does not report its wear")
    worn = values.get("pre_eol_info") not in (None, "0x01", "01")
    return Finding("sd_card", "SD card health", "warning" if worn else "ok",
                   ", ".join(f"{k} {v}" for k, v in values.items()),
                   "Replace the card soon: take a backup to USB first." if worn else "")


def _tills(facts: dict[str, Any]) -> Finding:
    tills = facts["tills_unsynced"]
    if not tills:
        return Finding("tills", "Till sync", "ok", "no till reported unsent sales")
    return Finding("tills", "Till sync", "info", ", ".join(f"{t['name']}: {t['queue_depth']} unsent" for t in tills),
                   "They send when they reach the hub; see the Sync monitor.")


def _updates(facts: dict[str, Any]) -> list[Finding]:
    """The last update attempt, when it did not end well (a healthy or no update says nothing)."""
    last = facts.get("last_update")
    if not last or last["status"] == "healthy":
        return []
    if last["status"] == "rolled_back":
        return [Finding("update", "Last update", "warning",
                        f"{last['version']} was rolled back to {last['from_version']}: {last['detail'][:300]}",
                        "The hub runs the version it had. Send a support bundle (soko-hub support-bundle) to the "
                        "vendor before trying that update again.")]
    if last["status"] == "installed":
        return [Finding("update", "Last update", "warning",
                        f"{last['version']} is installed but its health check has not finished",
                        "Run `soko-hub update confirm`: it keeps the update if the hub is healthy, else rolls back.")]
    return [Finding("update", "Last update", "info", f"{last['version']}: {last['status']}: {last['detail'][:300]}")]


def examine(settings: Any, facts: dict[str, Any], *, clock_status: Any = None, advertiser: Any = None,
            scanners: list[dict[str, Any]] | None = None, shutdown_state: dict[str, Any] | None = None,
            throttled_bits: int | None = None, clock_error: str = "", now: dt.datetime | None = None) -> list[Finding]:
    from hub.ops import shutdowns

    now = now or utc_now()
    extra = [Finding("clock_set", "Clock from the tills", "warning", f"could not set the clock: {clock_error}",
                     "Check that the hub's image (its privileged helper) is installed; meanwhile facts are "
                     "stamped no earlier than the time floor.")] if clock_error else []
    return [*extra, 
        _integrity(facts), _space(settings.data_path), *_clock(clock_status, facts["floor"], now),
        _certificate(settings.tls_path, settings.tls, now), *_printers(facts, scanners),
        _mdns(settings.mdns, advertiser), _hq(facts, now), *_fiscal(facts), *_backups(facts, now), _tills(facts),
        *_updates(facts),
        _shutdowns(shutdown_state if shutdown_state is not None else shutdowns.read(settings.data_path)),
        _power(throttled_bits), _sd_card(),
    ]


def worst(findings: list[Finding]) -> str:
    return max((f.severity for f in findings), key=SEVERITIES.index, default="ok")


def report(findings: list[Finding], now: dt.datetime | None = None) -> dict[str, Any]:
    import hub

    return {"version": hub.__version__, "at": format_ts(now or utc_now()), "status": worst(findings),
            "findings": [f.as_dict() for f in findings]}


async def run_live(state: Any) -> dict[str, Any]:
    """The doctor's report from inside the running hub (portal, API)."""
    import asyncio

    from hub import clock_sync
    from hub.ops import power

    facts = await state.db.read(read_facts)
    status = await asyncio.to_thread(clock_sync.for_state(state).status)
    scanners = state.scanners.devices() if getattr(state, "scanners", None) is not None else None
    bits = await asyncio.to_thread(power.throttled)
    ops = getattr(state, "ops", None)
    findings = await asyncio.to_thread(
        examine, state.settings, facts, clock_status=status, advertiser=getattr(state, "mdns", None),
        scanners=scanners, shutdown_state=ops.shutdowns if ops is not None and ops.shutdowns else None,
        throttled_bits=bits, clock_error=getattr(ops, "clock_error", "") if ops is not None else "")
    return report(findings)


def run_offline(settings: Any) -> dict[str, Any]:
    """The doctor's report from the command line (the hub may be running: reads only)."""
    from hub import clock_sync
    from hub.db.connection import connect
    from hub.ops import power

    if not settings.db_path.exists():
        findings = [Finding("database", "Database", "critical", f"no database at {settings.db_path}",
                            "Run `soko-hub init`, or restore a backup.")]
        return report(findings)
    conn = connect(settings.db_path, readonly=True)
    try:
        conn.execute("BEGIN")
        facts = read_facts(conn)
        conn.execute("COMMIT")
    except sqlite3.DatabaseError as err:
        facts = None
        failure = str(err)
    finally:
        conn.close()
    if facts is None:
        return report([Finding("database", "Database integrity", "critical", f"unreadable: {failure}",
                               "Restore the latest verified backup.")])
    findings = examine(settings, facts, clock_status=clock_sync.SystemClockReader().read(),
                       throttled_bits=power.throttled())
    return report(findings)
