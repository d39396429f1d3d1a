"""Fiscal devices, registration, configuration, tax mapping, the fiscal day, signing and the
submission queue (docs/fiscal.md, ../shared/fiscal/ZIMRA-FDMS.md).

Database work runs in `db.write` transactions with one audit entry per change a person makes.
Calls to FDMS never run inside a transaction: an orchestrator (`register`, `open_day`,
`close_day`, `submit_queue`) reads, calls FDMS off the writer, then writes the outcome and the
call log. Orchestrators are blocking: the API runs them in a thread, the worker too.

Signing (`sign_pending`) runs inside the transaction of the sale that is being recorded (through
hub.fiscal.hooks.on_sale), on the single writer, so concurrent tills cannot break a device's
counters, global numbers or hash chain.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import os
import sqlite3
import threading
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable

import msgspec

from hub.catalogue._common import conflict, found, now
from hub.clock import format_ts, parse_ts
from hub.db import audit
from hub.db.audit import Actor
from hub.db.settings import get_setting
from hub.errors import ConflictError, FieldErrors
from hub.fiscal import client as fdms
from hub.fiscal import documents, signing
from hub.fiscal.dayjobs import SETTINGS as DAY_SETTINGS, changed_taxes, check_settings as check_day_settings
from hub.ids import new_id

log = logging.getLogger(__name__)

LOCAL = "%Y-%m-%dT%H:%M:%S"
SETTINGS = {"base_url": "", "ca_bundle": "", "fallback_tax_id": None, "fallback_hs_code": "",
            "clock_max_unsynced_hours": 24,  # hub.fiscal.clocktrust
            "category_fallbacks": {}}  # category id -> {tax_id, hs_code} (hub.fiscal.validation)
SETTINGS.update(DAY_SETTINGS)  # the day schedule, warnings and certificate renewal (hub.fiscal.dayjobs)
KNOWN_URLS = {"test": "https://fdmsapitest.zimra.co.zw", "production": "https://fdmsapi.zimra.co.zw"}
CLOSE_POLLS = 10
_encoder = msgspec.json.Encoder(decimal_format="number")
_submit_lock = threading.Lock()  # one submitter at a time per hub: ascending order, never twice


class FdmsUnreachableError(ConflictError):
    code, title = "fdms_unreachable", "FDMS could not be reached"


class FdmsRefusedError(ConflictError):
    code, title = "fdms_refused", "FDMS refused the request"


def _refusal(call: fdms.Call, what: str) -> ConflictError:
    if call.status is None or call.status >= 500:
        return FdmsUnreachableError(f"{what}: FDMS did not answer ({call.error or call.status}); try again later",
                                    extra={"operation_id": call.operation_id})
    return FdmsRefusedError(f"{what}: FDMS answered {call.status} {call.error_code} {call.error}".strip(),
                            extra={"fdms_error_code": call.error_code, "operation_id": call.operation_id})


# ---- settings ------------------------------------------------------------------------------------

def get_settings(conn: sqlite3.Connection) -> dict[str, Any]:
    values = dict(SETTINGS)
    for key, value in conn.execute("SELECT key, value FROM fiscal_settings"):
        values[key] = json.loads(value)
    return values


def put_settings(conn: sqlite3.Connection, actor: Actor, changes: dict[str, Any]) -> dict[str, Any]:
    before = get_settings(conn)
    errors = []
    url = changes.get("base_url")
    if url is not None and url and not url.startswith("https://"):
        errors.append(("base_url", "must be an https:// URL (FDMS speaks HTTPS only)"))
    hs = changes.get("fallback_hs_code")
    if hs is not None and hs and not (hs.isdigit() and len(hs) == 8):
        errors.append(("fallback_hs_code", "must be 8 digits (FDMS needs 8 on 0 % and exempt lines)"))
    bundle = changes.get("ca_bundle")
    if bundle and not Path(bundle).is_file():
        errors.append(("ca_bundle", "no such file on the hub"))
    from hub.fiscal import validation

    errors += validation.settings_errors(conn, changes)
    errors += check_day_settings(changes, before)
    if errors:
        raise FieldErrors(errors)
    stamp = conn.stamp()  # type: ignore[attr-defined]
    for key, value in changes.items():
        conn.execute("INSERT INTO fiscal_settings (key, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (key) "
                     "DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                     (key, json.dumps(value), stamp))
    after = get_settings(conn)
    audit.append(conn, actor, "fiscal.settings_changed", "fiscal_settings", None, before=before, after=after)
    return after


# ---- devices -------------------------------------------------------------------------------------

DEVICE_FIELDS = ("id", "till_id", "fdms_device_id", "serial_no", "model_name", "model_version", "key_algorithm",
                 "status", "certificate_valid_till", "operating_mode", "qr_url", "reporting_frequency",
                 "last_ping_at", "last_global_no", "day_no", "day_status", "day_opened", "receipt_counter",
                 "closing_error", "config_at", "created_at", "updated_at")


def _device(row: sqlite3.Row | dict | None) -> dict[str, Any] | None:
    if row is None:
        return None
    d = dict(row)
    d["taxpayer"] = json.loads(d.get("taxpayer") or "{}")
    d["config"] = json.loads(d.get("config") or "{}")
    return d


def get_device(conn: sqlite3.Connection, device_id: str) -> dict[str, Any]:
    return found(_device(conn.execute("SELECT * FROM fiscal_devices WHERE id = ?", (device_id,)).fetchone()),
                 f"fiscal device {device_id}")


def device_for_till(conn: sqlite3.Connection, till_id: str) -> dict[str, Any] | None:
    return _device(conn.execute("SELECT * FROM fiscal_devices WHERE till_id = ?", (till_id,)).fetchone())


def list_devices(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    rows = conn.execute("SELECT f.*, d.name AS till_name FROM fiscal_devices f JOIN devices d ON d.id = f.till_id "
                        "ORDER BY f.created_at, f.id").fetchall()
    out = []
    for r in rows:
        d = _device(r)
        assert d is not None
        d.update(queue_depth(conn, d["id"]))
        out.append(d)
    return out


def shown(device: dict[str, Any]) -> dict[str, Any]:
    """What the API shows of a device: never the activation key nor the key path."""
    out = {k: device.get(k) for k in DEVICE_FIELDS}
    out["till_name"] = device.get("till_name", "")
    out["taxpayer"] = device.get("taxpayer") or {}
    for k in ("queued", "pending", "held", "oldest_unsent"):
        out[k] = device.get(k)
    return out


def create_device(conn: sqlite3.Connection, actor: Actor, fields: dict[str, Any]) -> dict[str, Any]:
    till = conn.execute("SELECT id, revoked_at FROM devices WHERE id = ?", (fields["till_id"],)).fetchone()
    if till is None or till["revoked_at"]:
        raise FieldErrors([("till_id", "no paired till has this id")])
    if conn.execute("SELECT 1 FROM fiscal_devices WHERE till_id = ?", (fields["till_id"],)).fetchone():
        raise conflict("till_id", "this till is already a fiscal device", "fiscal_device_exists")
    if conn.execute("SELECT 1 FROM fiscal_devices WHERE fdms_device_id = ?", (fields["fdms_device_id"],)).fetchone():
        raise conflict("fdms_device_id", "another till already uses this FDMS device id", "fiscal_device_exists")
    stamp = conn.stamp()  # type: ignore[attr-defined]
    row = {"id": new_id(), **fields, "created_at": stamp, "updated_at": stamp}
    conn.execute(f"INSERT INTO fiscal_devices ({', '.join(row)}) VALUES ({', '.join(':' + k for k in row)})", row)
    device = get_device(conn, row["id"])
    audit.append(conn, actor, "fiscal_device.created", "fiscal_device", row["id"],
                 after={k: v for k, v in shown(device).items() if v is not None})
    return device


def key_directory(data_dir: Path) -> Path:
    path = Path(data_dir) / "fiscal"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    os.chmod(path, 0o700)
    return path


def _write_private(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)


def endpoint(conn: sqlite3.Connection, device: dict[str, Any]) -> fdms.Endpoint:
    settings = get_settings(conn)
    if not settings["base_url"]:
        raise conflict("base_url", "set the FDMS base URL (test or production) in the fiscal settings first",
                       "fiscal_not_configured")
    key_path = device.get("key_path") or ""
    return fdms.Endpoint(settings["base_url"], settings["ca_bundle"], device["fdms_device_id"], device["model_name"],
                         device["model_version"], cert_path=str(Path(key_path).with_suffix(".crt")) if key_path else "",
                         key_path=key_path)


def log_call(conn: sqlite3.Connection, device_id: str | None, result: fdms.Call) -> None:
    row = result.log_row(device_id, conn.stamp())  # type: ignore[attr-defined]
    conn.execute(f"INSERT INTO fiscal_calls ({', '.join(row)}) VALUES ({', '.join(':' + k for k in row)})", row)


Db = Any  # hub.db.connection.Database (write_sync)


def _call(db: Db, device_id: str, ep: fdms.Endpoint, operation: str, body: dict[str, Any] | None = None,
          content: bytes | None = None) -> fdms.Call:
    result = fdms.call(ep, operation, body, content=content)
    db.write_sync(log_call, device_id, result)
    return result


def verify_taxpayer(db: Db, device_id: str) -> dict[str, Any]:
    device, ep = db.write_sync(lambda c: (get_device(c, device_id), endpoint(c, get_device(c, device_id))))
    result = _call(db, device_id, ep, "VerifyTaxpayerInformation",
                   {"activationKey": device["activation_key"], "deviceSerialNo": device["serial_no"]})
    if not result.ok:
        raise _refusal(result, "verifyTaxpayerInformation")
    return {k: v for k, v in result.body.items() if k != "operationID"}


def register(db: Db, actor: Actor, device_id: str, data_dir: Path) -> dict[str, Any]:
    """verifyTaxpayerInformation, then a new key pair and CSR, registerDevice, the certificate
    stored beside the 0600 key, then getConfig. The key never leaves the hub."""
    from cryptography.hazmat.primitives import serialization

    taxpayer = verify_taxpayer(db, device_id)
    device, ep = db.write_sync(lambda c: (get_device(c, device_id), endpoint(c, get_device(c, device_id))))
    key = signing.generate_key(device["key_algorithm"])
    directory = key_directory(data_dir)
    key_path = directory / f"device-{device['fdms_device_id']}.key"
    new_key = key_path.with_suffix(".new.key")
    _write_private(new_key, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption()))
    csr = signing.make_csr(key, device["serial_no"], device["fdms_device_id"])
    result = _call(db, device_id, ep, "RegisterDevice", {"activationKey": device["activation_key"],
                                                         "certificateRequest": csr})
    if not result.ok:
        new_key.unlink(missing_ok=True)
        raise _refusal(result, "registerDevice")
    certificate = str(result.body.get("certificate") or "")
    os.replace(new_key, key_path)
    _write_private(key_path.with_suffix(".crt"), certificate.encode())
    valid_till = _not_after(certificate)
    ep = fdms.Endpoint(ep.base_url, ep.ca_bundle, ep.device_id, ep.model_name, ep.model_version,
                       cert_path=str(key_path.with_suffix(".crt")), key_path=str(key_path))
    answer = _call(db, device_id, ep, "GetConfig")  # at registration; refresh_config later
    config = {k: v for k, v in answer.body.items() if k != "operationID"} if answer.ok else None

    def store(conn: sqlite3.Connection) -> dict[str, Any]:
        conn.execute("UPDATE fiscal_devices SET status = 'registered', key_path = ?, certificate = ?, "
                     "certificate_valid_till = ?, taxpayer = ?, updated_at = ?, version = version + 1 WHERE id = ?",
                     (str(key_path), certificate, valid_till, json.dumps(taxpayer), conn.stamp(), device_id))
        if config is not None:
            _store_config(conn, device_id, config)
        audit.append(conn, actor, "fiscal_device.registered", "fiscal_device", device_id,
                     after={"fdms_device_id": device["fdms_device_id"], "certificate_valid_till": valid_till,
                            "taxpayer": taxpayer.get("taxPayerName"), "tin": taxpayer.get("taxPayerTIN"),
                            "config": _config_summary(config) if config is not None else None})
        return get_device(conn, device_id)

    return db.write_sync(store)


def _store_config(conn: sqlite3.Connection, device_id: str, config: dict[str, Any]) -> None:
    conn.execute("UPDATE fiscal_devices SET config = ?, config_at = ?, operating_mode = ?, qr_url = ?, "
                 "certificate_valid_till = COALESCE(?, certificate_valid_till), updated_at = ?, "
                 "version = version + 1 WHERE id = ?",
                 (json.dumps(config), conn.stamp(), str(config.get("deviceOperatingMode") or ""),  # type: ignore
                  str(config.get("qrUrl") or ""), None, conn.stamp(), device_id))  # type: ignore[attr-defined]


def _config_summary(config: dict[str, Any]) -> dict[str, Any]:
    return {"operating_mode": config.get("deviceOperatingMode"), "qr_url": config.get("qrUrl"),
            "taxes": [t.get("taxID") for t in config.get("applicableTaxes") or []],
            "day_max_hrs": config.get("taxPayerDayMaxHrs"),
            "certificate_valid_till": config.get("certificateValidTill")}


def _not_after(pem: str) -> str | None:
    from cryptography import x509

    try:
        return format_ts(x509.load_pem_x509_certificate(pem.encode()).not_valid_after_utc)
    except ValueError:
        return None


def refresh_config(db: Db, actor: Actor, device_id: str) -> dict[str, Any]:
    ep = db.write_sync(lambda c: endpoint(c, _registered(c, device_id)))
    result = _call(db, device_id, ep, "GetConfig")
    if not result.ok:
        raise _refusal(result, "getConfig")
    config = {k: v for k, v in result.body.items() if k != "operationID"}

    def store(conn: sqlite3.Connection) -> dict[str, Any]:
        _store_config(conn, device_id, config)
        audit.append(conn, actor, "fiscal_device.configured", "fiscal_device", device_id,
                     after=_config_summary(config))
        return get_device(conn, device_id)

    return db.write_sync(store)


def ping(db: Db, device_id: str) -> fdms.Call:
    ep = db.write_sync(lambda c: endpoint(c, _registered(c, device_id)))
    result = _call(db, device_id, ep, "Ping")
    if result.ok:
        frequency = result.body.get("reportingFrequency")
        db.write_sync(lambda c: c.execute(
            "UPDATE fiscal_devices SET last_ping_at = ?, reporting_frequency = ? WHERE id = ?",
            (c.stamp(), int(frequency) if isinstance(frequency, int) else None, device_id)))
    return result


def _registered(conn: sqlite3.Connection, device_id: str) -> dict[str, Any]:
    device = get_device(conn, device_id)
    if device["status"] != "registered":
        raise ConflictError("the fiscal device is not registered with FDMS yet", code="fiscal_not_registered")
    return device


# ---- tax mapping ---------------------------------------------------------------------------------

def applicable_taxes(conn: sqlite3.Connection) -> dict[int, Decimal | None]:
    """The FDMS taxes of the devices' configurations (taxID -> percent; None: exempt)."""
    taxes: dict[int, Decimal | None] = {}
    for (config,) in conn.execute("SELECT config FROM fiscal_devices WHERE status = 'registered'"):
        taxes.update(documents.fdms_taxes(json.loads(config or "{}")))
    return taxes


