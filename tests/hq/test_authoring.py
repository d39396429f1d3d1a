"""HQ's authoring API: roles, reference rows checked per entity, CSV import, a feed row per write."""

from __future__ import annotations

from tests.hqtest import ADMIN


def _feed(hq):
    return hq.sql("SELECT entity, id, version, op FROM changes ORDER BY seq")


def test_sign_in_and_roles(hq):
    r = hq.client().post("/api/hq/v1/auth/login", json={"username": ADMIN[0], "password": "wrong-password"})
    assert r.status_code == 401 and r.json()["code"] == "invalid_credentials"
    assert hq.client().get("/api/hq/v1/stores").status_code == 401
    analyst = hq.analyst()
    assert analyst.get("/api/hq/v1/stores").status_code == 200
    r = analyst.put("/api/hq/v1/reference/setting/x", json={"value": 1})
    assert r.status_code == 403 and r.json()["code"] == "forbidden"
    assert analyst.post("/api/hq/v1/stores", json={"code": "S9", "name": "Nine", "time_zone": "Africa/Harare",
                                                   "currencies": ["USD"]}).status_code == 403
    assert analyst.post("/api/hq/v1/users", json={"username": "eve", "password": "long-enough-1",
                                                  "role": "admin"}).status_code == 403
    r = hq.admin.post("/api/hq/v1/users", json={"username": "viewer", "password": "long-enough-1", "role": "analyst"})
    assert r.status_code == 201
    assert hq.login("viewer", "long-enough-1")
    token = hq.login(*ADMIN)
    client = hq.client(token)
    assert client.post("/api/hq/v1/auth/logout").status_code == 204
    assert client.get("/api/hq/v1/stores").status_code == 401
    assert _feed(hq) == []  # none of this is reference data


def test_reference_rows_are_checked_and_versioned(hq):
    admin = hq.admin
    r = admin.put("/api/hq/v1/reference/product/p1", json={"sku": "A", "name": "Apple", "prices": {"usd": 1}})
    assert r.status_code == 422 and r.json()["code"] == "invalid_fields"
    r = admin.put("/api/hq/v1/reference/product/p1", json={"sku": "A", "name": "Apple", "cost": 5})
    assert r.status_code == 422  # cost is the store's, never HQ's
    assert admin.put("/api/hq/v1/reference/gadget/x", json={}).status_code == 404
    r = admin.put("/api/hq/v1/reference/exchange_rate/r1", json={"base": "USD", "quote": "ZWG", "rate": 2690,
                                                                 "scale": 100, "effective_from": "2026-11-26T00:00:00Z"})
    assert r.status_code == 200 and r.json()["version"] == 1
    r = admin.put("/api/hq/v1/reference/promotion/pr1", json={"name": "Two for one", "kind": "buy_x_get_y",
                                                              "buy": 2, "get": 1})
    assert r.status_code == 200 and r.json()["data"]["buy"] == 2
    r = admin.put("/api/hq/v1/reference/user/u1", json={"username": "tino", "role": "cashier", "pin": "1234"})
    assert r.status_code == 422  # no secrets from HQ: the store sets PINs
    assert admin.put("/api/hq/v1/reference/user/u1", json={"username": "tino", "role": "cashier"}).status_code == 200
    assert admin.delete("/api/hq/v1/reference/user/u1").json()["version"] == 2
    assert admin.delete("/api/hq/v1/reference/user/u1").status_code == 404
    assert _feed(hq) == [("exchange_rate", "r1", 1, "upsert"), ("promotion", "pr1", 1, "upsert"),
                         ("user", "u1", 1, "upsert"), ("user", "u1", 2, "delete")]
    assert [r["id"] for r in admin.get("/api/hq/v1/reference/exchange_rate").json()["rows"]] == ["r1"]


