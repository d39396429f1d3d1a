"""The demo store's sales history: a few weeks of trading across three tills, generated from a seed.

`load_demo_history(path_or_conn, seed=..., days=21)` fills a demo store that has its demo
catalogue (hub.setup.load_demo_catalogue) and nothing sold yet. Everything goes through the
features' own functions, so the pages show what the features compute: three tills paired as real
devices (their tokens are thrown away, never shown), shifts opened with USD and ZWG floats and
closed with counted cash (hub.shifts.service), pay-outs and safe drops, sales through
hub.sales.ingest.ingest_sale (stock moves through the ledger), voids (hub.sales.voids) and two
rounds of posted goods receipts (hub.inventory.receiving.service) so stock stays positive.

Trading follows the store's time zone: 07:30-19:00 Monday to Saturday, 08:00-14:00 on Sunday;
Fridays, Saturdays and month-end are busier. Receipts are in USD and ZWG (ZWG prices derived at
the catalogue's exchange rate); tenders are cash, card and EcoCash/OneMoney/InnBucks with
references, a few foreign-currency cash tenders with change; a few sales raise exceptions (a
price override or a discount nobody approved) and some discounts are approved by the supervisor.
Today's shifts stay open, as in a store at mid-day.

While it loads, the hub's clock is the simulated one (each fact is stamped at the moment it
happened); afterwards the time floor is put back. One transaction per trading day.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import sqlite3
import uuid
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hub.catalogue.pricing_settings.service import tax_mode
from hub.clock import format_ts, utc_now
from hub.db import audit, meta
from hub.db.audit import Actor
from hub.db.connection import connect, transaction
from hub.db.pricing import load_catalogue
from hub.db.settings import get_setting
from hub.devices import service as devices
from hub.inventory.receiving import service as receiving
from hub.licenses.service import TRIAL_DEVICES
from hub.pricing.prices import unit_price
from hub.pricing.rounding import QUANTITY_SCALE, div_round
from hub.sales import money
from hub.sales.ingest import ingest_sale
from hub.sales.voids import void_sale
from hub.shifts import service as shifts

DEMO_HISTORY_SEED = 263
DEMO_DAYS = 21
TILLS = ("T1", "T2", "T3")
ASSORTMENT = 320  # products the demo store actually sells
RECEIPT_LINES = 200  # lines per goods receipt
# (open, close) local times; weekday() 0 = Monday.
HOURS = {d: (dt.time(7, 30), dt.time(19, 0)) for d in range(6)} | {6: (dt.time(8, 0), dt.time(14, 0))}
SALES_PER_HOUR = 1.2  # per open till on an ordinary weekday (ingest takes about 6 ms a sale)
ZWG_RATE, ZWG_RATE_SCALE = 26_783_400, 1_000_000  # hub.catalogue.demo: 1 USD = 26.7834 ZWG
FLOATS = {"USD": 5000, "ZWG": 50000}
MOBILE = (("EcoCash", 70), ("OneMoney", 15), ("InnBucks", 15))
CARD_PROVIDERS = ("CBZ", "Steward Bank", "FBC")
VOID_REASONS = ("Customer changed their mind", "Wrong items rung up", "Card payment failed after printing",
                "Customer could not pay the full amount", "Duplicate sale")
DISCOUNT_REASONS = ("Damaged packaging", "Near expiry date", "Price match", "Loyal customer goodwill")


class DemoHistoryError(ValueError):
    """The history cannot be loaded as asked; the message says why."""


class _SimFloor:
    """The hub's clock while the history loads: the simulated moment, strictly increasing."""

    def __init__(self, start: dt.datetime) -> None:
        self.at = start
        self._last: dt.datetime | None = None

    @property
    def value(self) -> str | None:
        return format_ts(self._last) if self._last else None

    def behind_by(self, now: dt.datetime | None = None) -> dt.timedelta:
        return dt.timedelta(0)

    def stamp(self) -> str:
        moment = self.at if self._last is None or self.at > self._last else self._last + dt.timedelta(microseconds=1)
        self._last = moment
        return format_ts(moment)


@dataclass
class _Event:
    at: dt.datetime  # UTC
    order: int
    kind: str  # receipt, open, sale, void, move, close
    data: dict[str, Any] = field(default_factory=dict)


