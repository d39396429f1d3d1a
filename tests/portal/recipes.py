"""How to call each portal route for real: for the endpoint x role matrix and the audit check.

Bodies are HTML form fields. `PAGE_CALLS` may depend on who calls (their own password);
`PAGE_CHANGES` name the one audit action each successful form post must record.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from hub.auth.identity import is_api_path
from hub.catalogue._rates_portal import format_amount
from tests.catalogue import pricing_recipes as pricing
from tests.catalogue import product_recipes
from tests.catalogue import reference_recipes as reference
from tests.pairing import Tills
from tests.people import ROOT, ROOT_PASSWORD, People, unique

# The demo store's profile, with which a settings form post passes validation.
STORE_FORM = {"name": "Soko Demo Store", "code": "DEMO", "timezone": "Africa/Harare"}


def is_portal_route(key: str) -> bool:
    """'METHOD /path' of a portal route (every route off the API paths)."""
    return not is_api_path(key.split(" ", 1)[1])


@dataclass
class PageCall:
    path: str
    form: dict[str, Any] = field(default_factory=dict)
    strict: bool = True  # a caller who is allowed must succeed (200, or a redirect after a form)


def _password(people: People, who: str | None) -> str:
    return people.hub.credentials[who or "cashier"][0]


def _pin(people: People, who: str | None) -> str:
    return people.hub.credentials[who or "cashier"][1]


def _tills(p: People) -> Tills:
    """Pairing under a big test license, made on first use: the trial's seats would run out."""
    if getattr(p, "tills", None) is None:
        p.tills = Tills.licensed(p.hub, p.root)  # type: ignore[attr-defined]
    return p.tills  # type: ignore[attr-defined]


def _device(p: People) -> str:
    """A freshly paired till's id."""
    return _tills(p).pair()["device_id"]


PAGE_CALLS: dict[str, Callable[[People, str | None], PageCall]] = {
    "GET /fiscal": lambda p, who: PageCall("/fiscal"),
    "POST /fiscal/devices/{device_id}/open": lambda p, who: PageCall(
        f"/fiscal/devices/{_fiscal().oracle_device(p.hub, p.root, _tills(p), mapped=True)}/open"),
    "POST /fiscal/devices/{device_id}/close": lambda p, who: PageCall(
        f"/fiscal/devices/{_fiscal().oracle_device(p.hub, p.root, _tills(p), opened=True)}/close"),
    "POST /fiscal/submit": lambda p, who: PageCall("/fiscal/submit"),
    "POST /fiscal/recovery/check": lambda p, who: PageCall("/fiscal/recovery/check"),
    "POST /fiscal/recovery/finish": lambda p, who: (  # in recovery for those who may finish it (fiscal.manage)
        who in ("admin", "manager") and _fiscal().in_recovery(p.hub, p.root, _tills(p)),
        PageCall("/fiscal/recovery/finish"))[1],
    "POST /fiscal/devices/{device_id}/files": lambda p, who: PageCall(
        f"/fiscal/devices/{_fiscal().oracle_device(p.hub, p.root, _tills(p), register=True)}/files"),
    "GET /login": lambda p, who: PageCall("/login"),
    "POST /login": lambda p, who: PageCall("/login", {"username": who or "cashier",
                                                       "password": _password(p, who)}),
    "POST /logout": lambda p, who: PageCall("/logout"),
    "GET /static/{file_path}": lambda p, who: PageCall("/static/portal.css"),
    "GET /": lambda p, who: PageCall("/"),
    "GET /about": lambda p, who: PageCall("/about"),
    "GET /profile": lambda p, who: PageCall("/profile"),
    "POST /profile": lambda p, who: PageCall("/profile", {"display_name": "Matrix Name"}),
    "POST /profile/password": lambda p, who: PageCall("/profile/password", {
        "current_password": _password(p, who), "new_password": _password(p, who),
        "new_password_again": _password(p, who)}),
    "POST /profile/pin": lambda p, who: PageCall("/profile/pin", {
        "current_password": _password(p, who), "new_pin": _pin(p, who), "new_pin_again": _pin(p, who)}),
    "GET /users": lambda p, who: PageCall("/users?status=all&q=demo"),
    "GET /users/new": lambda p, who: PageCall("/users/new"),
    "POST /users": lambda p, who: PageCall("/users", {
        "username": unique("portal"), "display_name": "Portal Matrix", "role_id": p.role_id("cashier"),
        "pin": "2580"}),
    "GET /users/{user_id}": lambda p, who: PageCall(f"/users/{p.new_user()['id']}"),
    "POST /users/{user_id}": lambda p, who: PageCall(
        f"/users/{p.new_user()['id']}", {"display_name": "Matrix Edit", "role_id": p.role_id("cashier")}),
    "POST /users/{user_id}/deactivate": lambda p, who: PageCall(f"/users/{p.new_user()['id']}/deactivate"),
    "POST /users/{user_id}/activate": lambda p, who: PageCall(
        f"/users/{p.new_user(active=False)['id']}/activate"),
    "POST /users/{user_id}/password": lambda p, who: PageCall(
        f"/users/{p.new_user()['id']}/password", {"password": "matrix-pass-1"}),
    "POST /users/{user_id}/pin": lambda p, who: PageCall(f"/users/{p.new_user()['id']}/pin", {"pin": "2468"}),
    "GET /roles": lambda p, who: PageCall("/roles"),
    "GET /roles/new": lambda p, who: PageCall("/roles/new"),
    "POST /roles": lambda p, who: PageCall("/roles", {"name": unique("Portal"), "permission": []}),
    "GET /roles/{role_id}": lambda p, who: PageCall(f"/roles/{p.role_id('cashier')}"),
    "POST /roles/{role_id}": lambda p, who: _edit_role(p),
    "POST /roles/{role_id}/delete": lambda p, who: PageCall(f"/roles/{p.new_role()['id']}/delete"),
    "GET /settings": lambda p, who: PageCall("/settings"),
    "POST /settings": lambda p, who: PageCall("/settings", {**STORE_FORM, "phone": "+263 77 000 0000"}),
    "GET /settings/logo.png": lambda p, who: PageCall("/settings/logo.png", strict=False),  # no logo: 404
    "GET /audit": lambda p, who: PageCall("/audit?action=user.created"),
    "GET /devices": lambda p, who: PageCall("/devices?status=all"),
    "GET /devices/pair": lambda p, who: PageCall("/devices/pair"),
    "POST /devices/pair": lambda p, who: PageCall("/devices/pair"),
    "GET /devices/{device_id}": lambda p, who: PageCall(f"/devices/{_device(p)}"),
    "POST /devices/{device_id}": lambda p, who: PageCall(f"/devices/{_device(p)}", {"name": "Matrix till"}),
    "GET /devices/{device_id}/revoke": lambda p, who: PageCall(f"/devices/{_device(p)}/revoke"),
    "POST /devices/{device_id}/revoke": lambda p, who: PageCall(f"/devices/{_device(p)}/revoke"),
    "GET /licenses": lambda p, who: PageCall("/licenses"),
    "POST /licenses": lambda p, who: PageCall("/licenses", {"text": _tills(p).vendor.issue()}),
    "POST /licenses/tills/{device_id}": lambda p, who: PageCall(
        f"/licenses/tills/{_device(p)}", {"license_id": ""}),
}


def _edit_role(p: People) -> PageCall:
    role = p.new_role()
    return PageCall(f"/roles/{role['id']}", {"name": role["name"], "description": "matrix",
                                             "permission": ["users.view"]})


@dataclass
class PageChange:
    path: str
    action: str  # the audit action the form post must record
    form: dict[str, Any] = field(default_factory=dict)
    token: str | None = None  # the session; None: anonymous


def _root(p: People) -> str:
    return p.login(ROOT, ROOT_PASSWORD)["access_token"]


def _own(p: People, field_name: str, action: str, path: str, form: dict[str, Any]) -> PageChange:
    user = p.new_user()
    token = p.login(user["username"], user["password"])["access_token"]
    return PageChange(path, action, {field_name: user["password"], **form}, token)


PAGE_CHANGES: dict[str, Callable[[People], PageChange]] = {
    "POST /login": lambda p: PageChange("/login", "auth.login",
                                       {"username": ROOT, "password": ROOT_PASSWORD}),
    "POST /logout": lambda p: PageChange("/logout", "auth.logout", token=_root(p)),
    "POST /profile": lambda p: PageChange("/profile", "user.updated", {"display_name": unique("Name ")},
                                          _root(p)),
    "POST /profile/password": lambda p: _own(
        p, "current_password", "user.password_changed", "/profile/password",
        {"new_password": "portal-password-1", "new_password_again": "portal-password-1"}),
    "POST /profile/pin": lambda p: _own(p, "current_password", "user.pin_changed", "/profile/pin",
                                        {"new_pin": "9753", "new_pin_again": "9753"}),
    "POST /users": lambda p: PageChange("/users", "user.created", {
        "username": unique("audited"), "display_name": "A", "role_id": p.role_id("cashier"),
        "password": "audited-pass-1"}, _root(p)),
    "POST /users/{user_id}": lambda p: PageChange(
        f"/users/{p.new_user()['id']}", "user.updated",
        {"display_name": "Renamed", "role_id": p.role_id("supervisor")}, _root(p)),
    "POST /users/{user_id}/deactivate": lambda p: PageChange(
        f"/users/{p.new_user()['id']}/deactivate", "user.deactivated", token=_root(p)),
    "POST /users/{user_id}/activate": lambda p: PageChange(
        f"/users/{p.new_user(active=False)['id']}/activate", "user.activated", token=_root(p)),
    "POST /users/{user_id}/password": lambda p: PageChange(
        f"/users/{p.new_user()['id']}/password", "user.password_reset", {"password": "reset-pass-1"},
        _root(p)),
    "POST /users/{user_id}/pin": lambda p: PageChange(
        f"/users/{p.new_user()['id']}/pin", "user.pin_reset", {"pin": "8024"}, _root(p)),
    "POST /roles": lambda p: PageChange("/roles", "role.created", {
        "name": unique("Audited"), "permission": ["users.view"]}, _root(p)),
    "POST /roles/{role_id}": lambda p: _role_change(p),
    "POST /roles/{role_id}/delete": lambda p: PageChange(
        f"/roles/{p.new_role()['id']}/delete", "role.deleted", token=_root(p)),
    "POST /settings": lambda p: PageChange(
        "/settings", "settings.store_updated", {**STORE_FORM, "phone": unique("+263 77 ")}, _root(p)),
    "POST /devices/pair": lambda p: PageChange("/devices/pair", "device.pairing_code_created", token=_root(p)),
    "POST /devices/{device_id}": lambda p: PageChange(
        f"/devices/{_device(p)}", "device.updated", {"name": unique("Till ")}, _root(p)),
    "POST /devices/{device_id}/revoke": lambda p: PageChange(
        f"/devices/{_device(p)}/revoke", "device.revoked", token=_root(p)),
    "POST /licenses": lambda p: PageChange(
        "/licenses", "license.installed", {"text": _tills(p).vendor.issue(seats=2)}, _root(p)),
    "POST /licenses/tills/{device_id}": lambda p: PageChange(
        f"/licenses/tills/{_device(p)}", "device.license_linked", {"license_id": ""}, _root(p)),
}


