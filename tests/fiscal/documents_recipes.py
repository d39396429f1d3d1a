"""For the shared oracles (access matrix, portal pages): a signed fiscal invoice of a sale sold at
a till registered against the shared FDMS simulator, made once per hub."""

from __future__ import annotations

from typing import Any

from tests.fiscal.recipes import FISCAL, configure, fiscal_till, map_every_class, open_day, shared_sim
from tests.hubtest import Hub
from tests.sales.build import line
from tests.sales.recipes import SALES, Till


def _fiscal_sale(hub: Hub, root: Any, pairing: Any) -> tuple[dict, dict]:
    """A new fiscal till's device and one sale it made and the hub signed (the fiscal settings
    configured once per hub, every tax class mapped, the day open)."""
    sim = shared_sim(hub)
    if not getattr(hub, "fiscal_configured", False):
        configure(hub, root, sim)
        hub.fiscal_configured = True  # type: ignore[attr-defined]
    till, device = fiscal_till(hub, root, sim, till=Till(hub, paired_by=pairing))
    map_every_class(root, sim, device["id"])
    open_day(root, device["id"])
    return device, till.sell(till.body([line(500, tax_rate_bp=0)]))


def signed_document(hub: Hub, root: Any, pairing: Any) -> str:
    """The id of a signed fiscal invoice (its A4 page prints), its day closed with FDMS."""
    found = getattr(hub, "fiscal_signed_document", None)
    if found is not None:
        return found
    device, sale = _fiscal_sale(hub, root, pairing)
    [document] = root.get(f"{FISCAL}/sales/{sale['id']}/documents").json()["items"]
    assert document["signed"], document
    # sent and the day closed again, so the end of day's fiscal step stays done for later recipes
    r = root.post(f"{FISCAL}/devices/{device['id']}/day/close")
    assert r.status_code == 200 and r.json()["day_status"] == "closed", r.text
    hub.fiscal_signed_document = document["id"]  # type: ignore[attr-defined]
    return document["id"]


def signed_note(hub: Hub, root: Any, pairing: Any) -> tuple[str, str]:
    """(sale id, void id) of a voided fiscal sale whose credit note is signed and sent, its day
    closed again (so the end of day's fiscal step stays done), made once per hub."""
    found = getattr(hub, "fiscal_signed_note", None)
    if found is not None:
        return found
    device, sale = _fiscal_sale(hub, root, pairing)
    r = root.post(f"{SALES}/{sale['id']}/void", json={"reason": "Rang up twice"})
    assert r.status_code == 200, r.text
    void_id = r.json()["void_id"]
    r = root.post(f"{FISCAL}/devices/{device['id']}/day/close")
    assert r.status_code == 200 and r.json()["day_status"] == "closed", r.text
    hub.fiscal_signed_note = (sale["id"], void_id)  # type: ignore[attr-defined]
    return sale["id"], void_id
