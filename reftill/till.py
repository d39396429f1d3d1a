"""One till: paired with a hub, a cashier signed in, selling from its own catalogue, online or not.

Everything a till does is a fact in its outbox first (`sale`, `shift.open`, `shift.close`, ...),
written in one local transaction with its gap-free `device_seq`; it reaches the hub by upload
(`Till.sync.upload`, docs/sync.md). A sale is complete at the till whether or not the hub can be
reached; the hub decides nothing about it but records it exactly once.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from reftill import pricing
from reftill.facts import payload_hash, uuid7
from reftill.http import HubClient, HubRefusedError, HubUnreachableError
from reftill.store import LocalStore
from reftill.sync import Sync, stamp

Clock = Callable[[], dt.datetime]
SELL = "sales.sell"
# How long a fact is kept after the hub acknowledged it: a hub restored from a backup older than
# this cannot be given it again (its shift digest then names what is missing for a manager).
RETAIN_ACKED = dt.timedelta(days=7)


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class PairingError(Exception):
    """Pairing failed: the hub refused the code, or its key is not the one expected."""


class LoginError(Exception):
    """The user or PIN is wrong, or the user may not sell here."""


class Till:
    """A paired till whose state lives in `directory/till.db`."""

    def __init__(self, directory: Path | str, *, clock: Clock = utc_now) -> None:
        self.directory = Path(directory)
        self.store = LocalStore(self.directory / "till.db")
        url = self.store.get("hub_url")
        if url is None:
            raise PairingError(f"the till in {self.directory} is not paired")
        self.clock = clock
        self.client = HubClient(url, self.store.get("key_pin"), self.store.get("device_token"))
        self.sync = Sync(self.store, self.client, clock)
        self.user: dict[str, Any] | None = None  # who is signed in: id, username, permissions, how
        self.shift_id: str | None = self.store.get("shift_id")

    def close(self) -> None:
        self.client.close()
        self.store.close()

    @property
    def device_id(self) -> str:
        return self.store.get("device_id")

    # ---- pairing and sign-in ------------------------------------------------------------------

    @classmethod
    def pair(cls, directory: Path | str, url: str, code: str, *, name: str, key_pin: str | None = None,
             clock: Clock = utc_now) -> "Till":
        """Pair with a one-time code. Over HTTPS the hub's key is pinned: `key_pin` when it came
        with the code (the QR code carries it), else the key this first connection met, which
        must be the one the pairing answer names."""
        client = HubClient(url, key_pin)
        try:
            _, paired = client.call("POST", "/api/v1/devices/pair", json_body={
                "code": code, "name": name, "platform": "reftill", "app_version": "reftill-1"})
        except HubRefusedError as err:
            raise PairingError(str(err)) from err
        finally:
            client.close()
        pin = key_pin
        if url.startswith("https:"):
            if paired.get("key_pin") != client.seen_pin:
                raise PairingError(f"the hub says its key is {paired.get('key_pin')} but presented {client.seen_pin}")
            pin = client.seen_pin
        store = LocalStore(Path(directory) / "till.db")
        with store.transaction() as conn:
            for key, value in {"hub_url": url, "key_pin": pin, "device_id": paired["device_id"],
                               "device_token": paired["device_token"], "device_name": paired["name"],
                               "hub_id": paired.get("hub_id"), "store_id": paired.get("store_id")}.items():
                store.set(key, value, conn)
        store.close()
        return cls(directory, clock=clock)

    def login(self, username: str, pin: str) -> str:
        """Sign in with a PIN: at the hub when it answers, else offline against the verifier the
        feed gave. Returns "online" or "offline"."""
        try:
            _, session = self.client.call("POST", "/api/v1/auth/login", json_body={"username": username, "pin": pin},
                                          bearer=False)
        except HubUnreachableError:
            self.login_offline(username, pin)
            return "offline"
        except HubRefusedError as err:
            raise LoginError(str(err)) from err
        self.client.bearer = session["access_token"]
        me = session["user"]
        self.user = {"id": me["id"], "username": me["username"], "permissions": me.get("permissions") or [],
                     "how": "online"}
        return "online"

    def login_offline(self, username: str, pin: str) -> None:
        """Check the PIN against the user's salted slow-KDF verifier from the feed (docs/sync.md)."""
        from reftill.offline import permissions_of, verify_pin

        user = next((u for u in self.store.rows("user") if u.get("username") == username and u.get("active", True)),
                    None)
        if user is None or not verify_pin(user, pin):
            raise LoginError(f"unknown user or wrong PIN for {username} (offline)")
        permissions = permissions_of(user, self.store)
        if SELL not in permissions:
            raise LoginError(f"{username} may not sell")
        self.user = {"id": user["id"], "username": username, "permissions": sorted(permissions), "how": "offline"}

    def logout(self) -> None:
        self.user = None
        self.client.bearer = None

    # ---- facts ------------------------------------------------------------------------------------

    def record(self, type_: str, payload: dict[str, Any], *, shift_id: str | None = None,
               extra_meta: dict[str, Any] | None = None) -> dict[str, Any]:
        """Append one fact (and `extra_meta`) in one local transaction; returns the fact."""
        with self.store.transaction() as conn:
            fact = {"device_seq": self.store.last_seq(conn) + 1, "event_id": uuid7(), "type": type_,
                    "device_time": stamp(self.clock()), "user_id": self.user["id"] if self.user else None,
                    "payload": payload, "payload_hash": payload_hash(payload), "shift_id": shift_id}
            self.store.append(fact, conn)
            for key, value in (extra_meta or {}).items():
                self.store.set(key, value, conn)
        return fact

    def _signed_in(self) -> dict[str, Any]:
        if self.user is None:
            raise LoginError("nobody is signed in at this till")
        return self.user

    # ---- shifts -----------------------------------------------------------------------------------

    def open_shift(self, floats: dict[str, int] | None = None) -> str:
        """A new shift with the till's own id, as a `shift.open` fact."""
        user = self._signed_in()
        shift_id = uuid7()
        payload = {"id": shift_id, "floats": [{"currency": c, "amount": a} for c, a in sorted((floats or {}).items())],
                   "cashier_id": user["id"]}
        self.record("shift.open", payload, shift_id=shift_id, extra_meta={"shift_id": shift_id,
                                                                           "shift_floats": floats or {}})
        self.shift_id = shift_id
        return shift_id

    def expected_cash(self, shift_id: str) -> dict[str, int]:
        """Per currency, from the till's own facts (docs/sales.md, "Shifts and cash"): the float,
        plus cash taken net of change, plus pay-ins, less pay-outs and safe drops, less the cash of
        the sales voided in this shift (a sale voided in its own shift so counts on neither side)."""
        cash: dict[str, int] = {}

        def add(currency: str, amount: int) -> None:
            cash[currency] = cash.get(currency, 0) + amount

        def sale_cash(sale: dict[str, Any], sign: int) -> None:
            for t in sale["tenders"]:
                if t["method"] == "cash":
                    add(t["currency"], sign * t["amount"])
            for c in sale.get("change") or []:
                add(c["currency"], -sign * c["amount"])

        sales = {f["payload"]["id"]: f["payload"] for f in self.store.facts("sale")}
        for f in self.store.facts_of_shift(shift_id):
            p = f["payload"]
            if f["type"] == "shift.open":
                for fl in p["floats"]:
                    add(fl["currency"], fl["amount"])
            elif f["type"] == "sale" and not p.get("training"):
                sale_cash(p, 1)
            elif f["type"] == "cash.movement":
                add(p["currency"], p["amount"] if p["kind"] == "pay_in" else -p["amount"])
            elif f["type"] == "void" and p["sale_id"] in sales and not sales[p["sale_id"]].get("training"):
                sale_cash(sales[p["sale_id"]], -1)
        return cash

    def cash_movement(self, kind: str, currency: str, amount: int, reason_code: str, note: str = "") -> dict[str, Any]:
        """A pay-in, pay-out or safe drop on the open shift, as a `cash.movement` fact (with its own id)."""
        if self.shift_id is None:
            raise LoginError("no shift is open at this till")
        self._signed_in()
        payload = {"shift_id": self.shift_id, "id": uuid7(), "kind": kind, "currency": currency, "amount": amount,
                   "reason_code": reason_code, "note": note}
        return self.record("cash.movement", payload, shift_id=self.shift_id)

    def void(self, sale_id: str, reason: str) -> dict[str, Any]:
        """Void a sale this till made, as a `void` fact of the signed-in user (who needs sales.void
        at the hub), its money leaving the shift open now."""
        self._signed_in()
        payload = {"sale_id": sale_id, "reason": reason, "shift_id": self.shift_id}
        return self.record("void", payload, shift_id=self.shift_id)

    def close_shift(self, counted: dict[str, int] | None = None) -> dict[str, Any]:
        """Close the open shift with the cash counted (default: what the till expects) for every
        active currency of the store, as a `shift.close` fact."""
        if self.shift_id is None:
            raise LoginError("no shift is open at this till")
        expected = self.expected_cash(self.shift_id)
        currencies = {c["code"] for c in self.store.rows("currency") if c.get("active", True)} | set(expected)
        counted = counted if counted is not None else expected
        payload = {"shift_id": self.shift_id,
                   "counted": [{"currency": c, "amount": max(0, counted.get(c, 0))} for c in sorted(currencies)],
                   "reported": [], "note": ""}
        fact = self.record("shift.close", payload, shift_id=self.shift_id, extra_meta={"shift_id": None})
        self.shift_id = None
        return fact

    # ---- selling ----------------------------------------------------------------------------------

    def tax_mode(self) -> str:
        setting = self.store.row("setting", "pricing.tax_mode")
        return (setting or {}).get("value") or "inclusive"

    def cash_step(self, currency: str) -> int:
        spec = self.store.row("currency", currency) or {}
        return int(spec.get("cash_rounding") or 1)

    def price_basket(self, basket: Sequence[tuple[str, int | None]], currency: str = "USD") -> list[dict[str, Any]]:
        """Sale lines for `(code, quantity)` pairs (quantity in thousandths; None: the pack's) from
        the local catalogue; a code it does not know, or a product unpriced in `currency`, is
        refused here (LookupError), as a till would ask for the price."""
        at = stamp(self.clock().astimezone(dt.timezone.utc))
        mode = self.tax_mode()
        lines = []
        for code, quantity in basket:
            found = self.store.product_for_code(code)
            if found is None:
                raise LookupError(f"no product has the code {code}")
            product, pack = found
            price = pricing.unit_price(product, currency)
            if price is None:
                raise LookupError(f"{product['name']} has no price in {currency}")
            tax_class = self.store.row("tax_class", product.get("tax_class_id") or "")
            lines.append(pricing.sale_line(product, quantity or pack, price, tax_class=tax_class, at=at, mode=mode,
                                           code=code))
        return lines

    def sell(self, basket: Sequence[tuple[str, int | None]] = (), *, lines: Sequence[dict[str, Any]] = (),
             currency: str = "USD", method: str = "cash", handed: int | None = None,
             training: bool = False) -> dict[str, Any]:
        """Ring up a sale (from codes in the catalogue, and/or ready `lines`) and record it as a
        `sale` fact; returns the sale body, as `POST /api/v1/sales` takes it."""
        user = self._signed_in()
        if SELL not in user["permissions"]:
            raise LoginError(f"{user['username']} may not sell")
        all_lines = [*self.price_basket(basket, currency), *lines]
        mode = self.tax_mode()
        sums = pricing.totals(all_lines, mode, self.cash_step(currency), cash=method == "cash")
        reference = "" if method == "cash" else f"R{random.randrange(10**8):08d}"
        tenders, change = pricing.tenders_for(sums["total"], currency, method, handed, reference)
        sequence = int(self.store.get("invoice_seq", 0)) + 1
        body = {"id": uuid7(), "sequence": sequence, "currency": currency, "device_clock": stamp(self.clock()),
                "lines": all_lines, "tenders": tenders, "change": change, "shift_id": self.shift_id, **sums}
        if training:
            body["training"] = True
        self.record("sale", body, shift_id=self.shift_id, extra_meta={"invoice_seq": sequence})
        return body

    def prune(self, keep: dt.timedelta | None = None) -> int:
        """Forget facts the hub acknowledged longer than `keep` (default RETAIN_ACKED) ago, except
        those of the open shift."""
        return self.store.prune(stamp(utc_now() - (keep if keep is not None else RETAIN_ACKED)), self.shift_id)

    def sales(self) -> list[dict[str, Any]]:
        """Every sale this till has made (and still keeps), oldest first."""
        return [f["payload"] for f in self.store.facts("sale")]

    # ---- the direct path -------------------------------------------------------------------------

    def post_sales_directly(self) -> int:
        """Send the queued sales one by one with `POST /api/v1/sales` (the signed-in cashier's
        token): the online API a till uses without sync. Idempotent by the sale's id, so a
        retry after a lost answer records nothing twice. How many the hub now holds."""
        done = 0
        waiting, start = self.store.unacked()
        if not waiting:
            return 0
        for fact in self.store.facts_from(start, waiting):
            if fact["type"] == "sale":
                body = {k: v for k, v in fact["payload"].items() if k != "training"}
                self.client.call("POST", "/api/v1/sales", json_body=body)
                done += 1
            self.store.mark_acked(fact["device_seq"], stamp(self.clock()), {fact["device_seq"]: "posted"})
        return done