def _role_change(p: People) -> PageChange:
    role = p.new_role()
    return PageChange(f"/roles/{role['id']}", "role.updated",
                      {"name": role["name"], "permission": ["roles.view"]}, _root(p))


# ---- Sales: shifts, opened by a cashier at a freshly paired till through the API (tests/shifts) ----

def _shifting() -> Any:
    from tests.shifts import recipes
    return recipes


SHIFT_CLOSE_FORM = {"counted[0].amount": "50.00", "counted[1].note.10000": "2",
                    "note": "Counted in the office"}


PAGE_CALLS.update({
    "GET /shifts": lambda p, who: PageCall("/shifts?status=closed&date=2026-01-31"),
    "GET /shifts/{shift_id}": lambda p, who: PageCall(f"/shifts/{_shifting().open_shift(p)}"),
    "GET /shifts/{shift_id}/close": lambda p, who: PageCall(f"/shifts/{_shifting().open_shift(p)}/close"),
    "POST /shifts/{shift_id}/close": lambda p, who: PageCall(
        f"/shifts/{_shifting().open_shift(p)}/close", SHIFT_CLOSE_FORM),
    "GET /shifts/{shift_id}/report": lambda p, who: PageCall(f"/shifts/{_shifting().closed_shift(p)}/report"),
})

PAGE_CHANGES.update({
    "POST /shifts/{shift_id}/close": lambda p: PageChange(
        f"/shifts/{_shifting().open_shift(p)}/close", "shift.closed", SHIFT_CLOSE_FORM, _root(p)),
})


# ---- Catalogue: tax classes and the store's tax mode, currencies and exchange rates --------------

def _tax_class(p: People, *, archived: bool = False) -> dict[str, Any]:
    """A fresh tax class with no rate yet (so a rate added now never ties with its first)."""
    r = p.root.post("/api/v1/tax-classes", json={"code": unique("PT"), "name": "Portal tax"})
    assert r.status_code == 201, r.text
    if archived:
        assert p.root.patch(f"/api/v1/tax-classes/{r.json()['id']}", json={"active": False}).status_code == 200
    return r.json()


def _currency(p: People, *, archived: bool = False) -> str:
    code = reference.currency(p)
    if archived:
        assert p.root.patch(f"/api/v1/currencies/{code}", json={"active": False}).status_code == 200
    return code


def _currency_form(**fields: Any) -> dict[str, Any]:
    return {"name": unique("Currency "), "symbol": "", "decimals": "2", "round_step": "0.01",
            "round_mode": "half_up", "cash_rounding": "0.01", **fields}


def _new_coin() -> str:
    """A smallest coin no currency of the matrix has yet, so the edit always changes something."""
    return format_amount(reference.cash_rounding()["cash_rounding"], 2)


PAGE_CALLS.update({
    "GET /taxes": lambda p, who: PageCall("/taxes?status=all"),
    "GET /taxes/new": lambda p, who: PageCall("/taxes/new"),
    "POST /taxes": lambda p, who: PageCall("/taxes", {"code": unique("PT"), "name": "Portal tax", "rate": "12.5"}),
    "POST /taxes/pricing": lambda p, who: PageCall("/taxes/pricing", {"tax_mode": "inclusive"}),
    "GET /taxes/{class_id}": lambda p, who: PageCall(f"/taxes/{_tax_class(p)['id']}"),
    "POST /taxes/{class_id}": lambda p, who: PageCall(
        f"/taxes/{(c := _tax_class(p))['id']}", {"code": c["code"], "name": "Portal edit"}),
    "POST /taxes/{class_id}/rates": lambda p, who: PageCall(
        f"/taxes/{_tax_class(p)['id']}/rates", {"rate": "12", "effective_from": ""}),
    "POST /taxes/{class_id}/archive": lambda p, who: PageCall(f"/taxes/{_tax_class(p)['id']}/archive"),
    "POST /taxes/{class_id}/restore": lambda p, who: PageCall(
        f"/taxes/{_tax_class(p, archived=True)['id']}/restore"),
    "GET /currencies": lambda p, who: PageCall("/currencies?status=all"),
    "GET /currencies/new": lambda p, who: PageCall("/currencies/new"),
    "POST /currencies": lambda p, who: PageCall("/currencies", _currency_form(
        code=reference.currency_body()["code"])),
    "GET /currencies/rates": lambda p, who: PageCall("/currencies/rates"),
    "POST /currencies/rates": lambda p, who: PageCall("/currencies/rates", {"quote": "ZWG", "rate_text": "26.7834"}),
    "GET /currencies/{code}": lambda p, who: PageCall(f"/currencies/{_currency(p)}"),
    "POST /currencies/{code}": lambda p, who: PageCall(
        f"/currencies/{_currency(p)}", _currency_form(cash_rounding=_new_coin())),
    "POST /currencies/{code}/archive": lambda p, who: PageCall(f"/currencies/{_currency(p)}/archive"),
    "POST /currencies/{code}/restore": lambda p, who: PageCall(
        f"/currencies/{_currency(p, archived=True)}/restore"),
})

PAGE_CHANGES.update({
    "POST /taxes": lambda p: PageChange("/taxes", "tax_class.created", {
        "code": unique("PT"), "name": "Audited tax", "rate": "15.5"}, _root(p)),
    "POST /taxes/pricing": lambda p: PageChange(
        "/taxes/pricing", "settings.pricing_updated", reference.other_tax_mode(p), _root(p)),
    "POST /taxes/{class_id}": lambda p: PageChange(
        f"/taxes/{(c := _tax_class(p))['id']}", "tax_class.updated",
        {"code": c["code"], "name": unique("Renamed ")}, _root(p)),
    "POST /taxes/{class_id}/rates": lambda p: PageChange(
        f"/taxes/{_tax_class(p)['id']}/rates", "tax_class.rate_added",
        {"rate": "16", "effective_from": "2031-06-01T00:00"}, _root(p)),
    "POST /taxes/{class_id}/archive": lambda p: PageChange(
        f"/taxes/{_tax_class(p)['id']}/archive", "tax_class.archived", token=_root(p)),
    "POST /taxes/{class_id}/restore": lambda p: PageChange(
        f"/taxes/{_tax_class(p, archived=True)['id']}/restore", "tax_class.restored", token=_root(p)),
    "POST /currencies": lambda p: PageChange("/currencies", "currency.created", _currency_form(
        code=reference.currency_body()["code"]), _root(p)),
    "POST /currencies/rates": lambda p: PageChange(
        "/currencies/rates", "exchange_rate.created", {"quote": "ZWG", "rate_text": "27.1"}, _root(p)),
    "POST /currencies/{code}": lambda p: PageChange(
        f"/currencies/{_currency(p)}", "currency.updated", _currency_form(cash_rounding=_new_coin()), _root(p)),
    "POST /currencies/{code}/archive": lambda p: PageChange(
        f"/currencies/{_currency(p)}/archive", "currency.archived", token=_root(p)),
    "POST /currencies/{code}/restore": lambda p: PageChange(
        f"/currencies/{_currency(p, archived=True)}/restore", "currency.restored", token=_root(p)),
})


# ---- Sales: the history, receipts and the exception queue, of sales a paired till recorded ----------

def _selling() -> Any:
    from tests.sales import recipes
    return recipes


def _sale_id(p: People) -> str:
    return _selling().recorded_sale(p.hub, _tills(p))["id"]


def _signed_document(p: People) -> str:
    from tests.fiscal.documents_recipes import signed_document

    return signed_document(p.hub, p.root, _tills(p))


def _exception_id(p: People) -> str:
    return _selling().open_exception(p.hub, _tills(p))


def _open_shift(p: People) -> str:
    """A till of the shared pairing with an open shift, where a portal refund or correction moves money."""
    return _selling().Till(p.hub, paired_by=_tills(p)).shift()


def _refund_form(p: People) -> dict[str, Any]:
    return {"till": _open_shift(p), "qty-0": "1", "fate-0": "restock", "refund_to": "original",
            "r_reason": "Returned"}


def _correction_form(p: People) -> dict[str, Any]:
    return {"c_till": _open_shift(p), "kind": "charge", "target": "line-0", "amount": "0.10", "method": "cash",
            "currency": "USD", "c_reason": "Old price rung"}


PAGE_CALLS.update({
    "GET /sales": lambda p, who: PageCall("/sales?period=custom&from=2026-01-01&to=2026-01-31&method=cash"
                                          "&currency=USD&status=completed"),
    "GET /sales/{sale_id}": lambda p, who: PageCall(f"/sales/{_sale_id(p)}"),
    "GET /fiscal/documents/{document_id}": lambda p, who: PageCall(f"/fiscal/documents/{_signed_document(p)}"),
    "GET /sales/{sale_id}/print": lambda p, who: PageCall(f"/sales/{_sale_id(p)}/print"),
    "POST /sales/{sale_id}/void": lambda p, who: PageCall(f"/sales/{_sale_id(p)}/void", {"reason": "Rung twice"}),
    "POST /sales/{sale_id}/refund": lambda p, who: PageCall(f"/sales/{_sale_id(p)}/refund", _refund_form(p)),
    "POST /sales/{sale_id}/correction": lambda p, who: PageCall(f"/sales/{_sale_id(p)}/correction",
                                                                _correction_form(p)),
    "GET /exceptions": lambda p, who: PageCall("/exceptions?kind=unknown_shift&status=open"),
    "GET /exceptions/{exception_id}": lambda p, who: PageCall(f"/exceptions/{_exception_id(p)}"),
    "POST /exceptions/{exception_id}/resolve": lambda p, who: PageCall(
        f"/exceptions/{_exception_id(p)}/resolve", {"note": "Checked"}),
    "POST /exceptions/{exception_id}/dismiss": lambda p, who: PageCall(
        f"/exceptions/{_exception_id(p)}/dismiss", {"note": "Checked"}),
})

PAGE_CHANGES.update({
    "POST /sales/{sale_id}/void": lambda p: PageChange(
        f"/sales/{_sale_id(p)}/void", "sale.voided", {"reason": "Audited"}, _root(p)),
    "POST /sales/{sale_id}/refund": lambda p: PageChange(
        f"/sales/{_sale_id(p)}/refund", "sale.refunded", _refund_form(p), _root(p)),
    "POST /sales/{sale_id}/correction": lambda p: PageChange(
        f"/sales/{_sale_id(p)}/correction", "sale.corrected", _correction_form(p), _root(p)),
    "POST /exceptions/{exception_id}/resolve": lambda p: PageChange(
        f"/exceptions/{_exception_id(p)}/resolve", "exception.resolved", {"note": "Audited"}, _root(p)),
    "POST /exceptions/{exception_id}/dismiss": lambda p: PageChange(
        f"/exceptions/{_exception_id(p)}/dismiss", "exception.dismissed", {"note": "Audited"}, _root(p)),
})


