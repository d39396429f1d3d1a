"""A fiscal world for tests: the FDMS simulator, the hub's fiscal settings pointing at it, tills
registered as fiscal devices with their tax classes mapped, through the real API."""

from __future__ import annotations

import atexit
import tempfile
from pathlib import Path
from typing import Any

from tests.fiscal.fdms_sim import FdmsSim
from tests.hubtest import Hub
from tests.sales.recipes import Till, tills

FISCAL = "/api/v1/fiscal"
MAPPING = {"VAT": 517, "ZERO": 2, "EXEMPT": 1}
HS = "22011000"


def start_sim(directory: Path) -> FdmsSim:
    return FdmsSim(directory).start()


def shared_sim(hub: Hub) -> FdmsSim:
    """One simulator per hub for the shared oracles (stopped at exit; its threads are daemons)."""
    sim = getattr(hub, "fdms_sim", None)
    if sim is None:
        sim = hub.fdms_sim = FdmsSim(Path(tempfile.mkdtemp(prefix="fdms-sim-"))).start()  # type: ignore[attr-defined]
        close = hub.close

        def close_both() -> None:  # the hub fixture's teardown stops the simulator too
            sim.stop()
            close()

        hub.close = close_both  # type: ignore[method-assign]
        atexit.register(sim.stop)
    return sim


def configure(hub: Hub, manager: Any, sim: FdmsSim) -> None:
    r = manager.put(f"{FISCAL}/settings", json={"base_url": sim.url, "ca_bundle": str(sim.ca_path),
                                                "fallback_tax_id": 517, "fallback_hs_code": HS})
    assert r.status_code == 200, r.text


_next_id = [1000]


def fiscal_till(hub: Hub, manager: Any, sim: FdmsSim, *, register: bool = True, algorithm: str = "ecdsa",
                till: Till | None = None) -> tuple[Till, dict[str, Any]]:
    """A paired till made a fiscal device (FDMS knows it), registered unless asked not to."""
    till = till or Till(hub, paired_by=tills(hub))
    _next_id[0] += 1
    number = _next_id[0]
    sim.add_device(number, f"SN{number}", f"K{number:07d}")
    r = manager.post(f"{FISCAL}/devices", json={"till_id": till.device_id, "fdms_device_id": number,
                                                "serial_no": f"SN{number}", "activation_key": f"k{number:07d}",
                                                "key_algorithm": algorithm})
    assert r.status_code == 201, r.text
    device = r.json()
    if register:
        r = manager.post(f"{FISCAL}/devices/{device['id']}/register")
        assert r.status_code == 200, r.text
        device = r.json()
    return till, device


def map_taxes(manager: Any) -> None:
    classes = manager.get(f"{FISCAL}/tax-mapping").json()["classes"]
    for c in classes:
        if c["code"] in MAPPING:
            r = manager.put(f"{FISCAL}/tax-mapping/{c['tax_class_id']}", json={"tax_id": MAPPING[c["code"]]})
            assert r.status_code == 200, r.text


def open_day(manager: Any, device_id: str) -> dict[str, Any]:
    r = manager.post(f"{FISCAL}/devices/{device_id}/day/open")
    assert r.status_code == 200, r.text
    return r.json()


# ---- for the shared oracles (tests/test_access_matrix.py, tests/test_audit_every_change.py) ----

def new_device_body(hub: Hub, pairing: Any) -> dict[str, Any]:
    """A body for POST /api/v1/fiscal/devices: a freshly paired till and an FDMS id the shared
    simulator knows."""
    sim = shared_sim(hub)
    _next_id[0] += 1
    number = _next_id[0]
    sim.add_device(number, f"SN{number}", f"K{number:07d}")
    return {"till_id": pairing.pair()["device_id"], "fdms_device_id": number, "serial_no": f"SN{number}",
            "activation_key": f"K{number:07d}"}


def oracle_device(hub: Hub, root: Any, pairing: Any, *, register: bool = False, mapped: bool = False,
                  opened: bool = False) -> str:
    """A fiscal device made by root against the shared simulator; registered, with every tax class
    mapped (ready to open its day), or with its day open."""
    sim = shared_sim(hub)
    if not getattr(hub, "fiscal_configured", False):
        configure(hub, root, sim)
        hub.fiscal_configured = True  # type: ignore[attr-defined]
    r = root.post(f"{FISCAL}/devices", json=new_device_body(hub, pairing))
    assert r.status_code == 201, r.text
    device_id = r.json()["id"]
    if register or mapped or opened:
        r = root.post(f"{FISCAL}/devices/{device_id}/register")
        assert r.status_code == 200, r.text
    if mapped or opened:
        map_every_class(root, sim, device_id)
    if opened:
        open_day(root, device_id)
    return device_id


def map_every_class(root: Any, sim: FdmsSim, device_id: str) -> None:
    """Map every active tax class (other tests make their own): a rate the simulator does not list
    becomes one of its taxes, and the device's configuration is fetched again."""
    # a class whose only rate starts later cannot be mapped yet (the day opens without it)
    classes = [c for c in root.get(f"{FISCAL}/tax-mapping").json()["classes"]
               if c["active"] and (c["exempt"] or c["rate_bp"] is not None)]
    by_percent = {None if t.get("taxPercent") is None else round(float(t["taxPercent"]) * 100): t["taxID"]
                  for t in sim.taxes}
    added = False
    for c in classes:
        rate = None if c["exempt"] else c["rate_bp"]
        if rate not in by_percent:
            by_percent[rate] = 600 + len(sim.taxes)
            sim.taxes.append({"taxID": by_percent[rate], "taxPercent": rate / 100, "taxName": f"Test {rate}",
                              "validFrom": "2023-01-01", "validTill": None})
            added = True
    if added:
        assert root.post(f"{FISCAL}/devices/{device_id}/config").status_code == 200
    for c in classes:
        r = root.put(f"{FISCAL}/tax-mapping/{c['tax_class_id']}", json={"tax_id": by_percent[
            None if c["exempt"] else c["rate_bp"]]})
        assert r.status_code == 200, r.text


def in_recovery(hub: Hub, root: Any, pairing: Any) -> str:
    """The hub in fiscal recovery as after a restore (its trusted fiscal epoch another than its
    epoch), with a registered device and FDMS's status read: the finish path, ready to succeed."""
    oracle_device(hub, root, pairing, register=True)
    hub.write("INSERT INTO meta (key, value) VALUES ('fiscal_epoch', 'before-a-restore') "
              "ON CONFLICT (key) DO UPDATE SET value = excluded.value")
    r = root.post(f"{FISCAL}/recovery/check")
    assert r.status_code == 200 and r.json()["in_recovery"] and not r.json()["failed"], r.text
    return f"{FISCAL}/recovery/finish"


def a_tax_class(root: Any) -> str:
    return root.get(f"{FISCAL}/tax-mapping").json()["classes"][0]["tax_class_id"]
