"""The endpoint x role test: every route of the app against the committed oracle, then called as
every built-in role and anonymously (DESIGN.md section 5, Security).

The oracle (tests/fixtures/access.toml) is written by hand; nothing here is generated from the
code it checks. A route missing from the oracle, or declaring another rule, fails.
"""

from __future__ import annotations

import tomllib

import pytest
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

from litestar import Litestar
from litestar.routes import HTTPRoute, WebSocketRoute

from hub.app import create_app
from hub.auth.access import ACCESS_KEY, AUTHENTICATED, DEVICE, DEVICE_UPLOAD, HIDDEN, PUBLIC
from hub.auth.permissions import PERMISSIONS
from hub.ids import new_id
from tests.catalogue import pricing_recipes as pricing
from tests.catalogue import product_recipes as catalogue
from tests.catalogue import reference_recipes as reference
from tests.customers import recipes as customering
from tests.quotations import recipes as quoting
from tests.inventory import purchasing_recipes as purchasing
from tests.inventory import adjustment_recipes as adjusting
from tests.inventory import recipes as inventory
from tests.inventory import stocktake_recipes as stocktake
from tests.inventory import transfer_recipes as transfers
from tests.inventory import unapplied_recipes as unapplied
from tests.pairing import Tills
from tests.people import ROLES, ROOT, ROOT_PASSWORD, People, query, unique
from tests.portal.client import Portal
from tests.portal.recipes import PAGE_CALLS, is_portal_route
from tests.printing import recipes as printing
from tests.sales import recipes as selling, refunding
from tests.shifts import recipes as shifting
from tests.endofday import recipes as endofday
from tests.fiscal import recipes as fiscal
from tests.fiscal import operations_recipes as fiscal_ops

ORACLE = tomllib.loads((Path(__file__).parent / "fixtures" / "access.toml").read_text())
SKIPPED_METHODS = {"HEAD", "OPTIONS"}


def routes_of(app: Litestar) -> dict[str, str | None]:
    """'METHOD /path/{param}' -> declared access rule, for every HTTP route of the app."""
    found: dict[str, str | None] = {}
    for route in app.routes:
        if isinstance(route, WebSocketRoute):  # called with a WebSocket client: see the test below
            found[f"WEBSOCKET {route.path_format}"] = route.route_handler.opt.get(ACCESS_KEY)
            continue
        if not isinstance(route, HTTPRoute):
            continue
        for handler in route.route_handlers:
            for method in sorted(handler.http_methods - SKIPPED_METHODS):
                found[f"{method} {route.path_format}"] = handler.opt.get(ACCESS_KEY)
    return found


def test_every_route_of_the_app_is_in_the_oracle_with_the_same_rule(settings):
    routes = routes_of(create_app(settings))
    oracle = ORACLE["routes"]
    assert routes, "the app has no routes?"
    missing = sorted(set(routes) - set(oracle))
    assert not missing, f"routes missing from tests/fixtures/access.toml: {missing}"
    differ = {k: (routes[k], oracle[k]) for k in routes if routes[k] != oracle[k]}
    assert not differ, f"declared rule differs from the oracle (code, oracle): {differ}"
    stale = sorted(set(oracle) - set(routes))
    assert not stale, f"the oracle lists routes the app does not have: {stale}"


def test_the_oracle_names_only_known_permissions_rules_and_roles():
    assert set(ORACLE["permissions"]) == set(PERMISSIONS)
    for permission, holders in ORACLE["permissions"].items():
        assert set(holders) <= set(ROLES), permission
    known = {PUBLIC, AUTHENTICATED, HIDDEN, DEVICE, DEVICE_UPLOAD, *PERMISSIONS}
    assert {rule for rule in ORACLE["routes"].values()} <= known


def test_built_in_roles_in_the_database_hold_what_the_oracle_says(hub):
    expected = {role: {p for p, holders in ORACLE["permissions"].items() if role in holders} for role in ROLES}
    rows = query(hub, "SELECT r.name, p.permission FROM roles r"
                      " LEFT JOIN role_permissions p ON p.role_id = r.id WHERE r.builtin = 1")
    actual: dict[str, set[str]] = {}
    for role, permission in rows:
        actual.setdefault(role, set()).update({permission} if permission else set())
    assert actual == expected


@dataclass
class Call:
    path: str
    body: Any = None
    strict: bool = True  # a caller who is allowed must succeed (2xx), not merely pass the guard


Recipe = Callable[["Matrix", "str | None", "str | None"], Call]


class Matrix:
    """Objects the calls need; `who` is a role name (its demo user) or None (anonymous)."""

    def __init__(self, hub) -> None:
        self.hub = hub
        self.people = People(hub)
        self.target = self.people.new_user()

    def password(self, who: str | None) -> str:
        return self.hub.credentials[who or "cashier"][0]

    def pin(self, who: str | None) -> str:
        return self.hub.credentials[who or "cashier"][1]


def _api_token(m: Matrix, token: str | None) -> str:
    """An API token id of the caller (of root for an anonymous caller)."""
    owner = token or m.people.login(ROOT, ROOT_PASSWORD)["access_token"]
    r = m.people.call("POST", "/api/v1/auth/tokens", owner, {"name": "matrix"})
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _tills(m: Matrix) -> Tills:
    """Pairing under a big test license, made on first use: the trial's seats would run out."""
    if getattr(m, "tills", None) is None:
        m.tills = Tills.licensed(m.hub, m.people.root)  # type: ignore[attr-defined]
    return m.tills  # type: ignore[attr-defined]


def _device(m: Matrix) -> str:
    return _tills(m).pair()["device_id"]


