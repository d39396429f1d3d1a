"""POST /api/v1/pricing/quote over real HTTP, against the hand-worked baskets.

The fixture's catalogue is put into the database row by row (tests/catalogue/seed.py) and every
basket of tests/fixtures/pricing/baskets.json is quoted through the API: the catalogue loader
must rebuild, from the tables, a catalogue that prices each basket exactly as worked by hand.
"""

from __future__ import annotations

import pytest

from tests.catalogue import seed


def _request(basket: dict) -> dict:
    return {"currency": basket["currency"], "at": basket["at"], "tier": basket["tier"],
            "promotions": basket["promotions"], "lines": basket["lines"]}


@pytest.fixture
def fixture_hub(hub):
    document = seed.pricing_fixture()
    seed.load_pricing_catalogue(hub.db_path, document["catalogue"])
    hub.baskets = document["baskets"]
    return hub


def test_every_hand_worked_basket_is_quoted_as_worked_by_hand(fixture_hub):
    client = fixture_hub.as_user("supervisor")  # catalogue.view is enough: a quote changes nothing
    problems = []
    for mode in ("inclusive", "exclusive"):
        seed.setting(fixture_hub.db_path, "pricing.tax_mode", mode)
        for case in (c for c in fixture_hub.baskets if c["input"]["tax_mode"] == mode):
            r = client.post("/api/v1/pricing/quote", json=_request(case["input"]))
            expected = case["expected"]
            if "error" in expected:
                body = r.json()
                got = (r.status_code, body.get("code"), body.get("line"))
                want = (422, expected["error"]["code"], expected["error"]["line"])
            else:
                body = r.json() if r.status_code == 200 else r.text
                got = {k: body[k] for k in expected} if r.status_code == 200 else (r.status_code, body)
                want = expected
            if got != want:
                problems.append(f"{case['name']}: got {got}, expected {want}")
    assert not problems, "\n".join(problems)
    assert len(fixture_hub.baskets) >= 40


def test_a_quote_says_its_currency_moment_tax_mode_and_tier(fixture_hub):
    client = fixture_hub.as_user("manager")
    r = client.post("/api/v1/pricing/quote", json={
        "currency": "USD", "at": "2026-11-25T12:30:00+02:00", "tier": "staff", "promotions": [],
        "lines": [{"product": "bread", "quantity": 2000}, {"product": "milk", "quantity": 1000}]})
    assert r.status_code == 200, r.text
    quote = r.json()
    assert (quote["currency"], quote["at"], quote["tax_mode"], quote["tier"]) == (
        "USD", "2026-11-25T10:30:00.000000Z", "inclusive", "staff")
    assert [(line["line"], line["unit_price"]) for line in quote["lines"]] == [(1, 85), (2, 130)]
    assert quote["total"] == 85 * 2 + 130


def test_without_a_list_every_promotion_in_force_applies_and_no_other(fixture_hub):
    client = fixture_hub.as_user("manager")
    lines = [{"product": "bread", "quantity": 1000}]
    # P01 (bread 10 % off) has no dates; P03 (5 % off the basket) comes later and skips the
    # locked bread line; the dated promotions of the fixture are not in force on this day.
    r = client.post("/api/v1/pricing/quote", json={"currency": "USD", "at": "2026-11-25T10:00:00Z",
                                                   "lines": lines})
    assert r.status_code == 200, r.text
    named = client.post("/api/v1/pricing/quote", json={
        "currency": "USD", "at": "2026-11-25T10:00:00Z", "lines": lines,
        "promotions": sorted(seed.pricing_fixture()["catalogue"]["promotions"])})
    assert r.json()["lines"] == named.json()["lines"]
    assert r.json()["promotions"][0] == {"promotion": "P01", "amount": 10}


@pytest.mark.parametrize(("line", "code", "field"), [
    ({"product": "no-such-product", "quantity": 1000}, "unknown_product", "lines[1].product"),
    ({"product": "covo", "quantity": 1000}, "unpriced", "lines[1].product"),
    ({"product": "bread", "quantity": 0}, "invalid_quantity", "lines[1].quantity"),
    ({"product": "energy-drink", "quantity": 1000}, "no_tax_rate", "lines[1].product"),
])
def test_a_line_that_cannot_be_priced_is_a_422_naming_it(fixture_hub, line, code, field):
    client = fixture_hub.as_user("manager")
    r = client.post("/api/v1/pricing/quote", json={
        "currency": "USD", "at": "2026-11-25T10:00:00Z", "promotions": [],
        "lines": [{"product": "bread", "quantity": 1000}, {**line, "line": 7}]})
    assert r.status_code == 422, r.text
    problem = r.json()
    assert (problem["code"], problem["line"]) == (code, 7)
    assert [e["field"] for e in problem["errors"]] == [field]


def test_an_unknown_currency_tier_or_promotion_names_its_field(fixture_hub):
    client = fixture_hub.as_user("manager")
    base = {"currency": "USD", "lines": [{"product": "bread", "quantity": 1000}]}
    for change, code, field in (({"currency": "EUR"}, "invalid_fields", "currency"),
                                ({"tier": "platinum"}, "unknown_tier", "tier"),
                                ({"promotions": ["P99"]}, "unknown_promotion", "promotions"),
                                ({"at": "next tuesday"}, "invalid_fields", "at")):
        r = client.post("/api/v1/pricing/quote", json={**base, **change})
        assert r.status_code == 422, r.text
        assert r.json()["code"] == code and r.json()["errors"][0]["field"] == field


def test_an_archived_product_is_not_quoted_and_an_override_price_wins(hub):
    seed.basics(hub.db_path)
    with seed.writing(hub.db_path) as conn:
        seed.product(conn, "old-bread", tax_class="VAT", prices={"USD": 100}, active=False)
        seed.product(conn, "local-bread", tax_class="VAT", prices={"USD": 100}, overrides={"USD": 90})
    client = hub.as_user("manager")
    r = client.post("/api/v1/pricing/quote", json={
        "currency": "USD", "lines": [{"product": "old-bread", "quantity": 1000}]})
    assert r.status_code == 422 and r.json()["code"] == "unknown_product"
    r = client.post("/api/v1/pricing/quote", json={
        "currency": "ZWG", "lines": [{"product": "local-bread", "quantity": 1000}]})
    assert r.status_code == 200, r.text
    # derived from the override: 0.90 x 26.7834 = 24.105 -> 2411 -> to a step of 10: 2410
    assert r.json()["lines"][0]["unit_price"] == 2410


def test_the_rate_in_force_at_the_moment_prices_a_derived_currency(hub):
    seed.basics(hub.db_path)
    with seed.writing(hub.db_path) as conn:
        seed.exchange_rate(conn, "USD", "ZWG", 30_000_000, since="2026-12-01T00:00:00.000000Z")
    client = hub.as_user("manager")

    def zwg_bread(at: str) -> int:
        r = client.post("/api/v1/pricing/quote", json={
            "currency": "ZWG", "at": at, "lines": [{"product": "bread", "quantity": 1000}]})
        assert r.status_code == 200, r.text
        return r.json()["lines"][0]["unit_price"]

    assert zwg_bread("2026-11-30T23:59:59Z") == 4020  # 1.50 x 26.7834 = 40.175 -> 4018 -> 4020
    assert zwg_bread("2026-12-01T00:00:00Z") == 4500  # 1.50 x 30
