"""The reference data every store starts with: written for every new database, and at start-up
for a database made before it existed; never twice."""

from __future__ import annotations

import json

import hub.setup
from hub.catalogue.seed import seed_reference_data
from hub.db import audit
from hub.db.changes import changes_since
from hub.db.connection import connect, transaction
from hub.db.settings import get_setting
from hub.setup import create_database
from tests.hubtest import HubServer, fast_hasher, make_demo_store


def reference(path) -> dict:
    conn = connect(path, readonly=True)
    try:
        return {
            "currencies": [tuple(r) for r in conn.execute("SELECT code, is_base FROM currencies ORDER BY code")],
            "units": [tuple(r) for r in conn.execute("SELECT code, decimals FROM units ORDER BY code")],
            "taxes": [tuple(r) for r in conn.execute(
                "SELECT c.code, c.exempt, c.zimra_tax_id, group_concat(r.rate_bp || '@' || r.effective_from)"
                " FROM tax_classes c LEFT JOIN tax_rates r ON r.tax_class_id = c.id GROUP BY c.id ORDER BY c.code")],
            "tax_mode": get_setting(conn, "pricing.tax_mode"),
            "seeded": [(e["username"]) for e in audit.list_entries(conn, action="catalogue.seeded")],
        }
    finally:
        conn.close()


EXPECTED = {
    "currencies": [("USD", 1), ("ZWG", 0)],
    "units": [("each", 0), ("kg", 3), ("l", 3)],
    "taxes": [("EXEMPT", 1, None, None), ("VAT", 0, None, "1500@2022-12-31T22:00:00.000000Z,1550@2025-12-31T22:00:00.000000Z"),
              ("ZERO", 0, None, "0@2022-12-31T22:00:00.000000Z")],
    "tax_mode": "inclusive",
}


def test_a_real_store_starts_with_the_reference_data_on_the_change_feed(tmp_path):
    path = tmp_path / "hub.db"
    create_database(path, store_name="Harare Central", store_code="HRE1", timezone="Africa/Harare",
                    hasher=fast_hasher(), admin_username="owner", admin_password="correct horse")
    found = reference(path)
    assert {k: found[k] for k in EXPECTED} == EXPECTED
    assert found["seeded"] == ["setup"]
    conn = connect(path, readonly=True)
    try:
        published = {(c["entity"], c["data"].get("code") or c["data"].get("key")) for c in changes_since(conn, 0)}
        assert {("currency", "USD"), ("currency", "ZWG"), ("unit", "kg"), ("tax_class", "VAT"),
                ("setting", "pricing.tax_mode")} <= published
        assert audit.verify_chain(conn).ok
    finally:
        conn.close()


def test_a_database_made_before_the_seed_gains_it_at_start_up_once(settings, monkeypatch):
    monkeypatch.setattr(hub.setup, "seed_reference_data", lambda conn, actor: False)
    make_demo_store(settings)  # as an earlier release made it: no currencies
    assert reference(settings.db_path)["currencies"] == []
    monkeypatch.undo()

    HubServer(settings).start().stop()
    found = reference(settings.db_path)
    assert {k: found[k] for k in EXPECTED} == EXPECTED
    assert found["seeded"] == ["upgrade"]

    HubServer(settings).start().stop()  # a second start changes nothing
    assert reference(settings.db_path)["seeded"] == ["upgrade"]


def test_seeding_does_nothing_once_the_store_has_any_currency(demo_store, settings):
    conn = connect(settings.db_path)
    try:
        with transaction(conn):
            conn.execute("UPDATE currencies SET active = 0 WHERE code = 'ZWG'")
            seq = conn.execute("SELECT max(seq) FROM changes").fetchone()[0]
            assert seed_reference_data(conn, audit.Actor.system("test")) is False
            assert conn.execute("SELECT max(seq) FROM changes").fetchone()[0] == seq
    finally:
        conn.close()
    assert len(reference(settings.db_path)["seeded"]) == 1


def test_a_store_that_chose_exclusive_keeps_it(settings, monkeypatch):
    monkeypatch.setattr(hub.setup, "seed_reference_data", lambda conn, actor: False)
    make_demo_store(settings)
    monkeypatch.undo()
    conn = connect(settings.db_path)
    try:
        with transaction(conn):
            conn.execute("INSERT INTO settings (key, value, version, updated_at)"
                         " VALUES ('pricing.tax_mode', ?, 1, 'x')", (json.dumps("exclusive"),))
            assert seed_reference_data(conn, audit.Actor.system("test")) is True
    finally:
        conn.close()
    assert reference(settings.db_path)["tax_mode"] == "exclusive"