def tax_mapping(conn: sqlite3.Connection) -> dict[str, Any]:
    from hub.catalogue.taxes.service import with_rate_in_force

    at = now(conn)
    classes = []
    for r in conn.execute("SELECT id FROM tax_classes ORDER BY code"):
        from hub.db import taxes as tax_rows

        c = with_rate_in_force(tax_rows.get_tax_class(conn, r[0]), at)
        classes.append({"tax_class_id": c["id"], "code": c["code"], "name": c["name"], "active": bool(c["active"]),
                        "exempt": bool(c["exempt"]), "rate_bp": c["rate_bp"], "zimra_tax_id": c["zimra_tax_id"]})
    taxes = [{"tax_id": k, "percent": None if v is None else str(v)} for k, v in sorted(applicable_taxes(conn).items())]
    settings = get_settings(conn)
    return {"classes": classes, "fdms_taxes": taxes, "fallback_tax_id": settings["fallback_tax_id"],
            "fallback_hs_code": settings["fallback_hs_code"]}


def map_tax_class(conn: sqlite3.Connection, actor: Actor, class_id: str, tax_id: int | None) -> dict[str, Any]:
    """Map a tax class to an FDMS taxID from the devices' getConfig; the class's rate in force
    must be the FDMS tax's percent (an exempt class maps to a tax without a percent)."""
    from hub.catalogue.taxes.service import with_rate_in_force
    from hub.db import taxes as tax_rows

    tax_class = found(tax_rows.get_tax_class(conn, class_id), f"tax class {class_id}")
    if tax_id is not None:
        taxes = applicable_taxes(conn)
        if tax_id not in taxes:
            raise FieldErrors([("tax_id", "is not one of the taxes FDMS gave in its configuration")])
        current = with_rate_in_force(tax_class, now(conn))
        percent = taxes[tax_id]
        if tax_class["exempt"] != (percent is None) or (
                percent is not None and signing.percent_from_bp(current["rate_bp"]) != percent):
            raise FieldErrors([("tax_id", f"FDMS tax {tax_id} is {'exempt' if percent is None else f'{percent} %'}: "
                                          "not this class's rate")])
    conn.execute("UPDATE tax_classes SET zimra_tax_id = ?, updated_at = ? WHERE id = ?",
                 (tax_id, conn.stamp(), class_id))  # type: ignore[attr-defined]
    audit.append(conn, actor, "tax_class.fiscal_mapped", "tax_class", class_id,
                 before={"zimra_tax_id": tax_class["zimra_tax_id"]}, after={"zimra_tax_id": tax_id})
    return tax_mapping(conn)