# ---- Store: the sync monitor and its quarantined facts (tests/sync/up_recipes) ------------------

def _quarantined(p: People) -> str:
    from tests.sync.up_recipes import quarantined

    return quarantined(p.hub)


PAGE_CALLS.update({
    "GET /sync": lambda p, who: PageCall("/sync?show=all"),
    "POST /sync/quarantine/{quarantine_id}/accept": lambda p, who: PageCall(
        f"/sync/quarantine/{_quarantined(p)}/accept", {"note": "Checked"}),
    "POST /sync/quarantine/{quarantine_id}/reject": lambda p, who: PageCall(
        f"/sync/quarantine/{_quarantined(p)}/reject", {"note": "Checked"}),
})

PAGE_CHANGES.update({
    "POST /sync/quarantine/{quarantine_id}/accept": lambda p: PageChange(
        f"/sync/quarantine/{_quarantined(p)}/accept", "sync.fact_accepted", {"note": "Audited"}, _root(p)),
    "POST /sync/quarantine/{quarantine_id}/reject": lambda p: PageChange(
        f"/sync/quarantine/{_quarantined(p)}/reject", "sync.fact_rejected", {"note": "Audited"}, _root(p)),
})


# ---- Store: the link to HQ (hub/bridge). Enrolment needs a real store and an HQ: the recipe makes
# the demo hub a real one and starts an HQ that answers that one enrolment and goes away; leaving
# right after (the next route in order) hands the catalogue back and makes it the demo store again.

def _enrol_form(p: People) -> dict[str, Any]:
    from tests.bridge.fakehq import enrol_once

    p.hub.write("UPDATE meta SET value = '0' WHERE key = 'demo'")
    url, code, _thread = enrol_once("DEMO")
    return {"hq_url": url, "code": code}


def _leave(p: People) -> PageChange:
    p.hub.write("UPDATE meta SET value = '1' WHERE key = 'demo'")
    return PageChange("/hq/leave", "hq.left", {}, _root(p))


PAGE_CALLS.update({
    "GET /hq": lambda p, who: PageCall("/hq"),
    # On the demo hub: refused (409 demo_database) for those allowed, so not strict.
    "POST /hq/enrol": lambda p, who: PageCall("/hq/enrol", {"hq_url": "http://127.0.0.1:9", "code": "ABCDEFGHJKLM"},
                                              strict=False),
    "POST /hq/leave": lambda p, who: PageCall("/hq/leave", strict=False),  # 409 when not enrolled
})

PAGE_CHANGES.update({
    "POST /hq/enrol": lambda p: PageChange("/hq/enrol", "hq.enrolled", _enrol_form(p), _root(p)),
    "POST /hq/leave": _leave,
})


# ---- Catalogue: products in and out as CSV, bulk price changes, the shelf-label list -----------

def _files_page(p: People, token: str, path: str, form: dict[str, Any] | None = None) -> str:
    """A page of these forms as `token` sees it (a form post renders its report or preview)."""
    from tests.portal.client import Portal

    r = Portal(p.hub).call("POST" if form is not None else "GET", path, token, form)
    assert r.status_code == 200, r.text[:500]
    return r.text


def _hidden(page: str, name: str) -> str:
    found = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', page)
    assert found, f"the page has no hidden {name} field"
    return html.unescape(found[1])


def _bulk_form(p: People, **fields: str) -> dict[str, str]:
    """A 10 % increase on a fresh product, typed by its SKU."""
    return {"skus": product_recipes.sku(p), "currency": "USD", "kind": "percent", "change": "10",
            "round_step": "", "round_mode": "half_up", "reason": "", **fields}


def _checked_import(p: People) -> PageChange:
    """The Import button of a file root has just checked."""
    token = _root(p)
    page = _files_page(p, token, "/products/import", {"csv_text": product_recipes.import_csv(p)})
    return PageChange("/products/import", "product.imported", {"upload": _hidden(page, "upload")}, token)


def _previewed_bulk_change(p: People) -> PageChange:
    """The Apply button of a preview root has just seen."""
    token = _root(p)
    form = _bulk_form(p, action="preview")
    page = _files_page(p, token, "/products/bulk-price", form)
    return PageChange("/products/bulk-price", "product.bulk_price_changed",
                      {**form, "action": "apply", "digest": _hidden(page, "digest")}, token)


def _queued_label(p: People) -> PageChange:
    """Clearing a product whose price just changed, as listed on the page."""
    token = _root(p)
    product_id = product_recipes.product(p)
    assert p.root.patch(f"/api/v1/products/{product_id}", json={"prices": {"USD": 175}}).status_code == 200
    as_of = _hidden(_files_page(p, token, "/labels"), "as_of")
    return PageChange("/labels/clear", "labels.cleared",
                      {"scope": "selected", "product_id": product_id, "as_of": as_of}, token)


PAGE_CALLS.update({
    "GET /products/import": lambda p, who: PageCall("/products/import"),
    "POST /products/import": lambda p, who: PageCall(
        "/products/import", {"csv_text": product_recipes.import_csv(p)}),  # the check: a report
    "GET /products/export": lambda p, who: PageCall("/products/export"),
    "GET /products/export.csv": lambda p, who: PageCall("/products/export.csv?include_archived=true"),
    "GET /products/bulk-price": lambda p, who: PageCall("/products/bulk-price"),
    "POST /products/bulk-price": lambda p, who: PageCall(
        "/products/bulk-price", _bulk_form(p, action="preview")),
    "GET /labels": lambda p, who: PageCall("/labels"),
    "POST /labels/clear": lambda p, who: PageCall(
        "/labels/clear", {"scope": "all", "as_of": "2030-01-01T00:00:00.000000Z"}),
})

PAGE_CHANGES.update({
    "POST /products/import": _checked_import,
    "POST /products/bulk-price": _previewed_bulk_change,
    "POST /labels/clear": _queued_label,
})


# ---- Catalogue: products (list, one product, create, edit, archive, scheduled prices) -----------

from tests.catalogue import product_recipes as product_api  # noqa: E402  (this section's own import)

PRODUCT_SCHEDULE_FORM = {"currency": "USD", "price": "1.99", "effective_from": "2031-06-01T08:00"}


def _product_form(p: People) -> dict[str, Any]:
    """A create form that passes: a fresh SKU on the store's seeded unit and tax class."""
    ids = product_api.ids(p)
    return {"sku": unique("PTL-"), "name": "Portal product", "unit_id": ids["each"], "tax_class_id": ids["VAT"],
            "prices.USD": "1.50", "barcodes[0].code": "", "stock_tracked": "on"}


def _product_edit(p: People) -> tuple[str, dict[str, Any]]:
    """A fresh product's form path and an edit of it that changes its name and price."""
    product_id = product_api.product(p)
    doc = p.root.get(f"/api/v1/products/{product_id}").json()
    return f"/products/{product_id}", {
        "sku": doc["sku"], "name": unique("Edited product "), "unit_id": doc["unit_id"],
        "tax_class_id": doc["tax_class_id"], "prices.USD": "2.25", "stock_tracked": "on",
        "barcodes[0].code": doc["barcodes"][0]["code"], "barcodes[0].pack_quantity": "1"}


def _product_change(p: People) -> PageChange:
    path, form = _product_edit(p)
    return PageChange(path, "product.updated", form, _root(p))


def _schedule_cancel(p: People) -> str:
    """The portal's cancel path of a fresh pending scheduled price."""
    return product_api.schedule(p).removeprefix("/api/v1") + "/cancel"


PAGE_CALLS.update({
    "GET /products": lambda p, who: PageCall("/products?q=product&status=all&tracked=yes"),
    "GET /products/new": lambda p, who: PageCall("/products/new"),
    "POST /products": lambda p, who: PageCall("/products", _product_form(p)),
    "GET /products/{product_id}": lambda p, who: PageCall(f"/products/{product_api.product(p)}"),
    "GET /products/{product_id}/edit": lambda p, who: PageCall(f"/products/{product_api.product(p)}/edit"),
    "POST /products/{product_id}": lambda p, who: PageCall(*_product_edit(p)),
    "POST /products/{product_id}/archive": lambda p, who: PageCall(f"/products/{product_api.product(p)}/archive"),
    "POST /products/{product_id}/restore": lambda p, who: PageCall(
        f"/products/{product_api.product(p, archived=True)}/restore"),
    "POST /products/{product_id}/scheduled-prices": lambda p, who: PageCall(
        f"/products/{product_api.product(p)}/scheduled-prices", PRODUCT_SCHEDULE_FORM),
    "POST /products/{product_id}/scheduled-prices/{schedule_id}/cancel": lambda p, who: PageCall(
        _schedule_cancel(p)),
})

PAGE_CHANGES.update({
    "POST /products": lambda p: PageChange("/products", "product.created", _product_form(p), _root(p)),
    "POST /products/{product_id}": lambda p: _product_change(p),
    "POST /products/{product_id}/archive": lambda p: PageChange(
        f"/products/{product_api.product(p)}/archive", "product.archived", token=_root(p)),
    "POST /products/{product_id}/restore": lambda p: PageChange(
        f"/products/{product_api.product(p, archived=True)}/restore", "product.restored", token=_root(p)),
    "POST /products/{product_id}/scheduled-prices": lambda p: PageChange(
        f"/products/{product_api.product(p)}/scheduled-prices", "product.price_scheduled",
        PRODUCT_SCHEDULE_FORM, _root(p)),
    "POST /products/{product_id}/scheduled-prices/{schedule_id}/cancel": lambda p: PageChange(
        _schedule_cancel(p), "product.price_schedule_cancelled", token=_root(p)),
})


# ---- Catalogue: the category tree, units of measure, suppliers ---------------------------------

def _archived(p: People, kind: str) -> str:
    """A fresh category, unit or supplier (`kind` as in the API path), archived through the API."""
    made = {"categories": reference.category, "units": reference.unit, "suppliers": reference.supplier}[kind](p)
    assert p.root.patch(f"/api/v1/{kind}/{made}", json={"active": False}).status_code == 200
    return made


def _unit_form() -> dict[str, Any]:
    return {"code": unique("u"), "name": unique("Unit "), "decimals": "0"}


def _supplier_form() -> dict[str, Any]:
    return {"name": unique("Supplier "), "contact_name": "Portal", "phone": "", "email": "", "address": "",
            "tin": "", "payment_terms_days": "30", "lead_time_days": "2", "notes": ""}


