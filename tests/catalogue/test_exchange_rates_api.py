"""/api/v1/exchange-rates over real HTTP: exact decimal text, history that is only added to, the
rate in force at a moment, scheduled rates, filters and paging, and field-named refusals."""

from __future__ import annotations

import pytest

from tests.catalogue.reference import changes_since, enrol, errors_of, mark, one_audit, wrote_nothing

JAN, JUN, LATER = "2025-01-01T00:00:00Z", "2025-06-01T00:00:00+02:00", "2090-01-01T00:00:00Z"


def post_rate(client, **body):
    r = client.post("/api/v1/exchange-rates", json={"quote": "ZWG", **body})
    assert r.status_code == 201, r.text
    return r.json()


def test_decimal_text_is_stored_as_the_exact_scaled_rate_with_who_set_it(hub):
    manager = hub.as_user("manager")
    me = manager.get("/api/v1/auth/me").json()
    before = mark(hub)
    r = manager.post("/api/v1/exchange-rates", json={"quote": "zwg", "rate_text": "26.7834",
                                                      "source": "official", "note": "RBZ interbank"})
    assert r.status_code == 201, r.text
    rate = r.json()
    assert (rate["base"], rate["quote"], rate["rate"], rate["rate_scale"]) == ("USD", "ZWG", 26_783_400, 1_000_000)
    assert rate["rate_text"] == "26.7834" and rate["status"] == "in_force"
    assert (rate["set_by"], rate["set_by_username"], rate["source"]) == (me["id"], "manager", "official")
    [change] = changes_since(hub, before)
    assert (change["entity"], change["entity_id"], change["version"]) == ("exchange_rate", rate["id"], 1)
    assert change["data"]["rate"] == 26_783_400
    entry = one_audit(hub, before, "exchange_rate.created", r.headers["x-request-id"])
    assert entry["summary"]["after"]["rate_text"] == "26.7834"


def test_a_scaled_integer_with_its_own_scale_is_taken_as_given(hub):
    rate = post_rate(hub.as_user("manager"), base="ZWG", quote="USD", rate=373, rate_scale=10_000)
    assert (rate["rate"], rate["rate_scale"], rate["rate_text"]) == (373, 10_000, "0.0373")


@pytest.mark.parametrize(("body", "status", "fields"), [
    ({"rate_text": "26.78345678"}, 422, {"rate_text"}),
    ({"rate_text": "26.7834", "rate_scale": 1000}, 422, {"rate_text"}),
    ({"rate_text": "26,78"}, 422, {"rate_text"}),
    ({"rate_text": "0"}, 422, {"rate_text"}),
    ({"rate": 26_783_400, "rate_text": "26.7834"}, 422, {"rate"}),
    ({}, 422, {"rate"}),
    ({"rate": 0}, 400, {"rate"}),
    ({"rate": 2.5}, 400, {"rate"}),  # never a float
    ({"rate": 5, "rate_scale": 250}, 422, {"rate_scale"}),
    ({"rate": 5, "source": "hq"}, 422, {"source"}),
    ({"rate": 5, "source": "bank"}, 400, {"source"}),
    ({"rate": 5, "quote": "USD"}, 422, {"quote"}),
    ({"rate": 5, "quote": "EUR"}, 422, {"quote"}),
    ({"rate": 5, "base": "GBP", "quote": "EUR"}, 422, {"base", "quote"}),
    ({"rate": 5, "effective_from": "2026-01-01T00:00:00"}, 422, {"effective_from"}),
    ({"rate": 5, "effective_from": "next week"}, 422, {"effective_from"}),
    # every problem at once, each beside its field
    ({"rate_text": "1.2345678", "source": "hq", "effective_from": "soon"}, 422,
     {"rate_text", "source", "effective_from"}),
])
def test_a_refused_rate_names_its_fields_and_changes_nothing(hub, body, status, fields):
    manager = hub.as_user("manager")
    before = mark(hub)
    r = manager.post("/api/v1/exchange-rates", json={"quote": "ZWG", **body})
    assert r.status_code == status, r.text
    assert set(errors_of(r)) == fields, r.json()
    assert wrote_nothing(hub, before)