def open_problems(conn: sqlite3.Connection, device: dict[str, Any]) -> list[tuple[str, str]]:
    """Why a fiscal day may not open: (field, message) each."""
    from hub.catalogue.taxes.service import with_rate_in_force
    from hub.db import taxes as tax_rows

    problems = []
    taxes = documents.fdms_taxes(device["config"])
    at = now(conn)
    for r in conn.execute("SELECT id, code, exempt, zimra_tax_id FROM tax_classes WHERE active = 1 ORDER BY code"):
        if not r["exempt"] and with_rate_in_force(tax_rows.get_tax_class(conn, r["id"]), at)["rate_bp"] is None:
            continue  # no rate in force yet, so nothing to map it to; its lines take the fallback tax
        if r["zimra_tax_id"] is None or r["zimra_tax_id"] not in taxes:
            problems.append((f"tax_classes.{r['code']}", "this active tax class has no FDMS tax mapped"))
    problems += changed_taxes(conn, device)  # FDMS now gives a mapped tax at another percent
    settings = get_settings(conn)
    if settings["fallback_tax_id"] not in taxes:
        problems.append(("fallback_tax_id", "choose the FDMS tax for lines without a mapped tax class"))
    if device["taxpayer"].get("vatNumber") and not settings["fallback_hs_code"]:
        problems.append(("fallback_hs_code", "a VAT-registered taxpayer needs an HS code on every line: set "
                                             "the 8-digit fallback for products without one"))
    # an Offline device opens its day locally and sends it as files when it closes (hub.fiscal.offline)
    from hub.fiscal import clocktrust, recovery

    for field, why in (("recovery", recovery.reason(conn)), ("clock", clocktrust.untrusted_reason(conn))):
        if why:
            problems.append((field, why))
    return problems


