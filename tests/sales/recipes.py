"""Sales through the real API, for the sales tests, the endpoint x role test and the audit test:
a demo user signed in at a freshly paired till (one test license per hub), products, shifts."""

from __future__ import annotations

from typing import Any

from hub.ids import new_id
from tests.hubtest import Hub
from tests.pairing import Tills
from tests.sales.build import cash, line, sale

SALES = "/api/v1/sales"
EXCEPTIONS = "/api/v1/exceptions"
ZWG_RATE = {"currency": "ZWG", "rate": 26_500_000, "rate_scale": 1_000_000}  # 1 USD = ZWG 26.50


def tills(hub: Hub) -> Tills:
    """Pairing under a big test license, made once per hub (the trial's seats would run out)."""
    found = getattr(hub, "sale_tills", None)
    if found is None:
        found = hub.sale_tills = Tills.licensed(hub, hub.as_user("admin"))  # type: ignore[attr-defined]
    return found


class Till:
    """A paired till with `who` signed in: its device id, its client and its invoice sequence."""

    def __init__(self, hub: Hub, who: str = "cashier", paired_by: Tills | None = None,
                 paired: dict | None = None) -> None:
        t = paired_by or tills(hub)
        paired = paired or t.pair()
        self.paired, self.paired_by = paired, t
        self.device_id = paired["device_id"]
        r = t.login(paired["device_token"], who, hub.credentials[who][0])
        assert r.status_code == 201, r.text
        self.token = r.json()["access_token"]
        self.http = t.as_till(paired["device_token"], self.token)
        self.hub = hub
        self.sequence = 0

    def signed_in(self, who: str) -> "Till":
        """This same till with `who` signed in on it (a supervisor called over, say)."""
        return Till(self.hub, who, paired_by=self.paired_by, paired=self.paired)

    def shift(self, status: str = "open") -> str:
        """A shift of this till's cashier, written behind the API (the shifts feature opens them)."""
        shift_id = new_id()
        self.hub.write("INSERT INTO shifts (id, device_id, cashier_id, status, opened_at, closed_at, created_at,"
                       " updated_at) SELECT ?, ?, id, ?, '2026-01-01T00:00:00.000000Z', ?, 'x', 'x' FROM users"
                       " WHERE username = 'cashier'", shift_id, self.device_id, status,
                       None if status == "open" else '2026-01-01T01:00:00.000000Z')
        return shift_id

    def body(self, lines: list[dict] | None = None, tenders: list[dict] | None = None, **extra: Any) -> dict:
        if "sequence" not in extra:
            self.sequence += 1
            extra["sequence"] = self.sequence
        lines = lines or [line(150, tax_rate_bp=0)]  # zero-rated: the same total in either tax mode
        total = sum(ln["total"] for ln in lines) + extra.get("rounding", 0)
        return sale(lines, tenders or [cash(total)], **extra)

    def sell(self, body: dict | None = None, status: int = 201, **fields: Any) -> dict:
        r = self.http.post(SALES, json=body or self.body(**fields))
        assert r.status_code == status, r.text
        return r.json()


def recorded_sale(hub: Hub, paired_by: Tills | None = None, **fields: Any) -> dict:
    """One sale recorded by the demo cashier at a fresh till."""
    return Till(hub, paired_by=paired_by).sell(**fields)


def open_exception(hub: Hub, paired_by: Tills | None = None) -> str:
    """An open exception (the sale names no shift)."""
    sale_ = recorded_sale(hub, paired_by)
    [found] = [e["id"] for e in sale_["exceptions"] if e["kind"] == "unknown_shift"]
    return found