def _uuid7(rng: random.Random, at: dt.datetime) -> str:
    """A UUIDv7 at `at` whose random bits come from `rng`: sortable and the same for a seed."""
    ms = int(at.timestamp() * 1000)
    value = (ms << 80) | (0x7 << 76) | (rng.getrandbits(12) << 64) | (0b10 << 62) | rng.getrandbits(62)
    return str(uuid.UUID(int=value))


def _busy(day: dt.date) -> float:
    """How much busier than an ordinary weekday: Fridays, Saturdays and month-end (pay day)."""
    factor = {4: 1.5, 5: 1.8, 6: 0.7}.get(day.weekday(), 1.0)
    last = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    if day.day >= last.day - 2 or day.day == 1:
        factor *= 1.4
    return factor


def load_demo_history(target: Path | str | sqlite3.Connection, *, seed: int = DEMO_HISTORY_SEED,
                      days: int = DEMO_DAYS, today: dt.date | None = None) -> dict[str, int]:
    """Fill a demo store (with its demo catalogue, nothing sold yet) with `days` days of trading
    ending `today` (the store's local date; default today), the same for the same seed and day.
    Returns counts of what was made."""
    if not 1 <= days <= 120:
        raise DemoHistoryError("days must be between 1 and 120")
    own = not isinstance(target, sqlite3.Connection)
    conn = connect(Path(target)) if own else target
    try:
        return _load(conn, seed=seed, days=days, today=today)
    finally:
        if own:
            conn.close()


def _load(conn: Any, *, seed: int, days: int, today: dt.date | None) -> dict[str, int]:
    if not meta.is_demo(conn):
        raise DemoHistoryError("the demo history goes only into a demo store")
    zone = zoneinfo.ZoneInfo(get_setting(conn, "store.timezone", "Africa/Harare"))
    real_now = utc_now()
    local_today = real_now.astimezone(zone).date()
    today = today or local_today
    if today > local_today:
        raise DemoHistoryError("today cannot be later than the store's date: facts are never stamped in the future")
    if conn.execute("SELECT count(*) FROM products").fetchone()[0] == 0:
        raise DemoHistoryError("load the demo catalogue first")
    if conn.execute("SELECT count(*) FROM sales").fetchone()[0] or conn.execute(
            "SELECT count(*) FROM devices").fetchone()[0]:
        raise DemoHistoryError("the store has tills or sales already: the history goes into a new demo store")
    # Today's trading stops at mid-day (or now, when the real today is earlier in the day).
    cutoff = dt.datetime.combine(today, dt.time(13, 0), zone).astimezone(dt.timezone.utc)
    if today == local_today:
        cutoff = min(cutoff, real_now - dt.timedelta(minutes=1))
    rng = random.Random(seed)
    plan = _Plan(conn, rng, zone, today, days, cutoff)
    plan.build()
    real_floor = conn.floor
    sim = _SimFloor(plan.events[0].at)
    conn.floor = sim
    counts: dict[str, int] = defaultdict(int)
    try:
        runner = _Runner(conn, plan, sim, counts)
        with transaction(conn):
            runner.pair_tills()
        for _day, events in plan.by_day():
            with transaction(conn):
                for event in events:
                    runner.run(event)
    finally:
        conn.floor = real_floor
    with transaction(conn):
        conn.stamp()  # the time floor back to the hub's latest time
        audit.append(conn, Actor.system("setup"), "sales.demo_history_loaded", "store", None,
                     detail={"seed": seed, "days": days, "today": today.isoformat(), **counts})
    return dict(counts)


