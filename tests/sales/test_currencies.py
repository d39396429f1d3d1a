"""One receipt currency per sale; tenders in another currency count at the till's recorded rate,
rounded half-up to the receipt currency's minor unit; change counts in the cash of the currency
it was given in (docs/sales.md, "Currencies")."""

from __future__ import annotations

import pytest

from hub.db.connection import transaction
from hub.errors import FieldErrors
from hub.sales.ingest import ingest_sale
from hub.sales.totals import TenderTotal, shift_tenders
from tests.sales.build import cash, cashier, line, sale, till_store

USD_TO_ZWG = {"currency": "ZWG", "rate": 26_500_000, "rate_scale": 1_000_000}  # 1 USD = ZWG 26.50
ZWG_TO_USD = {"currency": "USD", "rate": 37_736, "rate_scale": 1_000_000}  # 1 ZWG = USD 0.037736


@pytest.fixture
def store(tmp_path):
    conn, ids = till_store(tmp_path / "hub.db")
    with transaction(conn):
        conn.execute("UPDATE currencies SET cash_rounding = 10 WHERE code = 'ZWG'")  # ZiG 0.10
    yield conn, ids
    conn.close()


def ingest(conn, ids, body):
    with transaction(conn):
        ingest_sale(conn, body, device_id=ids["till"], caller=cashier(ids))
    return conn.execute("SELECT * FROM sales WHERE id = ?", (body["id"],)).fetchone()


def rows(conn, table, sale_id):
    return [dict(r) for r in conn.execute(f"SELECT * FROM {table} WHERE sale_id = ? ORDER BY 2", (sale_id,))]


def test_a_usd_sale_paid_with_zwg_notes_and_given_usd_change(store):
    conn, ids = store
    body = sale([line(1000)], [cash(30000, "ZWG")], rates=[USD_TO_ZWG], shift_id=ids["shift"],
                change=[{"currency": "USD", "amount": 132}])
    row = ingest(conn, ids, body)
    assert (row["currency"], row["total"], row["paid"]) == ("USD", 1000, 1132)  # ZWG 300.00 = USD 11.3207...
    [tender] = rows(conn, "sale_tenders", body["id"])
    assert (tender["currency"], tender["amount"], tender["rate"], tender["amount_receipt"]) == (
        "ZWG", 30000, 26_500_000, 1132)
    [change] = rows(conn, "sale_change", body["id"])
    assert (change["currency"], change["amount"], change["amount_receipt"]) == ("USD", 132, 132)
    assert shift_tenders(conn, ids["shift"]) == [TenderTotal("cash", "", "USD", -132),
                                                 TenderTotal("cash", "", "ZWG", 30000)]


def test_a_zwg_sale_paid_with_usd_and_given_zwg_change_to_the_coin(store):
    conn, ids = store
    # Lines of ZWG 265.33, rounded to the 0.10 coin: 265.30.
    body = sale([line(26533)], [cash(2000, "USD")], currency="ZWG", rounding=-3, rates=[ZWG_TO_USD],
                shift_id=ids["shift"], change=[{"currency": "ZWG", "amount": 26470}])
    row = ingest(conn, ids, body)
    assert (row["total"], row["paid"], row["rounding"]) == (26530, 53000, -3)  # USD 20.00 = ZWG 529.998 -> 530.00
    assert shift_tenders(conn, ids["shift"]) == [TenderTotal("cash", "", "USD", 2000),
                                                 TenderTotal("cash", "", "ZWG", -26470)]


def test_change_may_be_split_across_currencies(store):
    conn, ids = store
    # USD 10.00 paid with USD 20.00: USD 5.00 back and the rest (USD 5.00 = ZWG 132.50) in ZWG.
    body = sale([line(1000)], [cash(2000)], rates=[USD_TO_ZWG], shift_id=ids["shift"],
                change=[{"currency": "USD", "amount": 500}, {"currency": "ZWG", "amount": 13250}])
    ingest(conn, ids, body)
    assert shift_tenders(conn, ids["shift"]) == [TenderTotal("cash", "", "USD", 1500),
                                                 TenderTotal("cash", "", "ZWG", -13250)]


@pytest.mark.parametrize("tenders, change, code", [
    ([cash(26000, "ZWG")], [], "tenders_short"),  # ZWG 260.00 = USD 9.81: short by more than a coin
    ([cash(30000, "ZWG")], [{"currency": "USD", "amount": 150}], "change_over"),  # only 1.32 was over
    ([{"method": "card", "currency": "USD", "amount": 2000}], [{"currency": "USD", "amount": 1000}], "invalid_fields"),
])
def test_money_that_does_not_add_up_is_refused_and_nothing_is_stored(store, tenders, change, code):
    conn, ids = store
    body = sale([line(1000)], tenders, rates=[USD_TO_ZWG], change=change)
    with pytest.raises(FieldErrors) as refused:
        ingest(conn, ids, body)
    assert refused.value.code == code
    assert conn.execute("SELECT count(*) FROM sales").fetchone()[0] == 0


def test_a_tender_one_coin_short_after_conversion_is_accepted(store):
    conn, ids = store
    # USD 10.00 due is ZWG 265.00; the customer hands ZWG 264.95 (the till rounded to its coins).
    row = ingest(conn, ids, sale([line(1000)], [cash(26495, "ZWG")], rates=[USD_TO_ZWG]))
    assert row["paid"] == 1000  # 26495 / 26.5 = 999.8 -> 1000


def test_a_rate_to_the_receipt_currency_or_an_unknown_currency_is_malformed(store):
    conn, ids = store
    for rates, field in (([{"currency": "USD", "rate": 1}], "rates[0].currency"),
                         ([{"currency": "EUR", "rate": 1}], "rates[0].currency")):
        with pytest.raises(FieldErrors) as refused:
            ingest(conn, ids, sale([line(1000)], [cash(1000)], rates=rates))
        assert field in {e["field"] for e in refused.value.errors}