PAGE_CALLS.update({
    "GET /categories": lambda p, who: PageCall("/categories?status=all"),
    "GET /categories/new": lambda p, who: PageCall("/categories/new"),
    "POST /categories": lambda p, who: PageCall("/categories", {"name": unique("Category "), "parent_id": ""}),
    "GET /categories/{category_id}": lambda p, who: PageCall(f"/categories/{reference.category(p)}"),
    "POST /categories/{category_id}": lambda p, who: PageCall(
        f"/categories/{reference.category(p)}", {"name": unique("Category "), "parent_id": "", "sort_order": "1"}),
    "POST /categories/{category_id}/archive": lambda p, who: PageCall(
        f"/categories/{reference.category(p)}/archive"),
    "POST /categories/{category_id}/restore": lambda p, who: PageCall(
        f"/categories/{_archived(p, 'categories')}/restore"),
    "GET /units": lambda p, who: PageCall("/units?status=all"),
    "GET /units/new": lambda p, who: PageCall("/units/new"),
    "POST /units": lambda p, who: PageCall("/units", _unit_form()),
    "GET /units/{unit_id}": lambda p, who: PageCall(f"/units/{reference.unit(p)}"),
    "POST /units/{unit_id}": lambda p, who: PageCall(f"/units/{reference.unit(p)}", _unit_form()),
    "POST /units/{unit_id}/archive": lambda p, who: PageCall(f"/units/{reference.unit(p)}/archive"),
    "POST /units/{unit_id}/restore": lambda p, who: PageCall(f"/units/{_archived(p, 'units')}/restore"),
    "GET /suppliers": lambda p, who: PageCall("/suppliers?status=all&q=supplier"),
    "GET /suppliers/new": lambda p, who: PageCall("/suppliers/new"),
    "POST /suppliers": lambda p, who: PageCall("/suppliers", _supplier_form()),
    "GET /suppliers/{supplier_id}": lambda p, who: PageCall(f"/suppliers/{reference.supplier(p)}"),
    "GET /suppliers/{supplier_id}/edit": lambda p, who: PageCall(f"/suppliers/{reference.supplier(p)}/edit"),
    "POST /suppliers/{supplier_id}": lambda p, who: PageCall(
        f"/suppliers/{reference.supplier(p)}", _supplier_form()),
    "POST /suppliers/{supplier_id}/archive": lambda p, who: PageCall(
        f"/suppliers/{reference.supplier(p)}/archive"),
    "POST /suppliers/{supplier_id}/restore": lambda p, who: PageCall(
        f"/suppliers/{_archived(p, 'suppliers')}/restore"),
})

PAGE_CHANGES.update({
    "POST /categories": lambda p: PageChange(
        "/categories", "category.created", {"name": unique("Category "), "parent_id": ""}, _root(p)),
    "POST /categories/{category_id}": lambda p: PageChange(
        f"/categories/{reference.category(p)}", "category.updated",
        {"name": unique("Category "), "parent_id": "", "sort_order": "0"}, _root(p)),
    "POST /categories/{category_id}/archive": lambda p: PageChange(
        f"/categories/{reference.category(p)}/archive", "category.archived", token=_root(p)),
    "POST /categories/{category_id}/restore": lambda p: PageChange(
        f"/categories/{_archived(p, 'categories')}/restore", "category.restored", token=_root(p)),
    "POST /units": lambda p: PageChange("/units", "unit.created", _unit_form(), _root(p)),
    "POST /units/{unit_id}": lambda p: PageChange(
        f"/units/{reference.unit(p)}", "unit.updated", _unit_form(), _root(p)),
    "POST /units/{unit_id}/archive": lambda p: PageChange(
        f"/units/{reference.unit(p)}/archive", "unit.archived", token=_root(p)),
    "POST /units/{unit_id}/restore": lambda p: PageChange(
        f"/units/{_archived(p, 'units')}/restore", "unit.restored", token=_root(p)),
    "POST /suppliers": lambda p: PageChange("/suppliers", "supplier.created", _supplier_form(), _root(p)),
    "POST /suppliers/{supplier_id}": lambda p: PageChange(
        f"/suppliers/{reference.supplier(p)}", "supplier.updated", _supplier_form(), _root(p)),
    "POST /suppliers/{supplier_id}/archive": lambda p: PageChange(
        f"/suppliers/{reference.supplier(p)}/archive", "supplier.archived", token=_root(p)),
    "POST /suppliers/{supplier_id}/restore": lambda p: PageChange(
        f"/suppliers/{_archived(p, 'suppliers')}/restore", "supplier.restored", token=_root(p)),
})


# ---- Catalogue: pricing tiers, promotions and "Try a basket" ------------------------------------

def _promotion_form(percent: str = "5") -> dict[str, Any]:
    return {"name": unique("Portal promotion "), "kind": "percent_off", "target_type": "basket",
            "percent": percent, "priority": "100"}


def _tier_form() -> dict[str, Any]:
    return {"name": unique("Tier "), "percent": "2.5"}


def _tier_prices(p: People) -> dict[str, Any]:
    return {"code": pricing.product(p), "price_USD": "1.10"}


def _tier_price_removal(p: People) -> str:
    return f"/pricing-tiers/{pricing.tier(p, priced=True)}/prices/{pricing.product(p)}/remove"


PAGE_CALLS.update({
    "GET /pricing-tiers": lambda p, who: PageCall("/pricing-tiers?show=all"),
    "GET /pricing-tiers/new": lambda p, who: PageCall("/pricing-tiers/new"),
    "POST /pricing-tiers": lambda p, who: PageCall("/pricing-tiers", _tier_form()),
    "GET /pricing-tiers/{tier_id}": lambda p, who: PageCall(
        f"/pricing-tiers/{pricing.tier(p, priced=True)}"),
    "POST /pricing-tiers/{tier_id}": lambda p, who: PageCall(
        f"/pricing-tiers/{pricing.tier(p)}", _tier_form()),
    "POST /pricing-tiers/{tier_id}/archive": lambda p, who: PageCall(
        f"/pricing-tiers/{pricing.tier(p)}/archive"),
    "POST /pricing-tiers/{tier_id}/prices": lambda p, who: PageCall(
        f"/pricing-tiers/{pricing.tier(p)}/prices", _tier_prices(p)),
    "POST /pricing-tiers/{tier_id}/prices/{product_id}/remove": lambda p, who: PageCall(
        _tier_price_removal(p)),
    "GET /promotions": lambda p, who: PageCall("/promotions?status=running"),
    "GET /promotions/new": lambda p, who: PageCall("/promotions/new?kind=multi_buy"),
    "POST /promotions": lambda p, who: PageCall("/promotions", _promotion_form()),
    "GET /promotions/try": lambda p, who: PageCall(
        f"/promotions/try?code={pricing.product(p)}&qty=2&go=1"),
    "GET /promotions/{promotion_id}": lambda p, who: PageCall(
        f"/promotions/{pricing.promotion(p)}"),
    "GET /promotions/{promotion_id}/edit": lambda p, who: PageCall(
        f"/promotions/{pricing.promotion(p)}/edit"),
    "POST /promotions/{promotion_id}": lambda p, who: PageCall(
        f"/promotions/{pricing.promotion(p)}", _promotion_form("7")),
    "POST /promotions/{promotion_id}/end": lambda p, who: PageCall(
        f"/promotions/{pricing.promotion(p)}/end"),
})

PAGE_CHANGES.update({
    "POST /pricing-tiers": lambda p: PageChange(
        "/pricing-tiers", "pricing_tier.created", _tier_form(), _root(p)),
    "POST /pricing-tiers/{tier_id}": lambda p: PageChange(
        f"/pricing-tiers/{pricing.tier(p)}", "pricing_tier.updated", _tier_form(), _root(p)),
    "POST /pricing-tiers/{tier_id}/archive": lambda p: PageChange(
        f"/pricing-tiers/{pricing.tier(p)}/archive", "pricing_tier.archived", token=_root(p)),
    "POST /pricing-tiers/{tier_id}/prices": lambda p: PageChange(
        f"/pricing-tiers/{pricing.tier(p)}/prices", "pricing_tier.prices_set", _tier_prices(p),
        _root(p)),
    "POST /pricing-tiers/{tier_id}/prices/{product_id}/remove": lambda p: PageChange(
        _tier_price_removal(p), "pricing_tier.prices_removed", token=_root(p)),
    "POST /promotions": lambda p: PageChange(
        "/promotions", "promotion.created", _promotion_form(), _root(p)),
    "POST /promotions/{promotion_id}": lambda p: PageChange(
        f"/promotions/{pricing.promotion(p)}", "promotion.updated", _promotion_form("7"), _root(p)),
    "POST /promotions/{promotion_id}/end": lambda p: PageChange(
        f"/promotions/{pricing.promotion(p)}/end", "promotion.ended", token=_root(p)),
})


# Customers, credit accounts and vouchers (hub/customers/portal.py).
def _customering() -> Any:
    from tests.customers import recipes

    return recipes


def _receipt_path(p: People) -> str:
    cid, pid = _customering().payment(p)
    return f"/customers/{cid}/payments/{pid}/receipt"


def _invoice_path(p: People) -> str:
    cid, sale_id = _customering().customer_with_sale(p)
    return f"/customers/{cid}/invoices/{sale_id}"


PAGE_CALLS.update({
    "GET /customers": lambda p, who: PageCall("/customers?q=customer"),
    "GET /customers/new": lambda p, who: PageCall("/customers/new"),
    "POST /customers": lambda p, who: PageCall("/customers", _customering().customer_form()),
    "GET /customers/accounts": lambda p, who: PageCall("/customers/accounts"),
    "GET /customers/{customer_id}": lambda p, who: PageCall(f"/customers/{_customering().customer(p)}"),
    "GET /customers/{customer_id}/edit": lambda p, who: PageCall(f"/customers/{_customering().customer(p)}/edit"),
    "POST /customers/{customer_id}": lambda p, who: PageCall(
        f"/customers/{_customering().customer(p)}", _customering().customer_form()),
    "POST /customers/{customer_id}/merge": lambda p, who: PageCall(
        f"/customers/{_customering().customer(p)}/merge", {"merge_id": _customering().customer(p)}),
    "POST /customers/{customer_id}/limits": lambda p, who: PageCall(
        f"/customers/{_customering().customer(p)}/limits", {"limit_USD": "100.00"}),
    "POST /customers/{customer_id}/payments": lambda p, who: PageCall(
        f"/customers/{_customering().customer(p)}/payments", {"currency": "USD", "amount": "5.00", "method": "cash"}),
    "GET /customers/{customer_id}/statement": lambda p, who: PageCall(
        f"/customers/{_customering().customer(p)}/statement?currency=USD"),
    "GET /customers/{customer_id}/payments/{payment_id}/receipt": lambda p, who: PageCall(_receipt_path(p)),
    "GET /customers/{customer_id}/invoices/{sale_id}": lambda p, who: PageCall(_invoice_path(p)),
    "GET /vouchers": lambda p, who: PageCall("/vouchers?kind=voucher"),
    "POST /vouchers": lambda p, who: PageCall("/vouchers", {"currency": "USD", "amount": "2.50", "code": "",
                                                            "expires_on": "", "note": ""}),
    "GET /vouchers/{voucher_id}": lambda p, who: PageCall(f"/vouchers/{_customering().voucher(p)}"),
    "POST /vouchers/{voucher_id}/expire": lambda p, who: PageCall(f"/vouchers/{_customering().voucher(p)}/expire"),
})
PAGE_CHANGES.update({
    "POST /customers": lambda p: PageChange("/customers", "customer.created", _customering().customer_form(),
                                            _root(p)),
    "POST /customers/{customer_id}": lambda p: PageChange(
        f"/customers/{_customering().customer(p)}", "customer.updated",
        _customering().customer_form(notes="Audited"), _root(p)),
    "POST /customers/{customer_id}/merge": lambda p: PageChange(
        f"/customers/{_customering().customer(p)}/merge", "customer.merged",
        {"merge_id": _customering().customer(p)}, _root(p)),
    "POST /customers/{customer_id}/limits": lambda p: PageChange(
        f"/customers/{_customering().customer(p)}/limits", "credit.limits_set", {"limit_USD": "250.00"}, _root(p)),
    "POST /customers/{customer_id}/payments": lambda p: PageChange(
        f"/customers/{_customering().customer(p)}/payments", "credit.payment_recorded",
        {"currency": "USD", "amount": "7.50", "method": "mobile_money", "provider": "EcoCash", "reference": "A1"},
        _root(p)),
    "POST /vouchers": lambda p: PageChange("/vouchers", "voucher.issued", {"currency": "USD", "amount": "3.00"},
                                           _root(p)),
    "POST /vouchers/{voucher_id}/expire": lambda p: PageChange(
        f"/vouchers/{_customering().voucher(p)}/expire", "voucher.expired", token=_root(p)),
})