# ---- time ----------------------------------------------------------------------------------------

def _zone(conn: sqlite3.Connection) -> dt.tzinfo:
    import zoneinfo

    try:
        return zoneinfo.ZoneInfo(get_setting(conn, "store.timezone", "Africa/Harare") or "Africa/Harare")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return dt.timezone.utc


def local_time(conn: sqlite3.Connection, stamp: str) -> str:
    """A hub stamp (UTC) as FDMS local time, YYYY-MM-DDTHH:mm:ss in the store's time zone."""
    return parse_ts(stamp).astimezone(_zone(conn)).strftime(LOCAL)


def _after(text: str, seconds: int = 1) -> str:
    return (dt.datetime.strptime(text, LOCAL) + dt.timedelta(seconds=seconds)).strftime(LOCAL)


# ---- the fiscal day ------------------------------------------------------------------------------

def open_day(db: Db, actor: Actor, device_id: str) -> dict[str, Any]:
    def prepare(conn: sqlite3.Connection) -> tuple[dict[str, Any], fdms.Endpoint, str]:
        device = _registered(conn, device_id)
        if device["day_status"] != "closed":
            raise ConflictError(f"fiscal day {device['day_no']} is {device['day_status']}: close it first",
                                code="fiscal_day_open")
        problems = open_problems(conn, device)
        if problems:
            raise ConflictError("the fiscal day cannot open: " + "; ".join(f"{f}: {m}" for f, m in problems),
                                code="fiscal_not_ready", extra={"errors": [{"field": f, "message": m}
                                                                           for f, m in problems]})
        opened = local_time(conn, conn.stamp())  # type: ignore[attr-defined]
        if device["last_receipt_date"] and opened <= device["last_receipt_date"]:
            opened = _after(device["last_receipt_date"])
        return device, endpoint(conn, device), opened

    device, ep, opened = db.write_sync(prepare)
    number = device["day_no"] + 1
    if device["operating_mode"] != "Offline":  # an Offline device opens locally (hub.fiscal.offline)
        result = _call(db, device_id, ep, "OpenDay", {"fiscalDayOpened": opened, "fiscalDayNo": number})
        if not result.ok:
            raise _refusal(result, "openDay")
        number = int(result.body.get("fiscalDayNo") or number)

    def store(conn: sqlite3.Connection) -> dict[str, Any]:
        stamp = conn.stamp()  # type: ignore[attr-defined]
        conn.execute("UPDATE fiscal_devices SET day_no = ?, day_status = 'opened', day_opened = ?, day_opened_at = ?, "
                     "receipt_counter = 0, last_hash = NULL, closing_error = NULL, updated_at = ?, "
                     "version = version + 1 WHERE id = ?", (number, opened, stamp, stamp, device_id))
        conn.execute("INSERT INTO fiscal_days (fiscal_device_id, day_no, opened, opened_at, status) "
                     "VALUES (?, ?, ?, ?, 'opened')", (device_id, number, opened, stamp))
        audit.append(conn, actor, "fiscal_day.opened", "fiscal_device", device_id,
                     after={"fiscal_day_no": number, "opened": opened})
        sign_pending(conn, get_device(conn, device_id))  # sales waiting since the last close, in order
        return get_device(conn, device_id)

    return db.write_sync(store)


def day_counters(conn: sqlite3.Connection, device_id: str, day_no: int) -> list[signing.Counter]:
    out = []
    for r in conn.execute("SELECT * FROM fiscal_counters WHERE fiscal_device_id = ? AND day_no = ?",
                          (device_id, day_no)):
        by_tax = r["counter_type"] != "BalanceByMoneyType"
        out.append(signing.Counter(r["counter_type"], r["currency"], r["value"],
                                   tax_id=r["tax_id"] if by_tax else None,
                                   tax_percent=Decimal(r["tax_percent"]) if by_tax and r["tax_percent"] else None,
                                   money_type=None if by_tax else r["money_type"]))
    return signing.ordered_counters(out)


def counter_json(c: signing.Counter) -> dict[str, Any]:
    out: dict[str, Any] = {"fiscalCounterType": c.counter_type, "fiscalCounterCurrency": c.currency}
    if c.counter_type == "BalanceByMoneyType":
        out["fiscalCounterMoneyType"] = c.money_type
    else:
        out["fiscalCounterTaxID"] = c.tax_id
        if c.tax_percent is not None:
            out["fiscalCounterTaxPercent"] = c.tax_percent
    out["fiscalCounterValue"] = signing.money(c.value)
    return out