def test_a_rate_into_an_archived_currency_is_refused(hub):
    manager = hub.as_user("manager")
    assert manager.post("/api/v1/currencies", json={"code": "ZAR", "name": "Rand"}).status_code == 201
    assert manager.patch("/api/v1/currencies/ZAR", json={"active": False}).status_code == 200
    r = manager.post("/api/v1/exchange-rates", json={"quote": "ZAR", "rate": 18})
    assert r.status_code == 422 and errors_of(r) == {"quote": "ZAR is archived"}


def test_history_corrections_scheduled_rates_and_the_rate_in_force(hub):
    manager = hub.as_user("manager")
    january = post_rate(manager, rate_text="25.5", effective_from=JAN)
    june = post_rate(manager, rate_text="26.1", effective_from=JUN)
    corrected = post_rate(manager, rate_text="26.2", effective_from=JUN, note="typo in June's rate")
    scheduled = post_rate(manager, rate_text="30", effective_from=LATER)
    assert june["effective_from"] == "2025-05-31T22:00:00.000000Z"  # stored as UTC
    assert scheduled["status"] == "scheduled"

    def current(**params):
        r = manager.get("/api/v1/exchange-rates/current", params={"quote": "ZWG", **params})
        return r.json()["id"] if r.status_code == 200 else (r.status_code, r.json()["code"])

    assert current() == corrected["id"]  # the correction, recorded later at the same start, wins
    assert current(at="2025-03-01T00:00:00Z") == january["id"]
    assert current(at="2025-05-31T21:59:59Z") == january["id"]
    assert current(at="2025-05-31T22:00:00Z") == corrected["id"]
    assert current(at="2090-06-01T00:00:00Z", base="usd") == scheduled["id"]
    assert current(at="2024-12-31T23:59:59Z") == (404, "no_rate")
    r = manager.get("/api/v1/exchange-rates/current", params={"quote": "ZWG", "at": "noon"})
    assert r.status_code == 422 and "at" in errors_of(r)

    rows = manager.get("/api/v1/exchange-rates").json()["items"]
    assert [(x["id"], x["status"]) for x in rows] == [
        (scheduled["id"], "scheduled"), (corrected["id"], "in_force"),
        (june["id"], "superseded"), (january["id"], "superseded")]
    assert rows[2]["rate_text"] == "26.1"  # the corrected row is still there, unchanged
    live = manager.get("/api/v1/exchange-rates", params={"history": "false"}).json()["items"]
    assert [x["id"] for x in live] == [scheduled["id"], corrected["id"]]


def test_filters_by_pair_and_pages_newest_first(hub):
    manager = hub.as_user("manager")
    made = [post_rate(manager, rate=26_000_000 + i, effective_from=f"2025-0{i + 1}-01T00:00:00Z")
            for i in range(5)]
    back = post_rate(manager, base="ZWG", quote="USD", rate=38_000)
    assert [x["id"] for x in manager.get("/api/v1/exchange-rates", params={"quote": "USD"}).json()["items"]] == [back["id"]]
    assert len(manager.get("/api/v1/exchange-rates", params={"base": "USD"}).json()["items"]) == 5
    ids, after = [], None
    while True:
        params = {"quote": "ZWG", "limit": 2, **({"after": after} if after else {})}
        page = manager.get("/api/v1/exchange-rates", params=params).json()
        ids.append([x["id"] for x in page["items"]])
        after = page["next_after"]
        if after is None:
            break
    assert ids == [[made[4]["id"], made[3]["id"]], [made[2]["id"], made[1]["id"]], [made[0]["id"]]]
    r = manager.get("/api/v1/exchange-rates", params={"after": "no-such-rate"})
    assert r.status_code == 422 and "after" in errors_of(r)


def test_an_enrolled_store_still_sets_its_own_rates_but_never_hq_ones(hub):
    manager = hub.as_user("manager")
    enrol(hub)
    assert post_rate(manager, rate_text="27")["source"] == "store"
    r = manager.post("/api/v1/exchange-rates", json={"quote": "ZWG", "rate": 27, "source": "hq"})
    assert r.status_code == 422 and "source" in errors_of(r)