def test_csv_import_of_the_catalogue_prices_rates_promotions_and_users(hq):
    admin = hq.admin
    r = admin.post("/api/hq/v1/import/categories", content="id,name,parent_id\nc1,Drinks,\nc2,Soft drinks,c1\n")
    assert r.json() == {"kind": "categories", "created": 2, "updated": 0, "unchanged": 0, "deleted": 0}
    products = ("id,sku,name,category_id,unit,tax_class,barcodes,price_USD,price_ZWG,active\n"
                "p1,COKE,Coke 330ml,c2,each,VAT,6001:1000;6002:6000,100,2700,true\n"
                "p2,FANTA,Fanta 330ml,c2,each,VAT,6003,95,,yes\n")
    assert admin.post("/api/hq/v1/import/products", content=products).json()["created"] == 2
    p1 = hq.scalar("SELECT data FROM reference WHERE id = 'p1'")
    assert p1["prices"] == {"USD": 100, "ZWG": 2700}
    assert p1["barcodes"] == [{"code": "6001", "pack_quantity": 1000}, {"code": "6002", "pack_quantity": 6000}]
    r = admin.post("/api/hq/v1/import/prices", content="product_id,currency,amount\np2,ZWG,2600\np1,USD,100\n")
    assert r.json()["updated"] == 1 and r.json()["unchanged"] == 1
    assert hq.scalar("SELECT data->'prices' FROM reference WHERE id = 'p2'") == {"USD": 95, "ZWG": 2600}
    r = admin.post("/api/hq/v1/import/exchange_rates",
                   content="id,base,quote,rate,scale,effective_from\nr1,USD,ZWG,2690,100,2026-11-26T00:00:00Z\n")
    assert r.json()["created"] == 1
    r = admin.post("/api/hq/v1/import/promotions",
                   content='id,name,kind,percent_off_bp,body\npr1,Ten off,percent_off,1000,"{""target"": {""all"": true}}"\n')
    assert r.json()["created"] == 1
    assert hq.scalar("SELECT data FROM reference WHERE id = 'pr1'")["target"] == {"all": True}
    r = admin.post("/api/hq/v1/import/users", content="id,username,display_name,role,active\nu1,tino,Tino M,cashier,1\n")
    assert r.json()["created"] == 1
    # one feed row per write, in the order written
    assert [(e, i) for e, i, _v, _o in _feed(hq)] == [
        ("category", "c1"), ("category", "c2"), ("product", "p1"), ("product", "p2"), ("product", "p2"),
        ("exchange_rate", "r1"), ("promotion", "pr1"), ("user", "u1")]


def test_a_csv_file_with_an_error_changes_nothing(hq):
    admin = hq.admin
    r = admin.post("/api/hq/v1/import/products", content="id,sku,name,price_USD\np1,A,Apple,100\np2,B,Banana,lots\n")
    assert r.status_code == 422 and r.json()["errors"][0]["field"].startswith("line 3")
    r = admin.post("/api/hq/v1/import/products", content="id,name\np1,Apple\n")
    assert r.status_code == 422 and "sku" in r.json()["detail"]
    r = admin.post("/api/hq/v1/import/prices", content="product_id,currency,amount\nnope,USD,1\n")
    assert r.status_code == 422
    assert admin.post("/api/hq/v1/import/gadgets", content="id\n1\n").status_code == 404
    assert hq.analyst().post("/api/hq/v1/import/categories", content="id,name\nc,C\n").status_code == 403
    assert hq.scalar("SELECT count(*) FROM reference") == 0
    assert _feed(hq) == []


def test_junk_never_makes_a_server_error(hq):
    token = hq.enrol("S1", hub_id="hub-1")["token"]
    hub = hq.hub_client(token, "hub-1")
    junk = [b"", b"\xff\xfe", b"{", b"[1]", b'{"value": ' + b"9" * 400 + b"}", b'{"hub_id": null}']
    calls = [(hub, "POST", "/api/hq/v1/status"), (hub, "POST", "/api/hq/v1/requests/x/result"),
             (hub, "POST", "/api/hq/v1/enrol"), (hq.admin, "PUT", "/api/hq/v1/reference/setting/k"),
             (hq.admin, "PUT", "/api/hq/v1/reference/product/p"), (hq.admin, "POST", "/api/hq/v1/import/products"),
             (hq.admin, "POST", "/api/hq/v1/import/settings"), (hq.admin, "POST", "/api/hq/v1/stores"),
             (hq.admin, "POST", "/api/hq/v1/stores/S1/requests"), (hq.admin, "POST", "/api/hq/v1/auth/login")]
    for client, method, path in calls:
        for body in junk:
            r = client.request(method, path, content=body, headers={"Content-Type": "application/json"})
            assert r.status_code < 500, (method, path, body[:20], r.text)
    for params in ({"cursor": "x:" + "9" * 30}, {"cursor": "a:1", "limit": "99999999999999999999"},
                   {"cursor": "a:1", "wait": "-1"}):
        assert hub.get("/api/hq/v1/changes", params=params).status_code < 500
