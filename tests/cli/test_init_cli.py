"""`soko-hub init`: first-run set-up of a real, empty store."""

from __future__ import annotations

import hashlib

import pytest

from hub.db import audit, meta, users
from hub.db.connection import connect
from hub.db.settings import get_setting
from hub.users import cli as users_cli
from tests.cli.runner import soko_hub
from tests.hubtest import fast_hasher

STORE = ["--store-name", "Mbare Corner Shop", "--store-code", "MBR1", "--admin-username", "Tendai"]


def read(path, fn):
    conn = connect(path, readonly=True)
    try:
        return fn(conn)
    finally:
        conn.close()


def secrets_of(path, username):
    return read(path, lambda c: users.get_secrets(c, username=username))


def test_init_creates_a_real_store_whose_admin_can_be_read_back(settings):
    result = soko_hub(settings.data_path, "init", *STORE, "--admin-password", "correct horse")

    assert result.exit_code == 0, result.output
    db = settings.db_path
    assert read(db, meta.is_demo) is False
    assert read(db, lambda c: get_setting(c, "store.name")) == "Mbare Corner Shop"
    assert read(db, lambda c: get_setting(c, "store.timezone")) == "Africa/Harare"
    admin = read(db, lambda c: users.get_user_by_username(c, "tendai"))
    assert (admin["role"], admin["active"], admin["has_pin"]) == ("admin", True, False)
    assert fast_hasher().verify(secrets_of(db, "tendai")["password_hash"], "correct horse")
    assert read(db, lambda c: [u["username"] for u in users.list_users(c)]) == ["tendai"]
    assert read(db, audit.verify_chain).ok
    assert "soko-hub serve" in result.stdout


def test_init_refuses_an_existing_database_and_leaves_it_alone(settings, demo_store):
    before = hashlib.sha256(settings.db_path.read_bytes()).hexdigest()

    result = soko_hub(settings.data_path, "init", *STORE, "--admin-password", "correct horse")

    assert result.exit_code == 1
    assert "a database already exists" in result.stderr
    assert hashlib.sha256(settings.db_path.read_bytes()).hexdigest() == before
    assert read(settings.db_path, meta.is_demo) is True


def test_init_without_a_terminal_names_the_missing_option(settings):
    result = soko_hub(settings.data_path, "init", "--store-name", "Shop", "--store-code", "SH1",
                      "--admin-username", "tendai")

    assert result.exit_code == 1
    assert "--admin-password is missing (stdin is not a terminal" in result.stderr
    assert not settings.db_path.exists()


def test_init_asks_for_what_is_missing_on_a_terminal(settings, monkeypatch):
    monkeypatch.setattr(users_cli, "_interactive", lambda: True)
    answers = "\n".join(["Mbare Corner Shop", "bad code!", "mbr1", "Tendai", "short", "short",
                         "correct horse", "correct horse"]) + "\n"

    result = soko_hub(settings.data_path, "init", input=answers)

    assert result.exit_code == 0, result.output
    assert "capital letters or digits" in result.output  # the bad code was asked again
    assert "at least 8 characters" in result.output  # and so was the short password
    assert read(settings.db_path, lambda c: get_setting(c, "store.code")) == "MBR1"
    assert fast_hasher().verify(secrets_of(settings.db_path, "tendai")["password_hash"], "correct horse")


def test_init_reads_the_password_from_a_file_for_first_boot(settings, tmp_path):
    secret = tmp_path / "admin-password"
    secret.write_text("from the SD card\n")

    result = soko_hub(settings.data_path, "init", *STORE, "--admin-password-file", str(secret))

    assert result.exit_code == 0, result.output
    assert fast_hasher().verify(secrets_of(settings.db_path, "tendai")["password_hash"], "from the SD card")


@pytest.mark.parametrize("args, message", [
    (["--admin-password", "short"], "at least 8 characters"),
    (["--admin-password", "correct horse", "--timezone", "Mars/Olympus"], "unknown time zone"),
    (["--admin-password", "x" * 9, "--admin-password-file", "/dev/null"], "not both"),
])
def test_init_refuses_bad_input_and_creates_nothing(settings, args, message):
    result = soko_hub(settings.data_path, "init", *STORE, *args)

    assert result.exit_code == 1
    assert message in result.stderr
    assert not settings.db_path.exists()


def test_init_refuses_a_bad_store_code(settings):
    result = soko_hub(settings.data_path, "init", "--store-name", "Shop", "--store-code", "TOOLONGCODE",
                      "--admin-username", "tendai", "--admin-password", "correct horse")

    assert result.exit_code == 1
    assert "store code is 2 to 8 capital letters or digits" in result.stderr
    assert not settings.db_path.exists()


def test_init_makes_the_store_with_the_base_currency_asked_for(settings):
    result = soko_hub(settings.data_path, "init", *STORE, "--admin-password", "correct horse",
                      "--base-currency", "ZWG")
    assert result.exit_code == 0, result.output
    base = read(settings.db_path, lambda c: c.execute("SELECT code FROM currencies WHERE is_base").fetchone()[0])
    assert base == "ZWG"


def test_init_refuses_a_base_currency_it_does_not_know_before_asking_anything(settings):
    result = soko_hub(settings.data_path, "init", *STORE, "--admin-password", "correct horse",
                      "--base-currency", "EUR")
    assert result.exit_code == 1
    assert "base currency must be one of USD, ZWG" in result.stderr
    assert not settings.db_path.exists()
