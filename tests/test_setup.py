import pytest

from hub.db import audit, meta, roles, users
from hub.db.changes import changes_since
from hub.db.connection import connect
from hub.db.settings import all_settings
from hub.errors import DemoDatabaseError
from hub.setup import SetupError, create_database, require_not_demo
from tests.hubtest import fast_hasher


def real_store(path, **overrides):
    values = dict(store_name="Harare Central", store_code="HRE1", timezone="Africa/Harare",
                  hasher=fast_hasher(), admin_username="owner", admin_password="correct horse")
    values.update(overrides)
    return create_database(path, **values)


def test_a_real_store_starts_empty_with_one_administrator(tmp_path):
    store = real_store(tmp_path / "hub.db")
    conn = connect(tmp_path / "hub.db", readonly=True)
    try:
        assert store.demo is False and meta.is_demo(conn) is False
        assert meta.get(conn, "hub_id") == store.hub_id and meta.get(conn, "epoch") == store.epoch
        assert [u["username"] for u in users.list_users(conn)] == ["owner"]
        assert users.get_user_by_username(conn, "owner")["role"] == "admin"
        assert {r["name"] for r in roles.list_roles(conn)} == {"admin", "manager", "supervisor", "cashier"}
        # the store's profile, and the tax mode that comes with the catalogue's reference data
        assert all_settings(conn) == {"store.name": "Harare Central", "store.code": "HRE1",
                                      "store.timezone": "Africa/Harare", "pricing.tax_mode": "inclusive"}
        assert audit.verify_chain(conn).ok
        # reference data went out on the change feed in the same transactions
        entities = {c["entity"] for c in changes_since(conn, 0)}
        assert {"setting", "role", "user"} <= entities
    finally:
        conn.close()


def test_the_demo_store_is_flagged_and_has_a_user_per_role(tmp_path):
    store = create_database(tmp_path / "hub.db", store_name="Demo", store_code="DEMO",
                            timezone="Africa/Harare", hasher=fast_hasher(), demo=True)
    assert store.demo and {c[1] for c in store.credentials} == {"admin", "manager", "supervisor", "cashier"}
    conn = connect(tmp_path / "hub.db", readonly=True)
    try:
        assert meta.is_demo(conn)
        stored = users.get_secrets(conn, username="admin")
        assert store.credentials[0][2] not in stored["password_hash"]  # only a hash is kept
    finally:
        conn.close()


@pytest.mark.parametrize("overrides,message", [
    ({"store_code": "hre 1"}, "store code"),
    ({"store_name": " "}, "store name"),
    ({"timezone": "Mars/Olympus"}, "time zone"),
    ({"admin_password": "short"}, "at least"),
    ({"admin_username": None}, "administrator"),
])
def test_bad_store_details_are_refused_and_nothing_is_created(tmp_path, overrides, message):
    with pytest.raises(SetupError, match=message):
        real_store(tmp_path / "hub.db", **overrides)
    assert not (tmp_path / "hub.db").exists()


def test_an_existing_database_is_never_overwritten(tmp_path):
    real_store(tmp_path / "hub.db")
    before = (tmp_path / "hub.db").read_bytes()
    with pytest.raises(SetupError, match="already exists"):
        real_store(tmp_path / "hub.db", store_code="OTHER")
    assert (tmp_path / "hub.db").read_bytes() == before


def test_demo_database_refuses_hq_enrolment_and_fiscal_registration(tmp_path):
    create_database(tmp_path / "demo.db", store_name="Demo", store_code="DEMO",
                    timezone="Africa/Harare", hasher=fast_hasher(), demo=True)
    real_store(tmp_path / "real.db")
    demo, real = connect(tmp_path / "demo.db"), connect(tmp_path / "real.db")
    try:
        for what in ("HQ enrolment", "fiscal device registration"):
            with pytest.raises(DemoDatabaseError, match="demo database"):
                require_not_demo(demo, what)
            require_not_demo(real, what)
    finally:
        demo.close()
        real.close()


def base_currency_of(path) -> str:
    conn = connect(path, readonly=True)
    try:
        return conn.execute("SELECT code FROM currencies WHERE is_base").fetchone()[0]
    finally:
        conn.close()


def test_the_base_currency_is_chosen_when_the_store_is_made(tmp_path):
    real_store(tmp_path / "usd.db")
    real_store(tmp_path / "zwg.db", base_currency="zwg")
    assert base_currency_of(tmp_path / "usd.db") == "USD"
    assert base_currency_of(tmp_path / "zwg.db") == "ZWG"
    conn = connect(tmp_path / "zwg.db", readonly=True)
    try:
        actions = [e["action"] for e in audit.list_entries(conn)]
        assert {"store.created", "catalogue.seeded", "user.created"} <= set(actions)
        assert any(a.startswith("currency.") for a in actions)  # the move of the base, audited
        assert audit.verify_chain(conn).ok
    finally:
        conn.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["usd.db", "zwg.db"]  # no file left beside
    with pytest.raises(SetupError, match="base currency must be one of USD, ZWG"):
        real_store(tmp_path / "eur.db", base_currency="EUR")
    assert not (tmp_path / "eur.db").exists()


def test_a_failure_while_setting_the_base_currency_leaves_no_store(tmp_path, monkeypatch):
    from hub.catalogue.currencies import service

    def broken(*args, **kwargs):
        raise OSError("injected: the disk went away")

    monkeypatch.setattr(service, "update_currency", broken)
    with pytest.raises(OSError, match="injected"):
        real_store(tmp_path / "hub.db", base_currency="ZWG")
    assert list(tmp_path.iterdir()) == []


CRASH_AT_THE_CURRENCY = """\
import os, sys
from pathlib import Path
from hub.catalogue.currencies import service
from hub.setup import create_database
from tests.hubtest import fast_hasher

def power_cut(*args, **kwargs):
    os._exit(9)  # no cleanup, no commit: as the power going off

service.update_currency = power_cut
create_database(Path(sys.argv[1]), store_name="Harare Central", store_code="HRE1", timezone="Africa/Harare",
                hasher=fast_hasher(), admin_username="owner", admin_password="correct horse", base_currency="ZWG")
"""


def test_a_crash_while_the_store_is_made_leaves_no_store_and_it_can_be_made_again(tmp_path):
    import subprocess
    import sys
    from pathlib import Path

    path = tmp_path / "data" / "hub.db"
    root = Path(__file__).resolve().parents[1]
    done = subprocess.run([sys.executable, "-c", CRASH_AT_THE_CURRENCY, str(path)], cwd=root, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 9, done.stderr
    assert not path.exists()  # no store without its currency: no store at all
    real_store(path, base_currency="ZWG")  # the set-up runs again over what the crash left
    assert base_currency_of(path) == "ZWG"
    assert sorted(p.name for p in path.parent.iterdir()) == ["hub.db"]
