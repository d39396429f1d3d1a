"""Fiscal operations the worker runs on its own, and what the Fiscal page warns about
(docs/fiscal.md, "Fiscal day schedule, certificate and configuration").

- Automatic fiscal day open and close at the store-local times in the fiscal settings
  (`auto_open_time`, `auto_close_time`, "HH:MM"; empty: by hand only). A day that reached the
  maximum length FDMS allows (`taxPayerDayMaxHrs`) is closed at once when automatic closing is on,
  and the next day opened at once when automatic opening is on, so the sales that waited as
  "fiscal pending" are signed in the new day (hub.fiscal.service.can_sign keeps them waiting).
- Day-end warnings from the notification time FDMS gives (`taxpayerDayEndNotificationHrs` before
  the limit; the `day_end_warning_hours` setting overrides it), shown on the Fiscal page and
  published once a fiscal day on the event bus (kind "fiscal_alert").
- The device certificate renewed with issueCertificate (new key pair and CSR, same subject) when
  it is within `certificate_renew_days` (default 30) of its end; from the portal at any time.
- getConfig fetched again once a day; a tax FDMS no longer lists, or lists at another percent,
  shows as a mapping problem on the Fiscal page.
- What to do when FDMS reports a failed close (each fiscalDayClosingErrorCode).

Each job's last run and outcome is a `fiscal_jobs` row (migration 0026). FDMS calls never run in
a transaction (the service's orchestrators); this module decides what is due.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import re
import sqlite3
from pathlib import Path
from typing import Any

from hub.catalogue._common import now
from hub.clock import parse_ts
from hub.db import audit
from hub.db.audit import Actor
from hub.errors import ConflictError, HubError

log = logging.getLogger(__name__)

SETTINGS = {"auto_open_time": "", "auto_close_time": "", "day_end_warning_hours": None,
            "certificate_renew_days": 30}
TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
WORKER = "fiscal-worker"
RETRY_MINUTES = {"auto_open": 5, "auto_close": 5, "config_refresh": 60, "certificate_renewal": 60}
CONFIG_EVERY = dt.timedelta(hours=24)
LOCAL = "%Y-%m-%dT%H:%M:%S"

# What a manager does when FDMS reports a failed close (spec §4.3 getStatus
# fiscalDayClosingErrorCode; the Swagger adds InternalError). "unreachable" and FDMS's error codes
# are the hub's own: the closeDay request itself did not get through.
CLOSING_GUIDANCE = {
    "BadCertificateSignature": "FDMS could not verify the day's signature with this device's certificate. Check "
                               "the certificate is valid (renew it on the device page if it is near its end), "
                               "then close the day again; the hub signs the counters afresh.",
    "MissingReceipts": "FDMS is missing receipts of this day. Submit the queue (Submit now) until nothing is left to "
                       "send, then close the day again.",
    "ReceiptsWithValidationErrors": "FDMS holds red or grey receipts in this day. Look at the receipts refused or "
                                    "flagged below, correct what they name, then close again; if it cannot be "
                                    "corrected, ask ZIMRA (or the supplier's portal) to close the day manually.",
    "CountersMismatch": "The day's counters the hub sent differ from the receipts FDMS holds. Submit every queued "
                        "receipt and close again; if it fails again, ask ZIMRA to close the day manually and keep "
                        "the Z report of this day for them.",
    "InternalError": "FDMS failed on its side. Wait a few minutes and close the day again.",
    "unreachable": "FDMS could not be reached when closing. Check the hub's internet connection, then close the day "
                   "again; sales go on and are signed meanwhile.",
    "FISC03": "FDMS is still closing this day. Wait a minute and reload this page; close again only if it fails.",
    "FISC04": "FDMS says no fiscal day is open on this device. Fetch the configuration again and check the day "
              "number with ZIMRA before opening a new day.",
}
DEFAULT_GUIDANCE = "FDMS did not close the day. Submit the queue, then close the day again; if it keeps failing, " \
                   "ask ZIMRA to close it manually."


def guidance(code: str | None) -> str:
    return CLOSING_GUIDANCE.get(code or "", DEFAULT_GUIDANCE)


# ---- settings ------------------------------------------------------------------------------------

def check_settings(changes: dict[str, Any], current: dict[str, Any]) -> list[tuple[str, str]]:
    """Errors in this module's settings (the service's put_settings reports them with its own)."""
    errors = []
    for key in ("auto_open_time", "auto_close_time"):
        value = changes.get(key)
        if value and not TIME.match(value):
            errors.append((key, "must be a time of day as HH:MM (24-hour), or empty for by hand only"))
    both = {k: changes.get(k, current.get(k)) or "" for k in ("auto_open_time", "auto_close_time")}
    if both["auto_open_time"] and both["auto_open_time"] == both["auto_close_time"]:
        errors.append(("auto_close_time", "must differ from the opening time"))
    return errors


def local_now(conn: sqlite3.Connection) -> dt.datetime:
    """The hub's time in the store's time zone (naive, as FDMS reads local times)."""
    from hub.fiscal import service

    return dt.datetime.strptime(service.local_time(conn, now(conn)), LOCAL)


def _hhmm(day: dt.date, text: str) -> dt.datetime:
    hours, minutes = text.split(":")
    return dt.datetime.combine(day, dt.time(int(hours), int(minutes)))


# ---- the day's window and the page's alerts --------------------------------------------------------

def day_window(device: dict[str, Any], settings: dict[str, Any]) -> dict[str, dt.datetime] | None:
    """When the open day must end (opened + taxPayerDayMaxHrs) and when warnings start."""
    if device["day_status"] not in ("opened", "close_failed") or not device.get("day_opened"):
        return None
    config = device.get("config") or {}
    hours = config.get("taxPayerDayMaxHrs")
    if not isinstance(hours, int) or hours <= 0:
        return None
    notify = settings.get("day_end_warning_hours")
    if notify is None:
        notify = config.get("taxpayerDayEndNotificationHrs")
    notify = notify if isinstance(notify, int) and 0 <= notify <= hours else 0
    opened = dt.datetime.strptime(device["day_opened"], LOCAL)
    ends = opened + dt.timedelta(hours=hours)
    return {"opened": opened, "ends": ends, "warn_from": ends - dt.timedelta(hours=notify)}


def changed_taxes(conn: sqlite3.Connection, device: dict[str, Any]) -> list[tuple[str, str]]:
    """(field, message) for each active tax class mapped to an FDMS tax that this device's
    configuration now gives at another percent (or exempt/not exempt): FDMS changed its taxes after
    the mapping was made. A fiscal day does not open meanwhile (service.open_problems)."""
    from hub.catalogue.taxes.service import with_rate_in_force
    from hub.db import taxes as tax_rows
    from hub.fiscal import documents, signing

    taxes = documents.fdms_taxes(device.get("config") or {})
    at = now(conn)
    out = []
    for r in conn.execute("SELECT id, code, exempt, zimra_tax_id FROM tax_classes WHERE active = 1 "
                          "AND zimra_tax_id IS NOT NULL ORDER BY code"):
        if r["zimra_tax_id"] not in taxes:
            continue
        percent = taxes[r["zimra_tax_id"]]
        rate = with_rate_in_force(tax_rows.get_tax_class(conn, r["id"]), at)["rate_bp"]
        if bool(r["exempt"]) != (percent is None) or (
                percent is not None and rate is not None and signing.percent_from_bp(rate) != percent):
            out.append((f"tax_classes.{r['code']}",
                        f"mapped to FDMS tax {r['zimra_tax_id']}, which FDMS now gives as "
                        f"{'exempt' if percent is None else f'{percent} %'}: map it again or correct the class's rate"))
    return out


def mapping_problems(conn: sqlite3.Connection, device: dict[str, Any]) -> list[str]:
    """Tax classes whose FDMS tax this device's configuration no longer lists, or lists at another
    percent (FDMS changed its taxes), and a fallback tax it no longer lists."""
    from hub.fiscal import documents, service

    if device["status"] != "registered" or not device.get("config"):
        return []
    taxes = documents.fdms_taxes(device["config"])
    out = [f"Tax class {r['code']} is mapped to FDMS tax {r['zimra_tax_id']}, which FDMS no longer lists: map it again"
           for r in conn.execute("SELECT code, zimra_tax_id FROM tax_classes WHERE active = 1 AND zimra_tax_id IS NOT "
                                 "NULL ORDER BY code") if r["zimra_tax_id"] not in taxes]
    out += [f"Tax class {field.split('.', 1)[1]} is {message}" for field, message in changed_taxes(conn, device)]
    fallback = service.get_settings(conn)["fallback_tax_id"]
    if fallback is not None and fallback not in taxes:
        out.append(f"The fallback tax {fallback} is not one FDMS lists for this device: choose another in the "
                   "fiscal settings")
    return out


def _fmt(moment: dt.datetime) -> str:
    return moment.strftime("%d %b %H:%M")


def alerts(conn: sqlite3.Connection, device: dict[str, Any], *, at: dt.datetime | None = None) -> list[dict[str, str]]:
    """What the Fiscal page warns about for a device: {code, level ("warn"/"error"), message}."""
    if device["status"] != "registered":
        return []
    at = at or local_now(conn)
    settings = get_settings(conn)
    out: list[dict[str, str]] = []
    window = day_window(device, settings)
    if window is not None:
        if at >= window["ends"]:
            out.append({"code": "day_max_reached", "level": "error", "message":
                        f"Fiscal day {device['day_no']} reached its maximum length at {_fmt(window['ends'])}: new "
                        "sales wait as fiscal pending and are signed in the next day. Close this day now, then "
                        "open the next."})
        elif at >= window["warn_from"]:
            out.append({"code": "day_end_soon", "level": "warn", "message":
                        f"Fiscal day {device['day_no']} must close by {_fmt(window['ends'])} (FDMS allows "
                        f"{device['config'].get('taxPayerDayMaxHrs')} hours): close it before then, or later sales "
                        "wait as fiscal pending."})
    if device["day_status"] == "close_failed" or (device.get("closing_error") and device["day_status"] == "opened"):
        code = device.get("closing_error") or ""
        out.append({"code": "close_failed", "level": "error",
                    "message": f"The last close of fiscal day {device['day_no']} failed ({code or 'no reason given'}). "
                               + guidance(code)})
    till = device.get("certificate_valid_till")
    if till:
        left = parse_ts(till) - parse_ts(now(conn))
        days = int(settings["certificate_renew_days"] or 30)
        if left <= dt.timedelta(0):
            out.append({"code": "certificate_expired", "level": "error", "message":
                        "The device certificate has expired: FDMS refuses this device until it has a new one. Ask "
                        "ZIMRA to re-register the device."})
        elif left <= dt.timedelta(days=days):
            out.append({"code": "certificate_expiring", "level": "warn", "message":
                        f"The device certificate ends in {left.days} day(s): the hub renews it on its own once the "
                        "queue is empty; renew it now from the device page if that keeps failing."})
    for problem in mapping_problems(conn, device):
        out.append({"code": "tax_mapping", "level": "error", "message": problem})
    for job in conn.execute("SELECT job, detail FROM fiscal_jobs WHERE fiscal_device_id = ? AND outcome = 'failed' "
                            "ORDER BY job", (device["id"],)):
        out.append({"code": f"{job['job']}_failed", "level": "warn",
                    "message": f"{JOB_NAMES.get(job['job'], job['job'])} failed: {job['detail']}"})
    return out


JOB_NAMES = {"auto_open": "Opening the fiscal day automatically", "auto_close": "Closing the fiscal day automatically",
             "config_refresh": "Fetching the configuration from FDMS", "certificate_renewal": "Renewing the certificate"}


def get_settings(conn: sqlite3.Connection) -> dict[str, Any]:
    from hub.fiscal import service

    return service.get_settings(conn)


# ---- certificate renewal -----------------------------------------------------------------------------

def renew_certificate(db: Any, actor: Actor, device_id: str, data_dir: Path) -> dict[str, Any]:
    """issueCertificate: a new key pair and a CSR with the same subject, sent over mutual TLS with
    the current certificate. The new key and certificate are written under new names and the
    device switched to them in one transaction (a crash leaves the old pair in use); the old files
    are removed after. Refused while receipts signed with the current key wait to be sent (FDMS
    checks them against the device's certificate)."""
    from cryptography.hazmat.primitives import serialization

    from hub.fiscal import service, signing

    def prepare(conn: sqlite3.Connection) -> tuple[dict[str, Any], Any]:
        device = service._registered(conn, device_id)
        unsent = conn.execute("SELECT count(*) FROM fiscal_receipts WHERE fiscal_device_id = ? AND status IN "
                              "('queued', 'held')", (device_id,)).fetchone()[0]
        if unsent:
            raise ConflictError(f"{unsent} receipt(s) signed with the current key are not yet accepted by FDMS: "
                                "submit the queue first, then renew", code="fiscal_queue_unsent",
                                extra={"unsent": unsent})
        if device["day_status"] == "close_initiated":
            raise ConflictError("the fiscal day is closing: renew once it is closed", code="fiscal_day_closing")
        return device, service.endpoint(conn, device)

    device, ep = db.write_sync(prepare)
    key = signing.generate_key(device["key_algorithm"])
    directory = service.key_directory(data_dir)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d%H%M%S%f")
    key_path = directory / f"device-{device['fdms_device_id']}.r{stamp}.key"
    service._write_private(key_path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                       serialization.NoEncryption()))
    csr = signing.make_csr(key, device["serial_no"], device["fdms_device_id"])
    result = service._call(db, device_id, ep, "IssueCertificate", {"certificateRequest": csr})
    certificate = str(result.body.get("certificate") or "") if result.ok else ""
    valid_till = service._not_after(certificate) if certificate else None
    if not result.ok or valid_till is None:
        key_path.unlink(missing_ok=True)
        if result.ok:
            raise service.FdmsRefusedError("issueCertificate: FDMS answered without a readable certificate")
        raise service._refusal(result, "issueCertificate")
    service._write_private(key_path.with_suffix(".crt"), certificate.encode())
    old = device["key_path"]

    def store(conn: sqlite3.Connection) -> dict[str, Any]:
        conn.execute("UPDATE fiscal_devices SET key_path = ?, certificate = ?, certificate_valid_till = ?, "
                     "updated_at = ?, version = version + 1 WHERE id = ?",
                     (str(key_path), certificate, valid_till, conn.stamp(), device_id))  # type: ignore[attr-defined]
        audit.append(conn, actor, "fiscal_device.certificate_renewed", "fiscal_device", device_id,
                     before={"certificate_valid_till": device["certificate_valid_till"]},
                     after={"certificate_valid_till": valid_till})
        return service.get_device(conn, device_id)

    renewed = db.write_sync(store)
    if old and old != str(key_path):
        for path in (Path(old), Path(old).with_suffix(".crt")):
            try:
                os.unlink(path)
            except OSError:
                pass
    return renewed


