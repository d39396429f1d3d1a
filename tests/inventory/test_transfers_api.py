"""Transfers between two real hubs over HTTP: an out transfer drafted and posted at one store
(stock leaves at its average cost, in transit), its file imported at the other (lines matched by
SKU then barcode, unmatched ones mapped or marked not received), posted there (stock arrives at the
sender's cost) and confirmed back; every refusal changes nothing."""

from __future__ import annotations

import json
import sqlite3

import pytest

from hub.inventory import check
from hub.inventory.transfers import files
from hub.setup import DEMO_STORE, create_database
from tests.catalogue.fixtures import admin, create, ean13, field_errors, ids, reference, rows  # noqa: F401
from tests.hubtest import Hub, HubServer, fast_hasher, make_settings
from tests.inventory import transfer_recipes
from tests.people import People, audit_entries

URL = "/api/v1/inventory/transfers"


@pytest.fixture
def branch(tmp_path):
    """A second demo hub: the chain's store BYO."""
    settings = make_settings(tmp_path / "branch")
    store = create_database(settings.db_path, store_name="Soko Bulawayo", store_code="BYO",
                            timezone=DEMO_STORE["timezone"], hasher=fast_hasher(), demo=True)
    server = HubServer(settings).start()
    running = Hub(server, store)
    try:
        yield running
    finally:
        running.close()
        server.stop()


def level(hub, product_id):
    found = rows(hub.db_path, "SELECT on_hand, avg_cost FROM stock_levels WHERE product_id = ?", product_id)
    return (found[0]["on_hand"], found[0]["avg_cost"]) if found else (0, None)


def no_differences(hub):
    conn = sqlite3.connect(hub.db_path)
    conn.row_factory = sqlite3.Row
    try:
        assert check(conn) == []
    finally:
        conn.close()


def counts(hub):
    return (rows(hub.db_path, "SELECT count(*) AS n FROM transfers")[0]["n"],
            rows(hub.db_path, "SELECT count(*) AS n FROM stock_movements")[0]["n"], audit_entries(hub)[-1]["seq"])


def stock(client, ids, sku, quantity, cost, *barcodes, pack=None):
    codes = [{"code": b} for b in barcodes] + ([{"code": pack[0], "pack_quantity": pack[1]}] if pack else [])
    opening = {"opening_stock": {"quantity": quantity, "unit_cost": cost}} if quantity else {}
    return create(client, ids, sku=sku, name=f"Product {sku}", barcodes=codes, **opening)


def sent_out(client, body):
    r = client.post(URL, json=body)
    assert r.status_code == 201, r.text
    r = client.post(f"{URL}/{r.json()['id']}/post")
    assert r.status_code == 200, r.text
    return r.json()