def _fiscal_device(m: Matrix, state: str) -> str:
    """One fiscal device per matrix run for each state the reads and reports need."""
    if state == "closed":
        make = lambda: fiscal_ops.closed_day_device(m.hub, m.people.root, _tills(m))  # noqa: E731
    else:
        make = lambda: fiscal.oracle_device(m.hub, m.people.root, _tills(m), **{state: True})  # noqa: E731
    return fiscal_ops.cached(m, f"fiscal_{state}", make)


def _signed_note(m: Matrix) -> tuple[str, str]:
    """A voided fiscal sale and its signed credit note (tests/fiscal/documents_recipes.py)."""
    from tests.fiscal.documents_recipes import signed_note

    return signed_note(m.hub, m.people.root, _tills(m))


def _fiscal_print(m: Matrix, state: str, tail: str) -> Call:
    fiscal_ops.printing_ready(m.people)
    return Call(f"{fiscal.FISCAL}/devices/{_fiscal_device(m, state)}{tail}", {})


RECIPES: dict[str, Recipe] = {
    "POST /api/v1/fiscal/devices/{device_id}/certificate/renew": lambda m, who, t: Call(
        f"{fiscal.FISCAL}/devices/{_fiscal_device(m, 'register')}/certificate/renew", {}),
    "GET /api/v1/fiscal/devices/{device_id}/alerts": lambda m, who, t: Call(
        f"{fiscal.FISCAL}/devices/{_fiscal_device(m, 'register')}/alerts"),
    # not strict: a day left open here would hold back the end-of-day close the matrix calls later
    "GET /api/v1/fiscal/devices/{device_id}/reports/x": lambda m, who, t: Call(
        f"{fiscal.FISCAL}/devices/{_fiscal_device(m, 'register')}/reports/x", strict=False),
    "GET /api/v1/fiscal/devices/{device_id}/days/{day_no}/z": lambda m, who, t: Call(
        f"{fiscal.FISCAL}/devices/{_fiscal_device(m, 'closed')}/days/1/z"),
    "POST /api/v1/fiscal/devices/{device_id}/reports/x/print": lambda m, who, t: _fiscal_print(
        m, "opened", "/reports/x/print"),
    "POST /api/v1/fiscal/devices/{device_id}/days/{day_no}/z/print": lambda m, who, t: _fiscal_print(
        m, "closed", "/days/1/z/print"),
    "PUT /api/v1/fiscal/settings": lambda m, who, t: Call(f"{fiscal.FISCAL}/settings", {"fallback_hs_code": fiscal.HS}),
    "POST /api/v1/fiscal/devices": lambda m, who, t: Call(
        f"{fiscal.FISCAL}/devices", fiscal.new_device_body(m.hub, _tills(m))),
    "GET /api/v1/fiscal/devices/{device_id}": lambda m, who, t: Call(
        f"{fiscal.FISCAL}/devices/{fiscal.oracle_device(m.hub, m.people.root, _tills(m))}"),
    "GET /api/v1/fiscal/devices/{device_id}/day": lambda m, who, t: Call(
        f"{fiscal.FISCAL}/devices/{fiscal.oracle_device(m.hub, m.people.root, _tills(m))}/day"),
    "GET /api/v1/fiscal/devices/{device_id}/files": lambda m, who, t: Call(
        f"{fiscal.FISCAL}/devices/{fiscal.oracle_device(m.hub, m.people.root, _tills(m))}/files"),
    "POST /api/v1/fiscal/recovery/finish": lambda m, who, t: Call(
        fiscal.in_recovery(m.hub, m.people.root, _tills(m)) if who in ORACLE["permissions"]["fiscal.manage"]
        else f"{fiscal.FISCAL}/recovery/finish"),
    "POST /api/v1/fiscal/recovery/receipts": lambda m, who, t: Call(
        f"{fiscal.FISCAL}/recovery/receipts", {"receipts": []}),
    "PUT /api/v1/fiscal/tax-mapping/{tax_class_id}": lambda m, who, t: Call(
        f"{fiscal.FISCAL}/tax-mapping/{fiscal.a_tax_class(m.people.root)}", {"tax_id": None}),
    "POST /api/v1/auth/login": lambda m, who, t: Call(
        "/api/v1/auth/login", {"username": who or "cashier", "password": m.password(who)}),
    "POST /api/v1/auth/refresh": lambda m, who, t: Call(
        "/api/v1/auth/refresh", {"refresh_token": m.people.login(who or "cashier")["refresh_token"]}),
    "POST /api/v1/auth/logout": lambda m, who, t: Call("/api/v1/auth/logout"),
    "GET /api/v1/auth/me": lambda m, who, t: Call("/api/v1/auth/me"),
    "PATCH /api/v1/auth/me": lambda m, who, t: Call("/api/v1/auth/me", {"display_name": "Matrix Name"}),
    "POST /api/v1/auth/me/password": lambda m, who, t: Call(
        "/api/v1/auth/me/password", {"current_password": m.password(who), "new_password": m.password(who)}),
    "POST /api/v1/auth/me/pin": lambda m, who, t: Call(
        "/api/v1/auth/me/pin", {"current_password": m.password(who), "new_pin": m.pin(who)}),
    "GET /api/v1/auth/tokens": lambda m, who, t: Call("/api/v1/auth/tokens"),
    "POST /api/v1/auth/tokens": lambda m, who, t: Call("/api/v1/auth/tokens", {"name": "matrix"}),
    "DELETE /api/v1/auth/tokens/{token_id}": lambda m, who, t: Call(
        f"/api/v1/auth/tokens/{_api_token(m, t)}"),
    "GET /api/v1/users": lambda m, who, t: Call("/api/v1/users"),
    "GET /api/v1/users/{user_id}": lambda m, who, t: Call(f"/api/v1/users/{m.target['id']}"),
    "POST /api/v1/users": lambda m, who, t: Call("/api/v1/users", {
        "username": unique("matrix"), "display_name": "Matrix", "role_id": m.people.role_id("cashier"),
        "pin": "2580"}),
    "PATCH /api/v1/users/{user_id}": lambda m, who, t: Call(
        f"/api/v1/users/{m.people.new_user()['id']}", {"display_name": "Matrix Edit"}),
    "POST /api/v1/users/{user_id}/deactivate": lambda m, who, t: Call(
        f"/api/v1/users/{m.people.new_user()['id']}/deactivate"),
    "POST /api/v1/users/{user_id}/activate": lambda m, who, t: Call(
        f"/api/v1/users/{m.people.new_user(active=False)['id']}/activate"),
    "POST /api/v1/users/{user_id}/password": lambda m, who, t: Call(
        f"/api/v1/users/{m.people.new_user()['id']}/password", {"password": "matrix-pass-1"}),
    "POST /api/v1/users/{user_id}/pin": lambda m, who, t: Call(
        f"/api/v1/users/{m.people.new_user()['id']}/pin", {"pin": "2468"}),
    "GET /api/v1/roles": lambda m, who, t: Call("/api/v1/roles"),
    "GET /api/v1/roles/{role_id}": lambda m, who, t: Call(f"/api/v1/roles/{m.people.role_id('cashier')}"),
    "GET /api/v1/permissions": lambda m, who, t: Call("/api/v1/permissions"),
    "POST /api/v1/roles": lambda m, who, t: Call("/api/v1/roles", {"name": unique("Matrix"), "permissions": []}),
    "PATCH /api/v1/roles/{role_id}": lambda m, who, t: Call(
        f"/api/v1/roles/{m.people.new_role()['id']}", {"description": "matrix"}),
    "DELETE /api/v1/roles/{role_id}": lambda m, who, t: Call(f"/api/v1/roles/{m.people.new_role()['id']}"),
    "PATCH /api/v1/settings/store": lambda m, who, t: Call("/api/v1/settings/store", {"phone": "+263 77 000 0000"}),
    "GET /api/v1/settings/store/logo.png": lambda m, who, t: Call("/api/v1/settings/store/logo.png", strict=False),
    "POST /api/v1/devices/pairing-codes": lambda m, who, t: Call("/api/v1/devices/pairing-codes"),
    "POST /api/v1/devices/pair": lambda m, who, t: Call("/api/v1/devices/pair", _tills(m).pair_body()),
    "GET /api/v1/devices": lambda m, who, t: Call("/api/v1/devices?include_revoked=true"),
    "GET /api/v1/devices/{device_id}": lambda m, who, t: Call(f"/api/v1/devices/{_device(m)}"),
    "PATCH /api/v1/devices/{device_id}": lambda m, who, t: Call(
        f"/api/v1/devices/{_device(m)}", {"name": "Matrix till"}),
    "POST /api/v1/devices/{device_id}/revoke": lambda m, who, t: Call(f"/api/v1/devices/{_device(m)}/revoke"),
    "POST /api/v1/devices/{device_id}/license": lambda m, who, t: Call(
        f"/api/v1/devices/{_device(m)}/license", {"license_id": None}),
    "GET /api/v1/licenses": lambda m, who, t: Call("/api/v1/licenses"),
    "POST /api/v1/licenses": lambda m, who, t: Call("/api/v1/licenses", {"text": _tills(m).vendor.issue()}),
    "GET /api/v1/pricing-tiers/{tier_id}": lambda m, who, t: Call(f"/api/v1/pricing-tiers/{pricing.tier(m.people)}"),
    "POST /api/v1/pricing-tiers": lambda m, who, t: Call("/api/v1/pricing-tiers", {"name": unique("Tier ")}),
    "PATCH /api/v1/pricing-tiers/{tier_id}": lambda m, who, t: Call(
        f"/api/v1/pricing-tiers/{pricing.tier(m.people)}", {"name": unique("Tier ")}),
    "POST /api/v1/pricing-tiers/{tier_id}/archive": lambda m, who, t: Call(
        f"/api/v1/pricing-tiers/{pricing.tier(m.people)}/archive"),
    "GET /api/v1/pricing-tiers/{tier_id}/prices": lambda m, who, t: Call(
        f"/api/v1/pricing-tiers/{pricing.tier(m.people, priced=True)}/prices"),
    "GET /api/v1/pricing-tiers/{tier_id}/prices/{product_id}": lambda m, who, t: Call(
        f"/api/v1/pricing-tiers/{pricing.tier(m.people, priced=True)}/prices/{pricing.product(m.people)}"),
    "PUT /api/v1/pricing-tiers/{tier_id}/prices/{product_id}": lambda m, who, t: Call(
        f"/api/v1/pricing-tiers/{pricing.tier(m.people)}/prices/{pricing.product(m.people)}", {"USD": 110}),
    "DELETE /api/v1/pricing-tiers/{tier_id}/prices/{product_id}": lambda m, who, t: Call(
        f"/api/v1/pricing-tiers/{pricing.tier(m.people, priced=True)}/prices/{pricing.product(m.people)}"),
    "GET /api/v1/promotions/{promotion_id}": lambda m, who, t: Call(
        f"/api/v1/promotions/{pricing.promotion(m.people)}"),
    "POST /api/v1/promotions": lambda m, who, t: Call("/api/v1/promotions", pricing.promotion_body()),
    "PATCH /api/v1/promotions/{promotion_id}": lambda m, who, t: Call(
        f"/api/v1/promotions/{pricing.promotion(m.people)}", {"priority": 5}),
    "POST /api/v1/promotions/{promotion_id}/end": lambda m, who, t: Call(
        f"/api/v1/promotions/{pricing.promotion(m.people)}/end"),
    "POST /api/v1/pricing/quote": lambda m, who, t: Call("/api/v1/pricing/quote", pricing.quote_body(m.people)),
    "GET /api/v1/customers/lookup": lambda m, who, t: Call(f"{customering.CUSTOMERS}/lookup?card={customering.card(m.people)}"),
    "GET /api/v1/customers/{customer_id}": lambda m, who, t: Call(
        f"{customering.CUSTOMERS}/{customering.customer(m.people)}"),
    "GET /api/v1/customers/{customer_id}/account": lambda m, who, t: Call(
        f"{customering.CUSTOMERS}/{customering.customer(m.people)}/account"),
    "GET /api/v1/customers/{customer_id}/duplicates": lambda m, who, t: Call(
        f"{customering.CUSTOMERS}/{customering.customer(m.people)}/duplicates"),
    "GET /api/v1/customers/{customer_id}/payments": lambda m, who, t: Call(
        f"{customering.CUSTOMERS}/{customering.customer(m.people)}/payments"),
    "GET /api/v1/customers/{customer_id}/sales": lambda m, who, t: Call(
        f"{customering.CUSTOMERS}/{customering.customer(m.people)}/sales"),
    "GET /api/v1/customers/{customer_id}/statement": lambda m, who, t: Call(
        f"{customering.CUSTOMERS}/{customering.customer(m.people)}/statement?currency=USD"),
    "POST /api/v1/customers": lambda m, who, t: Call(customering.CUSTOMERS, {"name": unique("Customer ")}),
    "PATCH /api/v1/customers/{customer_id}": lambda m, who, t: Call(
        f"{customering.CUSTOMERS}/{customering.customer(m.people)}", {"notes": "Matrix"}),
    "POST /api/v1/customers/{customer_id}/merge": lambda m, who, t: Call(
        f"{customering.CUSTOMERS}/{customering.customer(m.people)}/merge",
        {"merge_id": customering.customer(m.people)}),
    "PUT /api/v1/customers/{customer_id}/credit-limits": lambda m, who, t: Call(
        f"{customering.CUSTOMERS}/{customering.customer(m.people)}/credit-limits", {"limits": {"USD": 1000}}),
    "POST /api/v1/customers/{customer_id}/payments": lambda m, who, t: Call(
        f"{customering.CUSTOMERS}/{customering.customer(m.people)}/payments", customering.payment_body()),
    "GET /api/v1/vouchers/lookup": lambda m, who, t: Call(
        f"{customering.VOUCHERS}/lookup?code={customering.voucher_code(m.people)}"),
    "GET /api/v1/vouchers/{voucher_id}": lambda m, who, t: Call(
        f"{customering.VOUCHERS}/{customering.voucher(m.people)}"),
    "POST /api/v1/vouchers": lambda m, who, t: Call(customering.VOUCHERS, {"currency": "USD", "amount": 100}),
    "POST /api/v1/vouchers/{voucher_id}/expire": lambda m, who, t: Call(
        f"{customering.VOUCHERS}/{customering.voucher(m.people)}/expire"),
    "GET /api/v1/quotations": lambda m, who, t: Call(f"{quoting.URL}?status=draft&due=today"),
    "GET /api/v1/quotations/basket": lambda m, who, t: Call(
        f"{quoting.URL}/basket?number=Q-{quoting.quotation(m.people, 'converted')['number']}"),
    "GET /api/v1/quotations/{quotation_id}": lambda m, who, t: Call(
        f"{quoting.URL}/{quoting.quotation(m.people)['id']}"),
    "POST /api/v1/quotations": lambda m, who, t: Call(quoting.URL, quoting.body(m.people)),
    "PUT /api/v1/quotations/{quotation_id}": lambda m, who, t: Call(
        f"{quoting.URL}/{quoting.quotation(m.people)['id']}", quoting.body(m.people)),
    "POST /api/v1/quotations/{quotation_id}/send": lambda m, who, t: Call(
        f"{quoting.URL}/{quoting.quotation(m.people)['id']}/send"),
    "POST /api/v1/quotations/{quotation_id}/accept": lambda m, who, t: Call(
        f"{quoting.URL}/{quoting.quotation(m.people)['id']}/accept"),
    "POST /api/v1/quotations/{quotation_id}/expire": lambda m, who, t: Call(
        f"{quoting.URL}/{quoting.quotation(m.people)['id']}/expire"),
    "POST /api/v1/quotations/{quotation_id}/convert": lambda m, who, t: Call(
        f"{quoting.URL}/{quoting.quotation(m.people)['id']}/convert", {"mode": "on_account"}),
    "POST /api/v1/quotations/{quotation_id}/sell": lambda m, who, t: Call(
        f"{quoting.URL}/{quoting.quotation(m.people)['id']}/sell", {"method": "card", "reference": "APPR-1"}),
    "POST /api/v1/quotations/{quotation_id}/sale": lambda m, who, t: (lambda qs: Call(
        f"{quoting.URL}/{qs[0]}/sale", {"sale_id": qs[1]}))(quoting.sold(m.people)),
    "GET /api/v1/products/lookup": lambda m, who, t: Call(
        f"/api/v1/products/lookup?barcode={catalogue.sku(m.people)}"),
    "GET /api/v1/products/{product_id}": lambda m, who, t: Call(f"/api/v1/products/{catalogue.product(m.people)}"),
    "POST /api/v1/products": lambda m, who, t: Call("/api/v1/products", catalogue.body(m.people)),
    "PATCH /api/v1/products/{product_id}": lambda m, who, t: Call(
        f"/api/v1/products/{catalogue.product(m.people)}", {"description": "matrix"}),
    "POST /api/v1/products/{product_id}/archive": lambda m, who, t: Call(
        f"/api/v1/products/{catalogue.product(m.people)}/archive"),
    "POST /api/v1/products/{product_id}/restore": lambda m, who, t: Call(
        f"/api/v1/products/{catalogue.product(m.people, archived=True)}/restore"),
    "GET /api/v1/products/{product_id}/price-history": lambda m, who, t: Call(
        f"/api/v1/products/{catalogue.product(m.people)}/price-history"),
    "GET /api/v1/products/{product_id}/scheduled-prices": lambda m, who, t: Call(
        f"/api/v1/products/{catalogue.product(m.people)}/scheduled-prices"),
    "POST /api/v1/products/{product_id}/scheduled-prices": lambda m, who, t: Call(
        f"/api/v1/products/{catalogue.product(m.people)}/scheduled-prices",
        {"currency": "USD", "price": 99, "effective_from": catalogue.SCHEDULE_AT}),
    "POST /api/v1/products/{product_id}/scheduled-prices/{schedule_id}/cancel": lambda m, who, t: Call(
        f"{catalogue.schedule(m.people)}/cancel"),
    # A JSON body is not CSV (415): the guard is what this checks; the audit test imports a file.
    "POST /api/v1/products/import": lambda m, who, t: Call("/api/v1/products/import", {}, strict=False),
    "POST /api/v1/products/bulk-price/preview": lambda m, who, t: Call(
        "/api/v1/products/bulk-price/preview", catalogue.bulk(m.people)),
    "POST /api/v1/products/bulk-price/apply": lambda m, who, t: Call(
        "/api/v1/products/bulk-price/apply", catalogue.bulk(m.people)),
    "POST /api/v1/labels/queue/clear": lambda m, who, t: Call(
        "/api/v1/labels/queue/clear", {"product_ids": [catalogue.product(m.people)]}),
    "PUT /api/v1/settings/barcodes": lambda m, who, t: Call("/api/v1/settings/barcodes", catalogue.embedded_rules()),
    "GET /api/v1/currencies/{code}": lambda m, who, t: Call("/api/v1/currencies/USD"),
    "POST /api/v1/currencies": lambda m, who, t: Call("/api/v1/currencies", reference.currency_body()),
    "PATCH /api/v1/currencies/{code}": lambda m, who, t: Call(
        f"/api/v1/currencies/{reference.currency(m.people)}", reference.cash_rounding()),
    "GET /api/v1/exchange-rates/current": lambda m, who, t: Call(reference.current_rate(m.people)),
    "POST /api/v1/exchange-rates": lambda m, who, t: Call(
        "/api/v1/exchange-rates", {"quote": "ZWG", "rate_text": "26.7834"}),
    "GET /api/v1/units/{unit_id}": lambda m, who, t: Call(f"/api/v1/units/{reference.unit(m.people)}"),
    "POST /api/v1/units": lambda m, who, t: Call("/api/v1/units", {"code": unique("u"), "name": "Matrix"}),
    "PATCH /api/v1/units/{unit_id}": lambda m, who, t: Call(
        f"/api/v1/units/{reference.unit(m.people)}", {"name": "Matrix edit"}),
    "GET /api/v1/categories/{category_id}": lambda m, who, t: Call(
        f"/api/v1/categories/{reference.category(m.people)}"),
    "POST /api/v1/categories": lambda m, who, t: Call("/api/v1/categories", {"name": unique("Category ")}),
    "PATCH /api/v1/categories/{category_id}": lambda m, who, t: Call(
        f"/api/v1/categories/{reference.category(m.people)}", {"sort_order": 5}),
    "GET /api/v1/suppliers/{supplier_id}": lambda m, who, t: Call(
        f"/api/v1/suppliers/{reference.supplier(m.people)}"),
    "POST /api/v1/suppliers": lambda m, who, t: Call("/api/v1/suppliers", {"name": unique("Supplier ")}),
    "PATCH /api/v1/suppliers/{supplier_id}": lambda m, who, t: Call(
        f"/api/v1/suppliers/{reference.supplier(m.people)}", {"lead_time_days": 3}),
    "GET /api/v1/tax-classes/{class_id}": lambda m, who, t: Call(
        f"/api/v1/tax-classes/{reference.tax_class(m.people)}"),
    "GET /api/v1/tax-classes/{class_id}/rates/current": lambda m, who, t: Call(
        f"/api/v1/tax-classes/{reference.tax_class(m.people)}/rates/current"),
    "POST /api/v1/tax-classes": lambda m, who, t: Call("/api/v1/tax-classes", {"code": unique("TX"), "name": "Matrix"}),
    "PATCH /api/v1/tax-classes/{class_id}": lambda m, who, t: Call(
        f"/api/v1/tax-classes/{reference.tax_class(m.people)}", {"name": "Matrix edit"}),
    "POST /api/v1/tax-classes/{class_id}/rates": lambda m, who, t: Call(
        f"/api/v1/tax-classes/{reference.tax_class(m.people)}/rates", {"rate_bp": 1200}),
    "PUT /api/v1/settings/pricing": lambda m, who, t: Call("/api/v1/settings/pricing", {"tax_mode": "inclusive"}),
    "GET /api/v1/inventory/movements": lambda m, who, t: Call(
        f"/api/v1/inventory/movements?kind=opening&product_id={inventory.stocked_product(m.people)}"),
    "GET /api/v1/inventory/levels/{product_id}": lambda m, who, t: Call(
        f"/api/v1/inventory/levels/{inventory.stocked_product(m.people)}"),
    "GET /api/v1/inventory/levels": lambda m, who, t: Call("/api/v1/inventory/levels?low=true"),
    "GET /api/v1/reports/{name}": lambda m, who, t: Call("/api/v1/reports/sales-by-day?period=week"),
    "GET /api/v1/inventory/adjustments": lambda m, who, t: Call(
        "/api/v1/inventory/adjustments?status=pending_approval&reason=theft"),
    "GET /api/v1/inventory/adjustments/{adjustment_id}": lambda m, who, t: Call(
        f"/api/v1/inventory/adjustments/{adjusting.posted(m.people)}"),
    "POST /api/v1/inventory/adjustments": lambda m, who, t: Call(
        "/api/v1/inventory/adjustments", adjusting.damage_body(m.people)),
    "POST /api/v1/inventory/adjustments/{adjustment_id}/post": lambda m, who, t: Call(
        f"/api/v1/inventory/adjustments/{adjusting.draft(m.people)}/post"),
    "PUT /api/v1/inventory/adjustments/{adjustment_id}": lambda m, who, t: Call(
        f"/api/v1/inventory/adjustments/{adjusting.draft(m.people)}", adjusting.edit_body(m.people)),
    "POST /api/v1/inventory/adjustments/{adjustment_id}/discard": lambda m, who, t: Call(
        f"/api/v1/inventory/adjustments/{adjusting.draft(m.people)}/discard", {"reason": "Matrix"}),
    "POST /api/v1/inventory/adjustments/{adjustment_id}/approve": lambda m, who, t: Call(
        f"/api/v1/inventory/adjustments/{adjusting.pending(m.people)}/approve", {"note": "Matrix"}),
    "POST /api/v1/inventory/adjustments/{adjustment_id}/reject": lambda m, who, t: Call(
        f"/api/v1/inventory/adjustments/{adjusting.pending(m.people)}/reject", {"reason": "Matrix"}),
    "GET /api/v1/inventory/supplier-returns/{return_id}": lambda m, who, t: Call(
        f"/api/v1/inventory/supplier-returns/{adjusting.supplier_return(m.people)}"),
    "POST /api/v1/inventory/supplier-returns": lambda m, who, t: Call(
        "/api/v1/inventory/supplier-returns", adjusting.return_body(m.people)),
    "PUT /api/v1/settings/adjustments": lambda m, who, t: Call(
        "/api/v1/settings/adjustments", {"approval_threshold": adjusting.threshold(m.people)}),
    # A sign-in made away from a till cannot open a shift (422 till_required): not strict.
    "POST /api/v1/shifts": lambda m, who, t: Call(shifting.SHIFTS, {"floats": shifting.FLOATS}, strict=False),
    "GET /api/v1/shifts": lambda m, who, t: Call(f"{shifting.SHIFTS}?status=open&date=2026-01-31"),
    "GET /api/v1/shifts/{shift_id}": lambda m, who, t: Call(f"{shifting.SHIFTS}/{shifting.open_shift(m.people)}"),
    "POST /api/v1/shifts/{shift_id}/cash-movements": lambda m, who, t: Call(
        f"{shifting.SHIFTS}/{shifting.open_shift(m.people, who)}/cash-movements", shifting.movement_body()),
    # Only at a till (422 till_required away from one), where the caller's own shift is read: not strict.
    "GET /api/v1/shifts/current/x-report": lambda m, who, t: Call(f"{shifting.SHIFTS}/current/x-report",
                                                                  strict=False),
    "GET /api/v1/shifts/{shift_id}/x-report": lambda m, who, t: Call(
        f"{shifting.SHIFTS}/{shifting.open_shift(m.people)}/x-report"),
    "POST /api/v1/shifts/{shift_id}/close": lambda m, who, t: Call(
        f"{shifting.SHIFTS}/{shifting.open_shift(m.people, who)}/close", shifting.close_body()),
    "GET /api/v1/shifts/{shift_id}/close-report": lambda m, who, t: Call(
        f"{shifting.SHIFTS}/{shifting.closed_shift(m.people)}/close-report"),
    # A sign-in made away from a till cannot record a sale (422 till_required): not strict.
    "POST /api/v1/sales": lambda m, who, t: Call(selling.SALES, selling.Till(m.hub, paired_by=_tills(m)).body(),
                                                 strict=False),
    "GET /api/v1/sales": lambda m, who, t: Call(f"{selling.SALES}?date_from=2026-01-01&date_to=2026-01-31"
                                                "&method=cash&currency=USD&status=completed"),
    "GET /api/v1/sales/{sale_id}": lambda m, who, t: Call(
        f"{selling.SALES}/{selling.recorded_sale(m.hub, _tills(m))['id']}"),
    "POST /api/v1/sales/{sale_id}/void": lambda m, who, t: Call(
        f"{selling.SALES}/{selling.recorded_sale(m.hub, _tills(m))['id']}/void", {"reason": "Rung up twice"}),
    # A sign-in made away from a till cannot refund or correct (422 till_required): not strict.
    "POST /api/v1/sales/{sale_id}/refunds": lambda m, who, t: Call(
        refunding.refund_url(m.hub, _tills(m)), refunding.refund_body(), strict=False),
    "POST /api/v1/sales/{sale_id}/corrections": lambda m, who, t: Call(
        refunding.correction_url(m.hub, _tills(m)), refunding.correction_body(), strict=False),
    "PUT /api/v1/settings/refunds": lambda m, who, t: Call("/api/v1/settings/refunds", refunding.limits()),
    "GET /api/v1/exceptions/{exception_id}": lambda m, who, t: Call(
        f"{selling.EXCEPTIONS}/{selling.open_exception(m.hub, _tills(m))}"),
    "POST /api/v1/exceptions/{exception_id}/resolve": lambda m, who, t: Call(
        f"{selling.EXCEPTIONS}/{selling.open_exception(m.hub, _tills(m))}/resolve", {"note": "Checked"}),
    "POST /api/v1/exceptions/{exception_id}/dismiss": lambda m, who, t: Call(
        f"{selling.EXCEPTIONS}/{selling.open_exception(m.hub, _tills(m))}/dismiss", {"note": "Checked"}),
    "PUT /api/v1/devices/{device_id}/code": lambda m, who, t: Call(
        f"/api/v1/devices/{_device(m)}/code", {"code": unique("C")}),
    "GET /api/v1/inventory/receipts/{receipt_id}": lambda m, who, t: Call(
        f"/api/v1/inventory/receipts/{purchasing.draft_receipt(m.people)}"),
    "GET /api/v1/end-of-day": lambda m, who, t: Call(f"{endofday.EOD}?date={endofday.PAST_DAY}"),
    "GET /api/v1/end-of-day/deposits": lambda m, who, t: Call(f"{endofday.EOD}/deposits?date={endofday.PAST_DAY}"),
    "POST /api/v1/end-of-day/deposits": lambda m, who, t: Call(
        f"{endofday.EOD}/deposits", endofday.deposit_body(endofday.PAST_DAY)),
    "POST /api/v1/end-of-day/deposits/{deposit_id}/reverse": lambda m, who, t: Call(
        f"{endofday.EOD}/deposits/{endofday.deposit(m.people.root)}/reverse", {"reason": "Matrix"}),
    "POST /api/v1/end-of-day/close": lambda m, who, t: Call(f"{endofday.EOD}/close", {"date": endofday.quiet_day()}),
    "GET /api/v1/inventory/purchase-orders/{order_id}": lambda m, who, t: Call(
        f"/api/v1/inventory/purchase-orders/{purchasing.draft_order(m.people)}"),
    "GET /api/v1/inventory/stock-takes/{take_id}": lambda m, who, t: Call(
        f"{stocktake.TAKES}/{stocktake.session(m.people, 'counting')}"),
    "GET /api/v1/inventory/unapplied/{doc_id}": lambda m, who, t: Call(
        f"{unapplied.QUEUE}/{unapplied.queued(m.people)}"),
    "GET /api/v1/inventory/transfers/{transfer_id}": lambda m, who, t: Call(
        f"{transfers.URL}/{transfers.draft(m.people)}"),
    "GET /api/v1/inventory/transfers/{transfer_id}/file": lambda m, who, t: Call(
        f"{transfers.URL}/{transfers.posted(m.people)}/file"),
    "GET /api/v1/inventory/transfers/{transfer_id}/confirmation": lambda m, who, t: Call(
        f"{transfers.URL}/{transfers.received_in(m.people)}/confirmation"),
    "POST /api/v1/inventory/transfers": lambda m, who, t: Call(transfers.URL, transfers.out_body(m.people)),
    "POST /api/v1/inventory/transfers/import": lambda m, who, t: Call(
        f"{transfers.URL}/import", transfers.arriving_file(m.people)),
    "POST /api/v1/inventory/transfers/{transfer_id}/post": lambda m, who, t: Call(
        f"{transfers.URL}/{transfers.draft(m.people)}/post"),
    "POST /api/v1/inventory/transfers/{transfer_id}/receive": lambda m, who, t: Call(
        f"{transfers.URL}/{transfers.arriving(m.people)}/receive"),
    "POST /api/v1/inventory/transfers/confirmations": lambda m, who, t: Call(
        f"{transfers.URL}/confirmations", transfers.confirmation(m.people)),
    "GET /api/v1/fiscal/sales/{sale_id}/documents": lambda m, who, t: Call(
        f"{fiscal.FISCAL}/sales/{selling.recorded_sale(m.hub, _tills(m))['id']}/documents"),
    "GET /api/v1/sales/{sale_id}/receipt": lambda m, who, t: Call(
        f"{selling.SALES}/{selling.recorded_sale(m.hub, _tills(m))['id']}/receipt"),
    "GET /api/v1/sales/{sale_id}/notes/{note_id}/receipt": lambda m, who, t: Call(
        "{}/{}/notes/{}/receipt".format(selling.SALES, *_signed_note(m))),
    "POST /api/v1/sales/{sale_id}/notes/{note_id}/print": lambda m, who, t: Call(
        "{}/{}/notes/{}/print".format(selling.SALES, *_signed_note(m)),
        {"printer_id": printing.printer(m.people, enabled=False)}),
    "GET /api/v1/printers/{printer_id}": lambda m, who, t: Call(f"/api/v1/printers/{printing.printer(m.people)}"),
    "GET /api/v1/print-jobs/{job_id}": lambda m, who, t: Call(f"/api/v1/print-jobs/{printing.waiting_job(m.people)}"),
    # The event stream's plain GET: past the access rule it answers 426 (use a WebSocket).
    "GET /api/v1/events": lambda m, who, t: Call("/api/v1/events", strict=False),
}


