"""submitFile for a device ZIMRA set to Offline mode: the day opens locally, receipts are signed as
online and wait, closing sends the day as base64 JSON files (split at the size limit, in
fileSequence order) and polls getFileStatus; the simulator checks every receipt, the counters and
the day signature from the file on its own; a re-submission after a lost answer is idempotent."""

from __future__ import annotations

import base64
import json

from hub.fiscal import offline
from tests.fiscal.recipes import FISCAL, configure, fiscal_till, map_taxes, open_day
from tests.sales.build import line


def _offline_device(hub, sim):
    manager = hub.as_user("manager")
    configure(hub, manager, sim)
    till, dev = fiscal_till(hub, manager, sim)
    sim.devices[dev["fdms_device_id"]].mode = "Offline"  # ZIMRA's choice, learnt from getConfig
    r = manager.post(f"{FISCAL}/devices/{dev['id']}/config")
    assert r.status_code == 200 and r.json()["operating_mode"] == "Offline", r.text
    map_taxes(manager)
    return manager, till, dev


def test_an_offline_day_opens_locally_and_closes_as_files_fdms_processes(hub, sim, monkeypatch):
    from tests.sales.refunding import refund_body
    from tests.sales.recipes import SALES, Till

    manager, till, dev = _offline_device(hub, sim)
    number = dev["fdms_device_id"]
    day = open_day(manager, dev["id"])
    assert day["day_status"] == "opened" and day["day_no"] == 1
    assert not [c for c in sim.calls if c[0] == "OpenDay"]  # FDMS refuses openDay from an Offline device
    sold = [till.sell(till.body([line(300 + i, 2000), line(199, 1000, tax_rate_bp=0)])) for i in range(4)]
    supervisor = Till(hub, "supervisor", paired_by=till.paired_by, paired=till.paired)
    r = supervisor.http.post(f"{SALES}/{sold[0]['id']}/refunds", json=refund_body([{"line_no": 0, "quantity": 1000}]))
    assert r.status_code == 201, r.text
    assert manager.post(f"{FISCAL}/queue/submit").json() == {"submitted": 0, "failed": 0}  # never submitReceipt
    assert sim.devices[number].receipts == {}
    monkeypatch.setattr(offline, "MAX_FILE_BYTES", 6000)  # a few receipts a file: the day takes several
    r = manager.post(f"{FISCAL}/devices/{dev['id']}/day/close")
    assert r.status_code == 200, r.text
    day = manager.get(f"{FISCAL}/devices/{dev['id']}/day").json()
    assert day["day_status"] == "closed" and day["queued"] == 0 and day["submitted"] == 5, day
    files = manager.get(f"{FISCAL}/devices/{dev['id']}/files").json()["items"]
    assert len(files) >= 2 and [f["file_sequence"] for f in files] == list(range(1, len(files) + 1))
    assert {f["status"] for f in files} == {"successful"} and all(f["operation_id"] for f in files)
    assert all(f["size"] <= 6000 for f in files)
    first = json.loads(base64.b64decode([c for c in sim.calls if c[0] == "SubmitFile"][0][2]["_raw"]))
    assert first["header"] == {"deviceID": number, "fiscalDayNo": 1, "fiscalDayOpened": day["day_opened"],
                               "fileSequence": 1} and "footer" not in first
    held = sim.devices[number].receipts
    assert sorted(held) == [1, 2, 3, 4, 5] and held[5]["receipt"]["receiptType"] == "CreditNote"
    assert all(not x["answer"]["validationErrors"] for x in held.values()), [x["answer"] for x in held.values()]
    assert sim.devices[number].closed_days[1]["counters"] and sim.devices[number].day_status == "FiscalDayClosed"
    assert {c[0] for c in sim.calls} >= {"SubmitFile", "SubmittedFileList"}
    assert not [c for c in sim.calls if c[0] in ("SubmitReceipt", "CloseDay")]


def test_a_file_whose_answer_was_lost_is_sent_again_and_counted_once(hub, sim):
    manager, till, dev = _offline_device(hub, sim)
    number = dev["fdms_device_id"]
    open_day(manager, dev["id"])
    for i in range(3):
        till.sell(till.body([line(500 + i)]))
    sim.lose_answers = 1  # FDMS processes the file, the answer never arrives
    r = manager.post(f"{FISCAL}/devices/{dev['id']}/day/close")
    assert r.status_code == 200, r.text
    day = r.json()
    assert day["day_status"] == "close_initiated" and day["queued"] == 3, day
    [sent] = manager.get(f"{FISCAL}/devices/{dev['id']}/files").json()["items"]
    assert sent["status"] == "built" and not sent["operation_id"] and "503" in sent["errors"][0]
    assert sim.devices[number].day_status == "FiscalDayClosed"  # FDMS has it all already
    r = manager.post(f"{FISCAL}/devices/{dev['id']}/files/submit")
    assert r.status_code == 200 and r.json()["day_status"] == "closed", r.text
    uploads = sim.files[number]
    assert len(uploads) == 2 and uploads[0]["data"] == uploads[1]["data"]  # the very same file again
    assert [u["status"] for u in uploads] == ["FileProcessingIsSuccessful"] * 2
    assert sorted(sim.devices[number].receipts) == [1, 2, 3]  # each receipt once
    day = manager.get(f"{FISCAL}/devices/{dev['id']}/day").json()
    assert day["submitted"] == 3 and day["queued"] == 0
    # the next day opens locally again and numbers go on
    open_day(manager, dev["id"])
    till.sell(till.body([line(900)]))
    r = manager.post(f"{FISCAL}/devices/{dev['id']}/day/close")
    assert r.status_code == 200 and r.json()["day_status"] == "closed", r.text
    assert sim.devices[number].receipts[4]["day"] == 2 and not sim.devices[number].receipts[4]["answer"]["validationErrors"]


def test_files_split_at_the_limit_with_the_footer_only_in_the_last():
    bodies = [json.dumps({"receiptGlobalNo": n, "pad": "x" * 400}) for n in range(1, 21)]
    header = {"deviceID": 7, "fiscalDayNo": 3, "fiscalDayOpened": "2026-11-20T08:00:00"}
    files = offline.build_files(header, bodies, {"receiptCounter": 20, "fiscalDayCounters": []})
    decoded = [json.loads(base64.b64decode(f["body"])) for f in files]
    assert len(files) == 1 and decoded[0]["footer"]["receiptCounter"] == 20
    old = offline.MAX_FILE_BYTES
    offline.MAX_FILE_BYTES = 2000
    try:
        files = offline.build_files(header, bodies, {"receiptCounter": 20, "fiscalDayCounters": []})
    finally:
        offline.MAX_FILE_BYTES = old
    decoded = [json.loads(base64.b64decode(f["body"])) for f in files]
    assert len(files) > 3 and all(f["size"] <= 2000 for f in files)
    assert [d["header"]["fileSequence"] for d in decoded] == list(range(1, len(files) + 1))
    assert ["footer" in d for d in decoded] == [False] * (len(files) - 1) + [True]
    numbers = [r["receiptGlobalNo"] for d in decoded for r in d.get("content", {}).get("receipts", [])]
    assert numbers == list(range(1, 21))
