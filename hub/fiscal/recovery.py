"""Fiscal recovery after a restore from backup (docs/fiscal.md "Recovery after a restore").

A restored database is older than what FDMS and the tills hold: the old hub may have signed
receipts after the backup was taken. Signing again from the backup's numbers would reuse global
numbers and break the hash chain (red at FDMS), or sign a sale twice. So:

- A restore gives the database a new epoch (hub/backup/restore.py); `meta.fiscal_epoch` names the
  epoch whose fiscal numbers the hub trusts. A registered fiscal device under another epoch puts
  the hub in recovery: nothing new is signed (sales are recorded and wait as pending) and no
  fiscal day opens.
- The hub reads getStatus of every device (the worker does it; `check` does it now).
- Tills resend the fiscal receipts they printed (`add_claims`): the device's own key verifies each
  claim's signature over its hash, so a till cannot invent one.
- A manager finishes the reconciliation (`finish`, audited): per device the hub takes the highest
  of its own, FDMS's and the tills' numbers (global number, fiscal day, receipt counter, with the
  hash and date of the day's last known receipt to chain on), adopts the claimed receipts instead
  of signing their sales again (never twice: matched by sale id), and refuses (409) while FDMS's
  open day holds receipts the hub cannot chain on. Then signing resumes, in order.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import sqlite3
from typing import Any

from hub.db import audit, meta
from hub.db.audit import Actor
from hub.errors import ConflictError, FieldErrors

log = logging.getLogger(__name__)

RECEIPT_ORDER = ("receiptType", "receiptCurrency", "receiptCounter", "receiptGlobalNo", "invoiceNo", "receiptNotes",
                 "receiptDate", "creditDebitNote", "receiptLinesTaxInclusive", "receiptLines", "receiptTaxes",
                 "receiptPayments", "receiptTotal", "receiptPrintForm", "receiptDeviceSignature", "username")
REASON = ("fiscal recovery after a restore from backup: new fiscal receipts wait until a manager reconciles the "
          "numbers with FDMS and the tills (Fiscal page, Finish recovery)")


# ---- state ---------------------------------------------------------------------------------------

def in_recovery(conn: sqlite3.Connection) -> bool:
    trusted = meta.get(conn, "fiscal_epoch")
    return bool(trusted) and trusted != meta.get(conn, "epoch")


def reason(conn: sqlite3.Connection) -> str | None:
    """Why signing waits for recovery (None: it does not)."""
    return REASON if in_recovery(conn) else None


def refuse_close(conn: sqlite3.Connection) -> bool:
    """A day does not close while the hub reconciles: its counters are not known yet."""
    if in_recovery(conn):
        raise ConflictError(f"the fiscal day cannot close now: {REASON}", code="fiscal_recovering")
    return False


def before_new_epoch(conn: sqlite3.Connection) -> None:
    """Called by the restore on the restored copy before it gets its new epoch: a backup with a
    registered fiscal device whose fiscal epoch was never written trusts its own epoch, so the new
    one differs and the restored hub enters recovery."""
    try:
        registered = conn.execute("SELECT 1 FROM fiscal_devices WHERE status = 'registered' LIMIT 1").fetchone()
    except sqlite3.OperationalError:  # a backup from before fiscalisation
        return
    if registered and not meta.get(conn, "fiscal_epoch"):
        meta.put(conn, "fiscal_epoch", meta.get(conn, "epoch") or "restored")


def _row(conn: sqlite3.Connection) -> dict[str, Any] | None:
    row = conn.execute("SELECT * FROM fiscal_recoveries WHERE epoch = ?", (meta.get(conn, "epoch"),)).fetchone()
    if row is None:
        return None
    out = dict(row)
    out["fdms"] = json.loads(out["fdms"] or "{}")
    out["outcome"] = json.loads(out["outcome"] or "{}")
    return out


def _ensure_row(conn: sqlite3.Connection) -> dict[str, Any]:
    conn.execute("INSERT OR IGNORE INTO fiscal_recoveries (epoch, started_at) VALUES (?, ?)",
                 (meta.get(conn, "epoch"), conn.stamp()))  # type: ignore[attr-defined]
    row = _row(conn)
    assert row is not None
    return row


def _devices(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    from hub.fiscal import service

    return [service.get_device(conn, r[0]) for r in conn.execute(
        "SELECT id FROM fiscal_devices WHERE status = 'registered' ORDER BY created_at, id")]


# ---- claims from the tills -----------------------------------------------------------------------

def _verify(device: dict[str, Any], hash_b64: str, signature_b64: str) -> bool:
    """The device's own key signed this hash (ECDSA P-256 DER or RSA PKCS#1 v1.5 over SHA-256)."""
    from cryptography.exceptions import InvalidSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils

    from hub.fiscal import service

    try:
        digest = base64.b64decode(hash_b64, validate=True)
        raw = base64.b64decode(signature_b64, validate=True)
        public = service._key(device["key_path"]).public_key()
        if len(digest) != 32:
            return False
        if isinstance(public, ec.EllipticCurvePublicKey):
            public.verify(raw, digest, ec.ECDSA(utils.Prehashed(hashes.SHA256())))
        elif isinstance(public, rsa.RSAPublicKey):
            public.verify(raw, digest, padding.PKCS1v15(), utils.Prehashed(hashes.SHA256()))
        else:
            return False
    except (InvalidSignature, ValueError, OSError):
        return False
    return True


