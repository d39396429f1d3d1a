"""Rows of printing (m0019): printers, assignments, print jobs and test results.

Plain functions over a connection, named parameters, dicts back. The rules (who may, what is
audited) live in hub.printing.service; the worker (hub.printing.subsystem) moves jobs along.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from typing import Any

from hub.clock import format_ts, utc_now
from hub.ids import new_id

OPEN = ("queued", "printing", "held")  # a job the worker still owns
FINISHED = ("done", "failed", "cancelled")
ROLES = ("receipt", "label")
STORE = ""  # printer_assignments.device_id of the store itself

PRINTER_SQL = "SELECT * FROM printers WHERE id = :id"
PRINTERS_SQL = "SELECT * FROM printers ORDER BY name COLLATE NOCASE, id"
INSERT_PRINTER_SQL = """
INSERT INTO printers (id, name, address, profile, enabled, created_at, updated_at)
VALUES (:id, :name, :address, :profile, :enabled, :now, :now)
"""
UPDATE_PRINTER_SQL = """
UPDATE printers SET name = :name, address = :address, profile = :profile, enabled = :enabled,
       version = version + 1, updated_at = :now WHERE id = :id
"""
ASSIGNMENTS_SQL = """
SELECT a.*, p.name AS printer_name, coalesce(d.name, CASE WHEN a.device_id = '' THEN 'The store' END) AS till_name
FROM printer_assignments a JOIN printers p ON p.id = a.printer_id LEFT JOIN devices d ON d.id = a.device_id
ORDER BY a.device_id != '', till_name, a.role
"""
ASSIGNMENT_SQL = "SELECT * FROM printer_assignments WHERE device_id = :device_id AND role = :role"
PUT_ASSIGNMENT_SQL = """
INSERT INTO printer_assignments (device_id, role, printer_id, kick_drawer_on_cash, updated_at)
VALUES (:device_id, :role, :printer_id, :kick, :now)
ON CONFLICT (device_id, role) DO UPDATE SET printer_id = excluded.printer_id,
    kick_drawer_on_cash = excluded.kick_drawer_on_cash, updated_at = excluded.updated_at
"""
INSERT_JOB_SQL = """
INSERT INTO print_jobs (id, printer_id, kind, sale_id, device_id, payload, data, status, next_attempt_at,
                        created_by, created_at, updated_at)
VALUES (:id, :printer_id, :kind, :sale_id, :device_id, :payload, :data, 'queued', :due, :created_by, :now, :now)
"""
JOB_COLUMNS = ("id, printer_id, kind, sale_id, device_id, payload, status, attempts, next_attempt_at, last_error,"
               " created_by, created_at, updated_at, printed_at")
JOB_FROM = f"""
SELECT j.{JOB_COLUMNS.replace(', ', ', j.')}, length(j.data) AS data_bytes, p.name AS printer_name,
       s.invoice_number
FROM print_jobs j LEFT JOIN printers p ON p.id = j.printer_id LEFT JOIN sales s ON s.id = j.sale_id
"""
JOB_SQL = JOB_FROM + "WHERE j.id = :id"
JOBS_SQL = JOB_FROM + """
WHERE (:status IS NULL OR j.status = :status) AND (:printer_id IS NULL OR j.printer_id = :printer_id)
  AND (:sale_id IS NULL OR j.sale_id = :sale_id) AND (:after IS NULL OR j.id < :after)
ORDER BY j.id DESC LIMIT :limit
"""
# The head of a printer's queue (jobs print in the order they were queued; a held one holds the rest).
HEAD_SQL = """
SELECT * FROM print_jobs WHERE printer_id = :printer_id AND status IN ('queued', 'printing', 'held')
ORDER BY id LIMIT 1
"""
DUE_PRINTERS_SQL = """
SELECT j.printer_id, min(j.next_attempt_at) AS due FROM print_jobs j JOIN printers p ON p.id = j.printer_id
WHERE j.status IN ('queued', 'printing', 'held') AND p.enabled = 1 GROUP BY j.printer_id
"""
SET_JOB_SQL = """
UPDATE print_jobs SET status = :status, attempts = :attempts, next_attempt_at = :due, last_error = :error,
       payload = :payload, updated_at = :now, printed_at = :printed_at WHERE id = :id
"""
PRINTER_STATUS_SQL = """
UPDATE printers SET status = :status, status_detail = :detail, status_at = :now,
       last_error = coalesce(:error, last_error), last_error_at = CASE WHEN :error IS NULL THEN last_error_at
       ELSE :now END WHERE id = :id
"""
INSERT_TEST_SQL = """
INSERT INTO printer_tests (id, printer_id, kind, ok, detail, tested_by, tested_at)
VALUES (:id, :printer_id, :kind, :ok, :detail, :tested_by, :now)
"""
TESTS_SQL = """
SELECT t.*, p.name AS printer_name FROM printer_tests t JOIN printers p ON p.id = t.printer_id
WHERE (:printer_id IS NULL OR t.printer_id = :printer_id) ORDER BY t.tested_at DESC, t.id DESC LIMIT :limit
"""
WAITING_SQL = """
SELECT p.id, p.name, p.status, p.status_detail, p.last_error,
       (SELECT count(*) FROM print_jobs j WHERE j.printer_id = p.id AND j.status IN ('queued', 'held')) AS waiting
FROM printers p WHERE p.enabled = 1 AND p.status IN ('paper_out', 'cover_open', 'offline', 'error')
ORDER BY p.name
"""
FAILED_SQL = "SELECT count(*) FROM print_jobs WHERE status = 'failed' AND updated_at >= :since"


def now_text(after: float = 0.0) -> str:
    """The worker's clock (due times compare with it), `after` seconds from now."""
    return format_ts(utc_now() + dt.timedelta(seconds=after))


