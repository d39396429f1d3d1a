"""Every change through the API writes exactly one audit entry, in the chain, tied to its request.

The mutating routes are found in the app itself, so a new POST/PATCH/PUT/DELETE route without a
recipe here fails this test until someone shows it is audited.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass
from typing import Any, Callable

import pytest

from hub.db.audit import verify_chain
from tests.catalogue import product_recipes as catalogue
from tests.catalogue import pricing_recipes as pricing
from tests.catalogue import reference_recipes as reference
from tests.customers import recipes as customering
from tests.quotations import recipes as quoting
from tests.inventory import adjustment_recipes as adjusting
from tests.inventory import purchasing_recipes as purchasing
from tests.pairing import Tills
from tests.inventory import stocktake_recipes as stocktake
from tests.inventory import transfer_recipes as transfers
from tests.inventory import unapplied_recipes as unapplied
from tests.people import ROOT, ROOT_PASSWORD, People, audit_entries, unique
from tests.portal.client import Portal
from tests.printing import recipes as printing
from tests.portal.recipes import PAGE_CHANGES, is_portal_route
from tests.sales import recipes as selling, refunding
from tests.shifts import recipes as shifting
from tests.endofday import recipes as endofday
from tests.fiscal import recipes as fiscal
from tests.fiscal import operations_recipes as fiscal_ops
from tests.sync import up_recipes as syncing
from tests.test_access_matrix import routes_of

MUTATING = {"POST", "PATCH", "PUT", "DELETE"}


@dataclass
class Change:
    path: str
    action: str | None  # the audit action the call must record (None: a read that records none)
    body: Any = None
    token: str | None = None  # None: an anonymous call
    csv: str | None = None  # sent as a text/csv body instead of `body` as JSON
    device_token: str | None = None  # sent as X-Device-Token (a till's call)


def _send(p: People, method: str, change: Change) -> Any:
    if change.device_token is not None:
        return p.http.request(method, change.path, json=change.body,
                              headers={"X-Device-Token": change.device_token})
    if change.csv is None:
        return p.call(method, change.path, change.token, change.body)
    headers = {"Content-Type": "text/csv", **({"Authorization": f"Bearer {change.token}"} if change.token else {})}
    return p.http.request(method, change.path, content=change.csv.encode(), headers=headers)


def _root(p: People) -> str:
    return p.login(ROOT, ROOT_PASSWORD)["access_token"]


def _user_token(p: People) -> tuple[dict[str, Any], str]:
    user = p.new_user()
    return user, p.login(user["username"], user["password"])["access_token"]


def _api_token_id(p: People, token: str) -> str:
    return p.call("POST", "/api/v1/auth/tokens", token, {"name": "audited"}).json()["id"]


def _me_password(p: People) -> Change:
    user, token = _user_token(p)
    body = {"current_password": user["password"], "new_password": "changed-password-1"}
    return Change("/api/v1/auth/me/password", "user.password_changed", body, token)


def _me_pin(p: People) -> Change:
    user, token = _user_token(p)
    body = {"current_password": user["password"], "new_pin": "9753"}
    return Change("/api/v1/auth/me/pin", "user.pin_changed", body, token)


def _delete_api_token(p: People) -> Change:
    _, token = _user_token(p)
    return Change(f"/api/v1/auth/tokens/{_api_token_id(p, token)}", "token.revoked", token=token)


def _tills(p: People) -> Tills:
    """Pairing under a big test license, made on first use: the trial's seats would run out."""
    if getattr(p, "tills", None) is None:
        p.tills = Tills.licensed(p.hub, p.root)  # type: ignore[attr-defined]
    return p.tills  # type: ignore[attr-defined]


def _device(p: People) -> str:
    return _tills(p).pair()["device_id"]


def _sale(p: People) -> Change:
    """A sale sent by the demo cashier signed in at a fresh till (the sign-in names the till)."""
    till = selling.Till(p.hub, paired_by=_tills(p))
    return Change(selling.SALES, "sale.recorded", till.body(), till.token)


def _sync_events(p: People) -> Change:
    """One sale uploaded by a till through sync: the sale's own entry."""
    till, body = syncing.sale_event_call(p.hub)
    return Change(syncing.EVENTS, "sale.recorded", body, device_token=till.token)


def _fiscal(p: People, tail: str, action: str, body: Any = None, **state: bool) -> Change:
    device_id = fiscal.oracle_device(p.hub, p.root, _tills(p), **state)
    return Change(f"{fiscal.FISCAL}/devices/{device_id}{tail}", action, body, _root(p))


def _signed_note(p: People) -> tuple[str, str]:
    """A voided fiscal sale and its signed credit note (tests/fiscal/documents_recipes.py)."""
    from tests.fiscal.documents_recipes import signed_note

    return signed_note(p.hub, p.root, _tills(p))


def _fiscal_print(p: People, tail: str, **state: bool) -> Change:
    fiscal_ops.printing_ready(p)
    if state:
        return _fiscal(p, tail, "fiscal_report.printed", {}, **state)
    device_id = fiscal_ops.closed_day_device(p.hub, p.root, _tills(p))
    return Change(f"{fiscal.FISCAL}/devices/{device_id}{tail}", "fiscal_report.printed", {}, _root(p))