def add_claims(conn: sqlite3.Connection, actor: Actor, till_id: str, claims: list[dict[str, Any]]) -> dict[str, Any]:
    """A till resends the fiscal receipts it printed (one per sale). Each must name a fiscal
    device of this hub and carry a signature its key verifies; a claim already held is kept as it
    was (a resend is idempotent). One audit entry for the batch."""
    errors, rows = [], []
    by_number = {d["fdms_device_id"]: d for d in _devices(conn)}
    for i, c in enumerate(claims):
        device = by_number.get(c["fdms_device_id"])
        if device is None:
            errors.append((f"receipts[{i}].fdms_device_id", "is not a registered fiscal device of this hub"))
            continue
        if not _verify(device, c["hash"], c["signature"]):
            errors.append((f"receipts[{i}].signature", "is not this device's signature of the hash"))
            continue
        rows.append((c["sale_id"], device["id"], till_id, c["day_no"], c["receipt_counter"], c["global_no"],
                     c["receipt_date"], c["invoice_no"], c["hash"], c["signature"], c.get("previous_hash"),
                     conn.stamp()))  # type: ignore[attr-defined]
    if errors:
        raise FieldErrors(errors)
    added = 0
    for r in rows:
        cur = conn.execute("INSERT OR IGNORE INTO fiscal_claims (sale_id, fiscal_device_id, till_id, day_no, "
                           "receipt_counter, global_no, receipt_date, invoice_no, hash, signature, previous_hash, "
                           "verified, reported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?)", r)
        added += cur.rowcount
    audit.append(conn, actor, "fiscal.claims_received", "fiscal_claims", till_id,
                 detail={"received": len(rows), "added": added,
                         "global_nos": sorted({(r[1], r[5]) for r in rows})[-20:]})
    return {"received": len(rows), "added": added}


# ---- adopting a claimed receipt ------------------------------------------------------------------

def _fdms_last(conn: sqlite3.Connection, device_id: str) -> int:
    """FDMS's last global number for the device, as the latest recovery read it (0: unknown)."""
    row = conn.execute("SELECT fdms FROM fiscal_recoveries ORDER BY started_at DESC LIMIT 1").fetchone()
    status = json.loads(row[0] or "{}").get(device_id) if row else None
    return int((status or {}).get("lastReceiptGlobalNo") or 0)