def close_day(db: Db, actor: Actor, device_id: str) -> dict[str, Any]:
    """Stop signing (new sales wait as pending), submit the queue in order, then closeDay with the
    counters and the day signature over the day's OPENING date, and poll getStatus."""
    from hub.fiscal import offline, recovery

    if db.write_sync(lambda c: recovery.refuse_close(c) or offline.is_offline(get_device(c, device_id))):
        return offline.close_day(db, actor, device_id)  # submitFile, then getFileStatus
    def begin(conn: sqlite3.Connection) -> str:
        device = _registered(conn, device_id)
        if device["day_status"] not in ("opened", "close_failed"):
            raise ConflictError(f"no fiscal day is open on this device ({device['day_status']})",
                                code="fiscal_day_not_open")
        conn.execute("UPDATE fiscal_devices SET day_status = 'close_initiated', updated_at = ? WHERE id = ?",
                     (conn.stamp(), device_id))  # type: ignore[attr-defined]
        return device["day_status"]

    previous = db.write_sync(begin)

    def back(conn: sqlite3.Connection, error: str | None = None) -> None:
        conn.execute("UPDATE fiscal_devices SET day_status = ?, closing_error = COALESCE(?, closing_error) "
                     "WHERE id = ?", (previous, error, device_id))
        sign_pending(conn, get_device(conn, device_id))  # sales that waited while the close was tried

    submit_queue(db, device_id=device_id)

    def prepare(conn: sqlite3.Connection) -> tuple[dict[str, Any], fdms.Endpoint, dict[str, Any], str] | ConflictError:
        device = get_device(conn, device_id)
        unsent = conn.execute("SELECT count(*) FROM fiscal_receipts WHERE fiscal_device_id = ? AND day_no = ? "
                              "AND status != 'submitted'", (device_id, device["day_no"])).fetchone()[0]
        red = conn.execute("SELECT count(*) FROM fiscal_receipts WHERE fiscal_device_id = ? AND day_no = ? "
                           "AND colour IN ('Red', 'Grey')", (device_id, device["day_no"])).fetchone()[0]
        if unsent or red:
            return ConflictError(
                f"the fiscal day cannot close: {unsent} receipt(s) not yet accepted by FDMS, {red} red or grey; "
                "submit the queue (FDMS must be reachable) and resolve red receipts first", code="fiscal_queue_unsent",
                extra={"unsent": unsent, "red": red})  # type: ignore[return-value]
        counters = day_counters(conn, device_id, device["day_no"])
        text = signing.fiscal_day_string(device["fdms_device_id"], device["day_no"], device["day_opened"][:10],
                                         counters)
        body = {"fiscalDayNo": device["day_no"], "fiscalDayCounters": [counter_json(c) for c in counters],
                "fiscalDayDeviceSignature": signing.signature_data(_key(device["key_path"]), text),
                "receiptCounter": device["receipt_counter"]}
        conn.execute("UPDATE fiscal_days SET counters = ?, signature = ?, receipt_counter = ?, status = "
                     "'close_initiated' WHERE fiscal_device_id = ? AND day_no = ?",
                     (_encoder.encode(body["fiscalDayCounters"]).decode(),
                      json.dumps(body["fiscalDayDeviceSignature"]), device["receipt_counter"], device_id,
                      device["day_no"]))
        return device, endpoint(conn, device), body, text

    prepared = db.write_sync(prepare)
    if isinstance(prepared, ConflictError):
        db.write_sync(back)  # the day stays open: signing resumes
        raise prepared
    device, ep, body, _text = prepared
    result = _call(db, device_id, ep, "CloseDay", content=_encoder.encode(body))
    if not result.ok:
        db.write_sync(back, result.error_code or "unreachable")
        raise _refusal(result, "closeDay")
    status: dict[str, Any] = {}
    for attempt in range(CLOSE_POLLS):
        answer = _call(db, device_id, ep, "GetStatus")
        if answer.ok:
            status = answer.body
            if status.get("fiscalDayStatus") in ("FiscalDayClosed", "FiscalDayCloseFailed"):
                break
        threading.Event().wait(min(0.2 * 2 ** attempt, 5))
    outcome = status.get("fiscalDayStatus")

    def finish(conn: sqlite3.Connection) -> dict[str, Any]:
        stamp = conn.stamp()  # type: ignore[attr-defined]
        if outcome == "FiscalDayClosed":
            conn.execute("UPDATE fiscal_devices SET day_status = 'closed', closing_error = NULL, updated_at = ?, "
                         "version = version + 1 WHERE id = ?", (stamp, device_id))
            conn.execute("UPDATE fiscal_days SET status = 'closed', closed_at = ?, closing_error = NULL "
                         "WHERE fiscal_device_id = ? AND day_no = ?", (stamp, device_id, device["day_no"]))
        else:
            error = status.get("fiscalDayClosingErrorCode") or ("no answer" if not status else str(outcome))
            state = "close_failed" if outcome == "FiscalDayCloseFailed" else "close_initiated"
            conn.execute("UPDATE fiscal_devices SET day_status = ?, closing_error = ?, updated_at = ? WHERE id = ?",
                         (state, error, stamp, device_id))
            conn.execute("UPDATE fiscal_days SET status = ?, closing_error = ? WHERE fiscal_device_id = ? "
                         "AND day_no = ?", (state, error, device_id, device["day_no"]))
            sign_pending(conn, get_device(conn, device_id))  # a failed close still takes receipts
        audit.append(conn, actor, "fiscal_day.closed" if outcome == "FiscalDayClosed" else "fiscal_day.close_failed",
                     "fiscal_device", device_id, after={"fiscal_day_no": device["day_no"], "status": outcome,
                                                        "error": status.get("fiscalDayClosingErrorCode"),
                                                        "receipt_counter": body["receiptCounter"]})
        return get_device(conn, device_id)

    return db.write_sync(finish)


# ---- signing -------------------------------------------------------------------------------------

_keys: dict[str, tuple[float, Any]] = {}


def _key(path: str) -> Any:
    from cryptography.hazmat.primitives import serialization

    mtime = os.stat(path).st_mtime
    held = _keys.get(path)
    if held is None or held[0] != mtime:
        held = (mtime, serialization.load_pem_private_key(Path(path).read_bytes(), password=None))
        _keys[path] = held
    return held[1]


