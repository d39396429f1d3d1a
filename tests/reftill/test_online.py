"""The reference till against a real hub over HTTPS: pairing pins the key, sign-in, the online sale."""

from __future__ import annotations

import pytest

from reftill.http import PinError
from reftill.till import LoginError, PairingError, Till
from tests.pairing import Tills

OPEN_ITEM = {"name": "Loose tomatoes", "quantity": 1500, "unit_price": 120, "total": 180, "product_id": None,
             "code": "2000000000015", "discounts": [], "tax_rate_bp": 0, "tax_amount": 0, "tax_code": "B"}


@pytest.fixture
def tills(tls_hub):
    return Tills.licensed(tls_hub, tls_hub.as_user("admin"))


def test_pairing_pins_the_hubs_key_and_a_wrong_pin_sends_nothing(tls_hub, tills, tmp_path):
    health = tls_hub.client().get("/api/v1/health").json()
    till = Till.pair(tmp_path / "t1", tls_hub.url, tills.code(), name="Till A")
    try:
        assert till.store.get("key_pin") == health["tls"]["key_pin"]
        assert till.store.get("device_id") and till.store.get("device_token")
        assert till.login("cashier", tls_hub.credentials["cashier"][1]) == "online"
    finally:
        till.close()
    with pytest.raises(PairingError):
        Till.pair(tmp_path / "t2", tls_hub.url, "AAAA-AAAA", name="Till B")
    code = tills.code()
    with pytest.raises(PinError):  # a key the QR code did not name: the code is not even sent
        Till.pair(tmp_path / "t3", tls_hub.url, code, name="Till C", key_pin="x" * 43 + "=")
    Till.pair(tmp_path / "t4", tls_hub.url, code, name="Till D").close()  # so the code is still unused


def test_a_wrong_pin_is_refused_and_a_sale_posted_twice_is_recorded_once(tls_hub, tills, tmp_path):
    till = Till.pair(tmp_path / "t1", tls_hub.url, tills.code(), name="Till A")
    try:
        with pytest.raises(LoginError):
            till.login("cashier", "0000")
        till.login("cashier", tls_hub.credentials["cashier"][1])
        body = till.sell(lines=[OPEN_ITEM], method="cash", handed=200)
        assert body["total"] == 180 and body["change"] == [{"currency": "USD", "amount": 20}]
        assert till.post_sales_directly() == 1
        till.store.reopen_from(1)  # as if the answer had been lost
        assert till.post_sales_directly() == 1
        manager = tls_hub.as_user("manager")
        sale = manager.get(f"/api/v1/sales/{body['id']}").json()
        assert (sale["total"], sale["sequence"], sale["cashier_name"]) == (180, 1, "cashier")
        listed = manager.get("/api/v1/sales", params={"till": till.device_id}).json()["items"]
        assert [s["id"] for s in listed if s["id"] == body["id"]] == [body["id"]]
    finally:
        till.close()
