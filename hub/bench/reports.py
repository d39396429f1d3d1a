"""`soko-hub bench reports`: every report over two years of a busy store's history (about 1.5
million sale lines, hub.reports.generate), beside a reference, and sale commits while they run.

- Each report is read the way the hub reads it (`Database.read`: a reader connection of the hub's
  pool, one snapshot), for "this month" and for the longest custom period (92 days), RUNS times;
  the median is set beside the reference: a plain `COUNT(*)` of the same period's sale lines
  (sales joined to their lines) on the same pool. Target: every report within 1 s.
- Sale commits: a sale of three lines (through `ingest_sale`, its stock through the ledger) is
  committed on the hub's writer every COMMIT_INTERVAL_S, first alone, then while two reader threads
  run the reports back to back; p50 and p99 of each are set side by side. A report never takes
  the writer: the commit's latency while reports run is the proof.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import statistics
import time
import uuid
from pathlib import Path
from typing import Any

RUNS = 3
TARGET_S = 1.0
COMMIT_INTERVAL_S = 0.05
COMMIT_SECONDS = 8.0
REFERENCE_SQL = ("SELECT count(*) FROM sales s JOIN sale_lines l ON l.sale_id = s.id"
                 " WHERE s.occurred_at >= ? AND s.occurred_at < ?")


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds >= 0.01 else f"{seconds * 1000:.2f} ms"


def _periods(conn: Any) -> dict[str, Any]:
    from hub.reports import periods

    today = periods.today(conn)
    last = today - dt.timedelta(days=1)
    return {"this month": periods.resolve(conn, "month"),
            "92 days": periods.for_days(conn, last - dt.timedelta(days=periods.MAX_DAYS - 1), last)}


def _till(conn: Any) -> dict[str, str]:
    """A till, its cashier and an open shift to commit the benchmark's sales in."""
    device = conn.execute("SELECT id FROM devices ORDER BY code LIMIT 1").fetchone()[0]
    cashier = conn.execute("SELECT id, username FROM users WHERE username = 'cashier'").fetchone()
    shift = str(uuid.uuid4())
    stamp = conn.stamp()  # on the writer, inside its transaction
    conn.execute("UPDATE shifts SET status = 'closed', closed_at = opened_at WHERE status = 'open'"
                 " AND device_id = ? AND cashier_id = ?", (device, cashier[0]))
    conn.execute("INSERT INTO shifts (id, device_id, cashier_id, status, opened_at, created_at, updated_at)"
                 " VALUES (?, ?, ?, 'open', ?, ?, ?)", (shift, device, cashier[0], stamp, stamp, stamp))
    products = [r[0] for r in conn.execute(
        "SELECT p.id FROM products p JOIN product_prices pp ON pp.product_id = p.id AND pp.currency = 'USD'"
        " WHERE p.stock_tracked = 1 AND pp.price > 0 LIMIT 50")]
    return {"device": device, "cashier": cashier[0], "username": cashier[1], "shift": shift, "products": products}


def _sale_body(till: dict[str, Any], n: int) -> dict[str, Any]:
    lines = []
    for i in range(3):
        product = till["products"][(n * 3 + i) % len(till["products"])]
        lines.append({"name": "Bench item", "quantity": 1000, "unit_price": 100 + i, "total": 100 + i,
                      "product_id": product, "code": "", "discounts": [], "tax_rate_bp": 0, "tax_amount": 0,
                      "tax_code": "B"})
    total = sum(ln["total"] for ln in lines)
    return {"id": str(uuid.uuid4()), "sequence": 10_000_000 + n, "currency": "USD",
            "device_clock": dt.datetime.now(dt.timezone.utc).isoformat(), "lines": lines,
            "tenders": [{"method": "cash", "currency": "USD", "amount": total}], "subtotal": total,
            "discount_total": 0, "tax_total": 0, "rounding": 0, "total": total, "shift_id": till["shift"]}


def _commit(conn: Any, till: dict[str, Any], body: dict[str, Any]) -> None:
    from hub.db.audit import Actor
    from hub.sales.ingest import ingest_sale

    ingest_sale(conn, body, device_id=till["device"],
                caller=Actor(user_id=till["cashier"], username=till["username"], device_id=till["device"]))


