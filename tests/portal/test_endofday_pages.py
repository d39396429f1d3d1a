"""The End-of-day page over real HTTP: the checklist says which steps block and links to fix
them; a bad deposit is refused beside its inputs with the typed values kept and nothing recorded;
a deposit and its reversal; closing refused with the blocking steps, then closed once; the
printable summary; who may see and do what."""

from __future__ import annotations

import html
import re

import pytest

from tests.endofday import recipes
from tests.people import audit_entries, query
from tests.portal.client import Portal


@pytest.fixture
def portal(hub):
    return Portal(hub)


def text(r) -> str:
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", r.text)))


def step_state(r, key: str) -> str:
    found = re.search(rf'data-step="{key}" data-state="([a-z_]+)"', r.text)
    assert found, r.text[:2000]
    return found[1]


def deposit_form(day: str, **extra: str) -> dict[str, str]:
    return {"date": day, "currency": "USD", "amount": "51.50", "bank": "CBZ Bank", "reference": "SLIP-77",
            "deposited_by": "Tendai Moyo", "deposited_at": f"{day}T00:01", **extra}


def test_the_checklist_names_what_blocks_and_a_deposit_is_refused_beside_its_inputs(hub, portal):
    admin = hub.as_user("admin")
    till, shift = recipes.open_till(hub)
    recipes.sell(till, shift, 150)
    token = portal.token("manager")
    r = portal.call("GET", "/end-of-day", token)
    assert r.status_code == 200, r.text
    assert step_state(r, "shifts") == "needs_action" and f'href="/shifts/{shift}"' in r.text
    assert step_state(r, "exceptions") == "needs_action" and 'href="/exceptions?status=open"' in r.text
    assert step_state(r, "fiscal") == "not_applicable" and "not set up on this hub" in text(r)
    assert "Back up now" in r.text and ">Close the day</button>" in r.text and "Record deposit" in r.text
    day = recipes.today(admin)

    before = query(hub, "SELECT count(*) FROM bank_deposits")
    r = portal.call("POST", "/end-of-day/deposits", token, deposit_form(day, amount="12.345", bank="",
                                                                         deposited_by="Tendai Moyo"))
    assert r.status_code == 422, r.text
    assert 'id="e-amount"' in r.text and 'id="e-bank"' in r.text and 'id="e-reference"' not in r.text
    assert 'value="12.345"' in r.text and 'value="Tendai Moyo"' in r.text  # typed values kept
    assert query(hub, "SELECT count(*) FROM bank_deposits") == before

    r = portal.call("POST", "/end-of-day/close", token, {"date": day})
    assert r.status_code == 409 and "The day was not closed" in text(r)
    assert 'href="#step-shifts"' in r.text and query(hub, "SELECT count(*) FROM trading_days") == [(0,)]

    r = portal.call("POST", "/end-of-day/deposits", token, deposit_form(day))
    assert r.status_code == 303 and r.headers["location"] == f"/end-of-day?date={day}#deposits", r.text
    [(deposit_id, amount)] = query(hub, "SELECT id, amount FROM bank_deposits")
    assert amount == 5150
    r = portal.call("POST", f"/end-of-day/deposits/{deposit_id}/reverse", token, {"date": day, "reason": " "})
    assert r.status_code == 422 and f'id="e-reason-{deposit_id}"' in r.text
    r = portal.call("POST", f"/end-of-day/deposits/{deposit_id}/reverse", token, {"date": day, "reason": "Wrong"})
    assert r.status_code == 303
    assert [e["action"] for e in audit_entries(hub)[-2:]] == ["deposit.recorded", "deposit.reversed"]


def test_a_ready_day_is_closed_once_and_prints(hub, portal):
    admin = hub.as_user("admin")
    till, shift = recipes.open_till(hub)
    recipes.sell(till, shift, 150)
    recipes.close_shift(admin, shift, {"USD": 5150, "ZWG": 20000})
    recipes.resolve_all(admin)
    recipes.deposit(admin, currency="USD", amount=5150)
    recipes.deposit(admin, currency="ZWG", amount=20000)
    token = portal.token("manager")
    day = recipes.today(admin)
    r = portal.call("POST", "/end-of-day/backup", token, {"date": day})
    assert r.status_code == 303 and audit_entries(hub)[-1]["action"] == "backup.created"
    r = portal.call("GET", f"/end-of-day?date={day}", token)
    assert step_state(r, "backup") == "done" and "Every step is done" in text(r), text(r)[:3000]
    r = portal.call("POST", "/end-of-day/close", token, {"date": day})
    assert r.status_code == 303 and audit_entries(hub)[-1]["action"] == "endofday.closed"
    r = portal.call("GET", f"/end-of-day?date={day}", token)
    assert "Closed" in text(r) and "was closed" in text(r) and ">Close the day</button>" not in r.text
    again = portal.call("POST", "/end-of-day/close", token, {"date": day})
    assert again.status_code == 409 and "was closed" in text(again)
    printed = portal.call("GET", f"/end-of-day/summary?date={day}", token)
    assert printed.status_code == 200 and "Day summary" in printed.text and "USD 51.50" in text(printed)


def test_a_supervisor_sees_the_day_but_cannot_record_or_close(hub, portal):
    token = portal.token("supervisor")
    r = portal.call("GET", "/end-of-day", token)
    assert r.status_code == 200
    assert ">Close the day</button>" not in r.text and "Record deposit" not in r.text and "Back up now" not in r.text
    day = recipes.today(hub.as_user("admin"))
    assert portal.call("POST", "/end-of-day/deposits", token, deposit_form(day)).status_code == 403
    assert portal.call("POST", "/end-of-day/close", token, {"date": day}).status_code == 403
    assert portal.call("GET", "/end-of-day", portal.token("cashier")).status_code == 403


def test_the_day_and_its_summary_show_refunds_and_the_net_per_currency(hub, portal):
    from hub.ids import new_id
    import datetime as dt

    till, shift = recipes.open_till(hub, "supervisor")  # a cashier may not refund
    recipes.sell(till, shift, 150)
    returned = recipes.sell(till, shift, 300)
    r = till.http.post(f"/api/v1/sales/{returned['id']}/refunds", json={
        "id": new_id(), "device_clock": dt.datetime.now(dt.timezone.utc).isoformat(), "shift_id": shift,
        "reason": "Brought back", "lines": [{"line_no": 0, "quantity": 1000}]})
    assert r.status_code == 201, r.text
    token = portal.token("manager")
    assert "(net USD 1.50)" in text(portal.call("GET", "/end-of-day", token)).replace("US$", "USD")
    summary = text(portal.call("GET", "/end-of-day/summary", token))
    assert "Refunds" in summary and "Net" in summary, summary[:1500]


def test_the_end_of_day_backup_is_taken_in_a_child_process(hub, portal, monkeypatch):
    """Copying and checking the database allocate megabytes that glibc keeps: the page's backup,
    like the API's and the scheduler's, runs in a child (hub.ops.backup_child), never in the hub."""
    from hub.backup import service

    def not_here(*_args, **_kwargs):
        raise AssertionError("the hub's own process took the backup")

    monkeypatch.setattr(service, "create_backup", not_here)
    token = portal.token("manager")
    r = portal.call("POST", "/end-of-day/backup", token, {"date": recipes.today(hub.as_user("admin"))})
    assert r.status_code == 303 and audit_entries(hub)[-1]["action"] == "backup.created"
