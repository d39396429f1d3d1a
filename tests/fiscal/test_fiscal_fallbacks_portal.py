"""The fiscal fallbacks form (/fiscal/settings/fallbacks): the global fallback and one tax and HS
code per category in one post (put_settings, one audit entry), refusals inline beside each field
with the typed values kept and nothing changed, and a sale line of that category taking them."""

from __future__ import annotations

import json
import re

from tests.catalogue.fixtures import create, reference
from tests.fiscal.recipes import FISCAL, HS, configure, fiscal_till, map_taxes, open_day
from tests.people import query
from tests.portal.client import Portal
from tests.sales.build import line

PAGE = "/fiscal/settings/fallbacks"
P = "category_fallbacks."


def _audits(hub) -> int:
    return query(hub, "SELECT count(*) FROM audit_log WHERE action = 'fiscal.settings_changed'")[0][0]


def _form(ids, **over):
    form = {"fallback_tax_id": "517", "fallback_hs_code": HS,
            f"{P}{ids['drinks']}.tax_id": "", f"{P}{ids['drinks']}.hs_code": "",
            f"{P}{ids['bread']}.tax_id": "", f"{P}{ids['bread']}.hs_code": ""}
    form.update({k.replace("DRINKS", ids["drinks"]).replace("BREAD", ids["bread"]): v for k, v in over.items()})
    return form


def test_the_fallbacks_form_saves_per_category_fallbacks_and_refuses_inline(hub, sim):
    manager, admin = hub.as_user("manager"), hub.as_user("admin")
    configure(hub, manager, sim)
    till, dev = fiscal_till(hub, manager, sim)  # registered: its FDMS taxes are the choices
    map_taxes(manager)
    ids = reference(admin)
    portal = Portal(hub)
    session = portal.token("manager")

    page = portal.call("GET", PAGE, session)
    assert page.status_code == 200, page.text
    assert f'name="{P}{ids["drinks"]}.tax_id"' in page.text and f'name="{P}{ids["bread"]}.hs_code"' in page.text
    assert 'name="fallback_tax_id"' in page.text and "Global fallback" in page.text
    assert re.search(r'<option value="517"[^>]*>517 · 15.5', page.text), page.text  # the FDMS taxes to choose from
    before = _audits(hub)

    # an unknown tax and a malformed HS code: 422, each beside its field, typed values kept, nothing changed
    r = portal.call("POST", PAGE, session, _form(ids, **{f"{P}DRINKS.tax_id": "999",
                                                        f"{P}BREAD.hs_code": "19ab"}))
    assert r.status_code == 422, r.text
    assert "The fallbacks were not saved" in r.text
    assert f'id="e-{P}{ids["drinks"]}.tax_id"' in r.text and "not one of the taxes FDMS gave" in r.text
    assert f'id="e-{P}{ids["bread"]}.hs_code"' in r.text and "4 or 8 digits" in r.text
    assert 'value="19ab"' in r.text
    assert manager.get(f"{FISCAL}/settings").json()["category_fallbacks"] == {} and _audits(hub) == before
    r = portal.call("POST", PAGE, session, _form(ids, fallback_tax_id="999"))  # the global one too
    assert r.status_code == 422 and 'id="e-fallback_tax_id"' in r.text, r.text
    r = portal.call("POST", PAGE, session, _form(ids, fallback_hs_code="1234"))
    assert r.status_code == 422 and 'id="e-fallback_hs_code"' in r.text, r.text
    r = portal.call("POST", PAGE, session, _form(ids, **{f"{P}DRINKS.tax_id": "abc"}))
    assert r.status_code == 422 and f'id="e-{P}{ids["drinks"]}.tax_id"' in r.text, r.text
    assert _audits(hub) == before

    # saved: one audit entry, a 303 with a notice, the API sees the whole map
    r = portal.call("POST", PAGE, session, _form(ids, **{f"{P}DRINKS.tax_id": "2", f"{P}DRINKS.hs_code": "2201",
                                                        f"{P}BREAD.hs_code": "19059000"}))
    assert r.status_code == 303 and r.headers["location"] == PAGE, r.text
    assert _audits(hub) == before + 1
    saved = manager.get(f"{FISCAL}/settings").json()
    assert saved["category_fallbacks"] == {ids["drinks"]: {"tax_id": 2, "hs_code": "2201"},
                                           ids["bread"]: {"tax_id": None, "hs_code": "19059000"}}
    assert (saved["fallback_tax_id"], saved["fallback_hs_code"]) == (517, HS)
    page = portal.call("GET", PAGE, session)
    assert 'value="19059000"' in page.text

    # a line of that category whose product has no HS code takes the category's
    product = create(admin, ids, category_id=ids["bread"])  # no HS code of its own
    open_day(manager, dev["id"])
    sale = till.sell(till.body([line(250, product_id=product["id"], tax_class_id=ids["VAT"])]))
    [row] = query(hub, "SELECT body FROM fiscal_receipts WHERE document_id = ?", sale["id"])
    assert json.loads(row[0])["receiptLines"][0]["receiptLineHSCode"] == "19059000"

    # clearing a row takes the category out of the map; the supervisor reads but may not save
    r = portal.call("POST", PAGE, session, _form(ids, **{f"{P}DRINKS.tax_id": "2", f"{P}DRINKS.hs_code": "2201"}))
    assert r.status_code == 303, r.text
    assert list(manager.get(f"{FISCAL}/settings").json()["category_fallbacks"]) == [ids["drinks"]]
    supervisor = portal.token("supervisor")
    page = portal.call("GET", PAGE, supervisor)
    assert page.status_code == 200 and "Save the fallbacks" not in page.text
    assert portal.call("POST", PAGE, supervisor, _form(ids)).status_code == 403