def test_a_transfer_goes_out_arrives_and_is_confirmed_between_two_hubs(hub, admin, ids, branch):
    b_admin = branch.as_user("admin")
    b_ids = reference(b_admin)
    cola = stock(admin, ids, "COLA", 24000, 50, ean13("600100000001"), pack=(ean13("600100000002"), 6000))
    bread = stock(admin, ids, "BREAD", 10000, 80, ean13("600100000003"))
    soap = stock(admin, ids, "SOAP", 5000, 30, ean13("600100000004"))
    b_cola = stock(b_admin, b_ids, "COLA", 6000, 74, ean13("600100000001"))
    b_bread = stock(b_admin, b_ids, "BREAD-BYO", 0, 0, ean13("600100000003"))  # same barcode, another SKU
    b_soap = stock(b_admin, b_ids, "SAVON", 0, 0)  # neither SKU nor barcode: mapped by hand

    r = admin.post(URL, json={"other_store_code": "BYO", "other_store_name": "Bulawayo", "note": "weekly", "lines": [
        {"code": ean13("600100000002"), "quantity": 2000},  # two packs of 6
        {"code": "BREAD", "quantity": 4000}, {"product_id": soap["id"], "quantity": 2000}]})
    assert r.status_code == 201, r.text
    draft = r.json()
    assert draft["status"] == "draft" and draft["direction"] == "out" and draft["number"] == "TO-000001"
    assert [ln["quantity"] for ln in draft["lines"]] == [12000, 4000, 2000]
    assert level(hub, cola["id"]) == (24000, 50)  # a draft moves nothing

    seq = audit_entries(hub)[-1]["seq"]
    r = admin.post(f"{URL}/{draft['id']}/post")
    assert r.status_code == 200, r.text
    sent = r.json()
    assert sent["status"] == "in_transit" and sent["posted_by"] == "admin"
    assert [ln["unit_cost"] for ln in sent["lines"]] == [50, 80, 30]
    assert level(hub, cola["id"]) == (12000, 50) and level(hub, bread["id"]) == (6000, 80)
    assert [e["action"] for e in audit_entries(hub, seq)] == ["transfer.posted"]
    moved = rows(hub.db_path, "SELECT kind, quantity, unit_cost FROM stock_movements WHERE source_id = ?"
                 " ORDER BY source_line", draft["id"])
    assert [(m["kind"], m["quantity"], m["unit_cost"]) for m in moved] == [
        ("transfer_out", -12000, 50), ("transfer_out", -4000, 80), ("transfer_out", -2000, 30)]

    r = admin.get(f"{URL}/{draft['id']}/file")
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    file = r.json()
    assert file["type"] == "soko-hub-transfer" and file["format_version"] == 1
    assert file["from"]["store_code"] == "DEMO" and file["from"]["hub_id"] == hub.store.hub_id
    assert file["to"]["store_code"] == "BYO" and file["transfer_id"] == draft["id"]
    assert file["number"] == "TO-000001" and file["posted_at"] == sent["posted_at"]
    assert file["lines"][0] == {"line": 0, "sku": "COLA", "barcode": ean13("600100000001"), "name": "Product COLA",
                                "quantity": 12000, "unit_cost": 50}

    r = b_admin.post(f"{URL}/import", json=file)
    assert r.status_code == 201, r.text
    arriving = r.json()
    assert arriving["direction"] == "in" and arriving["status"] == "in_transit" and arriving["number"] == "TI-000001"
    assert arriving["other_store_code"] == "DEMO" and arriving["source_number"] == "TO-000001"
    assert [ln["product_id"] for ln in arriving["lines"]] == [b_cola["id"], b_bread["id"], None]
    assert arriving["unmatched"] == 1

    before = counts(branch)
    r = b_admin.post(f"{URL}/{arriving['id']}/receive")
    assert r.status_code == 422 and "lines[2].code" in field_errors(r)
    assert counts(branch) == before and level(branch, b_cola["id"]) == (6000, 74)

    r = b_admin.post(f"{URL}/{arriving['id']}/receiving", json={"lines": [
        {"line": 2, "code": "SAVON"}, {"line": 1, "received": 3000}, {"line": 0, "received": 12000}]})
    assert r.status_code == 200, r.text
    assert [(ln["received"], ln["difference"]) for ln in r.json()["lines"]] == [(12000, 0), (3000, -1000), (2000, 0)]
    r = b_admin.post(f"{URL}/{arriving['id']}/receive")
    assert r.status_code == 200, r.text
    received = r.json()
    assert received["status"] == "received" and received["received_by"] == "admin"
    assert level(branch, b_cola["id"]) == (18000, 58)  # (6 x 74 + 12 x 50) / 18
    assert level(branch, b_bread["id"]) == (3000, 80) and level(branch, b_soap["id"])[0] == 2000
    r = b_admin.post(f"{URL}/{arriving['id']}/receiving", json={"lines": [{"line": 1, "received": 4000}]})
    assert r.status_code == 409 and r.json()["code"] == "transfer_not_in_transit"

    r = b_admin.get(f"{URL}/{arriving['id']}/confirmation")
    assert r.status_code == 200, r.text
    receipt = r.json()
    assert receipt["type"] == "soko-hub-transfer-receipt" and receipt["transfer_id"] == draft["id"]
    assert [ln["received"] for ln in receipt["lines"]] == [12000, 3000, 2000]

    moved_before = counts(hub)[1]
    r = admin.post(f"{URL}/confirmations", json=receipt)
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["status"] == "received" and done["received_by"] == "admin at BYO"
    assert [ln["difference"] for ln in done["lines"]] == [0, -1000, 0]
    assert counts(hub)[1] == moved_before and level(hub, bread["id"]) == (6000, 80)  # nothing moves at the sender
    r = admin.post(f"{URL}/confirmations", json=receipt)
    assert r.status_code == 409 and r.json()["code"] == "transfer_imported"
    no_differences(hub)
    no_differences(branch)


