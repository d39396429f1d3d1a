"""The reference till through the real sync endpoints: snapshot, changes, offline sale, upload."""

from __future__ import annotations

import threading
import time

import pytest

from reftill.http import HubRefusedError
from reftill.till import Till
from tests.pairing import Tills


@pytest.fixture
def tills(tls_hub):
    return Tills.licensed(tls_hub, tls_hub.as_user("admin"))


def test_snapshot_then_sell_offline_and_upload(tls_hub, tills, tmp_path):
    till = Till.pair(tmp_path / "t1", tls_hub.url, tills.code(), name="Till A")
    try:
        loaded = till.sync.pull()
        assert loaded > 2000 and till.store.count("product") == 2000
        assert till.store.count("user") >= 1
        products = till.store.rows("product")
        code = next(p["barcodes"][0]["code"] for p in products
                    if p["barcodes"] and (p["effective_prices"] or {}).get("USD"))
        till.login_offline("cashier", tls_hub.credentials["cashier"][1])
        shift = till.open_shift({"USD": 5000})
        sale = till.sell([(code, None)])
        assert till.sync.upload() == 2
        manager = tls_hub.as_user("manager")
        got = manager.get(f"/api/v1/sales/{sale['id']}").json()
        assert {e["kind"] for e in got["exceptions"]} <= {"negative_stock"}, got["exceptions"]
        assert got["shift_id"] == shift
        till.close_shift()
        assert till.sync.upload() == 1
        digest = till.sync.shift_digest(shift)
        assert digest["match"] and digest["hub"]["count"] == 3
        assert till.sync.report_status()["acked_through"] == 3
    finally:
        till.close()


def test_a_long_poll_brings_a_price_change_at_once_and_the_next_sale_carries_it(tls_hub, tills, tmp_path):
    till = Till.pair(tmp_path / "t1", tls_hub.url, tills.code(), name="Till A")
    try:
        till.sync.pull()
        product = next(p for p in till.store.rows("product") if (p["effective_prices"] or {}).get("USD") and p["sku"])
        manager = tls_hub.as_user("manager")

        def change_price() -> None:
            time.sleep(0.5)
            r = manager.patch(f"/api/v1/products/{product['id']}", json={"prices": {"USD": 12345}})
            assert r.status_code == 200, r.text

        started = time.monotonic()
        worker = threading.Thread(target=change_price)
        worker.start()
        try:
            assert till.sync.pull(wait=20) >= 1
        finally:
            worker.join()
        assert time.monotonic() - started < 10  # woken by the commit, not the end of the wait
        assert till.store.product_for_code(product["sku"])[0]["effective_prices"]["USD"] == 12345
        till.login("cashier", tls_hub.credentials["cashier"][1])
        sale = till.sell([(product["sku"], None)], method="card")
        assert sale["lines"][0]["unit_price"] == 12345
        assert till.sync.upload() == 1
        got = manager.get(f"/api/v1/sales/{sale['id']}").json()
        assert "price_mismatch" not in {e["kind"] for e in got["exceptions"]}
        assert till.sync.pull() >= 1  # the product's new stock level
        assert till.store.row("stock_level", product["id"]) is not None
        assert till.sync.pull() == 0  # nothing new: an empty batch, the cursor kept
    finally:
        till.close()


def test_a_revoked_till_still_hands_over_its_sales_into_quarantine(tls_hub, tills, tmp_path):
    till = Till.pair(tmp_path / "t1", tls_hub.url, tills.code(), name="Till A")
    try:
        till.sync.pull()
        till.login("cashier", tls_hub.credentials["cashier"][1])
        sale = till.sell([(next(p["sku"] for p in till.store.rows("product")
                                if (p["effective_prices"] or {}).get("USD") and p["sku"]), None)], method="card")
        manager = tls_hub.as_user("manager")
        assert manager.post(f"/api/v1/devices/{till.device_id}/revoke").status_code == 200
        assert till.sync.upload() == 1  # acknowledged: the till may forget it, the hub keeps it
        assert till.sync.counts["quarantined"] == 1
        [kept] = manager.get("/api/v1/sync/quarantine", params={"device": till.device_id}).json()["items"]
        assert (kept["reason"], kept["payload"]["id"]) == ("device_revoked", sale["id"])
        with pytest.raises(HubRefusedError) as refused:
            till.sync.pull()
        assert refused.value.status in (401, 403)
    finally:
        till.close()


def test_a_trimmed_cursor_reloads_the_snapshot_without_resending_anything(tls_hub, tills, tmp_path):
    from hub.db.changes import latest_seq
    from hub.sync import feed

    till = Till.pair(tmp_path / "t1", tls_hub.url, tills.code(), name="Till A")
    try:
        till.sync.pull()
        till.login("cashier", tls_hub.credentials["cashier"][1])
        till.open_shift({"USD": 100})
        assert till.sync.upload() == 1
        manager = tls_hub.as_user("manager")
        product = next(p for p in till.store.rows("product") if (p["effective_prices"] or {}).get("USD"))
        for price in (111, 222):  # the first row is replaced by the second: trimming drops it
            r = manager.patch(f"/api/v1/products/{product['id']}", json={"prices": {"USD": price}})
            assert r.status_code == 200, r.text
        db = tls_hub.server.app.state.db
        assert db.write_sync(lambda conn: feed.trim(conn, through=latest_seq(conn)))["removed"] >= 1
        till.sync.pull()
        assert till.sync.counts["snapshots"] == 2 and till.sync.counts["new_epochs"] == 0
        assert till.store.row("product", product["id"])["effective_prices"]["USD"] == 222
        assert till.store.unacked()[0] == 0 and till.sync.upload() == 0  # same epoch: nothing offered again
    finally:
        till.close()


def test_the_tills_own_count_of_its_drawer_is_what_the_hub_expects_after_a_void_and_a_pay_out(
        tls_hub, tills, tmp_path):
    till = Till.pair(tmp_path / "t1", tls_hub.url, tills.code(), name="Till A")
    try:
        till.sync.pull()
        skus = [p["sku"] for p in till.store.rows("product") if (p["effective_prices"] or {}).get("USD")][:3]
        till.login("cashier", tls_hub.credentials["cashier"][1])
        shift = till.open_shift({"USD": 5000})
        voided = till.sell([(skus[0], None), (skus[1], 3000)], method="cash", handed=100_000)
        kept = till.sell([(skus[2], None)], method="cash", handed=50_000)
        till.sell([(skus[1], None)], method="card")
        till.cash_movement("pay_out", "USD", 300, "supplier_paid")
        till.logout()
        till.login("supervisor", tls_hub.credentials["supervisor"][1])  # a void needs sales.void
        till.void(voided["id"], "customer changed their mind")
        till.logout()
        till.login("cashier", tls_hub.credentials["cashier"][1])
        expected = 5000 + kept["total"] - 300
        assert till.expected_cash(shift) == {"USD": expected}
        till.close_shift()
        assert till.sync.upload() == 7 and till.sync.counts["quarantined"] == 0
        manager = tls_hub.as_user("manager")
        assert manager.get(f"/api/v1/sales/{voided['id']}").json()["status"] == "voided"
        report = manager.get(f"/api/v1/shifts/{shift}/close-report").json()
        cash = [line for line in report["close_lines"] if line["method"] == "cash"]
        assert [(c["currency"], c["expected"], c["counted"], c["variance"]) for c in cash if c["currency"] == "USD"] \
            == [("USD", expected, expected, 0)]
        assert all(c["variance"] == 0 for c in cash)
        assert till.sync.shift_digest(shift)["match"]
    finally:
        till.close()