def default_call(key: str) -> Call:
    """Any other route: path parameters get fresh ids (so nothing real is touched), bodies `{}`."""
    method, path = key.split(" ", 1)
    parts = [new_id() if p.startswith("{") else p for p in path.split("/")]
    body = {} if method in ("POST", "PUT", "PATCH") else None
    return Call("/".join(parts), body, strict=method == "GET" and "{" not in path)


def expected(rule: str, who: str | None) -> str:
    if rule == HIDDEN:
        return "hidden"
    if rule == PUBLIC:
        return "allowed"
    if rule in (DEVICE, DEVICE_UPLOAD):  # a user's token alone is not a till: see the device test below
        return "no_device"
    if who is None:
        return "unauthenticated"
    if rule == AUTHENTICATED or who in ORACLE["permissions"][rule]:
        return "allowed"
    return "forbidden"


@pytest.mark.timeout(900)  # every route as every role: minutes on a busy 2-core machine
def test_every_route_answers_every_role_as_the_oracle_says(hub):
    matrix = Matrix(hub)
    routes = {k: ORACLE["routes"][k] for k in routes_of(hub.server.app)
              if k in ORACLE["routes"] and not is_portal_route(k)  # portal routes: the test below
              and not k.startswith("WEBSOCKET ")}  # WebSocket routes: the test after it
    problems = []
    for key, rule in sorted(routes.items()):
        method = key.split(" ", 1)[0]
        for who in (None, *ROLES):
            token = matrix.people.login(who)["access_token"] if who else None
            recipe = RECIPES.get(key)
            call = recipe(matrix, who, token) if recipe else default_call(key)
            r = matrix.people.call(method, call.path, token, call.body)
            want = expected(rule, who)
            got = r.status_code
            code = r.json().get("code") if r.headers.get("content-type", "").endswith("json") and got >= 400 else None
            ok = {
                "hidden": got == 404,
                "unauthenticated": got == 401 and code == "unauthenticated",
                "no_device": got == 401 and code == "device_required",
                "forbidden": got == 403 and code == "forbidden",
                "allowed": got not in (401, 403) and (got < 400 or not call.strict),
            }[want]
            if not ok:
                problems.append(f"{key} as {who or 'anonymous'}: expected {want}, got {got} {code}")
    assert not problems, "\n".join(problems)
    assert set(RECIPES) <= set(routes), f"recipes for routes that no longer exist: {set(RECIPES) - set(routes)}"