def printer(conn: sqlite3.Connection, printer_id: str) -> dict[str, Any] | None:
    row = conn.execute(PRINTER_SQL, {"id": printer_id}).fetchone()
    return dict(row) if row else None


def printers(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(PRINTERS_SQL)]


def insert_printer(conn: sqlite3.Connection, row: dict[str, Any]) -> str:
    printer_id = new_id()
    conn.execute(INSERT_PRINTER_SQL, {**row, "id": printer_id, "now": conn.stamp()})
    return printer_id


def update_printer(conn: sqlite3.Connection, printer_id: str, row: dict[str, Any]) -> None:
    conn.execute(UPDATE_PRINTER_SQL, {**row, "id": printer_id, "now": conn.stamp()})


def assignments(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(ASSIGNMENTS_SQL)]


def assignment(conn: sqlite3.Connection, device_id: str, role: str) -> dict[str, Any] | None:
    row = conn.execute(ASSIGNMENT_SQL, {"device_id": device_id, "role": role}).fetchone()
    return dict(row) if row else None


def put_assignment(conn: sqlite3.Connection, device_id: str, role: str, printer_id: str | None,
                   kick: bool) -> None:
    if printer_id is None:
        conn.execute("DELETE FROM printer_assignments WHERE device_id = :device_id AND role = :role",
                     {"device_id": device_id, "role": role})
    else:
        conn.execute(PUT_ASSIGNMENT_SQL, {"device_id": device_id, "role": role, "printer_id": printer_id,
                                          "kick": int(kick), "now": conn.stamp()})


def printer_for(conn: sqlite3.Connection, device_id: str | None, role: str) -> dict[str, Any] | None:
    """The till's own printer for `role`, else the store's; with the till's drawer setting."""
    for key in ((device_id, STORE) if device_id else (STORE,)):
        found = assignment(conn, key, role)
        if found:
            return found
    return None


def insert_job(conn: sqlite3.Connection, *, printer_id: str, kind: str, sale_id: str | None = None,
               device_id: str | None = None, payload: dict[str, Any] | None = None, data: bytes | None = None,
               created_by: str | None = None) -> str:
    job_id = new_id()
    conn.execute(INSERT_JOB_SQL, {"id": job_id, "printer_id": printer_id, "kind": kind, "sale_id": sale_id,
                                  "device_id": device_id, "payload": json.dumps(payload or {}, sort_keys=True),
                                  "data": data, "due": now_text(), "created_by": created_by,
                                  "now": conn.stamp()})
    return job_id


def _job(row: sqlite3.Row | None) -> dict[str, Any] | None:
    if row is None:
        return None
    found = dict(row)
    found["payload"] = json.loads(found["payload"])
    return found


def job(conn: sqlite3.Connection, job_id: str) -> dict[str, Any] | None:
    return _job(conn.execute(JOB_SQL, {"id": job_id}).fetchone())


def list_jobs(conn: sqlite3.Connection, *, status: str | None = None, printer_id: str | None = None,
              sale_id: str | None = None, after: str | None = None, limit: int = 50) -> list[dict[str, Any]]:
    rows = conn.execute(JOBS_SQL, {"status": status, "printer_id": printer_id, "sale_id": sale_id,
                                   "after": after, "limit": limit})
    return [_job(r) for r in rows]  # type: ignore[misc]


def head(conn: sqlite3.Connection, printer_id: str) -> dict[str, Any] | None:
    """The oldest unfinished job of a printer, with its bytes if it was queued with them."""
    return _job(conn.execute(HEAD_SQL, {"printer_id": printer_id}).fetchone())


def due_printers(conn: sqlite3.Connection) -> dict[str, str]:
    """Enabled printer id -> the earliest due time among its unfinished jobs."""
    return {r[0]: r[1] for r in conn.execute(DUE_PRINTERS_SQL)}


def set_job(conn: sqlite3.Connection, job_row: dict[str, Any], *, status: str, attempts: int | None = None,
            due: str | None = None, error: str | None = None, printed: bool = False) -> None:
    conn.execute(SET_JOB_SQL, {
        "id": job_row["id"], "status": status,
        "attempts": job_row["attempts"] if attempts is None else attempts,
        "due": due or job_row["next_attempt_at"], "error": job_row["last_error"] if error is None else error,
        "payload": json.dumps(job_row["payload"], sort_keys=True), "now": conn.stamp(),
        "printed_at": conn.stamp() if printed else job_row.get("printed_at")})


def set_printer_status(conn: sqlite3.Connection, printer_id: str, status: str, detail: str,
                       error: str | None = None) -> None:
    conn.execute(PRINTER_STATUS_SQL, {"id": printer_id, "status": status, "detail": detail, "error": error,
                                      "now": conn.stamp()})


def insert_test(conn: sqlite3.Connection, printer_id: str, kind: str, ok: bool, detail: str,
                tested_by: str | None) -> None:
    conn.execute(INSERT_TEST_SQL, {"id": new_id(), "printer_id": printer_id, "kind": kind, "ok": int(ok),
                                   "detail": detail, "tested_by": tested_by, "now": conn.stamp()})


def tests(conn: sqlite3.Connection, printer_id: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
    return [dict(r) for r in conn.execute(TESTS_SQL, {"printer_id": printer_id, "limit": limit})]


def waiting(conn: sqlite3.Connection) -> list[dict[str, Any]]:
    """Enabled printers whose last status holds jobs, with how many wait."""
    return [dict(r) for r in conn.execute(WAITING_SQL)]


def failed_since(conn: sqlite3.Connection, since: str) -> int:
    return int(conn.execute(FAILED_SQL, {"since": since}).fetchone()[0])
