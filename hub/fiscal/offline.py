"""Offline mode: submitFile for a fiscal device ZIMRA set to Offline (getConfig
`deviceOperatingMode`), ZIMRA-FDMS.md §6.4, docs/fiscal.md "Offline mode (submitFile)".

An Offline device never calls openDay, submitReceipt or closeDay (FDMS refuses them, DEV01). Its
fiscal day opens locally; receipts are signed on the hub exactly as online (counters, global
numbers, hash chain) and wait as `queued`; closing the day signs the counters, then the day goes
to FDMS as file(s): JSON `{header, content, footer}`, base64-encoded, each ≤ 3 MB (receipts split
across files in `fileSequence` order, the footer only in the last), sent in order, then polled
with getFileStatus until FDMS has processed them. Only then are the day's receipts `submitted`
and the day `closed`.

Readings chosen where the summary is uncertain (the safe one each time, said here):
- Upload body: the Swagger's `text/plain` string body (the base64 text) rather than the spec
  text's multipart field, as elsewhere the Swagger is what the gateway implements (§1.3).
- getFileStatus: the Swagger's `GET /Device/v1/{id}/SubmittedFileList?OperationID=...`; rows are
  read leniently (`operationID`/`operationId`, `fileProcessingStatus`, errors under
  `fileProcessingError(s)`), and both the spec's and the Swagger's status names are understood.
- Footer counters under `fiscalDayCounters` (the spec's sample, and closeDay's own name), not the
  footer table's `fiscalCounters`.
- Re-submission is idempotent: a file FDMS processed successfully is never sent again; a file
  whose answer was lost is sent again as it was (same bytes): FDMS skips receipts it holds
  (same device, day, global number and hash) and the hub only marks what FDMS reports processed.
"""

from __future__ import annotations

import base64
import json
import logging
import sqlite3
import ssl
import threading
import time
from typing import Any

from hub.db import audit
from hub.db.audit import Actor
from hub.errors import ConflictError
from hub.fiscal import client as fdms
from hub.ids import new_id

log = logging.getLogger(__name__)

MAX_FILE_BYTES = 3 * 1000 * 1000  # "≤ 3 MB" (FILE01); decimal megabytes, the smaller reading
STATUS_POLLS = 10
STATUSES = {"FileProcessingInProgress": "in_progress", "InProgress": "in_progress",
            "FileProcessingIsSuccessful": "successful", "CompleteSuccessful": "successful",
            "FileProcessingWithErrors": "failed", "FailedWithErrors": "failed",
            "WaitingForPreviousFile": "waiting"}
_lock = threading.Lock()


def is_offline(device: dict[str, Any]) -> bool:
    return device.get("operating_mode") == "Offline"


# ---- the FDMS calls (the client's transport, with a text body or a query) -------------------------

def request(ep: fdms.Endpoint, method: str, operation: str, *, text: str | None = None,
            params: dict[str, Any] | None = None) -> fdms.Call:
    """One /Device call; never raises for what the network or FDMS does."""
    import httpx  # on the first call (hub.fiscal.client)

    path = f"/Device/v1/{ep.device_id}/{operation}"
    headers = {"DeviceModelName": ep.model_name, "DeviceModelVersion": ep.model_version, "Accept": "application/json"}
    if text is not None:
        headers["Content-Type"] = "text/plain"
    started = time.monotonic()
    try:
        with httpx.Client(base_url=ep.base_url.rstrip("/"), verify=fdms._context(ep, True), timeout=fdms.timeout(),
                          headers=headers) as client:
            response = client.request(method, path, content=text.encode() if text is not None else None,
                                      params=params)
    except (httpx.HTTPError, ssl.SSLError, OSError) as err:
        return fdms.Call(operation, None, error=f"{type(err).__name__}: {err}",
                         duration_ms=int((time.monotonic() - started) * 1000))
    try:
        answer = response.json() if response.content else {}
    except ValueError:
        answer = {"detail": response.text[:300]}
    if not isinstance(answer, dict):
        answer = {"value": answer}
    result = fdms.Call(operation, response.status_code, answer,
                       str(answer.get("operationID") or response.headers.get("operationId") or ""),
                       duration_ms=int((time.monotonic() - started) * 1000))
    if not result.ok:
        result.error_code = str(answer.get("errorCode") or "")
        result.error = str(answer.get("title") or answer.get("detail") or response.reason_phrase)
    return result