def _quoting() -> Any:
    from tests.quotations import recipes

    return recipes


PAGE_CALLS.update({
    "GET /quotations": lambda p, who: PageCall("/quotations?status=draft"),
    "GET /quotations/new": lambda p, who: PageCall(f"/quotations/new?customer={_customering().customer(p)}"),
    "POST /quotations": lambda p, who: PageCall("/quotations", _quoting().form(p)),
    "GET /quotations/{quotation_id}": lambda p, who: PageCall(f"/quotations/{_quoting().quotation(p)['id']}"),
    "GET /quotations/{quotation_id}/edit": lambda p, who: PageCall(f"/quotations/{_quoting().quotation(p)['id']}/edit"),
    "GET /quotations/{quotation_id}/print": lambda p, who: PageCall(
        f"/quotations/{_quoting().quotation(p)['id']}/print"),
    "POST /quotations/{quotation_id}": lambda p, who: PageCall(
        f"/quotations/{_quoting().quotation(p)['id']}", _quoting().form(p)),
    "POST /quotations/{quotation_id}/send": lambda p, who: PageCall(f"/quotations/{_quoting().quotation(p)['id']}/send"),
    "POST /quotations/{quotation_id}/accept": lambda p, who: PageCall(
        f"/quotations/{_quoting().quotation(p)['id']}/accept"),
    "POST /quotations/{quotation_id}/expire": lambda p, who: PageCall(
        f"/quotations/{_quoting().quotation(p)['id']}/expire"),
    "POST /quotations/{quotation_id}/convert": lambda p, who: PageCall(
        f"/quotations/{_quoting().quotation(p)['id']}/convert", {"mode": "on_account"}),
    "POST /quotations/{quotation_id}/sell": lambda p, who: PageCall(
        f"/quotations/{_quoting().quotation(p)['id']}/sell", {"method": "bank_transfer", "reference": "T-1"}),
})
PAGE_CHANGES.update({
    "POST /quotations": lambda p: PageChange("/quotations", "quotation.created", _quoting().form(p), _root(p)),
    "POST /quotations/{quotation_id}": lambda p: PageChange(
        f"/quotations/{_quoting().quotation(p)['id']}", "quotation.updated", _quoting().form(p), _root(p)),
    "POST /quotations/{quotation_id}/send": lambda p: PageChange(
        f"/quotations/{_quoting().quotation(p)['id']}/send", "quotation.sent", token=_root(p)),
    "POST /quotations/{quotation_id}/accept": lambda p: PageChange(
        f"/quotations/{_quoting().quotation(p)['id']}/accept", "quotation.accepted", token=_root(p)),
    "POST /quotations/{quotation_id}/expire": lambda p: PageChange(
        f"/quotations/{_quoting().quotation(p)['id']}/expire", "quotation.expired", token=_root(p)),
    "POST /quotations/{quotation_id}/convert": lambda p: PageChange(
        f"/quotations/{_quoting().quotation(p)['id']}/convert", "quotation.converted", {"mode": "pay_at_till"},
        _root(p)),
    "POST /quotations/{quotation_id}/sell": lambda p: PageChange(
        f"/quotations/{_quoting().to_sell(p)}/sell", "sale.recorded", {"method": "card", "reference": "A-9"},
        _root(p)),
})


# Stock: the levels and movements pages (read-only); a product with opening stock to list.
def _stock_movements(p: People) -> PageCall:
    from tests.inventory.recipes import stocked_product

    sku = p.root.get(f"/api/v1/products/{stocked_product(p)}").json()["sku"]
    return PageCall(f"/stock/movements?kind=opening&sku={sku}")


PAGE_CALLS.update({
    "GET /stock": lambda p, who: PageCall("/stock?low=1&q=product"),
    "GET /stock/movements": lambda p, who: _stock_movements(p),
})


# Stock: goods receipts, purchase orders and reorder suggestions (tests/inventory/purchasing_recipes).
def _purchasing():
    from tests.inventory import purchasing_recipes

    return purchasing_recipes


PAGE_CALLS.update({
    "GET /stock/receipts": lambda p, who: PageCall("/stock/receipts?status=draft"),
    "GET /stock/receipts/new": lambda p, who: PageCall(f"/stock/receipts/new?order_id={_purchasing().sent_order(p)}"),
    "POST /stock/receipts": lambda p, who: PageCall("/stock/receipts", _purchasing().receipt_form(p)),
    "GET /stock/receipts/{receipt_id}": lambda p, who: PageCall(f"/stock/receipts/{_purchasing().draft_receipt(p)}"),
    "GET /stock/receipts/{receipt_id}/edit": lambda p, who: PageCall(
        f"/stock/receipts/{_purchasing().draft_receipt(p)}/edit"),
    "GET /stock/receipts/{receipt_id}/print": lambda p, who: PageCall(
        f"/stock/receipts/{_purchasing().posted_receipt(p)}/print"),
    "POST /stock/receipts/{receipt_id}": lambda p, who: PageCall(
        f"/stock/receipts/{_purchasing().draft_receipt(p)}", _purchasing().receipt_form(p)),
    "POST /stock/receipts/{receipt_id}/post": lambda p, who: PageCall(
        f"/stock/receipts/{_purchasing().draft_receipt(p)}/post"),
    "POST /stock/receipts/{receipt_id}/reverse": lambda p, who: PageCall(
        f"/stock/receipts/{_purchasing().posted_receipt(p)}/reverse", {"note": "matrix"}),
    "GET /stock/purchase-orders": lambda p, who: PageCall("/stock/purchase-orders?status=draft"),
    "GET /stock/purchase-orders/new": lambda p, who: PageCall("/stock/purchase-orders/new"),
    "POST /stock/purchase-orders": lambda p, who: PageCall("/stock/purchase-orders", _purchasing().order_form(p)),
    "GET /stock/purchase-orders/{order_id}": lambda p, who: PageCall(
        f"/stock/purchase-orders/{_purchasing().sent_order(p)}"),
    "GET /stock/purchase-orders/{order_id}/edit": lambda p, who: PageCall(
        f"/stock/purchase-orders/{_purchasing().draft_order(p)}/edit"),
    "GET /stock/purchase-orders/{order_id}/print": lambda p, who: PageCall(
        f"/stock/purchase-orders/{_purchasing().draft_order(p)}/print"),
    "POST /stock/purchase-orders/{order_id}": lambda p, who: PageCall(
        f"/stock/purchase-orders/{_purchasing().draft_order(p)}", _purchasing().order_form(p)),
    "POST /stock/purchase-orders/{order_id}/send": lambda p, who: PageCall(
        f"/stock/purchase-orders/{_purchasing().draft_order(p)}/send"),
    "POST /stock/purchase-orders/{order_id}/close": lambda p, who: PageCall(
        f"/stock/purchase-orders/{_purchasing().sent_order(p)}/close", {"reason": "matrix"}),
    "POST /stock/purchase-orders/{order_id}/cancel": lambda p, who: PageCall(
        f"/stock/purchase-orders/{_purchasing().draft_order(p)}/cancel", {"reason": "matrix"}),
    "GET /stock/reorder": lambda p, who: PageCall("/stock/reorder?days=28&review_days=7"),
    "POST /stock/reorder": lambda p, who: PageCall("/stock/reorder", _purchasing().reorder_form(p)),
})

PAGE_CHANGES.update({
    "POST /stock/receipts": lambda p: PageChange(
        "/stock/receipts", "goods_receipt.created", _purchasing().receipt_form(p), _root(p)),
    "POST /stock/receipts/{receipt_id}": lambda p: PageChange(
        f"/stock/receipts/{_purchasing().draft_receipt(p)}", "goods_receipt.updated", _purchasing().receipt_form(p),
        _root(p)),
    "POST /stock/receipts/{receipt_id}/post": lambda p: PageChange(
        f"/stock/receipts/{_purchasing().draft_receipt(p)}/post", "goods_receipt.posted", token=_root(p)),
    "POST /stock/receipts/{receipt_id}/reverse": lambda p: PageChange(
        f"/stock/receipts/{_purchasing().posted_receipt(p)}/reverse", "goods_receipt.reversed", {"note": "x"},
        _root(p)),
    "POST /stock/purchase-orders": lambda p: PageChange(
        "/stock/purchase-orders", "purchase_order.created", _purchasing().order_form(p), _root(p)),
    "POST /stock/purchase-orders/{order_id}": lambda p: PageChange(
        f"/stock/purchase-orders/{_purchasing().draft_order(p)}", "purchase_order.updated",
        _purchasing().order_form(p), _root(p)),
    "POST /stock/purchase-orders/{order_id}/send": lambda p: PageChange(
        f"/stock/purchase-orders/{_purchasing().draft_order(p)}/send", "purchase_order.sent", token=_root(p)),
    "POST /stock/purchase-orders/{order_id}/close": lambda p: PageChange(
        f"/stock/purchase-orders/{_purchasing().sent_order(p)}/close", "purchase_order.closed", {"reason": "x"},
        _root(p)),
    "POST /stock/purchase-orders/{order_id}/cancel": lambda p: PageChange(
        f"/stock/purchase-orders/{_purchasing().draft_order(p)}/cancel", "purchase_order.cancelled",
        {"reason": "x"}, _root(p)),
    "POST /stock/reorder": lambda p: PageChange(
        "/stock/reorder", "purchase_order.created", _purchasing().reorder_form(p), _root(p)),
})