def test_a_file_for_another_store_or_imported_twice_is_refused_and_changes_nothing(hub, admin, ids, branch):
    b_admin = branch.as_user("admin")
    item = stock(admin, ids, "RICE", 10000, 100)
    sent = sent_out(admin, {"other_store_code": "BYO", "lines": [{"code": "RICE", "quantity": 1000}]})
    file = admin.get(f"{URL}/{sent['id']}/file").json()

    before = counts(hub)
    r = admin.post(f"{URL}/import", json=file)  # its own file
    assert r.status_code == 422 and r.json()["code"] == "transfer_wrong_store" and "file" in field_errors(r)
    assert counts(hub) == before

    elsewhere = {**file, "to": {"store_code": "MUT", "store_name": ""}}
    before = counts(branch)
    r = b_admin.post(f"{URL}/import", json=elsewhere)
    assert r.status_code == 422 and "MUT" in field_errors(r)["file"]
    r = b_admin.post(f"{URL}/import", json={**file, "type": "something"})
    assert r.status_code == 422 and "file" in field_errors(r)
    r = b_admin.post(f"{URL}/import", json={**file, "lines": [{"line": 0, "sku": "RICE", "quantity": -5}]})
    assert r.status_code == 422 and "lines[0].quantity" in field_errors(r)
    r = b_admin.post(f"{URL}/import", json={**file, "posted_at": "yesterday"})
    assert r.status_code == 422 and "posted_at" in field_errors(r)
    assert counts(branch) == before

    first = b_admin.post(f"{URL}/import", json=file)
    assert first.status_code == 201, first.text
    before = counts(branch)
    r = b_admin.post(f"{URL}/import", json=file)
    assert r.status_code == 409 and r.json()["code"] == "transfer_imported"
    assert r.json()["transfer_id"] == first.json()["id"] and counts(branch) == before

    r = b_admin.post(f"{URL}/{first.json()['id']}/receive", json={"lines": [{"line": 0, "not_received": True}]})
    assert r.status_code == 200, r.text  # nothing of it arrived: no movement
    assert r.json()["lines"][0]["difference"] == -1000 and counts(branch)[1] == before[1]
    assert level(hub, item["id"]) == (9000, 100)
    no_differences(branch)


def test_a_draft_is_checked_edited_and_discarded_and_a_posted_one_is_never_edited(hub, admin, ids):
    stock(admin, ids, "FLOUR", 10000, 100)
    kilos = create(admin, ids, sku="BEANS", unit_id=ids["kg"], opening_stock={"quantity": 5000, "unit_cost": 10})
    before = counts(hub)
    r = admin.post(URL, json={"other_store_code": "DEMO", "lines": [
        {"code": "NOPE", "quantity": 1000}, {"code": "FLOUR", "quantity": 1500}]})
    assert r.status_code == 422
    assert set(field_errors(r)) == {"other_store_code", "lines[0].code", "lines[1].quantity"}
    r = admin.post(URL, json={"other_store_code": "byo", "lines": []})
    assert r.status_code == 400  # the schema's pattern: capital letters or digits
    assert counts(hub) == before

    draft = admin.post(URL, json={"other_store_code": "BYO", "lines": [{"code": "BEANS", "quantity": 1250}]}).json()
    assert draft["lines"][0]["quantity"] == 1250  # kilograms take decimals
    r = admin.patch(f"{URL}/{draft['id']}", json={"other_store_code": "MUT", "lines": [{"code": "FLOUR", "quantity": 2000}]})
    assert r.status_code == 200 and r.json()["other_store_code"] == "MUT" and r.json()["lines"][0]["sku"] == "FLOUR"
    r = admin.post(f"{URL}/{draft['id']}/discard")
    assert r.status_code == 200 and r.json()["status"] == "discarded"
    r = admin.post(f"{URL}/{draft['id']}/post")
    assert r.status_code == 409 and r.json()["code"] == "transfer_not_draft"

    empty = admin.post(URL, json={"other_store_code": "BYO"}).json()
    r = admin.post(f"{URL}/{empty['id']}/post")
    assert r.status_code == 422 and "lines" in field_errors(r)

    sent = sent_out(admin, {"other_store_code": "BYO", "lines": [{"code": "BEANS", "quantity": 500}]})
    before = counts(hub)
    for call in (lambda: admin.patch(f"{URL}/{sent['id']}", json={"note": "x"}),
                 lambda: admin.post(f"{URL}/{sent['id']}/post"), lambda: admin.post(f"{URL}/{sent['id']}/discard")):
        r = call()
        assert r.status_code == 409 and r.json()["code"] == "transfer_not_draft"
    assert counts(hub) == before and level(hub, kilos["id"]) == (4500, 10)
    r = admin.get(f"{URL}/{empty['id']}/file")
    assert r.status_code == 409
    no_differences(hub)