def can_sign(conn: sqlite3.Connection, device: dict[str, Any]) -> str | None:
    """Why the device cannot sign now (None: it can). A receipt waits as pending meanwhile."""
    if device["status"] != "registered":
        return "not registered"
    from hub.fiscal import clocktrust, recovery

    held = recovery.reason(conn) or clocktrust.untrusted_reason(conn)  # restore not reconciled; clock untrusted
    if held:
        return held
    if device["day_status"] not in ("opened", "close_failed"):
        return f"fiscal day {device['day_status']}"
    hours = device["config"].get("taxPayerDayMaxHrs")
    if hours and device["day_opened"]:
        limit = dt.datetime.strptime(device["day_opened"], LOCAL) + dt.timedelta(hours=int(hours))
        if dt.datetime.strptime(local_time(conn, now(conn)), LOCAL) > limit:
            return "the fiscal day reached its maximum length: sales wait for the next day"
    return None


def enqueue(conn: sqlite3.Connection, device: dict[str, Any], document_type: str, document_id: str,
            receipt_type: str, currency: str) -> None:
    conn.execute("INSERT OR IGNORE INTO fiscal_receipts (id, fiscal_device_id, document_type, document_id, "
                 "receipt_type, currency, created_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                 (new_id(), device["id"], document_type, document_id, receipt_type, currency,
                  conn.stamp()))  # type: ignore[attr-defined]


def sign_pending(conn: sqlite3.Connection, device: dict[str, Any]) -> int:
    """Sign the device's pending documents in the order they were recorded; stops at the first it
    cannot sign (order is never skipped). Returns how many it signed."""
    if can_sign(conn, device) is not None:
        return 0
    from hub.fiscal import recovery

    settings = get_settings(conn)
    vat_payer = bool(device["taxpayer"].get("vatNumber") or device["config"].get("vatNumber"))
    today = dt.datetime.strptime(local_time(conn, now(conn)), LOCAL).date()
    signed = 0
    key = None
    for row in conn.execute("SELECT * FROM fiscal_receipts WHERE fiscal_device_id = ? AND status = 'pending' "
                            "ORDER BY created_at, rowid", (device["id"],)).fetchall():
        if row["document_type"] == "sale" and recovery.adopt(conn, device, row):
            device = get_device(conn, device["id"])  # a till's claimed receipt: adopted, never signed twice
            continue
        if row["document_type"] not in BUILDERS:
            break  # a document type this hub does not fiscalise yet: order is kept
        from hub.fiscal import validation

        prepared = validation.prepare(conn, device, row, settings, vat_payer, today)
        if prepared is None:
            continue  # set aside (FDMS would mark it red) or waiting for its original: the rest go on
        receipt, taxes, total = prepared
        key = key or _key(device["key_path"])
        counter = device["receipt_counter"] + 1
        global_no = device["last_global_no"] + 1
        date = local_time(conn, conn.stamp())  # type: ignore[attr-defined]  # the hub's trusted clock
        if date < device["day_opened"]:
            date = device["day_opened"]  # never before the day opened (RCPT014)
        if counter > 1 and date <= device["last_receipt_date"]:
            date = _after(device["last_receipt_date"])  # strictly increasing, an equal second fails (RCPT030)
        previous = device["last_hash"] if counter > 1 else None
        text = signing.receipt_string(device["fdms_device_id"], receipt["receiptType"], receipt["receiptCurrency"],
                                      global_no, date, total, taxes, previous)
        signature = signing.signature_data(key, text)
        invoice_no = _invoice_no(conn, row)
        receipt.update({"receiptCounter": counter, "receiptGlobalNo": global_no, "invoiceNo": invoice_no,
                        "receiptDate": date, "receiptDeviceSignature": signature})
        ordered = {k: receipt[k] for k in ("receiptType", "receiptCurrency", "receiptCounter", "receiptGlobalNo",
                                           "invoiceNo", "buyerData", "receiptNotes", "receiptDate", "creditDebitNote",
                                           "receiptLinesTaxInclusive", "receiptLines", "receiptTaxes",
                                           "receiptPayments", "receiptTotal", "receiptPrintForm",
                                           "receiptDeviceSignature", "username") if k in receipt}
        conn.execute("UPDATE fiscal_receipts SET status = 'queued', day_no = ?, receipt_counter = ?, global_no = ?, "
                     "receipt_date = ?, signed_at = ?, invoice_no = ?, total = ?, hash = ?, signature = ?, body = ?, "
                     "last_error = '', next_attempt_at = NULL WHERE id = ?",
                     (device["day_no"], counter, global_no, date, conn.stamp(), invoice_no,  # type: ignore
                      total, signature["hash"], signature["signature"], _encoder.encode(ordered).decode(), row["id"]))
        _count(conn, device, receipt)
        conn.execute("UPDATE fiscal_devices SET receipt_counter = ?, last_global_no = ?, last_hash = ?, "
                     "last_receipt_date = ? WHERE id = ?", (counter, global_no, signature["hash"], date, device["id"]))
        device = {**device, "receipt_counter": counter, "last_global_no": global_no, "last_hash": signature["hash"],
                  "last_receipt_date": date}
        signed += 1
    return signed


BUILDERS = {"sale": documents.sale_receipt, "refund": documents.refund_note, "void": documents.void_note,
            "correction": documents.correction_note}
NOTE_SALE_SQL = {"refund": "SELECT sale_id FROM sale_refunds WHERE id = ?",
                 "void": "SELECT sale_id FROM sale_voids WHERE id = ?",
                 "correction": "SELECT sale_id FROM sale_corrections WHERE id = ?"}


def _sale_of(conn: sqlite3.Connection, row: sqlite3.Row | dict) -> str:
    if row["document_type"] == "sale":
        return row["document_id"]
    return conn.execute(NOTE_SALE_SQL[row["document_type"]], (row["document_id"],)).fetchone()[0]


def _original(conn: sqlite3.Connection, row: sqlite3.Row | dict) -> sqlite3.Row | None:
    return conn.execute("SELECT * FROM fiscal_receipts WHERE document_type = 'sale' AND document_id = ?",
                        (_sale_of(conn, row),)).fetchone()


