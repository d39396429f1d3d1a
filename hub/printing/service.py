"""Printing's rules: printers and their assignment to tills, jobs queued by people (reprints,
drawer opening, labels, tests) and by sales, retry and cancel. Each change by a person is one
write with one audit entry; the worker (hub.printing.subsystem) prints what is queued."""

from __future__ import annotations

import sqlite3
from typing import Any

from drivers.printers.connectors import AddressError, parse
from drivers.printers.profiles import PROFILES
from hub.catalogue._common import found
from hub.db import audit
from hub.db import devices as device_rows
from hub.db.audit import Actor
from hub.errors import ConflictError, FieldErrors
from hub.printing import jobs
from hub.printing import labels as label_reads

TEST_KINDS = ("test_page", "drawer_kick")
LABEL_KINDS = ("shelf", "sticker")
MAX_COPIES = 20


class NoPrinterError(ConflictError):
    code = "no_printer"


def _public(row: dict[str, Any]) -> dict[str, Any]:
    return {k: row[k] for k in ("name", "address", "profile", "enabled")}


def check_printer(values: dict[str, Any]) -> dict[str, Any]:
    """Name, address URL and profile checked; FieldErrors naming each bad field."""
    errors = []
    name = (values.get("name") or "").strip()
    if not name:
        errors.append(("name", "give the printer a name (such as Front till)"))
    try:
        parse(values.get("address") or "")
    except AddressError as err:
        errors.append(("address", str(err)))
    if values.get("profile") not in PROFILES:
        errors.append(("profile", f"choose one of {', '.join(PROFILES)}"))
    if errors:
        raise FieldErrors(errors)
    return {"name": name, "address": values["address"].strip(), "profile": values["profile"],
            "enabled": int(bool(values.get("enabled", True)))}


def _name_free(conn: sqlite3.Connection, name: str, printer_id: str | None) -> None:
    row = conn.execute("SELECT id FROM printers WHERE name = ? COLLATE NOCASE", (name,)).fetchone()
    if row and row[0] != printer_id:
        raise FieldErrors([("name", "another printer has this name")])


def create_printer(conn: sqlite3.Connection, actor: Actor, values: dict[str, Any]) -> dict[str, Any]:
    row = check_printer(values)
    _name_free(conn, row["name"], None)
    printer_id = jobs.insert_printer(conn, row)
    audit.append(conn, actor, "printer.created", "printer", printer_id, after=row)
    return found(jobs.printer(conn, printer_id), "printer")


def update_printer(conn: sqlite3.Connection, actor: Actor, printer_id: str, values: dict[str, Any]) -> dict[str, Any]:
    before = found(jobs.printer(conn, printer_id), f"printer {printer_id}")
    row = check_printer({**_public(before), **values})
    _name_free(conn, row["name"], printer_id)
    if row != _public(before):
        jobs.update_printer(conn, printer_id, row)
        audit.append(conn, actor, "printer.updated", "printer", printer_id, before=_public(before), after=row)
    return found(jobs.printer(conn, printer_id), "printer")


def set_assignment(conn: sqlite3.Connection, actor: Actor, device_id: str | None, role: str,
                   printer_id: str | None, kick_drawer_on_cash: bool = False) -> dict[str, Any]:
    """Which printer serves a till (or the store, device_id None) in a role; None takes it away."""
    key = device_id or jobs.STORE
    errors = []
    if device_id and device_rows.get_device(conn, device_id) is None:
        errors.append(("device_id", "there is no such till"))
    if printer_id and jobs.printer(conn, printer_id) is None:
        errors.append(("printer_id", "there is no such printer"))
    if role not in jobs.ROLES:
        errors.append(("role", "receipt or label"))
    if errors:
        raise FieldErrors(errors)
    before = jobs.assignment(conn, key, role)
    kick = bool(kick_drawer_on_cash) and role == "receipt" and printer_id is not None
    jobs.put_assignment(conn, key, role, printer_id, kick)
    after = {"printer_id": printer_id, "kick_drawer_on_cash": kick}
    was = {"printer_id": before["printer_id"], "kick_drawer_on_cash": bool(before["kick_drawer_on_cash"])} \
        if before else {"printer_id": None, "kick_drawer_on_cash": False}
    if was != after:
        audit.append(conn, actor, "printer.assigned", "printer_assignment", f"{key or 'store'}:{role}",
                     before=was, after=after)
    return {"device_id": device_id, "role": role, **after}


