"""Money of different currencies is never added: a store that sold in USD and ZWG shows, for each
currency, exactly the figures of a store that sold only in that currency (so a report that summed
minor units across currencies anywhere would differ), and the one combined figure converts each
sale at the rate it recorded and says so."""

from __future__ import annotations

import msgspec
import pytest

from hub.db.connection import transaction
from hub.ids import new_id
from hub.reports import catalog
from hub.reports.queries import CONVERTED_LABEL, convert
from hub.sales import corrections, refunds
from hub.sales.schemas import CorrectionCreate, RefundCreate
from hub.sales.voids import void_sale
from tests.reports.store import ingest, report_store, run_all, today, without_ids
from tests.sales.build import cash, cashier, line, sale

USD_PER_ZWG = {"currency": "USD", "rate": 37_736, "rate_scale": 1_000_000}  # 1 ZWG = USD 0.037736
ZWG_PER_USD = {"currency": "ZWG", "rate": 26_500_000, "rate_scale": 1_000_000}  # 1 USD = ZWG 26.50
# Receipt-currency reports; the tender and shift reports are per currency handed over (a ZWG sale
# paid in USD notes is USD cash), tested on their own below.
PER_CURRENCY = [name for name, r in catalog.REPORTS.items() if name not in (
    "stock-valuation", "movers", "gross-margin", "sales-by-tender", "shift-variance", "loss-prevention",
    "credit-aging")]


def plan(products: list[str], shift: str, approver: str) -> list[dict]:
    bread, milk, sugar = products
    return [
        sale([line(150, 2000, product_id=bread), line(99, product_id=milk)], [cash(400)], sequence=1,
             shift_id=shift, change=[{"currency": "USD", "amount": 1}]),
        sale([line(1200, product_id=sugar, discounts=[{"amount": 100, "approved_by": approver, "reason": "Dented"}])],
             [{"method": "card", "currency": "USD", "amount": 1100, "provider": "CBZ", "reference": "A1"}],
             sequence=2, shift_id=shift),
        sale([line(3975, 2000, product_id=bread, discounts=[{"amount": 75, "approved_by": approver}]),
              line(2650, product_id=milk, tax_rate_bp=0)],
             [cash(10525, "ZWG")], currency="ZWG", sequence=3, shift_id=shift, rates=[USD_PER_ZWG]),
        sale([line(26500, product_id=sugar)], [cash(1000, "USD")], currency="ZWG", sequence=4, shift_id=shift,
             rates=[USD_PER_ZWG]),
        sale([line(500, product_id=milk)], [cash(500)], sequence=5, shift_id=shift),  # voided below
        sale([line(5300, product_id=bread)], [{"method": "mobile_money", "currency": "ZWG", "amount": 5300,
                                               "provider": "EcoCash", "reference": "MP1"}],
             currency="ZWG", sequence=6, shift_id=shift),  # no rate recorded: the store's rate, or none
    ]


def later(conn, ids, bodies) -> None:
    """A refund of the first USD and first ZWG sale, a charge on the card sale, a void of the fifth."""
    with transaction(conn):
        for body in (bodies[0], bodies[2]):
            refunds.refund_sale(conn, body["id"], msgspec.convert(
                {"id": new_id(), "device_clock": body["device_clock"], "reason": "Stale", "shift_id": ids["shift"],
                 "lines": [{"line_no": 0, "quantity": 1000}]}, RefundCreate),
                device_id=ids["till"], caller=cashier(ids), unlimited=True)
        corrections.correct_sale(conn, bodies[1]["id"], msgspec.convert(
            {"id": new_id(), "kind": "charge", "device_clock": bodies[1]["device_clock"], "reason": "Scale price",
             "shift_id": ids["shift"], "lines": [{"amount": 40}],
             "tenders": [{"method": "cash", "currency": "USD", "amount": 40}]}, CorrectionCreate),
            device_id=ids["till"], caller=cashier(ids))
        void_sale(conn, cashier(ids), bodies[4]["id"], "Rung twice", ids["shift"])


