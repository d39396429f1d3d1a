"""The count-baseline rule of the stock ledger, repeated with sales: a sale stands at its till's
clock corrected by the till's recorded skew (or at the hub's receive time when the skew is not
known), so a sale made before a count moves nothing when it arrives after the count was posted,
and one made after the count does, whatever order they arrive in (docs/sales.md, docs/inventory.md)."""

from __future__ import annotations

import pytest

from tests.catalogue.fixtures import admin, create, ids  # noqa: F401
from tests.inventory.test_stocktake_moment import at, count, ledger_clean, on_hand, post, session, stamp, stocked
from tests.people import query
from tests.sales.build import cash, line
from tests.sales.recipes import Till

HOUR_MS = 3600 * 1000


def skewed_till(hub, skew_ms):
    till = Till(hub)
    if skew_ms is not None:
        hub.write("UPDATE devices SET clock_skew_ms = ? WHERE id = ?", skew_ms, till.device_id)
    return till


def sold(till, product, quantity, clock):
    body = till.body([line(150, quantity, product_id=product["id"], tax_rate_bp=0)], clock=clock)
    return till.sell(body)


@pytest.mark.parametrize("sales_first", [False, True], ids=["count-posted-first", "sales-arrive-first"])
def test_late_and_skewed_sales_around_a_count(hub, admin, ids, sales_first):
    bread = stocked(admin, ids, hub)  # 12 received at 08:00 yesterday
    ahead = skewed_till(hub, 2 * HOUR_MS)  # its clock runs two hours ahead
    behind = skewed_till(hub, -2 * HOUR_MS)  # two hours behind

    def count_at_ten():
        manager = hub.as_user("manager")
        take = session(manager, scope="category", category_id=ids["food"])
        count(manager, take, {"code": bread["sku"], "quantity": 10000, "device_id": ahead.device_id,
                              "device_clock": at(12).isoformat()})  # 12:00 on the till = 10:00
        post(manager, take)

    def sell_all():
        before = sold(ahead, bread, 2000, at(11, 50))  # 09:50: before the count
        after = sold(ahead, bread, 1000, at(12, 5))  # 10:05: after it
        late = sold(behind, bread, 500, at(8, 30))  # 08:30 on a slow clock = 10:30
        assert [s["occurred_at"] for s in (before, after, late)] == [stamp(9, 50), stamp(10, 5), stamp(10, 30)]
        assert before["device_clock"].startswith(at(11, 50).strftime("%Y-%m-%dT%H:%M"))

    if sales_first:
        sell_all()
        assert on_hand(hub, bread["id"]) == 12000 - 2000 - 1000 - 500
        count_at_ten()
    else:
        count_at_ten()
        sell_all()
    assert on_hand(hub, bread["id"]) == 10000 - 1000 - 500  # the 09:50 sale is inside the count
    ledger_clean(hub)
    moves = query(hub, "SELECT quantity, occurred_at FROM stock_movements WHERE kind = 'sale' ORDER BY occurred_at")
    assert moves == [(-2000, stamp(9, 50)), (-1000, stamp(10, 5)), (-500, stamp(10, 30))]


def test_a_till_whose_skew_is_unknown_sells_at_the_hubs_receive_time(hub, admin, ids):
    bread = stocked(admin, ids, hub)
    till = skewed_till(hub, None)
    got = sold(till, bread, 1000, at(3))  # its clock says 03:00 yesterday: not trusted
    assert got["occurred_at"] > stamp(23, 59) and got["recorded_at"] >= got["occurred_at"]
    assert on_hand(hub, bread["id"]) == 11000
    ledger_clean(hub)


def test_a_clock_ahead_of_the_hub_never_places_a_sale_in_the_future(hub, admin, ids):
    bread = stocked(admin, ids, hub)
    till = skewed_till(hub, 0)  # believed right, but its clock jumped a year ahead
    got = till.sell(till.body([line(150, product_id=bread["id"], tax_rate_bp=0)], tenders=[cash(150)],
                              clock=at(10).replace(year=at(10).year + 1)))
    assert got["occurred_at"] <= got["recorded_at"]
    ledger_clean(hub)