def test_every_websocket_route_answers_every_role_as_the_oracle_says(hub):
    """A WebSocket handshake as every role and anonymously: refused with the problem's status
    (401/403), or accepted."""
    from websockets.exceptions import InvalidStatus
    from websockets.sync.client import connect

    people = People(hub)
    routes = {k: ORACLE["routes"][k] for k in routes_of(hub.server.app) if k.startswith("WEBSOCKET ")}
    problems = []
    for key, rule in sorted(routes.items()):
        url = hub.url.replace("http", "ws", 1) + key.split(" ", 1)[1]
        for who in (None, *ROLES):
            token = people.login(who)["access_token"] if who else None
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            want = expected(rule, who)
            try:
                with connect(url, additional_headers=headers, open_timeout=5) as ws:
                    ws.recv(timeout=5)
                got = 101
            except InvalidStatus as refused:
                got = refused.response.status_code
            ok = {"hidden": got == 404, "unauthenticated": got == 401, "forbidden": got == 403,
                  "allowed": got == 101, "no_device": got == 401}[want]
            if not ok:
                problems.append(f"{key} as {who or 'anonymous'}: expected {want}, got {got}")
    assert not problems, "\n".join(problems)


def test_every_device_route_answers_a_paired_till_and_refuses_a_revoked_one(hub):
    """A "device" route takes a till's X-Device-Token alone; once that till is revoked, 401. A
    "device_upload" route takes a revoked till's too (its facts are quarantined, never lost)."""
    matrix = Matrix(hub)
    routes = {k for k, rule in ORACLE["routes"].items() if rule in (DEVICE, DEVICE_UPLOAD)}
    if not routes:
        pytest.skip("no route takes a device token alone yet")
    tills = _tills(matrix)
    live, revoked = tills.pair(), tills.pair()
    r = matrix.people.root.post(f"/api/v1/devices/{revoked['device_id']}/revoke")
    assert r.status_code == 200, r.text
    problems = []
    for key in sorted(routes):
        method = key.split(" ", 1)[0]
        call = default_call(key)
        upload = ORACLE["routes"][key] == DEVICE_UPLOAD
        for paired, want in ((live, "allowed"), (revoked, "allowed" if upload else "revoked")):
            with tills.as_till(paired["device_token"]) as till:
                r = till.request(method, call.path, json=call.body)
            code = r.json().get("code") if r.headers.get("content-type", "").endswith("json") and r.status_code >= 400 else None
            ok = (r.status_code not in (401, 403)) if want == "allowed" else (r.status_code == 401 and code == "device_revoked")
            if not ok:
                problems.append(f"{key} as a {want} till: got {r.status_code} {code}")
    assert not problems, "\n".join(problems)