class _Plan:
    """Every event of the history, generated up front from the seed (nothing read from the clock)."""

    def __init__(self, conn: Any, rng: random.Random, zone: dt.tzinfo, today: dt.date, days: int,
                 cutoff: dt.datetime) -> None:
        self.conn, self.rng, self.zone, self.today, self.days, self.cutoff = conn, rng, zone, today, days, cutoff
        self.first = today - dt.timedelta(days=days - 1)
        self.events: list[_Event] = []
        self.users = {r["username"]: r["id"] for r in conn.execute("SELECT id, username FROM users")}
        self.mode = tax_mode(conn)
        self._order = 0

    def _add(self, at: dt.datetime, event: str, /, **data: Any) -> None:
        self._order += 1
        self.events.append(_Event(at, self._order, event, data))

    def _local(self, day: dt.date, moment: dt.time) -> dt.datetime:
        return dt.datetime.combine(day, moment, self.zone).astimezone(dt.timezone.utc)

    def by_day(self) -> list[tuple[dt.date, list[_Event]]]:
        out: dict[dt.date, list[_Event]] = {}
        for event in self.events:
            out.setdefault(event.at.astimezone(self.zone).date(), []).append(event)
        return sorted(out.items())

    def _assortment(self) -> None:
        rows = self.conn.execute(
            "SELECT p.id, p.sold_by_weight, p.stock_tracked, u.decimals AS unit_decimals FROM products p"
            " JOIN units u ON u.id = p.unit_id WHERE p.archived_at IS NULL ORDER BY p.sku").fetchall()
        weighed = [r for r in rows if r["sold_by_weight"]]
        shelf = [r for r in rows if not r["sold_by_weight"]]
        chosen = self.rng.sample(weighed, min(20, len(weighed))) + self.rng.sample(
            shelf, min(ASSORTMENT - 20, len(shelf)))
        at = format_ts(self._local(self.today, dt.time(12, 0)))
        catalogue = load_catalogue(self.conn, [r["id"] for r in chosen], at=at)
        self.products = []
        for r in chosen:
            product = catalogue["products"].get(r["id"])
            if product is None:
                continue
            prices = {c: unit_price(catalogue, product, c, None) for c in ("USD", "ZWG")}
            if None in prices.values():
                continue
            rates = (catalogue["tax_classes"].get(product["tax_class"]) or {}).get("rates") or []
            rate_bp = max(rates, key=lambda x: x["from"])["rate_bp"] if rates else 0
            name = self.conn.execute("SELECT receipt_name, name, sku FROM products WHERE id = ?", (r["id"],)).fetchone()
            self.products.append({"id": r["id"], "name": name["receipt_name"] or name["name"], "sku": name["sku"],
                                  "weighed": bool(r["sold_by_weight"]), "tracked": bool(r["stock_tracked"]),
                                  "tax_class_id": product["tax_class"], "tax_rate_bp": rate_bp,
                                  "tax_code": "A" if rate_bp else "B", "prices": prices,
                                  "weight": self.rng.choice((1, 1, 1, 2, 2, 3, 5, 8))})
        self.weights = [p["weight"] for p in self.products]

    def build(self) -> None:
        self._assortment()
        self.sold: list[dict[str, int]] = [defaultdict(int), defaultdict(int)]
        half = self.first + dt.timedelta(days=self.days // 2)
        cashiers = [self.users[u] for u in ("cashier", "supervisor", "manager")]
        for n in range(self.days):
            day = self.first + dt.timedelta(days=n)
            opens, closes = HOURS[day.weekday()]
            start, end = self._local(day, opens), self._local(day, closes)
            is_today = day == self.today
            if is_today:
                end = min(end, self.cutoff)
                start = min(start, end - dt.timedelta(minutes=5))
            busy = _busy(day)
            tills = TILLS if busy >= 1.0 or self.rng.random() < 0.5 else TILLS[:2]
            split = busy >= 1.4 or self.rng.random() < 0.3
            period = 0 if day < half else 1
            for i, till in enumerate(tills):
                windows = [(start, end)]
                if split and (end - start) > dt.timedelta(hours=3):
                    middle = start + (end - start) / 2 + dt.timedelta(minutes=self.rng.randint(-20, 20))
                    windows = [(start, middle), (middle, end)]
                for k, (w_start, w_end) in enumerate(windows):
                    cashier = cashiers[(i + k + n) % 3]
                    self._shift(till, cashier, w_start + dt.timedelta(minutes=self.rng.randint(0, 8)), w_end,
                                busy * (0.7 if till == "T3" else 1.0), period, closing=not is_today)
        start = self._local(self.first, dt.time(6, 30))
        self.events.sort(key=lambda e: (e.at, e.order))
        # Goods received before trading starts, and again half way, for what the history sells.
        self._receipt(start - dt.timedelta(minutes=30), self.sold[0], "Opening stock")
        if self.sold[1]:
            self._receipt(self._local(half, dt.time(6, 45)), self.sold[1], "Weekly delivery")
        self.events.sort(key=lambda e: (e.at, e.order))

    def _receipt(self, at: dt.datetime, sold: dict[str, int], note: str) -> None:
        lines = []
        for product in self.products:
            if not product["tracked"]:
                continue
            quantity = sold.get(product["id"], 0)
            units = math.ceil(quantity * 1.3 / 1000) + (2 if product["weighed"] else 6)
            lines.append({"product_id": product["id"], "quantity": units * 1000})
        self._add(at, "receipt", lines=lines, note=note)

    def _shift(self, till: str, cashier: str, start: dt.datetime, end: dt.datetime, busy: float,
               period: int, *, closing: bool) -> None:
        rng = self.rng
        start = min(start, end - dt.timedelta(minutes=2))
        key = _uuid7(rng, start)
        floats = [{"currency": c, "amount": a} for c, a in FLOATS.items()]
        self._add(start, "open", shift=key, till=till, cashier=cashier, floats=floats)
        hours = (end - start).total_seconds() / 3600
        count = int(hours * SALES_PER_HOUR * busy * rng.uniform(0.8, 1.2))
        count = max(1, count) if closing else count  # today's shifts may have just opened
        span = max(60.0, (end - start).total_seconds() - 120)
        times = sorted(start + dt.timedelta(seconds=60 + rng.random() * span) for _ in range(count))
        for at in times:
            sale = self._sale(at, till, cashier, key)
            for line in sale["body"]["lines"]:
                self.sold[period][line["product_id"]] += line["quantity"]
            self._add(at, "sale", **sale)
            if rng.random() < 0.012:
                void_at = at + dt.timedelta(minutes=rng.randint(1, 5))
                if void_at < end:
                    self._add(void_at, "void", sale_id=sale["body"]["id"], till=till,
                              reason=rng.choice(VOID_REASONS))
        if rng.random() < 0.35:  # a pay-out now and then
            kind, reason, note = rng.choice((("expenses", "expenses", "Cleaning materials"),
                                             ("wages", "wages", "Casual loader"),
                                             ("expenses", "expenses", "Bread delivery tip")))
            self._add(start + (end - start) * rng.uniform(0.3, 0.7), "move", shift=key, till=till, cashier=cashier,
                      kind="pay_out", reason=reason, note=note, currency="USD",
                      amount=rng.choice((300, 500, 1000, 1500)))
        if closing or rng.random() < 0.5:
            self._add(start + (end - start) * rng.uniform(0.55, 0.85), "move", shift=key, till=till, cashier=cashier,
                      kind="safe_drop", reason="too_much_cash", note="", currency="USD", amount=0)
        if closing:
            variance = {c: rng.choice((0, 0, 0, 0, 0, -50, -100, 20, 50, -10)) * (10 if c == "ZWG" else 1)
                        for c in FLOATS}
            self._add(end, "close", shift=key, till=till, cashier=cashier, variance=variance)

    def _sale(self, at: dt.datetime, till: str, cashier: str, shift: str) -> dict[str, Any]:
        rng = self.rng
        currency = "ZWG" if rng.random() < 0.3 else "USD"
        n = min(12, max(1, int(rng.expovariate(1 / 3.0)) + 1))
        picked = rng.choices(self.products, weights=self.weights, k=n)
        seen: set[str] = set()
        lines = []
        exception = rng.random()
        for product in picked:
            if product["id"] in seen:
                continue
            seen.add(product["id"])
            price = product["prices"][currency]
            if product["weighed"]:  # 250 g to 2.5 kg off the scale
                quantity = rng.randint(25, 250) * 10
            else:
                quantity = rng.choice((1, 1, 1, 1, 2, 2, 3, 6)) * 1000
            discounts: list[dict[str, Any]] = []
            gross = div_round(quantity * price, QUANTITY_SCALE)
            if exception < 0.01 and not lines:  # a price typed over without approval: price_mismatch
                price = max(1, price * 9 // 10)
                gross = div_round(quantity * price, QUANTITY_SCALE)
            elif exception < 0.02 and not lines and gross >= 20:  # a discount nobody approved
                discounts.append({"amount": gross // 10, "reason": rng.choice(DISCOUNT_REASONS)})
            elif exception < 0.06 and not lines and gross >= 20:  # approved by the supervisor
                discounts.append({"amount": gross // 10, "approved_by": self.users["supervisor"],
                                  "reason": rng.choice(DISCOUNT_REASONS)})
            net = gross - sum(d["amount"] for d in discounts)
            bp = product["tax_rate_bp"]
            if self.mode == "exclusive":
                tax = div_round(net * bp, 10000)
            else:
                tax = div_round(net * bp, 10000 + bp)
            lines.append({"name": product["name"], "quantity": quantity, "unit_price": price, "total": net,
                          "product_id": product["id"], "code": product["sku"], "discounts": discounts,
                          "tax_class_id": product["tax_class_id"], "tax_code": product["tax_code"],
                          "tax_rate_bp": bp, "tax_amount": tax})
        subtotal = sum(div_round(ln["quantity"] * ln["unit_price"], QUANTITY_SCALE) for ln in lines)
        discount = sum(d["amount"] for ln in lines for d in ln["discounts"])
        tax = sum(ln["tax_amount"] for ln in lines)
        total = subtotal - discount + (tax if self.mode == "exclusive" else 0)
        tenders, change, rates = self._tenders(currency, total)
        body = {"id": _uuid7(rng, at), "currency": currency, "device_clock": at.isoformat(), "lines": lines,
                "tenders": tenders, "change": change, "rates": rates, "subtotal": subtotal,
                "discount_total": discount, "tax_total": tax, "rounding": 0, "total": total}
        return {"body": body, "till": till, "cashier": cashier, "shift": shift}

    def _tenders(self, currency: str, total: int) -> tuple[list, list, list]:
        rng = self.rng
        other = "ZWG" if currency == "USD" else "USD"
        roll = rng.random()
        ref = f"{rng.randint(10**9, 10**10 - 1)}"
        if roll < 0.03:  # foreign cash with change in it
            if currency == "USD":
                rate, scale = ZWG_RATE, ZWG_RATE_SCALE
            else:
                rate, scale = div_round(ZWG_RATE_SCALE * 10**12, ZWG_RATE), 10**12
            owed = money.from_receipt(total, rate, scale, 2, 2)
            note = 1000 if other == "USD" else 5000  # $10 or ZiG50 notes
            handed = max(note, -(-owed // note) * note)
            tenders = [{"method": "cash", "currency": other, "amount": handed}]
            change = [{"currency": other, "amount": handed - owed}] if handed > owed else []
            return tenders, change, [{"currency": other, "rate": rate, "rate_scale": scale}]
        if roll < 0.55:
            step = 100 if currency == "USD" else 1000
            handed = -(-total // step) * step
            if rng.random() < 0.4:
                handed += step * rng.choice((1, 4, 9))
            change = [{"currency": currency, "amount": handed - total}] if handed > total else []
            return [{"method": "cash", "currency": currency, "amount": handed}], change, []
        if roll < 0.72:
            return [{"method": "card", "currency": currency, "amount": total, "provider": rng.choice(CARD_PROVIDERS),
                     "reference": f"AUTH{ref[:6]}"}], [], []
        names, weights = zip(*MOBILE)
        provider = rng.choices(names, weights=weights)[0]
        prefix = {"EcoCash": "MP", "OneMoney": "OM", "InnBucks": "IB"}[provider]
        return [{"method": "mobile_money", "currency": currency, "amount": total, "provider": provider,
                 "reference": f"{prefix}{ref}"}], [], []


class _Runner:
    """Plays the plan through the features' functions, at each event's moment."""

    def __init__(self, conn: Any, plan: _Plan, sim: _SimFloor, counts: dict[str, int]) -> None:
        self.conn, self.plan, self.sim, self.counts = conn, plan, sim, counts
        self.names = {r["id"]: r["username"] for r in conn.execute("SELECT id, username FROM users")}
        self.manager = Actor(user_id=plan.users["manager"], username="manager")
        self.tills: dict[str, str] = {}
        self.shifts: dict[str, str] = {}  # planned key -> shift id
        self.sequence: dict[str, int] = defaultdict(int)
        self.dropped: dict[str, bool] = {}

    def actor(self, user_id: str, till: str) -> Actor:
        return Actor(user_id=user_id, username=self.names[user_id], device_id=self.tills[till])

    def pair_tills(self) -> None:
        """T1-T3 paired with one-time codes as a manager pairs them; the tokens are dropped unseen."""
        self.sim.at = self.plan.events[0].at - dt.timedelta(hours=1)
        for i, name in enumerate(TILLS):
            code = devices.create_pairing_code(self.conn, self.manager)["code"]
            # The trial allows TRIAL_DEVICES tills; the demo's third holds no seat.
            paired = devices.pair(self.conn, devices.normalise_code(code), name=name, platform="android",
                                  app_version="1.0.0", serial=f"DEMO-{name}", address=None, request_id=None,
                                  demo_seatless=i >= TRIAL_DEVICES)
            device_id = paired["device_id"]
            self.tills[name] = device_id
            self.counts["tills"] += 1

    def run(self, event: _Event) -> None:
        self.sim.at = event.at
        getattr(self, f"_{event.kind}")(**event.data)

    def _receipt(self, lines: list[dict[str, Any]], note: str) -> None:
        suppliers: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for line in lines:
            row = self.conn.execute("SELECT supplier_id FROM product_suppliers WHERE product_id = ? ORDER BY"
                                    " supplier_id LIMIT 1", (line["product_id"],)).fetchone()
            if row is not None:
                suppliers[row[0]].append(line)
        for supplier_id, given in sorted(suppliers.items()):
            for start in range(0, len(given), RECEIPT_LINES):
                doc = receiving.create_receipt(self.conn, self.manager, {
                    "supplier_id": supplier_id, "lines": given[start:start + RECEIPT_LINES],
                    "supplier_ref": f"INV-{self.counts['goods_receipts'] + 1001}", "note": note})
                receiving.post_receipt(self.conn, self.manager, doc["id"])
                self.counts["goods_receipts"] += 1

    def _open(self, shift: str, till: str, cashier: str, floats: list[dict[str, Any]]) -> None:
        opened = shifts.open_shift(self.conn, self.actor(cashier, till), {"floats": floats}, can_manage=False)
        self.shifts[shift] = opened["id"]
        self.counts["shifts"] += 1

    def _sale(self, body: dict[str, Any], till: str, cashier: str, shift: str) -> None:
        self.sequence[till] += 1
        sale = {**body, "sequence": self.sequence[till], "shift_id": self.shifts[shift]}
        result = ingest_sale(self.conn, sale, device_id=self.tills[till], caller=self.actor(cashier, till))
        self.counts["sales"] += 1
        self.counts["exceptions"] += len(result.raised)

    def _void(self, sale_id: str, till: str, reason: str) -> None:
        void_sale(self.conn, self.actor(self.plan.users["supervisor"], till), sale_id, reason)
        self.counts["voids"] += 1

    def _cash(self, shift_id: str) -> dict[str, dict[str, Any]]:
        return {line["currency"]: line for line in shifts.x_report(self.conn, shift_id)["cash"]}

    def _move(self, shift: str, till: str, cashier: str, kind: str, reason: str, note: str, currency: str,
              amount: int) -> None:
        shift_id = self.shifts[shift]
        held = self._cash(shift_id).get(currency, {}).get("expected", 0)
        spare = held - FLOATS.get(currency, 0)
        if kind == "safe_drop":
            amount = spare // 5000 * 5000  # drop whole $50s above the float
            if amount < 5000:
                return
        elif amount > spare:
            return
        shifts.add_movement(self.conn, self.actor(cashier, till), shift_id, {
            "kind": kind, "currency": currency, "amount": amount, "reason_code": reason, "note": note},
            can_manage=False)
        self.counts[kind + "s"] += 1

    def _close(self, shift: str, till: str, cashier: str, variance: dict[str, int]) -> None:
        shift_id = self.shifts[shift]
        report = shifts.x_report(self.conn, shift_id)
        counted = [{"currency": c, "amount": max(0, line["expected"] + variance.get(c, 0))}
                   for c, line in sorted((ln["currency"], ln) for ln in report["cash"])]
        reported = [{"method": t["method"], "provider": t["provider"], "currency": t["currency"],
                     "amount": t["amount"]} for t in report["tenders"] if t["method"] != "cash"]
        shifts.close_shift(self.conn, self.actor(cashier, till), shift_id,
                           {"counted": counted, "reported": reported, "note": ""}, can_manage=False)
        self.counts["shifts_closed"] += 1
