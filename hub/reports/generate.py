"""Two years of a busy store's history for `soko-hub bench reports`: about 1.5 million sale lines,
written in one process straight into the real schema (executemany, a transaction per month).

What it holds, and what it does not (docs/reports.md, "The benchmark history"):
- the demo store and its demo catalogue (2,000 products, USD and ZWG, tax classes, categories);
- three tills, the demo users as cashiers, a shift per till per day, closed, with a float and
  close lines per currency (cash expected from the day's generated cash, counted a little off now
  and then): written as rows, not through hub.shifts (the reports read only these rows);
- sales with lines, approved discounts, tenders (cash with change, card, EcoCash, USD notes on a ZWG
  receipt) and rates as the till records them (half the ZWG sales carry their USD rate, the rest
  fall back to the store's exchange rate), about one in a hundred voided, one in two hundred partly
  refunded, one in five hundred given a price credit, one in five hundred a training sale;
- the stock ledger kept consistent: an opening receipt per product at its cost, a `sale`
  movement per line, a `void` movement bringing a voided sale's stock back, a `refund` movement
  per restocked refund line, all at the product's cost (the average never moves: one cost in),
  and the levels rebuilt from the movements by the ledger itself (`ledger.rebuild`), so
  `soko-hub stock check` finds nothing to fix.
Not generated: exceptions, audit entries, change-feed rows for sales (no till reads them here).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import sqlite3
import time
import uuid
import zoneinfo
from pathlib import Path
from typing import Any, Callable

from hub.clock import format_ts
from hub.pricing.rounding import div_round

SEED = 263
DAYS = 730
LINES_TARGET = 1_500_000
TILLS = ("T1", "T2", "T3")
ZWG_RATE, ZWG_SCALE = 26_783_400, 1_000_000  # 1 USD = 26.7834 ZWG
USD_PER_ZWG = (37_336, 1_000_000)  # 1 ZWG = 0.037336 USD (as a ZWG sale records it)


def _uuid7(rng: random.Random, at: dt.datetime) -> str:
    ms = int(at.timestamp() * 1000)
    value = (ms << 80) | (0x7 << 76) | (rng.getrandbits(12) << 64) | (0b10 << 62) | rng.getrandbits(62)
    return str(uuid.UUID(int=value))


def _busy(day: dt.date) -> float:
    factor = {4: 1.4, 5: 1.7, 6: 0.6}.get(day.weekday(), 1.0)
    return factor * (1.3 if day.day >= 27 or day.day == 1 else 1.0)


def create_store(path: Path) -> None:
    """A new demo store with its demo catalogue at `path`."""
    from hub.auth.passwords import SecretHasher
    from hub.setup import create_database, load_demo_catalogue

    create_database(path, store_name="Bench Store", store_code="BNCH", timezone="Africa/Harare",
                    hasher=SecretHasher(1, 8), demo=True)
    load_demo_catalogue(path)


def generate(path: Path, *, days: int = DAYS, lines: int = LINES_TARGET, seed: int = SEED,
             progress: Callable[[str], None] = lambda _: None) -> dict[str, Any]:
    """Create the store at `path` (which must not exist) and fill it; returns counts and timings."""
    from hub.db.connection import connect, transaction

    started = time.perf_counter()
    create_store(path)
    conn = connect(path)
    conn.execute("PRAGMA cache_size = -262144")  # 256 MB: the indexes stay in memory while it writes
    try:
        plan = _Plan(conn, random.Random(seed), days, lines)
        # Bulk load: the secondary indexes of the tables written go while it writes and come back
        # from their own definitions after (the schema ends as the migrations made it).
        indexes = conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL AND tbl_name IN"
            " ('sales', 'sale_lines', 'sale_tenders', 'sale_change', 'stock_movements', 'sale_line_discounts')"
            " AND sql NOT LIKE 'CREATE UNIQUE%'").fetchall()
        with transaction(conn):
            for name, _sql in indexes:
                conn.execute(f'DROP INDEX "{name}"')
            plan.setup()
        for month, rows in plan.months():
            with transaction(conn):
                plan.write(rows)
            progress(f"{month}: {plan.counts['sales']:,} sales, {plan.counts['lines']:,} lines")
        progress(f"indexing ({len(indexes)} indexes)")
        with transaction(conn):
            for _name, sql in indexes:
                conn.execute(sql)
            plan.finish()
        progress("stock levels from the ledger")
        with transaction(conn):
            plan.levels()
        conn.execute("ANALYZE")
    finally:
        conn.close()
    plan.counts["seconds"] = round(time.perf_counter() - started, 1)
    return dict(plan.counts)


class _Plan:
    def __init__(self, conn: sqlite3.Connection, rng: random.Random, days: int, lines: int) -> None:
        self.conn, self.rng, self.days = conn, rng, days
        self.zone = zoneinfo.ZoneInfo("Africa/Harare")
        self.counts: dict[str, Any] = {"sales": 0, "lines": 0, "voids": 0, "refunds": 0, "corrections": 0,
                                       "training": 0, "shifts": 0, "movements": 0}
        today = dt.datetime.now(dt.timezone.utc).astimezone(self.zone).date()
        self.first = today - dt.timedelta(days=days)
        self.last = today - dt.timedelta(days=1)
        self.per_day = lines / days / 2.75  # sales a day (2.6 lines a sale on average, busier days above 1)
        self.seq = {t: 0 for t in TILLS}

    def setup(self) -> None:
        conn, rng = self.conn, self.rng
        stamp = format_ts(dt.datetime.combine(self.first - dt.timedelta(days=2), dt.time(6), self.zone))
        self.users = {r["username"]: (r["id"], r["display_name"]) for r in conn.execute(
            "SELECT id, username, display_name FROM users")}
        self.cashiers = [self.users[u] for u in ("cashier", "supervisor", "manager") if u in self.users]
        self.tills = {}
        for name in TILLS:
            device = str(uuid.uuid4())
            conn.execute("INSERT INTO devices (id, name, platform, app_version, token_hash, paired_at, version,"
                         " created_at, updated_at, code) VALUES (?, ?, 'android', '1.0.0', ?, ?, 1, ?, ?, ?)",
                         (device, f"Till {name[1:]}", "bench-" + device, stamp, stamp, stamp, name))
            self.tills[name] = device
        rows = conn.execute(
            "SELECT p.id, p.sku, p.name, p.cost_price, p.stock_tracked, pp.price,"
            " (SELECT r.rate_bp FROM tax_rates r WHERE r.tax_class_id = p.tax_class_id"
            "  ORDER BY r.effective_from DESC LIMIT 1) AS rate_bp, p.tax_class_id, p.sold_by_weight"
            " FROM products p JOIN product_prices pp ON pp.product_id = p.id AND pp.currency = 'USD'"
            " WHERE p.archived_at IS NULL AND pp.price > 0 ORDER BY p.sku").fetchall()
        self.products = [dict(r) for r in rows][:1500]
        self.by_id = {p["id"]: p for p in self.products}
        weights = [rng.choice((1, 1, 1, 2, 2, 3, 5, 8, 13)) for _ in self.products]
        self.weights = weights
        self.cum_weights = list(__import__("itertools").accumulate(weights))
        total_weight = sum(weights)
        expected_lines = self.per_day * 2.6 * self.days * 1.15
        self.opening_stamp = stamp
        movements = []
        for p, w in zip(self.products, weights):
            p["tax_rate_bp"] = p["rate_bp"] or 0
            p["tax_code"] = "A" if p["tax_rate_bp"] else "B"
            p["cost"] = max(1, p["cost_price"] or p["price"] * 3 // 4)
            if p["stock_tracked"]:
                units = int(expected_lines * w / total_weight * (1.4 if p["sold_by_weight"] else 2.2)) + 200
                movements.append((str(uuid.uuid4()), "receipt", p["id"], min(units, 900_000) * 1000, p["cost"],
                                  "goods_receipt", "BENCH-OPENING", None, None, "bench", None, stamp, stamp, None,
                                  "Opening delivery"))
        self.write({"movements": movements})
        if not conn.execute("SELECT 1 FROM exchange_rates WHERE base = 'USD' AND quote = 'ZWG'").fetchone():
            conn.execute("INSERT INTO exchange_rates (id, base, quote, rate, rate_scale, effective_from, source,"
                         " created_at) VALUES (?, 'USD', 'ZWG', ?, ?, ?, 'store', ?)",
                         (str(uuid.uuid4()), ZWG_RATE, ZWG_SCALE, stamp, stamp))

    def months(self):
        day = self.first
        while day <= self.last:
            month = day.strftime("%Y-%m")
            rows: dict[str, list] = {}
            while day <= self.last and day.strftime("%Y-%m") == month:
                self._day(day, rows)
                day += dt.timedelta(days=1)
            yield month, rows

    def _local(self, day: dt.date, hour: float) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(int(hour), int(hour % 1 * 60)), self.zone).astimezone(dt.timezone.utc)

    def _day(self, day: dt.date, rows: dict[str, list]) -> None:
        rng = self.rng
        opens, closes = (8.0, 14.0) if day.weekday() == 6 else (7.5, 19.0)
        count = int(self.per_day * _busy(day) * rng.uniform(0.85, 1.15))
        for i, till in enumerate(TILLS):
            cashier = self.cashiers[(i + day.toordinal()) % len(self.cashiers)]
            start, end = self._local(day, opens), self._local(day, closes)
            shift = {"id": str(uuid.uuid4()), "till": till, "cashier": cashier, "start": start, "end": end,
                     "cash": {"USD": 0, "ZWG": 0}}
            n = count // len(TILLS)
            moments = sorted(start + dt.timedelta(seconds=rng.random() * (end - start).total_seconds() - 1)
                             for _ in range(n))
            for at in moments:
                self._sale(at, shift, rows)
            self._shift(shift, rows)

    def _shift(self, shift: dict[str, Any], rows: dict[str, list]) -> None:
        rng = self.rng
        self.counts["shifts"] += 1
        opened, closed = format_ts(shift["start"]), format_ts(shift["end"])
        cashier = shift["cashier"][0]
        rows.setdefault("shifts", []).append((shift["id"], self.counts["shifts"], self.tills[shift["till"]], cashier,
                                              "closed", opened, cashier, closed, cashier, 2, opened, closed))
        for currency, float_ in (("USD", 5000), ("ZWG", 50000)):
            rows.setdefault("floats", []).append((shift["id"], currency, float_))
            expected = float_ + shift["cash"][currency]
            off = rng.choice((0, 0, 0, 0, 0, 0, -50, -100, 20, 50, -10)) * (10 if currency == "ZWG" else 1)
            rows.setdefault("close_lines", []).append((shift["id"], "cash", "", currency, expected,
                                                       max(0, expected + off), max(0, expected + off) - expected))

    def _sale(self, at: dt.datetime, shift: dict[str, Any], rows: dict[str, list]) -> None:
        rng = self.rng
        till = shift["till"]
        currency = "ZWG" if rng.random() < 0.3 else "USD"
        sale_id = _uuid7(rng, at)
        stamp = format_ts(at)
        recorded = format_ts(at + dt.timedelta(seconds=rng.randint(1, 40)))
        training = rng.random() < 0.002
        n = min(12, max(1, int(rng.expovariate(1 / 2.1)) + 1))
        picked = rng.choices(self.products, cum_weights=self.cum_weights, k=n)
        seen: set[str] = set()
        lines, subtotal, discount_total, tax_total = [], 0, 0, 0
        for p in picked:
            if p["id"] in seen:
                continue
            seen.add(p["id"])
            price = p["price"] if currency == "USD" else div_round(p["price"] * ZWG_RATE, ZWG_SCALE)
            quantity = rng.randint(25, 250) * 10 if p["sold_by_weight"] else rng.choice((1, 1, 1, 1, 2, 2, 3, 6)) * 1000
            gross = div_round(quantity * price, 1000)
            discount = gross // 10 if rng.random() < 0.02 and gross >= 20 else 0
            net = gross - discount
            bp = p["tax_rate_bp"]
            tax = div_round(net * bp, 10000 + bp)
            line_no = len(lines)
            lines.append((sale_id, line_no, p["id"], p["sku"], p["name"], quantity, price, price, gross, discount,
                          p["tax_class_id"], p["tax_code"], bp, tax, net))
            if discount:
                rows.setdefault("discounts", []).append((sale_id, line_no, 0, discount, None,
                                                         self.users["supervisor"][0], "Damaged packaging"))
            subtotal += gross
            discount_total += discount
            tax_total += tax
        total = subtotal - discount_total
        self.seq[till] += 1
        rates: dict[str, list[int]] = {}
        roll = rng.random()
        change = []
        if currency == "ZWG" and rng.random() < 0.5:
            rates["USD"] = list(USD_PER_ZWG)
        if roll < 0.5:
            step = 100 if currency == "USD" else 1000
            handed = -(-total // step) * step + (step * rng.choice((0, 0, 1, 4)))
            tenders = [(sale_id, 0, "cash", "", "", currency, handed, 1, 1, handed)]
            if handed > total:
                change.append((sale_id, currency, handed - total, handed - total))
            shift["cash"][currency] += total
        elif roll < 0.53 and currency == "ZWG":  # USD notes for a ZWG receipt, change in ZWG
            rate, scale = USD_PER_ZWG
            owed = div_round(total * rate * 100, scale * 100)
            handed = max(100, -(-owed // 100) * 100)
            back = div_round(handed * scale, rate)
            rates["USD"] = [rate, scale]
            tenders = [(sale_id, 0, "cash", "", "", "USD", handed, rate, scale, back)]
            if back > total:
                change.append((sale_id, "ZWG", back - total, back - total))
            shift["cash"]["USD"] += handed
            shift["cash"]["ZWG"] -= max(0, back - total)
        elif roll < 0.75:
            tenders = [(sale_id, 0, "card", rng.choice(("CBZ", "Steward Bank", "FBC")), f"AUTH{rng.randint(1, 999999)}",
                        currency, total, 1, 1, total)]
        else:
            tenders = [(sale_id, 0, "mobile_money", rng.choice(("EcoCash", "EcoCash", "OneMoney", "InnBucks")),
                        f"MP{rng.randint(10**9, 10**10 - 1)}", currency, total, 1, 1, total)]
        if total <= 0:
            return
        cashier_id, cashier_name = shift["cashier"]
        device = self.tills[till]
        rows.setdefault("sales", []).append((
            sale_id, f"BNCH-{till}-{self.seq[till]}", "BNCH", till, self.seq[till], device, shift["id"], cashier_id,
            cashier_name, None, currency, json.dumps(rates, sort_keys=True), "inclusive", subtotal, discount_total,
            tax_total, 0, total, sum(t[9] for t in tenders), "completed", stamp, stamp, recorded,
            "bench", 1 if training else 0))
        rows.setdefault("lines", []).extend(lines)
        rows.setdefault("tenders", []).extend(tenders)
        rows.setdefault("change", []).extend(change)
        self.counts["sales"] += 1
        self.counts["lines"] += len(lines)
        if training:
            self.counts["training"] += 1
            return
        for ln in lines:
            p = self.by_id[ln[2]]
            if p["stock_tracked"]:
                rows.setdefault("movements", []).append((
                    _uuid7(rng, at), "sale", ln[2], -ln[5], p["cost"], "sale", sale_id, ln[1], cashier_id,
                    cashier_name, device, stamp, recorded, sale_id, ""))
        later = rng.random()
        if later < 0.01:
            self._void(sale_id, lines, at, shift, rows)
        elif later < 0.015:
            self._refund(sale_id, currency, lines, tenders, at, shift, rows)
        elif later < 0.017:
            self._correction(sale_id, currency, lines, at, shift, rows)

    def _void(self, sale_id: str, lines: list, at: dt.datetime, shift: dict, rows: dict[str, list]) -> None:
        when = format_ts(at + dt.timedelta(minutes=2))
        void_id = str(uuid.uuid4())
        supervisor = self.users["supervisor"]
        rows.setdefault("voids", []).append((void_id, sale_id, "Rung up twice", self.tills[shift["till"]],
                                             supervisor[0], supervisor[1], when, when, shift["id"]))
        for ln in lines:
            p = self.by_id[ln[2]]
            if p["stock_tracked"]:
                rows.setdefault("movements", []).append((
                    str(uuid.uuid4()), "void", ln[2], ln[5], p["cost"], "sale_void", void_id, ln[1], supervisor[0],
                    supervisor[1], self.tills[shift["till"]], when, when, void_id, ""))
        self.counts["voids"] += 1

    def _refund(self, sale_id: str, currency: str, lines: list, tenders: list, at: dt.datetime, shift: dict,
                rows: dict[str, list]) -> None:
        ln = lines[0]
        when = format_ts(at + dt.timedelta(minutes=30))
        refund_id = str(uuid.uuid4())
        cashier = shift["cashier"]
        amount, tax = ln[14], ln[13]
        if amount <= 0:
            return
        rows.setdefault("refunds", []).append((refund_id, sale_id, self.tills[shift["till"]], shift["id"], cashier[0],
                                               cashier[1], currency, "original", amount, tax, "Returned", when, when,
                                               when, "bench"))
        rows.setdefault("refund_lines", []).append((refund_id, 0, ln[1], sale_id, ln[2], ln[4], ln[5], amount,
                                                    ln[11], ln[12], tax, 1, ""))
        rows.setdefault("refund_tenders", []).append((refund_id, 0, 0, "cash", "", "", currency, amount, 1, 1, amount))
        p = self.by_id[ln[2]]
        if p["stock_tracked"]:
            rows.setdefault("movements", []).append((
                str(uuid.uuid4()), "refund", ln[2], ln[5], p["cost"], "sale_refund", refund_id, 0, cashier[0],
                cashier[1], self.tills[shift["till"]], when, when, refund_id, ""))
        self.counts["refunds"] += 1

    def _correction(self, sale_id: str, currency: str, lines: list, at: dt.datetime, shift: dict,
                    rows: dict[str, list]) -> None:
        ln = lines[0]
        amount = max(1, ln[14] // 10)
        bp = ln[12]
        tax = div_round(amount * bp, 10000 + bp)
        when = format_ts(at + dt.timedelta(minutes=10))
        correction_id = str(uuid.uuid4())
        cashier = shift["cashier"]
        rows.setdefault("corrections", []).append((correction_id, sale_id, self.tills[shift["till"]], shift["id"],
                                                   "credit", cashier[0], cashier[1], currency, "{}", amount, tax,
                                                   "Shelf price lower", when, when, when, "bench"))
        rows.setdefault("correction_lines", []).append((correction_id, 0, ln[1], "", ln[11], bp, amount, tax))
        rows.setdefault("correction_tenders", []).append((correction_id, 0, "cash", "", "", currency, amount, 1, 1,
                                                          amount))
        self.counts["corrections"] += 1

    SQL = {
        "sales": "INSERT INTO sales (id, invoice_number, store_code, till_code, sequence, device_id, shift_id,"
                 " cashier_id, cashier_name, customer_id, currency, rates, tax_mode, subtotal, discount_total,"
                 " tax_total, rounding, total, paid, status, occurred_at, device_clock, recorded_at, body_hash,"
                 " training) VALUES (" + ",".join("?" * 25) + ")",
        "lines": "INSERT INTO sale_lines (sale_id, line_no, product_id, code, name, quantity, unit_price,"
                 " catalogue_price, gross, discount, tax_class_id, tax_code, tax_rate_bp, tax_amount, total)"
                 " VALUES (" + ",".join("?" * 15) + ")",
        "discounts": "INSERT INTO sale_line_discounts (sale_id, line_no, seq, amount, promotion_id, approved_by,"
                     " reason) VALUES (?, ?, ?, ?, ?, ?, ?)",
        "tenders": "INSERT INTO sale_tenders (sale_id, seq, method, provider, reference, currency, amount, rate,"
                   " rate_scale, amount_receipt) VALUES (" + ",".join("?" * 10) + ")",
        "change": "INSERT INTO sale_change (sale_id, currency, amount, amount_receipt) VALUES (?, ?, ?, ?)",
        "voids": "INSERT INTO sale_voids (id, sale_id, reason, device_id, voided_by, voided_by_name, occurred_at,"
                 " recorded_at, shift_id) VALUES (" + ",".join("?" * 9) + ")",
        "refunds": "INSERT INTO sale_refunds (id, sale_id, device_id, shift_id, refunded_by, refunded_by_name,"
                   " currency, refund_to, total, tax_total, reason, occurred_at, device_clock, recorded_at,"
                   " body_hash) VALUES (" + ",".join("?" * 15) + ")",
        "refund_lines": "INSERT INTO sale_refund_lines (refund_id, line_no, sale_line_no, sale_id, product_id, name,"
                        " quantity, amount, tax_code, tax_rate_bp, tax_amount, restock, write_off_reason)"
                        " VALUES (" + ",".join("?" * 13) + ")",
        "refund_tenders": "INSERT INTO sale_refund_tenders (refund_id, seq, sale_tender_seq, method, provider,"
                          " reference, currency, amount, rate, rate_scale, amount_receipt)"
                          " VALUES (" + ",".join("?" * 11) + ")",
        "corrections": "INSERT INTO sale_corrections (id, sale_id, device_id, shift_id, kind, corrected_by,"
                       " corrected_by_name, currency, rates, total, tax_total, reason, occurred_at, device_clock,"
                       " recorded_at, body_hash) VALUES (" + ",".join("?" * 16) + ")",
        "correction_lines": "INSERT INTO sale_correction_lines (correction_id, line_no, sale_line_no, description,"
                            " tax_code, tax_rate_bp, amount, tax_amount) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        "correction_tenders": "INSERT INTO sale_correction_tenders (correction_id, seq, method, provider, reference,"
                              " currency, amount, rate, rate_scale, amount_receipt)"
                              " VALUES (" + ",".join("?" * 10) + ")",
        "movements": "INSERT INTO stock_movements (id, kind, product_id, quantity, unit_cost, source_type, source_id,"
                     " source_line, user_id, username, device_id, occurred_at, recorded_at, event_id, note)"
                     " VALUES (" + ",".join("?" * 15) + ")",
        "shifts": "INSERT INTO shifts (id, number, device_id, cashier_id, status, opened_at, opened_by, closed_at,"
                  " closed_by, version, created_at, updated_at) VALUES (" + ",".join("?" * 12) + ")",
        "floats": "INSERT INTO shift_floats (shift_id, currency, amount) VALUES (?, ?, ?)",
        "close_lines": "INSERT INTO shift_close_lines (shift_id, method, provider, currency, expected, counted,"
                       " variance) VALUES (?, ?, ?, ?, ?, ?, ?)",
    }
    ORDER = ("shifts", "floats", "close_lines", "sales", "lines", "discounts", "tenders", "change", "voids",
             "refunds", "refund_lines", "refund_tenders", "corrections", "correction_lines", "correction_tenders",
             "movements")

    def write(self, rows: dict[str, list]) -> None:
        for table in self.ORDER:
            if rows.get(table):
                self.conn.executemany(self.SQL[table], rows[table])
                if table == "movements":
                    self.counts["movements"] += len(rows[table])

    def finish(self) -> None:
        self.conn.stamp()  # type: ignore[attr-defined]

    def levels(self) -> None:
        """Each product's level from its movements, as the ledger's replay gives it when one cost ever
        came in (the average stays that cost; tests/reports/test_generate.py checks it with
        `ledger.check`): on hand is the movements' sum, the last movement the greatest seq."""
        from hub.db.changes import record_change
        from hub.inventory.projection import stock_value

        now = self.conn.stamp()  # type: ignore[attr-defined]
        for product_id, on_hand, last_seq, last_recorded in self.conn.execute(
                "WITH g AS (SELECT product_id, sum(quantity) AS q, max(seq) AS s FROM stock_movements GROUP BY"
                " product_id) SELECT g.product_id, g.q, g.s, m.recorded_at FROM g JOIN stock_movements m"
                " ON m.seq = g.s").fetchall():
            cost = self.by_id[product_id]["cost"]
            self.conn.execute(
                "INSERT INTO stock_levels (product_id, on_hand, avg_cost, value, baseline_id, baseline_at, last_seq,"
                " last_recorded_at, version, updated_at) VALUES (?, ?, ?, ?, NULL, NULL, ?, ?, 1, ?)",
                (product_id, on_hand, cost, stock_value(on_hand, cost), last_seq, last_recorded, now))
            record_change(self.conn, "stock_level", product_id, 1, "upsert", {"product_id": product_id,
                                                                               "on_hand": on_hand})