# ---- the worker's jobs -------------------------------------------------------------------------------

def _job(conn: sqlite3.Connection, device_id: str, job: str) -> dict[str, Any] | None:
    row = conn.execute("SELECT * FROM fiscal_jobs WHERE fiscal_device_id = ? AND job = ?", (device_id, job)).fetchone()
    return dict(row) if row else None


def _record(conn: sqlite3.Connection, device_id: str, job: str, ran_for: str, outcome: str, detail: str) -> None:
    conn.execute("INSERT INTO fiscal_jobs (fiscal_device_id, job, last_at, ran_for, outcome, detail) VALUES "
                 "(?, ?, ?, ?, ?, ?) ON CONFLICT (fiscal_device_id, job) DO UPDATE SET last_at = excluded.last_at, "
                 "ran_for = excluded.ran_for, outcome = excluded.outcome, detail = excluded.detail",
                 (device_id, job, conn.stamp(), ran_for, outcome, detail[:500]))  # type: ignore[attr-defined]


def _may_retry(job: dict[str, Any] | None, name: str, utc: dt.datetime) -> bool:
    if job is None or job["outcome"] != "failed":
        return True
    return utc - parse_ts(job["last_at"]) >= dt.timedelta(minutes=RETRY_MINUTES.get(name, 5))