def close(conn, ids) -> None:
    """The cashier closes her shift a little short in each currency she holds."""
    from hub.shifts import service as shifts

    with transaction(conn):
        report = shifts.x_report(conn, ids["shift"])
        counted = [{"currency": c["currency"], "amount": max(0, c["expected"] - 5)} for c in report["cash"]]
        reported = [{k: t[k] for k in ("method", "provider", "currency", "amount")} for t in report["tenders"]
                    if t["method"] != "cash"]
        shifts.close_shift(conn, cashier(ids), ids["shift"], {"counted": counted, "reported": reported, "note": ""},
                           can_manage=True)


def store_with(path, currencies: set[str]):
    conn, ids, products = report_store(path)
    bodies = [b for b in plan(products, ids["shift"], ids["cashier"]) if b["currency"] in currencies]
    ingest(conn, ids, bodies)
    if currencies == {"USD", "ZWG"}:
        later(conn, ids, bodies)
    else:
        picked = {b["sequence"]: b for b in bodies}
        every = plan(products, ids["shift"], ids["cashier"])
        for b in every:  # same documents as the mixed store, against this store's own sales
            b["id"] = picked[b["sequence"]]["id"] if b["sequence"] in picked else None
        with transaction(conn):
            for i, b in enumerate(every):
                if b["id"] is None:
                    continue
                if i in (0, 2):
                    refunds.refund_sale(conn, b["id"], msgspec.convert(
                        {"id": new_id(), "device_clock": b["device_clock"], "reason": "Stale",
                         "shift_id": ids["shift"], "lines": [{"line_no": 0, "quantity": 1000}]}, RefundCreate),
                        device_id=ids["till"], caller=cashier(ids), unlimited=True)
                if i == 1:
                    corrections.correct_sale(conn, b["id"], msgspec.convert(
                        {"id": new_id(), "kind": "charge", "device_clock": b["device_clock"], "reason": "Scale price",
                         "shift_id": ids["shift"], "lines": [{"amount": 40}],
                         "tenders": [{"method": "cash", "currency": "USD", "amount": 40}]}, CorrectionCreate),
                        device_id=ids["till"], caller=cashier(ids))
                if i == 4:
                    void_sale(conn, cashier(ids), b["id"], "Rung twice", ids["shift"])
    close(conn, ids)
    return conn


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    made = {key: store_with(tmp_path_factory.mktemp(key) / "hub.db", currencies)
            for key, currencies in (("mixed", {"USD", "ZWG"}), ("USD", {"USD"}), ("ZWG", {"ZWG"}))}
    yield made
    for conn in made.values():
        conn.close()


def _money_keys(name: str) -> set[str]:
    report = catalog.REPORTS[name]
    return {c.key for c in (*report.columns, *report.totals) if c.kind == catalog.MONEY}


@pytest.mark.parametrize("name", PER_CURRENCY)
def test_each_currency_reads_as_if_the_store_sold_only_in_it(stores, name):
    mixed = catalog.run(stores["mixed"], name, today(stores["mixed"]))
    assert _money_keys(name), "a report with money columns"
    for currency in ("USD", "ZWG"):
        alone = catalog.run(stores[currency], name, today(stores[currency]))
        assert without_ids([r for r in mixed["rows"] if r["currency"] == currency]) == without_ids(alone["rows"]), \
            (name, currency)
        assert [t for t in mixed["totals"] if t["currency"] == currency] == alone["totals"], (name, currency)
    assert {r["currency"] for r in mixed["rows"]} == {"USD", "ZWG"}
    for row in mixed["rows"] + mixed["totals"]:
        assert row["currency"] in ("USD", "ZWG")  # every money figure names its currency


def test_the_combined_figure_converts_each_sale_at_its_own_rate_and_says_so(stores):
    conn = stores["mixed"]
    found = catalog.run(conn, "sales-by-currency", today(conn))
    combined = found["combined"]
    assert combined["label"] == CONVERTED_LABEL and combined["currency"] == "USD"
    net = {r["currency"]: r["net"] for r in found["rows"]}
    # Independently: each ZWG document at the USD rate its sale recorded (the one without a rate
    # has none to use: it is shown apart, never added at a guessed rate).
    zwg_with_rate = [r for r in conn.execute(
        "SELECT s.id, s.total, s.rates FROM sales s WHERE s.currency = 'ZWG' AND s.rates LIKE '%USD%'")]
    refunds_zwg = sum(r[0] for r in conn.execute(
        "SELECT f.total FROM sale_refunds f JOIN sales s ON s.id = f.sale_id WHERE s.currency = 'ZWG'"))
    # sales and refunds are converted each as a group of one rate (sales at it, refunds at it)
    converted = convert(sum(r[1] for r in zwg_with_rate), 37_736, 1_000_000, 2, 2) - convert(
        refunds_zwg, 37_736, 1_000_000, 2, 2)
    assert combined["amount"] == net["USD"] + converted
    no_rate = conn.execute("SELECT total FROM sales WHERE currency = 'ZWG' AND rates NOT LIKE '%USD%'").fetchone()[0]
    assert combined["not_converted"] == [{"currency": "ZWG", "amount": no_rate}]
    assert combined["amount"] not in (net["USD"] + net["ZWG"],)  # minor units were not simply added


