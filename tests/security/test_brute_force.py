"""Guessing secrets: PINs at a till, passwords and pairing codes are limited per username and per
client address (one limiter for password and PIN, so switching method buys no guesses), and a
deactivated user or a revoked till gets nothing even with the right PIN. The password and pairing
limits' own tests are tests/auth/test_ratelimit.py and tests/devices/test_pairing.py; these are the
PIN's, and the limits as shipped (the default settings, no fake clock)."""

from __future__ import annotations

import pytest

from tests.hubtest import make_settings
from tests.pairing import Tills
from tests.people import People

ATTEMPTS = 5  # the shipped default of login_attempts


@pytest.fixture
def settings(tmp_path):
    return make_settings(tmp_path / "var")  # the default limits: 5 failures in 300 s


def pin_login(tills: Tills, device_token: str, username: str, pin: str, address_header: dict | None = None):
    return tills.http.post("/api/v1/auth/login", json={"username": username, "pin": pin},
                           headers={"X-Device-Token": device_token, **(address_header or {})})


def wrong_pins(right: str):
    """Other PINs of the same length."""
    n = 0
    while True:
        guess = str(n).zfill(len(right))
        if guess != right:
            yield guess
        n += 1


def test_the_shipped_limit_is_five_failures_in_five_minutes(hub):
    settings = hub.server.settings
    assert (settings.login_attempts, settings.login_window_s) == (ATTEMPTS, 300)


def test_pin_guesses_at_a_till_are_limited_and_the_right_pin_then_waits_too(hub):
    tills = Tills(hub, hub.as_user("manager"))
    till = tills.pair()
    pin = hub.credentials["cashier"][1]
    guesses = wrong_pins(pin)
    for _ in range(ATTEMPTS):
        r = pin_login(tills, till["device_token"], "cashier", next(guesses))
        assert r.status_code == 401 and r.json()["code"] == "invalid_credentials"
    r = pin_login(tills, till["device_token"], "cashier", pin)
    assert r.status_code == 429 and r.json()["code"] == "rate_limited"
    assert 0 < int(r.headers["Retry-After"]) <= 300
    # nor does the password, nor another till from the same address: the same limiter
    other = tills.pair()
    assert pin_login(tills, other["device_token"], "cashier", pin).status_code == 429
    r = hub.client().post("/api/v1/auth/login", json={"username": "cashier",
                                                      "password": hub.credentials["cashier"][0]})
    assert r.status_code == 429


def test_pin_guesses_spread_over_usernames_are_limited_by_address(hub):
    tills = Tills(hub, hub.as_user("manager"))
    till = tills.pair()
    for name in ("cashier", "supervisor", "manager", "admin", "nobody")[:ATTEMPTS]:
        assert pin_login(tills, till["device_token"], name, "0000").status_code == 401
    r = pin_login(tills, till["device_token"], "cashier", hub.credentials["cashier"][1])
    assert r.status_code == 429


def test_a_forwarded_for_header_does_not_reset_the_address_count(hub):
    tills = Tills(hub, hub.as_user("manager"))
    till = tills.pair()
    for n in range(ATTEMPTS):
        spoof = {"X-Forwarded-For": f"10.9.8.{n}", "X-Real-IP": f"10.9.8.{n}"}
        assert pin_login(tills, till["device_token"], f"nobody{n}", "0000", spoof).status_code == 401
    spoof = {"X-Forwarded-For": "10.9.9.9", "X-Real-IP": "10.9.9.9"}
    assert pin_login(tills, till["device_token"], "cashier", hub.credentials["cashier"][1], spoof).status_code == 429


def test_pairing_code_guesses_are_limited_as_shipped(hub):
    tills = Tills(hub, hub.as_user("manager"))
    for n in range(ATTEMPTS):
        r = tills.pair_call(f"ZZZZ-ZZZ{n}")
        assert r.status_code == 401, r.text
    r = tills.pair_call()  # a good code, now refused too
    assert r.status_code == 429 and r.json()["code"] == "rate_limited"


def test_a_deactivated_user_is_refused_with_the_right_pin_at_a_till(hub):
    people = People(hub)
    tills = Tills(hub, hub.as_user("manager"))
    till = tills.pair()
    user = people.new_user("cashier")
    assert pin_login(tills, till["device_token"], user["username"], "1357").status_code == 201
    manager = hub.as_user("manager")
    assert manager.post(f"/api/v1/users/{user['id']}/deactivate").status_code == 200
    r = pin_login(tills, till["device_token"], user["username"], "1357")
    assert r.status_code == 401 and r.json()["code"] == "invalid_credentials"


def test_a_revoked_till_cannot_sign_anyone_in_with_a_pin(hub):
    tills = Tills(hub, hub.as_user("manager"))
    till = tills.pair()
    pin = hub.credentials["cashier"][1]
    assert pin_login(tills, till["device_token"], "cashier", pin).status_code == 201
    assert tills.manager.post(f"/api/v1/devices/{till['device_id']}/revoke").status_code == 200
    r = pin_login(tills, till["device_token"], "cashier", pin)
    assert r.status_code == 401 and r.json()["code"] == "device_revoked"
