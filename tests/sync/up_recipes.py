"""Test helper: a paired till that uploads facts through POST /api/v1/sync/events as the reference
till would (docs/sync.md): event ids, gap-free seqs, canonical payload hashes."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from typing import Any

import httpx

from hub.ids import new_id
from tests.hubtest import Hub
from tests.people import query
from tests.sales import recipes as selling
from tests.sales.build import cash, line, sale

EVENTS = "/api/v1/sync/events"
STATUS = "/api/v1/sync/status"
DIGESTS = "/api/v1/sync/shift-digests"
QUARANTINE = "/api/v1/sync/quarantine"


def payload_hash(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":"),
                                     ensure_ascii=False).encode()).hexdigest()


def user_id(hub: Hub, username: str) -> str:
    return query(hub, "SELECT id FROM users WHERE username = ?", username)[0][0]


class SyncTill:
    """A freshly paired till (no one signed in) holding its own seq counter."""

    def __init__(self, hub: Hub, who: str = "cashier") -> None:
        self.hub = hub
        tills = selling.tills(hub)
        paired = tills.pair()
        self.device_id, self.token = paired["device_id"], paired["device_token"]
        self.http: httpx.Client = tills.as_till(self.token)
        self.user_id = user_id(hub, who)
        self.seq = 0
        self.sale_seq = 0
        self.clock = dt.datetime.now(dt.timezone.utc)

    def event(self, type_: str, payload: dict[str, Any], *, seq: int | None = None, user: str | None = "me",
              **over: Any) -> dict[str, Any]:
        if seq is None:
            self.seq += 1
            seq = self.seq
        return {"event_id": new_id(), "device_seq": seq, "type": type_,
                "device_time": self.clock.isoformat(), "user_id": self.user_id if user == "me" else user,
                "payload_hash": payload_hash(payload), "payload": payload, **over}

    def sale_payload(self, lines: list[dict] | None = None, **extra: Any) -> dict[str, Any]:
        self.sale_seq += 1
        lines = lines or [line(150, tax_rate_bp=0)]
        total = sum(ln["total"] for ln in lines)
        return sale(lines, [cash(total)], sequence=self.sale_seq, clock=self.clock, **extra)

    def send(self, events: list[dict[str, Any]], *, device_time: dt.datetime | None = None) -> httpx.Response:
        body: dict[str, Any] = {"events": events}
        if device_time is not None:
            body["device_time"] = device_time.isoformat()
        return self.http.post(EVENTS, json=body)

    def upload(self, events: list[dict[str, Any]], **kw: Any) -> dict[str, Any]:
        r = self.send(events, **kw)
        assert r.status_code == 200, r.text
        return r.json()


def revoked_till(hub: Hub) -> SyncTill:
    """A till a manager revoked after pairing."""
    till = SyncTill(hub)
    r = hub.as_user("admin").post(f"/api/v1/devices/{till.device_id}/revoke")
    assert r.status_code == 200, r.text
    return till


def quarantined(hub: Hub) -> str:
    """A pending quarantined fact: a revoked till's drawer opened without a sale (it audits nothing of
    its own when accepted)."""
    till = revoked_till(hub)
    got = till.upload([till.event("lp.no_sale", {"reason": "Change for a customer"})])
    [result] = got["results"]
    assert result["status"] == "quarantined", result
    return result["quarantine_id"]


def sale_event_call(hub: Hub) -> tuple[SyncTill, dict[str, Any]]:
    """A fresh till and an upload body holding one sale."""
    till = SyncTill(hub)
    return till, {"events": [till.event("sale", till.sale_payload())]}
