"""The inventory API over real HTTP: movements with filters and cursor paging, levels with low-stock,
negative, category and search filters, one product's level, and the valuation at cost."""

from __future__ import annotations

from hub.db.audit import Actor
from hub.inventory import Source, move
from tests.catalogue.fixtures import admin, create, ean13, ids, writing  # noqa: F401
from tests.people import audit_entries

T = ["2024-05-01T08:00:00.000000Z", "2024-05-01T09:00:00.000000Z", "2024-05-01T10:00:00.000000Z",
     "2024-05-02T08:00:00.000000Z"]
TILL = Actor(user_id="u-cashier", username="cashier", device_id="till-7")


def moves(hub, product_id, *lines, actor=TILL):
    """(kind, quantity, unit_cost, occurred_at) lines, each moved behind the API's back (as a till
    upload or a goods receipt will)."""
    with writing(hub.db_path) as conn:
        for i, (kind, quantity, cost, at) in enumerate(lines):
            move(conn, kind=kind, product_id=product_id, quantity=quantity, unit_cost=cost, occurred_at=at,
                 actor=actor, source=Source("sale" if kind == "sale" else "test", f"doc-{i}", i))


def test_movements_are_listed_newest_first_with_filters_and_cursor_paging(hub, ids, admin):
    bread = create(admin, ids, opening_stock={"quantity": 10000, "unit_cost": 80})
    milk = create(admin, ids)
    moves(hub, bread["id"], ("sale", -1000, None, T[2]), ("count", 7000, None, T[1]),
          ("sale", -2000, None, T[0]))
    moves(hub, milk["id"], ("receipt", 6000, 50, T[3]), actor=Actor(user_id="u-admin", username="admin"))
    seq = audit_entries(hub)[-1]["seq"]

    r = admin.get("/api/v1/inventory/movements", params={"product_id": bread["id"]})
    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert [m["kind"] for m in items] == ["sale", "count", "sale", "opening"]  # newest recorded first
    late_sale, count, sale, opening = items
    assert count["baseline"] and not count["within_count"] and count["value"] is None
    assert late_sale["within_count"] and not sale["within_count"]  # the count already holds the late one
    assert (sale["quantity"], sale["unit_cost"], sale["value"]) == (-1000, 80, -80)
    assert (sale["device_id"], sale["username"], sale["source_type"]) == ("till-7", "cashier", "sale")
    assert (opening["username"], opening["source_type"], opening["source_id"]) == ("admin", "product", bread["id"])
    assert sale["sku"] == bread["sku"] and sale["unit_code"] == "each" and sale["unit_decimals"] == 0

    def ids_of(**params):
        r = admin.get("/api/v1/inventory/movements", params=params)
        assert r.status_code == 200, r.text
        return [m["product_id"] + ":" + m["kind"] for m in r.json()["items"]]

    assert ids_of(kind="receipt") == [f"{milk['id']}:receipt"]
    assert ids_of(user_id="u-admin") == [f"{milk['id']}:receipt"]
    assert len(ids_of(device_id="till-7")) == 3
    assert ids_of(source_type="product") == [f"{bread['id']}:opening"]
    assert ids_of(source_type="sale", source_id="doc-0") == [f"{bread['id']}:sale"]
    assert ids_of(since="2024-05-01T09:00:00Z", until="2024-05-02T00:00:00Z") == [
        f"{bread['id']}:count", f"{bread['id']}:sale"]  # happened 09:00 and 10:00, newest recorded first

    seen, after = [], None
    while True:
        page = admin.get("/api/v1/inventory/movements", params={"limit": 2, **({"after": after} if after else {})})
        assert page.status_code == 200, page.text
        seen += [m["seq"] for m in page.json()["items"]]
        after = page.json()["next_after"]
        if after is None:
            break
    assert seen == sorted(seen, reverse=True) and len(seen) == len(set(seen)) == 5
    assert audit_entries(hub, seq) == []  # reading writes nothing

    for params, field in (({"after": "not-a-cursor"}, "after"), ({"since": "2024-05-01T09:00:00"}, "since"),
                          ({"until": "1850-01-01T00:00:00Z"}, "until")):
        r = admin.get("/api/v1/inventory/movements", params=params)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == field, r.text
    assert admin.get("/api/v1/inventory/movements", params={"limit": 0}).status_code == 400