def adopt(conn: sqlite3.Connection, device: dict[str, Any], row: sqlite3.Row | dict) -> bool:
    """If a till claimed this pending sale's fiscal receipt, take it as signed (its numbers, hash,
    signature and the body rebuilt from the sale) instead of signing it again: `submitted` when
    FDMS already holds its global number, else `queued` (or `held` when the rebuilt body does not
    hash to the claim). Returns whether it was adopted."""
    if row["document_type"] != "sale":
        return False
    claim = conn.execute("SELECT * FROM fiscal_claims WHERE sale_id = ? AND fiscal_device_id = ? AND verified = 1 "
                         "AND adopted_receipt_id IS NULL", (row["document_id"], device["id"])).fetchone()
    if claim is None:
        return False
    from hub.fiscal import service, signing

    settings = service.get_settings(conn)
    vat_payer = bool(device["taxpayer"].get("vatNumber") or device["config"].get("vatNumber"))
    receipt: dict[str, Any] | None = None
    try:
        receipt, taxes, total = service.BUILDERS["sale"](
            conn, row["document_id"], config=device["config"], vat_payer=vat_payer,
            fallback_tax_id=settings["fallback_tax_id"], fallback_hs_code=settings["fallback_hs_code"])
    except Exception as err:  # noqa: BLE001 (adopt anyway: never sign twice)
        log.warning("adopted fiscal receipt of sale %s could not be rebuilt: %s", row["document_id"], err)
    previous = claim["previous_hash"]
    if previous is None and claim["receipt_counter"] > 1:
        before = conn.execute(
            "SELECT hash FROM fiscal_receipts WHERE fiscal_device_id = ? AND day_no = ? AND receipt_counter = ? "
            "UNION ALL SELECT hash FROM fiscal_claims WHERE fiscal_device_id = ? AND day_no = ? AND receipt_counter = ?",
            (device["id"], claim["day_no"], claim["receipt_counter"] - 1) * 2).fetchone()
        previous = before[0] if before else None
    exact = False
    body = None
    if receipt is not None:
        text = signing.receipt_string(device["fdms_device_id"], receipt["receiptType"], receipt["receiptCurrency"],
                                      claim["global_no"], claim["receipt_date"], total, taxes,
                                      previous if claim["receipt_counter"] > 1 else None)
        exact = signing.sha256_b64(text) == claim["hash"]
        receipt.update({"receiptCounter": claim["receipt_counter"], "receiptGlobalNo": claim["global_no"],
                        "invoiceNo": claim["invoice_no"], "receiptDate": claim["receipt_date"],
                        "receiptDeviceSignature": {"hash": claim["hash"], "signature": claim["signature"]}})
        body = service._encoder.encode({k: receipt[k] for k in RECEIPT_ORDER if k in receipt}).decode()
    at_fdms = claim["global_no"] <= _fdms_last(conn, device["id"])
    status = "submitted" if at_fdms else ("queued" if exact else "held")
    error = "" if at_fdms or exact else ("adopted from a till but its body could not be rebuilt to the claimed hash: "
                                         "FDMS does not hold it; resolve with ZIMRA")
    conn.execute("UPDATE fiscal_receipts SET status = ?, day_no = ?, receipt_counter = ?, global_no = ?, "
                 "receipt_date = ?, signed_at = ?, invoice_no = ?, total = ?, hash = ?, signature = ?, body = ?, "
                 "last_error = ?, adopted_at = ? WHERE id = ?",
                 (status, claim["day_no"], claim["receipt_counter"], claim["global_no"], claim["receipt_date"],
                  claim["reported_at"], claim["invoice_no"], total if receipt is not None else None, claim["hash"],
                  claim["signature"], body, error, conn.stamp(), row["id"]))  # type: ignore[attr-defined]
    conn.execute("UPDATE fiscal_claims SET adopted_receipt_id = ? WHERE sale_id = ?", (row["id"], claim["sale_id"]))
    if receipt is not None and claim["day_no"] == device["day_no"] and device["day_status"] != "closed":
        service._count(conn, device, receipt)  # the open day's counters include it
    if claim["global_no"] > device["last_global_no"]:
        conn.execute("UPDATE fiscal_devices SET last_global_no = ? WHERE id = ?", (claim["global_no"], device["id"]))
    if claim["day_no"] == device["day_no"] and claim["receipt_counter"] > device["receipt_counter"]:
        conn.execute("UPDATE fiscal_devices SET receipt_counter = ?, last_hash = ?, last_receipt_date = ? WHERE id = ?",
                     (claim["receipt_counter"], claim["hash"], claim["receipt_date"], device["id"]))
    return True