# ---- Stock: adjustments and supplier returns ------------------------------------------------------

def _sku(p: People, product_id: str) -> str:
    return p.root.get(f"/api/v1/products/{product_id}").json()["sku"]


def _damage_form(p: People) -> dict[str, Any]:
    from tests.inventory.recipes import stocked_product

    return {"reason_code": "damaged", "action": "post", "lines[0].code": _sku(p, stocked_product(p)),
            "lines[0].quantity": "-1"}


def _return_form(p: People) -> dict[str, Any]:
    from tests.inventory.recipes import stocked_product

    return {"supplier_id": reference.supplier(p), "reason_code": "damaged", "goods_receipt_ref": "GRN-1",
            "lines[0].code": _sku(p, stocked_product(p)), "lines[0].quantity": "1"}


def _threshold_form(p: People, more: int = 0) -> dict[str, Any]:
    from tests.inventory import adjustment_recipes as adjusting

    return {"approval_threshold": format_amount(adjusting.threshold(p) + more, 2)}


def _adjusting() -> Any:
    from tests.inventory import adjustment_recipes as adjusting

    return adjusting


PAGE_CALLS.update({
    "GET /stock/adjustments": lambda p, who: PageCall("/stock/adjustments?status=pending_approval&reason=theft"),
    "GET /stock/adjustments/new": lambda p, who: PageCall("/stock/adjustments/new?rows=8"),
    "POST /stock/adjustments": lambda p, who: PageCall("/stock/adjustments", _damage_form(p)),
    "GET /stock/adjustments/{adjustment_id}": lambda p, who: PageCall(
        f"/stock/adjustments/{_adjusting().pending(p)}"),
    "POST /stock/adjustments/{adjustment_id}/post": lambda p, who: PageCall(
        f"/stock/adjustments/{_adjusting().draft(p)}/post"),
    "GET /stock/adjustments/{adjustment_id}/edit": lambda p, who: PageCall(
        f"/stock/adjustments/{_adjusting().draft(p)}/edit?rows=8"),
    "POST /stock/adjustments/{adjustment_id}/edit": lambda p, who: PageCall(
        f"/stock/adjustments/{_adjusting().draft(p)}/edit", _damage_form(p)),
    "POST /stock/adjustments/{adjustment_id}/discard": lambda p, who: PageCall(
        f"/stock/adjustments/{_adjusting().draft(p)}/discard", {"reason": "Matrix"}),
    "POST /stock/adjustments/{adjustment_id}/approve": lambda p, who: PageCall(
        f"/stock/adjustments/{_adjusting().pending(p)}/approve", {"note": "Matrix"}),
    "POST /stock/adjustments/{adjustment_id}/reject": lambda p, who: PageCall(
        f"/stock/adjustments/{_adjusting().pending(p)}/reject", {"reason": "Matrix"}),
    "POST /stock/adjustments/threshold": lambda p, who: PageCall("/stock/adjustments/threshold", _threshold_form(p)),
    "GET /stock/supplier-returns": lambda p, who: PageCall("/stock/supplier-returns"),
    "GET /stock/supplier-returns/new": lambda p, who: PageCall("/stock/supplier-returns/new"),
    "POST /stock/supplier-returns": lambda p, who: PageCall("/stock/supplier-returns", _return_form(p)),
    "GET /stock/supplier-returns/{return_id}": lambda p, who: PageCall(
        f"/stock/supplier-returns/{_adjusting().supplier_return(p)}"),
    "GET /stock/supplier-returns/{return_id}/print": lambda p, who: PageCall(
        f"/stock/supplier-returns/{_adjusting().supplier_return(p)}/print"),
})

PAGE_CHANGES.update({
    "POST /stock/adjustments": lambda p: PageChange(
        "/stock/adjustments", "adjustment.posted", _damage_form(p), _root(p)),
    "POST /stock/adjustments/{adjustment_id}/post": lambda p: PageChange(
        f"/stock/adjustments/{_adjusting().draft(p)}/post", "adjustment.posted", token=_root(p)),
    "POST /stock/adjustments/{adjustment_id}/edit": lambda p: PageChange(
        f"/stock/adjustments/{_adjusting().draft(p)}/edit", "adjustment.updated", _damage_form(p), _root(p)),
    "POST /stock/adjustments/{adjustment_id}/discard": lambda p: PageChange(
        f"/stock/adjustments/{_adjusting().draft(p)}/discard", "adjustment.discarded", {"reason": "Audited"},
        _root(p)),
    "POST /stock/adjustments/{adjustment_id}/approve": lambda p: PageChange(
        f"/stock/adjustments/{_adjusting().pending(p)}/approve", "adjustment.approved", {"note": "Audited"},
        _root(p)),
    "POST /stock/adjustments/{adjustment_id}/reject": lambda p: PageChange(
        f"/stock/adjustments/{_adjusting().pending(p)}/reject", "adjustment.rejected", {"reason": "Audited"},
        _root(p)),
    "POST /stock/adjustments/threshold": lambda p: PageChange(
        "/stock/adjustments/threshold", "settings.adjustments_updated", _threshold_form(p, 1), _root(p)),
    "POST /stock/supplier-returns": lambda p: PageChange(
        "/stock/supplier-returns", "supplier_return.posted", _return_form(p), _root(p)),
})


# ---- Stock takes: sessions in each state, made through the API as the dedicated admin ----------

def _take(p: People, state: str = "open") -> str:
    from tests.inventory import stocktake_recipes
    return stocktake_recipes.session(p, state)


def _take_line(p: People) -> str:
    from tests.inventory import stocktake_recipes
    path = stocktake_recipes.line(p)  # /api/v1/inventory/stock-takes/{take}/lines/{line}
    return path.replace("/api/v1/inventory/stock-takes/", "/stock/takes/") + "/remove"


def _count_form(p: People) -> dict[str, Any]:
    from tests.inventory.recipes import stocked_product
    sku = p.root.get(f"/api/v1/products/{stocked_product(p)}").json()["sku"]
    return {"code": sku, "quantity": "11"}


PAGE_CALLS.update({
    "GET /stock/takes": lambda p, who: PageCall("/stock/takes?status=open"),
    "GET /stock/takes/new": lambda p, who: PageCall("/stock/takes/new"),
    "POST /stock/takes": lambda p, who: PageCall("/stock/takes", {"name": unique("Count "), "scope": "store"}),
    "GET /stock/takes/{take_id}": lambda p, who: PageCall(f"/stock/takes/{_take(p, 'review')}"),
    "POST /stock/takes/{take_id}/lines": lambda p, who: PageCall(f"/stock/takes/{_take(p)}/lines", _count_form(p)),
    "POST /stock/takes/{take_id}/lines/{line_id}/remove": lambda p, who: PageCall(_take_line(p)),
    "POST /stock/takes/{take_id}/review": lambda p, who: PageCall(f"/stock/takes/{_take(p, 'counting')}/review"),
    "POST /stock/takes/{take_id}/approve": lambda p, who: PageCall(f"/stock/takes/{_take(p, 'review')}/approve"),
    "POST /stock/takes/{take_id}/post": lambda p, who: PageCall(f"/stock/takes/{_take(p, 'review')}/post"),
    "POST /stock/takes/{take_id}/cancel": lambda p, who: PageCall(f"/stock/takes/{_take(p, 'counting')}/cancel"),
})

PAGE_CHANGES.update({
    "POST /stock/takes": lambda p: PageChange(
        "/stock/takes", "stock_take.created", {"name": unique("Count "), "scope": "store"}, _root(p)),
    "POST /stock/takes/{take_id}/lines": lambda p: PageChange(
        f"/stock/takes/{_take(p)}/lines", "stock_take.counted", _count_form(p), _root(p)),
    "POST /stock/takes/{take_id}/lines/{line_id}/remove": lambda p: PageChange(
        _take_line(p), "stock_take.line_removed", token=_root(p)),
    "POST /stock/takes/{take_id}/review": lambda p: PageChange(
        f"/stock/takes/{_take(p, 'counting')}/review", "stock_take.reviewing", token=_root(p)),
    "POST /stock/takes/{take_id}/approve": lambda p: PageChange(
        f"/stock/takes/{_take(p, 'review')}/approve", "stock_take.approved", token=_root(p)),
    "POST /stock/takes/{take_id}/post": lambda p: PageChange(
        f"/stock/takes/{_take(p, 'review')}/post", "stock_take.posted", token=_root(p)),
    "POST /stock/takes/{take_id}/cancel": lambda p: PageChange(
        f"/stock/takes/{_take(p, 'counting')}/cancel", "stock_take.cancelled", token=_root(p)),
})


# Stock: transfers between the chain's stores (tests/inventory/transfer_recipes).
def _transfers():
    from tests.inventory import transfer_recipes

    return transfer_recipes


def _transfer_form(p: People) -> dict[str, Any]:
    return {"other_store_code": "BYO", "lines[0].code": _transfers().stocked(p)["sku"], "lines[0].quantity": "2"}


def _arriving_text(p: People) -> dict[str, Any]:
    import json

    return {"text": json.dumps(_transfers().arriving_file(p))}


def _confirmation_text(p: People) -> dict[str, Any]:
    import json

    return {"text": json.dumps(_transfers().confirmation(p))}


PAGE_CALLS.update({
    "GET /stock/transfers": lambda p, who: PageCall("/stock/transfers?status=in_transit&direction=out"),
    "GET /stock/transfers/new": lambda p, who: PageCall("/stock/transfers/new"),
    "POST /stock/transfers": lambda p, who: PageCall("/stock/transfers", _transfer_form(p)),
    "GET /stock/transfers/receive": lambda p, who: PageCall("/stock/transfers/receive"),
    "POST /stock/transfers/receive": lambda p, who: PageCall("/stock/transfers/receive", _arriving_text(p)),
    "GET /stock/transfers/confirm": lambda p, who: PageCall("/stock/transfers/confirm"),
    "POST /stock/transfers/confirm": lambda p, who: PageCall("/stock/transfers/confirm", _confirmation_text(p)),
    "GET /stock/transfers/{transfer_id}": lambda p, who: PageCall(f"/stock/transfers/{_transfers().arriving(p)}"),
    "GET /stock/transfers/{transfer_id}/edit": lambda p, who: PageCall(
        f"/stock/transfers/{_transfers().draft(p)}/edit"),
    "POST /stock/transfers/{transfer_id}": lambda p, who: PageCall(
        f"/stock/transfers/{_transfers().draft(p)}", _transfer_form(p)),
    "GET /stock/transfers/{transfer_id}/print": lambda p, who: PageCall(
        f"/stock/transfers/{_transfers().posted(p)}/print"),
    "GET /stock/transfers/{transfer_id}/file": lambda p, who: PageCall(
        f"/stock/transfers/{_transfers().posted(p)}/file"),
    "GET /stock/transfers/{transfer_id}/confirmation": lambda p, who: PageCall(
        f"/stock/transfers/{_transfers().received_in(p)}/confirmation"),
    "POST /stock/transfers/{transfer_id}/post": lambda p, who: PageCall(
        f"/stock/transfers/{_transfers().draft(p)}/post"),
    "POST /stock/transfers/{transfer_id}/discard": lambda p, who: PageCall(
        f"/stock/transfers/{_transfers().draft(p)}/discard"),
    "POST /stock/transfers/{transfer_id}/receiving": lambda p, who: PageCall(
        f"/stock/transfers/{_transfers().arriving(p)}/receiving", {"lines[0].received": "1"}),
    "POST /stock/transfers/{transfer_id}/receive": lambda p, who: PageCall(
        f"/stock/transfers/{_transfers().arriving(p)}/receive", {"lines[0].received": "2"}),
})

