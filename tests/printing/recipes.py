"""Printing objects for the shared oracles (access matrix, audit of every change, portal recipes):
printers on the dummy connector, a store receipt printer, a job the worker leaves alone."""

from __future__ import annotations

from typing import Any

from tests.people import People, unique

PRINTERS, ASSIGN, JOBS = "/api/v1/printers", "/api/v1/printer-assignments", "/api/v1/print-jobs"


def printer(p: People, *, enabled: bool = True, profile: str = "80mm-48") -> str:
    """A printer on the dummy connector (its output stays in memory)."""
    name = unique("Printer ")
    r = p.root.post(PRINTERS, json={"name": name, "address": f"dummy://{name.replace(' ', '-')}",
                                    "profile": profile, "enabled": enabled})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def store_receipt_printer(p: People) -> str:
    """The store's receipt printer (disabled, so its jobs wait where a test can see them)."""
    found = getattr(p, "store_printer", None)
    if found is None:
        found = printer(p, enabled=False)
        r = p.root.put(ASSIGN, json={"role": "receipt", "printer_id": found})
        assert r.status_code == 200, r.text
        p.store_printer = found  # type: ignore[attr-defined]
    return found


def waiting_job(p: People) -> str:
    """A queued test page on a disabled printer: the worker leaves it queued."""
    r = p.root.post(f"{PRINTERS}/{printer(p, enabled=False)}/tests", json={"kind": "test_page"})
    assert r.status_code == 202, r.text
    return r.json()["id"]


def printer_body() -> dict[str, Any]:
    name = unique("Printer ")
    return {"name": name, "address": f"dummy://{name.replace(' ', '-')}", "profile": "58mm-32"}


def store_label_printer(p: People) -> str:
    """The store's label printer (disabled, so its jobs wait)."""
    found = getattr(p, "label_printer", None)
    if found is None:
        found = printer(p, enabled=False, profile="zpl-50mm")
        r = p.root.put(ASSIGN, json={"role": "label", "printer_id": found})
        assert r.status_code == 200, r.text
        p.label_printer = found  # type: ignore[attr-defined]
    return found


def printer_form() -> dict[str, Any]:
    return {**printer_body(), "enabled": "1"}


def label_form(p: People) -> dict[str, Any]:
    from tests.catalogue import product_recipes

    store_label_printer(p)
    return {"codes": product_recipes.sku(p), "kind": "shelf", "copies": "1"}
