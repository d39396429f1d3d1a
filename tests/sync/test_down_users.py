"""Users on the feed, per till: who a till may sign in, with their role and an offline PIN
verifier; withdrawn on deactivation, on leaving the till and on a removed PIN (docs/sync.md,
"Users and offline sign-in")."""

from __future__ import annotations

import base64
import gzip
import hmac

from argon2.low_level import Type, hash_secret_raw

from hub.db import users as user_rows
from tests.people import unique
from tests.sync.down_till import CHANGES, TillCopy, manager_and_tills


def _b64(text: str) -> bytes:
    return base64.b64decode(text + "=" * (-len(text) % 4))


def verify_offline(verifier: str, pin: str) -> bool:
    """What a till does with only what it received (docs/sync.md): parse the PHC string,
    recompute Argon2id with its salt and costs, compare in constant time."""
    _, algorithm, version, params, salt, digest = verifier.split("$")
    assert algorithm == "argon2id" and version == "v=19"
    costs = dict(p.split("=") for p in params.split(","))
    expected = _b64(digest)
    got = hash_secret_raw(pin.encode(), _b64(salt), time_cost=int(costs["t"]), memory_cost=int(costs["m"]),
                          parallelism=int(costs["p"]), hash_len=len(expected), type=Type.ID, version=19)
    return hmac.compare_digest(got, expected)


def _setup(hub):
    people, tills = manager_and_tills(hub)
    one, two = TillCopy.paired(hub, tills), TillCopy.paired(hub, tills)
    for till in (one, two):
        till.load_snapshot()
    return people, one, two


def _new_user(people, tills: list[str] | None, pin: str = "2468", role: str = "cashier"):
    r = people.root.post("/api/v1/users", json={
        "username": unique("cashier"), "display_name": "Tendai", "role_id": people.role_id(role),
        "pin": pin, "tills": tills})
    assert r.status_code == 201, r.text
    return r.json()


def test_a_user_reaches_only_the_tills_they_are_allowed_on_and_leaves_when_moved(hub):
    people, one, two = _setup(hub)
    user = _new_user(people, [one.device_id])
    anywhere = _new_user(people, None)
    one.pull_all()
    two.pull_all()
    assert user["id"] in one.of("user") and user["id"] not in two.of("user")
    assert anywhere["id"] in one.of("user") and anywhere["id"] in two.of("user")
    seen = one.of("user")[user["id"]]
    assert set(seen) == {"id", "username", "display_name", "role_id", "role", "version", "pin"}
    assert seen["role"] == "cashier" and "sales.sell" in one.of("role")[seen["role_id"]]["permissions"]

    r = people.root.patch(f"/api/v1/users/{user['id']}", json={"tills": [two.device_id]})
    assert r.status_code == 200, r.text
    page = one.pull()
    assert [(c["entity"], c["id"], c["op"], c["data"]) for c in page["changes"]] == [
        ("user", user["id"], "delete", None)]
    two.pull_all()
    assert user["id"] not in one.of("user") and user["id"] in two.of("user")
    # A fresh snapshot agrees with the feed.
    for till in (one, two):
        fresh = TillCopy(hub, till.http.headers["X-Device-Token"], till.device_id)
        fresh.load_snapshot()
        assert fresh.of("user") == till.of("user")


def test_a_deactivated_user_and_a_removed_pin_are_deleted_and_come_back_when_restored(hub):
    people, one, _two = _setup(hub)
    user = _new_user(people, None)
    one.pull_all()
    assert user["id"] in one.of("user")
    assert people.root.post(f"/api/v1/users/{user['id']}/deactivate").status_code == 200
    one.pull_all()
    assert user["id"] not in one.of("user")
    assert people.root.post(f"/api/v1/users/{user['id']}/activate").status_code == 200
    one.pull_all()
    assert user["id"] in one.of("user")
    hub.server.app.state.db.write_sync(lambda conn: user_rows.update_user(conn, user["id"], pin_hash=None))
    changes = one.pull()["changes"]
    assert [(c["id"], c["op"]) for c in changes if c["entity"] == "user"] == [(user["id"], "delete")]
    assert user["id"] not in one.of("user")


def test_the_offline_verifier_takes_the_right_pin_only_and_follows_a_pin_change(hub):
    people, one, _two = _setup(hub)
    user = _new_user(people, None, pin="4826")
    one.pull_all()
    verifier = one.of("user")[user["id"]]["pin"]["verifier"]
    assert verifier.startswith("$argon2id$") and "4826" not in verifier
    assert verify_offline(verifier, "4826")
    assert not verify_offline(verifier, "4827")
    assert not verify_offline(verifier, "")
    r = people.root.post(f"/api/v1/users/{user['id']}/pin", json={"pin": "7391"})
    assert r.status_code == 204, r.text
    one.pull_all()
    changed = one.of("user")[user["id"]]["pin"]["verifier"]
    assert changed != verifier
    assert verify_offline(changed, "7391") and not verify_offline(changed, "4826")


def test_no_password_hash_ever_reaches_a_till(hub):
    people, one, _two = _setup(hub)
    r = people.root.post("/api/v1/users", json={
        "username": unique("clerk"), "display_name": "Office", "role_id": people.role_id("manager"),
        "password": "office-only-pw-1"})
    assert r.status_code == 201, r.text
    office = r.json()
    one.pull_all()
    assert office["id"] not in one.of("user")  # no PIN: nothing to sign in with at a till
    snapshot = gzip.decompress(one.raw_snapshot()).decode()
    r = one.http.get(CHANGES, params={"cursor": f"{one.header['epoch']}:0", "limit": 5000})
    assert r.status_code == 200 and not r.json()["more"]
    for text in (r.text, snapshot):
        assert "password" not in text and '"tills"' not in text


def test_a_revoked_till_reads_nothing_more_and_is_told_so(hub):
    people, one, two = _setup(hub)
    _new_user(people, [one.device_id])
    r = people.root.post(f"/api/v1/devices/{one.device_id}/revoke")
    assert r.status_code == 200, r.text
    for path, params in ((CHANGES, {"cursor": one.cursor}), ("/api/v1/sync/snapshot", {})):
        r = one.http.get(path, params=params)
        assert r.status_code == 401 and r.json()["code"] == "device_revoked", r.text
    # The other till sees the revoked one nowhere: it never held another till's device row.
    two.pull_all()
    assert set(two.of("device")) == {two.device_id}
