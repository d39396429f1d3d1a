"""The shift totals contract (hub.sales.totals) that shifts' X and close reports read: per
tender and currency, cash net of the change handed back in that currency; per receipt currency,
the count, total and tax. Pure reads over sales ingested through hub.sales.ingest."""

from __future__ import annotations

import pytest

from hub.db.connection import transaction
from hub.sales.ingest import ingest_sale
from hub.sales.totals import CurrencyTotal, TenderTotal, shift_sales, shift_tenders
from tests.sales.build import cash, cashier, line, sale, till_store

ZWG_RATE = {"currency": "ZWG", "rate": 26_500_000, "rate_scale": 1_000_000}  # 1 USD = 26.50 ZWG


@pytest.fixture
def store(tmp_path):
    conn, ids = till_store(tmp_path / "hub.db")
    yield conn, ids
    conn.close()


def ingest(conn, ids, body):
    with transaction(conn):
        return ingest_sale(conn, body, device_id=ids["till"], caller=cashier(ids))


def test_tenders_per_method_provider_and_currency_net_of_change(store):
    conn, ids = store
    ingest(conn, ids, sale([line(1000)], [cash(2000)], shift_id=ids["shift"], change=[{"currency": "USD",
                                                                                      "amount": 1000}]))
    ingest(conn, ids, sale([line(500), line(250)], [
        {"method": "mobile_money", "provider": "EcoCash", "reference": "MP2611.1234", "currency": "USD",
         "amount": 500}, cash(250)], shift_id=ids["shift"], sequence=2))
    # A USD sale of 10.00 paid with ZWG 300.00 (11.32 USD): change 1.32 USD from the USD drawer.
    ingest(conn, ids, sale([line(1000)], [cash(30000, "ZWG")], rates=[ZWG_RATE], shift_id=ids["shift"],
                           sequence=3, change=[{"currency": "USD", "amount": 132}]))
    ingest(conn, ids, sale([line(26500)], [{"method": "card", "provider": "ZimSwitch", "reference": "A1",
                                            "currency": "ZWG", "amount": 26500}],
                           currency="ZWG", rates=[{"currency": "USD", "rate": 37736, "rate_scale": 1_000_000}],
                           shift_id=ids["shift"], sequence=4))
    ingest(conn, ids, sale([line(999)], [cash(999)], shift_id=None, sequence=5))  # no shift: not this shift's
    assert shift_tenders(conn, ids["shift"]) == [
        TenderTotal("card", "ZimSwitch", "ZWG", 26500),
        TenderTotal("cash", "", "USD", 2000 - 1000 + 250 - 132),
        TenderTotal("cash", "", "ZWG", 30000),
        TenderTotal("mobile_money", "EcoCash", "USD", 500),
    ]
    assert shift_sales(conn, ids["shift"]) == [
        CurrencyTotal("USD", 3, 1000 + 750 + 1000, 134 + 67 + 34 + 134),
        CurrencyTotal("ZWG", 1, 26500, 3556),
    ]


def test_an_empty_or_unknown_shift_has_no_totals(store):
    conn, ids = store
    assert shift_tenders(conn, ids["shift"]) == [] and shift_sales(conn, "no-such-shift") == []