PAGE_CHANGES.update({
    "POST /stock/transfers": lambda p: PageChange(
        "/stock/transfers", "transfer.created", _transfer_form(p), _root(p)),
    "POST /stock/transfers/receive": lambda p: PageChange(
        "/stock/transfers/receive", "transfer.imported", _arriving_text(p), _root(p)),
    "POST /stock/transfers/confirm": lambda p: PageChange(
        "/stock/transfers/confirm", "transfer.confirmed", _confirmation_text(p), _root(p)),
    "POST /stock/transfers/{transfer_id}": lambda p: PageChange(
        f"/stock/transfers/{_transfers().draft(p)}", "transfer.updated", _transfer_form(p), _root(p)),
    "POST /stock/transfers/{transfer_id}/post": lambda p: PageChange(
        f"/stock/transfers/{_transfers().draft(p)}/post", "transfer.posted", token=_root(p)),
    "POST /stock/transfers/{transfer_id}/discard": lambda p: PageChange(
        f"/stock/transfers/{_transfers().draft(p)}/discard", "transfer.discarded", token=_root(p)),
    "POST /stock/transfers/{transfer_id}/receiving": lambda p: PageChange(
        f"/stock/transfers/{_transfers().arriving(p)}/receiving", "transfer.receiving_updated",
        {"lines[0].received": "1"}, _root(p)),
    "POST /stock/transfers/{transfer_id}/receive": lambda p: PageChange(
        f"/stock/transfers/{_transfers().arriving(p)}/receive", "transfer.received", {"lines[0].received": "2"},
        _root(p)),
})


# ---- Unapplied documents: queued by a till through the device route (tests/inventory/unapplied_recipes) ----

def _queued_doc(p: People) -> str:
    from tests.inventory import unapplied_recipes
    return unapplied_recipes.queued(p)


def _map_form(p: People) -> dict[str, Any]:
    from tests.inventory import unapplied_recipes
    return unapplied_recipes.mapping(p)


PAGE_CALLS.update({
    "GET /stock/unapplied": lambda p, who: PageCall("/stock/unapplied?status=queued"),
    "GET /stock/unapplied/{doc_id}": lambda p, who: PageCall(f"/stock/unapplied/{_queued_doc(p)}?q=Product"),
    "POST /stock/unapplied/{doc_id}/map": lambda p, who: PageCall(
        f"/stock/unapplied/{_queued_doc(p)}/map", _map_form(p)),
    "POST /stock/unapplied/{doc_id}/apply": lambda p, who: PageCall(
        f"/stock/unapplied/{_queued_doc(p)}/apply", {"authority": "maker"}),
    "POST /stock/unapplied/{doc_id}/discard": lambda p, who: PageCall(
        f"/stock/unapplied/{_queued_doc(p)}/discard", {"reason": "Matrix"}),
})

PAGE_CHANGES.update({
    # Mapped, it applies: the one entry is the adjustment's own.
    "POST /stock/unapplied/{doc_id}/map": lambda p: PageChange(
        f"/stock/unapplied/{_queued_doc(p)}/map", "adjustment.posted", _map_form(p), _root(p)),
    "POST /stock/unapplied/{doc_id}/apply": lambda p: PageChange(
        f"/stock/unapplied/{_queued_doc(p)}/apply", "unapplied_document.retried", {"authority": "maker"}, _root(p)),
    "POST /stock/unapplied/{doc_id}/discard": lambda p: PageChange(
        f"/stock/unapplied/{_queued_doc(p)}/discard", "unapplied_document.discarded", {"reason": "Audited"},
        _root(p)),
})


# ---- Sales: end of day (its deposits, reversals and closing), on quiet past days (tests/endofday) ----

def _endofday() -> Any:
    from tests.endofday import recipes
    return recipes


def _eod_deposit_form() -> dict[str, str]:
    day = _endofday().PAST_DAY
    return {"date": day, "currency": "USD", "amount": "10.00", "bank": "CBZ Bank", "reference": "SLIP-9",
            "deposited_by": "Tendai Moyo", "deposited_at": f"{day}T10:00"}


def _eod_deposit(p: People) -> str:
    return _endofday().deposit(p.root)


PAGE_CALLS.update({
    "GET /end-of-day": lambda p, who: PageCall(f"/end-of-day?date={_endofday().PAST_DAY}"),
    "GET /end-of-day/summary": lambda p, who: PageCall(f"/end-of-day/summary?date={_endofday().PAST_DAY}"),
    "GET /reports": lambda p, who: PageCall("/reports"),
    "GET /reports/{name}": lambda p, who: PageCall("/reports/sales-by-day?period=week"),
    "GET /reports/{name}/csv": lambda p, who: PageCall("/reports/sales-by-day/csv?period=week"),
    "POST /end-of-day/deposits": lambda p, who: PageCall("/end-of-day/deposits", _eod_deposit_form()),
    "POST /end-of-day/deposits/{deposit_id}/reverse": lambda p, who: PageCall(
        f"/end-of-day/deposits/{_eod_deposit(p)}/reverse", {"reason": "Matrix"}),
    "POST /end-of-day/close": lambda p, who: PageCall("/end-of-day/close", {"date": _endofday().quiet_day()}),
    "POST /end-of-day/backup": lambda p, who: PageCall("/end-of-day/backup", {"date": _endofday().PAST_DAY}),
})

PAGE_CHANGES.update({
    "POST /end-of-day/deposits": lambda p: PageChange("/end-of-day/deposits", "deposit.recorded",
                                                      _eod_deposit_form(), _root(p)),
    "POST /end-of-day/deposits/{deposit_id}/reverse": lambda p: PageChange(
        f"/end-of-day/deposits/{_eod_deposit(p)}/reverse", "deposit.reversed", {"reason": "Audited"}, _root(p)),
    "POST /end-of-day/close": lambda p: PageChange("/end-of-day/close", "endofday.closed",
                                                   {"date": _endofday().quiet_day()}, _root(p)),
    "POST /end-of-day/backup": lambda p: PageChange("/end-of-day/backup", "backup.created",
                                                    {"date": _endofday().PAST_DAY}, _root(p)),
})


# ---- Store: the Peripherals page and the receipt page's Reprint (tests/printing/recipes) ---------

def _printing():
    from tests.printing import recipes as printing

    return printing


def _reprint_sale(p: People) -> str:
    _printing().store_receipt_printer(p)
    return _sale_id(p)


def _drawer_form(p: People) -> dict[str, Any]:
    _printing().store_receipt_printer(p)
    return {"device_id": _device(p), "reason": "Change for the float"}


PAGE_CALLS.update({
    "GET /peripherals": lambda p, who: PageCall("/peripherals"),
    "POST /peripherals/printers": lambda p, who: PageCall("/peripherals/printers", _printing().printer_form()),
    "GET /peripherals/printers/{printer_id}": lambda p, who: PageCall(
        f"/peripherals/printers/{_printing().printer(p)}"),
    "POST /peripherals/printers/{printer_id}": lambda p, who: PageCall(
        f"/peripherals/printers/{_printing().printer(p)}", _printing().printer_form()),
    "POST /peripherals/printers/{printer_id}/test": lambda p, who: PageCall(
        f"/peripherals/printers/{_printing().printer(p, enabled=False)}/test", {"kind": "test_page"}),
    "POST /peripherals/assignments": lambda p, who: PageCall(
        "/peripherals/assignments", {"role": "label", "device_id": "", "printer_id": _printing().printer(p)}),
    "POST /peripherals/jobs/{job_id}/retry": lambda p, who: PageCall(
        f"/peripherals/jobs/{_printing().waiting_job(p)}/retry"),
    "POST /peripherals/jobs/{job_id}/cancel": lambda p, who: PageCall(
        f"/peripherals/jobs/{_printing().waiting_job(p)}/cancel"),
    "POST /peripherals/drawer": lambda p, who: PageCall("/peripherals/drawer", _drawer_form(p)),
    "POST /peripherals/labels": lambda p, who: PageCall("/peripherals/labels", _printing().label_form(p)),
    "POST /sales/{sale_id}/reprint": lambda p, who: PageCall(f"/sales/{_reprint_sale(p)}/reprint"),
})

PAGE_CHANGES.update({
    "POST /peripherals/printers": lambda p: PageChange(
        "/peripherals/printers", "printer.created", _printing().printer_form(), _root(p)),
    "POST /peripherals/printers/{printer_id}": lambda p: PageChange(
        f"/peripherals/printers/{_printing().printer(p)}", "printer.updated", _printing().printer_form(), _root(p)),
    "POST /peripherals/printers/{printer_id}/test": lambda p: PageChange(
        f"/peripherals/printers/{_printing().printer(p, enabled=False)}/test", "printer.tested",
        {"kind": "drawer_kick"}, _root(p)),
    "POST /peripherals/assignments": lambda p: PageChange(
        "/peripherals/assignments", "printer.assigned",
        {"role": "receipt", "device_id": _device(p), "printer_id": _printing().printer(p), "kick": "1"}, _root(p)),
    "POST /peripherals/jobs/{job_id}/retry": lambda p: PageChange(
        f"/peripherals/jobs/{_printing().waiting_job(p)}/retry", "print_job.retried", token=_root(p)),
    "POST /peripherals/jobs/{job_id}/cancel": lambda p: PageChange(
        f"/peripherals/jobs/{_printing().waiting_job(p)}/cancel", "print_job.cancelled", token=_root(p)),
    "POST /peripherals/drawer": lambda p: PageChange("/peripherals/drawer", "drawer.opened", _drawer_form(p),
                                                     _root(p)),
    "POST /peripherals/labels": lambda p: PageChange("/peripherals/labels", "labels.printed",
                                                     _printing().label_form(p), _root(p)),
    "POST /sales/{sale_id}/reprint": lambda p: PageChange(f"/sales/{_reprint_sale(p)}/reprint", "sale.reprinted",
                                                          token=_root(p)),
})