# ---- the day's files ----------------------------------------------------------------------------

def build_files(header: dict[str, Any], receipts: list[str], footer: dict[str, Any]) -> list[dict[str, Any]]:
    """The day as base64 JSON files ≤ MAX_FILE_BYTES each: receipts (their stored JSON bodies, in
    ascending global number) split across files, the footer whole in the last one."""
    def encode(sequence: int, chunk: list[str], last: bool) -> str:
        head = json.dumps({**header, "fileSequence": sequence})
        parts = [f'"header":{head}']
        if chunk:
            parts.append('"content":{"receipts":[' + ",".join(chunk) + "]}")
        if last:
            parts.append('"footer":' + json.dumps(footer))
        return base64.b64encode(("{" + ",".join(parts) + "}").encode()).decode()

    files: list[dict[str, Any]] = []
    chunk: list[str] = []
    for body in receipts:
        if chunk and len(encode(1, chunk + [body], False)) > MAX_FILE_BYTES:
            files.append({"receipts": len(chunk), "body": encode(len(files) + 1, chunk, False)})
            chunk = []
        chunk.append(body)
    last = encode(len(files) + 1, chunk, True)
    if len(last) > MAX_FILE_BYTES and chunk:  # the footer does not fit beside the last receipts
        files.append({"receipts": len(chunk), "body": encode(len(files) + 1, chunk, False)})
        chunk = []
        last = encode(len(files) + 1, chunk, True)
    files.append({"receipts": len(chunk), "body": last})
    for i, f in enumerate(files, 1):
        f.update({"file_sequence": i, "last_file": i == len(files), "size": len(f["body"])})
        if f["size"] > MAX_FILE_BYTES:
            raise ConflictError("one receipt or the footer alone is larger than FDMS takes in a file (3 MB)",
                                code="fiscal_file_too_large")
    return files