# ---- reading FDMS and finishing ------------------------------------------------------------------

STATUS_KEYS = ("fiscalDayStatus", "lastReceiptGlobalNo", "lastFiscalDayNo", "fiscalDayClosingErrorCode")


def check(db: Any, device_id: str | None = None) -> dict[str, Any]:
    """getStatus of every registered device (or one); in recovery the answers are stored for the
    reconciliation (outside it they are only shown). Blocking: FDMS is called off the writer,
    outside any transaction."""
    from hub.fiscal import service

    def prepare(conn: sqlite3.Connection) -> list[tuple[str, Any]]:
        if in_recovery(conn):
            _ensure_row(conn)
        return [(d["id"], service.endpoint(conn, d)) for d in _devices(conn) if device_id in (None, d["id"])]

    read: dict[str, Any] = {}
    failed: dict[str, str] = {}
    for fid, ep in db.write_sync(prepare):
        result = service._call(db, fid, ep, "GetStatus")
        if result.ok:
            read[fid] = {k: result.body.get(k) for k in STATUS_KEYS if result.body.get(k) is not None}
            read[fid]["operation_id"] = result.operation_id
        else:
            failed[fid] = f"{result.status or 'no answer'} {result.error_code} {result.error}".strip()

    def store(conn: sqlite3.Connection) -> dict[str, Any]:
        if in_recovery(conn):
            row = _ensure_row(conn)
            conn.execute("UPDATE fiscal_recoveries SET fdms = ?, checked_at = ? WHERE epoch = ?",
                         (json.dumps({**row["fdms"], **read}), conn.stamp(), row["epoch"]))  # type: ignore
        return overview(conn)

    out = db.write_sync(store)
    out["read"], out["failed"] = read, failed
    return out


def _plan(conn: sqlite3.Connection, device: dict[str, Any], fdms: dict[str, Any]) -> dict[str, Any]:
    """The numbers the device continues from: the highest of the hub's, FDMS's and the tills'."""
    tills = conn.execute("SELECT max(global_no), max(day_no) FROM fiscal_claims WHERE fiscal_device_id = ?",
                         (device["id"],)).fetchone()
    fdms_global, fdms_day = int(fdms.get("lastReceiptGlobalNo") or 0), int(fdms.get("lastFiscalDayNo") or 0)
    global_no = max(device["last_global_no"], fdms_global, tills[0] or 0)
    day_no = max(device["day_no"], fdms_day, tills[1] or 0)
    fdms_state = fdms.get("fiscalDayStatus") or ""
    # the last receipt of that day the hub knows (its own or a till's claim), to chain on
    last = conn.execute(
        "SELECT receipt_counter, global_no, hash, receipt_date FROM fiscal_receipts WHERE fiscal_device_id = ? "
        "AND day_no = ? AND global_no IS NOT NULL UNION ALL SELECT receipt_counter, global_no, hash, receipt_date "
        "FROM fiscal_claims WHERE fiscal_device_id = ? AND day_no = ? ORDER BY 2 DESC LIMIT 1",
        (device["id"], day_no, device["id"], day_no)).fetchone()
    day_open = fdms_state in ("FiscalDayOpened", "FiscalDayCloseFailed") or (
        not fdms_state and device["day_status"] != "closed")
    plan = {"hub": {"global_no": device["last_global_no"], "day_no": device["day_no"],
                    "receipt_counter": device["receipt_counter"], "day_status": device["day_status"]},
            "fdms": {"global_no": fdms_global, "day_no": fdms_day, "day_status": fdms_state},
            "tills": {"global_no": tills[0] or 0, "day_no": tills[1] or 0},
            "global_no": global_no, "day_no": day_no,
            "day_status": {"FiscalDayOpened": "opened", "FiscalDayCloseFailed": "close_failed",
                           "FiscalDayClosed": "closed", "FiscalDayCloseInitiated": "close_initiated"}.get(
                fdms_state, device["day_status"] if day_no == device["day_no"] else "closed"),
            "receipt_counter": last["receipt_counter"] if last else 0, "last_hash": last["hash"] if last else None,
            "last_receipt_date": last["receipt_date"] if last else None, "problems": []}
    if day_open and last is not None and last["global_no"] < global_no:
        plan["problems"].append(
            f"fiscal day {day_no} is open at FDMS with receipts up to global number {global_no}, but the hub knows "
            f"them only up to {last['global_no']}: have every till resend its fiscal receipts, or ask ZIMRA to close "
            f"day {day_no} and check again")
    elif day_open and last is None and day_no != device["day_no"]:
        plan["problems"].append(
            f"fiscal day {day_no} is open at FDMS but the hub knows none of its receipts: have every till resend its "
            f"fiscal receipts, or ask ZIMRA to close day {day_no} and check again")
    return plan