RECIPES: dict[str, Callable[[People], Change]] = {
    "POST /api/v1/fiscal/devices/{device_id}/certificate/renew": lambda p: _fiscal(
        p, "/certificate/renew", "fiscal_device.certificate_renewed", {}, register=True),
    "POST /api/v1/fiscal/devices/{device_id}/reports/x/print": lambda p: _fiscal_print(
        p, "/reports/x/print", opened=True),
    "POST /api/v1/fiscal/devices/{device_id}/days/{day_no}/z/print": lambda p: _fiscal_print(p, "/days/1/z/print"),
    "PUT /api/v1/fiscal/settings": lambda p: Change(
        f"{fiscal.FISCAL}/settings", "fiscal.settings_changed", {"fallback_hs_code": fiscal.HS}, _root(p)),
    "POST /api/v1/fiscal/devices": lambda p: Change(
        f"{fiscal.FISCAL}/devices", "fiscal_device.created", fiscal.new_device_body(p.hub, _tills(p)), _root(p)),
    "PUT /api/v1/fiscal/tax-mapping/{tax_class_id}": lambda p: Change(
        f"{fiscal.FISCAL}/tax-mapping/{fiscal.a_tax_class(p.root)}", "tax_class.fiscal_mapped", {"tax_id": None},
        _root(p)),
    "POST /api/v1/fiscal/devices/{device_id}/verify-taxpayer": lambda p: _fiscal(
        p, "/verify-taxpayer", "fiscal_device.taxpayer_verified"),
    "POST /api/v1/fiscal/devices/{device_id}/register": lambda p: _fiscal(p, "/register", "fiscal_device.registered"),
    "POST /api/v1/fiscal/devices/{device_id}/config": lambda p: _fiscal(
        p, "/config", "fiscal_device.configured", register=True),
    "POST /api/v1/fiscal/devices/{device_id}/day/open": lambda p: _fiscal(
        p, "/day/open", "fiscal_day.opened", mapped=True),
    "POST /api/v1/fiscal/devices/{device_id}/day/close": lambda p: _fiscal(
        p, "/day/close", "fiscal_day.closed", opened=True),
    "POST /api/v1/fiscal/queue/submit": lambda p: Change(
        f"{fiscal.FISCAL}/queue/submit", "fiscal.queue_submitted", token=_root(p)),
    "POST /api/v1/fiscal/recovery/check": lambda p: Change(
        f"{fiscal.FISCAL}/recovery/check", "fiscal.recovery_checked", token=_root(p)),
    "POST /api/v1/fiscal/recovery/finish": lambda p: Change(
        fiscal.in_recovery(p.hub, p.root, _tills(p)), "fiscal.recovery_finished", token=_root(p)),
    "POST /api/v1/fiscal/recovery/receipts": lambda p: Change(
        f"{fiscal.FISCAL}/recovery/receipts", "fiscal.claims_received", {"receipts": []}, _root(p)),
    "POST /api/v1/fiscal/devices/{device_id}/files/submit": lambda p: _fiscal(
        p, "/files/submit", "fiscal.files_submitted", register=True),
    "POST /api/v1/auth/login": lambda p: Change(
        "/api/v1/auth/login", "auth.login", {"username": ROOT, "password": ROOT_PASSWORD}),
    "POST /api/v1/auth/refresh": lambda p: Change(
        "/api/v1/auth/refresh", "auth.refresh", {"refresh_token": p.login(ROOT, ROOT_PASSWORD)["refresh_token"]}),
    "POST /api/v1/auth/logout": lambda p: Change("/api/v1/auth/logout", "auth.logout", token=_root(p)),
    "PATCH /api/v1/auth/me": lambda p: Change(
        "/api/v1/auth/me", "user.updated", {"display_name": unique("Name ")}, _root(p)),
    "POST /api/v1/auth/me/password": _me_password,
    "POST /api/v1/auth/me/pin": _me_pin,
    "POST /api/v1/auth/tokens": lambda p: Change(
        "/api/v1/auth/tokens", "token.created", {"name": "audited"}, _user_token(p)[1]),
    "DELETE /api/v1/auth/tokens/{token_id}": _delete_api_token,
    "POST /api/v1/users": lambda p: Change("/api/v1/users", "user.created", {
        "username": unique("audited"), "display_name": "A", "role_id": p.role_id("cashier"),
        "password": "audited-pass-1"}, _root(p)),
    "PATCH /api/v1/users/{user_id}": lambda p: Change(
        f"/api/v1/users/{p.new_user()['id']}", "user.updated", {"tills": ["till-1"]}, _root(p)),
    "POST /api/v1/users/{user_id}/deactivate": lambda p: Change(
        f"/api/v1/users/{p.new_user()['id']}/deactivate", "user.deactivated", token=_root(p)),
    "POST /api/v1/users/{user_id}/activate": lambda p: Change(
        f"/api/v1/users/{p.new_user(active=False)['id']}/activate", "user.activated", token=_root(p)),
    "POST /api/v1/users/{user_id}/password": lambda p: Change(
        f"/api/v1/users/{p.new_user()['id']}/password", "user.password_reset",
        {"password": "reset-pass-1"}, _root(p)),
    "POST /api/v1/users/{user_id}/pin": lambda p: Change(
        f"/api/v1/users/{p.new_user()['id']}/pin", "user.pin_reset", {"pin": "8024"}, _root(p)),
    "POST /api/v1/roles": lambda p: Change(
        "/api/v1/roles", "role.created", {"name": unique("Audited"), "permissions": ["users.view"]}, _root(p)),
    "PATCH /api/v1/roles/{role_id}": lambda p: Change(
        f"/api/v1/roles/{p.new_role()['id']}", "role.updated", {"permissions": ["roles.view"]}, _root(p)),
    "DELETE /api/v1/roles/{role_id}": lambda p: Change(
        f"/api/v1/roles/{p.new_role()['id']}", "role.deleted", token=_root(p)),
    "POST /api/v1/backups": lambda p: Change("/api/v1/backups", "backup.created", token=_root(p)),
    "PATCH /api/v1/ops/settings": lambda p: Change("/api/v1/ops/settings", "ops.settings_changed",
                                                   {"keep_daily": 9, "backup_times": ["12:30"]}, _root(p)),
    "POST /api/v1/ops/backups": lambda p: Change("/api/v1/ops/backups", "backup.created", token=_root(p)),
    "POST /api/v1/ops/recovery-key": lambda p: Change("/api/v1/ops/recovery-key", "backup.recovery_key_created",
                                                      token=_root(p)),
    "PATCH /api/v1/settings/store": lambda p: Change(
        "/api/v1/settings/store", "settings.store_updated", {"receipt_footer": unique("Thank you ")}, _root(p)),
    "POST /api/v1/devices/pairing-codes": lambda p: Change(
        "/api/v1/devices/pairing-codes", "device.pairing_code_created", token=_root(p)),
    "POST /api/v1/devices/pair": lambda p: Change("/api/v1/devices/pair", "device.paired", _tills(p).pair_body()),
    "PATCH /api/v1/devices/{device_id}": lambda p: Change(
        f"/api/v1/devices/{_device(p)}", "device.updated", {"name": unique("Till ")}, _root(p)),
    "POST /api/v1/devices/{device_id}/revoke": lambda p: Change(
        f"/api/v1/devices/{_device(p)}/revoke", "device.revoked", token=_root(p)),
    "POST /api/v1/devices/{device_id}/license": lambda p: Change(
        f"/api/v1/devices/{_device(p)}/license", "device.license_linked", {"license_id": None}, _root(p)),
    "POST /api/v1/licenses": lambda p: Change(
        "/api/v1/licenses", "license.installed", {"text": _tills(p).vendor.issue(seats=2)}, _root(p)),
    "POST /api/v1/pricing-tiers": lambda p: Change(
        "/api/v1/pricing-tiers", "pricing_tier.created", {"name": unique("Tier ")}, _root(p)),
    "PATCH /api/v1/pricing-tiers/{tier_id}": lambda p: Change(
        f"/api/v1/pricing-tiers/{pricing.tier(p)}", "pricing_tier.updated", {"percent_off_bp": 250}, _root(p)),
    "POST /api/v1/pricing-tiers/{tier_id}/archive": lambda p: Change(
        f"/api/v1/pricing-tiers/{pricing.tier(p)}/archive", "pricing_tier.archived", token=_root(p)),
    "PUT /api/v1/pricing-tiers/{tier_id}/prices/{product_id}": lambda p: Change(
        f"/api/v1/pricing-tiers/{pricing.tier(p)}/prices/{pricing.product(p)}", "pricing_tier.prices_set",
        {"USD": 99}, _root(p)),
    "DELETE /api/v1/pricing-tiers/{tier_id}/prices/{product_id}": lambda p: Change(
        f"/api/v1/pricing-tiers/{pricing.tier(p, priced=True)}/prices/{pricing.product(p)}",
        "pricing_tier.prices_removed", token=_root(p)),
    "POST /api/v1/promotions": lambda p: Change(
        "/api/v1/promotions", "promotion.created", pricing.promotion_body(), _root(p)),
    "PATCH /api/v1/promotions/{promotion_id}": lambda p: Change(
        f"/api/v1/promotions/{pricing.promotion(p)}", "promotion.updated", {"stackable": True}, _root(p)),
    "POST /api/v1/promotions/{promotion_id}/end": lambda p: Change(
        f"/api/v1/promotions/{pricing.promotion(p)}/end", "promotion.ended", token=_root(p)),
    # A quote prices a basket and changes nothing: it must write no entry at all.
    "POST /api/v1/pricing/quote": lambda p: Change(
        "/api/v1/pricing/quote", None, pricing.quote_body(p), _root(p)),
    "POST /api/v1/customers": lambda p: Change(
        customering.CUSTOMERS, "customer.created", {"name": unique("Customer ")}, _root(p)),
    "PATCH /api/v1/customers/{customer_id}": lambda p: Change(
        f"{customering.CUSTOMERS}/{customering.customer(p)}", "customer.updated", {"notes": "Audited"}, _root(p)),
    "POST /api/v1/customers/{customer_id}/merge": lambda p: Change(
        f"{customering.CUSTOMERS}/{customering.customer(p)}/merge", "customer.merged",
        {"merge_id": customering.customer(p)}, _root(p)),
    "PUT /api/v1/customers/{customer_id}/credit-limits": lambda p: Change(
        f"{customering.CUSTOMERS}/{customering.customer(p)}/credit-limits", "credit.limits_set",
        {"limits": {"USD": 2000}}, _root(p)),
    "POST /api/v1/customers/{customer_id}/payments": lambda p: Change(
        f"{customering.CUSTOMERS}/{customering.customer(p)}/payments", "credit.payment_recorded",
        customering.payment_body(), _root(p)),
    "POST /api/v1/vouchers": lambda p: Change(
        customering.VOUCHERS, "voucher.issued", {"currency": "USD", "amount": 250}, _root(p)),
    "POST /api/v1/vouchers/{voucher_id}/expire": lambda p: Change(
        f"{customering.VOUCHERS}/{customering.voucher(p)}/expire", "voucher.expired", token=_root(p)),
    "POST /api/v1/quotations": lambda p: Change(quoting.URL, "quotation.created", quoting.body(p), _root(p)),
    "PUT /api/v1/quotations/{quotation_id}": lambda p: Change(
        f"{quoting.URL}/{quoting.quotation(p)['id']}", "quotation.updated", quoting.body(p), _root(p)),
    "POST /api/v1/quotations/{quotation_id}/send": lambda p: Change(
        f"{quoting.URL}/{quoting.quotation(p)['id']}/send", "quotation.sent", token=_root(p)),
    "POST /api/v1/quotations/{quotation_id}/accept": lambda p: Change(
        f"{quoting.URL}/{quoting.quotation(p)['id']}/accept", "quotation.accepted", token=_root(p)),
    "POST /api/v1/quotations/{quotation_id}/expire": lambda p: Change(
        f"{quoting.URL}/{quoting.quotation(p)['id']}/expire", "quotation.expired", token=_root(p)),
    "POST /api/v1/quotations/{quotation_id}/convert": lambda p: Change(
        f"{quoting.URL}/{quoting.quotation(p)['id']}/convert", "quotation.converted", {"mode": "pay_at_till"},
        _root(p)),
    "POST /api/v1/quotations/{quotation_id}/sell": lambda p: Change(
        f"{quoting.URL}/{quoting.to_sell(p)}/sell", "sale.recorded", {"method": "mobile_money"}, _root(p)),
    "POST /api/v1/quotations/{quotation_id}/sale": lambda p: (lambda qs: Change(
        f"{quoting.URL}/{qs[0]}/sale", "quotation.fulfilled", {"sale_id": qs[1]}, _root(p)))(quoting.sold(p)),
    "POST /api/v1/products": lambda p: Change(
        "/api/v1/products", "product.created", catalogue.body(p), _root(p)),
    "PATCH /api/v1/products/{product_id}": lambda p: Change(
        f"/api/v1/products/{catalogue.product(p)}", "product.updated", {"prices": {"USD": 175}}, _root(p)),
    "POST /api/v1/products/{product_id}/archive": lambda p: Change(
        f"/api/v1/products/{catalogue.product(p)}/archive", "product.archived", token=_root(p)),
    "POST /api/v1/products/{product_id}/restore": lambda p: Change(
        f"/api/v1/products/{catalogue.product(p, archived=True)}/restore", "product.restored", token=_root(p)),
    "POST /api/v1/products/{product_id}/scheduled-prices": lambda p: Change(
        f"/api/v1/products/{catalogue.product(p)}/scheduled-prices", "product.price_scheduled",
        {"currency": "USD", "price": 99, "effective_from": catalogue.SCHEDULE_AT}, _root(p)),
    "POST /api/v1/products/{product_id}/scheduled-prices/{schedule_id}/cancel": lambda p: Change(
        f"{catalogue.schedule(p)}/cancel", "product.price_schedule_cancelled", token=_root(p)),
    # One entry for the whole import (each product also gets its change row).
    "POST /api/v1/products/import": lambda p: Change(
        "/api/v1/products/import?dry_run=false", "product.imported", token=_root(p), csv=catalogue.import_csv(p)),
    # A preview changes nothing: it must write no entry at all.
    "POST /api/v1/products/bulk-price/preview": lambda p: Change(
        "/api/v1/products/bulk-price/preview", None, catalogue.bulk(p), _root(p)),
    # One entry for the whole bulk change (a summary); each price is in price history.
    "POST /api/v1/products/bulk-price/apply": lambda p: Change(
        "/api/v1/products/bulk-price/apply", "product.bulk_price_changed", catalogue.bulk(p), _root(p)),
    "POST /api/v1/labels/queue/clear": lambda p: Change(
        "/api/v1/labels/queue/clear", "labels.cleared", {"product_ids": [catalogue.product(p)]}, _root(p)),
    "PUT /api/v1/settings/barcodes": lambda p: Change(
        "/api/v1/settings/barcodes", "settings.barcodes_updated", catalogue.embedded_rules(), _root(p)),
    "POST /api/v1/currencies": lambda p: Change(
        "/api/v1/currencies", "currency.created", reference.currency_body(), _root(p)),
    "PATCH /api/v1/currencies/{code}": lambda p: Change(
        f"/api/v1/currencies/{reference.currency(p)}", "currency.updated", reference.cash_rounding(), _root(p)),
    "POST /api/v1/exchange-rates": lambda p: Change(
        "/api/v1/exchange-rates", "exchange_rate.created", {"quote": "ZWG", "rate_text": "26.7834"}, _root(p)),
    "POST /api/v1/units": lambda p: Change(
        "/api/v1/units", "unit.created", {"code": unique("u"), "name": "Audited"}, _root(p)),
    "PATCH /api/v1/units/{unit_id}": lambda p: Change(
        f"/api/v1/units/{reference.unit(p)}", "unit.updated", {"decimals": 2}, _root(p)),
    "POST /api/v1/categories": lambda p: Change(
        "/api/v1/categories", "category.created", {"name": unique("Category ")}, _root(p)),
    "PATCH /api/v1/categories/{category_id}": lambda p: Change(
        f"/api/v1/categories/{reference.category(p)}", "category.archived", {"active": False}, _root(p)),
    "POST /api/v1/suppliers": lambda p: Change(
        "/api/v1/suppliers", "supplier.created", {"name": unique("Supplier ")}, _root(p)),
    "PATCH /api/v1/suppliers/{supplier_id}": lambda p: Change(
        f"/api/v1/suppliers/{reference.supplier(p)}", "supplier.updated", {"payment_terms_days": 30}, _root(p)),
    "POST /api/v1/tax-classes": lambda p: Change(
        "/api/v1/tax-classes", "tax_class.created", {"code": unique("TX"), "name": "Audited", "rate_bp": 800},
        _root(p)),
    "PATCH /api/v1/tax-classes/{class_id}": lambda p: Change(
        f"/api/v1/tax-classes/{reference.tax_class(p)}", "tax_class.updated", {"name": "Audited edit"}, _root(p)),
    "POST /api/v1/tax-classes/{class_id}/rates": lambda p: Change(
        f"/api/v1/tax-classes/{reference.tax_class(p)}/rates", "tax_class.rate_added", {"rate_bp": 900}, _root(p)),
    "PUT /api/v1/settings/pricing": lambda p: Change(
        "/api/v1/settings/pricing", "settings.pricing_updated", reference.other_tax_mode(p), _root(p)),
    "POST /api/v1/inventory/adjustments": lambda p: Change(
        "/api/v1/inventory/adjustments", "adjustment.posted", adjusting.damage_body(p), _root(p)),
    "POST /api/v1/inventory/adjustments/{adjustment_id}/post": lambda p: Change(
        f"/api/v1/inventory/adjustments/{adjusting.draft(p)}/post", "adjustment.posted", None, _root(p)),
    "PUT /api/v1/inventory/adjustments/{adjustment_id}": lambda p: Change(
        f"/api/v1/inventory/adjustments/{adjusting.draft(p)}", "adjustment.updated", adjusting.edit_body(p),
        _root(p)),
    "POST /api/v1/inventory/adjustments/{adjustment_id}/discard": lambda p: Change(
        f"/api/v1/inventory/adjustments/{adjusting.draft(p)}/discard", "adjustment.discarded",
        {"reason": "Audited"}, _root(p)),
    "POST /api/v1/inventory/adjustments/{adjustment_id}/approve": lambda p: Change(
        f"/api/v1/inventory/adjustments/{adjusting.pending(p)}/approve", "adjustment.approved", {"note": "Audited"},
        _root(p)),
    "POST /api/v1/inventory/adjustments/{adjustment_id}/reject": lambda p: Change(
        f"/api/v1/inventory/adjustments/{adjusting.pending(p)}/reject", "adjustment.rejected",
        {"reason": "Audited"}, _root(p)),
    "POST /api/v1/inventory/supplier-returns": lambda p: Change(
        "/api/v1/inventory/supplier-returns", "supplier_return.posted", adjusting.return_body(p), _root(p)),
    "PUT /api/v1/settings/adjustments": lambda p: Change(
        "/api/v1/settings/adjustments", "settings.adjustments_updated",
        {"approval_threshold": adjusting.threshold(p) + 1}, _root(p)),
    "POST /api/v1/shifts": lambda p: Change(
        shifting.SHIFTS, "shift.opened", {"floats": shifting.FLOATS}, shifting.till_token(p)),
    "POST /api/v1/shifts/{shift_id}/cash-movements": lambda p: Change(
        f"{shifting.SHIFTS}/{shifting.open_shift(p)}/cash-movements", "cash.pay_out", shifting.movement_body(),
        _root(p)),
    "POST /api/v1/shifts/{shift_id}/close": lambda p: Change(
        f"{shifting.SHIFTS}/{shifting.open_shift(p)}/close", "shift.closed", shifting.close_body(), _root(p)),
    "POST /api/v1/sales": lambda p: _sale(p),
    "POST /api/v1/sales/{sale_id}/refunds": lambda p: Change(
        refunding.refund_url(p.hub, _tills(p)), "sale.refunded", refunding.refund_body(),
        refunding.refunding_till(p.hub, paired_by=_tills(p)).token),
    "POST /api/v1/sales/{sale_id}/corrections": lambda p: Change(
        refunding.correction_url(p.hub, _tills(p)), "sale.corrected", refunding.correction_body(),
        refunding.refunding_till(p.hub, "manager", paired_by=_tills(p)).token),
    "PUT /api/v1/settings/refunds": lambda p: Change(
        "/api/v1/settings/refunds", "settings.refunds_updated", refunding.limits(), _root(p)),
    "POST /api/v1/sales/{sale_id}/void": lambda p: Change(
        f"{selling.SALES}/{selling.recorded_sale(p.hub, _tills(p))['id']}/void", "sale.voided",
        {"reason": "Audited"}, _root(p)),
    "POST /api/v1/exceptions/{exception_id}/resolve": lambda p: Change(
        f"{selling.EXCEPTIONS}/{selling.open_exception(p.hub, _tills(p))}/resolve", "exception.resolved",
        {"note": "Audited"}, _root(p)),
    "POST /api/v1/exceptions/{exception_id}/dismiss": lambda p: Change(
        f"{selling.EXCEPTIONS}/{selling.open_exception(p.hub, _tills(p))}/dismiss", "exception.dismissed",
        {"note": "Audited"}, _root(p)),
    "POST /api/v1/printers": lambda p: Change(printing.PRINTERS, "printer.created", printing.printer_body(), _root(p)),
    "PUT /api/v1/printers/{printer_id}": lambda p: Change(
        f"{printing.PRINTERS}/{printing.printer(p)}", "printer.updated", {"profile": "58mm-32"}, _root(p)),
    "POST /api/v1/printers/{printer_id}/tests": lambda p: Change(
        f"{printing.PRINTERS}/{printing.printer(p, enabled=False)}/tests", "printer.tested", {"kind": "test_page"},
        _root(p)),
    "PUT /api/v1/printer-assignments": lambda p: Change(
        printing.ASSIGN, "printer.assigned", {"role": "label", "printer_id": printing.printer(p)}, _root(p)),
    "POST /api/v1/print-jobs/{job_id}/retry": lambda p: Change(
        f"{printing.JOBS}/{printing.waiting_job(p)}/retry", "print_job.retried", token=_root(p)),
    "POST /api/v1/print-jobs/{job_id}/cancel": lambda p: Change(
        f"{printing.JOBS}/{printing.waiting_job(p)}/cancel", "print_job.cancelled", token=_root(p)),
    "POST /api/v1/sales/{sale_id}/reprint": lambda p: Change(
        f"{selling.SALES}/{selling.recorded_sale(p.hub, _tills(p))['id']}/reprint", "sale.reprinted",
        {"printer_id": printing.printer(p, enabled=False)}, _root(p)),
    "POST /api/v1/sales/{sale_id}/notes/{note_id}/print": lambda p: Change(
        "{}/{}/notes/{}/print".format(selling.SALES, *_signed_note(p)), "fiscal_note.printed",
        {"printer_id": printing.printer(p, enabled=False)}, _root(p)),
    "POST /api/v1/drawer/open": lambda p: Change(
        "/api/v1/drawer/open", "drawer.opened", {"reason": "Audited", "printer_id": printing.printer(p, enabled=False)},
        _root(p)),
    "POST /api/v1/labels/print": lambda p: Change(
        "/api/v1/labels/print", "labels.printed",
        {"product_ids": [catalogue.product(p)], "printer_id": printing.printer(p, enabled=False)}, _root(p)),
    "POST /api/v1/labels/render": lambda p: Change(
        "/api/v1/labels/render", None, {"product_ids": [catalogue.product(p)]}, _root(p)),
    "PUT /api/v1/devices/{device_id}/code": lambda p: Change(
        f"/api/v1/devices/{_device(p)}/code", "device.code_set", {"code": unique("C")}, _root(p)),
    "POST /api/v1/end-of-day/deposits": lambda p: Change(
        f"{endofday.EOD}/deposits", "deposit.recorded", endofday.deposit_body(endofday.PAST_DAY), _root(p)),
    "POST /api/v1/end-of-day/deposits/{deposit_id}/reverse": lambda p: Change(
        f"{endofday.EOD}/deposits/{endofday.deposit(p.root)}/reverse", "deposit.reversed", {"reason": "Audited"},
        _root(p)),
    "POST /api/v1/end-of-day/close": lambda p: Change(
        f"{endofday.EOD}/close", "endofday.closed", {"date": endofday.quiet_day()}, _root(p)),
    "POST /api/v1/inventory/receipts": lambda p: Change(
        "/api/v1/inventory/receipts", "goods_receipt.created", purchasing.receipt_body(p), _root(p)),
    "PATCH /api/v1/inventory/receipts/{receipt_id}": lambda p: Change(
        f"/api/v1/inventory/receipts/{purchasing.draft_receipt(p)}", "goods_receipt.updated",
        {"note": "Audited"}, _root(p)),
    "POST /api/v1/inventory/receipts/{receipt_id}/post": lambda p: Change(
        f"/api/v1/inventory/receipts/{purchasing.draft_receipt(p)}/post", "goods_receipt.posted", None, _root(p)),
    "POST /api/v1/inventory/receipts/{receipt_id}/reverse": lambda p: Change(
        f"/api/v1/inventory/receipts/{purchasing.posted_receipt(p)}/reverse", "goods_receipt.reversed",
        {"note": "Audited"}, _root(p)),
    "POST /api/v1/inventory/purchase-orders": lambda p: Change(
        "/api/v1/inventory/purchase-orders", "purchase_order.created", purchasing.order_body(p), _root(p)),
    "PATCH /api/v1/inventory/purchase-orders/{order_id}": lambda p: Change(
        f"/api/v1/inventory/purchase-orders/{purchasing.draft_order(p)}", "purchase_order.updated",
        {"note": "Audited"}, _root(p)),
    "POST /api/v1/inventory/purchase-orders/{order_id}/send": lambda p: Change(
        f"/api/v1/inventory/purchase-orders/{purchasing.draft_order(p)}/send", "purchase_order.sent", None,
        _root(p)),
    "POST /api/v1/inventory/purchase-orders/{order_id}/close": lambda p: Change(
        f"/api/v1/inventory/purchase-orders/{purchasing.sent_order(p)}/close", "purchase_order.closed",
        {"reason": "Audited"}, _root(p)),
    "POST /api/v1/inventory/purchase-orders/{order_id}/cancel": lambda p: Change(
        f"/api/v1/inventory/purchase-orders/{purchasing.draft_order(p)}/cancel", "purchase_order.cancelled",
        {"reason": "Audited"}, _root(p)),
    "POST /api/v1/inventory/purchase-orders/from-suggestions": lambda p: Change(
        "/api/v1/inventory/purchase-orders/from-suggestions", "purchase_order.created",
        {"supplier_id": purchasing.suggested_supplier(p)}, _root(p)),
    "POST /api/v1/inventory/stock-takes": lambda p: Change(
        stocktake.TAKES, "stock_take.created", {"name": unique("Count ")}, _root(p)),
    "POST /api/v1/inventory/stock-takes/{take_id}/lines": lambda p: Change(
        f"{stocktake.TAKES}/{stocktake.session(p)}/lines", "stock_take.counted",
        {"lines": [stocktake.counted_line(p)]}, _root(p)),
    "DELETE /api/v1/inventory/stock-takes/{take_id}/lines/{line_id}": lambda p: Change(
        stocktake.line(p), "stock_take.line_removed", token=_root(p)),
    "POST /api/v1/inventory/stock-takes/{take_id}/review": lambda p: Change(
        f"{stocktake.TAKES}/{stocktake.session(p, 'counting')}/review", "stock_take.reviewing", token=_root(p)),
    "POST /api/v1/inventory/stock-takes/{take_id}/approve": lambda p: Change(
        f"{stocktake.TAKES}/{stocktake.session(p, 'review')}/approve", "stock_take.approved", token=_root(p)),
    "POST /api/v1/inventory/stock-takes/{take_id}/post": lambda p: Change(
        f"{stocktake.TAKES}/{stocktake.session(p, 'review')}/post", "stock_take.posted", token=_root(p)),
    "POST /api/v1/inventory/stock-takes/{take_id}/cancel": lambda p: Change(
        f"{stocktake.TAKES}/{stocktake.session(p, 'counting')}/cancel", "stock_take.cancelled", token=_root(p)),
    # Applied at once: the one entry is the applying service's; queued, it is unapplied_document.queued.
    "POST /api/v1/inventory/device-documents": lambda p: Change(
        unapplied.DOCS, "adjustment.posted", unapplied.adjustment(p), unapplied.till_token(p)),
    "POST /api/v1/inventory/unapplied/{doc_id}/map": lambda p: Change(
        f"{unapplied.QUEUE}/{unapplied.queued(p)}/map", "adjustment.posted", unapplied.mapping(p), _root(p)),
    # Its code still matches no product: it stays queued, and the retry writes its own entry.
    "POST /api/v1/inventory/unapplied/{doc_id}/apply": lambda p: Change(
        f"{unapplied.QUEUE}/{unapplied.queued(p)}/apply", "unapplied_document.retried", {}, _root(p)),
    "POST /api/v1/inventory/unapplied/{doc_id}/discard": lambda p: Change(
        f"{unapplied.QUEUE}/{unapplied.queued(p)}/discard", "unapplied_document.discarded", {"reason": "Audited"},
        _root(p)),
    "POST /api/v1/sync/events": _sync_events,
    # a till's status and shift digest are telemetry: they record no audit entry
    "POST /api/v1/sync/status": lambda p: Change(
        syncing.STATUS, None, {"queue_depth": 3, "app_version": "1.5.0"}, device_token=syncing.SyncTill(p.hub).token),
    "POST /api/v1/sync/shift-digests": lambda p: Change(
        syncing.DIGESTS, None, {"shift_id": "s-1", "count": 0, "event_ids_sha256": "0" * 64},
        device_token=syncing.SyncTill(p.hub).token),
    "POST /api/v1/sync/quarantine/{quarantine_id}/accept": lambda p: Change(
        f"{syncing.QUARANTINE}/{syncing.quarantined(p.hub)}/accept", "sync.fact_accepted", {"note": "Audited"},
        _root(p)),
    "POST /api/v1/sync/quarantine/{quarantine_id}/reject": lambda p: Change(
        f"{syncing.QUARANTINE}/{syncing.quarantined(p.hub)}/reject", "sync.fact_rejected", {"note": "Audited"},
        _root(p)),
    "POST /api/v1/inventory/transfers": lambda p: Change(
        transfers.URL, "transfer.created", transfers.out_body(p), _root(p)),
    "PATCH /api/v1/inventory/transfers/{transfer_id}": lambda p: Change(
        f"{transfers.URL}/{transfers.draft(p)}", "transfer.updated", {"note": "Audited"}, _root(p)),
    "POST /api/v1/inventory/transfers/{transfer_id}/discard": lambda p: Change(
        f"{transfers.URL}/{transfers.draft(p)}/discard", "transfer.discarded", token=_root(p)),
    "POST /api/v1/inventory/transfers/{transfer_id}/post": lambda p: Change(
        f"{transfers.URL}/{transfers.draft(p)}/post", "transfer.posted", token=_root(p)),
    "POST /api/v1/inventory/transfers/import": lambda p: Change(
        f"{transfers.URL}/import", "transfer.imported", transfers.arriving_file(p), _root(p)),
    "POST /api/v1/inventory/transfers/{transfer_id}/receiving": lambda p: Change(
        f"{transfers.URL}/{transfers.arriving(p)}/receiving", "transfer.receiving_updated",
        {"lines": [{"line": 0, "received": 1000}]}, _root(p)),
    "POST /api/v1/inventory/transfers/{transfer_id}/receive": lambda p: Change(
        f"{transfers.URL}/{transfers.arriving(p)}/receive", "transfer.received", token=_root(p)),
    "POST /api/v1/inventory/transfers/confirmations": lambda p: Change(
        f"{transfers.URL}/confirmations", "transfer.confirmed", transfers.confirmation(p), _root(p)),
}