def close_day(db: Any, actor: Actor, device_id: str) -> dict[str, Any]:
    """Close an Offline device's day locally (counters and the day signature over the opening
    date, as closeDay would), build its files, send them and wait for FDMS to process them."""
    from hub.fiscal import service, signing

    def prepare(conn: sqlite3.Connection) -> None:
        device = service._registered(conn, device_id)
        if device["day_status"] not in ("opened", "close_failed"):
            raise ConflictError(f"no fiscal day is open on this device ({device['day_status']})",
                                code="fiscal_day_not_open")
        held = conn.execute("SELECT count(*) FROM fiscal_receipts WHERE fiscal_device_id = ? AND day_no = ? AND "
                            "status = 'held'", (device_id, device["day_no"])).fetchone()[0]
        if held:
            raise ConflictError(f"{held} receipt(s) of the day are held: resolve them first", code="fiscal_queue_unsent")
        counters = service.day_counters(conn, device_id, device["day_no"])
        text = signing.fiscal_day_string(device["fdms_device_id"], device["day_no"], device["day_opened"][:10],
                                         counters)
        closed = service.local_time(conn, conn.stamp())  # type: ignore[attr-defined]
        if device["last_receipt_date"] and closed <= device["last_receipt_date"]:
            closed = service._after(device["last_receipt_date"])
        footer = {"fiscalDayCounters": [service.counter_json(c) for c in counters],
                  "fiscalDayDeviceSignature": signing.signature_data(service._key(device["key_path"]), text),
                  "receiptCounter": device["receipt_counter"], "fiscalDayClosed": closed}
        footer = json.loads(service._encoder.encode(footer))
        header = {"deviceID": device["fdms_device_id"], "fiscalDayNo": device["day_no"],
                  "fiscalDayOpened": device["day_opened"]}
        bodies = [r[0] for r in conn.execute(
            "SELECT body FROM fiscal_receipts WHERE fiscal_device_id = ? AND day_no = ? AND global_no IS NOT NULL "
            "ORDER BY global_no", (device_id, device["day_no"]))]
        stamp = conn.stamp()  # type: ignore[attr-defined]
        conn.execute("DELETE FROM fiscal_files WHERE fiscal_device_id = ? AND day_no = ? AND status != 'successful'",
                     (device_id, device["day_no"]))
        done = {r[0] for r in conn.execute("SELECT file_sequence FROM fiscal_files WHERE fiscal_device_id = ? AND "
                                           "day_no = ?", (device_id, device["day_no"]))}
        for f in build_files(header, bodies, footer):
            if f["file_sequence"] in done:
                continue
            conn.execute("INSERT INTO fiscal_files (id, fiscal_device_id, day_no, file_sequence, receipts, last_file, "
                         "body, size, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         (new_id(), device_id, device["day_no"], f["file_sequence"], f["receipts"],
                          int(f["last_file"]), f["body"], f["size"], stamp))
        conn.execute("UPDATE fiscal_devices SET day_status = 'close_initiated', updated_at = ? WHERE id = ?",
                     (stamp, device_id))
        conn.execute("UPDATE fiscal_days SET counters = ?, signature = ?, receipt_counter = ?, status = "
                     "'close_initiated' WHERE fiscal_device_id = ? AND day_no = ?",
                     (json.dumps(footer["fiscalDayCounters"]), json.dumps(footer["fiscalDayDeviceSignature"]),
                      device["receipt_counter"], device_id, device["day_no"]))
        audit.append(conn, actor, "fiscal_day.close_files_built", "fiscal_device", device_id,
                     after={"fiscal_day_no": device["day_no"], "receipts": len(bodies),
                            "receipt_counter": device["receipt_counter"]})

    db.write_sync(prepare)
    return submit_files(db, device_id)


def _unsent(conn: sqlite3.Connection, device_id: str) -> tuple[list[dict[str, Any]], fdms.Endpoint]:
    from hub.fiscal import service

    device = service.get_device(conn, device_id)
    rows = [dict(r) for r in conn.execute(
        "SELECT * FROM fiscal_files WHERE fiscal_device_id = ? AND status != 'successful' ORDER BY day_no, "
        "file_sequence", (device_id,))]
    return rows, service.endpoint(conn, device)


def submit_files(db: Any, device_id: str, *, polls: int = STATUS_POLLS) -> dict[str, Any]:
    """Send the device's files not yet processed, in day and fileSequence order (a file without an
    operation id, or one FDMS failed, is sent again as it was), then poll getFileStatus; the day
    closes once its last file is processed successfully."""
    from hub.fiscal import service

    with _lock:
        rows, ep = db.write_sync(_unsent, device_id)
        for row in rows:
            if row["operation_id"] and row["status"] in ("sent", "in_progress", "waiting"):
                continue  # FDMS has it: only its status is asked below
            result = request(ep, "POST", "SubmitFile", text=row["body"])
            db.write_sync(_record_sent, device_id, row["id"], result)
            if not result.ok:
                break  # in order: the next file waits for this one
        for attempt in range(polls):
            rows, ep = db.write_sync(_unsent, device_id)
            asked = [r for r in rows if r["operation_id"]]
            if not asked:
                break
            for row in asked:
                result = request(ep, "GET", "SubmittedFileList", params={"OperationID": row["operation_id"]})
                db.write_sync(_record_status, device_id, row["id"], result)
            if attempt + 1 < polls:
                threading.Event().wait(min(0.2 * 2 ** attempt, 5))
        return db.write_sync(lambda c: service.day_status(c, device_id))