def overview(conn: sqlite3.Connection) -> dict[str, Any]:
    """What the Fiscal page and GET /api/v1/fiscal/recovery show."""
    active = in_recovery(conn)
    row = _row(conn)
    devices = []
    for d in _devices(conn):
        fdms = (row or {}).get("fdms", {}).get(d["id"])
        pending = conn.execute("SELECT count(*) FROM fiscal_receipts WHERE fiscal_device_id = ? AND status = "
                               "'pending'", (d["id"],)).fetchone()[0]
        claims = conn.execute("SELECT count(*), count(adopted_receipt_id) FROM fiscal_claims WHERE "
                              "fiscal_device_id = ?", (d["id"],)).fetchone()
        item = {"fiscal_device_id": d["id"], "fdms_device_id": d["fdms_device_id"], "fdms_checked": fdms is not None,
                "pending": pending, "claims": claims[0], "adopted": claims[1]}
        if active:
            item["plan"] = _plan(conn, d, fdms or {})
        devices.append(item)
    return {"in_recovery": active, "epoch": meta.get(conn, "epoch"), "fiscal_epoch": meta.get(conn, "fiscal_epoch"),
            "reason": REASON if active else "", "started_at": (row or {}).get("started_at"),
            "checked_at": (row or {}).get("checked_at"), "status": (row or {}).get("status"),
            "finished_at": (row or {}).get("finished_at"), "devices": devices}


def finish(conn: sqlite3.Connection, actor: Actor) -> dict[str, Any]:
    """Reconcile and resume: refused (409) unless FDMS was read for every device and no open day
    holds receipts the hub cannot chain on. One transaction, one audit entry."""
    from hub.fiscal import service

    if not in_recovery(conn):
        raise ConflictError("the hub is not in fiscal recovery", code="fiscal_not_recovering")
    row = _ensure_row(conn)
    devices = _devices(conn)
    unchecked = [d["fdms_device_id"] for d in devices if d["id"] not in row["fdms"]]
    if unchecked:
        raise ConflictError(f"FDMS's status of device(s) {', '.join(map(str, unchecked))} was not read yet: check "
                            "with FDMS first (it must be reachable)", code="fiscal_recovery_unchecked",
                            extra={"devices": unchecked})
    plans, problems = {}, []
    for d in devices:
        plan = _plan(conn, d, row["fdms"][d["id"]])
        plans[d["id"]] = plan
        problems += [{"field": f"devices.{d['fdms_device_id']}", "message": p} for p in plan["problems"]]
    if problems:
        raise ConflictError("the fiscal numbers cannot be reconciled yet: " + "; ".join(p["message"] for p in problems),
                            code="fiscal_recovery_gap", extra={"errors": problems})
    stamp = conn.stamp()  # type: ignore[attr-defined]
    for d in devices:
        plan = plans[d["id"]]
        opened = d["day_opened"] if plan["day_no"] == d["day_no"] else _opened(conn, d, plan)
        conn.execute("UPDATE fiscal_devices SET last_global_no = ?, day_no = ?, day_status = ?, receipt_counter = ?, "
                     "last_hash = ?, last_receipt_date = COALESCE(?, last_receipt_date), day_opened = ?, "
                     "updated_at = ?, version = version + 1 WHERE id = ?",
                     (plan["global_no"], plan["day_no"], plan["day_status"], plan["receipt_counter"], plan["last_hash"],
                      plan["last_receipt_date"], opened, stamp, d["id"]))
        if plan["day_status"] != "closed" and opened:
            conn.execute("INSERT OR IGNORE INTO fiscal_days (fiscal_device_id, day_no, opened, opened_at, status) "
                         "VALUES (?, ?, ?, ?, ?)", (d["id"], plan["day_no"], opened, stamp, plan["day_status"]))
        # the tills' claimed receipts are adopted, never signed again (their sales wait as pending)
        for pending in conn.execute("SELECT * FROM fiscal_receipts WHERE fiscal_device_id = ? AND status = 'pending' "
                                    "ORDER BY created_at, rowid", (d["id"],)).fetchall():
            adopt(conn, service.get_device(conn, d["id"]), pending)
    epoch = meta.get(conn, "epoch") or ""
    meta.put(conn, "fiscal_epoch", epoch)
    outcome = {fid: {k: p[k] for k in ("hub", "fdms", "tills", "global_no", "day_no", "day_status",
                                       "receipt_counter")} for fid, p in plans.items()}
    conn.execute("UPDATE fiscal_recoveries SET status = 'finished', outcome = ?, finished_at = ?, finished_by = ? "
                 "WHERE epoch = ?", (json.dumps(outcome), stamp, actor.username or actor.user_id or "", epoch))
    audit.append(conn, actor, "fiscal.recovery_finished", "fiscal_recovery", epoch, after=outcome)
    for d in devices:  # the sales that waited, in order
        service.sign_pending(conn, service.get_device(conn, d["id"]))
    return overview(conn)


