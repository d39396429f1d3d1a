"""A print job's bytes: rendered when it is printed (in a reader thread), from the database as it
is then, or the bytes it was queued with."""

from __future__ import annotations

import sqlite3
from typing import Any

from drivers import labels as label_render
from drivers import receipts
from drivers.printers.profiles import PROFILES, DEFAULT_PROFILE, Profile
from hub.clock import format_ts, utc_now
from hub.printing import labels as label_reads
from hub.printing import receipt as receipt_reads


class UnprintableError(Exception):
    """The job cannot be printed on this printer at all (retrying will not help)."""


def profile_of(printer: dict[str, Any]) -> Profile:
    return PROFILES.get(printer["profile"], PROFILES[DEFAULT_PROFILE])


def job_bytes(conn: sqlite3.Connection, job: dict[str, Any], printer: dict[str, Any]) -> bytes:
    """The whole job as the printer's language; UnprintableError when it has none for it."""
    data = conn.execute("SELECT data FROM print_jobs WHERE id = ?", (job["id"],)).fetchone()
    if data and data[0] is not None:
        return bytes(data[0])
    profile = profile_of(printer)
    payload = job["payload"]
    kind = job["kind"]
    if kind == "labels":
        shelf = label_reads.shelf_labels(conn, payload.get("product_ids", []))
        if profile.language == "zpl":
            return label_render.render_zpl(shelf, payload.get("kind", "shelf"), payload.get("copies", 1))
        return label_render.render_escpos(shelf, profile, payload.get("kind", "shelf"), payload.get("copies", 1))
    if profile.language != "escpos":
        raise UnprintableError(f"{printer['name']} is a label printer: it prints labels only")
    if kind in ("receipt", "copy") and payload.get("note_id"):  # a fiscal credit or debit note (hub.fiscal.notes)
        from hub.fiscal import notes

        return receipts.render_escpos(notes.build(conn, job["sale_id"], payload["note_id"], copy=kind == "copy"),
                                      profile)
    if kind in ("receipt", "copy"):
        receipt = receipt_reads.build(conn, job["sale_id"], copy=kind == "copy")
        kick = bool(payload.get("kick")) and not payload.get("kicked")
        return receipts.render_escpos(receipt, profile, kick_drawer=kick)
    if kind == "drawer":
        if not profile.drawer:
            raise UnprintableError(f"{printer['name']} has no drawer port (profile {profile.key})")
        return receipts.drawer_kick()
    if kind == "test_page":
        lines = [("Printer", printer["name"]), ("Address", printer["address"]), ("Profile", profile.key),
                 ("Columns", str(profile.columns)), ("Printed", format_ts(utc_now())[:19] + "Z")]
        ruler = ("1234567890" * 8)[:profile.columns]
        return receipts.render_slip("Soko Hub test page", lines, "SOKO-TEST " + printer["name"] if profile.qr else "",
                                    profile, notes=(ruler, "Abc 0123 ÄÖÜ é £"))
    if kind == "status_slip":
        return receipts.render_slip(payload.get("title") or "Soko Hub", [tuple(p) for p in payload.get("lines", [])],  # type: ignore[misc]
                                    payload.get("url", ""), profile, notes=tuple(payload.get("notes", ())))
    raise UnprintableError(f"unknown job kind {kind}")
