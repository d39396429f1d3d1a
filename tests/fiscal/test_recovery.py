"""Fiscal recovery after a restore from backup: the restored hub signs nothing new until a manager
reconciles it with FDMS's getStatus and the tills' resent receipts; it takes the highest numbers,
adopts what the tills printed (never signing a sale twice) and then signs what waited, in order."""

from __future__ import annotations

import sqlite3

from hub.backup import create_backup, restore_backup
from tests.fiscal.recipes import FISCAL, configure, fiscal_till, map_taxes, open_day
from tests.hubtest import Hub, HubServer
from tests.pairing import Tills
from tests.portal.client import Portal
from tests.sales.build import line
from tests.sales.recipes import SALES, Till

RECOVERY = f"{FISCAL}/recovery"


def _claims(db_path, sale_ids, number):
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        rows = {r[0]: r for r in conn.execute(
            "SELECT document_id, day_no, receipt_counter, global_no, receipt_date, invoice_no, hash, signature "
            "FROM fiscal_receipts WHERE document_type = 'sale'")}
    finally:
        conn.close()
    return [{"sale_id": s, "fdms_device_id": number, "day_no": rows[s][1], "receipt_counter": rows[s][2],
             "global_no": rows[s][3], "receipt_date": rows[s][4], "invoice_no": rows[s][5], "hash": rows[s][6],
             "signature": rows[s][7]} for s in sale_ids]


def test_a_restored_hub_reconciles_adopts_the_tills_receipts_and_signs_nothing_twice(hub, sim, settings):
    manager = hub.as_user("manager")
    configure(hub, manager, sim)
    till, dev = fiscal_till(hub, manager, sim)
    number = dev["fdms_device_id"]
    map_taxes(manager)
    open_day(manager, dev["id"])
    for price in (100, 200):
        till.sell(till.body([line(price)]))
    assert manager.post(f"{FISCAL}/queue/submit").json()["failed"] == 0
    assert manager.get(RECOVERY).json()["in_recovery"] is False
    backup = create_backup(settings.db_path, settings.backup_path)

    later = [till.body([line(price)]) for price in (300, 400, 500)]
    for body in later[:2]:
        till.sell(body)
    assert manager.post(f"{FISCAL}/queue/submit").json()["failed"] == 0  # FDMS holds 1..4
    sim.down = True
    till.sell(later[2])  # signed as 5, never reached FDMS
    claims = _claims(settings.db_path, [b["id"] for b in later], number)
    assert [c["global_no"] for c in claims] == [3, 4, 5]

    hub.close()
    hub.server.stop()
    restore_backup(backup.path, settings.db_path, settings.lock_path)
    server = HubServer(settings).start()
    try:
        again = Hub(server, hub.store)
        manager = again.as_user("manager")
        state = manager.get(RECOVERY).json()
        assert state["in_recovery"] and state["devices"][0]["plan"]["hub"]["global_no"] == 2, state
        day = manager.get(f"{FISCAL}/devices/{dev['id']}/day").json()
        assert not day["signing"] and "recovery" in day["signing_paused_because"]
        r = manager.post(f"{FISCAL}/devices/{dev['id']}/day/close")
        assert r.status_code == 409 and r.json()["code"] == "fiscal_recovering", r.text  # its counters are unknown

        till_again = Till(again, paired_by=Tills(again, again.as_user("admin")), paired=till.paired)
        for body in later:  # the till resends the sales the restore lost: recorded, they wait
            r = till_again.http.post(SALES, json=body)
            assert r.status_code == 201, r.text
        waiting = till_again.http.post(SALES, json=till.body([line(600)]))  # a new sale meanwhile
        assert waiting.status_code == 201
        assert manager.get(f"{FISCAL}/devices/{dev['id']}/day").json()["pending"] == 4

        r = manager.post(f"{RECOVERY}/finish")
        assert r.status_code == 409 and r.json()["code"] == "fiscal_recovery_unchecked", r.text
        portal = Portal(again)
        page = portal.call("GET", "/fiscal", portal.token("manager"))
        assert page.status_code == 200 and "Fiscal recovery after a restore" in page.text and "not read yet" in page.text
        page = portal.call("POST", "/fiscal/recovery/finish", portal.token("manager"))
        assert page.status_code == 409 and "Fiscal recovery was not finished" in page.text, page.text[:500]
        sim.down = False
        r = manager.post(f"{RECOVERY}/check")
        assert r.status_code == 200 and not r.json()["failed"], r.text
        plan = r.json()["devices"][0]["plan"]
        assert (plan["fdms"]["global_no"], plan["global_no"]) == (4, 4) and plan["problems"], plan
        r = manager.post(f"{RECOVERY}/finish")  # FDMS's open day holds 3 and 4, the hub knows only 1 and 2
        assert r.status_code == 409 and r.json()["code"] == "fiscal_recovery_gap", r.text

        forged = dict(claims[2], signature=claims[1]["signature"])
        r = till_again.http.post(f"{RECOVERY}/receipts", json={"receipts": [forged]})
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == "receipts[0].signature", r.text
        r = till_again.http.post(f"{RECOVERY}/receipts", json={"receipts": claims})
        assert r.status_code == 200 and r.json() == {"received": 3, "added": 3}, r.text
        r = till_again.http.post(f"{RECOVERY}/receipts", json={"receipts": claims})  # resent: idempotent
        assert r.json() == {"received": 3, "added": 0}
        plan = manager.get(RECOVERY).json()["devices"][0]["plan"]
        assert (plan["tills"]["global_no"], plan["global_no"], plan["problems"]) == (5, 5, [])

        page = portal.call("POST", "/fiscal/recovery/finish", portal.token("manager"))  # the portal's form
        assert page.status_code == 303, page.text[:500]
        assert manager.get(RECOVERY).json()["in_recovery"] is False
        assert "Fiscal recovery after a restore" not in portal.call("GET", "/fiscal", portal.token("manager")).text
        receipts = {x["document_id"]: x for x in manager.get(f"{FISCAL}/receipts", params={"limit": 50}).json()["items"]}
        assert [receipts[b["id"]]["global_no"] for b in later] == [3, 4, 5]  # adopted, not signed again
        assert [receipts[b["id"]]["status"] for b in later] == ["submitted", "submitted", "queued"]
        assert receipts[waiting.json()["id"]]["global_no"] == 6 and receipts[waiting.json()["id"]]["receipt_counter"] == 6
        assert manager.post(f"{FISCAL}/queue/submit").json()["failed"] == 0
        held = sim.devices[number].receipts
        assert sorted(held) == [1, 2, 3, 4, 5, 6]
        assert all(not x["answer"]["validationErrors"] for x in held.values()), [x["answer"] for x in held.values()]
        r = manager.post(f"{FISCAL}/devices/{dev['id']}/day/close")
        assert r.status_code == 200 and r.json()["day_status"] == "closed", r.text
        assert sim.devices[number].day_status == "FiscalDayClosed"
        actions = [row[0] for row in sqlite3.connect(f"file:{settings.db_path}?mode=ro", uri=True).execute(
            "SELECT action FROM audit_log WHERE action LIKE 'fiscal.recovery%' OR action = 'fiscal.claims_received'")]
        assert actions.count("fiscal.recovery_finished") == 1 and "fiscal.claims_received" in actions
        again.close()
    finally:
        server.stop()