@pytest.mark.timeout(900)  # every route as every role: minutes on a busy 2-core machine
def test_every_change_writes_exactly_one_audit_entry_of_its_own(hub):
    people = People(hub)
    mutating = sorted(k for k in routes_of(hub.server.app)
                      if k.split(" ", 1)[0] in MUTATING and not is_portal_route(k))  # portal: below
    missing = [k for k in mutating if k not in RECIPES]
    assert not missing, f"mutating routes with no audit recipe here: {missing}"
    problems = []
    for key in mutating:
        change = RECIPES[key](people)
        seq = audit_entries(hub)[-1]["seq"]
        r = _send(people, key.split(" ", 1)[0], change)
        if not r.is_success:
            problems.append(f"{key}: {r.status_code} {r.text}")
            continue
        new = audit_entries(hub, seq)
        wanted = [change.action] if change.action is not None else []
        if [e["action"] for e in new] != wanted:
            problems.append(f"{key}: wrote {[e['action'] for e in new]}, expected {wanted!r}")
        elif new and new[0]["request_id"] != r.headers["x-request-id"]:
            problems.append(f"{key}: the entry names request {new[0]['request_id']}, not this one")
    assert not problems, "\n".join(problems)


def test_a_failed_login_writes_one_entry_and_no_secret(hub):
    seq = audit_entries(hub)[-1]["seq"]
    r = hub.client().post("/api/v1/auth/login", json={"username": "cashier", "password": "guessing-123"})
    assert r.status_code == 401
    [entry] = audit_entries(hub, seq)
    assert entry["action"] == "auth.login_failed" and entry["request_id"] == r.headers["x-request-id"]
    assert "guessing-123" not in entry["summary"]
    assert json.loads(entry["summary"])["detail"]["username"] == "cashier"