PAGE_CHANGES.update({
    "POST /fiscal/devices/{device_id}/open": lambda p: PageChange(
        f"/fiscal/devices/{_fiscal().oracle_device(p.hub, p.root, _tills(p), mapped=True)}/open",
        "fiscal_day.opened", token=_root(p)),
    "POST /fiscal/devices/{device_id}/close": lambda p: PageChange(
        f"/fiscal/devices/{_fiscal().oracle_device(p.hub, p.root, _tills(p), opened=True)}/close",
        "fiscal_day.closed", token=_root(p)),
    "POST /fiscal/submit": lambda p: PageChange("/fiscal/submit", "fiscal.queue_submitted", token=_root(p)),
    "POST /fiscal/recovery/check": lambda p: PageChange("/fiscal/recovery/check", "fiscal.recovery_checked",
                                                        token=_root(p)),
    "POST /fiscal/recovery/finish": lambda p: (_fiscal().in_recovery(p.hub, p.root, _tills(p)), PageChange(
        "/fiscal/recovery/finish", "fiscal.recovery_finished", token=_root(p)))[1],
    "POST /fiscal/devices/{device_id}/files": lambda p: PageChange(
        f"/fiscal/devices/{_fiscal().oracle_device(p.hub, p.root, _tills(p), register=True)}/files",
        "fiscal.files_submitted", token=_root(p)),
})


def _fiscal():
    from tests.fiscal import recipes

    return recipes


def _fiscal_ops():
    from tests.fiscal import operations_recipes

    return operations_recipes


def _fiscal_device(p: People, state: str = "") -> str:
    """A fiscal device of the shared simulator: new, registered, with its day open or closed."""
    if state == "closed":
        return _fiscal_ops().closed_day_device(p.hub, p.root, _tills(p))
    return _fiscal().oracle_device(p.hub, p.root, _tills(p), **({state: True} if state else {}))


def _fiscal_once(p: People, state: str) -> str:
    return _fiscal_ops().cached(p, f"fiscal_{state}", lambda: _fiscal_device(p, state))


def _fallbacks_form(p: People) -> dict[str, str]:
    """The fiscal fallbacks form as configure() leaves them (no category of its own)."""
    from tests.fiscal.recipes import HS

    _fiscal_ops().shared_settings_form(p.hub)  # the shared simulator configured
    return {"fallback_tax_id": "517", "fallback_hs_code": HS}


def _note_print(p: People) -> str:
    """The sale page's Print button of a signed credit note, a store receipt printer to print on."""
    from tests.fiscal.documents_recipes import signed_note

    _printing().store_receipt_printer(p)
    return "/sales/{}/notes/{}/print".format(*signed_note(p.hub, p.root, _tills(p)))


def _fiscal_printable(p: People, state: str) -> str:
    _fiscal_ops().printing_ready(p)
    return _fiscal_once(p, state)


PAGE_CALLS.update({
    "GET /fiscal/settings": lambda p, who: PageCall("/fiscal/settings"),
    "POST /fiscal/settings": lambda p, who: PageCall("/fiscal/settings", _fiscal_ops().shared_settings_form(p.hub)),
    "GET /fiscal/settings/fallbacks": lambda p, who: PageCall("/fiscal/settings/fallbacks"),
    "POST /fiscal/settings/fallbacks": lambda p, who: PageCall("/fiscal/settings/fallbacks", _fallbacks_form(p)),
    "POST /sales/{sale_id}/notes/{note_id}/print": lambda p, who: PageCall(_note_print(p)),
    "GET /fiscal/devices/new": lambda p, who: PageCall("/fiscal/devices/new"),
    "POST /fiscal/devices": lambda p, who: PageCall("/fiscal/devices", _fiscal_ops().device_form(p.hub, _tills(p))),
    "GET /fiscal/devices/{device_id}": lambda p, who: PageCall(f"/fiscal/devices/{_fiscal_once(p, 'register')}"),
    "POST /fiscal/devices/{device_id}/verify": lambda p, who: PageCall(f"/fiscal/devices/{_fiscal_device(p)}/verify"),
    "POST /fiscal/devices/{device_id}/register": lambda p, who: PageCall(
        f"/fiscal/devices/{_fiscal_device(p)}/register"),
    "POST /fiscal/devices/{device_id}/config": lambda p, who: PageCall(
        f"/fiscal/devices/{_fiscal_once(p, 'register')}/config"),
    "POST /fiscal/devices/{device_id}/renew": lambda p, who: PageCall(
        f"/fiscal/devices/{_fiscal_once(p, 'register')}/renew"),
    "GET /fiscal/tax-mapping": lambda p, who: PageCall("/fiscal/tax-mapping"),
    "POST /fiscal/tax-mapping/{tax_class_id}": lambda p, who: PageCall(
        f"/fiscal/tax-mapping/{_fiscal().a_tax_class(p.root)}", {"tax_id": ""}),
    # not strict: a day left open here would hold back the end-of-day close called later
    "GET /fiscal/devices/{device_id}/reports/x": lambda p, who: PageCall(
        f"/fiscal/devices/{_fiscal_once(p, 'register')}/reports/x", strict=False),
    "GET /fiscal/devices/{device_id}/days/{day_no}/z": lambda p, who: PageCall(
        f"/fiscal/devices/{_fiscal_once(p, 'closed')}/days/1/z"),
    "POST /fiscal/devices/{device_id}/reports/x/print": lambda p, who: PageCall(
        f"/fiscal/devices/{_fiscal_printable(p, 'opened')}/reports/x/print"),
    "POST /fiscal/devices/{device_id}/days/{day_no}/z/print": lambda p, who: PageCall(
        f"/fiscal/devices/{_fiscal_printable(p, 'closed')}/days/1/z/print"),
})


PAGE_CHANGES.update({
    "POST /fiscal/settings": lambda p: PageChange(
        "/fiscal/settings", "fiscal.settings_changed", _fiscal_ops().shared_settings_form(p.hub), _root(p)),
    "POST /fiscal/settings/fallbacks": lambda p: PageChange(
        "/fiscal/settings/fallbacks", "fiscal.settings_changed", _fallbacks_form(p), _root(p)),
    "POST /sales/{sale_id}/notes/{note_id}/print": lambda p: PageChange(_note_print(p), "fiscal_note.printed",
                                                                       token=_root(p)),
    "POST /fiscal/devices": lambda p: PageChange(
        "/fiscal/devices", "fiscal_device.created", _fiscal_ops().device_form(p.hub, _tills(p)), _root(p)),
    "POST /fiscal/devices/{device_id}/verify": lambda p: PageChange(
        f"/fiscal/devices/{_fiscal_device(p)}/verify", "fiscal_device.taxpayer_verified", token=_root(p)),
    "POST /fiscal/devices/{device_id}/register": lambda p: PageChange(
        f"/fiscal/devices/{_fiscal_device(p)}/register", "fiscal_device.registered", token=_root(p)),
    "POST /fiscal/devices/{device_id}/config": lambda p: PageChange(
        f"/fiscal/devices/{_fiscal_device(p, 'register')}/config", "fiscal_device.configured", token=_root(p)),
    "POST /fiscal/devices/{device_id}/renew": lambda p: PageChange(
        f"/fiscal/devices/{_fiscal_device(p, 'register')}/renew", "fiscal_device.certificate_renewed",
        token=_root(p)),
    "POST /fiscal/tax-mapping/{tax_class_id}": lambda p: PageChange(
        f"/fiscal/tax-mapping/{_fiscal().a_tax_class(p.root)}", "tax_class.fiscal_mapped", {"tax_id": ""},
        _root(p)),
    "POST /fiscal/devices/{device_id}/reports/x/print": lambda p: PageChange(
        f"/fiscal/devices/{_fiscal_printable(p, 'opened')}/reports/x/print", "fiscal_report.printed",
        token=_root(p)),
    "POST /fiscal/devices/{device_id}/days/{day_no}/z/print": lambda p: PageChange(
        f"/fiscal/devices/{_fiscal_printable(p, 'closed')}/days/1/z/print", "fiscal_report.printed",
        token=_root(p)),
})


# ---- Store: operations' Backups and Health pages (tests/ops) -------------------------------------
OPS_FORM = {"backup_times": "13:00, 22:00", "backup_every_hours": "0", "keep_daily": "7", "keep_weekly": "4",
            "usb_path": "", "hq_copies": "on", "ups": "", "ups_gpio_low": "0", "clock_from_tills": "on",
            "trading_hours": "07:00-21:00"}


def _backup(p: People) -> str:
    """A verified backup's name, taken once through the API as root (the matrix calls this for
    every role: one backup serves them all)."""
    if getattr(p, "ops_backup", None) is None:
        r = p.call("POST", "/api/v1/ops/backups", _root(p))
        assert r.status_code == 201, r.text
        p.ops_backup = r.json()["name"]  # type: ignore[attr-defined]
    return p.ops_backup  # type: ignore[attr-defined]


def _sealed_backup(p: People) -> str:
    """A backup sealed to a recovery key, made once."""
    if getattr(p, "ops_sealed", None) is None:
        r = p.call("POST", "/api/v1/ops/recovery-key", _root(p))
        assert r.status_code == 201, r.text
        r = p.call("POST", "/api/v1/ops/backups", _root(p))
        assert r.status_code == 201, r.text
        p.ops_sealed = r.json()["name"]  # type: ignore[attr-defined]
    return p.ops_sealed  # type: ignore[attr-defined]


PAGE_CALLS.update({
    "GET /backups": lambda p, who: PageCall("/backups"),
    "POST /backups/run": lambda p, who: PageCall("/backups/run"),
    "POST /backups/settings": lambda p, who: PageCall("/backups/settings", OPS_FORM),
    "POST /backups/recovery-key": lambda p, who: PageCall("/backups/recovery-key"),
    # A kit id that was never made (or was shown already): a redirect back to Backups.
    "GET /backups/recovery-kit/{kit_id}": lambda p, who: PageCall("/backups/recovery-kit/never-made"),
    "GET /backups/{name}/download": lambda p, who: PageCall(f"/backups/{_sealed_backup(p)}/download"),
    "GET /backups/{name}/restore": lambda p, who: PageCall(f"/backups/{_backup(p)}/restore"),
    "POST /backups/{name}/restore": lambda p, who: PageCall(f"/backups/{_backup(p)}/restore", {"confirm": "DEMO"}),
    "GET /health": lambda p, who: PageCall("/health"),
    "GET /health/support-bundle": lambda p, who: PageCall("/health/support-bundle"),
})

PAGE_CHANGES.update({
    "POST /backups/run": lambda p: PageChange("/backups/run", "backup.created", token=_root(p)),
    "POST /backups/settings": lambda p: PageChange("/backups/settings", "ops.settings_changed", OPS_FORM, _root(p)),
    "POST /backups/recovery-key": lambda p: PageChange("/backups/recovery-key", "backup.recovery_key_created",
                                                       token=_root(p)),
    "POST /backups/{name}/restore": lambda p: PageChange(f"/backups/{_backup(p)}/restore", "backup.restore_requested",
                                                         {"confirm": "DEMO"}, _root(p)),
})
