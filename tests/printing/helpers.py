"""Printing test helpers: a printer configured through the API, assigned to a till, and waiting for jobs."""

from __future__ import annotations

import time
from typing import Any

import httpx

from tests.hubtest import Hub
from tests.people import query

PRINTERS, ASSIGN, JOBS = "/api/v1/printers", "/api/v1/printer-assignments", "/api/v1/print-jobs"


def add_printer(admin: httpx.Client, url: str, name: str = "Front till", profile: str = "80mm-48") -> str:
    r = admin.post(PRINTERS, json={"name": name, "address": url, "profile": profile})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def assign(admin: httpx.Client, printer_id: str | None, role: str = "receipt", device_id: str | None = None,
           kick: bool = False) -> None:
    r = admin.put(ASSIGN, json={"role": role, "printer_id": printer_id, "device_id": device_id,
                                "kick_drawer_on_cash": kick})
    assert r.status_code == 200, r.text


def job_rows(hub: Hub) -> list[dict[str, Any]]:
    cols = ("id", "kind", "status", "attempts", "last_error", "sale_id", "payload")
    return [dict(zip(cols, r)) for r in query(hub, f"SELECT {', '.join(cols)} FROM print_jobs ORDER BY id")]


def wait_job(admin: httpx.Client, job_id: str, status: str | tuple[str, ...], timeout: float = 10.0) -> dict[str, Any]:
    want = (status,) if isinstance(status, str) else status
    deadline = time.monotonic() + timeout
    while True:
        got = admin.get(f"{JOBS}/{job_id}").json()
        if got["status"] in want:
            return got
        if time.monotonic() > deadline:
            raise AssertionError(f"job {job_id} is {got['status']} ({got['last_error']}), not {want}")
        time.sleep(0.02)


def printer_row(admin: httpx.Client, printer_id: str) -> dict[str, Any]:
    return admin.get(f"{PRINTERS}/{printer_id}").json()