def test_login_and_logout_write_one_entry_each_and_the_chain_still_verifies(hub):
    seq = audit_entries(hub)[-1]["seq"]
    token = hub.login("manager")["access_token"]
    assert hub.client(token).post("/api/v1/auth/logout").status_code == 204
    assert [e["action"] for e in audit_entries(hub, seq)] == ["auth.login", "auth.logout"]
    conn = sqlite3.connect(f"file:{hub.db_path}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        report = verify_chain(conn)
    finally:
        conn.close()
    assert report.ok, report
    assert report.entries == audit_entries(hub)[-1]["seq"]


def test_secrets_never_reach_the_audit_log(hub):
    people = People(hub)
    for key, recipe in RECIPES.items():
        if key in routes_of(hub.server.app):
            change = recipe(people)
            _send(people, key.split(" ", 1)[0], change)
    summaries = " ".join(e["summary"] for e in audit_entries(hub))
    for secret in ("audited-pass-1", "reset-pass-1", "changed-password-1", "throwaway-pw-1", ROOT_PASSWORD,
                   "$argon2", "shk_", "sha_", "shr_", "shd_"):
        assert secret not in summaries, secret


@pytest.mark.timeout(900)  # every route as every role: minutes on a busy 2-core machine
def test_every_portal_form_writes_exactly_one_audit_entry_of_its_own(hub):
    people, portal = People(hub), Portal(hub)
    posts = sorted(k for k in routes_of(hub.server.app)
                   if k.split(" ", 1)[0] in MUTATING and is_portal_route(k))
    missing = [k for k in posts if k not in PAGE_CHANGES]
    assert not missing, f"portal form routes with no audit recipe in tests/portal/recipes.py: {missing}"
    problems = []
    for key in posts:
        change = PAGE_CHANGES[key](people)
        seq = audit_entries(hub)[-1]["seq"]
        r = portal.call(key.split(" ", 1)[0], change.path, change.token, change.form)
        # Success is a redirect (Post/Redirect/Get); a refused form renders again with 4xx.
        if r.status_code != 303 or r.headers["location"].startswith("/login?next="):
            problems.append(f"{key}: {r.status_code} {r.headers.get('location')} {r.text[:300]}")
            continue
        new = audit_entries(hub, seq)
        if [e["action"] for e in new] != [change.action]:
            problems.append(f"{key}: wrote {[e['action'] for e in new]}, expected [{change.action!r}]")
        elif new[0]["request_id"] != r.headers["x-request-id"]:
            problems.append(f"{key}: the entry names request {new[0]['request_id']}, not this one")
    assert not problems, "\n".join(problems)