def _opened(conn: sqlite3.Connection, device: dict[str, Any], plan: dict[str, Any]) -> str | None:
    """The opening time of a day the restored hub did not see open: the fiscal_days row if it has
    one, else the first known receipt's date of that day (the close signature uses only its date;
    a day opened just before midnight whose first receipt came after it is the known limit)."""
    row = conn.execute("SELECT opened FROM fiscal_days WHERE fiscal_device_id = ? AND day_no = ?",
                       (device["id"], plan["day_no"])).fetchone()
    if row:
        return row[0]
    first = conn.execute("SELECT min(receipt_date) FROM (SELECT receipt_date FROM fiscal_receipts WHERE "
                         "fiscal_device_id = ? AND day_no = ? AND receipt_date IS NOT NULL UNION ALL SELECT "
                         "receipt_date FROM fiscal_claims WHERE fiscal_device_id = ? AND day_no = ?)",
                         (device["id"], plan["day_no"], device["id"], plan["day_no"])).fetchone()[0]
    return first



# ---- the fiscal worker's round -------------------------------------------------------------------

CHECK_EVERY = dt.timedelta(seconds=60)


def worker_round(db: Any) -> None:
    """One round of the fiscal worker: resume signing; in recovery, read FDMS's status of the
    devices not read yet (at most once a minute)."""
    from hub.clock import format_ts, utc_now

    from hub.fiscal import clocktrust

    def look(conn: sqlite3.Connection) -> bool:
        clocktrust.resume(conn)
        if not in_recovery(conn):
            return False
        row = _row(conn)
        unread = any(d["id"] not in (row or {}).get("fdms", {}) for d in _devices(conn))
        recent = row is not None and row["checked_at"] and row["checked_at"] > format_ts(utc_now() - CHECK_EVERY)
        return unread and not recent

    if db.write_sync(look):
        check(db)
    from hub.fiscal import offline

    since = format_ts(utc_now() - CHECK_EVERY)
    for (device_id,) in db.write_sync(lambda c: c.execute(
            "SELECT DISTINCT fiscal_device_id FROM fiscal_files WHERE status != 'successful' "
            "AND coalesce(checked_at, sent_at, created_at) <= ?", (since,)).fetchall()):
        offline.submit_files(db, device_id, polls=1)  # an Offline day's files FDMS has not processed yet