def _receipt_printer(conn: sqlite3.Connection, device_id: str | None, printer_id: str | None) -> str:
    if printer_id:
        found(jobs.printer(conn, printer_id), f"printer {printer_id}")
        return printer_id
    assigned = jobs.printer_for(conn, device_id, "receipt")
    if assigned is None:
        raise NoPrinterError("no receipt printer is assigned to this till or the store: assign one on the "
                             "Peripherals page")
    return assigned["printer_id"]


def reprint(conn: sqlite3.Connection, actor: Actor, sale_id: str, printer_id: str | None = None) -> dict[str, Any]:
    """Queue a copy of a sale's receipt (marked COPY) to its till's receipt printer (or the store's,
    or the one named); one audit entry `sale.reprinted`."""
    sale = found(conn.execute("SELECT id, device_id, invoice_number FROM sales WHERE id = ?", (sale_id,)).fetchone(),
                 f"sale {sale_id}")
    target = _receipt_printer(conn, sale["device_id"], printer_id)
    job_id = jobs.insert_job(conn, printer_id=target, kind="copy", sale_id=sale_id, device_id=sale["device_id"],
                             created_by=actor.username)
    audit.append(conn, actor, "sale.reprinted", "sale", sale_id,
                 detail={"job_id": job_id, "printer_id": target, "invoice_number": sale["invoice_number"]})
    return found(jobs.job(conn, job_id), "job")


def open_drawer(conn: sqlite3.Connection, actor: Actor, *, device_id: str | None = None,
                printer_id: str | None = None, reason: str = "") -> dict[str, Any]:
    """Kick the drawer on a till's receipt printer (or the named printer) without a sale; audited
    `drawer.opened` with the reason."""
    target = _receipt_printer(conn, device_id, printer_id)
    job_id = jobs.insert_job(conn, printer_id=target, kind="drawer", device_id=device_id,
                             payload={"reason": reason}, created_by=actor.username)
    audit.append(conn, actor, "drawer.opened", "printer", target,
                 detail={"job_id": job_id, "device_id": device_id, "reason": reason})
    return found(jobs.job(conn, job_id), "job")


def test_printer(conn: sqlite3.Connection, actor: Actor, printer_id: str, kind: str) -> dict[str, Any]:
    """Queue a test page or a drawer kick; its outcome is stored in printer_tests when it prints."""
    found(jobs.printer(conn, printer_id), f"printer {printer_id}")
    if kind not in TEST_KINDS:
        raise FieldErrors([("kind", "test_page or drawer_kick")])
    job_id = jobs.insert_job(conn, printer_id=printer_id, kind="test_page" if kind == "test_page" else "drawer",
                             payload={"test": kind}, created_by=actor.username)
    audit.append(conn, actor, "printer.tested", "printer", printer_id, detail={"job_id": job_id, "kind": kind})
    return found(jobs.job(conn, job_id), "job")