def _record_sent(conn: sqlite3.Connection, device_id: str, file_id: str, result: fdms.Call) -> None:
    from hub.fiscal import service

    service.log_call(conn, device_id, result)
    if result.ok and result.operation_id:
        conn.execute("UPDATE fiscal_files SET status = 'sent', operation_id = ?, sent_at = ?, attempts = attempts + 1, "
                     "errors = '[]' WHERE id = ?", (result.operation_id, conn.stamp(), file_id))  # type: ignore
    else:
        error = f"{result.status or 'no answer'} {result.error_code} {result.error}".strip()
        conn.execute("UPDATE fiscal_files SET attempts = attempts + 1, errors = ? WHERE id = ?",
                     (json.dumps([error]), file_id))


def _lower(row: dict[str, Any]) -> dict[str, Any]:
    return {str(k).lower(): v for k, v in row.items()}


def _record_status(conn: sqlite3.Connection, device_id: str, file_id: str, result: fdms.Call) -> None:
    from hub.fiscal import service

    service.log_call(conn, device_id, result)
    if not result.ok:
        return
    f = dict(conn.execute("SELECT * FROM fiscal_files WHERE id = ?", (file_id,)).fetchone())
    rows = result.body.get("rows") or result.body.get("value") or []
    mine = next((r for r in map(_lower, rows) if str(r.get("operationid") or "") == f["operation_id"]), None)
    if mine is None:
        return  # not listed yet: asked again later
    status = STATUSES.get(str(mine.get("fileprocessingstatus") or ""), "in_progress")
    errors = mine.get("fileprocessingerrors") or mine.get("fileprocessingerror") or []
    errors = errors if isinstance(errors, list) else [errors]
    stamp = conn.stamp()  # type: ignore[attr-defined]
    conn.execute("UPDATE fiscal_files SET status = ?, errors = ?, checked_at = ? WHERE id = ?",
                 (status, json.dumps(errors), stamp, file_id))
    if status == "failed":
        conn.execute("UPDATE fiscal_devices SET day_status = 'close_failed', closing_error = ? WHERE id = ? AND "
                     "day_no = ?", (", ".join(map(str, errors)) or "FileProcessingWithErrors", device_id, f["day_no"]))
        conn.execute("UPDATE fiscal_days SET status = 'close_failed', closing_error = ? WHERE fiscal_device_id = ? "
                     "AND day_no = ?", (", ".join(map(str, errors)), device_id, f["day_no"]))
        service.sign_pending(conn, service.get_device(conn, device_id))  # a failed close still takes receipts
        return
    if status != "successful" or not f["last_file"]:
        return
    unfinished = conn.execute("SELECT count(*) FROM fiscal_files WHERE fiscal_device_id = ? AND day_no = ? AND "
                              "status != 'successful'", (device_id, f["day_no"])).fetchone()[0]
    if unfinished:
        return
    conn.execute("UPDATE fiscal_receipts SET status = 'submitted', submitted_at = ? WHERE fiscal_device_id = ? AND "
                 "day_no = ? AND status = 'queued'", (stamp, device_id, f["day_no"]))
    conn.execute("UPDATE fiscal_devices SET day_status = 'closed', closing_error = NULL, updated_at = ?, "
                 "version = version + 1 WHERE id = ? AND day_no = ?", (stamp, device_id, f["day_no"]))
    conn.execute("UPDATE fiscal_days SET status = 'closed', closed_at = ?, closing_error = NULL WHERE "
                 "fiscal_device_id = ? AND day_no = ?", (stamp, device_id, f["day_no"]))
    audit.append(conn, Actor.system("fiscal"), "fiscal_day.closed", "fiscal_device", device_id,
                 after={"fiscal_day_no": f["day_no"], "status": "FileProcessingIsSuccessful", "offline": True})


def files(conn: sqlite3.Connection, device_id: str) -> list[dict[str, Any]]:
    return [{k: r[k] for k in ("id", "day_no", "file_sequence", "receipts", "last_file", "size", "operation_id",
                               "status", "attempts", "sent_at", "checked_at")} | {"errors": json.loads(r["errors"])}
            for r in conn.execute("SELECT * FROM fiscal_files WHERE fiscal_device_id = ? ORDER BY day_no DESC, "
                                  "file_sequence", (device_id,))]