def page_answer_ok(want: str, r: Any, strict: bool) -> bool:
    """The portal's semantics: sign-in redirect, 403 page, or success (a page, or a redirect after a form)."""
    to_login = r.status_code == 303 and r.headers.get("location", "").startswith("/login?next=")
    html = r.headers.get("content-type", "").startswith("text/html")
    return {
        "hidden": r.status_code == 404,
        "unauthenticated": to_login,
        "forbidden": r.status_code == 403 and html and "403 forbidden" in r.text,
        "allowed": not to_login and r.status_code not in (401, 403)
        and (r.status_code in (200, 303) or not strict),
    }[want]


@pytest.mark.timeout(900)  # every route as every role: minutes on a busy 2-core machine
def test_every_portal_route_answers_every_role_as_the_oracle_says(hub):
    people, portal = People(hub), Portal(hub)
    routes = {k: ORACLE["routes"][k] for k in routes_of(hub.server.app) if is_portal_route(k)}
    assert routes, "the portal has no routes?"
    missing = sorted(set(routes) - set(PAGE_CALLS))
    assert not missing, f"portal routes with no recipe in tests/portal/recipes.py: {missing}"
    problems = []
    for key, rule in sorted(routes.items()):
        method = key.split(" ", 1)[0]
        for who in (None, *ROLES):
            token = people.login(who)["access_token"] if who else None
            call = PAGE_CALLS[key](people, who)
            r = portal.call(method, call.path, token, call.form)
            want = expected(rule, who)
            if not page_answer_ok(want, r, call.strict):
                problems.append(f"{key} as {who or 'anonymous'}: expected {want}, got {r.status_code} "
                                f"{r.headers.get('location', '')}")
    assert not problems, "\n".join(problems)
    assert set(PAGE_CALLS) <= set(routes), f"recipes for routes that no longer exist: {set(PAGE_CALLS) - set(routes)}"