def print_labels(conn: sqlite3.Connection, actor: Actor, *, product_ids: list[str] | None, from_queue: bool,
                 kind: str = "shelf", copies: int = 1, printer_id: str | None = None,
                 clear_queue: bool = False, as_of: str | None = None) -> dict[str, Any]:
    """Queue shelf labels or barcode stickers for the products named or on the needs-new-label
    list to the label printer (the store's, or the one named); with `clear_queue`, the printed
    products come off that list (those changed again after `as_of` stay)."""
    from hub.catalogue.labels import service as label_queue

    errors = []
    ids = list(dict.fromkeys(product_ids or []))
    if from_queue:
        ids = list(dict.fromkeys(ids + label_queue.queued_ids(conn)))
    unknown = [i for i in ids if i not in label_reads.known(conn, ids)] if ids else []
    if unknown:
        errors.append(("product_ids", f"{len(unknown)} of the products do not exist"))
    elif not ids:
        errors.append(("product_ids", "name products, or print the needs-new-label list (which is empty)"))
    if kind not in LABEL_KINDS:
        errors.append(("kind", "shelf or sticker"))
    if not 1 <= copies <= MAX_COPIES:
        errors.append(("copies", f"from 1 to {MAX_COPIES}"))
    if errors:
        raise FieldErrors(errors)
    if printer_id:
        found(jobs.printer(conn, printer_id), f"printer {printer_id}")
        target = printer_id
    else:
        assigned = jobs.printer_for(conn, None, "label")
        if assigned is None:
            raise NoPrinterError("no label printer is assigned to the store: assign one on the Peripherals page")
        target = assigned["printer_id"]
    job_id = jobs.insert_job(conn, printer_id=target, kind="labels",
                             payload={"product_ids": ids, "kind": kind, "copies": copies},
                             created_by=actor.username)
    cleared = 0
    if clear_queue:
        from hub.db import labels as queue_rows

        cleared = queue_rows.clear(conn, ids, as_of)
    audit.append(conn, actor, "labels.printed", "label_queue", None,
                 detail={"job_id": job_id, "printer_id": target, "products": len(ids), "kind": kind,
                         "copies": copies, "cleared": cleared})
    return found(jobs.job(conn, job_id), "job")


def retry(conn: sqlite3.Connection, actor: Actor, job_id: str) -> dict[str, Any]:
    """A failed, cancelled or waiting job is due again now, its attempts counted afresh."""
    job = found(jobs.job(conn, job_id), f"print job {job_id}")
    if job["status"] == "done":
        raise ConflictError("this job has printed: reprint the receipt instead", code="job_done")
    jobs.set_job(conn, job, status="queued", attempts=0, due=jobs.now_text(), error="")
    audit.append(conn, actor, "print_job.retried", "print_job", job_id,
                 before={"status": job["status"], "attempts": job["attempts"]}, after={"status": "queued"})
    return found(jobs.job(conn, job_id), "job")


def cancel(conn: sqlite3.Connection, actor: Actor, job_id: str) -> dict[str, Any]:
    job = found(jobs.job(conn, job_id), f"print job {job_id}")
    if job["status"] not in ("queued", "held", "failed"):
        raise ConflictError(f"a {job['status']} job cannot be cancelled", code="job_finished")
    jobs.set_job(conn, job, status="cancelled")
    audit.append(conn, actor, "print_job.cancelled", "print_job", job_id,
                 before={"status": job["status"]}, after={"status": "cancelled"})
    return found(jobs.job(conn, job_id), "job")


def after_sale(conn: sqlite3.Connection, sale_id: str, device_id: str | None) -> str | None:
    """Called in a new sale's own transaction: when its till has a receipt printer on the hub,
    queue its receipt (one row; with a drawer kick when the till's setting says so and cash was
    tendered). Returns the printer's id it went to (for `wake`), or None."""
    if not device_id:
        return None
    assigned = jobs.assignment(conn, device_id, "receipt")
    if assigned is None:
        return None
    cash = conn.execute("SELECT 1 FROM sale_tenders WHERE sale_id = ? AND method = 'cash' LIMIT 1",
                        (sale_id,)).fetchone() is not None
    jobs.insert_job(conn, printer_id=assigned["printer_id"], kind="receipt", sale_id=sale_id, device_id=device_id,
                    payload={"kick": bool(assigned["kick_drawer_on_cash"]) and cash})
    return assigned["printer_id"]


def overview(conn: sqlite3.Connection) -> dict[str, Any]:
    """What the peripherals page and GET /api/v1/printers show."""
    return {"printers": jobs.printers(conn), "assignments": jobs.assignments(conn), "tests": jobs.tests(conn),
            "tills": [dict(r) for r in conn.execute(
                "SELECT id, name, coalesce(code, '') AS code FROM devices WHERE revoked_at IS NULL"
                " AND coalesce(kind, 'till') = 'till' ORDER BY name")]}