def test_levels_list_low_stock_negative_category_and_search(hub, ids, admin):
    low = create(admin, ids, name="Aaa Low Sugar", low_stock_threshold=5000, category_id=ids["bread"],
                 opening_stock={"quantity": 4000, "unit_cost": 100})
    plenty = create(admin, ids, name="Aab Plenty Rice", low_stock_threshold=5000, category_id=ids["drinks"],
                    opening_stock={"quantity": 9000, "unit_cost": 200}, barcodes=[{"code": ean13("600777000001")}])
    short = create(admin, ids, name="Aac Oversold Oil", low_stock_threshold=0)
    moves(hub, short["id"], ("sale", -3000, None, T[0]))
    untracked = create(admin, ids, name="Aad Airtime", stock_tracked=False)

    def names(**params):
        r = admin.get("/api/v1/inventory/levels", params={"q": "Aa", **params})
        assert r.status_code == 200, r.text
        return [item["name"] for item in r.json()["items"]]

    assert names() == ["Aaa Low Sugar", "Aab Plenty Rice", "Aac Oversold Oil"]  # stock-tracked only
    assert untracked["name"] not in names()
    assert names(low=True) == ["Aaa Low Sugar", "Aac Oversold Oil"]
    assert names(negative=True) == ["Aac Oversold Oil"]
    assert names(category_id=ids["food"]) == ["Aaa Low Sugar"]  # bread is under food
    assert names(q=ean13("600777000001")[:9]) == ["Aab Plenty Rice"]  # a barcode's start
    first = admin.get("/api/v1/inventory/levels", params={"q": "Aa", "limit": 2}).json()
    rest = admin.get("/api/v1/inventory/levels", params={"q": "Aa", "limit": 2, "after": first["next_after"]}).json()
    assert [i["name"] for i in first["items"] + rest["items"]] == names() and rest["next_after"] is None

    level = admin.get(f"/api/v1/inventory/levels/{short['id']}").json()
    assert (level["on_hand"], level["negative"], level["low"], level["avg_cost"], level["value"]) == (
        -3000, True, True, None, None)
    level = admin.get(f"/api/v1/inventory/levels/{plenty['id']}").json()
    assert (level["on_hand"], level["avg_cost"], level["value"], level["low"]) == (9000, 200, 1800, False)
    assert level["version"] == 1 and level["last_moved_at"] is not None
    assert admin.get(f"/api/v1/inventory/levels/{low['id']}").json()["low"]
    r = admin.get("/api/v1/inventory/levels/no-such-product")
    assert r.status_code == 404 and r.json()["code"] == "not_found"


def test_the_valuation_adds_levels_at_average_cost_by_category_and_counts_unknown_costs(hub, ids, admin):
    before = admin.get("/api/v1/inventory/valuation").json()
    create(admin, ids, category_id=ids["bread"], opening_stock={"quantity": 4000, "unit_cost": 125})  # 5.00
    create(admin, ids, category_id=ids["bread"], unit_id=ids["kg"],
           opening_stock={"quantity": 1500, "unit_cost": 333})  # 4.995
    drinks = create(admin, ids, category_id=ids["drinks"], opening_stock={"quantity": 2000, "unit_cost": 90})
    moves(hub, drinks["id"], ("sale", -3000, None, T[3]))  # -1 x 0.90: negative stock counts against
    unknown = create(admin, ids)
    moves(hub, unknown["id"], ("refund", 1000, None, T[3]))  # stock with no cost known
    r = admin.get("/api/v1/inventory/valuation")
    assert r.status_code == 200, r.text
    now = r.json()
    assert now["currency"] == "USD"
    assert now["total_value"] - before["total_value"] == 500 + 500 - 90  # 499.5 rounds half away from zero
    assert now["products"] - before["products"] == 4
    assert (now["negative_products"] - before["negative_products"], now["without_cost"] - before["without_cost"]) == (1, 1)
    by = {c["category_id"]: c for c in now["by_category"]}
    assert (by[ids["bread"]]["name"], by[ids["bread"]]["value"], by[ids["bread"]]["products"]) == ("Bread", 1000, 2)
    assert by[ids["bread"]]["parent_id"] == ids["bakery"] and by[ids["drinks"]]["value"] == -90
    assert by[None]["name"] == "No category" and by[None]["without_cost"] >= 1


def test_movement_kinds_are_listed_with_their_direction(hub, admin):
    kinds = {k["kind"]: k["direction"] for k in admin.get("/api/v1/inventory/movement-kinds").json()}
    assert kinds["sale"] == "out" and kinds["receipt"] == "in" and kinds["count"] == "level"
    assert {"opening", "void", "refund", "receipt_reversal", "adjustment", "supplier_return", "transfer_out",
            "transfer_in"} <= set(kinds)


def test_a_cashier_counts_but_cannot_read_stock(hub):
    cashier = hub.as_user("cashier")
    r = cashier.get("/api/v1/inventory/levels")
    assert r.status_code == 403 and r.json()["permission"] == "inventory.view"
    assert "inventory.count" in cashier.get("/api/v1/auth/me").json()["permissions"]
