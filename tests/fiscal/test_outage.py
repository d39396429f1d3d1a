"""The issue's end-to-end fiscal test: register three tills, open their fiscal days, sell on all three
at once through the real hub, lose FDMS for 30 hours (the hub's clock and FDMS's advanced, never
slept), get it back, refund, close: no red or yellow result at the simulator and every sale
fiscalised exactly once, in order, each device's numbers and hash chain unbroken."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from tests.fiscal.clockwork import Clockwork
from tests.fiscal.recipes import FISCAL, configure, fiscal_till, map_taxes, open_day
from tests.sales.build import cash, line
from tests.sales.recipes import SALES, Till
from tests.sales.refunding import refund_body


def _sell_on_all(tills, rounds):
    """Each till sells `rounds` sales while the others do (one thread a till); the sale ids."""
    def sell(till):
        out = []
        for i in range(rounds):
            body = till.body([line(120 + 10 * i, 2000), line(99, 1000, tax_rate_bp=0)])
            total = sum(ln["total"] for ln in body["lines"])
            body["tenders"] = [cash(total)] if i % 2 else [{"method": "card", "currency": "USD", "amount": total,
                                                              "provider": "Visa"}]
            out.append(till.sell(body)["id"])
        return out

    with ThreadPoolExecutor(len(tills)) as pool:
        return [s for sold in pool.map(sell, tills) for s in sold]


def _days(manager, devices):
    return [manager.get(f"{FISCAL}/devices/{d['id']}/day").json() for d in devices]


def test_three_tills_sell_through_a_30_hour_fdms_outage_and_every_sale_is_fiscalised_once(hub, sim, monkeypatch):
    clockwork = Clockwork(monkeypatch, hub, sim)  # network time keeps working: only FDMS is lost
    manager = hub.as_user("manager")
    configure(hub, manager, sim)
    registered = [fiscal_till(hub, manager, sim) for _ in range(3)]
    tills = [t for t, _ in registered]
    devices = [d for _, d in registered]
    map_taxes(manager)
    for d in devices:
        open_day(manager, d["id"])

    sold = _sell_on_all(tills, 2)
    assert manager.post(f"{FISCAL}/queue/submit").json()["failed"] == 0

    sim.down = True  # FDMS lost
    clockwork.advance(hours=1)
    sold += _sell_on_all(tills, 3)
    clockwork.advance(hours=10)
    sold += _sell_on_all(tills, 2)
    assert manager.post(f"{FISCAL}/queue/submit").json()["submitted"] == 0
    r = manager.post(f"{FISCAL}/devices/{devices[0]['id']}/day/close")
    assert r.status_code == 409 and r.json()["code"] == "fiscal_queue_unsent", r.text  # it stays open
    clockwork.advance(hours=14)  # past the 24-hour fiscal day: sales go on, waiting for the next day
    late = _sell_on_all(tills, 2)
    for day in _days(manager, devices):
        assert day["pending"] == 2 and not day["signing"] and "maximum length" in day["signing_paused_because"]
        assert day["queued"] == 5 and day["day_status"] == "opened"
    clockwork.advance(hours=5)  # 30 hours without FDMS

    sim.down = False
    r = manager.post(f"{FISCAL}/queue/submit")
    assert r.status_code == 200 and r.json()["failed"] == 0, r.text  # (the fiscal worker may have sent some)
    assert all(day["queued"] == 0 and day["submitted"] == 7 for day in _days(manager, devices))
    for d in devices:
        r = manager.post(f"{FISCAL}/devices/{d['id']}/day/close")
        assert r.status_code == 200 and r.json()["day_status"] == "closed", r.text
        day = open_day(manager, d["id"])  # the sales that waited are signed first, in order, in day 2
        assert day["day_no"] == 2 and day["pending"] == 0 and day["queued"] == 2
    sold += late

    supervisor = Till(hub, "supervisor", paired_by=tills[1].paired_by, paired=tills[1].paired)
    refunded = sold[7]  # a sale of the outage, on day 1
    r = supervisor.http.post(f"{SALES}/{refunded}/refunds", json=refund_body([{"line_no": 0, "quantity": 1000}]))
    assert r.status_code == 201, r.text
    assert manager.post(f"{FISCAL}/queue/submit").json()["failed"] == 0
    for d in devices:
        r = manager.post(f"{FISCAL}/devices/{d['id']}/day/close")
        assert r.status_code == 200 and r.json()["day_status"] == "closed", r.text

    # every sale fiscalised exactly once, nothing red or yellow, numbers and chains unbroken
    receipts = manager.get(f"{FISCAL}/receipts", params={"limit": 200}).json()["items"]
    invoices = [x for x in receipts if x["document_type"] == "sale"]
    assert sorted(x["document_id"] for x in invoices) == sorted(sold) and len(sold) == 27
    assert {x["status"] for x in receipts} == {"submitted"} and {x["colour"] for x in receipts} == {""}
    at_fdms = [x for d in devices for x in sim.devices[d["fdms_device_id"]].receipts.values()]
    assert len(at_fdms) == len(receipts) == 28
    assert sorted(x["receipt"]["invoiceNo"] for x in at_fdms) == sorted(x["invoice_no"] for x in receipts)
    assert all(not x["answer"]["validationErrors"] for x in at_fdms), [x["answer"] for x in at_fdms]
    [note] = [x for x in at_fdms if x["receipt"]["receiptType"] == "CreditNote"]
    assert note["day"] == 2 and note["receipt"]["receiptNotes"].startswith("Refund:")
    for d in devices:
        held = sim.devices[d["fdms_device_id"]]
        assert sorted(held.receipts) == list(range(1, len(held.receipts) + 1))
        assert sorted(held.closed_days) == [1, 2] and held.day_status == "FiscalDayClosed"
        assert [held.receipts[n]["day"] for n in sorted(held.receipts)].count(1) == 7
