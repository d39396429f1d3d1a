"""Fiscal operations against the FDMS simulator: certificate renewal (by hand and by the worker),
the daily getConfig and the mapping problems it reveals, the automatic fiscal day, the day-end
warnings and the maximum day length, a failed close with its guidance, and the X and Z reports."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from hub.fiscal import dayjobs
from tests.fiscal.recipes import FISCAL, configure, fiscal_till, map_taxes, open_day
from tests.sales.build import cash, line


@pytest.fixture(autouse=True)
def no_background_rounds(monkeypatch):
    """The worker's own rounds of these operations go by the real clock: the tests run them with
    theirs (dayjobs.run with `at`)."""
    from hub.fiscal import subsystem

    monkeypatch.setattr(subsystem, "OPERATIONS_EVERY", float("inf"))


def _db(hub):
    return hub.server.app.state.db


def _run(hub, at=None):
    return dayjobs.run(_db(hub), Path(hub.server.settings.data_path), at=at)


def _local_now(hub) -> dt.datetime:
    return _db(hub).write_sync(dayjobs.local_now)


def _audits(hub, action):
    return _db(hub).write_sync(lambda c: [dict(r) for r in c.execute(
        "SELECT * FROM audit_log WHERE action = ? ORDER BY seq", (action,))])


def _shift_day(hub, sim, dev, hours: float) -> None:
    """Pretend the open day opened `hours` ago, at the hub and at FDMS alike."""
    _opened_at(hub, sim, dev, _local_now(hub) - dt.timedelta(hours=hours))


def _opened_at(hub, sim, dev, moment: dt.datetime) -> None:
    """Pretend the open day opened at `moment` (store time), at the hub and at FDMS alike."""
    opened = moment.strftime(dayjobs.LOCAL)
    hub.write("UPDATE fiscal_devices SET day_opened = ? WHERE id = ?", opened, dev["id"])
    sim.devices[dev["fdms_device_id"]].day_opened = opened


def _ready(hub, sim, **kw):
    manager = hub.as_user("manager")
    configure(hub, manager, sim)
    till, dev = fiscal_till(hub, manager, sim, **kw)
    map_taxes(manager)
    return manager, till, dev


def test_renewing_the_certificate_by_hand_and_signing_with_the_new_key(hub, sim):
    manager, till, dev = _ready(hub, sim)
    number = dev["fdms_device_id"]
    old_cert = sim.devices[number].cert
    open_day(manager, dev["id"])
    sim.down = True  # the worker cannot send it meanwhile
    till.sell(till.body([line(800)]))
    # a receipt signed with the current key waits: FDMS would check it against the new certificate
    r = manager.post(f"{FISCAL}/devices/{dev['id']}/certificate/renew")
    assert r.status_code == 409 and r.json()["code"] == "fiscal_queue_unsent", r.text
    assert sim.devices[number].renewals == 0
    sim.down = False
    assert manager.post(f"{FISCAL}/queue/submit").json()["failed"] == 0
    old_key = _db(hub).write_sync(lambda c: c.execute("SELECT key_path FROM fiscal_devices WHERE id = ?",
                                                      (dev["id"],)).fetchone()[0])
    r = manager.post(f"{FISCAL}/devices/{dev['id']}/certificate/renew")
    assert r.status_code == 200, r.text
    assert sim.devices[number].renewals == 1 and sim.devices[number].cert != old_cert
    cn = sim.devices[number].cert.subject.rfc4514_string()
    assert f"CN=ZIMRA-SN{number}-{number:010d}" in cn  # the same subject
    assert not Path(old_key).exists() and not Path(old_key).with_suffix(".crt").exists()
    new_key = _db(hub).write_sync(lambda c: c.execute("SELECT key_path FROM fiscal_devices WHERE id = ?",
                                                      (dev["id"],)).fetchone()[0])
    assert Path(new_key).stat().st_mode & 0o777 == 0o600
    [entry] = _audits(hub, "fiscal_device.certificate_renewed")
    assert entry["entity_id"] == dev["id"]
    # the new key signs, mutual TLS uses the new certificate, and the day closes with FDMS
    till.sell(till.body([line(900)]))
    assert manager.post(f"{FISCAL}/queue/submit").json()["failed"] == 0
    assert len(sim.devices[number].receipts) == 2
    assert all(not x["answer"]["validationErrors"] for x in sim.devices[number].receipts.values())
    r = manager.post(f"{FISCAL}/devices/{dev['id']}/day/close")
    assert r.status_code == 200 and r.json()["day_status"] == "closed", r.text
    assert manager.post(f"{FISCAL}/devices/{dev['id']}/certificate/renew").status_code == 200
    assert hub.as_user("supervisor").post(f"{FISCAL}/devices/{dev['id']}/certificate/renew").status_code == 403


def test_the_worker_renews_a_certificate_near_its_end_and_fetches_the_configuration_daily(hub, sim):
    sim.cert_days = 10  # within the default 30 days of the renewal setting
    manager, till, dev = _ready(hub, sim)
    number = dev["fdms_device_id"]
    r = manager.get(f"{FISCAL}/devices/{dev['id']}/alerts")
    assert "certificate_expiring" in {a["code"] for a in r.json()["items"]}, r.text
    sim.cert_days = 3 * 365
    assert _run(hub) == []
    assert sim.devices[number].renewals == 1
    device = manager.get(f"{FISCAL}/devices/{dev['id']}").json()
    assert device["certificate_valid_till"] > (dt.datetime.now(dt.timezone.utc) + dt.timedelta(days=365)).isoformat()
    assert _run(hub) == [] and sim.devices[number].renewals == 1  # nothing more to do
    [entry] = _audits(hub, "fiscal_device.certificate_renewed")
    assert entry["username"] == "fiscal-worker"
    jobs = {j["job"]: j for j in manager.get(f"{FISCAL}/devices/{dev['id']}/alerts").json()["jobs"]}
    assert jobs["certificate_renewal"]["outcome"] == "ok"

    # a day later FDMS changed the standard rate: the worker fetches getConfig and warns
    config_calls = sum(1 for c in sim.calls if c[0] == "GetConfig")
    [vat] = [t for t in sim.taxes if t["taxID"] == 517]
    vat["taxPercent"] = 16
    assert _run(hub) == [] and sum(1 for c in sim.calls if c[0] == "GetConfig") == config_calls  # not due yet
    hub.write("UPDATE fiscal_devices SET config_at = '2020-01-01T00:00:00.000000Z' WHERE id = ?", dev["id"])
    events = _run(hub)
    assert sum(1 for c in sim.calls if c[0] == "GetConfig") == config_calls + 1
    assert [(k, e["code"]) for k, e in events] == [("fiscal_alert", "tax_mapping")]
    assert "517" in events[0][1]["message"] and "16.00 %" in events[0][1]["message"]
    alerts = manager.get(f"{FISCAL}/devices/{dev['id']}/alerts").json()["items"]
    assert any(a["code"] == "tax_mapping" and "VAT" in a["message"] for a in alerts), alerts
    r = manager.post(f"{FISCAL}/devices/{dev['id']}/day/open")
    assert r.status_code == 409 and r.json()["code"] == "fiscal_not_ready", r.text


def test_the_worker_opens_and_closes_the_day_at_the_configured_times(hub, sim):
    manager, till, dev = _ready(hub, sim)
    r = manager.put(f"{FISCAL}/settings", json={"auto_open_time": "25:00"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "auto_open_time", r.text
    r = manager.put(f"{FISCAL}/settings", json={"auto_open_time": "06:00", "auto_close_time": "06:00"})
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "auto_close_time", r.text
    r = manager.put(f"{FISCAL}/settings", json={"auto_open_time": "06:00", "auto_close_time": "22:00"})
    assert r.status_code == 200 and r.json()["auto_close_time"] == "22:00", r.text
    today = _local_now(hub).date()
    at = lambda hh, mm: dt.datetime.combine(today, dt.time(hh, mm))  # noqa: E731
    _run(hub, at(5, 59))
    assert manager.get(f"{FISCAL}/devices/{dev['id']}/day").json()["day_status"] == "closed"
    _run(hub, at(6, 0))
    day = manager.get(f"{FISCAL}/devices/{dev['id']}/day").json()
    assert (day["day_status"], day["day_no"]) == ("opened", 1)
    [opened] = _audits(hub, "fiscal_day.opened")
    assert opened["username"] == "fiscal-worker"
    # The day is stamped with the real clock; run late in the evening, that is after 22:00, and a
    # day opened after the closing time rightly stays open. The worker ran at 06:00, so it opened then.
    _opened_at(hub, sim, dev, at(6, 0))
    till.sell(till.body([line(650)]))
    _run(hub, at(21, 59))
    assert manager.get(f"{FISCAL}/devices/{dev['id']}/day").json()["day_status"] == "opened"
    _run(hub, at(22, 0))  # submits the queue, closes with FDMS
    day = manager.get(f"{FISCAL}/devices/{dev['id']}/day").json()
    assert (day["day_status"], day["queued"]) == ("closed", 0), day
    _run(hub, at(22, 30))
    _run(hub, at(23, 59))  # opened today already: it stays closed until tomorrow's 06:00
    assert manager.get(f"{FISCAL}/devices/{dev['id']}/day").json()["day_status"] == "closed"
    assert len(_audits(hub, "fiscal_day.opened")) == 1 and len(_audits(hub, "fiscal_day.closed")) == 1
    _run(hub, at(6, 0) + dt.timedelta(days=1))
    day = manager.get(f"{FISCAL}/devices/{dev['id']}/day").json()
    assert (day["day_status"], day["day_no"]) == ("opened", 2)


def test_an_automatic_open_that_cannot_happen_is_recorded_and_retried_later(hub, sim):
    manager = hub.as_user("manager")
    configure(hub, manager, sim)
    till, dev = fiscal_till(hub, manager, sim)  # tax classes unmapped: the day cannot open
    manager.put(f"{FISCAL}/settings", json={"auto_open_time": "06:00"})
    at = dt.datetime.combine(_local_now(hub).date(), dt.time(7, 0))
    events = _run(hub, at)
    assert [e["code"] for _, e in events] == ["auto_open_failed"]
    alerts = manager.get(f"{FISCAL}/devices/{dev['id']}/alerts").json()["items"]
    assert any(a["code"] == "auto_open_failed" and "tax_classes.VAT" in a["message"] for a in alerts), alerts
    map_taxes(manager)
    assert _run(hub, at) == []  # retried only after a few minutes
    assert manager.get(f"{FISCAL}/devices/{dev['id']}/day").json()["day_status"] == "closed"
    hub.write("UPDATE fiscal_jobs SET last_at = '2020-01-01T00:00:00.000000Z' WHERE fiscal_device_id = ?", dev["id"])
    assert _run(hub, at) == []
    assert manager.get(f"{FISCAL}/devices/{dev['id']}/day").json()["day_status"] == "opened"


def test_day_end_warnings_and_the_maximum_day_length(hub, sim):
    manager, till, dev = _ready(hub, sim)
    number = dev["fdms_device_id"]
    open_day(manager, dev["id"])
    till.sell(till.body([line(400)]))
    assert manager.post(f"{FISCAL}/queue/submit").json()["failed"] == 0
    assert _run(hub) == []
    # FDMS allows 24 hours and warns 2 hours before: 22.5 hours in, the warning is due, once
    _shift_day(hub, sim, dev, 22.5)
    events = _run(hub)
    assert [(k, e["code"], e["level"]) for k, e in events] == [("fiscal_alert", "day_end_soon", "warn")]
    assert _run(hub) == []  # once a day
    alerts = manager.get(f"{FISCAL}/devices/{dev['id']}/alerts").json()["items"]
    assert [a["code"] for a in alerts] == ["day_end_soon"]
    # the setting overrides FDMS's notification time
    manager.put(f"{FISCAL}/settings", json={"day_end_warning_hours": 1})
    assert manager.get(f"{FISCAL}/devices/{dev['id']}/alerts").json()["items"] == []
    # past the maximum length a new sale waits as fiscal pending, never refused
    _shift_day(hub, sim, dev, 25)
    sold = till.sell(till.body([line(700)]))
    day = manager.get(f"{FISCAL}/devices/{dev['id']}/day").json()
    assert day["pending"] == 1 and "maximum length" in day["signing_paused_because"]
    events = _run(hub)  # no automatic close: the alert is published, the day stays open
    assert [e["code"] for _, e in events] == ["day_max_reached"]
    assert _run(hub) == []
    assert manager.get(f"{FISCAL}/devices/{dev['id']}/day").json()["day_status"] == "opened"
    # with the day run automatically, the worker closes it at once and opens the next: the
    # waiting sale is signed first in the new day
    manager.put(f"{FISCAL}/settings", json={"auto_open_time": "06:00", "auto_close_time": "22:00"})
    _run(hub)
    day = manager.get(f"{FISCAL}/devices/{dev['id']}/day").json()
    assert (day["day_no"], day["day_status"], day["pending"]) == (2, "opened", 0), day
    assert sim.devices[number].closed_days[1]
    assert manager.post(f"{FISCAL}/queue/submit").json()["failed"] == 0
    receipt = sim.devices[number].receipts[2]
    assert receipt["day"] == 2 and receipt["receipt"]["receiptCounter"] == 1
    assert not receipt["answer"]["validationErrors"], receipt["answer"]
    [ours] = manager.get(f"{FISCAL}/receipts", params={"status": "submitted", "limit": 1}).json()["items"]
    assert ours["document_id"] == sold["id"]


def test_a_failed_close_says_what_to_do_and_closes_once_fixed(hub, sim):
    manager, till, dev = _ready(hub, sim)
    open_day(manager, dev["id"])
    till.sell(till.body([line(1200)]))
    assert manager.post(f"{FISCAL}/queue/submit").json()["failed"] == 0
    hub.write("UPDATE fiscal_counters SET value = value + 1 WHERE fiscal_device_id = ? AND counter_type = "
              "'SaleByTax'", dev["id"])
    r = manager.post(f"{FISCAL}/devices/{dev['id']}/day/close")
    assert r.status_code == 200 and r.json()["day_status"] == "close_failed", r.text
    alerts = manager.get(f"{FISCAL}/devices/{dev['id']}/alerts").json()["items"]
    [failed] = [a for a in alerts if a["code"] == "close_failed"]
    assert "CountersMismatch" in failed["message"] and "differ from the receipts FDMS holds" in failed["message"]
    for code in ("BadCertificateSignature", "MissingReceipts", "ReceiptsWithValidationErrors", "CountersMismatch"):
        assert dayjobs.guidance(code) != dayjobs.DEFAULT_GUIDANCE
    hub.write("UPDATE fiscal_counters SET value = value - 1 WHERE fiscal_device_id = ? AND counter_type = "
              "'SaleByTax'", dev["id"])
    r = manager.post(f"{FISCAL}/devices/{dev['id']}/day/close")
    assert r.status_code == 200 and r.json()["day_status"] == "closed", r.text
    assert manager.get(f"{FISCAL}/devices/{dev['id']}/alerts").json()["items"] == []


def test_x_and_z_reports_and_printing_them(hub, sim):
    from hub.printing import render
    from tests.people import People
    from tests.printing.recipes import store_receipt_printer

    manager, till, dev = _ready(hub, sim)
    r = manager.get(f"{FISCAL}/devices/{dev['id']}/reports/x")
    assert r.status_code == 409 and r.json()["code"] == "fiscal_day_not_open", r.text
    open_day(manager, dev["id"])
    r = manager.get(f"{FISCAL}/devices/{dev['id']}/reports/x")
    assert r.status_code == 200 and r.json()["currencies"] == [] and r.json()["receipt_count"] == 0, r.text
    body = till.body([line(1000, 2000), line(199, 1000, tax_rate_bp=0)], tenders=None)
    total = sum(ln["total"] for ln in body["lines"])
    body["tenders"] = [cash(total)]
    till.sell(body)
    till.sell(till.body([line(500)], tenders=[{"method": "card", "currency": "USD", "amount": 500,
                                               "provider": "Visa"}]))
    x = manager.get(f"{FISCAL}/devices/{dev['id']}/reports/x").json()
    assert (x["kind"], x["day_no"], x["receipt_count"], x["first_global_no"], x["last_global_no"]) == ("X", 1, 2, 1, 2)
    [usd] = x["currencies"]
    assert [(t["tax_id"], t["tax_percent"]) for t in usd["taxes"]] == [(517, "15.50"), (2, "0.00")]
    vat = usd["taxes"][0]["sales"]
    assert vat["gross"] == 2500 and vat["tax"] == 335 and vat["net"] == 2165  # 25.00 incl. 15.5 %: 3.35 tax
    assert usd["totals"]["sales"]["gross"] == 2699
    assert usd["documents"] == [{"type": "FiscalInvoice", "count": 2, "total": 2699}]
    assert usd["payments"] == [{"money_type": "Cash", "value": 2199}, {"money_type": "Card", "value": 500}]
    r = manager.get(f"{FISCAL}/devices/{dev['id']}/days/1/z")
    assert r.status_code == 409 and r.json()["code"] == "fiscal_day_not_closed", r.text
    assert manager.post(f"{FISCAL}/queue/submit").json()["failed"] == 0
    assert manager.post(f"{FISCAL}/devices/{dev['id']}/day/close").json()["day_status"] == "closed"
    z = manager.get(f"{FISCAL}/devices/{dev['id']}/days/1/z").json()
    assert z["kind"] == "Z" and z["closed_at"] and z["currencies"] == x["currencies"]
    # the Z report's counters are what FDMS accepted for the day
    sent = {(c["fiscalCounterType"], str(c.get("fiscalCounterTaxID", c.get("fiscalCounterMoneyType")))):
            c["fiscalCounterValue"] for c in sim.devices[dev["fdms_device_id"]].closed_days[1]["counters"]}
    assert float(sent[("SaleByTax", "517")]) == 25.0 and float(sent[("BalanceByMoneyType", "Cash")]) == 21.99
    assert manager.get(f"{FISCAL}/devices/{dev['id']}/days/9/z").status_code == 404
    assert manager.get(f"{FISCAL}/devices/{dev['id']}/reports/x").status_code == 409

    supervisor = hub.as_user("supervisor")
    r = supervisor.post(f"{FISCAL}/devices/{dev['id']}/days/1/z/print")
    assert r.status_code == 409 and r.json()["code"] == "no_printer", r.text
    people = People(hub)
    store_receipt_printer(people)
    r = supervisor.post(f"{FISCAL}/devices/{dev['id']}/days/1/z/print")
    assert r.status_code == 201 and r.json()["kind"] == "status_slip", r.text
    job = r.json()

    def bytes_of(conn):
        from hub.printing import jobs

        row = jobs.job(conn, job["id"])
        return render.job_bytes(conn, row, jobs.printer(conn, row["printer_id"]))

    data = _db(hub).write_sync(bytes_of)
    assert b"Z REPORT" in data and b"25.00" in data and b"21.99" in data and b"Soko Test Supermarket" in data
    [entry] = _audits(hub, "fiscal_report.printed")
    assert entry["entity_id"] == dev["id"]
    assert hub.as_user("cashier").get(f"{FISCAL}/devices/{dev['id']}/days/1/z").status_code == 403


def test_the_worker_publishes_its_alerts_on_the_event_bus(hub, sim, monkeypatch):
    import asyncio
    from types import SimpleNamespace

    from hub.events.bus import bus_for
    from hub.fiscal import subsystem

    manager, till, dev = _ready(hub, sim)
    open_day(manager, dev["id"])
    _shift_day(hub, sim, dev, 23)
    state = SimpleNamespace(db=_db(hub), settings=hub.server.settings)
    listener = bus_for(state).subscribe()
    monkeypatch.setattr(subsystem, "OPERATIONS_EVERY", 0.0)
    worker = subsystem.FiscalSubsystem()
    worker.state = state

    async def one_round():
        await worker._operations(asyncio.get_running_loop())

    asyncio.run(one_round())
    event = listener.queue.get_nowait()
    assert event.kind == "fiscal_alert" and event.data["code"] == "day_end_soon", event
    assert event.data["fiscal_device_id"] == dev["id"] and event.data["till_id"] == till.device_id
    assert listener.queue.empty()
