"""The Fiscal page's forms: settings, adding a fiscal device, the taxpayer shown before
registering, registration, configuration, certificate renewal, the tax mapping and the X/Z
report pages; each post one audit entry and a 303 with a notice, a refusal re-rendered with the
typed values, the message beside its field and nothing changed."""

from __future__ import annotations

from tests.fiscal.recipes import FISCAL, HS, MAPPING
from tests.portal.client import Portal
from tests.sales.build import line
from tests.sales.recipes import Till, tills


def _audits(hub, action):
    return hub.server.app.state.db.write_sync(lambda c: c.execute(
        "SELECT count(*) FROM audit_log WHERE action = ?", (action,)).fetchone()[0])


def _settings_form(sim, **over):
    return {"base_url_choice": "other", "base_url": sim.url, "ca_bundle": str(sim.ca_path), "fallback_tax_id": "",
            "fallback_hs_code": HS, "auto_open_time": "", "auto_close_time": "", "day_end_warning_hours": "",
            "certificate_renew_days": "30", **over}


def test_settings_device_verify_register_map_and_reports_from_the_portal(hub, sim):
    portal = Portal(hub)
    session = portal.token("manager")
    manager = hub.as_user("manager")

    # settings: a refusal keeps what was typed and names each field
    r = portal.call("POST", "/fiscal/settings", session, _settings_form(sim, fallback_hs_code="1234",
                                                                        auto_open_time="7am"))
    assert r.status_code == 422, r.text
    assert "The fiscal settings were not saved" in r.text and 'value="7am"' in r.text
    assert 'id="e-fallback_hs_code"' in r.text and 'id="e-auto_open_time"' in r.text
    assert manager.get(f"{FISCAL}/settings").json()["base_url"] == ""
    r = portal.call("POST", "/fiscal/settings", session, _settings_form(sim, auto_open_time="06:30"))
    assert r.status_code == 303 and r.headers["location"] == "/fiscal/settings", r.text
    saved = manager.get(f"{FISCAL}/settings").json()
    assert (saved["base_url"], saved["auto_open_time"], saved["certificate_renew_days"]) == (sim.url, "06:30", 30)
    r = portal.call("GET", "/fiscal/settings", session)
    assert r.status_code == 200 and 'value="06:30"' in r.text and sim.url in r.text
    r = portal.call("POST", "/fiscal/settings", session, _settings_form(sim, base_url_choice="test"))
    assert r.status_code == 303
    assert manager.get(f"{FISCAL}/settings").json()["base_url"] == "https://fdmsapitest.zimra.co.zw"
    assert portal.call("POST", "/fiscal/settings", session, _settings_form(sim)).status_code == 303
    assert _audits(hub, "fiscal.settings_changed") == 3

    # a fiscal device for a paired till
    till = Till(hub, paired_by=tills(hub))
    number = 4242
    sim.add_device(number, "SN4242", "ABCD1234")
    r = portal.call("GET", "/fiscal/devices/new", session)
    assert r.status_code == 200 and till.device_id in r.text
    form = {"till_id": till.device_id, "fdms_device_id": str(number), "serial_no": "SN4242", "activation_key": "abc",
            "model_name": "Server", "model_version": "v1", "key_algorithm": "ecdsa"}
    r = portal.call("POST", "/fiscal/devices", session, form)
    assert r.status_code == 422 and 'id="e-activation_key"' in r.text and 'value="SN4242"' in r.text, r.text
    r = portal.call("POST", "/fiscal/devices", session, {**form, "activation_key": "abcd1234"})
    assert r.status_code == 303, r.text
    page = r.headers["location"]
    device_id = page.rsplit("/", 1)[1]
    r = portal.call("POST", "/fiscal/devices", session, {**form, "activation_key": "abcd1234"})
    assert r.status_code == 409 and "already a fiscal device" in r.text
    r = portal.call("GET", page, session)
    assert r.status_code == 200 and "Ask FDMS who the taxpayer is" in r.text and "This is us" not in r.text

    # FDMS names the taxpayer; the manager confirms by registering
    r = portal.call("POST", f"{page}/verify", session)
    assert r.status_code == 303 and r.headers["location"] == page, r.text
    r = portal.call("GET", page, session)
    assert "Soko Test Supermarket (Pvt) Ltd" in r.text and "2000123456" in r.text and "This is us" in r.text
    assert manager.get(f"{FISCAL}/devices/{device_id}").json()["status"] == "new"
    sim.down = True
    r = portal.call("POST", f"{page}/register", session)
    assert r.status_code == 409 and "The device was not registered" in r.text, r.text
    sim.down = False
    r = portal.call("POST", f"{page}/register", session)
    assert r.status_code == 303, r.text
    device = manager.get(f"{FISCAL}/devices/{device_id}").json()
    assert device["status"] == "registered" and device["taxpayer"]["taxPayerTIN"] == "2000123456"
    r = portal.call("GET", page, session)
    assert "Standard rated 15.5%" in r.text and "Renew the certificate now" in r.text
    assert portal.call("POST", f"{page}/config", session).status_code == 303
    assert portal.call("POST", f"{page}/renew", session).status_code == 303
    assert sim.devices[number].renewals == 1
    for action in ("fiscal_device.created", "fiscal_device.taxpayer_verified", "fiscal_device.registered",
                   "fiscal_device.configured", "fiscal_device.certificate_renewed"):
        assert _audits(hub, action) == 1, action

    # the tax mapping: a select per class; a refusal beside that class's select
    r = portal.call("GET", "/fiscal/tax-mapping", session)
    assert r.status_code == 200 and "517 · 15.50 %" in r.text
    classes = {c["code"]: c["tax_class_id"] for c in manager.get(f"{FISCAL}/tax-mapping").json()["classes"]}
    r = portal.call("POST", f"/fiscal/tax-mapping/{classes['VAT']}", session, {"tax_id": "2"})
    assert r.status_code == 422 and 'id="e-tax_id-VAT"' in r.text and "not this class" in r.text, r.text
    assert manager.get(f"{FISCAL}/tax-mapping").json()["classes"][0]["zimra_tax_id"] is None
    for code, tax_id in MAPPING.items():
        r = portal.call("POST", f"/fiscal/tax-mapping/{classes[code]}", session, {"tax_id": str(tax_id)})
        assert r.status_code == 303, r.text
    assert portal.call("POST", "/fiscal/settings", session, _settings_form(sim, fallback_tax_id="517")).status_code == 303
    r = portal.call("POST", f"/fiscal/devices/{device_id}/open", session)
    assert r.status_code == 303, r.text

    # the X report of the open day, then the Z report of the closed day
    till.sell(till.body([line(1500)]))
    r = portal.call("GET", f"{page}/reports/x", session)
    assert r.status_code == 200 and "X REPORT" in r.text and "15.00" in r.text and "SN4242" in r.text, r.text
    r = portal.call("POST", f"{page}/reports/x/print", session)
    assert r.status_code == 409 and "no receipt printer serves this till" in r.text.lower()
    manager.post(f"{FISCAL}/queue/submit")
    assert portal.call("POST", f"/fiscal/devices/{device_id}/close", session).status_code == 303
    r = portal.call("GET", page, session)
    assert f"{page}/days/1/z" in r.text
    r = portal.call("GET", f"{page}/days/1/z", session)
    assert r.status_code == 200 and "Z REPORT" in r.text and "15.00" in r.text
    assert portal.call("GET", f"{page}/days/2/z", session).status_code == 404
    r = portal.call("GET", f"{page}/reports/x", session)
    assert r.status_code == 409 and "no fiscal day is open" in r.text.lower()

    # who may
    supervisor = portal.token("supervisor")
    assert portal.call("GET", page, supervisor).status_code == 200
    assert portal.call("GET", f"{page}/days/1/z", supervisor).status_code == 200
    assert portal.call("POST", "/fiscal/settings", supervisor, _settings_form(sim)).status_code == 403
    assert portal.call("GET", "/fiscal/devices/new", supervisor).status_code == 403
    assert portal.call("GET", "/fiscal/settings", portal.token("cashier")).status_code == 403


def test_the_fiscal_page_links_the_forms_and_shows_a_devices_alerts(hub, sim):
    from tests.fiscal.recipes import configure, fiscal_till

    portal = Portal(hub)
    manager = hub.as_user("manager")
    configure(hub, manager, sim)
    sim.cert_days = 5
    till, dev = fiscal_till(hub, manager, sim)
    r = portal.call("GET", "/fiscal", portal.token("manager"))
    assert r.status_code == 200
    for link in ("/fiscal/settings", "/fiscal/tax-mapping", "/fiscal/devices/new", f"/fiscal/devices/{dev['id']}"):
        assert f'href="{link}"' in r.text, link
    assert 'data-code="certificate_expiring"' in r.text
    r = portal.call("GET", "/fiscal", portal.token("supervisor"))
    assert 'href="/fiscal/devices/new"' not in r.text
