"""Fiscal operations objects for the shared oracles (access matrix, audit of every change, portal
recipes): a device with its day closed (for Z reports) and a store receipt printer to print on."""

from __future__ import annotations

from typing import Any

from tests.fiscal.recipes import FISCAL, oracle_device


def closed_day_device(hub: Any, root: Any, pairing: Any) -> str:
    """A device whose fiscal day 1 is closed with FDMS (a Z report to read or print)."""
    device_id = oracle_device(hub, root, pairing, opened=True)
    r = root.post(f"{FISCAL}/devices/{device_id}/day/close")
    assert r.status_code == 200 and r.json()["day_status"] == "closed", r.text
    return device_id


def printing_ready(people: Any) -> None:
    """The store's receipt printer (disabled: the report's job waits where nothing prints it)."""
    from tests.printing.recipes import store_receipt_printer

    store_receipt_printer(people)


def settings_form(**over: str) -> dict[str, str]:
    """The fiscal settings form as a manager leaves it (nothing sent to ZIMRA until an address)."""
    return {"base_url_choice": "", "base_url": "", "ca_bundle": "", "fallback_tax_id": "", "fallback_hs_code": "",
            "auto_open_time": "", "auto_close_time": "", "day_end_warning_hours": "", "certificate_renew_days": "30",
            **over}


def shared_settings_form(hub: Any) -> dict[str, str]:
    """The settings form pointing at the shared simulator (as configure() leaves them), so the
    oracles' devices go on working after the form is posted."""
    from tests.fiscal.recipes import HS, configure, shared_sim

    sim = shared_sim(hub)
    if not getattr(hub, "fiscal_configured", False):
        configure(hub, hub.as_user("admin"), sim)
        hub.fiscal_configured = True
    return settings_form(base_url_choice="other", base_url=sim.url, ca_bundle=str(sim.ca_path),
                         fallback_tax_id="517", fallback_hs_code=HS)


def device_form(hub: Any, pairing: Any) -> dict[str, str]:
    from tests.fiscal.recipes import new_device_body

    return {k: str(v) for k, v in new_device_body(hub, pairing).items()}


def cached(holder: Any, name: str, make: Any) -> Any:
    """One object per oracle run for reads that only need one (a registered device...)."""
    found = getattr(holder, name, None)
    if found is None:
        found = make()
        setattr(holder, name, found)
    return found
