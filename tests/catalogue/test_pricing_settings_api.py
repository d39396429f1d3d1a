"""/api/v1/settings/pricing over real HTTP: the tax mode as a setting, the base currency read-only."""

from __future__ import annotations

import pytest

from tests.catalogue.reference import changes_since, errors_of, mark, one_audit, wrote_nothing


def test_a_new_store_prices_tax_inclusive_in_usd(hub):
    assert hub.as_user("supervisor").get("/api/v1/settings/pricing").json() == {
        "tax_mode": "inclusive", "base_currency": "USD"}


def test_switching_the_tax_mode_is_one_setting_change_and_one_audit_entry(hub):
    manager = hub.as_user("manager")
    before = mark(hub)
    r = manager.put("/api/v1/settings/pricing", json={"tax_mode": "exclusive"})
    assert r.status_code == 200 and r.json() == {"tax_mode": "exclusive", "base_currency": "USD"}
    [change] = changes_since(hub, before)
    assert (change["entity"], change["entity_id"], change["data"]) == (
        "setting", "pricing.tax_mode", {"key": "pricing.tax_mode", "value": "exclusive"})
    entry = one_audit(hub, before, "settings.pricing_updated", r.headers["x-request-id"])
    assert (entry["summary"]["before"]["tax_mode"], entry["summary"]["after"]["tax_mode"]) == ("inclusive", "exclusive")
    before = mark(hub)
    assert manager.put("/api/v1/settings/pricing", json={"tax_mode": "exclusive"}).status_code == 200
    assert wrote_nothing(hub, before)
    assert manager.get("/api/v1/settings/pricing").json()["tax_mode"] == "exclusive"


@pytest.mark.parametrize(("body", "field"), [
    ({"tax_mode": "included"}, "tax_mode"),
    ({}, "tax_mode"),
    ({"tax_mode": "inclusive", "base_currency": "ZWG"}, "base_currency"),  # set on the currency
])
def test_a_refused_setting_names_the_field_and_changes_nothing(hub, body, field):
    manager = hub.as_user("manager")
    before = mark(hub)
    r = manager.put("/api/v1/settings/pricing", json=body)
    assert r.status_code == 400 and field in errors_of(r), r.text
    assert wrote_nothing(hub, before)
