"""Facts as a hub sends them, for the collector's tests."""

from __future__ import annotations

import hashlib
import json
from typing import Any


def fact_hash(data: Any) -> str:
    return hashlib.sha256(json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
                          .encode("utf-8")).hexdigest()


def fact(seq: int, event_id: str, kind: str, data: dict[str, Any], occurred_at: str = "2026-11-20T08:00:00Z") -> dict:
    return {"seq": seq, "event_id": event_id, "kind": kind, "occurred_at": occurred_at, "hash": fact_hash(data),
            "data": data}


def sale(sale_id: str, currency: str = "USD", lines: list[tuple[str, str, int, int, int]] | None = None,
         occurred_at: str = "2026-11-20T08:00:00Z", **extra: Any) -> dict[str, Any]:
    """A sale's data: lines (product_id, category_id, quantity, total, tax) in tax-inclusive mode."""
    lines = lines or [("p1", "c1", 1000, 300, 30)]
    out = [{"line_no": n, "product_id": p, "code": p.upper(), "name": f"Product {p}", "category_id": c,
            "quantity": q, "unit_price": t, "total": t, "tax_amount": tax}
           for n, (p, c, q, t, tax) in enumerate(lines, start=1)]
    total = sum(line["total"] for line in out)
    return {"id": sale_id, "invoice_number": f"INV-{sale_id}", "currency": currency, "tax_mode": "inclusive",
            "subtotal": total, "discount_total": 0, "tax_total": sum(line["tax_amount"] for line in out),
            "total": total, "status": "completed", "occurred_at": occurred_at, "lines": out, "tenders": [],
            **extra}


def movement(movement_id: str, product_id: str, quantity: int, kind: str = "sale", unit_cost: int | None = 100,
             source_id: str | None = None, occurred_at: str = "2026-11-20T08:00:00Z") -> dict[str, Any]:
    return {"id": movement_id, "kind": kind, "product_id": product_id, "quantity": quantity, "unit_cost": unit_cost,
            "source_type": "sale" if kind == "sale" else kind, "source_id": source_id, "occurred_at": occurred_at}


def batch(hub_id: str, epoch: str, facts: list[dict]) -> dict[str, Any]:
    return {"hub_id": hub_id, "epoch": epoch, "facts": facts}


def sale_facts(start_seq: int, sale_ids: list[str], **kwargs: Any) -> list[dict]:
    return [fact(start_seq + i, sid, "sale", sale(sid, **kwargs)) for i, sid in enumerate(sale_ids)]