def _snapshot(conn: sqlite3.Connection) -> dict[str, Any]:
    from hub.fiscal import service

    devices = []
    for r in conn.execute("SELECT id FROM fiscal_devices WHERE status = 'registered' ORDER BY id"):
        device = service.get_device(conn, r[0])
        device["queued"] = conn.execute("SELECT count(*) FROM fiscal_receipts WHERE fiscal_device_id = ? AND status "
                                        "IN ('queued', 'held')", (r[0],)).fetchone()[0]
        device["pending"] = conn.execute("SELECT count(*) FROM fiscal_receipts WHERE fiscal_device_id = ? AND "
                                         "status = 'pending'", (r[0],)).fetchone()[0]
        device["jobs"] = {j["job"]: dict(j) for j in conn.execute("SELECT * FROM fiscal_jobs WHERE "
                                                                  "fiscal_device_id = ?", (r[0],))}
        device["till_name"] = (conn.execute("SELECT name FROM devices WHERE id = ?", (device["till_id"],)).fetchone()
                               or [""])[0]
        devices.append(device)
    return {"devices": devices, "settings": service.get_settings(conn), "local": local_now(conn),
            "utc": parse_ts(now(conn))}


def run(db: Any, data_dir: Path, *, at: dt.datetime | None = None) -> list[tuple[str, dict[str, Any]]]:
    """One round of the worker's fiscal operations; returns the events to publish (kind, data).
    `at` (store-local, naive) stands for the hub's local time: tests move the day with it."""
    snap = db.write_sync(_snapshot)
    if not snap["devices"]:
        return []
    settings, local, utc = snap["settings"], at or snap["local"], snap["utc"]
    events: list[tuple[str, dict[str, Any]]] = []
    for device in snap["devices"]:
        try:
            events += _device_round(db, device, settings, local, utc, data_dir)
        except Exception:  # one device's trouble never stops the others
            log.exception("fiscal operations for device %s failed", device["id"])
    return events