def test_margin_revenue_is_per_currency_and_converted_per_sale(stores):
    mixed = catalog.run(stores["mixed"], "gross-margin", today(stores["mixed"]))
    usd = catalog.run(stores["USD"], "gross-margin", today(stores["USD"]))
    zwg = catalog.run(stores["ZWG"], "gross-margin", today(stores["ZWG"]))
    assert mixed["label"] == CONVERTED_LABEL
    assert mixed["revenue_by_currency"] == usd["revenue_by_currency"] + zwg["revenue_by_currency"]
    assert mixed["totals"][0]["revenue"] == usd["totals"][0]["revenue"] + zwg["totals"][0]["revenue"]
    assert mixed["totals"][0]["cost"] == usd["totals"][0]["cost"] + zwg["totals"][0]["cost"]


def test_csv_exports_every_report_with_its_currency_beside_each_amount(stores):
    conn = stores["mixed"]
    for name, found in run_all(conn).items():
        text = catalog.to_csv(name, found, {"USD": 2, "ZWG": 2})
        header = text.splitlines()[0].split(",")
        assert header == [c.label for c in catalog.REPORTS[name].columns]
        if name in PER_CURRENCY:
            assert "Currency" in header
    text = catalog.to_csv("sales-by-currency", run_all(conn)["sales-by-currency"], {"USD": 2, "ZWG": 2})
    assert CONVERTED_LABEL in text


def test_tenders_count_in_the_currency_handed_over(stores):
    conn = stores["mixed"]
    found = catalog.run(conn, "sales-by-tender", today(conn))
    expected: dict[tuple, int] = {}
    for method, provider, currency, amount in conn.execute(
            "SELECT t.method, t.provider, t.currency, t.amount FROM sale_tenders t"
            " WHERE NOT EXISTS (SELECT 1 FROM sale_voids v WHERE v.sale_id = t.sale_id)"):
        expected[(method, provider, currency)] = expected.get((method, provider, currency), 0) + amount
    for currency, amount in conn.execute("SELECT currency, amount FROM sale_change"):
        expected[("cash", "", currency)] -= amount
    for method, provider, currency, amount in conn.execute(
            "SELECT method, provider, currency, amount FROM sale_refund_tenders"):
        expected[(method, provider, currency)] = expected.get((method, provider, currency), 0) - amount
    for method, provider, currency, amount in conn.execute(
            "SELECT method, provider, currency, amount FROM sale_correction_tenders"):
        expected[(method, provider, currency)] = expected.get((method, provider, currency), 0) + amount
    assert {(r["method"], r["provider"], r["currency"]): r["net"] for r in found["rows"]} == expected
    assert expected[("cash", "", "USD")] == 400 - 1 + 1000 - 150 + 40  # USD notes of a ZWG sale are USD cash


def test_shift_variance_is_per_drawer_currency_as_the_close_counted_it(stores):
    conn = stores["mixed"]
    found = catalog.run(conn, "shift-variance", today(conn))
    cash = {r["currency"]: (r["expected"], r["counted"], r["variance"]) for r in found["rows"] if r["method"] == "cash"}
    x = {c["currency"]: c["expected"] for c in __import__("hub.shifts.service", fromlist=["x"]).close_report(
        conn, found["rows"][0]["shift_id"])["cash"]}
    assert cash == {c: (e, e - 5, -5) for c, e in x.items()}
    assert {t["currency"]: t["variance"] for t in found["totals"] if t["method"] == "cash"} == {c: -5 for c in x}
