"""A cashier reads the X report of their own open shift at their till without shifts.view (which
would show every cashier's shifts), and nobody else's."""

from __future__ import annotations

import pytest

from tests.people import People
from tests.shifts import recipes
from tests.shifts.recipes import SHIFTS

OWN = f"{SHIFTS}/current/x-report"


@pytest.fixture
def people(hub):
    return People(hub)


def signed_in_at(people, device_token, who):
    t = recipes.tills(people)
    r = t.login(device_token, who, people.hub.credentials[who][0])
    assert r.status_code == 201, r.text
    return t.as_till(device_token, r.json()["access_token"])


def test_a_cashier_reads_their_own_open_shift_and_only_theirs(people):
    till = recipes.tills(people).pair()
    cashier = signed_in_at(people, till["device_token"], "cashier")
    assert cashier.get(OWN).json()["code"] == "no_open_shift"
    opened = cashier.post(SHIFTS, json={"floats": [{"currency": "USD", "amount": 5000}]})
    assert opened.status_code == 201, opened.text
    shift_id = opened.json()["id"]
    r = cashier.post(f"{SHIFTS}/{shift_id}/cash-movements", json=recipes.movement_body())
    assert r.status_code in (200, 201), r.text

    own = cashier.get(OWN)
    assert own.status_code == 200, own.text
    report = own.json()
    assert report["shift"]["id"] == shift_id
    usd = next(line for line in report["cash"] if line["currency"] == "USD")
    assert usd["expected"] == 5000 - 500  # the float less the pay-out
    # The same cashier cannot read shifts by id, so no other cashier's shift is in reach.
    assert cashier.get(f"{SHIFTS}/{shift_id}/x-report").status_code == 403

    # Another cashier signed in at the same till has no open shift of their own there.
    supervisor = signed_in_at(people, till["device_token"], "supervisor")
    r = supervisor.get(OWN)
    assert (r.status_code, r.json()["code"]) == (404, "no_open_shift")


def test_away_from_a_till_there_is_no_own_shift_to_read(people):
    r = people.client_as("cashier").get(OWN)
    assert (r.status_code, r.json()["code"]) == (422, "till_required")