def _alert(device: dict[str, Any], code: str, level: str, message: str) -> tuple[str, dict[str, Any]]:
    return ("fiscal_alert", {"fiscal_device_id": device["id"], "fdms_device_id": device["fdms_device_id"],
                             "till_id": device["till_id"], "till_name": device.get("till_name", ""),
                             "code": code, "level": level, "message": message})


def _attempt(db: Any, device: dict[str, Any], job: str, ran_for: str, fn: Any, *args: Any) -> bool:
    """Run an orchestrator; record the outcome (ran_for only when it succeeded)."""
    try:
        fn(*args)
    except HubError as err:
        db.write_sync(_record, device["id"], job, "", "failed", err.detail)
        return False
    except Exception as err:  # noqa: BLE001 (a key file gone, a bug): recorded and retried later
        log.exception("fiscal %s of %s failed", job, device["id"])
        db.write_sync(_record, device["id"], job, "", "failed", f"{type(err).__name__}: {err}")
        return False
    db.write_sync(_record, device["id"], job, ran_for, "ok", "")
    return True


def _device_round(db: Any, device: dict[str, Any], settings: dict[str, Any], local: dt.datetime, utc: dt.datetime,
                  data_dir: Path) -> list[tuple[str, dict[str, Any]]]:
    from hub.fiscal import service

    events: list[tuple[str, dict[str, Any]]] = []
    jobs = device["jobs"]
    worker = Actor.system(WORKER)
    today = local.date().isoformat()

    # getConfig once a day: FDMS may change taxes, limits or the operating mode
    if (not device.get("config_at") or utc - parse_ts(device["config_at"]) >= CONFIG_EVERY) and \
            _may_retry(jobs.get("config_refresh"), "config_refresh", utc):
        if _attempt(db, device, "config_refresh", today, service.refresh_config, db, worker, device["id"]):
            device = {**device, **db.write_sync(service.get_device, device["id"])}
            problems = db.write_sync(mapping_problems, device)
            if problems:
                events.append(_alert(device, "tax_mapping", "error", "; ".join(problems)))

    # the certificate, within certificate_renew_days of its end, once nothing signed with it waits
    till = device.get("certificate_valid_till")
    days = int(settings.get("certificate_renew_days") or 30)
    if till and parse_ts(till) - utc <= dt.timedelta(days=days) and device["queued"] == 0 and \
            device["day_status"] in ("closed", "opened") and \
            _may_retry(jobs.get("certificate_renewal"), "certificate_renewal", utc):
        if _attempt(db, device, "certificate_renewal", today, renew_certificate, db, worker, device["id"], data_dir):
            device = {**device, **db.write_sync(service.get_device, device["id"])}

    window = day_window(device, settings)
    auto_open, auto_close = settings.get("auto_open_time") or "", settings.get("auto_close_time") or ""

    # the day's end: warn once a day from the notification time, alert once at the maximum length
    if window is not None:
        day_key = str(device["day_no"])
        if local >= window["ends"]:
            if (jobs.get("day_max_alert") or {}).get("ran_for") != day_key:
                events.append(_alert(device, "day_max_reached", "error",
                                     f"Fiscal day {device['day_no']} reached its maximum length: new sales wait as "
                                     "fiscal pending until the next day opens. Close the day now."))
                db.write_sync(_record, device["id"], "day_max_alert", day_key, "ok", "")
            if auto_close and _may_retry(jobs.get("auto_close"), "auto_close", utc):
                if _attempt(db, device, "auto_close", today, service.close_day, db, worker, device["id"]):
                    device = {**device, **db.write_sync(service.get_device, device["id"])}
                    if auto_open:  # the waiting sales are signed in the next day at once
                        _attempt(db, device, "auto_open", today, service.open_day, db, worker, device["id"])
                return events
        elif local >= window["warn_from"] and (jobs.get("day_end_warning") or {}).get("ran_for") != day_key:
            events.append(_alert(device, "day_end_soon", "warn",
                                 f"Fiscal day {device['day_no']} must close by {_fmt(window['ends'])}: close it "
                                 "before then, or later sales wait as fiscal pending."))
            db.write_sync(_record, device["id"], "day_end_warning", day_key, "ok", "")

    # automatic close at its time (a day opened after today's closing time stays open)
    if auto_close and device["day_status"] in ("opened", "close_failed") and device.get("day_opened"):
        due = _hhmm(local.date(), auto_close)
        job = jobs.get("auto_close")
        if local >= due and dt.datetime.strptime(device["day_opened"], LOCAL) < due and \
                (job or {}).get("ran_for") != today and _may_retry(job, "auto_close", utc):
            if not _attempt(db, device, "auto_close", today, service.close_day, db, worker, device["id"]):
                events.append(_alert(device, "auto_close_failed", "error", "The fiscal day did not close at "
                                     f"{auto_close}: see the Fiscal page."))
            return events

    # automatic open at its time, once a local day
    if auto_open and device["day_status"] == "closed":
        due = _hhmm(local.date(), auto_open)
        job = jobs.get("auto_open")
        if local >= due and (job or {}).get("ran_for") != today and _may_retry(job, "auto_open", utc):
            if not _attempt(db, device, "auto_open", today, service.open_day, db, worker, device["id"]):
                events.append(_alert(device, "auto_open_failed", "error", "The fiscal day did not open at "
                                     f"{auto_open}: see the Fiscal page."))
    return events