def test_the_list_filters_and_pages(hub, admin, ids):
    stock(admin, ids, "SALT", 100000, 10)
    made = [sent_out(admin, {"other_store_code": code, "lines": [{"code": "SALT", "quantity": 1000}]})
            for code in ("BYO", "MUT", "BYO")]
    admin.post(URL, json={"other_store_code": "GWE"})
    r = admin.get(URL, params={"status": "in_transit", "store": "byo"})
    assert [t["id"] for t in r.json()["items"]] == [made[2]["id"], made[0]["id"]]
    page = admin.get(URL, params={"limit": 2, "direction": "out"}).json()
    assert len(page["items"]) == 2 and page["next_after"]
    rest = admin.get(URL, params={"limit": 2, "direction": "out", "after": page["next_after"]}).json()
    assert [t["id"] for t in page["items"] + rest["items"]][1:] == [m["id"] for m in reversed(made)]
    assert rest["next_after"] is None
    assert admin.get(URL, params={"direction": "in"}).json()["items"] == []
    assert admin.get(URL, params={"after": "junk"}).status_code == 422
    viewer = hub.as_user("supervisor")  # inventory.view without inventory.transfer
    assert viewer.get(f"{URL}/{made[0]['id']}").status_code == 200
    assert viewer.post(URL, json={"other_store_code": "BYO"}).status_code == 403


def test_the_transfer_file_round_trips_through_its_pure_parser():
    doc = {"id": "t1", "number": "TO-000007", "other_store_code": "BYO", "other_store_name": "", "posted_at":
           "2026-05-01T08:00:00.000000Z", "note": "", "lines": [
               {"line": 0, "sku": "A", "barcode": "", "name": "A", "quantity": 1500, "unit_cost": None}]}
    built = files.transfer_file(doc, store_code="DEMO", store_name="Demo", hub_id="h1")
    parsed = files.parse_transfer_file(files.encode(built))
    assert parsed["sender"] == {"store_code": "DEMO", "store_name": "Demo", "hub_id": "h1"}
    assert parsed["to"]["store_code"] == "BYO" and parsed["lines"][0]["quantity"] == 1500
    assert parsed["lines"][0]["unit_cost"] is None
    with pytest.raises(Exception):
        files.parse_transfer_file(json.dumps({**built, "format_version": 2}))


def test_a_confirmation_for_another_store_or_of_an_unknown_transfer_is_refused(hub, admin, ids):
    stock(admin, ids, "MAIZE", 10000, 60)
    sent = sent_out(admin, {"other_store_code": "BYO", "lines": [{"code": "MAIZE", "quantity": 1000}]})
    doc = admin.get(f"{URL}/{sent['id']}").json()
    received = {"number": "TI-000009", "other_store_code": "DEMO", "source_transfer_id": sent["id"],
                "source_number": sent["number"], "received_at": "2026-05-02T08:00:00.000000Z", "received_by": "x",
                "lines": [{**ln, "received": ln["quantity"]} for ln in doc["lines"]]}
    before = counts(hub)
    for body, field in (
            (files.receipt_confirmation(received, store_code="MUT", store_name="", hub_id=None), "file"),
            (files.receipt_confirmation({**received, "other_store_code": "GWE"}, store_code="BYO", store_name="",
                                        hub_id=None), "file"),
            (files.receipt_confirmation({**received, "source_transfer_id": "nope"}, store_code="BYO", store_name="",
                                        hub_id=None), "file"),
            (files.receipt_confirmation({**received, "lines": []}, store_code="BYO", store_name="", hub_id=None),
             "lines")):
        r = admin.post(f"{URL}/confirmations", json=body)
        assert r.status_code == 422 and field in field_errors(r), r.text
    assert counts(hub) == before and admin.get(f"{URL}/{sent['id']}").json()["status"] == "in_transit"
    r = admin.post(f"{URL}/confirmations", json=transfer_recipes.confirmation(People(hub)))
    assert r.status_code == 200 and r.json()["status"] == "received"