async def _commits(db: Any, till: dict[str, Any], seconds: float, start: int) -> list[float]:
    latencies = []
    n = start
    ends = time.perf_counter() + seconds
    while time.perf_counter() < ends:
        body = _sale_body(till, n)
        n += 1
        began = time.perf_counter()
        await db.write(_commit, till, body)
        latencies.append(time.perf_counter() - began)
        await asyncio.sleep(max(0.0, COMMIT_INTERVAL_S - (time.perf_counter() - began)))
    return latencies


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def _measure(path: Path) -> dict[str, Any]:
    from hub.db.connection import Database
    from hub.reports import catalog

    db = Database(path, readers=3)
    db.open()
    try:
        chosen = await db.read(_periods)
        result: dict[str, Any] = {"periods": {}, "reports": {}}
        for label, period in chosen.items():
            times = []
            for _ in range(RUNS):
                began = time.perf_counter()
                lines = await db.read(lambda c, p=period: c.execute(REFERENCE_SQL, (p.since, p.until)).fetchone()[0])
                times.append(time.perf_counter() - began)
            result["periods"][label] = {"lines": lines, "reference": statistics.median(times),
                                        "from": period.first.isoformat(), "to": period.last.isoformat()}
            for name in catalog.REPORTS:
                times = []
                for _ in range(RUNS):
                    began = time.perf_counter()
                    await db.read(catalog.run, name, period)
                    times.append(time.perf_counter() - began)
                result["reports"][(name, label)] = statistics.median(times)
        till = await db.write(_till)
        result["commits_alone"] = await _commits(db, till, COMMIT_SECONDS, 0)
        stop = False
        ran = 0

        async def reporting() -> None:
            nonlocal ran
            names = list(catalog.REPORTS)
            i = 0
            while not stop:
                await db.read(catalog.run, names[i % len(names)], chosen["this month"])
                i += 1
                ran += 1

        readers = [asyncio.create_task(reporting()) for _ in range(2)]
        result["commits_reports"] = await _commits(db, till, COMMIT_SECONDS, 100_000)
        stop = True
        await asyncio.gather(*readers)
        result["reports_during_commits"] = ran

        def check(conn: Any) -> list[Any]:
            from hub.inventory import ledger
            found = []
            for (pid,) in conn.execute("SELECT product_id FROM stock_levels ORDER BY random() LIMIT 25"):
                found += ledger.check(conn, pid)
            return found

        result["ledger_differences"] = len(await db.read(check))
        return result
    finally:
        db.close()


def measure(path: Path, *, generate_days: int, generate_lines: int, progress: Any = print) -> dict[str, Any]:
    from hub.db.connection import connect
    from hub.reports.generate import generate

    generated = None
    if not path.exists():
        progress(f"generating {generate_lines:,} sale lines over {generate_days} days into {path}")
        generated = generate(path, days=generate_days, lines=generate_lines, progress=progress)
    conn = connect(path)
    try:
        held = {t: conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("sales", "sale_lines", "stock_movements")}
    finally:
        conn.close()
    result = asyncio.run(_measure(path))
    result["generated"] = generated
    result["held"] = held
    return result


def summary(result: dict[str, Any]) -> str:
    held, gen = result["held"], result["generated"]
    made = (f"generated in {gen['seconds']:.0f} s ({gen['voids']:,} voids, {gen['refunds']:,} refunds, "
            f"{gen['corrections']:,} corrections, {gen['training']:,} training sales)" if gen else "reused")
    periods = "; ".join(f"{label} {p['from']} to {p['to']}: {p['lines']:,} lines"
                        for label, p in result["periods"].items())
    return (f"History: {held['sales']:,} sales, {held['sale_lines']:,} sale lines, {held['stock_movements']:,} "
            f"stock movements, {made}. Periods: {periods}. Each report is the median of {RUNS} reads on the "
            f"hub's reader pool; the reference is a plain COUNT(*) of the period's sale lines on the same pool. "
            f"Sale commits (3 lines, ledger included) every {COMMIT_INTERVAL_S * 1000:.0f} ms for "
            f"{COMMIT_SECONDS:g} s alone, then while two readers ran {result['reports_during_commits']} reports. "
            f"Ledger check of 25 random products after: {result['ledger_differences']} differences.")


def rows(result: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    out = []
    for (name, label), seconds in result["reports"].items():
        reference = result["periods"][label]["reference"]
        out.append((f"{name}, {label}", _ms(seconds), _ms(reference), f"{seconds / reference:.1f}",
                    f"<= {TARGET_S:g} s" + ("" if seconds <= TARGET_S else " (missed)")))
    alone, during = result["commits_alone"], result["commits_reports"]
    for q, label in ((0.5, "p50"), (0.99, "p99")):
        a, d = _pct(alone, q), _pct(during, q)
        out.append((f"sale commit {label}, reports running / alone", _ms(d), _ms(a), f"{d / a:.2f}", "-"))
    out.append(("sale commits measured (alone, with reports)", f"{len(alone)}, {len(during)}", "-", "-", "-"))
    return out