def _invoice_no(conn: sqlite3.Connection, row: sqlite3.Row | dict) -> str:
    """The sale's invoice number (a note's: the sale's with -R, -V or -C and its id's tail);
    unique per taxpayer (RCPT013), so a number the hub already fiscalised (a
    duplicate_invoice_number sale) gets the document id's tail."""
    document_id = row["document_id"]
    number = conn.execute("SELECT invoice_number FROM sales WHERE id = ?", (_sale_of(conn, row),)).fetchone()[0]
    if row["document_type"] != "sale":
        number = f"{number[:30]}-{row['document_type'][0].upper()}{document_id[-12:]}"
    if conn.execute("SELECT 1 FROM fiscal_receipts WHERE invoice_no = ?", (number,)).fetchone():
        number = f"{number[:36]}-{document_id[-12:]}"
    return number[:50]


def enqueue_note(conn: sqlite3.Connection, document_type: str, document_id: str, sale_id: str,
                 receipt_type: str = "CreditNote") -> None:
    """A refund, void or price correction of a fiscalised sale becomes a credit (or debit) note on
    the device that issued the sale (same currency, after it in that device's order), then is
    signed when it can be."""
    original = conn.execute("SELECT r.fiscal_device_id, r.currency FROM fiscal_receipts r JOIN fiscal_devices d "
                            "ON d.id = r.fiscal_device_id WHERE r.document_type = 'sale' AND r.document_id = ? "
                            "AND d.status = 'registered'", (sale_id,)).fetchone()
    if original is None:
        return  # the sale was never fiscal: nothing to credit
    device = get_device(conn, original["fiscal_device_id"])
    enqueue(conn, device, document_type, document_id, receipt_type, original["currency"])
    conn.execute("SAVEPOINT fiscal_note")
    try:
        sign_pending(conn, device)
    except Exception:  # never refuse the refund or void: the note stays pending, in order
        log.exception("fiscal signing failed for %s %s; it stays pending", document_type, document_id)
        conn.execute("ROLLBACK TO fiscal_note")
    conn.execute("RELEASE fiscal_note")


def _count(conn: sqlite3.Connection, device: dict[str, Any], receipt: dict[str, Any]) -> None:
    """Add a signed receipt to the open day's counters (spec §6): per tax and per money type."""
    sales_type, tax_type = {"FiscalInvoice": ("SaleByTax", "SaleTaxByTax"),
                            "CreditNote": ("CreditNoteByTax", "CreditNoteTaxByTax"),
                            "DebitNote": ("DebitNoteByTax", "DebitNoteTaxByTax")}[receipt["receiptType"]]
    currency = receipt["receiptCurrency"]

    def add(kind: str, tax_id: int, percent: str, money_type: str, value: int) -> None:
        conn.execute("INSERT INTO fiscal_counters (fiscal_device_id, day_no, counter_type, currency, tax_id, "
                     "tax_percent, money_type, value) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO UPDATE SET "
                     "value = value + excluded.value",
                     (device["id"], device["day_no"], kind, currency, tax_id, percent, money_type, value))

    for t in receipt["receiptTaxes"]:
        percent = signing.percent_text(t.get("taxPercent"))
        add(sales_type, t["taxID"], percent, "", _cents(t["salesAmountWithTax"]))
        add(tax_type, t["taxID"], percent, "", _cents(t["taxAmount"]))
    for p in receipt["receiptPayments"]:
        add("BalanceByMoneyType", 0, "", p["moneyTypeCode"], _cents(p["paymentAmount"]))


def _cents(value: Decimal) -> int:
    return int(Decimal(value).scaleb(2))


# ---- the submission queue ------------------------------------------------------------------------

def backoff_seconds(attempts: int) -> int:
    return min(5 * 2 ** max(attempts - 1, 0), 900)


def queue_depth(conn: sqlite3.Connection, device_id: str) -> dict[str, Any]:
    counts = dict(conn.execute("SELECT status, count(*) FROM fiscal_receipts WHERE fiscal_device_id = ? "
                               "GROUP BY status", (device_id,)).fetchall())
    oldest = conn.execute("SELECT min(signed_at) FROM fiscal_receipts WHERE fiscal_device_id = ? AND status = "
                          "'queued'", (device_id,)).fetchone()[0]
    return {"queued": counts.get("queued", 0), "pending": counts.get("pending", 0), "held": counts.get("held", 0),
            "submitted": counts.get("submitted", 0), "oldest_unsent": oldest}


def submit_queue(db: Db, *, device_id: str | None = None, force: bool = False) -> dict[str, int]:
    """Submit queued receipts per device in ascending global number, one by one, never skipping:
    a device stops at the first failure (retry later with backoff) or a held receipt. `force`
    ignores the backoff (the manual "submit now")."""
    done = {"submitted": 0, "failed": 0}
    with _submit_lock:
        devices = db.write_sync(lambda c: [r[0] for r in c.execute(
            "SELECT id FROM fiscal_devices WHERE status = 'registered' AND operating_mode != 'Offline' "
            "AND (? IS NULL OR id = ?) ORDER BY id",
            (device_id, device_id))])
        for fid in devices:
            while True:
                item = db.write_sync(_next_queued, fid, force)
                if item is None:
                    break
                row, ep = item
                result = fdms.call(ep, "SubmitReceipt", content=b'{"receipt":' + row["body"].encode() + b"}")
                db.write_sync(_record_submission, fid, row["id"], result)
                if not result.ok:
                    done["failed"] += 1
                    break
                done["submitted"] += 1
    return done


def _next_queued(conn: sqlite3.Connection, device_id: str, force: bool) -> tuple[dict, fdms.Endpoint] | None:
    if conn.execute("SELECT 1 FROM fiscal_receipts WHERE fiscal_device_id = ? AND status = 'held'",
                    (device_id,)).fetchone():
        return None  # never skip past a receipt FDMS refused
    row = conn.execute("SELECT * FROM fiscal_receipts WHERE fiscal_device_id = ? AND status = 'queued' "
                       "ORDER BY global_no LIMIT 1", (device_id,)).fetchone()
    if row is None or (not force and row["next_attempt_at"] and row["next_attempt_at"] > now(conn)):
        return None
    try:
        ep = endpoint(conn, get_device(conn, device_id))
    except ConflictError:
        return None
    return dict(row), ep