def jobs_of(conn: sqlite3.Connection, device_id: str) -> list[dict[str, Any]]:
    return [{**dict(r), "name": JOB_NAMES.get(r["job"], r["job"])} for r in conn.execute(
        "SELECT * FROM fiscal_jobs WHERE fiscal_device_id = ? ORDER BY job", (device_id,))]


def verified_taxpayer(db: Any, actor: Actor, device_id: str) -> dict[str, Any]:
    """verifyTaxpayerInformation for the portal: the answer is kept on the device so the manager
    confirms it before registering; one audit entry."""
    from hub.fiscal import service

    taxpayer = service.verify_taxpayer(db, device_id)

    def store(conn: sqlite3.Connection) -> dict[str, Any]:
        conn.execute("UPDATE fiscal_devices SET taxpayer = ?, taxpayer_verified_at = ?, updated_at = ? WHERE id = ? "
                     "AND status = 'new'", (json.dumps(taxpayer), conn.stamp(), conn.stamp(),  # type: ignore
                                            device_id))
        audit.append(conn, actor, "fiscal_device.taxpayer_verified", "fiscal_device", device_id,
                     detail={"taxpayer": taxpayer.get("taxPayerName"), "tin": taxpayer.get("taxPayerTIN")})
        return taxpayer

    return db.write_sync(store)