def _record_submission(conn: sqlite3.Connection, device_id: str, receipt_id: str, result: fdms.Call) -> None:
    log_call(conn, device_id, result)
    stamp = conn.stamp()  # type: ignore[attr-defined]
    if result.ok:
        errors = result.body.get("validationErrors") or []
        colours = {e.get("validationErrorColor") for e in errors}
        colour = next((c for c in ("Red", "Grey", "Yellow") if c in colours), "")
        conn.execute("UPDATE fiscal_receipts SET status = 'submitted', receipt_id = ?, server_date = ?, "
                     "server_signature = ?, validation_errors = ?, colour = ?, submitted_at = ?, "
                     "attempts = attempts + 1, last_error = '' WHERE id = ?",
                     (result.body.get("receiptID"), result.body.get("serverDate"),
                      json.dumps(result.body.get("receiptServerSignature") or {}), json.dumps(errors), colour,
                      stamp, receipt_id))
        if colour in ("Red", "Grey"):
            log.warning("FDMS flagged fiscal receipt %s %s: %s", receipt_id, colour, errors)
    elif result.retryable:
        attempts = conn.execute("SELECT attempts FROM fiscal_receipts WHERE id = ?", (receipt_id,)).fetchone()[0] + 1
        due = format_ts(parse_ts(stamp) + dt.timedelta(seconds=backoff_seconds(attempts)))
        conn.execute("UPDATE fiscal_receipts SET attempts = ?, next_attempt_at = ?, last_error = ? WHERE id = ?",
                     (attempts, due, result.error or f"HTTP {result.status}", receipt_id))
    else:
        conn.execute("UPDATE fiscal_receipts SET status = 'held', attempts = attempts + 1, last_error = ? "
                     "WHERE id = ?", (f"{result.status} {result.error_code} {result.error}".strip(), receipt_id))


# ---- reads ---------------------------------------------------------------------------------------

def list_receipts(conn: sqlite3.Connection, *, device_id: str | None, status: str | None, limit: int,
                  after: int | None) -> list[dict[str, Any]]:
    rows = conn.execute(
        "SELECT r.rowid AS seq, r.* FROM fiscal_receipts r WHERE (:d IS NULL OR fiscal_device_id = :d) "
        "AND (:s IS NULL OR status = :s) AND (:a IS NULL OR r.rowid < :a) ORDER BY r.rowid DESC LIMIT :n",
        {"d": device_id, "s": status, "a": after, "n": limit}).fetchall()
    out = []
    for r in rows:
        item = {k: r[k] for k in ("seq", "id", "fiscal_device_id", "document_type", "document_id", "receipt_type",
                                  "currency", "status", "day_no", "receipt_counter", "global_no", "receipt_date",
                                  "signed_at", "invoice_no", "total", "attempts", "next_attempt_at", "last_error",
                                  "receipt_id", "server_date", "colour", "submitted_at")}
        item["validation_errors"] = json.loads(r["validation_errors"] or "[]")
        item["blocked"] = json.loads(r["blocked"] or "[]")  # set aside: the hub's own red findings
        out.append(item)
    return out


def list_calls(conn: sqlite3.Connection, *, device_id: str | None, limit: int, after: int | None) -> list[dict]:
    return [dict(r) for r in conn.execute(
        "SELECT * FROM fiscal_calls WHERE (:d IS NULL OR fiscal_device_id = :d) AND (:a IS NULL OR id < :a) "
        "ORDER BY id DESC LIMIT :n", {"d": device_id, "a": after, "n": limit})]


def day_status(conn: sqlite3.Connection, device_id: str) -> dict[str, Any]:
    device = get_device(conn, device_id)
    from hub.fiscal import clocktrust, offline

    counters = day_counters(conn, device_id, device["day_no"]) if device["day_no"] else []
    reason = can_sign(conn, device)
    return {"fiscal_device_id": device_id, "day_no": device["day_no"], "day_status": device["day_status"],
            "day_opened": device["day_opened"], "receipt_counter": device["receipt_counter"],
            "last_global_no": device["last_global_no"], "closing_error": device["closing_error"],
            "signing": reason is None, "signing_paused_because": reason or "",
            "clock": clocktrust.status(conn),
            "files": offline.files(conn, device_id) if offline.is_offline(device) else [],
            "open_problems": [{"field": f, "message": m} for f, m in open_problems(conn, device)]
            if device["status"] == "registered" else [],
            "counters": [{"type": c.counter_type, "currency": c.currency, "tax_id": c.tax_id,
                          "tax_percent": signing.percent_text(c.tax_percent) if c.tax_id is not None else None,
                          "money_type": c.money_type, "value": c.value} for c in counters],
            **queue_depth(conn, device_id)}


def fiscal_check(conn: sqlite3.Connection, day: dt.date, since: str, until: str) -> tuple[str, str, list[dict]]:
    """The end-of-day page's fiscal step: done when every fiscal device's queue is empty, nothing
    is held or red, and its fiscal day is closed."""
    devices = list_devices(conn)
    if not devices:
        return ("not_applicable", "Fiscal receipts are not set up on this hub: no till is registered as a fiscal "
                "device.", [])
    items, blocking = [], False
    for d in devices:
        red = conn.execute("SELECT count(*) FROM fiscal_receipts WHERE fiscal_device_id = ? AND colour IN "
                           "('Red', 'Grey') AND day_no = ?", (d["id"], d["day_no"])).fetchone()[0]
        problems = []
        if d["queued"] or d["pending"]:
            problems.append(f"{d['queued'] + d['pending']} receipt(s) not yet accepted by FDMS")
        if d["held"]:
            problems.append(f"{d['held']} receipt(s) refused by FDMS: see the Fiscal page")
        if red:
            problems.append(f"{red} red or grey receipt(s)")
        if d["day_status"] != "closed":
            problems.append(f"fiscal day {d['day_no']} is {d['day_status'].replace('_', ' ')}")
        blocking = blocking or bool(problems)
        items.append({"label": d.get("till_name") or d["till_id"], "detail": "; ".join(problems) or "closed, all sent",
                      "link": "/fiscal"})
    if blocking:
        return "needs_action", "Submit every fiscal receipt and close each fiscal day before ending the day.", items
    return "done", "Every fiscal receipt is accepted by FDMS and each fiscal day is closed.", items


Writer = Callable[..., Any]
